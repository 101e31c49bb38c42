// The context switch and the per-pCPU scheduling loop: core/sched.hpp's Scheduler driven by the
// hypervisor timer, IPIs and guest exits
// SPDX-License-Identifier: MIT
//
// One Scheduler over every pCPU that came up. Each pCPU keeps a `need_resched` flag: scheduler
// calls that want a reschedule here set it (apply()), and the end of every guest exit
// (exit_resume) and the idle loop act on it with schedule() and a switch:
//   put the outgoing vCPU's context -> load the incoming domain's stage 2 (VMID-tagged TLBs: no
//   flush) -> publish its PV-time stolen time -> load its context (the architecture catches its
//   guest timer up) -> enter it.
// Bits for other pCPUs become reschedule IPIs. A yield is a flag too (request_yield), handed to
// that schedule(), which takes the lock once for both. After every schedule(), tick() and
// expire() the hypervisor timer is programmed for next_event() (schedule() answers it itself).
// An idle pCPU waits for interrupts. The scheduler is the only one to change a vCPU's runstate.
#include "core/psci.hpp"
#include "hyp/domain.hpp"
#include "hyp/liveness.hpp"
#include "hyp/sched_loop.hpp"
#include "lib/panic.hpp"

namespace runhv::hyp {

constinit Scheduler g_scheduler;

namespace {

PcpuLoop g_loop[kMaxPcpus];
u32 g_pcpus = 0;
volatile bool g_released = false;

Vcpu* loaded() {
  arch::VcpuState* s = arch::loaded();
  return s != nullptr ? &vcpu_of(*s) : nullptr;
}

// The Vcpu a scheduler entry is part of.
Vcpu& vcpu_of(SchedVcpu& s) { return *reinterpret_cast<Vcpu*>(reinterpret_cast<u8*>(&s) - offsetof(Vcpu, sched)); }

// The EL2 timer of this pCPU, `pcpu`, set for `at` (kNever: cancelled).
void program_event(u32 pcpu, u64 at) {
  if (!arch::irq_ready()) {
    return;
  }
  if (at == kNever) {
    arch::timer_cancel();
  } else {
    arch::timer_program(pcpu, at);
  }
}

void program_next_event(u32 pcpu) { program_event(pcpu, g_scheduler.next_event(pcpu)); }

// `prev` (if any) off pCPU `pcpu`, `next` (if any) onto it.
void switch_to(PcpuLoop& loop, u32 pcpu, Vcpu* prev, Vcpu* next, u64 now) {
  if (prev != nullptr) {
    // (runstate.el1 was taken by sync_el1() before schedule() made the transition.)
    arch::vcpu_put(prev->arch);
    __atomic_store_n(&prev->loaded_on, -1, __ATOMIC_RELEASE);
  }
  if (next == nullptr) {
    arch::set_loaded(nullptr);
    return;
  }
  const mmu::Stage2Regs& s2 = next->domain->space.s2;
  if (loop.vttbr != s2.vttbr) {
    arch::load_stage2(s2);
    loop.vttbr = s2.vttbr;
  }
  if (next->domain->pv_time != nullptr) {
    write_stolen_time(&next->domain->pv_time[next->id], pv_stolen_time(next->runstate.account, now));
  }
  arch::vcpu_load(next->arch);
  __atomic_store_n(&next->loaded_on, static_cast<i32>(pcpu), __ATOMIC_RELEASE);
  arch::set_loaded(&next->arch);
}

// schedule() on this pCPU and the switch to its choice (nullptr: idle).
Vcpu* reschedule() {
  const u32 p = arch::this_cpu_index();
  PcpuLoop& loop = this_loop();
  loop.need_resched = false;
  const bool yielding = loop.yield_pending;
  loop.yield_pending = false;
  Vcpu* prev = loaded();
  if (prev != nullptr) {
    sync_el1(*prev);
  }
  const u64 now = arch::now_ns();
  u64 event = kNever;
  SchedVcpu* s = g_scheduler.schedule(p, now, event, yielding);
  Vcpu* next = s != nullptr ? &vcpu_of(*s) : nullptr;
  if (next != prev) {
    switch_to(loop, p, prev, next, now);
  }
  program_event(p, event);
  return next;
}

// Every pCPU taking part: runs the scheduling loop on this pCPU for ever.
[[noreturn]] void scheduling_enter() {
  const u32 p = arch::this_cpu_index();
  arch::set_this_cpu_hyp(&g_loop[p]);
  arch::guest_mode_enter();
  g_loop[p].started = true;
  g_loop[p].need_resched = true;
  // The first guest entry of this pCPU is made with a timer deadline already passed, so that
  // the guest's first instruction is interrupted: the world switch's IRQ exit runs on every boot
  // (run_loop arms it after the first reschedule has programmed the real next event).
  g_loop[p].prime_irq = arch::irq_ready();
  run_loop();
}

}  // namespace

void scheduling_init(u32 pcpus) {
  g_pcpus = pcpus < kMaxPcpus ? pcpus : kMaxPcpus;
  if (!g_scheduler.init(g_pcpus, arch::now_ns())) {
    panic("scheduler: cannot run %u pCPUs", g_pcpus);
  }
}

void scheduling_start() {
  __atomic_store_n(&g_released, true, __ATOMIC_RELEASE);
  for (u32 p = 1; p < g_pcpus; ++p) {
    arch::send_ipi(p);
  }
  scheduling_enter();
}

void secondary_main() {
  while (!__atomic_load_n(&g_released, __ATOMIC_ACQUIRE)) {
    arch::wait_for_interrupt();
  }
  if (arch::this_cpu_index() >= g_pcpus) {
    for (;;) {
      arch::wait_for_interrupt();  // not one of the scheduler's pCPUs
    }
  }
  scheduling_enter();
}

void apply(PcpuMask mask) {
  const u32 self = arch::this_cpu_index();
  for (u32 p = 0; mask != 0; ++p, mask >>= 1) {
    if ((mask & 1) == 0) {
      continue;
    }
    if (p == self) {
      g_loop[p].need_resched = true;
    } else if (arch::irq_ready()) {
      arch::send_ipi(p);
    }
  }
}

void sync_el1(Vcpu& v) {
  // Only a legacy-mode area walks them; mapped and phys areas were resolved at registration.
  if (v.domain->runstate.va_policy == VaPolicy::legacy && vcpu_is_current(v)) {
    v.runstate.el1 = guest_stage1(v);
  }
}

void run_loop() {
  PcpuLoop& loop = this_loop();
  for (;;) {
    if (Vcpu* next = reschedule()) {
      if (loop.prime_irq) {
        loop.prime_irq = false;
        arch::timer_program(arch::this_cpu_index(), arch::now_ns());
      }
      irq_prepare(*next);
      resume_prepare(*next);
      arch::vcpu_run(next->arch);
    }
    if (g_scheduler.next_event(arch::this_cpu_index()) == kNever) {
      check_nothing_ahead();  // may stop a domain that nothing can wake any more
    }
    while (!loop.need_resched) {
      arch::wait_for_interrupt();
    }
  }
}

// ---- from the architecture (arch/arch.hpp)

void on_timer(u32 pcpu, u64 now) {
  PcpuLoop& loop = g_loop[pcpu];
  if (!loop.started) {
    return;
  }
  if (g_scheduler.tick(pcpu, now)) {
    loop.need_resched = true;
  }
  apply(g_scheduler.expire(pcpu, now));
  maybe_print_progress(pcpu, now);
  // With a reschedule pending, reschedule() programs the timer once schedule() has renewed the
  // slice: the old slice end is past, and programming it here would fire again at once.
  if (!loop.need_resched) {
    program_next_event(pcpu);
  }
}

void on_ipi(u32 pcpu) { g_loop[pcpu].need_resched = true; }

arch::VcpuState* hypercall_resume_here(arch::VcpuState& v) {
  if (this_loop().need_resched) [[unlikely]] {
    return nullptr;
  }
  entry_prepare(vcpu_of(v));
  return &v;
}

arch::VcpuState* exit_resume_here(arch::VcpuState& v) {
  ++vcpu_of(v).counters.exits;
  return hypercall_resume_here(v);
}

arch::VcpuState* exit_resume(arch::VcpuState& v) {
  if (arch::VcpuState* self = exit_resume_here(v)) [[likely]] {
    return self;
  }
  return exit_reschedule();
}

arch::VcpuState* exit_reschedule() {
  if (Vcpu* next = reschedule()) {
    irq_prepare(*next);
    resume_prepare(*next);
    return &next->arch;
  }
  run_loop();
}

}  // namespace runhv::hyp
