// Probe scenarios, chosen by probe.scenario=: each prints one PROBE record
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/bootargs.hpp"
#include "guests/probe/devicetree.hpp"

namespace probe {

inline constexpr unsigned kTickHz = 100;

// EL1 self-checks: translation tables, execution at the high VA, both TTBR1 roots, timer
// interrupts at EL1 and EL0, EL0 tasks making syscalls, the KPTI entry/exit path.
bool run_selftest(const Options& options, const Platform& platform);

// One EL0 busy task for options.seconds: iterations per second and timer ticks.
bool run_busy(const Options& options, const Platform& platform);

// Ten 20 ms sleeps in WFI on the virtual timer: elapsed time and wake-ups.
bool run_sleep(const Options& options, const Platform& platform);

// Reads an IPA the hypervisor does not map: under runhv the domain is stopped there.
bool run_fault(const Options& options, const Platform& platform);

// Hypercall error paths (unknown numbers, bad vCPU ids, NULL and unmapped argument pointers,
// bad sub-ops): each result against Xen's error code.
bool run_hypercalls(const Options& options, const Platform& platform);

}  // namespace probe
