// Lazy FP/SIMD switching: a vCPU's q0-q31, FPSR and FPCR enter the registers at its first use
// SPDX-License-Identifier: MIT
#include "arch/aarch64/fpsimd_switch.hpp"

namespace runhv::arch {

void fpsimd_open() { sysreg::write_cptr_el2(kCptrOpen); }

void fpsimd_close() { sysreg::write_cptr_el2(kCptrOpen | kCptrTfp); }

void fpsimd_save_live(VcpuState& v) {
  runhv_fpsimd_save(&v.ctx.fp);  // (fp_live: its trap cleared TFP, with an isb)
  v.fp_live = false;
}

void fpsimd_trap(VcpuState& v) {
  PerCpu& cpu = this_cpu();
  fpsimd_open();
  sysreg::isb();
  if (cpu.fp_owner != &v || v.fp_cpu != static_cast<i32>(cpu.index)) {
    runhv_fpsimd_restore(&v.ctx.fp);  // another vCPU's, or a reset's, state is in them
  }
  cpu.fp_owner = &v;
  v.fp_cpu = static_cast<i32>(cpu.index);
  v.fp_live = true;
}

}  // namespace runhv::arch
