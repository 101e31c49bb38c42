// Probe EL0 programs and their data, placed in the image's user region (probe.ld's .user)
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe::user {

inline constexpr int kStacks = 4;
inline constexpr u64 kStackSize = 4096;

void* stack_top(int index);  // image address of the top of user stack `index`

// user_gap_spinner's window (in .user.data): the kernel fills the inputs, the task the outputs.
struct GapWindow {
  u64 threshold;  // in: a step of CNTVCT larger than this (ticks) is a gap
  u64 length;     // in: the window ends at the first read >= start + length
  u64 start;      // in: the last CNTVCT the kernel read before entering EL0
  u64 gaps;       // out: how many steps were gaps
  u64 gap_ticks;  // out: their sum (from `start`: the way into EL0 is in the window too)
  u64 max_gap;
  u64 min_gap;     // ~0 if none
  u64 iterations;  // out: CNTVCT reads
  u64 last;        // out: the last read
};

}  // namespace probe::user

extern "C" {
// Prints a greeting, yields `yields` times with a pattern in d8, exits with 0 if d8 survived.
void user_syscaller(probe::u64 yields);
// Counts user_spins up forever.
void user_spinner(probe::u64 unused);
extern volatile probe::u64 user_spins;
// Reads CNTVCT in a tight loop for user_gap_window.length ticks and sums the steps longer than
// its threshold (time this loop did not run: the vCPU descheduled, or anything else that took
// the CPU away from EL0), then exits. Run with interrupts masked (tasks::spawn's irqs_masked) and
// CNTKCTL_EL1.EL0VCTEN set, the only gaps are the hypervisor's.
void user_gap_spinner(probe::u64 unused);
extern probe::user::GapWindow user_gap_window;
// T32 code for AArch32 EL0 (user_a32.S): two trapped WFIs (16-bit, 32-bit),
// then waits for user_a32_irqs (r0 holds its user VA) to reach 3 and exits with r4 = 3 if every
// WFI was stepped over exactly.
void user_a32_task(probe::u64 irqs_va);
extern volatile probe::u32 user_a32_irqs;
}
