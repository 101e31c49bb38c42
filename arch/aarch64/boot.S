// Entry point: the first instructions of runhv.elf, run by the boot CPU with the MMU off
// SPDX-License-Identifier: MIT
//
// QEMU enters at _start on CPU 0 only (with PSCI firmware the others stay off until CPU_ON);
// any other CPU that gets here parks. The boot CPU:
//   1. keeps the boot x0 (a DTB address under the Linux boot protocol; QEMU passes 0 to ELF
//      images and leaves the DTB at the start of RAM instead) for hyp_main,
//   2. if it runs at EL2: masks interrupts, puts SCTLR_EL2 in a known state (MMU and D-cache
//      off, I-cache on, SP alignment checks on), installs the EL2 vectors and makes FP/SIMD
//      trap (the hypervisor never uses them: a trap means a stray FP instruction),
//   3. switches to its stack (.stacks), zeroes .bss, runs the C++ constructors in .init_array,
//   4. calls hyp_main(boot_x0), which does not return.
// Not at EL2 (virtualization=off, or secure=on): step 2 is skipped and hyp_main reports it.
//
// Secondary CPUs enter at secondary_entry (PSCI CPU_ON from arch/aarch64/cpus.cpp) with the MMU off and
// x0 = their PerCpu. They take the EL2 state of step 2, turn the MMU on with the boot CPU's
// tables (registers published in el2_mmu_boot_regs, cleaned to the point of coherency so a
// non-cacheable read sees them), then point TPIDR_EL2 at the PerCpu, switch to its stack_top
// and call secondary_main(PerCpu*), which does not return.
#include "arch/aarch64/mmu_el2_regs.hpp"
#include "arch/aarch64/percpu.hpp"

// SCTLR_EL2 RES1 bits (E2H = 0): 4, 5, 11, 16, 18, 22, 23, 28, 29; plus SA (3) and I (12).
#define SCTLR_EL2_RES1 0x30C50830
#define SCTLR_EL2_SA (1 << 3)
#define SCTLR_EL2_I (1 << 12)
// CPTR_EL2 RES1 bits (E2H = 0): 0-9, 12, 13; plus TFP (10).
#define CPTR_EL2_RES1 0x33FF
#define CPTR_EL2_TFP (1 << 10)

  .section .text.boot, "ax"
  .global _start
  .type _start, %function
_start:
  mov x19, x0                       // boot x0, kept in a callee-saved register

  // Only CPU 0 (affinity 0.0.0.0) boots; any other CPU parks.
  mrs x1, mpidr_el1
  mov x2, #0xFFFFFF                 // Aff2:Aff1:Aff0
  movk x2, #0xFF, lsl #32           // Aff3
  and x1, x1, x2
  cbnz x1, park

  msr daifset, #0xF

  mrs x1, CurrentEL
  cmp x1, #(2 << 2)
  b.ne 1f
  ldr x1, =(SCTLR_EL2_RES1 | SCTLR_EL2_SA | SCTLR_EL2_I)
  msr sctlr_el2, x1
  adrp x1, el2_vectors
  add x1, x1, :lo12:el2_vectors
  msr vbar_el2, x1
  ldr x1, =(CPTR_EL2_RES1 | CPTR_EL2_TFP)
  msr cptr_el2, x1
  isb
1:
  adrp x1, runhv_boot_stack          // CPU 0's stack: PERCPU_STACK_SIZE bytes
  add x1, x1, :lo12:runhv_boot_stack
  add x1, x1, #PERCPU_STACK_SIZE
  mov sp, x1
  mov x29, xzr                      // end of the frame chain for debuggers
  mov x30, xzr

  // Zero .bss (16-byte aligned at both ends, see runhv.ld).
  adrp x1, __bss_start
  add x1, x1, :lo12:__bss_start
  adrp x2, __bss_end
  add x2, x2, :lo12:__bss_end
2:
  cmp x1, x2
  b.hs 3f
  stp xzr, xzr, [x1], #16
  b 2b
3:
  // C++ constructors of namespace-scope objects.
  adrp x20, __init_array_start
  add x20, x20, :lo12:__init_array_start
  adrp x21, __init_array_end
  add x21, x21, :lo12:__init_array_end
4:
  cmp x20, x21
  b.hs 5f
  ldr x1, [x20], #8
  blr x1
  b 4b
5:
  mov x0, x19
  bl hyp_main
  // hyp_main does not return; park if it ever does.
  .size _start, . - _start

  .global secondary_entry
  .type secondary_entry, %function
  .balign 8
secondary_entry:
  msr daifset, #0xF
  mov x19, x0                       // PerCpu*
  ldr x1, =(SCTLR_EL2_RES1 | SCTLR_EL2_SA | SCTLR_EL2_I)
  msr sctlr_el2, x1
  adrp x1, el2_vectors
  add x1, x1, :lo12:el2_vectors
  msr vbar_el2, x1
  ldr x1, =(CPTR_EL2_RES1 | CPTR_EL2_TFP)
  msr cptr_el2, x1
  isb
  adrp x1, el2_mmu_boot_regs
  add x1, x1, :lo12:el2_mmu_boot_regs
  ldr x2, [x1, #EL2_MMU_MAIR]
  msr mair_el2, x2
  ldr x2, [x1, #EL2_MMU_TCR]
  msr tcr_el2, x2
  ldr x2, [x1, #EL2_MMU_TTBR0]
  msr ttbr0_el2, x2
  isb
  tlbi alle2
  dsb sy
  isb
  ldr x2, [x1, #EL2_MMU_SCTLR]
  msr sctlr_el2, x2
  isb
  msr tpidr_el2, x19
  ldr x1, [x19, #PERCPU_STACK_TOP]
  mov sp, x1
  mov x29, xzr
  mov x30, xzr
  mov x0, x19
  bl secondary_main
  b park
  .size secondary_entry, . - secondary_entry

  .global park
  .type park, %function
park:
  wfe
  b park
  .size park, . - park

  .ltorg
