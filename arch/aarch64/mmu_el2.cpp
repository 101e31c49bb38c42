// EL2 stage-1 MMU: identity map of RAM (Normal WB) and of the board's devices (Device-nGnRE)
// SPDX-License-Identifier: MIT
#include "arch/aarch64/mmu_el2.hpp"

#include "arch/aarch64/mmu_el2_regs.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "core/pte.hpp"
#include "lib/panic.hpp"

extern "C" {
runhv::arch::mmu_el2::BootRegs el2_mmu_boot_regs;
}

namespace runhv::arch::mmu_el2 {
namespace {

constexpr u64 kBlock = u64{2} << 20;  // level-2 block
constexpr u64 kGiB = u64{1} << 30;    // level-1 entry
constexpr unsigned kEntries = 512;

// MAIR_EL2: attribute 0 = Normal, inner/outer write-back read/write-allocate; 1 = Device-nGnRE.
constexpr u64 kAttrNormal = 0;
constexpr u64 kAttrDevice = 1;
constexpr u64 kMair = (u64{0xFF} << (8 * kAttrNormal)) | (u64{0x04} << (8 * kAttrDevice));

// TCR_EL2 (E2H = 0): T0SZ = 25 (39-bit VA), IRGN0/ORGN0 = write-back (1), SH0 = inner (3),
// TG0 = 4 KiB (0), PS = 40-bit (2); bits 23 and 31 are RES1.
constexpr u64 kTcr =
    25 | (u64{1} << 8) | (u64{1} << 10) | (u64{3} << 12) | (u64{2} << 16) | (u64{1} << 23) | (u64{1} << 31);

// Leaves, EL2 regime (AP[1] is RES1 there: AP = 0b01 is read/write).
constexpr u64 kNormalBlock =
    pte::TYPE_BLOCK | pte::s1::attrindx(kAttrNormal) | pte::s1::AP_RW_ALL | pte::SH_INNER | pte::AF;
constexpr u64 kDeviceBlock =
    pte::TYPE_BLOCK | pte::s1::attrindx(kAttrDevice) | pte::s1::AP_RW_ALL | pte::AF | pte::s1::XN;

// SCTLR_EL2.M (MMU) and C (data cache).
constexpr u64 kSctlrM = u64{1} << 0;
constexpr u64 kSctlrC = u64{1} << 2;

// Level 1 and one level-2 table per GiB that holds RAM, plus one for the device region.
constexpr unsigned kL2Tables = kMaxRam / kGiB + 1;
alignas(4096) u64 g_l1[kEntries];
alignas(4096) u64 g_l2[kL2Tables][kEntries];
unsigned g_l2_used = 0;

u64* l2_for(u64 va) {
  u64& entry = g_l1[va / kGiB];
  if ((entry & pte::VALID) == 0) {
    if (g_l2_used == kL2Tables) {
      panic("EL2 stage 1: out of level-2 tables mapping 0x%lx", va);
    }
    entry = reinterpret_cast<u64>(g_l2[g_l2_used++]) | pte::TYPE_TABLE;
  }
  return reinterpret_cast<u64*>(entry & pte::OA_MASK);
}

void map(u64 base, u64 size, u64 attrs) {
  for (u64 pa = base; pa < base + size; pa += kBlock) {
    l2_for(pa)[(pa / kBlock) % kEntries] = pa | attrs;
  }
}

}  // namespace

u64 enable(const Layout& layout) {
  if ((sysreg::read_id_aa64mmfr0_el1() & 0xF) < 2) {
    panic("EL2 stage 1: the CPU has fewer than 40 physical address bits");
  }
  u64 ram_size = layout.ram_size & ~(kBlock - 1);
  if (ram_size > kMaxRam) {
    ram_size = kMaxRam;
  }
  map(layout.ram_base.raw() & ~(kBlock - 1), ram_size, kNormalBlock);
  map(layout.device_base.raw() & ~(kBlock - 1), layout.device_size, kDeviceBlock);

  sysreg::dsb_sy();
  sysreg::write_mair_el2(kMair);
  sysreg::write_tcr_el2(kTcr);
  sysreg::write_ttbr0_el2(reinterpret_cast<u64>(g_l1));
  sysreg::isb();
  asm volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
  sysreg::write_sctlr_el2(sysreg::read_sctlr_el2() | kSctlrM | kSctlrC);
  sysreg::isb();

  // For the secondaries (boot.S secondary_entry), which read all this with their MMU off.
  el2_mmu_boot_regs = {
      .mair = kMair, .tcr = kTcr, .ttbr0 = reinterpret_cast<u64>(g_l1), .sctlr = sysreg::read_sctlr_el2()};
  clean_invalidate_to_poc(Pa{reinterpret_cast<u64>(&el2_mmu_boot_regs)}, sizeof el2_mmu_boot_regs);
  clean_invalidate_to_poc(Pa{reinterpret_cast<u64>(g_l1)}, sizeof g_l1);
  clean_invalidate_to_poc(Pa{reinterpret_cast<u64>(g_l2)}, sizeof g_l2);
  return ram_size;
}

void clean_invalidate_to_poc(Pa pa, u64 size) {
  const u64 line = u64{4} << bits(sysreg::read_ctr_el0(), 19, 16);  // CTR_EL0.DminLine, in words
  for (u64 at = pa.raw() & ~(line - 1); at < pa.raw() + size; at += line) {
    asm volatile("dc civac, %0" : : "r"(at) : "memory");
  }
  sysreg::dsb_sy();
}

}  // namespace runhv::arch::mmu_el2
