// What the probe takes from its device tree: memory, bootargs, CPUs, hypervisor, devices, PSCI
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe {

enum class PsciMethod : u8 { none, hvc, smc };

inline constexpr unsigned kMaxCpus = 8;  // CPUs the probe can run (more in the DT are left off)

struct Platform {
  u64 mem_base = 0;
  u64 mem_size = 0;
  const char* bootargs = "";     // points into the DTB
  unsigned cpus = 0;             // /cpus/cpu@ nodes (device_type "cpu")
  u64 cpu_mpidr[kMaxCpus] = {};  // the `reg` (MPIDR affinity) of the first kMaxCpus, in DT order
  bool xen = false;              // a /hypervisor node compatible "xen,xen"
  u64 uart_pa = 0;               // first "arm,pl011", 0 if none
  u64 gicd_pa = 0;               // "arm,gic-v3" reg[0], 0 if none
  u64 gicr_pa = 0;               // "arm,gic-v3" reg[1]
  u64 gicr_size = 0;
  unsigned timer_intid = 27;  // the virtual timer PPI from "arm,armv8-timer", else PPI 11
  PsciMethod psci = PsciMethod::none;
};

// Reads the DTB at fdt (mapped); false if it is not a valid device tree.
bool read_device_tree(const void* fdt, Platform& out);

}  // namespace probe
