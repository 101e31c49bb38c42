// GICv3 virtual CPU interface (ICH_* at EL2): list registers, save and restore per vCPU
// SPDX-License-Identifier: MIT
#include "arch/aarch64/ich.hpp"

#include "arch/aarch64/sysreg.hpp"

namespace runhv::arch::ich {
namespace {

// ICH_LR<n>_EL2 takes its number in the instruction: one case per register.
#define RUNHV_LR_CASES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
// The same, highest first: a switch on the count falls through to LR0 (as KVM's save/restore).
#define RUNHV_LR_CASES_DOWN(X) X(15) X(14) X(13) X(12) X(11) X(10) X(9) X(8) X(7) X(6) X(5) X(4) X(3) X(2) X(1) X(0)

// The active priority registers the CPU implements (g_aprs of each group).
void restore_aprs(const GicState& s) {
  using namespace sysreg;
  switch (g_aprs) {
    case 4:
      write_ich_ap0r3_el2(s.ap0r[3]);
      write_ich_ap1r3_el2(s.ap1r[3]);
      write_ich_ap0r2_el2(s.ap0r[2]);
      write_ich_ap1r2_el2(s.ap1r[2]);
      [[fallthrough]];
    case 2:
      write_ich_ap0r1_el2(s.ap0r[1]);
      write_ich_ap1r1_el2(s.ap1r[1]);
      [[fallthrough]];
    default:
      write_ich_ap0r0_el2(s.ap0r[0]);
      write_ich_ap1r0_el2(s.ap1r[0]);
  }
}

void save_aprs(GicState& s) {
  using namespace sysreg;
  switch (g_aprs) {
    case 4:
      s.ap0r[3] = read_ich_ap0r3_el2();
      s.ap1r[3] = read_ich_ap1r3_el2();
      s.ap0r[2] = read_ich_ap0r2_el2();
      s.ap1r[2] = read_ich_ap1r2_el2();
      [[fallthrough]];
    case 2:
      s.ap0r[1] = read_ich_ap0r1_el2();
      s.ap1r[1] = read_ich_ap1r1_el2();
      [[fallthrough]];
    default:
      s.ap0r[0] = read_ich_ap0r0_el2();
      s.ap1r[0] = read_ich_ap1r0_el2();
  }
}

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
  const u64 vtr = sysreg::read_ich_vtr_el2();
  // ICH_VTR_EL2.ListRegs, bits [4:0]: the number of list registers minus one.
  g_lrs = static_cast<u32>(bits(vtr, 4, 0)) + 1;
  // ICH_VTR_EL2.PREbits, bits [28:26]: preemption bits minus one; 5, 6, 7 bits need 1, 2, 4
  // active priority registers of each group.
  g_aprs = u32{1} << (static_cast<u32>(bits(vtr, 28, 26)) - 4);
  sysreg::write_ich_hcr_el2(0);
  for (u32 i = 0; i < g_lrs; ++i) {
    write_lr(i, 0);
  }
  sysreg::write_ich_vmcr_el2(0);
  restore_aprs(GicState{});
  sysreg::isb();
}

GicState initial_state() {
  GicState s{};
  s.hcr = kHcrEn;
  return s;
}

void restore(const GicState& s, u32 used) {
  switch (used) {
#define RUNHV_RESTORE_LR(i)                                               \
  case i + 1:                                                             \
    asm volatile("msr ich_lr" #i "_el2, %0" : : "r"(s.lr[i]) : "memory"); \
    [[fallthrough]];
    RUNHV_LR_CASES_DOWN(RUNHV_RESTORE_LR)
#undef RUNHV_RESTORE_LR
    default:
      break;
  }
  sysreg::write_ich_vmcr_el2(s.vmcr);
  restore_aprs(s);
  sysreg::write_ich_hcr_el2(s.hcr);  // (in effect at the entry's ERET)
}

void save(GicState& s, u32 used) {
  s.hcr = sysreg::read_ich_hcr_el2();
  s.vmcr = sysreg::read_ich_vmcr_el2();
  save_aprs(s);
  switch (used) {
#define RUNHV_SAVE_LR(i)                                      \
  case i + 1:                                                 \
    asm volatile("mrs %0, ich_lr" #i "_el2" : "=r"(s.lr[i])); \
    asm volatile("msr ich_lr" #i "_el2, xzr" ::: "memory");   \
    [[fallthrough]];
    RUNHV_LR_CASES_DOWN(RUNHV_SAVE_LR)
#undef RUNHV_SAVE_LR
    default:
      break;
  }
  sysreg::write_ich_hcr_el2(0);
  sysreg::isb();
}

}  // namespace runhv::arch::ich
