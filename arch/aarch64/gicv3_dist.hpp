// GICv3 distributor (GICD): affinity routing on, Group 1 non-secure, SPIs off until asked for
// SPDX-License-Identifier: MIT
//
// The distributor is set up once by the boot CPU with every SPI disabled, in Group 1, at a middle
// priority, routed to the boot CPU; the hypervisor turns on the ones its devices use (the board
// UART's receive interrupt). SGIs and PPIs live in each CPU's redistributor (gicv3_redist).
#pragma once

#include "core/types.hpp"

namespace runhv::arch::gicv3 {

// Checks GICD_PIDR2.ArchRev (3 or 4) and sets the distributor up; false if it is no GICv3.
// `boot_mpidr`: the affinity every SPI is routed to.
bool dist_init(Pa gicd, u64 boot_mpidr);

inline constexpr u32 kFirstSpi = 32;

// SPI `intid` level-sensitive and enabled (routed as dist_init left it); false if it is no SPI
// the distributor implements.
bool dist_enable_spi(Pa gicd, u32 intid);

// The number of interrupt IDs the distributor implements (GICD_TYPER.ITLinesNumber).
u32 dist_lines(Pa gicd);

}  // namespace runhv::arch::gicv3
