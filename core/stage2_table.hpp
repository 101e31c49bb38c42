// Stage-2 tables of one domain: the portable writer (40-bit IPA, 4 KiB granule, 2 MiB RAM blocks)
// SPDX-License-Identifier: MIT
//
// Geometry: VTCR_EL2.T0SZ = 24, SL0 = 1, so the walk starts at level 1 with two concatenated
// tables (1024 entries of 1 GiB, 8 KiB aligned). Guest RAM is mapped with 2 MiB level-2 blocks,
// Normal write-back, inner shareable, read/write/exec; single pages with 4 KiB level-3 entries.
// Level-2 and level-3 tables come from a fixed pool (kMaxL2, kMaxL3); one that unmap_page leaves
// mapping nothing goes back to it, so a guest moving a page about (add_to_physmap of a grant
// frame) holds only the tables of what is mapped now.
//
// The tables live in host RAM reached through GuestMemory (on the target, the hypervisor's
// identity-mapped .bss; in tests, model::Machine). TLB maintenance goes through Stage2Tlb, which
// the architecture implements. The table is live once regs() has handed out its registers:
// from then on every change to a valid entry is break-before-make (the entry is written
// invalid, the hook drops the VMID's TLB entries for it on every CPU, then the new entry is
// written), and sync() makes the writes visible to every CPU's table walker. Before that no
// CPU can hold anything from it, and the hook is not called.
//
// One writer at a time: every change holds the table's update lock, so vCPUs of one domain
// changing its stage 2 on several pCPUs take turns. A reader that finds an entry invalid may be
// looking into a break-before-make in progress: it takes the same lock and looks again (the
// software walks of core/guest_copy, the hypervisor's stage-2 fault handler). The lock is a
// leaf: nothing else is taken while it is held.
#pragma once

#include "core/guest_memory.hpp"
#include "core/pte.hpp"
#include "core/spinlock.hpp"
#include "core/types.hpp"
#include "core/walker.hpp"

namespace runhv::mmu {

// TLB maintenance for stage-2 changes, implemented by the architecture. `vmid` need not be the
// VMID of the calling CPU's current VTTBR_EL2.
class Stage2Tlb {
 public:
  // Drops every TLB entry of `vmid` (stage 2, and combined stage 1&2) that may translate `ipa`,
  // on every CPU. The table entry is already invalid in memory.
  virtual void invalidate_ipa(u16 vmid, Ipa ipa) = 0;
  // Drops every TLB entry of `vmid` on every CPU.
  virtual void invalidate_vmid(u16 vmid) = 0;
  // Makes every table write so far visible to every CPU's table walker.
  virtual void sync() = 0;

 protected:
  Stage2Tlb() = default;
  ~Stage2Tlb() = default;
  Stage2Tlb(const Stage2Tlb&) = default;
  Stage2Tlb& operator=(const Stage2Tlb&) = default;
};

namespace stage2 {
inline constexpr unsigned kIpaBits = 40;
inline constexpr u64 kIpaLimit = u64{1} << kIpaBits;
inline constexpr unsigned kPaBits = 40;  // VTCR_EL2.PS: output addresses below 1 TiB
inline constexpr u64 kPaLimit = u64{1} << kPaBits;
inline constexpr u64 kL1Span = u64{1} << 30;  // one level-1 entry
inline constexpr u64 kBlock = u64{2} << 20;   // one level-2 entry
inline constexpr unsigned kEntries = 512;     // per 4 KiB table
inline constexpr unsigned kRootEntries = 1024;
inline constexpr u64 kRootBytes = u64{kRootEntries} * 8;  // two concatenated tables, aligned to this
inline constexpr unsigned kMaxL2 = 4;                     // level-2 tables: up to 4 GiB of mapped IPA space
inline constexpr unsigned kMaxL3 = 4;                     // level-3 tables: 2 MiB windows of single pages
static_assert(kMaxL2 <= 32 && kMaxL3 <= 32, "the pools' free tables are bits of a u32");

// VTCR_EL2: T0SZ = 64 - 40, SL0 = 1 (level 1 with 4 KiB), IRGN0/ORGN0 = write-back (1),
// SH0 = inner (3), TG0 = 4 KiB (0), PS = 40 bits (2); bit 31 is RES1.
inline constexpr u64 kVtcr = (u64{64 - kIpaBits} << vtcr::T0SZ_SHIFT) | (u64{1} << vtcr::SL0_SHIFT) | (u64{1} << 8) |
                             (u64{1} << 10) | (u64{3} << 12) | (u64{0} << vtcr::TG0_SHIFT) |
                             (u64{2} << vtcr::PS_SHIFT) | (u64{1} << 31);

// Leaf descriptors, without the output address.
inline constexpr u64 kRamBlock =
    pte::TYPE_BLOCK | pte::s2::MEMATTR_NORMAL_WB | pte::s2::S2AP_RW | pte::SH_INNER | pte::AF;
inline constexpr u64 kRwPage = pte::TYPE_PAGE | pte::s2::MEMATTR_NORMAL_WB | pte::s2::S2AP_RW | pte::SH_INNER | pte::AF;
inline constexpr u64 kRoPage = pte::TYPE_PAGE | pte::s2::MEMATTR_NORMAL_WB | pte::s2::S2AP_R | pte::SH_INNER | pte::AF;
}  // namespace stage2

// Where a table's pages are: host-physical addresses, each mapped by the GuestMemory.
struct Stage2Pool {
  Pa root{};                // stage2::kRootBytes, aligned to it
  Pa l2[stage2::kMaxL2]{};  // one 4 KiB page each
  Pa l3[stage2::kMaxL3]{};  // one 4 KiB page each
};

class Stage2Table {
 public:
  static constexpr u64 kBlock = stage2::kBlock;
  static constexpr unsigned kMaxL2 = stage2::kMaxL2;
  static constexpr unsigned kMaxL3 = stage2::kMaxL3;

  // An empty table in `pool` (the root is zeroed here, the other pages when first used). A pool
  // that is misaligned or not RAM of `mem` leaves the table unusable: every call returns false.
  Stage2Table(GuestMemory& mem, Stage2Tlb& tlb, const Stage2Pool& pool);
  Stage2Table(const Stage2Table&) = delete;
  Stage2Table& operator=(const Stage2Table&) = delete;

  // Maps [ipa, ipa + size) to [pa, pa + size) as RAM with 2 MiB blocks. All three 2 MiB
  // aligned, both ranges below 1 TiB, no level-3 table in the range. Blocks already there are
  // replaced (one VMID-wide invalidation for all of them). False, with nothing changed, when an
  // argument is refused or level-2 tables run out.
  [[nodiscard]] bool map_ram(Ipa ipa, Pa pa, u64 size);
  // Maps one 4 KiB page at `ipa` to `pa`, read-only (and executable) for the guest. False, with
  // nothing changed, if the 2 MiB around `ipa` is a block or no table is left.
  [[nodiscard]] bool map_page_ro(Ipa ipa, Pa pa);
  // Puts a read-write page `pa` at `ipa`; a 2 MiB block around `ipa` is split into pages first,
  // the others keeping their mapping. `old` receives the PA mapped there before (0 if none).
  // False, with nothing changed, if an argument is refused or no table is left.
  [[nodiscard]] bool replace_page(Ipa ipa, Pa pa, Pa& old);
  // Unmaps the 4 KiB page at `ipa` (splitting a block around it); `old` as for replace_page.
  // A level-3 table left mapping nothing is unlinked and freed, then its level-2 table if that
  // maps nothing either. Nothing mapped there is success with old = 0. False, with nothing changed, if `ipa` is
  // refused or a split needs a table and none is left.
  [[nodiscard]] bool unmap_page(Ipa ipa, Pa& old);

  // The registers a domain runs with; the table is live, with VMID `vmid`, from here on.
  [[nodiscard]] Stage2Regs regs(u16 vmid);

  // Held by every change above; see the top of this file.
  [[nodiscard]] SpinLock& update_lock() const { return lock_; }

  [[nodiscard]] bool usable() const { return usable_; }
  [[nodiscard]] bool live() const { return live_; }
  [[nodiscard]] u16 vmid() const { return vmid_; }
  [[nodiscard]] unsigned l2_used() const { return l2_used_; }
  [[nodiscard]] unsigned l3_used() const { return l3_used_; }

 private:
  [[nodiscard]] u64* slot(Pa table, u64 index) const;
  [[nodiscard]] u64* l1_entry(u64 ipa) const;
  [[nodiscard]] u64* l2_entry(u64 l1e, u64 ipa) const;
  [[nodiscard]] Pa take_l2();
  [[nodiscard]] Pa take_l3();
  [[nodiscard]] bool all_invalid(Pa table) const;
  // After an entry for `in` was cleared in a level-3 table: frees the tables left empty.
  void reclaim(u64 in);
  void zero(Pa table) const;
  // Writes `value` over the valid entry `e` for `ipa`, break-before-make when live.
  void replace_live(u64* e, u64 value, Ipa ipa);

  mutable SpinLock lock_;
  GuestMemory& mem_;
  Stage2Tlb& tlb_;
  Stage2Pool pool_;
  unsigned l2_used_ = 0;
  unsigned l3_used_ = 0;
  u32 l2_taken_ = 0;  // bit i: pool_.l2[i] is linked in
  u32 l3_taken_ = 0;
  u16 vmid_ = 0;
  bool live_ = false;
  bool usable_ = false;
};

}  // namespace runhv::mmu
