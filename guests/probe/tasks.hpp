// Probe EL0 tasks: creation, round-robin switching on tick and yield, the syscall handler
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/frame.hpp"

namespace probe::tasks {

using Entry = void (*)(u64);
using StopFn = bool (*)();

struct Task {
  Frame context;
  bool live;
  u64 exit_code;
  u64 syscalls;
};

inline constexpr int kMaxTasks = 4;

void reset();
// entry and stack_top are image addresses inside the user region (probe.ld's .user); the
// task runs at their user VAs with x0 = arg. Returns the task id, -1 if full.
// irqs_masked: the task runs with PSTATE.I and F set (no guest timer or other interrupt reaches
// it; the hypervisor's own still take the CPU away).
int spawn(Entry entry, u64 arg, void* stack_top, bool irqs_masked = false);
// The same for T32 code at `entry` run in AArch32 state at EL0 (r0 = arg, interrupts unmasked).
int spawn_a32(const void* entry, u64 arg);
const Task& get(int id);

// Runs the tasks until stop() holds (asked at every tick and task exit) or none is left.
void run(StopFn stop);

// From handle_exception.
void on_svc(Frame& frame);
// An AArch32 task's SVC: it exits with r4 as its code.
void on_a32_svc(Frame& frame);
void on_tick(Frame& frame);
void on_fault(Frame& frame);

}  // namespace probe::tasks
