// Stage-2 translation for one domain: VTCR_EL2 (40-bit IPA, 4 KiB granule) and a block table
// SPDX-License-Identifier: MIT
#include "arch/aarch64/stage2.hpp"

#include "arch/aarch64/sysreg.hpp"

namespace runhv::arch {
namespace {

constexpr u64 kGiB = u64{1} << 30;
constexpr u64 kIpaBits = 40;
constexpr u64 kAddrMask = 0x0000'FFFF'FFFF'F000ULL;

// VTCR_EL2: T0SZ = 64 - 40, SL0 = 1 (start at level 1 with 4 KiB pages), IRGN0/ORGN0 =
// write-back (1), SH0 = inner (3), TG0 = 4 KiB (0), PS = 40-bit (2); bit 31 is RES1.
constexpr u64 kVtcr =
    (64 - kIpaBits) | (u64{1} << 6) | (u64{1} << 8) | (u64{1} << 10) | (u64{3} << 12) | (u64{2} << 16) | (u64{1} << 31);

// Stage-2 descriptor bits.
constexpr u64 kValid = 1;
constexpr u64 kTable = 2;
constexpr u64 kMemAttrNormalWb = u64{0xF} << 2;  // MemAttr = outer WB, inner WB
constexpr u64 kS2apRw = u64{3} << 6;
constexpr u64 kShInner = u64{3} << 8;
constexpr u64 kAf = u64{1} << 10;
constexpr u64 kS2apRo = u64{1} << 6;
constexpr u64 kRamBlock = kValid | kMemAttrNormalWb | kS2apRw | kShInner | kAf;
constexpr u64 kRoPage = kValid | kTable | kMemAttrNormalWb | kS2apRo | kShInner | kAf;  // level 3: bit 1 set
constexpr u64 kRwPage = kValid | kTable | kMemAttrNormalWb | kS2apRw | kShInner | kAf;
constexpr u64 kAttrMask = 0xFFF0'0000'0000'0FFCULL;  // everything but the output address and type

// Drops every stage-1&2 TLB entry of `vmid` that may hold `ipa`, on every CPU. VTTBR must hold
// `vmid` (the caller runs on behalf of that domain).
void invalidate_ipa(u64 ipa) {
  asm volatile(
      "dsb ishst\n"
      "tlbi ipas2e1is, %0\n"
      "dsb ish\n"
      "tlbi vmalle1is\n"
      "dsb ish\n"
      "isb" ::"r"(ipa >> kPageShift)
      : "memory");
}

}  // namespace

bool Stage2Table::map_ram(Ipa ipa, Pa pa, u64 size) {
  if (((ipa.raw() | pa.raw() | size) & (kBlock - 1)) != 0 || ipa.raw() + size > (u64{1} << kIpaBits)) {
    return false;
  }
  for (u64 off = 0; off < size; off += kBlock) {
    const u64 at = ipa.raw() + off;
    u64* l2 = l2_for(at);
    if (l2 == nullptr) {
      return false;
    }
    l2[(at / kBlock) % 512] = (pa.raw() + off) | kRamBlock;
  }
  return true;
}

u64* Stage2Table::l2_for(u64 at) {
  u64& l1 = root_[at / kGiB];
  if ((l1 & kValid) == 0) {
    if (l2_used_ == kMaxL2) {
      return nullptr;
    }
    l1 = reinterpret_cast<u64>(l2_[l2_used_++]) | kValid | kTable;
  }
  return reinterpret_cast<u64*>(l1 & kAddrMask);
}

bool Stage2Table::map_page_ro(Ipa ipa, Pa pa) {
  if (((ipa.raw() | pa.raw()) & kPageMask) != 0 || ipa.raw() >= (u64{1} << kIpaBits)) {
    return false;
  }
  u64* l2 = l2_for(ipa.raw());
  if (l2 == nullptr) {
    return false;
  }
  u64& l2e = l2[(ipa.raw() / kBlock) % 512];
  if ((l2e & kValid) == 0) {
    if (l3_used_ == kMaxL3) {
      return false;
    }
    l2e = reinterpret_cast<u64>(l3_[l3_used_++]) | kValid | kTable;
  } else if ((l2e & kTable) == 0) {
    return false;  // a 2 MiB block is there
  }
  auto* l3 = reinterpret_cast<u64*>(l2e & kAddrMask);
  l3[(ipa.raw() >> kPageShift) % 512] = pa.raw() | kRoPage;
  return true;
}

bool Stage2Table::replace_page(Ipa ipa, Pa pa, Pa& old) {
  old = Pa{0};
  if (((ipa.raw() | pa.raw()) & kPageMask) != 0 || ipa.raw() >= (u64{1} << kIpaBits)) {
    return false;
  }
  u64* l2 = l2_for(ipa.raw());
  if (l2 == nullptr) {
    return false;
  }
  // The TLB maintenance below acts on the VMID in VTTBR_EL2: the caller's domain.
  u64& l2e = l2[(ipa.raw() / kBlock) % 512];
  if ((l2e & kTable) == 0) {
    if (l3_used_ == kMaxL3) {
      return false;
    }
    u64* l3 = l3_[l3_used_++];
    const u64 block = l2e;
    const u64 base = block & kAddrMask & ~(kBlock - 1);
    for (u64 i = 0; i < 512; ++i) {
      l3[i] = (block & kValid) != 0 ? (base + i * kPageSize) | (block & kAttrMask) | kValid | kTable : 0;
    }
    // Break-before-make: the block goes, its TLB entries go, then the table comes.
    __atomic_store_n(&l2e, u64{0}, __ATOMIC_RELAXED);
    invalidate_ipa(ipa.raw());
    __atomic_store_n(&l2e, reinterpret_cast<u64>(l3) | kValid | kTable, __ATOMIC_RELEASE);
  }
  auto* l3 = reinterpret_cast<u64*>(l2e & kAddrMask);
  u64& pte = l3[(ipa.raw() >> kPageShift) % 512];
  if ((pte & kValid) != 0) {
    old = Pa{pte & kAddrMask};
  }
  __atomic_store_n(&pte, u64{0}, __ATOMIC_RELAXED);
  invalidate_ipa(ipa.raw());
  __atomic_store_n(&pte, pa.raw() | kRwPage, __ATOMIC_RELEASE);
  sysreg::dsb_ish();
  return true;
}

mmu::Stage2Regs Stage2Table::regs(u16 vmid) const {
  return {.vtcr = kVtcr, .vttbr = reinterpret_cast<u64>(root_) | (u64{vmid} << 48)};
}

void load_stage2(const mmu::Stage2Regs& regs) {
  sysreg::dsb_ish();  // table writes visible to the walker
  sysreg::write_vtcr_el2(regs.vtcr);
  sysreg::write_vttbr_el2(regs.vttbr);
  sysreg::isb();
}

void flush_guest_tlbs() { asm volatile("dsb ishst\n tlbi alle1is\n dsb ish\n isb" ::: "memory"); }

}  // namespace runhv::arch
