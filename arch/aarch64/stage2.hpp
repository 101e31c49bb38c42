// Stage-2 translation for one domain: VTCR_EL2 (40-bit IPA, 4 KiB granule) and a block table
// SPDX-License-Identifier: MIT
//
// The walk starts at level 1 with two concatenated tables (VTCR_EL2.T0SZ = 24, SL0 = 1: 1024
// entries of 1 GiB, 8 KiB aligned); guest RAM is mapped with 2 MiB level-2 blocks as Normal
// write-back, inner shareable, read/write. VTTBR_EL2 carries the domain's VMID in [63:48].
#pragma once

#include "core/types.hpp"
#include "core/walker.hpp"

namespace runhv::arch {

class Stage2Table {
 public:
  static constexpr u64 kBlock = u64{2} << 20;
  static constexpr unsigned kMaxL2 = 2;  // level-2 tables: up to 2 GiB of mapped IPA space

  // Maps [ipa, ipa + size) to [pa, pa + size) as RAM. All three must be 2 MiB aligned. Returns
  // false (and maps nothing more) when the table runs out of level-2 tables or the IPA is too big.
  [[nodiscard]] bool map_ram(Ipa ipa, Pa pa, u64 size);

  // The registers a domain runs with (and the walker in core/ reads).
  [[nodiscard]] mmu::Stage2Regs regs(u16 vmid) const;

 private:
  alignas(8192) u64 root_[1024] = {};
  alignas(4096) u64 l2_[kMaxL2][512] = {};
  unsigned l2_used_ = 0;
};

// Loads VTCR/VTTBR for a domain and drops the TLB entries of its VMID.
void load_stage2(const mmu::Stage2Regs& regs);

}  // namespace runhv::arch
