// A domain's interrupts: every one through its vGIC (core/vgic.hpp), delivered by kicking the
// vCPU it is for, handed to the list registers right before that vCPU's entry
// SPDX-License-Identifier: MIT
//
// Sources: the guest timer (INTID 27, when the architecture says it fired), the event channel
// upcall (INTID 31, vcpu_raise_event), guest SGIs (ICC_SGI1R_EL1 writes), the vPL011's SPI, and
// GIC register writes that change another vCPU's view. A kick sets the target's irq_kick and,
// if it runs on another pCPU, sends that pCPU an IPI (its exit fills the list registers); if it
// is blocked, wakes it. irq_prepare() does the exchange under the domain lock only when the list
// registers were filled before or something was kicked: an exit with neither costs two loads.
#include "core/psci.hpp"
#include "core/trace.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/scheduling.hpp"

namespace runhv::hyp {

void irq_kick_mask(Domain& d, u32 mask) {
  for (u32 i = 0; i < d.nr_vcpus && mask != 0; ++i, mask >>= 1) {
    if ((mask & 1) != 0) {
      irq_kick(d.vcpus[i]);
    }
  }
}

void irq_kick(Vcpu& t) {
  __atomic_store_n(&t.arch.irq_kick, true, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // before wake() reads the state (block_current pairs)
  const auto self = static_cast<i32>(arch::this_cpu_index());
  const i32 on = __atomic_load_n(&t.loaded_on, __ATOMIC_ACQUIRE);
  if (on != -1 && on != self && arch::irq_ready()) {
    arch::send_ipi(static_cast<u32>(on));
  }
  apply(scheduler().wake(t.sched, arch::now_ns()));
}

void raise_irq(Vcpu& v, u32 intid) {
  Domain& d = *v.domain;
  d.lock.lock();
  const u32 target = d.vgic.set_pending(v.id, intid);
  d.lock.unlock();
  if (target != kNoVcpu && target < d.nr_vcpus) {
    irq_kick(d.vcpus[target]);
  }
}

void irq_exchange(Vcpu& v) {
  if (arch::take_guest_timer_fired(v.arch)) {
    Domain& d = *v.domain;
    d.lock.lock();
    d.vgic.set_pending(v.id, kGuestLayout.vtimer_intid);
    d.lock.unlock();
    v.arch.irq_kick = true;
  }
  if (!v.arch.irq_kick && (v.arch.lrs_used == 0 || arch::vgic_lrs_as_filled(v.arch))) {
    return;  // nothing new for it, and it did nothing with what it holds (say, interrupts masked)
  }
  ++v.counters.lr_exchanges;
  Domain& d = *v.domain;
  d.lock.lock();
  v.arch.irq_kick = false;
  arch::vgic_sync(v.arch, d.vgic, v.id);
  arch::vgic_fill(v.arch, d.vgic, v.id);
  d.lock.unlock();
}

void entry_work(Vcpu& v) {
  irq_prepare(v);
  resume_prepare(v);
}

void guest_timer_release(Vcpu& v) {
  Domain& d = *v.domain;
  d.lock.lock();
  const bool held = d.vgic.held(v.id, kGuestLayout.vtimer_intid);
  d.lock.unlock();
  arch::guest_timer_unmask(v.arch, held);
}

bool irq_pending(Vcpu& v) {
  Domain& d = *v.domain;
  d.lock.lock();
  arch::vgic_sync(v.arch, d.vgic, v.id);
  const bool pending = d.vgic.has_pending(v.id);
  arch::vgic_fill(v.arch, d.vgic, v.id);
  d.lock.unlock();
  return pending;
}

void vcpu_raise_event(Vcpu& v) {
  trace(TraceKind::event, arch::now_ns(), v.domain->number, v.id, v.sched.pcpu());
  raise_irq(v, kEventChannelIntid);
}

void UartIrq::set_level(bool high) {
  // Called by the vPL011 with domain->lock held (MMIO dispatch).
  const u32 target = domain->vgic.set_level(kGuestLayout.uart_intid, high);
  if (target != kNoVcpu && target < domain->nr_vcpus) {
    irq_kick(domain->vcpus[target]);
  }
}

void on_sgi(arch::VcpuState& s, u64 value) {
  Vcpu& v = vcpu_of(s);
  Domain& d = *v.domain;
  d.lock.lock();
  const u32 targets = d.vgic.send_sgi(v.id, value);
  d.lock.unlock();
  irq_kick_mask(d, targets);
}

}  // namespace runhv::hyp
