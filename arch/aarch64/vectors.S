// EL2 exception vector table: saves an ExceptionFrame and calls runhv_exception_entry
// SPDX-License-Identifier: MIT
//
// 16 entries of 128 bytes: {current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64,
// lower EL AArch32} x {synchronous, IRQ, FIQ, SError}. Every exception from a lower EL is a
// guest's and goes to the world switch (world_switch.S): synchronous exits (hypercalls, traps,
// aborts: 8), IRQs (the timers, IPIs: 9), and FIQs and SErrors (10, 11), which stop that domain,
// never the machine. The "lower EL" entries are chosen by the state of EL1, which HCR_EL2.RW
// keeps AArch64, so a guest's AArch32 EL0 comes in through 8-11 too; 12-15 (EL1 in AArch32)
// cannot be taken and are routed the same way all the same. The EL2 entries (0-7)
// save x0..x30, ELR_EL2, SPSR_EL2, ESR_EL2 and FAR_EL2 on the current stack (layout:
// arch/aarch64/exception.hpp), calls runhv_exception_entry(frame, vector index) and, if that
// returns, restores the frame (including any changes to it) and returns with eret.

#define FRAME_SIZE (36 * 8)  // x0..x30, elr, spsr, esr, far, padding to 16 bytes

.macro vector_entry index
  .balign 0x80
  sub sp, sp, #FRAME_SIZE
  stp x0, x1, [sp, #(0 * 8)]
  mov x0, #\index
  b exception_common
.endm

  .section .text.vectors, "ax"
  .balign 0x800
  .global el2_vectors
el2_vectors:
  vector_entry 0
  vector_entry 1
  vector_entry 2
  vector_entry 3
  vector_entry 4
  vector_entry 5
  vector_entry 6
  vector_entry 7
  .balign 0x80                      // 8: synchronous from a guest (lower EL, AArch64)
  b guest_sync_exit                 // world_switch.S: saves into the vCPU frame, not the stack
  .balign 0x80                      // 9: IRQ from a guest (the timers, IPIs)
  b guest_irq_exit                  // world_switch.S: saves into the vCPU frame, like 8
  .balign 0x80                      // 10: FIQ from a guest
  b guest_fiq_exit
  .balign 0x80                      // 11: SError from a guest
  b guest_serror_exit
  .balign 0x80                      // 12-15: EL1 in AArch32 (never: HCR_EL2.RW)
  b guest_sync_exit
  .balign 0x80
  b guest_irq_exit
  .balign 0x80
  b guest_fiq_exit
  .balign 0x80
  b guest_serror_exit

  .type exception_common, %function
exception_common:
  stp x2, x3, [sp, #(2 * 8)]
  stp x4, x5, [sp, #(4 * 8)]
  stp x6, x7, [sp, #(6 * 8)]
  stp x8, x9, [sp, #(8 * 8)]
  stp x10, x11, [sp, #(10 * 8)]
  stp x12, x13, [sp, #(12 * 8)]
  stp x14, x15, [sp, #(14 * 8)]
  stp x16, x17, [sp, #(16 * 8)]
  stp x18, x19, [sp, #(18 * 8)]
  stp x20, x21, [sp, #(20 * 8)]
  stp x22, x23, [sp, #(22 * 8)]
  stp x24, x25, [sp, #(24 * 8)]
  stp x26, x27, [sp, #(26 * 8)]
  stp x28, x29, [sp, #(28 * 8)]
  mrs x1, elr_el2
  stp x30, x1, [sp, #(30 * 8)]
  mrs x1, spsr_el2
  mrs x2, esr_el2
  stp x1, x2, [sp, #(32 * 8)]
  mrs x1, far_el2
  str x1, [sp, #(34 * 8)]

  mov x1, x0                        // vector index
  mov x0, sp                        // ExceptionFrame*
  bl runhv_exception_entry

  ldp x1, x2, [sp, #(31 * 8)]       // elr, spsr
  msr elr_el2, x1
  msr spsr_el2, x2
  ldp x0, x1, [sp, #(0 * 8)]
  ldp x2, x3, [sp, #(2 * 8)]
  ldp x4, x5, [sp, #(4 * 8)]
  ldp x6, x7, [sp, #(6 * 8)]
  ldp x8, x9, [sp, #(8 * 8)]
  ldp x10, x11, [sp, #(10 * 8)]
  ldp x12, x13, [sp, #(12 * 8)]
  ldp x14, x15, [sp, #(14 * 8)]
  ldp x16, x17, [sp, #(16 * 8)]
  ldp x18, x19, [sp, #(18 * 8)]
  ldp x20, x21, [sp, #(20 * 8)]
  ldp x22, x23, [sp, #(22 * 8)]
  ldp x24, x25, [sp, #(24 * 8)]
  ldp x26, x27, [sp, #(26 * 8)]
  ldp x28, x29, [sp, #(28 * 8)]
  ldr x30, [sp, #(30 * 8)]
  add sp, sp, #FRAME_SIZE
  eret
  .size exception_common, . - exception_common
