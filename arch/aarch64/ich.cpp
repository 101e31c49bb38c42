// GICv3 virtual CPU interface (ICH_* at EL2): list registers, save and restore per vCPU
// SPDX-License-Identifier: MIT
#include "arch/aarch64/ich.hpp"

#include "arch/aarch64/sysreg.hpp"

namespace runhv::arch::ich {
namespace {

u32 g_lrs = 0;  // 0 until init(): no virtual interface

// ICH_LR<n>_EL2 takes its number in the instruction: one case per register.
#define RUNHV_LR_CASES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

}  // namespace

u64 read_lr(u32 n) {
  u64 value = 0;
  switch (n) {
#define RUNHV_READ_LR(i)                                    \
  case i:                                                   \
    asm volatile("mrs %0, ich_lr" #i "_el2" : "=r"(value)); \
    break;
    RUNHV_LR_CASES(RUNHV_READ_LR)
#undef RUNHV_READ_LR
    default:
      break;
  }
  return value;
}

void write_lr(u32 n, u64 value) {
  switch (n) {
#define RUNHV_WRITE_LR(i)                                               \
  case i:                                                               \
    asm volatile("msr ich_lr" #i "_el2, %0" : : "r"(value) : "memory"); \
    break;
    RUNHV_LR_CASES(RUNHV_WRITE_LR)
#undef RUNHV_WRITE_LR
    default:
      break;
  }
}

void init() {
  // ICH_VTR_EL2.ListRegs, bits [4:0]: the number of list registers minus one.
  g_lrs = static_cast<u32>(bits(sysreg::read_ich_vtr_el2(), 4, 0)) + 1;
  sysreg::write_ich_hcr_el2(0);
  for (u32 i = 0; i < g_lrs; ++i) {
    write_lr(i, 0);
  }
  sysreg::write_ich_vmcr_el2(0);
  sysreg::write_ich_ap0r0_el2(0);
  sysreg::write_ich_ap1r0_el2(0);
  sysreg::isb();
}

u32 lr_count() { return g_lrs; }

bool present() { return g_lrs != 0; }

GicState initial_state() {
  GicState s{};
  s.hcr = kHcrEn;
  return s;
}

void restore(const GicState& s) {
  for (u32 i = 0; i < g_lrs; ++i) {
    write_lr(i, s.lr[i]);
  }
  sysreg::write_ich_vmcr_el2(s.vmcr);
  sysreg::write_ich_ap0r0_el2(s.ap0r0);
  sysreg::write_ich_ap1r0_el2(s.ap1r0);
  sysreg::write_ich_hcr_el2(s.hcr);
  sysreg::isb();
}

void save(GicState& s) {
  s.hcr = sysreg::read_ich_hcr_el2();
  s.vmcr = sysreg::read_ich_vmcr_el2();
  s.ap0r0 = sysreg::read_ich_ap0r0_el2();
  s.ap1r0 = sysreg::read_ich_ap1r0_el2();
  for (u32 i = 0; i < g_lrs; ++i) {
    s.lr[i] = read_lr(i);
  }
  sysreg::write_ich_hcr_el2(0);
  sysreg::isb();
}

}  // namespace runhv::arch::ich
