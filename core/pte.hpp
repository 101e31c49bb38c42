// VMSAv8-64 translation-table descriptor bits, stage 1 and stage 2 (Arm ARM DDI 0487, D8.3)
// SPDX-License-Identifier: MIT
//
// The one definition of the descriptor layout, used by the walker, the model's table builders,
// the stage-2 writer, the EL2 stage-1 tables and the probe guest's tables. Freestanding.
//
// Both stages share the type bits, SH, AF and the output address; they differ in bits [7:2]
// (stage 1: AttrIndx into MAIR + NS + AP; stage 2: MemAttr itself + S2AP) and in the meaning of
// bits 53/54 (stage 1: PXN/UXN; stage 2: XN[1:0]). Output addresses are 48 bits (no LPA).
#pragma once

#include "core/types.hpp"

namespace runhv::pte {

// ---------------------------------------------------------------- both stages
inline constexpr u64 VALID = u64{1} << 0;
inline constexpr u64 TABLE = u64{1} << 1;  // levels 0-2: next-level table (clear: block)
inline constexpr u64 PAGE = u64{1} << 1;   // level 3: must be set for a page
inline constexpr u64 TYPE_MASK = VALID | TABLE;
inline constexpr u64 TYPE_TABLE = VALID | TABLE;  // levels 0-2
inline constexpr u64 TYPE_BLOCK = VALID;          // levels 1-2 (4 KiB granule)
inline constexpr u64 TYPE_PAGE = VALID | PAGE;    // level 3

inline constexpr unsigned SH_SHIFT = 8;  // [9:8]
inline constexpr u64 SH_NONE = u64{0} << SH_SHIFT;
inline constexpr u64 SH_OUTER = u64{2} << SH_SHIFT;
inline constexpr u64 SH_INNER = u64{3} << SH_SHIFT;
inline constexpr u64 AF = u64{1} << 10;

// Output address (or next-table address) of a 4 KiB-granule descriptor: bits [47:12].
inline constexpr u64 OA_MASK = 0x0000'FFFF'FFFF'F000ULL;
// The attribute fields of a leaf: upper [63:50] and lower [11:2]. Splitting a block copies them.
inline constexpr u64 LEAF_ATTR_MASK = 0xFFFC'0000'0000'0FFCULL;

// ---------------------------------------------------------------- stage 1
namespace s1 {
inline constexpr unsigned ATTRINDX_SHIFT = 2;  // [4:2]: index into MAIR_ELx
constexpr u64 attrindx(u64 index) { return (index & 7) << ATTRINDX_SHIFT; }
inline constexpr u64 NS = u64{1} << 5;
inline constexpr u64 AP_EL0 = u64{1} << 6;  // AP[1]: EL0 may access (RES1 in the EL2 regime)
inline constexpr u64 AP_RO = u64{1} << 7;   // AP[2]: read-only
inline constexpr u64 AP_RW_EL1 = 0;         // AP = 0b00
inline constexpr u64 AP_RW_ALL = AP_EL0;    // AP = 0b01 (EL2 regime: read/write)
inline constexpr u64 AP_RO_EL1 = AP_RO;     // AP = 0b10
inline constexpr u64 AP_RO_ALL = AP_RO | AP_EL0;
inline constexpr u64 NG = u64{1} << 11;
inline constexpr u64 PXN = u64{1} << 53;
inline constexpr u64 UXN = u64{1} << 54;
inline constexpr u64 XN = UXN;  // single-EL regimes (EL2 with E2H = 0): XN is bit 54
// Table descriptors: hierarchical limits on everything below.
inline constexpr u64 PXN_TABLE = u64{1} << 59;
inline constexpr u64 UXN_TABLE = u64{1} << 60;
inline constexpr u64 AP_TABLE_NO_EL0 = u64{1} << 61;  // APTable[0]
inline constexpr u64 AP_TABLE_RO = u64{1} << 62;      // APTable[1]
inline constexpr u64 TABLE_ATTR_MASK = u64{0xF} << 59;
}  // namespace s1

// ---------------------------------------------------------------- stage 2
namespace s2 {
inline constexpr unsigned MEMATTR_SHIFT = 2;  // [5:2]: the memory type itself, no MAIR
inline constexpr u64 MEMATTR_MASK = u64{0xF} << MEMATTR_SHIFT;
inline constexpr u64 MEMATTR_DEVICE_NGNRE = u64{0b0001} << MEMATTR_SHIFT;
inline constexpr u64 MEMATTR_NORMAL_WB = u64{0b1111} << MEMATTR_SHIFT;  // outer and inner WB
inline constexpr u64 S2AP_R = u64{1} << 6;                              // S2AP[0]
inline constexpr u64 S2AP_W = u64{1} << 7;                              // S2AP[1]
inline constexpr u64 S2AP_RW = S2AP_R | S2AP_W;
inline constexpr u64 XN0 = u64{1} << 53;  // XN[0]
inline constexpr u64 XN1 = u64{1} << 54;  // XN[1]
inline constexpr u64 XN = XN1;            // XN[1:0] = 0b10: no execution at any EL
}  // namespace s2

}  // namespace runhv::pte
