// GICv3 physical CPU interface at EL2 (ICC_* system registers): enable, acknowledge, EOI, SGIs
// SPDX-License-Identifier: MIT
//
// EOImode 0 (ICC_CTLR_EL1.EOImode = 0): one write of ICC_EOIR1_EL1 both drops the running
// priority and deactivates the interrupt. The hypervisor never hands a physical interrupt to a
// guest to deactivate (no list register with HW = 1): the virtual timer is masked at its source
// (CNTV_CTL_EL0.IMASK) and injected as a purely virtual interrupt, so EOImode 1's split
// drop/deactivate buys nothing yet. A pass-through device would be the reason to switch.
#pragma once

#include "core/types.hpp"

namespace runhv::arch::gicv3 {

// ICC_IAR1_EL1 INTIDs 1020-1023 are special: nothing (more) to acknowledge.
inline constexpr u32 kIntidSpurious = 1020;

// Turns the system-register interface on at EL2 (and lets EL1 use ICC_SRE_EL1), priority mask
// open, EOImode 0, Group 1 on. False if ICC_SRE_EL2.SRE does not stick.
bool cpuif_init();

// Acknowledges the highest-priority pending Group 1 interrupt; returns ICC_IAR1_EL1 (the INTID
// in bits [23:0]; >= kIntidSpurious when none).
u64 cpuif_ack();
// Ends it (priority drop and deactivation).
void cpuif_eoi(u64 iar);

// Sends SGI `sgi` (0-15) to the CPU with affinity `mpidr` (Aff0 below 16 within its cluster,
// which is how QEMU and GICv3 TargetList number them).
void cpuif_send_sgi(u64 mpidr, u32 sgi);

}  // namespace runhv::arch::gicv3
