// The probe's EL0 system-call interface: SVC #0, number in x8, arguments x0..x1, result x0
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe::sys {

inline constexpr u64 kExit = 0;   // x0 = exit code; does not return
inline constexpr u64 kYield = 1;  // let the next task run
inline constexpr u64 kPrint = 2;  // x0 = user buffer, x1 = length (at most 256)
inline constexpr u64 kTicks = 3;  // returns the number of timer ticks so far

[[gnu::always_inline]] inline u64 call(u64 number, u64 a0 = 0, u64 a1 = 0) {
  register u64 x0 asm("x0") = a0;
  register u64 x1 asm("x1") = a1;
  register u64 x8 asm("x8") = number;
  asm volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x8) : "memory");
  return x0;
}

}  // namespace probe::sys
