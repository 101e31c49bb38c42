// Smoke guest entry: EL1, MMU off, x0 = DTB address; FP/SIMD on, a stack, .bss cleared
// SPDX-License-Identifier: MIT
//
// Touches an FP register on purpose: if the hypervisor left CPTR_EL2.TFP set, that traps to EL2
// and the hypervisor stops the guest instead of printing its results.
  .section .text.start, "ax"
  .global _start
_start:
  mov x19, x0
  mov x1, #(3 << 20)                // CPACR_EL1.FPEN = 0b11: no FP/SIMD trap at EL0/EL1
  msr cpacr_el1, x1
  isb
  fmov d0, xzr
  adrp x1, __stack_top
  add x1, x1, :lo12:__stack_top
  mov sp, x1
  adrp x1, __bss_start
  add x1, x1, :lo12:__bss_start
  adrp x2, __bss_end
  add x2, x2, :lo12:__bss_end
1:
  cmp x1, x2
  b.hs 2f
  stp xzr, xzr, [x1], #16
  b 1b
2:
  mov x0, x19
  bl guest_main
3:
  wfi
  b 3b
