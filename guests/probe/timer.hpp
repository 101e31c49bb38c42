// Probe tick: the EL1 virtual timer (CNTV_*), periodic at a fixed rate
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe::timer {

void set_intid(unsigned intid);  // its interrupt (from the DT), 27 by default
unsigned intid();
void start(u32 hz);
void stop();
void on_interrupt();  // re-arms for the next period; counts the tick (this CPU's timer)
u64 ticks();
u32 hz();
inline u64 now() { return read_cntvct_el0(); }
inline u64 frequency() { return read_cntfrq_el0(); }

}  // namespace probe::timer
