// Stage 2 on the target: a domain's table storage, VTCR_EL2/VTTBR_EL2 and TLB maintenance
// SPDX-License-Identifier: MIT
//
// The table logic is the portable writer in core/stage2_table.hpp; this wraps it with storage
// in the hypervisor's identity-mapped memory (a Pa is the storage's own address) and the TLB
// maintenance for the table's VMID, which need not be the VMID the calling CPU has loaded: the
// invalidation switches VTTBR_EL2 to this table around the TLBI, interrupts masked.
//
// TLBs: entries are tagged with the VMID, so switching between domains needs no maintenance.
// flush_guest_tlbs() once at boot drops whatever a VMID might hold from before.
#pragma once

#include "core/stage2_table.hpp"
#include "core/types.hpp"
#include "core/walker.hpp"

namespace runhv::arch {

class Stage2Table {
 public:
  static constexpr u64 kBlock = mmu::Stage2Table::kBlock;
  static constexpr unsigned kMaxL2 = mmu::Stage2Table::kMaxL2;
  static constexpr unsigned kMaxL3 = mmu::Stage2Table::kMaxL3;

  Stage2Table();
  Stage2Table(const Stage2Table&) = delete;
  Stage2Table& operator=(const Stage2Table&) = delete;

  // See mmu::Stage2Table.
  [[nodiscard]] bool map_ram(Ipa ipa, Pa pa, u64 size) { return table_.map_ram(ipa, pa, size); }
  [[nodiscard]] bool map_page_ro(Ipa ipa, Pa pa) { return table_.map_page_ro(ipa, pa); }
  [[nodiscard]] bool replace_page(Ipa ipa, Pa pa, Pa& old) { return table_.replace_page(ipa, pa, old); }
  [[nodiscard]] bool unmap_page(Ipa ipa, Pa& old) { return table_.unmap_page(ipa, old); }
  [[nodiscard]] SpinLock& update_lock() const { return table_.update_lock(); }
  // The registers a domain runs with (and the walker in core/ reads); the table is live from here.
  [[nodiscard]] mmu::Stage2Regs regs(u16 vmid) { return table_.regs(vmid); }

 private:
  // TLB maintenance for this table's VMID, with VTTBR_EL2 switched to this table around the TLBI.
  class Tlb final : public mmu::Stage2Tlb {
   public:
    explicit Tlb(const Stage2Table& table) : table_(table) {}
    void invalidate_ipa(u16 vmid, Ipa ipa) override;
    void invalidate_vmid(u16 vmid) override;
    void sync() override;

   private:
    [[nodiscard]] u64 vttbr(u16 vmid) const;
    const Stage2Table& table_;
  };

  [[nodiscard]] mmu::Stage2Pool pool();

  alignas(mmu::stage2::kRootBytes) u64 root_[mmu::stage2::kRootEntries] = {};
  alignas(kPageSize) u64 l2_[kMaxL2][mmu::stage2::kEntries] = {};
  alignas(kPageSize) u64 l3_[kMaxL3][mmu::stage2::kEntries] = {};
  Tlb tlb_;  // after the tables: no vtable pointer ahead of the 8 KiB-aligned root
  mmu::Stage2Table table_;
};

// Loads VTCR/VTTBR for a domain (no TLB maintenance: VMID-tagged).
void load_stage2(const mmu::Stage2Regs& regs);
// Invalidates every stage-1&2 TLB entry of every VMID, inner shareable (boot, before guests run).
void flush_guest_tlbs();

}  // namespace runhv::arch
