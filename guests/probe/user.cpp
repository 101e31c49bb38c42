// Probe EL0 programs and their data, placed in the image's user region (probe.ld's .user)
// SPDX-License-Identifier: MIT
//
// These functions run at EL0 at PROBE_USER_VA + their offset in the user region. They reach
// their data PC-relatively, so code and data keep their relative placement; they must not call
// into the kernel's text or use its rodata (string literals, constant pools): only what is
// defined here, in .user.text and .user.data.
#include "guests/probe/user.hpp"

#include "guests/probe/syscall.hpp"

#define USER_TEXT [[gnu::section(".user.text")]]
#define USER_DATA [[gnu::section(".user.data")]]

using namespace probe;

extern "C" {

USER_DATA volatile u64 user_spins = 0;
USER_DATA volatile u32 user_a32_irqs = 0;
USER_DATA alignas(16) u8 user_stacks[user::kStacks][user::kStackSize] = {};
USER_DATA char user_greeting[] = "probe: hello from EL0\n";

USER_TEXT void user_syscaller(u64 yields) {
  sys::call(sys::kPrint, reinterpret_cast<u64>(user_greeting), sizeof user_greeting - 1);
  const u64 pattern = 0x0123456789abcdef;
  asm volatile("fmov d8, %0" : : "r"(pattern) : "v8");
  for (u64 i = 0; i < yields; ++i) {
    sys::call(sys::kYield);
  }
  u64 back = 0;
  asm volatile("fmov %0, d8" : "=r"(back));
  sys::call(sys::kExit, back == pattern ? 0 : 1);
  for (;;) {
  }
}

USER_TEXT void user_spinner(u64) {
  for (;;) {
    user_spins = user_spins + 1;
  }
}

USER_DATA user::GapWindow user_gap_window = {};

USER_TEXT void user_gap_spinner(u64) {
  user::GapWindow& w = user_gap_window;
  const u64 threshold = w.threshold;
  const u64 length = w.length;
  const u64 start = w.start;
  u64 prev = start;
  u64 gaps = 0;
  u64 gap_ticks = 0;
  u64 max_gap = 0;
  u64 min_gap = ~u64{0};
  u64 n = 0;
  for (;;) {
    u64 t = 0;
    asm volatile("mrs %0, cntvct_el0" : "=r"(t));
    const u64 step = t - prev;
    if (step > threshold) {
      ++gaps;
      gap_ticks += step;
      max_gap = step > max_gap ? step : max_gap;
      min_gap = step < min_gap ? step : min_gap;
    }
    prev = t;
    ++n;
    if (t - start >= length) {
      break;
    }
  }
  w.gaps = gaps;
  w.gap_ticks = gap_ticks;
  w.max_gap = max_gap;
  w.min_gap = min_gap;
  w.iterations = n;
  w.last = prev;
  sys::call(sys::kExit, 0);
  for (;;) {
  }
}

}  // extern "C"

void* probe::user::stack_top(int index) { return user_stacks[index] + kStackSize; }
