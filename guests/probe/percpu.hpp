// Probe per-CPU data: TPIDR_EL1 of every CPU points at its struct PerCpu
// SPDX-License-Identifier: MIT
//
// CPU 0 is the boot CPU (head.S sets TPIDR_EL1 = &probe_cpus[0] before probe_main); a secondary
// gets &probe_cpus[i] from its entry stub. Everything an exception handler or the tick updates
// lives here: the counters and the virtual timer's state. EL0 tasks, the KPTI switch and the
// console are CPU 0's only (secondaries run EL1 work, see smp.hpp).
#pragma once

#include "guests/probe/counters.hpp"
#include "guests/probe/devicetree.hpp"

namespace probe {

struct TimerState {
  u64 period;  // CNTVCT ticks per timer period
  u64 ticks;   // timer interrupts handled
  u32 rate;    // Hz
};

// What a secondary does once it is up (smp.cpp); CPU 0 sets it before CPU_ON.
enum class Work : u32 { none, busy, yield_switch, function };

struct PerCpu;
using CpuFn = void (*)(PerCpu&);

struct alignas(64) PerCpu {
  u32 index;         // 0 = the boot CPU
  u64 mpidr;         // its MPIDR affinity (the DT cpu@ reg)
  u64 first_cntvct;  // CNTVCT at the first C++ instruction it ran: its first observed time
  Counters counters;
  TimerState timer;

  // Set by CPU 0 before CPU_ON, read by the CPU.
  Work work;
  u64 arg;        // Work::busy: seconds; Work::yield_switch: yields per run
  u64 runs;       // Work::yield_switch: repetitions
  CpuFn work_fn;  // Work::function: what the CPU runs (runstate scenarios)
  // Called at every tick of this CPU's timer, at EL1 (after an EL0 entry: with the kernel root
  // back in TTBR1), before the EL0 tasks are switched; nullptr: nothing.
  CpuFn tick_hook;

  // Written by the CPU; CPU 0 reads them after an acquire load of `done` returns non-zero (the
  // CPU stores `done` with release semantics after everything else).
  i64 cpu_on_status;   // PSCI CPU_ON's result (written by CPU 0)
  u64 online;          // 1 once its C++ runs
  u64 done;            // 1 when the results below are final
  bool ok;             // its set-up (GIC) worked
  u64 elapsed_ticks;   // CNTVCT ticks of the busy run
  u64 misses;          // Work::yield_switch: yields after which CPU 0 had not run
  volatile u64 spins;  // Work::busy: the busy loop's counter
};

extern "C" PerCpu probe_cpus[kMaxCpus];

inline PerCpu& this_cpu() { return *reinterpret_cast<PerCpu*>(read_tpidr_el1()); }
inline Counters& counters() { return this_cpu().counters; }

template <typename T>
inline T load_acquire(const T& from) {
  return __atomic_load_n(&from, __ATOMIC_ACQUIRE);
}
template <typename T>
inline void store_release(T& to, T value) {
  __atomic_store_n(&to, value, __ATOMIC_RELEASE);
}

}  // namespace probe
