// Lazy FP/SIMD switching: a vCPU's q0-q31, FPSR and FPCR enter the registers at its first use
// SPDX-License-Identifier: MIT
//
// The hypervisor never touches FP/SIMD (-mgeneral-regs-only; fpsimd.S aside), so a pCPU's
// registers keep the state of the last vCPU that took them there, the pCPU's owner
// (PerCpu::fp_owner), while other vCPUs run. Every vCPU enters with CPTR_EL2.TFP set: its first
// FP/SIMD instruction after a load traps (EC 0x07), fpsimd_trap() clears TFP, loads its context
// into the registers unless they hold it already (it is still the owner of the pCPU it last took
// them on, VcpuState::fp_cpu: Linux's fpsimd_last_state and thread.fpsimd_cpu), and the
// instruction runs again. A put saves the registers into the context only when the vCPU took
// them during that run (VcpuState::fp_live): a vCPU that does no FP/SIMD work between a load and
// its put costs nothing, however much it did before. Once a vCPU is not loaded its context is
// current, so another pCPU, vcpu_up's reset and a domain's teardown never need the registers of
// a pCPU, and a pCPU writes a vCPU's context only while it is loaded there. SVE and SME stay
// trapped (CPTR_EL2.TZ, TSM): not exposed.
#pragma once

#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vcpu_state.hpp"

namespace runhv::arch {

// CPTR_EL2 (E2H = 0): RES1 bits 0-9 (TZ, bit 8: SVE traps), 12 (TSM: SME traps) and 13; TFP
// (bit 10) traps FP/SIMD.
inline constexpr u64 kCptrOpen = 0x33FF;
inline constexpr u64 kCptrTfp = u64{1} << 10;

// The registers into `v`'s context (fpsimd_put).
void fpsimd_save_live(VcpuState& v);

// At vcpu_load / vcpu_put / vcpu_reset of `v` on this pCPU (a reset: the state is the context's).
inline void fpsimd_load(VcpuState& v) {
  v.fp_live = false;
  sysreg::write_cptr_el2(kCptrOpen | kCptrTfp);  // (in effect at the entry's ERET, context synchronising)
}
inline void fpsimd_put(VcpuState& v) {
  if (v.fp_live) {
    fpsimd_save_live(v);
  }
}
inline void fpsimd_reset(VcpuState& v) {
  v.fp_cpu = -1;
  v.fp_live = false;
}
// The loaded `v` executed an FP/SIMD instruction with TFP set: its context into the registers
// (unless they hold it already) and TFP clear.
void fpsimd_trap(VcpuState& v);
// TFP clear (FP/SIMD usable at EL2 too, after an isb) / set.
void fpsimd_open();
void fpsimd_close();

}  // namespace runhv::arch
