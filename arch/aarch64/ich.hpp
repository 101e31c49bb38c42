// GICv3 virtual CPU interface (ICH_* at EL2): list registers, save and restore per vCPU
// SPDX-License-Identifier: MIT
//
// A guest at EL1 with HCR_EL2.IMO = 1 uses ICC_* registers that are really the ICV_* view of
// this interface: it acknowledges and ends the virtual interrupts the hypervisor writes into the
// list registers (ICH_LR<n>_EL2), without trapping. The number of list registers comes from
// ICH_VTR_EL2.ListRegs (QEMU TCG: 4; never assumed). A vCPU's share of the interface is
// GicState: its list registers, ICH_VMCR_EL2 (the guest's ICV_PMR/BPR/IGRPEN view), the active
// priority registers ICH_AP0R0/AP1R0 (one of each: 5 preemption bits, what QEMU and most
// cores implement; more would be ICH_AP1R1..3) and ICH_HCR_EL2 (En).
#pragma once

#include "core/types.hpp"

namespace runhv::arch::ich {

inline constexpr u32 kMaxLrs = 16;  // ICH_VTR_EL2.ListRegs is 5 bits: at most 16

// ICH_LR<n>_EL2 fields.
inline constexpr u64 kLrVintidMask = 0xFFFF'FFFFULL;  // vINTID [31:0]
inline constexpr unsigned kLrPriorityShift = 48;      // Priority [55:48]
inline constexpr u64 kLrEoi = u64{1} << 41;           // EOI (HW = 0): maintenance interrupt at the guest's EOI
inline constexpr u64 kLrGroup1 = u64{1} << 60;        // Group: 1 = virtual Group 1
inline constexpr u64 kLrHw = u64{1} << 61;            // HW: tied to a physical INTID (unused)
inline constexpr unsigned kLrStateShift = 62;         // State [63:62]
inline constexpr u64 kLrStatePending = u64{1} << 62;  // 0b01 pending
inline constexpr u64 kLrStateActive = u64{2} << 62;   // 0b10 active (0b11: both)
inline constexpr u64 kLrStateMask = u64{3} << 62;

// ICH_HCR_EL2.
inline constexpr u64 kHcrEn = u64{1} << 0;   // En: the virtual CPU interface operates
inline constexpr u64 kHcrUie = u64{1} << 1;  // UIE: maintenance interrupt when at most one LR is valid

struct GicState {
  u64 lr[kMaxLrs];
  u64 vmcr;
  u64 ap0r0;
  u64 ap1r0;
  u64 hcr;
};

// This pCPU: reads ICH_VTR_EL2, empties every list register, disables the interface until a
// vCPU is loaded. Needs the GICv3 system registers (ICC_SRE_EL2.SRE = 1).
void init();
// The number of list registers (after init on any pCPU; the same on all of them).
u32 lr_count();
// True once init() ran: without a GICv3 the ICH_* registers do not exist.
bool present();

// A vCPU's state at creation: interface enabled, list registers empty, VMCR zero (the guest
// programs its own priority mask and group enables).
GicState initial_state();
// Loads `s` into the interface / stores the interface into `s` and disables it.
void restore(const GicState& s);
void save(GicState& s);

// Read/write of list register `n` (below lr_count()).
u64 read_lr(u32 n);
void write_lr(u32 n, u64 value);

}  // namespace runhv::arch::ich
