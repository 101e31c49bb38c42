// Probe scenarios, chosen by probe.scenario=: each prints one PROBE record
// SPDX-License-Identifier: MIT
#include "guests/probe/scenarios.hpp"

#include "guests/probe/console.hpp"
#include "guests/probe/frame.hpp"
#include "guests/probe/layout.h"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/smp.hpp"
#include "guests/probe/tasks.hpp"
#include "guests/probe/timer.hpp"
#include "guests/probe/user.hpp"

extern "C" char __tramp_start[];

namespace probe {
namespace {

constexpr u64 kSelftestYields = 100;
constexpr u64 kSelftestEl0Ticks = 10;
constexpr u64 kSelftestEl1Ticks = 3;
constexpr u64 kSelftestLimitSeconds = 10;
constexpr u64 kSecondaryGraceSeconds = 10;  // how much longer than its run CPU 0 waits for a CPU

u64 kernel_word;  // a kernel data word: mapped in the kernel root only
int syscaller_id = -1;
u64 deadline = 0;

bool selftest_done() {
  if (timer::now() >= deadline) {
    return true;
  }
  return !tasks::get(syscaller_id).live && counters().timer_irqs_el0 >= kSelftestEl0Ticks;
}

bool deadline_passed() { return timer::now() >= deadline; }

u64 tramp_at_read(u64 va) {
  const auto at_read = reinterpret_cast<u64 (*)(u64)>(probe_tramp_at_read_va);
  return at_read(va);
}

}  // namespace

bool run_selftest(const Options& options, const Platform& platform) {
  // Where this runs: EL1, at the high kernel VA, on the kernel stack there.
  u64 pc = 0;
  asm volatile("adr %0, ." : "=r"(pc));
  u64 sp = 0;
  asm volatile("mov %0, sp" : "=r"(sp));
  const bool at_el1 = ((read_currentel() >> 2) & 3) == 1;
  const bool high_va = pc >= PROBE_KIMAGE_VA && sp >= PROBE_KIMAGE_VA;

  // Tables: the kernel root maps kernel data (EL1 only), TTBR0 maps the user region for EL0,
  // the trampoline root maps its own page and nothing of the kernel.
  const u64 kernel_va = reinterpret_cast<u64>(&kernel_word);
  const u64 kernel_pa = mmu::virt_to_phys(&kernel_word);
  const u64 user_spins_va = mmu::user_va(const_cast<u64*>(&user_spins));
  const u64 par_kernel = at_s1e1r(kernel_va);
  const u64 par_kernel_el0 = at_s1e0r(kernel_va);
  const u64 par_user = at_s1e0r(user_spins_va);
  const u64 par_tramp_kernel = tramp_at_read(kernel_va);
  const u64 par_tramp_self = tramp_at_read(PROBE_TRAMP_VA);
  const unsigned tramp_leaves = mmu::count_leaves(mmu::tramp_root_pa());
  const bool tables = par_ok(par_kernel) && par_pa(par_kernel) == (kernel_pa & ~u64{0xfff}) &&
                      !par_ok(par_kernel_el0) && par_ok(par_user) &&
                      par_pa(par_user) == (mmu::virt_to_phys(const_cast<u64*>(&user_spins)) & ~u64{0xfff});
  const bool tramp_table = !par_ok(par_tramp_kernel) && par_ok(par_tramp_self) &&
                           par_pa(par_tramp_self) == mmu::virt_to_phys(__tramp_start) && tramp_leaves == 1;

  // The tick at EL1: wait for it in WFI.
  deadline = timer::now() + kSelftestLimitSeconds * timer::frequency();
  timer::start(kTickHz);
  while (counters().timer_irqs_el1 < kSelftestEl1Ticks && !deadline_passed()) {
    irqs_on();
    wfi();
    irqs_off();
  }
  const u64 el1_ticks = counters().timer_irqs_el1;

  // EL0: a task making syscalls next to a busy one, switched by ticks and yields.
  user_spins = 0;
  tasks::reset();
  syscaller_id = tasks::spawn(user_syscaller, kSelftestYields, user::stack_top(0));
  tasks::spawn(user_spinner, 0, user::stack_top(1));
  tasks::run(selftest_done);
  timer::stop();
  const tasks::Task& syscaller = tasks::get(syscaller_id);

  const bool el0_ok = !syscaller.live && syscaller.syscalls >= kSelftestYields + 2 && user_spins > 0 &&
                      counters().el0_prints == 1 && counters().timer_irqs_el0 >= kSelftestEl0Ticks &&
                      counters().el0_faults == 0;
  const bool fpsimd_preserved = !syscaller.live && syscaller.exit_code == 0;
  const u64 entries = counters().el0_entries;
  const bool kpti_path =
      counters().el0_entries_bad == 0 && entries > 0 &&
      (options.kpti ? counters().el0_entries_trampoline == entries : counters().el0_entries_direct == entries);
  const bool pass = at_el1 && high_va && tables && tramp_table && el1_ticks >= kSelftestEl1Ticks && el0_ok &&
                    fpsimd_preserved && kpti_path && counters().el0_returns > 0;

  Record("selftest")
      .num("kpti", options.kpti ? 1 : 0)
      .flag("hypervisor", platform.xen)
      .flag("el1", at_el1)
      .flag("high_va", high_va)
      .flag("tables", tables)
      .flag("trampoline_table", tramp_table)
      .num("tables_used", mmu::tables_used())
      .num("el0_entries", entries)
      .num("el0_entries_trampoline", counters().el0_entries_trampoline)
      .num("el0_entries_direct", counters().el0_entries_direct)
      .num("el0_returns", counters().el0_returns)
      .num("el0_syscalls", counters().el0_syscalls)
      .num("el0_prints", counters().el0_prints)
      .num("el0_faults", counters().el0_faults)
      .num("spins", user_spins)
      .flag("fpsimd_preserved", fpsimd_preserved)
      .num("timer_irqs", counters().timer_irqs)
      .num("timer_irqs_el1", counters().timer_irqs_el1)
      .num("timer_irqs_el0", counters().timer_irqs_el0)
      .flag("pass", pass)
      .end();
  return pass;
}

bool run_busy(const Options& options, const Platform& platform) {
  // The secondaries first, so that every CPU is busy at once.
  const unsigned cpus = smp::count();
  for (unsigned i = 1; i < cpus; ++i) {
    smp::start(i, Work::busy, options.seconds, 1);
  }

  user_spins = 0;
  tasks::reset();
  tasks::spawn(user_spinner, 0, user::stack_top(0));
  const u64 start = timer::now();
  deadline = start + options.seconds * timer::frequency();
  timer::start(kTickHz);
  tasks::run(deadline_passed);
  timer::stop();
  const u64 elapsed = timer::now() - start;
  const u64 iterations = user_spins;
  const u64 per_second = elapsed == 0 ? 0 : iterations * timer::frequency() / elapsed;
  bool pass = counters().timer_irqs > 0 && iterations > 0 && counters().el0_faults == 0;

  // Secondaries started with the loop above: they end at about the same time.
  bool all_done = true;
  for (unsigned i = 1; i < cpus; ++i) {
    const PerCpu& cpu = probe_cpus[i];
    all_done = all_done && (cpu.cpu_on_status != 0 ||
                            smp::wait_done(i, (options.seconds + kSecondaryGraceSeconds) * timer::frequency(), false));
  }

  Record("busy")
      .num("cpu", 0)
      .num("kpti", options.kpti ? 1 : 0)
      .flag("hypervisor", platform.xen)
      .num("seconds", options.seconds)
      .num("elapsed_ms", elapsed * 1000 / timer::frequency())
      .num("iterations", iterations)
      .num("iterations_per_second", per_second)
      .num("timer_irqs", counters().timer_irqs)
      .num("timer_hz", kTickHz)
      .num("el0_entries", counters().el0_entries)
      .num("el0_entries_trampoline", counters().el0_entries_trampoline)
      .num("cpus", cpus)
      .flag("pass", pass)
      .end();

  for (unsigned i = 1; i < cpus; ++i) {
    const PerCpu& cpu = probe_cpus[i];
    Record r("busy");
    r.num("cpu", i).num("mpidr", cpu.mpidr).num("el", 1).flag("hypervisor", platform.xen);
    if (cpu.cpu_on_status != 0) {
      r.text("error", "cpu_on failed").num("psci_status", static_cast<u64>(-cpu.cpu_on_status)).flag("pass", false);
      r.end();
      pass = false;
      continue;
    }
    if (load_acquire(cpu.done) == 0) {
      r.text("error", load_acquire(cpu.online) == 0 ? "did not come up" : "did not finish").flag("pass", false);
      r.end();
      pass = false;
      continue;
    }
    const u64 cpu_iterations = cpu.spins;
    const u64 cpu_per_second = cpu.elapsed_ticks == 0 ? 0 : cpu_iterations * timer::frequency() / cpu.elapsed_ticks;
    const bool cpu_pass = cpu.ok && cpu.counters.timer_irqs > 0 && cpu_iterations > 0;
    r.num("seconds", cpu.arg)
        .num("elapsed_ms", cpu.elapsed_ticks * 1000 / timer::frequency())
        .num("iterations", cpu_iterations)
        .num("iterations_per_second", cpu_per_second)
        .num("timer_irqs", cpu.counters.timer_irqs)
        .num("timer_hz", kTickHz)
        .flag("pass", cpu_pass)
        .end();
    pass = pass && cpu_pass;
  }
  return pass && all_done;
}

void busy_on_secondary(PerCpu& self) {
  // Interrupts on, the tick running: the loop checks the counter every 1024 iterations.
  const u64 start = timer::now();
  const u64 end = start + self.arg * timer::frequency();
  timer::start(kTickHz);
  irqs_on();
  while (timer::now() < end) {
    for (unsigned i = 0; i < 1024; ++i) {
      self.spins = self.spins + 1;
    }
  }
  irqs_off();
  timer::stop();
  self.elapsed_ticks = timer::now() - start;
}

}  // namespace probe
