// Probe secondary CPUs: PSCI CPU_ON over the DT's conduit, per-CPU stacks, EL1 work only
// SPDX-License-Identifier: MIT
//
// CPU 0 (the boot CPU) runs the scenario, the console, the EL0 tasks and KPTI. A secondary is
// started on demand by a scenario with one piece of EL1 work (its PerCpu::work): it turns its MMU
// on with the boot tables (head.S probe_secondary_entry), sets up its GIC CPU interface (natively
// also its redistributor), does the work with its own virtual timer, publishes its results with
// a release store of PerCpu::done, and switches itself off with PSCI CPU_OFF. CPU 0 reads them
// after an acquire load of `done` and prints them. Secondaries never enter EL0 and never print.
#pragma once

#include "guests/probe/bootargs.hpp"
#include "guests/probe/percpu.hpp"

namespace probe::smp {

// What probe_secondary_entry reads with the MMU off (cleaned to the point of coherency).
struct alignas(64) SecondaryBoot {
  u64 idmap_root_pa;  // TTBR0 while the MMU goes on
  u64 user_root_pa;   // TTBR0 afterwards
  u64 percpu_va;      // TPIDR_EL1
  u64 stack_top_va;   // SP_EL1
};

// CPU 0's PerCpu and the CPU numbering: index 0 is the boot CPU (the DT cpu whose reg is its
// MPIDR affinity), 1.. the other cpu nodes in DT order, at most kMaxCpus and probe.cpus.
void init(const Platform& platform, const Options& options);
unsigned count();  // CPUs the probe may use, CPU 0 included

// Starts CPU `index` (1 <= index < count()) doing `work`; false if PSCI CPU_ON failed (its
// status is in the CPU's PerCpu::cpu_on_status).
bool start(unsigned index, Work work, u64 arg, u64 runs);

// True once CPU `index` has published its results; false after `timeout_ticks` CNTVCT ticks.
// With `yield` (under a hypervisor) every wait step is a SCHEDOP_yield.
bool wait_done(unsigned index, u64 timeout_ticks, bool yield);

// SCHEDOP_yield (Xen); a no-op without a hypervisor.
void yield();

}  // namespace probe::smp
