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

// Each CPU runs its own tasks (on its own EL1 stack): the state is per CPU.
struct CpuTasks {
  Task table[kMaxTasks];
  int count = 0;
  int current = -1;
  StopFn stop_when = nullptr;
};
constinit CpuTasks per_cpu[kMaxCpus]{};
CpuTasks& mine() { return per_cpu[this_cpu().index]; }

int next_live(int after) {
  CpuTasks& t = mine();
  for (int step = 1; step <= t.count; ++step) {
    const int id = (after + step) % t.count;
    if (t.table[id].live) {
      return id;
    }
  }
  return -1;
}

void switch_to(Frame& frame, int next) {
  CpuTasks& t = mine();
  if (next == t.current) {
    return;
  }
  if (t.current >= 0 && t.table[t.current].live) {
    t.table[t.current].context = frame;
  }
  t.current = next;
  frame = t.table[next].context;
}

// Called where the kernel could give up the user phase: at ticks and task exits.
void maybe_stop() {
  CpuTasks& t = mine();
  if (next_live(t.current < 0 ? 0 : t.current) < 0 || (t.stop_when != nullptr && t.stop_when())) {
    probe_resume_kernel();
  }
}

void reschedule(Frame& frame) {
  CpuTasks& t = mine();
  const int next = next_live(t.current);
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
  CpuTasks& t = mine();
  t.count = 0;
  t.current = -1;
  t.stop_when = nullptr;
}

int spawn(Entry entry, u64 arg, void* stack_top, bool irqs_masked) {
  CpuTasks& t = mine();
  if (t.count == kMaxTasks) {
    return -1;
  }
  Task& task = t.table[t.count];
  task = Task{};
  task.live = true;
  task.context.elr = mmu::user_va(reinterpret_cast<const void*>(entry));
  task.context.sp_el0 = mmu::user_va(stack_top);
  constexpr u64 kSpsrIrqFiqMasked = 0xc0;                   // SPSR.I | SPSR.F
  task.context.spsr = irqs_masked ? kSpsrIrqFiqMasked : 0;  // EL0t
  task.context.x[0] = arg;
  return t.count++;
}

int spawn_a32(const void* entry, u64 arg) {
  const int id = spawn(nullptr, arg, nullptr);
  if (id >= 0) {
    constexpr u64 kSpsrUsrThumb = 0x30;  // M = 0b10000 (usr, AArch32), T: T32
    Task& task = mine().table[id];
    task.context.elr = mmu::user_va(entry);
    task.context.sp_el0 = 0;
    task.context.spsr = kSpsrUsrThumb;
  }
  return id;
}

const Task& get(int id) { return mine().table[id]; }

void run(StopFn stop) {
  CpuTasks& t = mine();
  t.stop_when = stop;
  t.current = next_live(t.count - 1);
  if (t.current < 0) {
    return;
  }
  probe_enter_user(&t.table[t.current].context);
  t.current = -1;
}

void on_svc(Frame& frame) {
  CpuTasks& t = mine();
  ++counters().el0_syscalls;
  ++t.table[t.current].syscalls;
  // The frame carries the task's FP/SIMD registers: the kernel may use its own freely.
  asm volatile("movi v8.16b, #0xa5\n movi v9.16b, #0x5a" ::: "v8", "v9");
  const u64 number = frame.x[8];
  switch (number) {
    case sys::kExit:
      t.table[t.current].live = false;
      t.table[t.current].exit_code = frame.x[0];
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

void on_a32_svc(Frame& frame) {
  CpuTasks& t = mine();
  ++counters().el0_syscalls;
  t.table[t.current].live = false;
  t.table[t.current].exit_code = frame.x[4];
  maybe_stop();
  reschedule(frame);
}

void on_tick(Frame& frame) {
  CpuTasks& t = mine();
  if (t.current < 0) {
    return;  // not in a user phase (the kernel waiting for ticks at EL1)
  }
  maybe_stop();
  if (returns_to_el0(frame)) {
    reschedule(frame);
  }
}

void on_fault(Frame& frame) {
  CpuTasks& t = mine();
  ++counters().el0_faults;
  console::put("probe: task ");
  console::put_dec(static_cast<u64>(t.current));
  console::put(" faulted: esr ");
  console::put_hex(read_esr_el1());
  console::put(", elr ");
  console::put_hex(frame.elr);
  console::put(", far ");
  console::put_hex(read_far_el1());
  console::put("\n");
  t.table[t.current].live = false;
  t.table[t.current].exit_code = ~u64{0};
  maybe_stop();
  reschedule(frame);
}

}  // namespace probe::tasks
