// Probe tick: the EL1 virtual timer (CNTV_*), periodic at a fixed rate
// SPDX-License-Identifier: MIT
//
// CNTV_CVAL advances by one period per tick (no drift); if ticks were missed it restarts from
// now. Writing CVAL also clears the level-sensitive interrupt before it is EOId. Each CPU has its
// own virtual timer: the state is in its PerCpu.
#include "guests/probe/timer.hpp"

#include "guests/probe/percpu.hpp"

namespace probe::timer {
namespace {

constexpr u64 kCtlEnable = 1;
unsigned interrupt_id = 27;

}  // namespace

void set_intid(unsigned intid) { interrupt_id = intid; }
unsigned intid() { return interrupt_id; }

void start(u32 hz) {
  TimerState& t = this_cpu().timer;
  t.rate = hz;
  t.period = frequency() / hz;
  write_cntv_cval_el0(now() + t.period);
  write_cntv_ctl_el0(kCtlEnable);
  isb();
}

void stop() {
  write_cntv_ctl_el0(0);
  isb();
}

void on_interrupt() {
  TimerState& t = this_cpu().timer;
  ++t.ticks;
  u64 next = read_cntv_cval_el0() + t.period;
  const u64 current = now();
  if (next <= current) {
    next = current + t.period;
  }
  write_cntv_cval_el0(next);
  isb();
}

u64 ticks() { return this_cpu().timer.ticks; }
u32 hz() { return this_cpu().timer.rate; }

}  // namespace probe::timer
