// Generic timer at EL2: the EL2 physical timer (the scheduler's event source) and the guest's view
// SPDX-License-Identifier: MIT
#include "arch/aarch64/timer.hpp"

#include "arch/aarch64/counter.hpp"
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "lib/panic.hpp"

namespace runhv::arch {
namespace {

// CNTHCTL_EL2 (E2H = 0).
constexpr u64 kCnthctlEl1pcten = u64{1} << 0;  // EL1PCTEN: EL1/EL0 read CNTPCT_EL0 untrapped
constexpr u64 kCnthctlEl1pcen = u64{1} << 1;   // EL1PCEN: EL1/EL0 use CNTP_* untrapped (kept 0)
constexpr u64 kCnthctlGuest = kCnthctlEl1pcten;
static_assert((kCnthctlGuest & kCnthctlEl1pcen) == 0);

counter::Converter g_counter;  // CNTFRQ_EL0's

}  // namespace

void timer_init_frequency() {
  const u64 frequency = bits(sysreg::read_cntfrq_el0(), 31, 0);
  if (frequency == 0 || frequency > counter::kMaxFrequency) {
    panic("CNTFRQ_EL0 is %lu Hz", frequency);
  }
  g_counter = counter::converter_for(frequency);
}

u64 timer_frequency() { return g_counter.frequency; }

u64 ticks_to_ns(u64 ticks) { return g_counter.to_ns(ticks); }
u64 ns_to_ticks(u64 ns) { return g_counter.to_ticks(ns); }

u64 now_ns() {
  sysreg::isb();
  return ticks_to_ns(sysreg::read_cntpct_el0());
}

void timer_cpu_init() {
  sysreg::write_cnthp_ctl_el2(kTimerImask);
  sysreg::write_cnthctl_el2(kCnthctlGuest);
  sysreg::isb();
}

void timer_program(u32 pcpu, u64 deadline_ns) {
  if (pcpu != this_cpu_index()) {
    panic("cpu%u: cannot program cpu%u's EL2 timer", this_cpu_index(), pcpu);
  }
  sysreg::write_cnthp_cval_el2(ns_to_ticks(deadline_ns));
  sysreg::write_cnthp_ctl_el2(kTimerEnable);
  sysreg::isb();
}

void timer_cancel() {
  sysreg::write_cnthp_ctl_el2(kTimerImask);
  sysreg::isb();
}

}  // namespace runhv::arch
