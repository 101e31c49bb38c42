// Probe exception frame: what vectors.S saves on the EL1 stack, and the entry points around it
// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>

#include "guests/probe/layout.h"
#include "guests/probe/sysreg.hpp"

namespace probe {

struct alignas(16) Frame {
  u64 x[31];
  u64 sp_el0;
  u64 elr;
  u64 spsr;
  u64 fpsr;
  u64 fpcr;
  u64 entry_ttbr1;  // TTBR1 live in EL0 as seen by the KPTI trampoline; 0 on a direct entry
  u64 pad;
  u64 q[32][2];  // q0..q31, low half first
};
static_assert(offsetof(Frame, x) == FRAME_X0);
static_assert(offsetof(Frame, x) + 30 * 8 == FRAME_X30);
static_assert(offsetof(Frame, sp_el0) == FRAME_SP_EL0);
static_assert(offsetof(Frame, elr) == FRAME_ELR);
static_assert(offsetof(Frame, spsr) == FRAME_SPSR);
static_assert(offsetof(Frame, fpsr) == FRAME_FPSR);
static_assert(offsetof(Frame, fpcr) == FRAME_FPCR);
static_assert(offsetof(Frame, entry_ttbr1) == FRAME_ENTRY_TTBR1);
static_assert(offsetof(Frame, q) == FRAME_Q0);
static_assert(sizeof(Frame) == FRAME_SIZE);

// Vector kinds (offset / 0x80 in the vector table).
inline constexpr u64 kEl1Sync = 4;
inline constexpr u64 kEl1Irq = 5;
inline constexpr u64 kEl0Sync = 8;
inline constexpr u64 kEl0Irq = 9;
inline constexpr u64 kEl0A32Sync = 12;
inline constexpr u64 kEl0A32Irq = 13;

inline bool returns_to_el0(const Frame& frame) { return (frame.spsr & 0xf) == 0; }

}  // namespace probe

extern "C" {
// Saves the kernel's callee-saved context and enters the frame (at EL0 for a user task).
void probe_enter_user(const probe::Frame* frame);
// From an exception handler: drop the exception, return from probe_enter_user.
[[noreturn]] void probe_resume_kernel();
// Called by vectors.S for every exception; may rewrite *frame.
void handle_exception(probe::u64 kind, probe::Frame* frame);
// 1 while KPTI is on: returns to EL0 go through the trampoline.
extern probe::u8 probe_kpti_active;
// Trampoline helpers, called at their alias addresses (trampoline.S).
extern const probe::u64 probe_tramp_exit_va;
extern const probe::u64 probe_tramp_at_read_va;
}
