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

// A tick of `frequency` Hz as a whole number of nanoseconds (62.5 MHz: 16, 1 GHz: 1), or 0 when it
// is none (24 MHz).
constexpr u64 whole_ns_per_tick(u64 frequency) { return kNsPerSecond % frequency == 0 ? kNsPerSecond / frequency : 0; }

// Both conversions for one frequency, its tick's length worked out once: with whole-nanosecond
// ticks a multiply, or a divide rounded up, gives exactly what the split forms above give.
struct Converter {
  u64 frequency = 0;
  u64 ns_per_tick = 0;  // whole_ns_per_tick(frequency)

  [[nodiscard]] constexpr u64 to_ns(u64 ticks) const {
    return ns_per_tick != 0 ? ticks * ns_per_tick : ticks_to_ns(ticks, frequency);
  }
  [[nodiscard]] constexpr u64 to_ticks(u64 ns) const {
    return ns_per_tick != 0 ? ns / ns_per_tick + (ns % ns_per_tick != 0 ? 1 : 0) : ns_to_ticks(ns, frequency);
  }
};

constexpr Converter converter_for(u64 frequency) { return {frequency, whole_ns_per_tick(frequency)}; }

// The same answers as the split forms, checked at compile time for the usual frequencies over
// small, odd and extreme values.
constexpr bool converter_agrees(u64 frequency) {
  const Converter c = converter_for(frequency);
  constexpr u64 kMax = ~u64{0};
  constexpr u64 kValues[] = {0, 1, 15, 16, 17, 999, 1'000'000'007, 62'500'001, 123'456'789'012'345, kMax / 16, kMax};
  for (const u64 v : kValues) {
    if (c.to_ticks(v) != ns_to_ticks(v, frequency)) {
      return false;
    }
    if (v <= kMax / kNsPerSecond && c.to_ns(v) != ticks_to_ns(v, frequency)) {
      return false;
    }
  }
  return true;
}
static_assert(whole_ns_per_tick(62'500'000) == 16 && whole_ns_per_tick(24'000'000) == 0);
static_assert(converter_agrees(62'500'000) && converter_agrees(1'000'000'000) && converter_agrees(25'000'000) &&
              converter_agrees(24'000'000) && converter_agrees(19'200'000) && converter_agrees(kMaxFrequency));

// Checked at compile time: QEMU's 62.5 MHz (16 ns a tick), a 1 GHz counter, and an odd one.
static_assert(ticks_to_ns(1, 62'500'000) == 16 && ns_to_ticks(16, 62'500'000) == 1);
static_assert(ns_to_ticks(17, 62'500'000) == 2 && ns_to_ticks(1'000'000, 62'500'000) == 62'500);
static_assert(ticks_to_ns(62'500'000ULL * 3600 * 24 * 365, 62'500'000) == 3600ULL * 24 * 365 * kNsPerSecond);
static_assert(ns_to_ticks(123'456'789'012, 1'000'000'000) == 123'456'789'012);
static_assert(ticks_to_ns(ns_to_ticks(1'000, 24'000'000), 24'000'000) >= 1'000);
static_assert(ns_to_ticks(ticks_to_ns(12'345'678, 19'200'000), 19'200'000) == 12'345'678);
static_assert(ticks_to_ns(~u64{0}, kMaxFrequency) > 0);

}  // namespace runhv::arch::counter
