// A vCPU's EL1 context beyond its general registers: system registers, timer, GIC, FP/SIMD
// SPDX-License-Identifier: MIT
#include "arch/aarch64/vcpu_context.hpp"

#include <stddef.h>

#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"

namespace runhv::arch {
namespace {

// SCTLR_EL1 at a vCPU's first entry: MMU and caches off, RES1 bits set (Xen's SCTLR_GUEST_INIT).
constexpr u64 kSctlrEl1Init = 0x00C50078;

}  // namespace

VcpuContext initial_context(u64 vmpidr) {
  VcpuContext c{};
  c.el1.sctlr = kSctlrEl1Init;
  c.el1.cntv_ctl = kTimerImask;  // timer off (and masked) until the guest programs it
  c.el1.cntvoff = 0;
  c.el1.vmpidr = vmpidr;
  c.gic = ich::initial_state();
  return c;
}

// System registers `a` and `b` into / from the adjacent El1State fields `fa` and `fb`: one stp /
// ldp for two (the sysreg.hpp accessors' memory clobbers keep the compiler from pairing them).
#define RUNHV_SAVE_PAIR(a, fa, b, fb)                                   \
  static_assert(offsetof(El1State, fb) == offsetof(El1State, fa) + 8);  \
  asm volatile("mrs %0, " #a "\n mrs %1, " #b "\n stp %0, %1, [%2, %3]" \
               : "=&r"(lo), "=&r"(hi)                                   \
               : "r"(&e), "i"(offsetof(El1State, fa))                   \
               : "memory")
#define RUNHV_RESTORE_PAIR(a, fa, b, fb)                                \
  static_assert(offsetof(El1State, fb) == offsetof(El1State, fa) + 8);  \
  asm volatile("ldp %0, %1, [%2, %3]\n msr " #a ", %0\n msr " #b ", %1" \
               : "=&r"(lo), "=&r"(hi)                                   \
               : "r"(&e), "i"(offsetof(El1State, fa))                   \
               : "memory")

void context_save(VcpuContext& c, u32 lrs_used) {
  El1State& e = c.el1;
  u64 lo;
  u64 hi;
  RUNHV_SAVE_PAIR(sctlr_el1, sctlr, ttbr0_el1, ttbr0);
  RUNHV_SAVE_PAIR(ttbr1_el1, ttbr1, tcr_el1, tcr);
  RUNHV_SAVE_PAIR(mair_el1, mair, amair_el1, amair);
  RUNHV_SAVE_PAIR(vbar_el1, vbar, contextidr_el1, contextidr);
  RUNHV_SAVE_PAIR(tpidr_el0, tpidr_el0, tpidrro_el0, tpidrro_el0);
  RUNHV_SAVE_PAIR(tpidr_el1, tpidr_el1, cpacr_el1, cpacr);
  RUNHV_SAVE_PAIR(esr_el1, esr, far_el1, far);
  RUNHV_SAVE_PAIR(afsr0_el1, afsr0, afsr1_el1, afsr1);
  RUNHV_SAVE_PAIR(par_el1, par, sp_el1, sp_el1);
  RUNHV_SAVE_PAIR(elr_el1, elr_el1, spsr_el1, spsr_el1);
  RUNHV_SAVE_PAIR(cntkctl_el1, cntkctl, cntv_ctl_el0, cntv_ctl);
  RUNHV_SAVE_PAIR(cntv_cval_el0, cntv_cval, csselr_el1, csselr);
  // (CNTVOFF_EL2 and VMPIDR_EL2 are the hypervisor's: still what context_restore wrote)
  // The outgoing vCPU's timer must not fire into the next one: stop it (its saved control
  // keeps what the guest set; a scheduler arms an EL2 deadline for it if it was enabled).
  asm volatile("msr cntv_ctl_el0, xzr" ::: "memory");
  if (ich::present()) {
    ich::save(c.gic, lrs_used);
  }
}

void context_restore(const VcpuContext& c, u32 lrs_used) {
  const El1State& e = c.el1;
  u64 lo;
  u64 hi;
  RUNHV_RESTORE_PAIR(sctlr_el1, sctlr, ttbr0_el1, ttbr0);
  RUNHV_RESTORE_PAIR(ttbr1_el1, ttbr1, tcr_el1, tcr);
  RUNHV_RESTORE_PAIR(mair_el1, mair, amair_el1, amair);
  RUNHV_RESTORE_PAIR(vbar_el1, vbar, contextidr_el1, contextidr);
  RUNHV_RESTORE_PAIR(tpidr_el0, tpidr_el0, tpidrro_el0, tpidrro_el0);
  RUNHV_RESTORE_PAIR(tpidr_el1, tpidr_el1, cpacr_el1, cpacr);
  RUNHV_RESTORE_PAIR(esr_el1, esr, far_el1, far);
  RUNHV_RESTORE_PAIR(afsr0_el1, afsr0, afsr1_el1, afsr1);
  RUNHV_RESTORE_PAIR(par_el1, par, sp_el1, sp_el1);
  RUNHV_RESTORE_PAIR(elr_el1, elr_el1, spsr_el1, spsr_el1);
  RUNHV_RESTORE_PAIR(cntvoff_el2, cntvoff, vmpidr_el2, vmpidr);
  RUNHV_RESTORE_PAIR(cntv_cval_el0, cntv_cval, csselr_el1, csselr);
  // Last of the timer: the offset and CVAL are in place.
  RUNHV_RESTORE_PAIR(cntkctl_el1, cntkctl, cntv_ctl_el0, cntv_ctl);
  if (ich::present()) {
    ich::restore(c.gic, lrs_used);
  }
  // No isb: the entry's ERET synchronises all of it before the guest runs, and nothing at EL2
  // depends on it meanwhile (direct reads of a register see the last write; AT, which walks
  // with the EL1 context, runs only in exits: hardware_translate).
}

#undef RUNHV_RESTORE_PAIR
#undef RUNHV_SAVE_PAIR

}  // namespace runhv::arch
