// World switch: guest exit (lower-EL AArch64 synchronous exception) and guest entry (ERET)
// SPDX-License-Identifier: MIT
//
// Exit: vector 8 of el2_vectors branches to guest_sync_exit with every guest register live. It
// saves x0..x30, SP_EL0, ELR_EL2 and SPSR_EL2 into the frame TPIDR_EL2 points at (layout in
// vcpu_frame.hpp), makes FP/SIMD trap again, calls runhv_guest_sync(frame) on SP_EL2 and enters
// the frame it returns. Entry: runhv_guest_resume(frame) clears CPTR_EL2.TFP (the guest owns
// FP/SIMD; the hypervisor never touches those registers, so they need no saving with one vCPU),
// loads the frame and ERETs. SP_EL2 is whatever it was at entry: the hypervisor stack is not
// used while the guest runs.
#include "arch/aarch64/vcpu_frame.hpp"

// CPTR_EL2 (E2H = 0): RES1 bits 0-9, 12, 13, plus TFP (bit 10) while the hypervisor runs.
#define CPTR_EL2_GUEST 0x33FF
#define CPTR_EL2_HYP 0x37FF

  .section .text.world_switch, "ax"
  .global guest_sync_exit
  .type guest_sync_exit, %function
guest_sync_exit:
  stp x0, x1, [sp, #-16]!
  mrs x0, tpidr_el2
  stp x2, x3, [x0, #(2 * 8)]
  stp x4, x5, [x0, #(4 * 8)]
  stp x6, x7, [x0, #(6 * 8)]
  stp x8, x9, [x0, #(8 * 8)]
  stp x10, x11, [x0, #(10 * 8)]
  stp x12, x13, [x0, #(12 * 8)]
  stp x14, x15, [x0, #(14 * 8)]
  stp x16, x17, [x0, #(16 * 8)]
  stp x18, x19, [x0, #(18 * 8)]
  stp x20, x21, [x0, #(20 * 8)]
  stp x22, x23, [x0, #(22 * 8)]
  stp x24, x25, [x0, #(24 * 8)]
  stp x26, x27, [x0, #(26 * 8)]
  stp x28, x29, [x0, #(28 * 8)]
  mrs x1, sp_el0
  stp x30, x1, [x0, #(30 * 8)]
  mrs x1, elr_el2
  mrs x2, spsr_el2
  stp x1, x2, [x0, #VCPU_FRAME_ELR]
  ldp x1, x2, [sp], #16
  stp x1, x2, [x0, #VCPU_FRAME_X0]
  mov x1, #CPTR_EL2_HYP
  msr cptr_el2, x1
  bl runhv_guest_sync
  // Falls through with x0 = the frame to enter.
  .size guest_sync_exit, . - guest_sync_exit

  .global runhv_guest_resume
  .type runhv_guest_resume, %function
runhv_guest_resume:
  msr tpidr_el2, x0
  mov x1, #CPTR_EL2_GUEST
  msr cptr_el2, x1                  // takes effect at the ERET (context synchronising)
  ldp x1, x2, [x0, #VCPU_FRAME_ELR]
  msr elr_el2, x1
  msr spsr_el2, x2
  ldp x30, x1, [x0, #(30 * 8)]
  msr sp_el0, x1
  ldp x2, x3, [x0, #(2 * 8)]
  ldp x4, x5, [x0, #(4 * 8)]
  ldp x6, x7, [x0, #(6 * 8)]
  ldp x8, x9, [x0, #(8 * 8)]
  ldp x10, x11, [x0, #(10 * 8)]
  ldp x12, x13, [x0, #(12 * 8)]
  ldp x14, x15, [x0, #(14 * 8)]
  ldp x16, x17, [x0, #(16 * 8)]
  ldp x18, x19, [x0, #(18 * 8)]
  ldp x20, x21, [x0, #(20 * 8)]
  ldp x22, x23, [x0, #(22 * 8)]
  ldp x24, x25, [x0, #(24 * 8)]
  ldp x26, x27, [x0, #(26 * 8)]
  ldp x28, x29, [x0, #(28 * 8)]
  ldp x0, x1, [x0, #VCPU_FRAME_X0]
  eret
  .size runhv_guest_resume, . - runhv_guest_resume
