// Probe tick: the EL1 virtual timer (CNTV_*), periodic at a fixed rate
// SPDX-License-Identifier: MIT
//
// CNTV_CVAL advances by one period per tick (no drift); if ticks were missed it restarts from
// now. Writing CVAL also clears the level-sensitive interrupt before it is EOId.
#include "guests/probe/timer.hpp"

namespace probe::timer {
namespace {

constexpr u64 kCtlEnable = 1;
u64 period = 0;
u64 tick_count = 0;
u32 rate = 0;
unsigned interrupt_id = 27;

}  // namespace

void set_intid(unsigned intid) { interrupt_id = intid; }
unsigned intid() { return interrupt_id; }

void start(u32 hz) {
  rate = hz;
  period = frequency() / hz;
  write_cntv_cval_el0(now() + period);
  write_cntv_ctl_el0(kCtlEnable);
  isb();
}

void stop() {
  write_cntv_ctl_el0(0);
  isb();
}

void on_interrupt() {
  ++tick_count;
  u64 next = read_cntv_cval_el0() + period;
  const u64 current = now();
  if (next <= current) {
    next = current + period;
  }
  write_cntv_cval_el0(next);
  isb();
}

u64 ticks() { return tick_count; }
u32 hz() { return rate; }

}  // namespace probe::timer
