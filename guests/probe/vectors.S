// Probe kernel exception vectors: frame save/restore, EL0 entry and return (direct or via KPTI)
// SPDX-License-Identifier: MIT
//
// Every entry saves a full struct Frame (general registers, SP_EL0, ELR, SPSR, FP/SIMD state)
// on the EL1 stack and calls handle_exception(kind, frame); the frame is then restored, so the
// handler switches EL0 tasks by rewriting it. The first instruction of each entry parks x30 in
// TPIDRRO_EL0 (as arm64 Linux's trampoline does; TPIDR_EL1 holds this CPU's struct PerCpu), the
// second clears TPIDR_EL0, where the KPTI trampoline (trampoline.S) records the TTBR1 it found.
// The trampoline parks x30 and records TTBR1 itself, switches TTBR1 and VBAR back to the
// kernel's, and enters at the third instruction. Both scratch registers are cleared again
// before the handler runs, so EL0 never reads a kernel value there. Returns to EL0 with KPTI on
// leave through the trampoline page's exit path.
#include "guests/probe/layout.h"

.macro kernel_ventry kind
  .balign 128
  msr tpidrro_el0, x30            // +0
  msr tpidr_el0, xzr              // +4: a direct entry, no TTBR1 recorded
  sub sp, sp, #FRAME_SIZE         // +8: the trampoline enters here
  stp x0, x1, [sp, #FRAME_X0]
  mov x0, #\kind
  b save_and_dispatch
.endm

  .section .text.vectors, "ax"
  .balign 2048
  .global kernel_vectors
kernel_vectors:
  kernel_ventry 0                 // EL1t sync
  kernel_ventry 1                 // EL1t IRQ
  kernel_ventry 2                 // EL1t FIQ
  kernel_ventry 3                 // EL1t SError
  kernel_ventry 4                 // EL1h sync
  kernel_ventry 5                 // EL1h IRQ
  kernel_ventry 6                 // EL1h FIQ
  kernel_ventry 7                 // EL1h SError
  kernel_ventry 8                 // EL0 AArch64 sync
  kernel_ventry 9                 // EL0 AArch64 IRQ
  kernel_ventry 10                // EL0 AArch64 FIQ
  kernel_ventry 11                // EL0 AArch64 SError
  kernel_ventry 12                // EL0 AArch32 sync
  kernel_ventry 13                // EL0 AArch32 IRQ
  kernel_ventry 14                // EL0 AArch32 FIQ
  kernel_ventry 15                // EL0 AArch32 SError

save_and_dispatch:
  stp x2, x3, [sp, #16]
  stp x4, x5, [sp, #32]
  stp x6, x7, [sp, #48]
  stp x8, x9, [sp, #64]
  stp x10, x11, [sp, #80]
  stp x12, x13, [sp, #96]
  stp x14, x15, [sp, #112]
  stp x16, x17, [sp, #128]
  stp x18, x19, [sp, #144]
  stp x20, x21, [sp, #160]
  stp x22, x23, [sp, #176]
  stp x24, x25, [sp, #192]
  stp x26, x27, [sp, #208]
  stp x28, x29, [sp, #224]
  mrs x30, tpidrro_el0
  msr tpidrro_el0, xzr
  mrs x2, sp_el0
  stp x30, x2, [sp, #FRAME_X30]
  mrs x2, elr_el1
  mrs x3, spsr_el1
  stp x2, x3, [sp, #FRAME_ELR]
  mrs x2, fpsr
  mrs x3, fpcr
  stp x2, x3, [sp, #FRAME_FPSR]
  mrs x2, tpidr_el0               // TTBR1 seen by the trampoline, or 0 (direct entry)
  str x2, [sp, #FRAME_ENTRY_TTBR1]
  msr tpidr_el0, xzr
  add x2, sp, #FRAME_Q0
  stp q0, q1, [x2, #0]
  stp q2, q3, [x2, #32]
  stp q4, q5, [x2, #64]
  stp q6, q7, [x2, #96]
  stp q8, q9, [x2, #128]
  stp q10, q11, [x2, #160]
  stp q12, q13, [x2, #192]
  stp q14, q15, [x2, #224]
  stp q16, q17, [x2, #256]
  stp q18, q19, [x2, #288]
  stp q20, q21, [x2, #320]
  stp q22, q23, [x2, #352]
  stp q24, q25, [x2, #384]
  stp q26, q27, [x2, #416]
  stp q28, q29, [x2, #448]
  stp q30, q31, [x2, #480]
  mov x1, sp
  bl handle_exception
  // fall through

  .global exception_return
exception_return:                 // sp = a struct Frame to resume
  add x2, sp, #FRAME_Q0
  ldp q0, q1, [x2, #0]
  ldp q2, q3, [x2, #32]
  ldp q4, q5, [x2, #64]
  ldp q6, q7, [x2, #96]
  ldp q8, q9, [x2, #128]
  ldp q10, q11, [x2, #160]
  ldp q12, q13, [x2, #192]
  ldp q14, q15, [x2, #224]
  ldp q16, q17, [x2, #256]
  ldp q18, q19, [x2, #288]
  ldp q20, q21, [x2, #320]
  ldp q22, q23, [x2, #352]
  ldp q24, q25, [x2, #384]
  ldp q26, q27, [x2, #416]
  ldp q28, q29, [x2, #448]
  ldp q30, q31, [x2, #480]
  ldp x2, x3, [sp, #FRAME_FPSR]
  msr fpsr, x2
  msr fpcr, x3
  ldp x2, x3, [sp, #FRAME_ELR]
  msr elr_el1, x2
  msr spsr_el1, x3
  ldr x2, [sp, #FRAME_SP_EL0]
  msr sp_el0, x2
  and x3, x3, #0xf                // SPSR.M[3:0] == 0: back to EL0t
  adrp x2, probe_kpti_active
  ldrb w2, [x2, :lo12:probe_kpti_active]
  cmp x3, #0
  csel x30, x2, xzr, eq           // x30 != 0: leave through the trampoline
  ldp x0, x1, [sp, #0]
  ldp x2, x3, [sp, #16]
  ldp x4, x5, [sp, #32]
  ldp x6, x7, [sp, #48]
  ldp x8, x9, [sp, #64]
  ldp x10, x11, [sp, #80]
  ldp x12, x13, [sp, #96]
  ldp x14, x15, [sp, #112]
  ldp x16, x17, [sp, #128]
  ldp x18, x19, [sp, #144]
  ldp x20, x21, [sp, #160]
  ldp x22, x23, [sp, #176]
  ldp x24, x25, [sp, #192]
  ldp x26, x27, [sp, #208]
  ldp x28, x29, [sp, #224]
  cbnz x30, 1f
  ldr x30, [sp, #FRAME_X30]
  add sp, sp, #FRAME_SIZE
  eret
1:
  ldr x30, [sp, #FRAME_X30]
  msr tpidrro_el0, x30            // the trampoline restores x30 from here
  add sp, sp, #FRAME_SIZE
  adrp x30, probe_tramp_exit_va
  ldr x30, [x30, :lo12:probe_tramp_exit_va]
  br x30

// \reg = this CPU's kernel_context slot: kernel_context + 112 * PerCpu::index (TPIDR_EL1 points
// at this CPU's PerCpu, whose first member is the u32 index).
.macro KERNEL_CONTEXT reg, n, t2
  mrs x\n, tpidr_el1
  ldr w\n, [x\n]
  mov \t2, #112
  adrp \reg, kernel_context
  add \reg, \reg, :lo12:kernel_context
  madd \reg, x\n, \t2, \reg
.endm

// void probe_enter_user(const Frame* frame): saves the kernel's callee-saved context, copies
// the frame onto the stack and "returns" into it. probe_resume_kernel(), called from an
// exception handler, abandons the exception and returns from probe_enter_user instead.
  .text
  .global probe_enter_user
probe_enter_user:
  KERNEL_CONTEXT x9, 10, x11
  stp x19, x20, [x9, #0]
  stp x21, x22, [x9, #16]
  stp x23, x24, [x9, #32]
  stp x25, x26, [x9, #48]
  stp x27, x28, [x9, #64]
  stp x29, x30, [x9, #80]
  mov x10, sp
  str x10, [x9, #96]
  sub sp, sp, #FRAME_SIZE
  mov x10, sp
  mov x11, #FRAME_SIZE
2:
  ldp x12, x13, [x0], #16
  stp x12, x13, [x10], #16
  subs x11, x11, #16
  b.ne 2b
  b exception_return

  .global probe_resume_kernel
probe_resume_kernel:
  KERNEL_CONTEXT x9, 10, x11
  ldp x19, x20, [x9, #0]
  ldp x21, x22, [x9, #16]
  ldp x23, x24, [x9, #32]
  ldp x25, x26, [x9, #48]
  ldp x27, x28, [x9, #64]
  ldp x29, x30, [x9, #80]
  ldr x10, [x9, #96]
  mov sp, x10
  ret

  .bss
  .balign 16
kernel_context:  // one 112-byte save area per CPU (8 CPUs), by PerCpu::index
  .skip 112 * 8
