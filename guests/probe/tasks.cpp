// Probe EL0 tasks: creation, round-robin switching on tick and yield, the syscall handler
// SPDX-License-Identifier: MIT
//
// One EL1 stack: the task that was interrupted is saved by copying the exception frame into
// its Task and the next one is resumed by copying its context into the frame.
#include "guests/probe/tasks.hpp"

#include "guests/probe/console.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/syscall.hpp"
#include "guests/probe/timer.hpp"

extern "C" char __user_start[], __user_end[];

namespace probe::tasks {
namespace {

Task table[kMaxTasks];
int count = 0;
int current = -1;
StopFn stop_when = nullptr;

int next_live(int after) {
  for (int step = 1; step <= count; ++step) {
    const int id = (after + step) % count;
    if (table[id].live) {
      return id;
    }
  }
  return -1;
}

void switch_to(Frame& frame, int next) {
  if (next == current) {
    return;
  }
  if (current >= 0 && table[current].live) {
    table[current].context = frame;
  }
  current = next;
  frame = table[next].context;
}

// Called where the kernel could give up the user phase: at ticks and task exits.
void maybe_stop() {
  if (next_live(current < 0 ? 0 : current) < 0 || (stop_when != nullptr && stop_when())) {
    probe_resume_kernel();
  }
}

void reschedule(Frame& frame) {
  const int next = next_live(current);
  if (next >= 0) {
    switch_to(frame, next);
  }
}

bool user_range(u64 va, u64 n) {
  const u64 size = static_cast<u64>(__user_end - __user_start);
  return va >= PROBE_USER_VA && n <= size && va - PROBE_USER_VA <= size - n;
}

}  // namespace

void reset() {
  count = 0;
  current = -1;
  stop_when = nullptr;
}

int spawn(Entry entry, u64 arg, void* stack_top) {
  if (count == kMaxTasks) {
    return -1;
  }
  Task& task = table[count];
  task = Task{};
  task.live = true;
  task.context.elr = mmu::user_va(reinterpret_cast<const void*>(entry));
  task.context.sp_el0 = mmu::user_va(stack_top);
  task.context.spsr = 0;  // EL0t, interrupts unmasked
  task.context.x[0] = arg;
  return count++;
}

const Task& get(int id) { return table[id]; }

void run(StopFn stop) {
  stop_when = stop;
  current = next_live(count - 1);
  if (current < 0) {
    return;
  }
  probe_enter_user(&table[current].context);
  current = -1;
}

void on_svc(Frame& frame) {
  ++counters().el0_syscalls;
  ++table[current].syscalls;
  // The frame carries the task's FP/SIMD registers: the kernel may use its own freely.
  asm volatile("movi v8.16b, #0xa5\n movi v9.16b, #0x5a" ::: "v8", "v9");
  const u64 number = frame.x[8];
  switch (number) {
    case sys::kExit:
      table[current].live = false;
      table[current].exit_code = frame.x[0];
      maybe_stop();
      reschedule(frame);
      return;
    case sys::kYield:
      frame.x[0] = 0;
      reschedule(frame);
      return;
    case sys::kPrint:
      if (frame.x[1] > 256 || !user_range(frame.x[0], frame.x[1])) {
        frame.x[0] = ~u64{0};
        return;
      }
      ++counters().el0_prints;
      console::write(reinterpret_cast<const char*>(frame.x[0]), frame.x[1]);
      frame.x[0] = 0;
      return;
    case sys::kTicks:
      frame.x[0] = timer::ticks();
      return;
    default:
      frame.x[0] = ~u64{0};
      return;
  }
}

void on_tick(Frame& frame) {
  if (current < 0) {
    return;  // not in a user phase (the kernel waiting for ticks at EL1)
  }
  maybe_stop();
  if (returns_to_el0(frame)) {
    reschedule(frame);
  }
}

void on_fault(Frame& frame) {
  ++counters().el0_faults;
  console::put("probe: task ");
  console::put_dec(static_cast<u64>(current));
  console::put(" faulted: esr ");
  console::put_hex(read_esr_el1());
  console::put(", elr ");
  console::put_hex(frame.elr);
  console::put(", far ");
  console::put_hex(read_far_el1());
  console::put("\n");
  table[current].live = false;
  table[current].exit_code = ~u64{0};
  maybe_stop();
  reschedule(frame);
}

}  // namespace probe::tasks
