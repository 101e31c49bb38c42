// System-register access for the probe: one read_/write_ pair per register it uses
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace probe {

// The integer types are the core's (and so the ABI headers', abi/).
using runhv::i32;
using runhv::i64;
using runhv::u16;
using runhv::u32;
using runhv::u64;
using runhv::u8;

#define PROBE_SYSREG(name)                        \
  inline u64 read_##name() {                      \
    u64 value;                                    \
    asm volatile("mrs %0, " #name : "=r"(value)); \
    return value;                                 \
  }                                               \
  inline void write_##name(u64 value) { asm volatile("msr " #name ", %0" : : "r"(value) : "memory"); }

PROBE_SYSREG(currentel)
PROBE_SYSREG(mpidr_el1)
PROBE_SYSREG(tpidr_el1)
PROBE_SYSREG(ctr_el0)
PROBE_SYSREG(ttbr0_el1)
PROBE_SYSREG(ttbr1_el1)
PROBE_SYSREG(par_el1)
PROBE_SYSREG(vbar_el1)
PROBE_SYSREG(esr_el1)
PROBE_SYSREG(far_el1)
PROBE_SYSREG(cntfrq_el0)
PROBE_SYSREG(cntvct_el0)
PROBE_SYSREG(cntpct_el0)
PROBE_SYSREG(cntkctl_el1)
PROBE_SYSREG(cntv_ctl_el0)
PROBE_SYSREG(cntv_cval_el0)
PROBE_SYSREG(icc_sre_el1)
PROBE_SYSREG(icc_pmr_el1)
PROBE_SYSREG(icc_bpr1_el1)
PROBE_SYSREG(icc_ctlr_el1)
PROBE_SYSREG(icc_igrpen1_el1)
PROBE_SYSREG(icc_iar1_el1)
PROBE_SYSREG(icc_eoir1_el1)
PROBE_SYSREG(icc_sgi1r_el1)

#undef PROBE_SYSREG

inline void isb() { asm volatile("isb" ::: "memory"); }
inline void irqs_on() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline void irqs_off() { asm volatile("msr daifset, #2" ::: "memory"); }
inline void wfi() { asm volatile("wfi" ::: "memory"); }

inline void flush_tlb() { asm volatile("dsb ishst\n tlbi vmalle1\n dsb nsh\n isb" ::: "memory"); }

// PAR_EL1 after AT S1E1R / S1E0R on va.
inline u64 at_s1e1r(u64 va) {
  asm volatile("at s1e1r, %0\n isb" : : "r"(va) : "memory");
  return read_par_el1();
}
inline u64 at_s1e0r(u64 va) {
  asm volatile("at s1e0r, %0\n isb" : : "r"(va) : "memory");
  return read_par_el1();
}
inline bool par_ok(u64 par) { return (par & 1) == 0; }
inline u64 par_pa(u64 par) { return par & 0x0000fffffffff000; }

}  // namespace probe
