// Probe benchmark scenario: instruction counts of hypercalls, PSCI and SCHEDOP_yield
// SPDX-License-Identifier: MIT
//
// The method of ../shared/reference/measuring.md: under QEMU -icount shift=0,sleep=off every
// instruction (guest or hypervisor) advances the virtual clock by 1 ns, and the guest reads that
// clock through CNTVCT_EL0 (1e9 / CNTFRQ ns per tick: 16 on QEMU virt, read here, not assumed).
// Each figure is a hand-written asm loop of N iterations (probe.iterations=, 100000 by default)
// timed with `isb; mrs cntvct_el0` before and after, taken kRuns times; the record gives the
// minimum as ns per operation x 1000 (an integer) and as instructions (= ns under icount).
// hypercall_null and psci_version are net of a baseline loop with the same body minus the hvc;
// the yield figures are raw (loop overhead included, 12 instructions), as measuring.md says:
// context_switch = yield_switch - yield_noswitch cancels it, and both use the same loop.
// The guest's interrupts are masked and its timer is off throughout.
#include "guests/probe/console.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/runstate.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/smp.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

constexpr u64 kRuns = 3;
constexpr u64 kWaitSeconds = 60;  // for CPU 1 at a barrier or to finish

// Ticks of n iterations of `subs; b.ne` (2 instructions): the method's self-check.
u64 time_loop_check(u64 n) {
  u64 t0 = 0;
  u64 t1 = 0;
  asm volatile(
      "isb\n"
      "mrs %[t0], cntvct_el0\n"
      "1:\n"
      "subs %[n], %[n], #1\n"
      "b.ne 1b\n"
      "isb\n"
      "mrs %[t1], cntvct_el0\n"
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [n] "+r"(n)
      :
      : "cc");
  return t1 - t0;
}

// The null hypercall's loop without the hvc.
u64 time_baseline(u64 n) {
  u64 t0 = 0;
  u64 t1 = 0;
  asm volatile(
      "mov x9, %[n]\n"
      "isb\n"
      "mrs %[t0], cntvct_el0\n"
      "1:\n"
      "mov x16, #17\n"
      "mov x0, #0\n"
      "subs x9, x9, #1\n"
      "b.ne 1b\n"
      "isb\n"
      "mrs %[t1], cntvct_el0\n"
      : [t0] "=&r"(t0), [t1] "=&r"(t1)
      : [n] "r"(n)
      : "x0", "x9", "x16", "cc");
  return t1 - t0;
}

// xen_version(XENVER_version): HVC #0xEA1, x16 = 17, x0 = 0. *result = the last x0.
u64 time_hypercall_null(u64 n, u64& result) {
  u64 t0 = 0;
  u64 t1 = 0;
  u64 r = 0;
  asm volatile(
      "mov x9, %[n]\n"
      "isb\n"
      "mrs %[t0], cntvct_el0\n"
      "1:\n"
      "mov x16, #17\n"
      "mov x0, #0\n"
      "hvc #0xea1\n"
      "subs x9, x9, #1\n"
      "b.ne 1b\n"
      "isb\n"
      "mrs %[t1], cntvct_el0\n"
      "mov %[r], x0\n"
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [r] "=&r"(r)
      : [n] "r"(n)
      : "x0", "x1", "x2", "x3", "x4", "x5", "x9", "x16", "x17", "cc", "memory");
  result = r;
  return t1 - t0;
}

// PSCI_VERSION's loop without the hvc.
u64 time_psci_baseline(u64 n) {
  u64 t0 = 0;
  u64 t1 = 0;
  asm volatile(
      "mov x9, %[n]\n"
      "isb\n"
      "mrs %[t0], cntvct_el0\n"
      "1:\n"
      "movz x0, #0x8400, lsl #16\n"
      "subs x9, x9, #1\n"
      "b.ne 1b\n"
      "isb\n"
      "mrs %[t1], cntvct_el0\n"
      : [t0] "=&r"(t0), [t1] "=&r"(t1)
      : [n] "r"(n)
      : "x0", "x9", "cc");
  return t1 - t0;
}

// PSCI_VERSION (0x84000000) over HVC #0 (SMCCC: x0..x3 results, x4..x17 preserved).
u64 time_psci_version(u64 n, u64& result) {
  u64 t0 = 0;
  u64 t1 = 0;
  u64 r = 0;
  asm volatile(
      "mov x9, %[n]\n"
      "isb\n"
      "mrs %[t0], cntvct_el0\n"
      "1:\n"
      "movz x0, #0x8400, lsl #16\n"
      "hvc #0\n"
      "subs x9, x9, #1\n"
      "b.ne 1b\n"
      "isb\n"
      "mrs %[t1], cntvct_el0\n"
      "mov %[r], x0\n"
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [r] "=&r"(r)
      : [n] "r"(n)
      : "x0", "x1", "x2", "x3", "x9", "cc", "memory");
  result = r;
  return t1 - t0;
}

struct YieldRun {
  u64 ticks;
  u64 misses;  // yields after which *other had not moved
  u64 result;  // the last SCHEDOP_yield's x0
};

// m times: count up *mine (release), note *other, SCHEDOP_yield (x16 = 29, x0 = 0), then a miss
// if *other has not moved: with another vCPU yielding the same way on the same pCPU, every
// yield must have run it. Alone, every yield is a miss (and nothing else is looked at).
YieldRun time_yields(u64 m, u64* mine, const u64* other) {
  YieldRun run{};
  u64 t0 = 0;
  u64 t1 = 0;
  asm volatile(
      "mov x9, %[m]\n"
      "mov x10, %[mine]\n"
      "mov x11, %[other]\n"
      "mov x12, #0\n"
      "ldr x13, [x10]\n"
      "isb\n"
      "mrs %[t0], cntvct_el0\n"
      "1:\n"
      "add x13, x13, #1\n"
      "stlr x13, [x10]\n"
      "ldar x14, [x11]\n"
      "mov x16, #29\n"
      "mov x0, #0\n"
      "mov x1, #0\n"
      "hvc #0xea1\n"
      "ldar x15, [x11]\n"
      "cmp x15, x14\n"
      "cinc x12, x12, eq\n"
      "subs x9, x9, #1\n"
      "b.ne 1b\n"
      "isb\n"
      "mrs %[t1], cntvct_el0\n"
      "mov %[misses], x12\n"
      "mov %[result], x0\n"
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [misses] "=&r"(run.misses), [result] "=&r"(run.result)
      : [m] "r"(m), [mine] "r"(mine), [other] "r"(other)
      : "x0", "x1", "x2", "x3", "x4", "x5", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "cc",
        "memory");
  run.ticks = t1 - t0;
  return run;
}

// One cache line each: CPU 0's and CPU 1's yield counters and barrier rounds.
struct alignas(64) Shared {
  u64 value;
};
Shared yield_count[2];
Shared ready_round[2];

// Store this CPU's round, wait (yielding) until the other CPU has reached it.
bool barrier(unsigned self, u64 round) {
  store_release(ready_round[self].value, round);
  const u64 deadline = timer::now() + kWaitSeconds * timer::frequency();
  while (load_acquire(ready_round[1 - self].value) < round) {
    if (timer::now() >= deadline) {
      return false;
    }
    smp::yield();
  }
  return true;
}

// kRuns rounds (barrier rounds `first`, `first` + 1, ...) of `m` switching yields on CPU `self`
// (0 or 1); the minimum of the timed loops. After each loop the counter moves once more: the
// other CPU's last yield came back here, and its check must see this CPU ran.
bool yield_rounds(unsigned self, u64 m, u64 first, u64& min_ticks, u64& misses, u64& last_result) {
  min_ticks = ~u64{0};
  misses = 0;
  for (u64 round = first; round < first + kRuns; ++round) {
    if (!barrier(self, round)) {
      return false;
    }
    const YieldRun run = time_yields(m, &yield_count[self].value, &yield_count[1 - self].value);
    store_release(yield_count[self].value, yield_count[self].value + 1);
    min_ticks = run.ticks < min_ticks ? run.ticks : min_ticks;
    misses += run.misses;
    last_result = run.result;
  }
  return true;
}

// ns per operation x 1000 for `ticks` CNTVCT ticks over `ops` operations.
u64 ns_x1000(u64 ticks, u64 ops, u64 cntfrq) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<u64>(static_cast<u128>(ticks) * 1'000'000'000'000ULL / (static_cast<u128>(cntfrq) * ops));
}

u64 min_of(u64 (*measure)(u64), u64 n) {
  u64 best = ~u64{0};
  for (u64 run = 0; run < kRuns; ++run) {
    const u64 ticks = measure(n);
    best = ticks < best ? ticks : best;
  }
  return best;
}

u64 min_of_call(u64 (*measure)(u64, u64&), u64 n, u64& result) {
  u64 best = ~u64{0};
  for (u64 run = 0; run < kRuns; ++run) {
    const u64 ticks = measure(n, result);
    best = ticks < best ? ticks : best;
  }
  return best;
}

u64 net(u64 value, u64 baseline) { return value > baseline ? value - baseline : 0; }
u64 instructions(u64 ns_x1000_value) { return (ns_x1000_value + 500) / 1000; }

}  // namespace

void yield_switch_on_secondary(PerCpu& self) {
  u64 ticks = 0;
  u64 misses = 0;
  u64 result = 0;
  const bool ok = yield_rounds(1, self.arg, 1, ticks, misses, result);
  self.misses = misses;
  self.elapsed_ticks = ticks;
  self.ok = ok && result == 0;
}

alignas(64) runstate::Info bench_areas[2];

bool run_bench(const Options& options, const Platform& platform) {
  const u64 cntfrq = timer::frequency();
  const u64 n = options.iterations;
  const u64 m = options.yields;
  const u64 loop_check = ns_x1000(min_of(time_loop_check, n), n, cntfrq);
  const u64 baseline = ns_x1000(min_of(time_baseline, n), n, cntfrq);
  if (!platform.xen) {
    // Without EL2 an hvc is undefined: only the self-check and the baseline mean anything.
    Record("bench")
        .num("cntfrq", cntfrq)
        .num("iterations", n)
        .num("loop_check_ns_x1000", loop_check)
        .num("baseline_ns_x1000", baseline)
        .num("runs", kRuns)
        .flag("hypervisor", false)
        .text("error", "no hypervisor")
        .flag("pass", false)
        .end();
    return false;
  }

  u64 version = 0;
  const u64 hypercall = ns_x1000(min_of_call(time_hypercall_null, n, version), n, cntfrq);
  const u64 psci_baseline = ns_x1000(min_of(time_psci_baseline, n), n, cntfrq);
  u64 psci_version = 0;
  const u64 psci = ns_x1000(min_of_call(time_psci_version, n, psci_version), n, cntfrq);

  // With probe.bench-area=1 both vCPUs have a runstate area registered by kernel VA (and the
  // update flag on), so every switch below also updates two areas in the domain's mode.
  long area_rc[2] = {0, 0};
  if (options.bench_area) {
    runstate::enable_update_flag();
    area_rc[0] = runstate::register_va(0, reinterpret_cast<u64>(&bench_areas[0]));
    area_rc[1] = runstate::register_va(1, reinterpret_cast<u64>(&bench_areas[1]));
  }

  // Alone: CPU 1 is not started yet, so no other vCPU of this domain is runnable.
  u64 lone_ticks = ~u64{0};
  u64 lone_result = 0;
  for (u64 run = 0; run < kRuns; ++run) {
    const YieldRun r = time_yields(m, &yield_count[0].value, &yield_count[1].value);
    lone_ticks = r.ticks < lone_ticks ? r.ticks : lone_ticks;
    lone_result = r.result;
  }
  const u64 yield_noswitch = ns_x1000(lone_ticks, m, cntfrq);
  yield_count[0].value = 0;

  // Switching: CPU 0 and CPU 1 yield to each other; CPU 0's loop spans 2m yields.
  const bool two_cpus = smp::count() >= 2;
  bool switch_ok = true;
  u64 switch_ticks = 0;
  u64 misses = 0;
  const char* error = nullptr;
  if (two_cpus) {
    u64 result = 0;
    if (!smp::start(1, Work::yield_switch, m, kRuns)) {
      error = "cpu_on failed";
      switch_ok = false;
    } else if (!yield_rounds(0, m, 1, switch_ticks, misses, result)) {
      error = "cpu 1 did not reach the barrier";
      switch_ok = false;
    } else if (!smp::wait_done(1, kWaitSeconds * timer::frequency(), true)) {
      error = "cpu 1 did not finish";
      switch_ok = false;
    } else {
      misses += probe_cpus[1].misses;
      switch_ok = result == 0 && probe_cpus[1].ok;
      if (!switch_ok) {
        error = "yield failed";
      }
    }
  }
  const u64 yield_switch = ns_x1000(switch_ticks, 2 * m, cntfrq);

  // Every call answered as it should; a few yields that did not switch (a preemption between
  // the counter and the hvc) are tolerated, a yield that does not switch at all is not.
  const bool calls_ok =
      static_cast<i64>(version) >= 0 && psci_version >= 0x10000 && psci_version < (u64{1} << 31) && lone_result == 0;
  const bool misses_ok = misses * 100 <= 2 * m * kRuns;
  if (error == nullptr && !calls_ok) {
    error = "unexpected hypercall result";
  }
  if (error == nullptr && two_cpus && !misses_ok) {
    error = "yields did not switch";
  }
  const bool areas_ok = !options.bench_area || (area_rc[0] == 0 && area_rc[1] == 0);
  const bool pass = calls_ok && switch_ok && (!two_cpus || misses_ok) && areas_ok;

  const u64 hypercall_net = net(hypercall, baseline);
  const u64 psci_net = net(psci, psci_baseline);
  Record r("bench");
  r.num("cntfrq", cntfrq)
      .num("iterations", n)
      .num("loop_check_ns_x1000", loop_check)
      .num("baseline_ns_x1000", baseline)
      .num("hypercall_null_ns_x1000", hypercall_net)
      .num("psci_baseline_ns_x1000", psci_baseline)
      .num("psci_version_ns_x1000", psci_net)
      .num("yield_noswitch_ns_x1000", yield_noswitch);
  if (two_cpus) {
    r.num("yield_switch_ns_x1000", yield_switch).num("yield_switch_misses", misses);
  }
  r.num("runs", kRuns).num("yields", m);
  r.num("hypercall_null_instructions", instructions(hypercall_net))
      .num("psci_version_instructions", instructions(psci_net))
      .num("yield_noswitch_instructions", instructions(yield_noswitch));
  if (two_cpus) {
    r.num("yield_switch_instructions", instructions(yield_switch));
  }
  r.num("xen_version_result", version).num("psci_version_result", psci_version).flag("hypervisor", true);
  if (error != nullptr) {
    r.text("error", error);
  }
  r.flag("runstate_areas", options.bench_area && areas_ok);
  r.flag("pass", pass).end();
  return pass;
}

// runstate_update/target (scenario bench-runstate): yield_rounds' switching loop in phases that
// differ only in the runstate areas registered; CPU 0 changes them for both vCPUs between phases
// while CPU 1 waits at the barrier. Every switch makes two runstate changes, the outgoing vCPU's
// (running -> runnable) and the incoming one's (runnable -> running), each followed by that
// vCPU's area update (core/vcpu_op.hpp). With vCPU 0's area alone, exactly one of the two writes
// an area (vCPU 0 leaves or enters at every switch); with both, two. A phase's update figure is
// its yield_switch minus that of the first phase (no area), over the areas written per switch:
// what a registered area adds to one update. The last phase, no area again, must give the
// first's figure. After each phase CPU 0 reads the areas against its own clock: vCPU 0 running
// since a switch within the phase, the flag clear, vCPU 1 (if registered) runnable since the
// same switch, vCPU 0's creation time (state_entry_time - sum(time[])) the same throughout, and
// an area not registered never written.
namespace {

struct AreaPhase {
  const char* switch_key;  // its yield_switch in the record
  const char* update_key;  // its figure per area update (phases with an area)
  u32 areas;               // vCPUs with an area: 0, 1 (vCPU 0) or 2
  bool phys;               // by IPA (always the update flag), else by VA
  bool flag;               // VMASST_TYPE_runstate_update_flag on (from then on: flag-off phases first)
};

constexpr AreaPhase kAreaPhases[] = {
    {"none_switch_ns_x1000", nullptr, 0, false, false},
    {"va1_switch_ns_x1000", "va1_update_ns_x1000", 1, false, false},
    {"va2_switch_ns_x1000", "va2_update_ns_x1000", 2, false, false},
    {"va1_flag_switch_ns_x1000", "va1_flag_update_ns_x1000", 1, false, true},
    {"va2_flag_switch_ns_x1000", "va2_flag_update_ns_x1000", 2, false, true},
    {"phys1_switch_ns_x1000", "phys1_update_ns_x1000", 1, true, true},
    {"phys2_switch_ns_x1000", "phys2_update_ns_x1000", 2, true, true},
    {"none_again_switch_ns_x1000", nullptr, 0, false, true},
};
constexpr u64 kAreaPhaseCount = sizeof(kAreaPhases) / sizeof(kAreaPhases[0]);

u64 first_round(u64 phase) { return 1 + phase * kRuns; }

// Unregisters both vCPUs' areas, then registers those of `phase` on zeroed records.
bool set_areas(const AreaPhase& phase) {
  bool ok = true;
  for (u32 v = 0; v < 2; ++v) {
    ok = runstate::register_va(v, 0) == 0 && ok;
    ok = runstate::register_phys(v, runstate::kPhysUnregister) == 0 && ok;
    bench_areas[v] = runstate::Info{};
  }
  if (phase.flag) {
    ok = runstate::enable_update_flag() == 0 && ok;
  }
  for (u32 v = 0; v < phase.areas; ++v) {
    const long rc = phase.phys ? runstate::register_phys(v, mmu::virt_to_phys(&bench_areas[v]))
                               : runstate::register_va(v, reinterpret_cast<u64>(&bench_areas[v]));
    ok = rc == 0 && ok;
  }
  return ok;
}

// The areas as CPU 0 sees them right after its rounds of a phase that began at `start_ns`; an
// area not registered in the phase must still hold the zeros set_areas() left.
bool areas_agree(const AreaPhase& phase, u64 start_ns, u64& creation) {
  runstate::ReadCounts counts{};
  runstate::Info seen[2] = {};
  for (u32 v = 0; v < 2; ++v) {
    runstate::read(&bench_areas[v], seen[v], counts);
  }
  const u64 now = runstate::now_ns();
  bool ok = true;
  for (u32 v = phase.areas; v < 2; ++v) {
    ok = ok && seen[v].state_entry_time == 0 && runstate::sum(seen[v]) == 0;
  }
  if (phase.areas == 0) {
    return ok;
  }
  const runstate::Info& mine = seen[0];
  ok = ok && mine.state == runstate::kRunning && (mine.state_entry_time & runstate::kUpdateFlag) == 0 &&
       mine.state_entry_time >= start_ns && mine.state_entry_time <= now;
  if (creation == 0) {
    creation = runstate::base(mine);
  }
  ok = ok && runstate::base(mine) == creation;
  if (phase.areas == 2) {
    ok = ok && seen[1].state == runstate::kRunnable && seen[1].state_entry_time == mine.state_entry_time;
  }
  return ok;
}

void area_phases_on_secondary(PerCpu& self) {
  bool ok = true;
  u64 misses = 0;
  for (u64 p = 0; p < kAreaPhaseCount && ok; ++p) {
    u64 ticks = 0;
    u64 phase_misses = 0;
    u64 result = 0;
    ok = yield_rounds(1, self.arg, first_round(p), ticks, phase_misses, result) && result == 0;
    misses += phase_misses;
  }
  self.misses = misses;
  self.ok = ok;
}

}  // namespace

bool run_bench_runstate(const Options& options, const Platform& platform) {
  const u64 cntfrq = timer::frequency();
  const u64 m = options.yields;
  const runstate::Clock& clock = runstate::init_clock();
  const char* error = nullptr;
  if (!platform.xen || smp::count() < 2) {
    error = "needs a hypervisor and two CPUs";
  } else {
    probe_cpus[1].work_fn = area_phases_on_secondary;
    if (!smp::start(1, Work::function, m, 0)) {
      error = "cpu_on failed";
    }
  }
  u64 ticks[kAreaPhaseCount] = {};
  u64 misses = 0;
  u64 creation = 0;
  for (u64 p = 0; p < kAreaPhaseCount && error == nullptr; ++p) {
    const AreaPhase& phase = kAreaPhases[p];
    u64 phase_misses = 0;
    u64 result = 0;
    if (!set_areas(phase)) {
      error = "area registration failed";
      break;
    }
    const u64 start_ns = runstate::now_ns();
    if (!yield_rounds(0, m, first_round(p), ticks[p], phase_misses, result)) {
      error = "cpu 1 did not reach the barrier";
    } else if (result != 0) {
      error = "yield failed";
    } else if (!areas_agree(phase, start_ns, creation)) {
      error = "an area disagrees with the clock";
    }
    misses += phase_misses;
  }
  if (error == nullptr && !set_areas(kAreaPhases[0])) {
    error = "area unregistration failed";
  }
  if (error == nullptr) {
    if (!smp::wait_done(1, kWaitSeconds * timer::frequency(), true)) {
      error = "cpu 1 did not finish";
    } else if (!probe_cpus[1].ok) {
      error = "cpu 1's yields failed";
    } else if ((misses + probe_cpus[1].misses) * 100 > 2 * m * kRuns * kAreaPhaseCount) {
      error = "yields did not switch";
    } else if (clock.offset_bound > runstate::kMaxClockBoundTicks) {
      error = "the guest clock's offset is not known";
    }
  }

  Record r("bench-runstate");
  r.num("cntfrq", cntfrq).num("runs", kRuns).num("yields", m);
  for (u64 p = 0; p < kAreaPhaseCount && error == nullptr; ++p) {
    const AreaPhase& phase = kAreaPhases[p];
    r.num(phase.switch_key, ns_x1000(ticks[p], 2 * m, cntfrq));
    if (phase.update_key != nullptr) {
      r.num(phase.update_key, ns_x1000(net(ticks[p], ticks[0]), 2 * m * phase.areas, cntfrq));
    }
  }
  r.num("misses", misses + probe_cpus[1].misses);
  if (error != nullptr) {
    r.text("error", error);
  }
  r.flag("pass", error == nullptr).end();
  return error == nullptr;
}

// The yield ring (scenario yield-ring, every vCPU of every domain on one pCPU): each CPU yields
// `m` times, timing the middle half, when every vCPU of the ring is in its loop (they all start
// within the first rounds and yield as many times). A round is one yield of every vCPU, so the
// ticks over m/2 yields, divided by the ring's size, are one yield with a switch: the switch
// from a queue of that many runnable vCPUs (./runhv bench: context_switch/64_runnable).
namespace {

struct RingRun {
  u64 ticks = 0;
  u64 result = 0;
};

RingRun ring_yields(u64 m) {
  u64 mine = 0;
  u64 other = 0;
  time_yields(m / 4, &mine, &other);
  const YieldRun run = time_yields(m / 2, &mine, &other);
  time_yields(m - m / 4 - m / 2, &mine, &other);
  return {run.ticks, run.result};
}

void ring_on_secondary(PerCpu& self) {
  const RingRun run = ring_yields(self.arg);
  self.elapsed_ticks = run.ticks;
  self.ok = run.result == 0;
}

}  // namespace

bool run_yield_ring(const Options& options, const Platform& platform) {
  const u64 m = options.yields;
  const unsigned cpus = smp::count();
  for (unsigned i = 1; i < cpus; ++i) {
    probe_cpus[i].work_fn = ring_on_secondary;
    smp::start(i, Work::function, m, 0);
  }
  const RingRun mine = ring_yields(m);
  bool pass = platform.xen && mine.result == 0;
  for (unsigned i = 0; i < cpus; ++i) {
    const bool done = i == 0 || smp::wait_done(i, kWaitSeconds * timer::frequency(), true);
    const u64 ticks = i == 0 ? mine.ticks : probe_cpus[i].elapsed_ticks;
    const bool ok = done && (i == 0 || probe_cpus[i].ok);
    Record("yield-ring")
        .num("cpu", i)
        .num("yields", m / 2)
        .num("round_ns_x1000", ns_x1000(ticks, m / 2, timer::frequency()))
        .flag("pass", ok)
        .end();
    pass = pass && ok;
  }
  return pass;
}

}  // namespace probe
