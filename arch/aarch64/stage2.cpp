// Stage 2 on the target: table storage, VTCR_EL2/VTTBR_EL2 and TLB maintenance by VMID
// SPDX-License-Identifier: MIT
#include "arch/aarch64/stage2.hpp"

#include "arch/aarch64/sysreg.hpp"

namespace runhv::arch {
namespace {

// The hypervisor's own memory is identity mapped at EL2: a table's Pa is its address. Only the
// writer's accesses go through here (map); frames belong to the frame table.
class IdentityMemory final : public GuestMemory {
 public:
  Frame* frame(Pa) override { return nullptr; }
  u8* map(Pa pa) override { return reinterpret_cast<u8*>(pa.page_base().raw()); }
  bool read_descriptor(Pa pa, u64& value) override {
    value = __atomic_load_n(reinterpret_cast<const u64*>(pa.raw()), __ATOMIC_RELAXED);
    return true;
  }
};

constinit IdentityMemory g_identity;

constexpr u64 kVmidShift = 48;
constexpr u64 kAddrBits = (u64{1} << kVmidShift) - 1;

// Runs `tlbi` with VTTBR_EL2 = `vttbr` (the TLBI acts on its VMID) and everything masked, then
// puts back what was there. The table entry's store is made visible before the TLBI.
template <class Tlbi>
void with_vttbr(u64 vttbr, Tlbi&& tlbi) {
  u64 daif = 0;
  asm volatile("mrs %0, daif\n msr daifset, #0xf" : "=r"(daif)::"memory");
  sysreg::dsb_ishst();
  const u64 saved = sysreg::read_vttbr_el2();
  if (saved != vttbr) {
    sysreg::write_vttbr_el2(vttbr);
    sysreg::isb();
  }
  tlbi();
  if (saved != vttbr) {
    sysreg::write_vttbr_el2(saved);
    sysreg::isb();
  }
  asm volatile("msr daif, %0" ::"r"(daif) : "memory");
}

}  // namespace

Stage2Table::Stage2Table() : tlb_(*this), table_(g_identity, tlb_, pool()) {}

mmu::Stage2Pool Stage2Table::pool() {
  mmu::Stage2Pool p;
  p.root = Pa(reinterpret_cast<u64>(root_));
  for (unsigned i = 0; i < kMaxL2; ++i) {
    p.l2[i] = Pa(reinterpret_cast<u64>(l2_[i]));
  }
  for (unsigned i = 0; i < kMaxL3; ++i) {
    p.l3[i] = Pa(reinterpret_cast<u64>(l3_[i]));
  }
  return p;
}

u64 Stage2Table::Tlb::vttbr(u16 vmid) const {
  return (reinterpret_cast<u64>(table_.root_) & kAddrBits) | (u64{vmid} << kVmidShift);
}

void Stage2Table::Tlb::invalidate_ipa(u16 vmid, Ipa ipa) {
  with_vttbr(vttbr(vmid), [ipa] {
    asm volatile(
        "tlbi ipas2e1is, %0\n"
        "dsb ish\n"
        "tlbi vmalle1is\n"
        "dsb ish\n"
        "isb" ::"r"(ipa.raw() >> kPageShift)
        : "memory");
  });
}

void Stage2Table::Tlb::invalidate_vmid(u16 vmid) {
  with_vttbr(vttbr(vmid), [] { asm volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory"); });
}

void Stage2Table::Tlb::sync() { sysreg::dsb_ish(); }

void load_stage2(const mmu::Stage2Regs& regs) {
  sysreg::dsb_ish();  // table writes visible to the walker
  sysreg::write_vtcr_el2(regs.vtcr);
  sysreg::write_vttbr_el2(regs.vttbr);
  sysreg::isb();
}

void flush_guest_tlbs() { asm volatile("dsb ishst\n tlbi alle1is\n dsb ish\n isb" ::: "memory"); }

}  // namespace runhv::arch
