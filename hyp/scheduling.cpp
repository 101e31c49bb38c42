// The per-pCPU scheduling loop: core/sched.hpp's Scheduler driven by the EL2 timer, IPIs, guest
// exits and the guest services of hyp/scheduling.hpp
// SPDX-License-Identifier: MIT
//
// One Scheduler over every pCPU that came up. Each pCPU keeps a `need_resched` flag: scheduler
// calls that want a reschedule here set it (the reschedule contract in core/sched.hpp), and the
// end of every guest exit (exit_resume) and the idle loop act on it with schedule() and a switch:
//   save the outgoing vCPU's context -> load the incoming domain's stage 2 (VMID-tagged TLBs: no
//   flush) -> inject its virtual timer if it expired while it was off the CPU -> publish its
//   PV-time stolen time -> restore its context -> enter it.
// Bits for other pCPUs become reschedule IPIs (SGI 0). After every schedule(), tick() and
// expire() the EL2 timer is programmed for next_event(). An idle pCPU waits in WFI at EL2 and
// takes its interrupts there. The scheduler is the only one to change a vCPU's runstate.
#include "hyp/scheduling.hpp"

#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/hcr.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/irq.hpp"
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/stage2.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "core/format.hpp"
#include "core/log.hpp"
#include "core/psci.hpp"
#include "core/xen_abi.hpp"
#include "hyp/console.hpp"
#include "hyp/cpus.hpp"
#include "hyp/frame_table.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/vcpu_info.hpp"
#include "lib/panic.hpp"

namespace runhv::hyp {
namespace {

// PSTATE at a vCPU's first entry: EL1h with D, A, I and F masked.
constexpr u64 kSpsrEl1hMasked = 0x3C5;

struct alignas(64) PcpuLoop {
  bool prime_irq = false;  // before the first guest entry: a timer deadline already passed
  volatile bool need_resched = false;
  volatile bool started = false;  // in scheduling_enter(): the scheduler runs this pCPU
  u64 vttbr = ~u64{0};            // the stage 2 loaded here
};

constinit Scheduler g_sched;
PcpuLoop g_loop[arch::kMaxCpus];
u32 g_pcpus = 0;
volatile bool g_released = false;
u32 g_domains_up = 0;  // domains started and not yet shut down
SpinLock g_up_lock;    // one vcpu_up at a time (the target's registers are written unlocked)

PcpuLoop& this_loop() { return g_loop[arch::this_cpu_index()]; }

Vcpu* loaded() { return reinterpret_cast<Vcpu*>(arch::this_cpu().current); }

Vcpu& vcpu_of(const SchedVcpu& s) { return find_domain(static_cast<u16>(s.domain()))->vcpus[s.vcpu()]; }

// The reschedule contract: our bit means "schedule before returning to the guest", any other an IPI.
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

void program_next_event(u32 pcpu) {
  if (!arch::irq_ready()) {
    return;
  }
  const u64 at = g_sched.next_event(pcpu);
  if (at == kNever) {
    arch::timer_cancel();
  } else {
    arch::timer_program(pcpu, at);
  }
}

// A loaded vCPU's EL1 translation registers, for the runstate update a transition makes (the
// legacy policy walks the area's VA in them).
void sync_el1(Vcpu& v) {
  // Only a legacy-mode area walks them; mapped and phys areas were resolved at registration.
  if (v.domain->runstate.va_policy == VaPolicy::legacy && vcpu_is_current(v)) {
    v.runstate.el1 = guest_stage1(v);
  }
}

// The deadline of the loaded vCPU's virtual timer in ns (CNTVOFF is 0: CVAL counts CNTPCT
// ticks), or kNever when it is off or masked.
u64 vtimer_deadline_live() {
  const u64 ctl = arch::sysreg::read_cntv_ctl_el0();
  if ((ctl & arch::kTimerEnable) == 0 || (ctl & arch::kTimerImask) != 0) {
    return kNever;
  }
  const u64 cval = arch::sysreg::read_cntv_cval_el0();
  if (cval / arch::timer_frequency() > 1'000'000'000) {  // beyond 30 years: never
    return kNever;
  }
  return arch::ticks_to_ns(cval);
}

// A vCPU coming back onto the CPU whose virtual timer condition was met while it was off: the
// interrupt the hardware would have raised is injected, and masked at its source, as the live
// path (arch/aarch64/irq.cpp) does.
void vtimer_catch_up(Vcpu& v) {
  arch::El1State& e = v.ctx.el1;
  if ((e.cntv_ctl & arch::kTimerEnable) == 0 || (e.cntv_ctl & arch::kTimerImask) != 0) {
    return;
  }
  if (e.cntv_cval <= arch::sysreg::read_cntpct_el0() - e.cntvoff) {
    e.cntv_ctl |= arch::kTimerImask;
    v.vtimer_masked = true;
    arch::ich::inject_saved(v.ctx.gic, arch::gicv3::kIntidVirtualTimer);
  }
}

void switch_to(Vcpu* next, u64 now) {
  arch::PerCpu& cpu = arch::this_cpu();
  Vcpu* prev = loaded();
  if (prev == next) {
    return;
  }
  if (prev != nullptr) {
    // (runstate.el1 was taken by sync_el1() before schedule() made the transition.)
    vcpu_context_save(*prev);
    __atomic_store_n(&prev->loaded_on, -1, __ATOMIC_RELEASE);
  }
  cpu.current = nullptr;
  if (next == nullptr) {
    return;
  }
  PcpuLoop& loop = g_loop[cpu.index];
  const mmu::Stage2Regs& s2 = next->domain->space.s2;
  if (loop.vttbr != s2.vttbr) {
    arch::load_stage2(s2);
    loop.vttbr = s2.vttbr;
  }
  vtimer_catch_up(*next);
  if (next->domain->pv_time != nullptr) {
    write_stolen_time(&next->domain->pv_time[next->id], pv_stolen_time(next->runstate.account, now));
  }
  vcpu_context_restore(*next);
  vcpu_vtimer_unmask(*next);
  __atomic_store_n(&next->loaded_on, static_cast<i32>(cpu.index), __ATOMIC_RELEASE);
  cpu.current = &next->regs;
}

// schedule() on this pCPU and the switch to its choice (nullptr: idle).
Vcpu* reschedule() {
  const u32 p = arch::this_cpu_index();
  g_loop[p].need_resched = false;
  if (Vcpu* prev = loaded()) {
    sync_el1(*prev);
  }
  const u64 now = arch::now_ns();
  SchedVcpu* s = g_sched.schedule(p, now);
  Vcpu* next = s != nullptr ? &vcpu_of(*s) : nullptr;
  switch_to(next, now);
  program_next_event(p);
  return next;
}

// Runs whatever this pCPU's scheduler says, idling in between. Every entry resets SP_EL2 to the
// top of this pCPU's stack (world_switch.S), so nothing here ever unwinds.
[[noreturn]] void run_loop() {
  PcpuLoop& loop = this_loop();
  for (;;) {
    if (Vcpu* next = reschedule()) {
      if (loop.prime_irq) {
        loop.prime_irq = false;
        arch::timer_program(arch::this_cpu_index(), arch::now_ns());
      }
      runhv_guest_resume(&next->regs);
    }
    while (!loop.need_resched) {
      arch::wait_for_interrupt();
    }
  }
}

// The loaded, running vCPU `v` blocks unless it has a virtual interrupt pending, until its
// virtual timer's deadline.
void block_current(Vcpu& v) {
  vcpu_vtimer_unmask(v);
  if (!arch::irq_ready() || arch::ich::pending_live()) {
    return;  // nothing would end the wait, or nothing to wait for
  }
  const u64 deadline = vtimer_deadline_live();
  sync_el1(v);
  if (g_sched.block(v.sched, arch::now_ns(), deadline)) {
    this_loop().need_resched = true;
  }
}

void print_stats(const Vcpu& v, u64 now, const char* kind = "stats") {
  const vcpu_runstate_info r = v.runstate.account.snapshot(now);
  const vcpu_runstate_info& a = v.runstate.account.info();  // what the last area update wrote
  const SchedVcpuStats s = g_sched.stats(v.sched);
  char line[512];
  const usize n =
      format(line, sizeof line,
             "runhv: %s {\"domain\":%u,\"vcpu\":%u,\"running_ns\":%lu,\"runnable_ns\":%lu,\"blocked_ns\":%lu,"
             "\"offline_ns\":%lu,\"switches\":%lu,\"slices_expired\":%lu,\"yields\":%lu,\"blocks\":%lu,\"wakes\":%lu,"
             "\"hypercalls\":%lu,\"hypercall_errors\":%lu,\"pinned_pages\":%u,\"pcpu\":%u,\"area_updates\":%lu,"
             "\"walk_failures\":%lu,\"mode\":\"%s\",\"area_state\":%d,\"area_state_entry_time\":%lu,"
             "\"area_running_ns\":%lu,\"area_runnable_ns\":%lu,\"area_blocked_ns\":%lu,\"area_offline_ns\":%lu}\n",
             kind, static_cast<unsigned>(v.domain->number), v.id, r.time[0], r.time[1], r.time[2], r.time[3],
             s.switches_in, s.slices_expired, s.yields, s.blocks, s.wakes, v.counters.hypercalls,
             v.counters.hypercall_errors, v.runstate.area.pinned_frames(), v.sched.pcpu(), v.runstate.area.updates(),
             v.runstate.area.walk_failures(), v.domain->runstate.va_policy == VaPolicy::legacy ? "legacy" : "mapped",
             a.state, a.state_entry_time, a.time[0], a.time[1], a.time[2], a.time[3]);
  console::write(line, n);
}

u64 g_progress_interval_ns = 0;
u64 g_next_progress = 0;

// pCPU 0, from its timer: the running domains' figures as they stand. Reads other pCPUs' vCPUs
// without their locks: a display, the final `stats` lines are the exact ones.
void maybe_print_progress(u32 pcpu, u64 now) {
  if (pcpu != 0 || g_progress_interval_ns == 0 || now < g_next_progress) {
    return;
  }
  g_next_progress = now + g_progress_interval_ns;
  for (u16 n = 1; n <= kMaxDomains; ++n) {
    const Domain* d = find_domain(n);
    if (d == nullptr || !__atomic_load_n(&d->running, __ATOMIC_ACQUIRE)) {
      continue;
    }
    for (u32 i = 0; i < d->nr_vcpus; ++i) {
      print_stats(d->vcpus[i], now, "progress");
    }
  }
}

}  // namespace

// ---- hyp/sched_loop.hpp

Scheduler& scheduler() { return g_sched; }

void set_progress_interval(u32 ms) {
  g_progress_interval_ns = u64{ms} * 1'000'000;
  g_next_progress = arch::now_ns() + g_progress_interval_ns;
}

void scheduling_init(u32 pcpus) {
  g_pcpus = pcpus < arch::kMaxCpus ? pcpus : arch::kMaxCpus;
  if (!g_sched.init(g_pcpus, arch::now_ns())) {
    panic("scheduler: cannot run %u pCPUs", g_pcpus);
  }
}

void scheduling_enter() {
  const u32 p = arch::this_cpu_index();
  arch::sysreg::write_vpidr_el2(arch::sysreg::read_midr_el1());
  arch::sysreg::write_hcr_el2(arch::kHcrGuest);
  arch::sysreg::isb();
  g_loop[p].started = true;
  g_loop[p].need_resched = true;
  // The first guest entry of this pCPU is made with an EL2 timer deadline already passed, so
  // that the guest's first instruction is interrupted: the world switch's IRQ exit runs on every
  // boot (run_loop arms it after the first reschedule has programmed the real next event).
  g_loop[p].prime_irq = arch::irq_ready();
  run_loop();
}

void domain_started() { __atomic_add_fetch(&g_domains_up, 1, __ATOMIC_ACQ_REL); }

void scheduling_release() {
  __atomic_store_n(&g_released, true, __ATOMIC_RELEASE);
  for (u32 p = 1; p < g_pcpus; ++p) {
    arch::send_ipi(p);
  }
}

void scheduling_wait() {
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

// ---- IRQ hooks (hyp/cpus.hpp)

void on_timer(u32 pcpu, u64 now) {
  arch::g_percpu[pcpu].timer_ticks = arch::g_percpu[pcpu].timer_ticks + 1;
  PcpuLoop& loop = g_loop[pcpu];
  if (!loop.started) {
    return;
  }
  if (g_sched.tick(pcpu, now)) {
    loop.need_resched = true;
  }
  apply(g_sched.expire(pcpu, now));
  maybe_print_progress(pcpu, now);
  // With a reschedule pending, reschedule() programs the timer once schedule() has renewed the
  // slice: the old slice end is past, and programming it here would fire again at once.
  if (!loop.need_resched) {
    program_next_event(pcpu);
  }
}

void on_ipi(u32 pcpu) { g_loop[pcpu].need_resched = true; }

// ---- guest exits (hyp/domain.hpp)

arch::VcpuFrame* exit_resume(Vcpu& v) {
  if (!this_loop().need_resched) [[likely]] {
    vcpu_vtimer_unmask(v);
    return &v.regs;
  }
  if (Vcpu* next = reschedule()) {
    if (next == &v) {
      vcpu_vtimer_unmask(v);
    }
    return &next->regs;
  }
  run_loop();
}

void on_wfi(Vcpu& v, bool wfe) {
  if (wfe) {
    vcpu_yield(v);
    return;
  }
  block_current(v);
}

// ---- hyp/scheduling.hpp

u64 now_ns() { return arch::now_ns(); }

void vcpu_yield(Vcpu& /*caller*/) {
  if (g_sched.yield(arch::this_cpu_index())) {
    this_loop().need_resched = true;
  }
}

void vcpu_block(Vcpu& caller) { block_current(caller); }

bool vcpu_raise_event(Vcpu& v) {
  const auto self = static_cast<i32>(arch::this_cpu_index());
  const i32 on = __atomic_load_n(&v.loaded_on, __ATOMIC_ACQUIRE);
  if ((on != -1 && on != self) || !vcpu_inject(v, kEventChannelIntid)) {
    return false;
  }
  apply(g_sched.wake(v.sched, arch::now_ns()));
  return true;
}

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
  if (entry == kKeepPc && !t.started) {
    // VCPUOP_up of a vCPU that never had a context (Xen: not initialised): use PSCI CPU_ON.
    g_up_lock.unlock();
    logf("d%uv%u: VCPUOP_up of vcpu %u, which was never started", static_cast<unsigned>(d.number), caller.id, target);
    return xen::error(xen::Errno::einval);
  }
  // Gone offline but maybe still being switched out on its home pCPU: wait for its context.
  const auto self = static_cast<i32>(arch::this_cpu_index());
  for (i32 on = 0; (on = __atomic_load_n(&t.loaded_on, __ATOMIC_ACQUIRE)) != -1 && on != self;) {
  }
  if (entry != kKeepPc) {
    t.regs = arch::VcpuFrame{};
    t.regs.x[0] = context;
    t.regs.elr = entry;
    t.regs.spsr = kSpsrEl1hMasked;
    t.ctx = arch::initial_context(vcpu_vmpidr(target));
    t.started = true;
  }
  const PcpuMask mask = g_sched.vcpu_up(t.sched, arch::now_ns());
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
  sync_el1(t);
  apply(g_sched.vcpu_down(t.sched, arch::now_ns()));
  return 0;
}

bool vcpu_is_up(const Domain& d, u32 target) {
  return target < d.nr_vcpus && d.vcpus[target].sched.state() != RunstateState::offline;
}

void domain_shutdown(Vcpu& caller, const char* reason) {
  Domain& d = *caller.domain;
  sync_el1(caller);
  const bool first = __atomic_exchange_n(&d.running, false, __ATOMIC_ACQ_REL);
  const u64 now = arch::now_ns();
  if (!first) {
    // Another vCPU of the domain is shutting it down: just leave.
    apply(g_sched.vcpu_down(caller.sched, now));
    run_loop();
  }
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    apply(g_sched.vcpu_down(d.vcpus[i].sched, now));
  }
  d.console.flush();
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    print_stats(d.vcpus[i], now);
  }
  // Teardown: every pin the domain's runstate areas and vcpu_infos hold is dropped (under each
  // area's lock, so an update in flight on another pCPU finishes first).
  u64 held = 0;
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    held += d.vcpus[i].runstate.area.pinned_frames();
    d.vcpus[i].runstate.area.release();
  }
  release_vcpu_info(d);
  console::print("runhv: teardown {\"domain\":%u,\"pinned_pages_released\":%lu,\"machine_pinned_pages\":%lu}\n",
                 static_cast<unsigned>(d.number), held, frame_table().pinned());
  console::print("runhv: d%u stopped (%s)\n", static_cast<unsigned>(d.number), reason);
  if (__atomic_sub_fetch(&g_domains_up, 1, __ATOMIC_ACQ_REL) == 0) {
    console::print("runhv: cpu%u: interrupts taken while a guest ran: %lu\n", arch::this_cpu_index(),
                   arch::this_cpu().guest_irqs);
    console::print("runhv: all domains down, powering off\n");
    arch::psci::system_off();
  }
  run_loop();
}

}  // namespace runhv::hyp
