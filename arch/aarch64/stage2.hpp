// Stage-2 translation for one domain: VTCR_EL2 (40-bit IPA, 4 KiB granule) and its tables
// SPDX-License-Identifier: MIT
//
// The walk starts at level 1 with two concatenated tables (VTCR_EL2.T0SZ = 24, SL0 = 1: 1024
// entries of 1 GiB, 8 KiB aligned); guest RAM is mapped with 2 MiB level-2 blocks as Normal
// write-back, inner shareable, read/write; single hypervisor pages (the PV-time records) with
// 4 KiB level-3 pages, read-only. VTTBR_EL2 carries the domain's VMID in [63:48].
//
// TLBs: entries are tagged with the VMID, so switching between domains needs no maintenance.
// The tables are complete before a domain first runs; flush_guest_tlbs() once at boot drops
// whatever a VMID might hold from before (a change to a live table would need a flush of its
// VMID).
#pragma once

#include "core/types.hpp"
#include "core/walker.hpp"

namespace runhv::arch {

class Stage2Table {
 public:
  static constexpr u64 kBlock = u64{2} << 20;
  static constexpr unsigned kMaxL2 = 4;  // level-2 tables: up to 4 GiB of mapped IPA space
  static constexpr unsigned kMaxL3 = 4;  // level-3 tables: 2 MiB windows of single pages

  // Maps [ipa, ipa + size) to [pa, pa + size) as RAM. All three must be 2 MiB aligned. Returns
  // false (and maps nothing more) when the table runs out of level-2 tables or the IPA is too big.
  [[nodiscard]] bool map_ram(Ipa ipa, Pa pa, u64 size);
  // Maps one 4 KiB page at `ipa` to `pa`, Normal write-back, read-only for the guest. False if
  // the 2 MiB around `ipa` is already a block or no level-3 table is left.
  [[nodiscard]] bool map_page_ro(Ipa ipa, Pa pa);

  // Puts a read-write Normal page `pa` at `ipa` in a table that may be live: the caller runs on
  // behalf of this domain, whose VMID is in VTTBR_EL2. A 2 MiB RAM block around `ipa` is split
  // into pages first; each change is break-before-make with the VMID's TLB entries invalidated
  // on every CPU. `old` receives the PA mapped there before (0 if none). False when no level-3
  // table is left.
  [[nodiscard]] bool replace_page(Ipa ipa, Pa pa, Pa& old);

  // The registers a domain runs with (and the walker in core/ reads).
  [[nodiscard]] mmu::Stage2Regs regs(u16 vmid) const;

 private:
  u64* l2_for(u64 ipa);

  alignas(8192) u64 root_[1024] = {};
  alignas(4096) u64 l2_[kMaxL2][512] = {};
  alignas(4096) u64 l3_[kMaxL3][512] = {};
  unsigned l2_used_ = 0;
  unsigned l3_used_ = 0;
};

// Loads VTCR/VTTBR for a domain (no TLB maintenance: VMID-tagged).
void load_stage2(const mmu::Stage2Regs& regs);
// Invalidates every stage-1&2 TLB entry of every VMID, inner shareable (boot, before guests run).
void flush_guest_tlbs();

}  // namespace runhv::arch
