// Probe scenario el0-a32: a T32 task at AArch32 EL0, whose WFIs trap to the hypervisor
// SPDX-License-Identifier: MIT
//
// The task (user_a32.S) executes a 16-bit WFI and a 32-bit WFI, then spins
// until three timer interrupts were taken from it. Natively (nTWI set) the WFIs just wait for the
// next tick; under a hypervisor that traps WFI each one is an exit from AArch32 EL0 that must
// step the PC by the instruction's own length, and each tick is an IRQ
// exit from AArch32 EL0. The result (r4 = 3) is the same either way; anything else is a wrong step.
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/tasks.hpp"
#include "guests/probe/timer.hpp"
#include "guests/probe/user.hpp"

namespace probe {

bool run_el0_a32(const Options&, const Platform& platform) {
  constexpr u32 kA32TickHz = 100;
  constexpr u64 kExpected = 3;  // user_a32.S's r4 when every WFI was stepped over exactly
  u64 pfr0 = 0;
  asm volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
  const bool a32_el0 = (pfr0 & 0xf) == 2;  // EL0 in AArch64 or AArch32
  user_a32_irqs = 0;
  const u64 faults_before = counters().el0_faults;
  tasks::reset();
  const int id = a32_el0 ? tasks::spawn_a32(reinterpret_cast<const void*>(&user_a32_task),
                                            mmu::user_va(const_cast<const u32*>(&user_a32_irqs)))
                         : -1;
  if (id >= 0) {
    timer::start(kA32TickHz);
    tasks::run(nullptr);
    timer::stop();
  }
  const tasks::Task* t = id >= 0 ? &tasks::get(id) : nullptr;
  const u64 result = t != nullptr ? t->exit_code : 0;
  const bool exited = t != nullptr && !t->live;
  const bool pass =
      a32_el0 && exited && result == kExpected && user_a32_irqs >= 3 && counters().el0_faults == faults_before;
  Record("el0-a32")
      .flag("hypervisor", platform.xen)
      .flag("aarch32_el0", a32_el0)
      .flag("exited", exited)
      .num("r4", result)
      .num("irqs_from_a32", user_a32_irqs)
      .num("faults", counters().el0_faults - faults_before)
      .flag("pass", pass)
      .end();
  return pass;
}

}  // namespace probe
