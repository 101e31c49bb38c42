// vCPU lifecycle: up (VCPUOP_up, PSCI CPU_ON), down, yield, block (SCHEDOP_block, WFI), WFE
// SPDX-License-Identifier: MIT
#include "core/log.hpp"
#include "core/psci.hpp"
#include "hyp/liveness.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/scheduling.hpp"

namespace runhv::hyp {
namespace {

SpinLock g_up_lock;  // one vcpu_up at a time (the target's registers are written unlocked)

// The loaded, running vCPU `v` blocks unless it has a virtual interrupt pending, until its
// guest timer's deadline.
void block_current(Vcpu& v) {
  irq_prepare(v);
  resume_prepare(v);
  if (!arch::irq_ready() || irq_pending(v)) {
    return;  // nothing would end the wait, or nothing to wait for
  }
  const u64 deadline = arch::guest_timer_deadline();
  sync_el1(v);
  if (scheduler().block(v.sched, arch::now_ns(), deadline)) {
    request_resched();
    if (deadline == kNever) {
      note_blocked_without_timer(v);
    }
    // A kick between irq_pending() and block() found v still running and woke nothing (irq_kick
    // stores its flag before it wakes; the fences order both sides): wake it here.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&v.arch.irq_kick, __ATOMIC_SEQ_CST)) {
      apply(scheduler().wake(v.sched, arch::now_ns()));
    }
  }
}

}  // namespace

void on_wfx(arch::VcpuState& s, bool wfe) {
  Vcpu& v = vcpu_of(s);
  if (wfe) {
    vcpu_yield(v);
    return;
  }
  block_current(v);
}

void vcpu_yield(Vcpu& /*caller*/) { request_yield(); }

void vcpu_block(Vcpu& caller) { block_current(caller); }

long vcpu_up(Vcpu& caller, u32 target, u64 entry, u64 context) {
  Domain& d = *caller.domain;
  if (target >= d.nr_vcpus) {
    return xen::error(xen::Errno::enoent);
  }
  Vcpu& t = d.vcpus[target];
  g_up_lock.lock();
  if (t.sched.state() != RunstateState::offline) {
    g_up_lock.unlock();
    return xen::error(xen::Errno::einval);
  }
  if (scheduler().retired(t.sched)) {
    // Its domain is stopping (domain_shutdown on another pCPU): it stays offline.
    g_up_lock.unlock();
    return xen::error(xen::Errno::einval);
  }
  if (entry == kKeepPc && !t.started) {
    // VCPUOP_up of a vCPU that never had a context (Xen: not initialised): use PSCI CPU_ON.
    g_up_lock.unlock();
    guest_logf(d.runstate.log_budget, "d%uv%u: VCPUOP_up of vcpu %u, which was never started",
               static_cast<unsigned>(d.number), caller.id, target);
    return xen::error(xen::Errno::einval);
  }
  // Gone offline but maybe still on its home pCPU: picked by its schedule() and about to be
  // loaded, or loaded and being switched out. Wait until it is neither (in that order: a pCPU
  // stops calling it current before it stores loaded_on = -1), then its context is ours to write.
  const auto self = static_cast<i32>(arch::this_cpu_index());
  for (i32 on = 0; scheduler().is_current(t.sched) ||
                   ((on = __atomic_load_n(&t.loaded_on, __ATOMIC_ACQUIRE)) != -1 && on != self);) {
  }
  if (entry != kKeepPc) {
    arch::vcpu_reset(t.arch, vcpu_vmpidr(target), entry, context);
    t.started = true;
  }
  const PcpuMask mask = scheduler().vcpu_up(t.sched, arch::now_ns());
  g_up_lock.unlock();
  apply(mask);
  return 0;
}

long vcpu_down(Vcpu& caller, u32 target) {
  Domain& d = *caller.domain;
  if (target >= d.nr_vcpus) {
    return xen::error(xen::Errno::enoent);
  }
  Vcpu& t = d.vcpus[target];
  g_up_lock.lock();
  bool others_up = false;
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    others_up = others_up || (i != target && d.vcpus[i].sched.state() != RunstateState::offline);
  }
  if (!others_up) {
    // The last vCPU going down: nothing could bring one back. Xen powers the domain off here.
    g_up_lock.unlock();
    arch::set_hypercall_result(caller.arch, 0);
    domain_shutdown(caller, "poweroff: its last vcpu went down");
  }
  sync_el1(t);
  const PcpuMask mask = scheduler().vcpu_down(t.sched, arch::now_ns());
  g_up_lock.unlock();
  apply(mask);
  return 0;
}

bool vcpu_is_up(const Domain& d, u32 target) {
  return target < d.nr_vcpus && d.vcpus[target].sched.state() != RunstateState::offline;
}

}  // namespace runhv::hyp
