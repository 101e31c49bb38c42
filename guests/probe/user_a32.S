// Probe EL0 program in T32 (AArch32 Thumb), placed in the user region like user.cpp's
// SPDX-License-Identifier: MIT
//
// The assembler targets AArch64, so the T32 instructions are written as their encodings. Entered
// at EL0 in AArch32 state (SPSR M = usr, T) with r0 = the user VA of a word the kernel counts the
// interrupts taken from this task in. Under a hypervisor that traps WFI, each WFI below is
// trapped to EL2 and must be stepped over by its own length; the result in r4 is 3 only if both
// steps were exact. (No WFI in an IT block: QEMU reports the IT state of the instruction after a
// trapped WFI, not the WFI's own, so the architected step past it cannot be checked under QEMU;
// core/aarch32.hpp's step is unit tested.) Ends with SVC #0 (r4 its exit code) once three
// interrupts were taken from it (each one an IRQ exit from AArch32 EL0 at EL2 too).
  .section .user.text, "ax"
  .balign 4
  .global user_a32_task
  .type user_a32_task, %function
user_a32_task:
  .hword 0x2400                   //  0: movs r4, #0
  .hword 0xbf30                   //  2: wfi           (16 bits: a 4-byte step skips the next)
  .hword 0x3401                   //  4: adds r4, #1
  .hword 0xf3af, 0x8003           //  6: wfi.w         (32 bits: a 2-byte step lands mid-way)
  .hword 0x3402                   // 10: adds r4, #2
  .hword 0x6801                   // 12: ldr r1, [r0]
  .hword 0x2903                   // 14: cmp r1, #3
  .hword 0xd3fc                   // 16: bcc 12
  .hword 0xdf00                   // 18: svc #0
  .hword 0xe7fe                   // 20: b 20
  .size user_a32_task, . - user_a32_task
