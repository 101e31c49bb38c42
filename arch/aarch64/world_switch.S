// World switch: guest exit (lower-EL AArch64 synchronous exception) and guest entry (ERET)
// SPDX-License-Identifier: MIT
//
// Exit: the lower-EL vectors of el2_vectors (8-15) branch to guest_sync_exit, guest_irq_exit,
// guest_fiq_exit or guest_serror_exit with every guest register live. Each saves x0..x30,
// SP_EL0, ELR_EL2 and SPSR_EL2 (a synchronous exit served on its fast path: x0..x19, x30, ELR,
// SPSR) into the frame of the vCPU loaded on this pCPU (TPIDR_EL2 points at the PerCpu, whose
// first word is that frame; layouts in percpu.hpp and vcpu_frame.hpp), calls runhv_guest_sync /
// _irq / _fiq / _serror (frame) on SP_EL2 and enters the frame it returns (another vCPU's after
// a reschedule: hyp/switch.cpp puts and loads the EL1 contexts before returning the new frame).
// Entry: runhv_guest_resume(frame) records the frame as this pCPU's current one, loads the frame
// and ERETs. SP_EL2 is reset to the top of this pCPU's stack (PerCpu::stack_top): nothing below
// survives an entry, and the hypervisor stack is not used while the guest runs. CPTR_EL2 is not
// touched here: the FP/SIMD trap is set at a load and cleared by its trap (fpsimd_switch.hpp).
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/vcpu_frame.hpp"

  .section .text.world_switch, "ax"

// Saves what C code may clobber (x0..x19, x30) and ELR/SPSR into the current vCPU's frame
// (TPIDR_EL2 -> PerCpu -> current), leaving x0 = the frame.
.macro save_caller_saved
  stp x0, x1, [sp, #-16]!
  mrs x0, tpidr_el2
  ldr x0, [x0, #PERCPU_CURRENT]
  stp x2, x3, [x0, #(2 * 8)]
  stp x4, x5, [x0, #(4 * 8)]
  stp x6, x7, [x0, #(6 * 8)]
  stp x8, x9, [x0, #(8 * 8)]
  stp x10, x11, [x0, #(10 * 8)]
  stp x12, x13, [x0, #(12 * 8)]
  stp x14, x15, [x0, #(14 * 8)]
  stp x16, x17, [x0, #(16 * 8)]
  stp x18, x19, [x0, #(18 * 8)]
  str x30, [x0, #(30 * 8)]
  mrs x1, elr_el2
  mrs x2, spsr_el2
  stp x1, x2, [x0, #VCPU_FRAME_ELR]
  ldp x1, x2, [sp], #16
  stp x1, x2, [x0, #VCPU_FRAME_X0]
.endm

// The rest of the frame at x0: x20..x29 and SP_EL0.
.macro save_x20_sp_el0
  stp x20, x21, [x0, #(20 * 8)]
  stp x22, x23, [x0, #(22 * 8)]
  stp x24, x25, [x0, #(24 * 8)]
  stp x26, x27, [x0, #(26 * 8)]
  stp x28, x29, [x0, #(28 * 8)]
  mrs x1, sp_el0
  str x1, [x0, #VCPU_FRAME_SP_EL0]
.endm

// Loads x2..x19 from the frame at x0.
.macro load_x2_x19
  ldp x2, x3, [x0, #(2 * 8)]
  ldp x4, x5, [x0, #(4 * 8)]
  ldp x6, x7, [x0, #(6 * 8)]
  ldp x8, x9, [x0, #(8 * 8)]
  ldp x10, x11, [x0, #(10 * 8)]
  ldp x12, x13, [x0, #(12 * 8)]
  ldp x14, x15, [x0, #(14 * 8)]
  ldp x16, x17, [x0, #(16 * 8)]
  ldp x18, x19, [x0, #(18 * 8)]
.endm

// Saves the whole guest frame, calls `handler`(frame) and enters the frame it returns.
.macro guest_exit handler
  save_caller_saved
  save_x20_sp_el0
  bl \handler
  b runhv_guest_resume
.endm

// A synchronous exit saves what C code may clobber (x0..x19, x30) and ELR/SPSR, and lets
// runhv_guest_sync_fast serve it. Back here, x20..x29 and SP_EL0 still hold the guest's values:
// the returned frame (the same vCPU's) is entered without them. For its two other answers, 0
// (not served) and the frame + 1 (served, a reschedule pending), the frame is completed first, then
// runhv_guest_sync or runhv_guest_reschedule gives the frame to enter.
  .global guest_sync_exit
  .type guest_sync_exit, %function
guest_sync_exit:
  save_caller_saved
  bl runhv_guest_sync_fast
  tbnz x0, #0, 2f
  cbz x0, 1f
  ldp x1, x2, [x0, #VCPU_FRAME_ELR]
  msr elr_el2, x1
  msr spsr_el2, x2
  ldr x30, [x0, #(30 * 8)]
  load_x2_x19
  ldp x0, x1, [x0, #VCPU_FRAME_X0]
  eret
1:
  mrs x0, tpidr_el2
  ldr x0, [x0, #PERCPU_CURRENT]
  save_x20_sp_el0
  bl runhv_guest_sync
  b runhv_guest_resume
2:
  bic x0, x0, #1                    // this exit's frame
  save_x20_sp_el0
  bl runhv_guest_reschedule
  b guest_resume_loaded
  .size guest_sync_exit, . - guest_sync_exit

  .global guest_irq_exit
  .type guest_irq_exit, %function
guest_irq_exit:
  guest_exit runhv_guest_irq
  .size guest_irq_exit, . - guest_irq_exit

  .global guest_fiq_exit
  .type guest_fiq_exit, %function
guest_fiq_exit:
  guest_exit runhv_guest_fiq
  .size guest_fiq_exit, . - guest_fiq_exit

  .global guest_serror_exit
  .type guest_serror_exit, %function
guest_serror_exit:
  guest_exit runhv_guest_serror
  .size guest_serror_exit, . - guest_serror_exit

  .global runhv_guest_resume
  .type runhv_guest_resume, %function
runhv_guest_resume:
  mrs x1, tpidr_el2
  str x0, [x1, #PERCPU_CURRENT]
  ldr x2, [x1, #PERCPU_STACK_TOP]   // the next exit starts on an empty stack: callers that
  mov sp, x2                        // never return (the scheduling loop) leave nothing behind
guest_resume_loaded:                // from an exit: x0 is current already, SP_EL2 at the top
  ldp x1, x2, [x0, #VCPU_FRAME_ELR]
  msr elr_el2, x1
  msr spsr_el2, x2
  ldp x30, x1, [x0, #(30 * 8)]
  msr sp_el0, x1
  load_x2_x19
  ldp x20, x21, [x0, #(20 * 8)]
  ldp x22, x23, [x0, #(22 * 8)]
  ldp x24, x25, [x0, #(24 * 8)]
  ldp x26, x27, [x0, #(26 * 8)]
  ldp x28, x29, [x0, #(28 * 8)]
  ldp x0, x1, [x0, #VCPU_FRAME_X0]
  eret
  .size runhv_guest_resume, . - runhv_guest_resume
