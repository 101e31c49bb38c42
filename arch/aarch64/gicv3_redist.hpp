// GICv3 redistributor (GICR): find this CPU's frame, wake it, set up its SGIs and PPIs
// SPDX-License-Identifier: MIT
//
// Each CPU has an RD_base frame (control, wake) followed by an SGI_base frame (SGIs and PPIs:
// INTIDs 0-31), 64 KiB each; GICv4 adds two more frames (VLPI), which GICR_TYPER.VLPIS says.
// A CPU finds its own by matching GICR_TYPER.Affinity against its MPIDR, up to the frame
// marked Last. All SGIs and PPIs go to Group 1 at priority kPriority, disabled; then the ones
// the hypervisor takes are enabled.
#pragma once

#include "core/types.hpp"

namespace runhv::arch::gicv3 {

// The INTIDs the hypervisor takes at EL2 (PPI n is INTID 16 + n).
inline constexpr u32 kSgiIpi = 0;              // SGI 0: send_ipi() wakes a pCPU
inline constexpr u32 kIntidMaintenance = 25;   // PPI 9: virtual CPU interface maintenance (underflow)
inline constexpr u32 kIntidHypTimer = 26;      // PPI 10: EL2 physical timer (CNTHP)
inline constexpr u32 kIntidVirtualTimer = 27;  // PPI 11: EL1 virtual timer (CNTV), the guest's
inline constexpr u8 kPriority = 0x80;

// The RD_base of the CPU with affinity `mpidr` in [gicr, gicr + size), or Pa{0}.
Pa redist_find(Pa gicr, u64 size, u64 mpidr);

// Wakes the redistributor at `rd` (GICR_WAKER.ProcessorSleep = 0) and sets up its SGIs/PPIs:
// SGI kSgiIpi, the EL2 timer and the virtual timer enabled (the latter reaches EL2 because
// HCR_EL2.IMO routes physical IRQs there while a guest runs).
void redist_init(Pa rd);

}  // namespace runhv::arch::gicv3
