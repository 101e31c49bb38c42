// EL2 stage-1 MMU: identity map of RAM (Normal WB) and of the board's devices (Device-nGnRE)
// SPDX-License-Identifier: MIT
//
// One translation regime (TTBR0_EL2, E2H = 0), 4 KiB granule, 39-bit VA (TCR_EL2.T0SZ = 25): the
// walk starts at level 1 (1 GiB per entry) and every mapping is a 2 MiB level-2 block. The
// tables live in .bss and are built once by the boot CPU. RAM is read-write-executable (2 MiB
// blocks cannot separate the image's sections); devices are XN.
#pragma once

#include "core/types.hpp"

namespace runhv::arch::mmu_el2 {

// RAM above this much (from the RAM base) is not mapped and not used.
inline constexpr u64 kMaxRam = u64{4} << 30;

struct Layout {
  Pa ram_base;
  u64 ram_size;  // rounded down to 2 MiB and capped at kMaxRam by enable()
  Pa device_base;
  u64 device_size;
};

// Builds the tables, programs MAIR/TCR/TTBR0_EL2 and turns on the MMU and the data cache.
// Returns the RAM size actually mapped. Must run at EL2 with the MMU off. Also publishes the
// register values for the secondary CPUs (mmu_el2_regs.hpp), which share these tables.
u64 enable(const Layout& layout);

// Cleans and invalidates [pa, pa + size) to the point of coherency: what a guest running with
// its MMU off (non-cacheable accesses) must see of memory the hypervisor wrote through its cache.
void clean_invalidate_to_poc(Pa pa, u64 size);

}  // namespace runhv::arch::mmu_el2
