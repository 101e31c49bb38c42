// The EL2 MMU registers the boot CPU publishes for the secondaries' entry (boot.S)
// SPDX-License-Identifier: MIT
//
// mmu_el2::enable() fills el2_mmu_boot_regs with its MAIR/TCR/TTBR0/SCTLR_EL2 values and
// cleans it, and the tables, to the point of coherency: a secondary CPU reads them with its MMU
// off and turns its MMU on with the same translation as the boot CPU.
#pragma once

#define EL2_MMU_MAIR 0
#define EL2_MMU_TCR 8
#define EL2_MMU_TTBR0 16
#define EL2_MMU_SCTLR 24

#ifndef __ASSEMBLER__
#include "core/types.hpp"

namespace runhv::arch::mmu_el2 {

struct BootRegs {
  u64 mair, tcr, ttbr0, sctlr;
};
static_assert(offsetof(BootRegs, mair) == EL2_MMU_MAIR);
static_assert(offsetof(BootRegs, tcr) == EL2_MMU_TCR);
static_assert(offsetof(BootRegs, ttbr0) == EL2_MMU_TTBR0);
static_assert(offsetof(BootRegs, sctlr) == EL2_MMU_SCTLR);

}  // namespace runhv::arch::mmu_el2

extern "C" runhv::arch::mmu_el2::BootRegs el2_mmu_boot_regs;
#endif
