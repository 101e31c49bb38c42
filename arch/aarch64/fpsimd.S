// FP/SIMD register save and restore: the one file of runhv assembled with FP and SIMD enabled
// SPDX-License-Identifier: MIT
//
// runhv_fpsimd_save(FpsimdState* x0), runhv_fpsimd_restore(const FpsimdState* x0): q0-q31,
// FPSR, FPCR (layout: vcpu_context.hpp). The caller has CPTR_EL2.TFP clear and in effect
// (fpsimd_switch.cpp). Uses only x0-x3.
#include "arch/aarch64/vcpu_context.hpp"

  .arch armv8-a+fp+simd

  .section .text.fpsimd, "ax"
  .global runhv_fpsimd_save
  .type runhv_fpsimd_save, %function
runhv_fpsimd_save:
  stp q0, q1, [x0, #(0 * 32)]
  stp q2, q3, [x0, #(1 * 32)]
  stp q4, q5, [x0, #(2 * 32)]
  stp q6, q7, [x0, #(3 * 32)]
  stp q8, q9, [x0, #(4 * 32)]
  stp q10, q11, [x0, #(5 * 32)]
  stp q12, q13, [x0, #(6 * 32)]
  stp q14, q15, [x0, #(7 * 32)]
  stp q16, q17, [x0, #(8 * 32)]
  stp q18, q19, [x0, #(9 * 32)]
  stp q20, q21, [x0, #(10 * 32)]
  stp q22, q23, [x0, #(11 * 32)]
  stp q24, q25, [x0, #(12 * 32)]
  stp q26, q27, [x0, #(13 * 32)]
  stp q28, q29, [x0, #(14 * 32)]
  stp q30, q31, [x0, #(15 * 32)]
  mrs x2, fpsr
  mrs x3, fpcr
  add x0, x0, #FPSIMD_STATE_FPSR    // beyond stp's reach of x-register pairs
  stp x2, x3, [x0]
  ret
  .size runhv_fpsimd_save, . - runhv_fpsimd_save

  .global runhv_fpsimd_restore
  .type runhv_fpsimd_restore, %function
runhv_fpsimd_restore:
  ldp q0, q1, [x0, #(0 * 32)]
  ldp q2, q3, [x0, #(1 * 32)]
  ldp q4, q5, [x0, #(2 * 32)]
  ldp q6, q7, [x0, #(3 * 32)]
  ldp q8, q9, [x0, #(4 * 32)]
  ldp q10, q11, [x0, #(5 * 32)]
  ldp q12, q13, [x0, #(6 * 32)]
  ldp q14, q15, [x0, #(7 * 32)]
  ldp q16, q17, [x0, #(8 * 32)]
  ldp q18, q19, [x0, #(9 * 32)]
  ldp q20, q21, [x0, #(10 * 32)]
  ldp q22, q23, [x0, #(11 * 32)]
  ldp q24, q25, [x0, #(12 * 32)]
  ldp q26, q27, [x0, #(13 * 32)]
  ldp q28, q29, [x0, #(14 * 32)]
  ldp q30, q31, [x0, #(15 * 32)]
  add x0, x0, #FPSIMD_STATE_FPSR
  ldp x2, x3, [x0]
  msr fpsr, x2
  msr fpcr, x3
  ret
  .size runhv_fpsimd_restore, . - runhv_fpsimd_restore
