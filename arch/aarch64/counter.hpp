// Counter ticks <-> nanoseconds: exact integer conversions with CNTFRQ (pure, no registers)
// SPDX-License-Identifier: MIT
//
// The generic timer counts at CNTFRQ_EL0 Hz (62.5 MHz on QEMU virt; read it, never assume). Both
// conversions split the value into whole seconds and a remainder, so nothing overflows and
// nothing is lost for any frequency up to kMaxFrequency:
//   ticks_to_ns(t)  = floor(t * 1e9 / f)   the time a counter value stands for
//   ns_to_ticks(ns) = ceil(ns * f / 1e9)    the first counter value at or after `ns`, so a timer
//                                           programmed with it never fires before the deadline
// ticks_to_ns(ns_to_ticks(ns)) >= ns and ns_to_ticks(ticks_to_ns(t)) == t (f <= 1 GHz).
#pragma once

#include "core/types.hpp"

namespace runhv::arch::counter {

inline constexpr u64 kNsPerSecond = 1'000'000'000;
// (kNsPerSecond - 1) * f + kNsPerSecond must fit in 64 bits.
inline constexpr u64 kMaxFrequency = 18'000'000'000ULL;

constexpr u64 ticks_to_ns(u64 ticks, u64 frequency) {
  return (ticks / frequency) * kNsPerSecond + (ticks % frequency) * kNsPerSecond / frequency;
}

constexpr u64 ns_to_ticks(u64 ns, u64 frequency) {
  return (ns / kNsPerSecond) * frequency + ((ns % kNsPerSecond) * frequency + kNsPerSecond - 1) / kNsPerSecond;
}

// Checked at compile time: QEMU's 62.5 MHz (16 ns a tick), a 1 GHz counter, and an odd one.
static_assert(ticks_to_ns(1, 62'500'000) == 16 && ns_to_ticks(16, 62'500'000) == 1);
static_assert(ns_to_ticks(17, 62'500'000) == 2 && ns_to_ticks(1'000'000, 62'500'000) == 62'500);
static_assert(ticks_to_ns(62'500'000ULL * 3600 * 24 * 365, 62'500'000) == 3600ULL * 24 * 365 * kNsPerSecond);
static_assert(ns_to_ticks(123'456'789'012, 1'000'000'000) == 123'456'789'012);
static_assert(ticks_to_ns(ns_to_ticks(1'000, 24'000'000), 24'000'000) >= 1'000);
static_assert(ns_to_ticks(ticks_to_ns(12'345'678, 19'200'000), 19'200'000) == 12'345'678);
static_assert(ticks_to_ns(~u64{0}, kMaxFrequency) > 0);

}  // namespace runhv::arch::counter
