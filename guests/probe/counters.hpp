// Probe event counters: exception entries and returns, syscalls, interrupts
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe {

struct Counters {
  u64 el0_entries;             // exceptions taken from EL0
  u64 el0_entries_trampoline;  // ... through the KPTI trampoline, TTBR1 = trampoline root
  u64 el0_entries_direct;      // ... straight into the kernel vectors (KPTI off)
  u64 el0_entries_bad;         // ... through the trampoline with another TTBR1 (a bug)
  u64 el0_returns;             // ERETs to EL0
  u64 el0_syscalls;
  u64 el0_prints;
  u64 el0_faults;
  u64 timer_irqs;
  u64 timer_irqs_el0;  // the tick interrupted EL0
  u64 timer_irqs_el1;  // the tick interrupted EL1 (WFI in the kernel)
  u64 spurious_irqs;
  u64 other_irqs;
  u64 event_irqs;  // the Xen event-channel interrupt (INTID 31), also counted in other_irqs
};

// This CPU's counters: counters() in percpu.hpp.

}  // namespace probe
