// A vCPU's EL1 context beyond its general registers: system registers, timer, GIC, FP/SIMD
// SPDX-License-Identifier: MIT
//
// What the world switch keeps in VcpuFrame (x0-x30, SP_EL0, ELR_EL2, SPSR_EL2) is saved and
// restored at every exit; VcpuContext is everything else a guest kernel owns, switched only when
// another vCPU takes the pCPU: context_save() after the outgoing vCPU's last exit,
// context_restore() before the incoming one's entry. While a vCPU is loaded its context lives
// in the registers and the struct is stale.
//
// FP/SIMD (q0-q31, FPCR, FPSR) is switched lazily (fpsimd_switch.hpp) by fpsimd.S, the only code
// in the image assembled with +fp+simd (runhv is built -mgeneral-regs-only;
// tests/system/fpsimd_check.py allows exactly runhv_fpsimd_save and runhv_fpsimd_restore).
#pragma once

#define FPSIMD_STATE_FPSR 512
#define FPSIMD_STATE_FPCR 520
#define FPSIMD_STATE_SIZE 528

#ifndef __ASSEMBLER__
#include "arch/aarch64/ich.hpp"
#include "core/types.hpp"

namespace runhv::arch {

struct alignas(16) FpsimdState {
  u64 q[32][2];  // q0..q31, low half first
  u64 fpsr;
  u64 fpcr;
};
static_assert(offsetof(FpsimdState, fpsr) == FPSIMD_STATE_FPSR);
static_assert(offsetof(FpsimdState, fpcr) == FPSIMD_STATE_FPCR);
static_assert(sizeof(FpsimdState) == FPSIMD_STATE_SIZE);

struct El1State {
  // Translation and memory attributes.
  u64 sctlr, ttbr0, ttbr1, tcr, mair, amair;
  // Exceptions and thread pointers.
  u64 vbar, contextidr, tpidr_el0, tpidrro_el0, tpidr_el1, cpacr;
  // Fault syndrome and address translation results.
  u64 esr, far, afsr0, afsr1, par;
  // The EL1 stack pointer and the state of an exception taken to EL1.
  u64 sp_el1, elr_el1, spsr_el1;
  // Virtual timer: EL0 access (CNTKCTL), control, compare value.
  u64 cntkctl, cntv_ctl, cntv_cval;
  // The cache level CCSIDR_EL1 describes (Linux's cacheinfo and KVM/Xen switch it too).
  u64 csselr;
  // The hypervisor's, written at every load: the virtual timer's offset (CNTVOFF_EL2), the MPIDR
  // the guest reads (VMPIDR_EL2: core/psci.hpp vcpu_vmpidr(index)).
  u64 cntvoff, vmpidr;
};  // (context_save/restore move adjacent fields in pairs)

struct VcpuContext {
  El1State el1;
  ich::GicState gic;
  FpsimdState fp;
};

// A vCPU's context at creation (before its first entry): SCTLR_EL1 with the MMU and caches off,
// everything else zero, VMPIDR_EL2 = `vmpidr`, CNTVOFF = 0 (timer.hpp), the GIC interface on.
VcpuContext initial_context(u64 vmpidr);

// Registers -> `c` / `c` -> registers, FP/SIMD aside. The GIC part only when the GICv3
// interface exists, with list registers 0..lrs_used-1 (VcpuState::lrs_used).
void context_save(VcpuContext& c, u32 lrs_used);
void context_restore(const VcpuContext& c, u32 lrs_used);

}  // namespace runhv::arch

extern "C" {
// fpsimd.S: the FP/SIMD registers to/from `s` (CPTR_EL2.TFP clear and in effect).
void runhv_fpsimd_save(runhv::arch::FpsimdState* s);
void runhv_fpsimd_restore(const runhv::arch::FpsimdState* s);
}
#endif
