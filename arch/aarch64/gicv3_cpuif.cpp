// GICv3 physical CPU interface at EL2 (ICC_* system registers): enable, acknowledge, EOI, SGIs
// SPDX-License-Identifier: MIT
#include "arch/aarch64/gicv3_cpuif.hpp"

#include "arch/aarch64/sysreg.hpp"

namespace runhv::arch::gicv3 {
namespace {

// ICC_SRE_EL2.
constexpr u64 kSreSre = u64{1} << 0;     // SRE: EL2 uses the system-register interface
constexpr u64 kSreDfb = u64{1} << 1;     // DFB: FIQ bypass off
constexpr u64 kSreDib = u64{1} << 2;     // DIB: IRQ bypass off
constexpr u64 kSreEnable = u64{1} << 3;  // Enable: EL1 may use ICC_SRE_EL1 (its ICV_* view)

// ICC_PMR_EL1: signal every priority above (numerically below) 0xFF.
constexpr u64 kPmrOpen = 0xFF;
// ICC_CTLR_EL1: EOImode (bit 1) = 0, CBPR (bit 0) = 0; everything else default.
constexpr u64 kCtlrEoiMode0 = 0;
// ICC_IGRPEN1_EL1.Enable.
constexpr u64 kIgrpen1Enable = 1;

// ICC_SGI1R_EL1 fields.
constexpr unsigned kSgiAff1Shift = 16;   // Aff1 [23:16]
constexpr unsigned kSgiIntidShift = 24;  // INTID [27:24]
constexpr unsigned kSgiAff2Shift = 32;   // Aff2 [39:32]
constexpr unsigned kSgiRsShift = 44;     // RS [47:44]: TargetList covers Aff0 16*RS .. 16*RS+15
constexpr unsigned kSgiAff3Shift = 48;   // Aff3 [55:48]; TargetList [15:0], IRM [40] = 0

}  // namespace

bool cpuif_init() {
  sysreg::write_icc_sre_el2(kSreSre | kSreDfb | kSreDib | kSreEnable);
  sysreg::isb();
  if ((sysreg::read_icc_sre_el2() & kSreSre) == 0) {
    return false;
  }
  sysreg::write_icc_pmr_el1(kPmrOpen);
  sysreg::write_icc_bpr1_el1(0);
  sysreg::write_icc_ctlr_el1(kCtlrEoiMode0);
  sysreg::write_icc_igrpen1_el1(kIgrpen1Enable);
  sysreg::isb();
  return true;
}

u64 cpuif_ack() {
  const u64 iar = sysreg::read_icc_iar1_el1();
  asm volatile("dsb sy" ::: "memory");  // the acknowledge before the handler's side effects
  return iar;
}

void cpuif_eoi(u64 iar) {
  sysreg::write_icc_eoir1_el1(iar);
  sysreg::isb();
}

void cpuif_send_sgi(u64 mpidr, u32 sgi) {
  const u64 aff0 = bits(mpidr, 7, 0);
  const u64 value = (u64{1} << (aff0 % 16)) | (bits(mpidr, 15, 8) << kSgiAff1Shift) |
                    (u64{sgi & 0xF} << kSgiIntidShift) | (bits(mpidr, 23, 16) << kSgiAff2Shift) |
                    ((aff0 / 16) << kSgiRsShift) | (bits(mpidr, 39, 32) << kSgiAff3Shift);
  sysreg::dsb_ishst();  // what the target will read is visible before it is woken
  sysreg::write_icc_sgi1r_el1(value);
  sysreg::isb();
}

}  // namespace runhv::arch::gicv3
