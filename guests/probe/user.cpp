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

}  // extern "C"

void* probe::user::stack_top(int index) { return user_stacks[index] + kStackSize; }
