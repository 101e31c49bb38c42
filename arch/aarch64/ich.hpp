// GICv3 virtual CPU interface (ICH_* at EL2): list registers, save and restore per vCPU
// SPDX-License-Identifier: MIT
//
// A guest at EL1 with HCR_EL2.IMO = 1 uses ICC_* registers that are really the ICV_* view of
// this interface: it acknowledges and ends the virtual interrupts the hypervisor writes into the
// list registers (ICH_LR<n>_EL2), without trapping. The number of list registers comes from
// ICH_VTR_EL2.ListRegs (QEMU TCG: 4; never assumed), that of the active priority registers
// ICH_AP0R<n>/AP1R<n> from ICH_VTR_EL2.PREbits (5 preemption bits: one of each, what QEMU and
// most cores implement; 6: two; 7: four). A vCPU's share of the interface is GicState: its list
// registers, ICH_VMCR_EL2 (the guest's ICV_PMR/BPR/IGRPEN view), the active priorities and
// ICH_HCR_EL2 (En). Only the list registers a vCPU uses are switched (VcpuState::lrs_used, as
// KVM's used_lrs): the others are zero in the interface and in GicState.
#pragma once

#include "core/types.hpp"

namespace runhv::arch::ich {

inline constexpr u32 kMaxLrs = 16;  // ICH_VTR_EL2.ListRegs is 5 bits: at most 16
inline constexpr u32 kMaxAprs = 4;  // ICH_AP0R0..3_EL2 (and AP1R): 7 preemption bits

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
  u64 ap0r[kMaxAprs];
  u64 ap1r[kMaxAprs];
  u64 hcr;
};

// Set by init(): 0 list registers until then (no GICv3: the ICH_* registers do not exist).
inline u32 g_lrs = 0;
inline u32 g_aprs = 0;

// This pCPU: reads ICH_VTR_EL2, empties every list register, disables the interface until a
// vCPU is loaded. Needs the GICv3 system registers (ICC_SRE_EL2.SRE = 1).
void init();
// The number of list registers (after init on any pCPU; the same on all of them).
inline u32 lr_count() { return g_lrs; }
// True once init() ran: without a GICv3 the ICH_* registers do not exist.
inline bool present() { return g_lrs != 0; }

// A vCPU's state at creation: interface enabled, list registers empty, VMCR zero (the guest
// programs its own priority mask and group enables).
GicState initial_state();
// Loads `s` into the interface (list registers 0..used-1; the others are zero there) / stores
// the interface into `s`, empties list registers 0..used-1 and disables it.
void restore(const GicState& s, u32 used);
void save(GicState& s, u32 used);

// Read/write of list register `n` (below lr_count()).
u64 read_lr(u32 n);
void write_lr(u32 n, u64 value);

}  // namespace runhv::arch::ich
