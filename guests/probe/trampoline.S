// KPTI trampoline page: EL0 exception vectors and the exit path, the only kernel page mapped
// SPDX-License-Identifier: MIT
//
// While EL0 runs with KPTI on, TTBR1_EL1 holds the trampoline root, which maps this page (at
// PROBE_TRAMP_VA) and nothing else, and VBAR_EL1 points at this page's vectors. An exception
// from EL0 parks x30 in TPIDRRO_EL0, records the live TTBR1 in TPIDR_EL0 (for the kernel's
// check), switches TTBR1 to the kernel root (4 KiB above the trampoline root) and VBAR to the
// kernel vectors, and enters the kernel vector at its third instruction (vectors.S). The exit
// path does the reverse and ERETs. Only PC-relative references and literals here: the code runs at the
// alias address, not at its link address. No TLB maintenance: every mapping is global and the
// two roots never translate one VA differently, they only map less or more (no ASIDs needed).
#include "guests/probe/layout.h"

.macro tramp_ventry offset
  .balign 128
  msr tpidrro_el0, x30
  mrs x30, ttbr1_el1
  msr tpidr_el0, x30
  add x30, x30, #PROBE_PAGE_SIZE
  msr ttbr1_el1, x30
  ldr x30, tramp_kernel_vectors
  msr vbar_el1, x30
  isb
  add x30, x30, #(\offset + 8)
  br x30
.endm

.macro tramp_unexpected
  .balign 128
1:
  wfe                             // EL1 exception while VBAR points here: cannot happen
  b 1b
.endm

  .section .tramp.text, "ax"
  .balign PROBE_PAGE_SIZE
tramp_page:
tramp_vectors:
  .rept 8
  tramp_unexpected                // EL1t, EL1h
  .endr
  tramp_ventry 0x400              // EL0 AArch64 sync
  tramp_ventry 0x480              // EL0 AArch64 IRQ
  tramp_ventry 0x500              // EL0 AArch64 FIQ
  tramp_ventry 0x580              // EL0 AArch64 SError
  tramp_ventry 0x600              // EL0 AArch32 sync (the el0-a32 scenario's T32 task)
  tramp_ventry 0x680              // EL0 AArch32 IRQ
  tramp_ventry 0x700              // EL0 AArch32 FIQ
  tramp_ventry 0x780              // EL0 AArch32 SError

tramp_exit:                       // x30 of EL0 in TPIDRRO_EL0, ELR/SPSR/SP_EL0 already set
  adr x30, tramp_vectors
  msr vbar_el1, x30
  mrs x30, ttbr1_el1
  sub x30, x30, #PROBE_PAGE_SIZE
  msr ttbr1_el1, x30
  isb
  mrs x30, tpidrro_el0
  eret

  .global probe_tramp_at_read
// u64 probe_tramp_at_read(u64 va): with interrupts masked, switch to the trampoline root,
// translate va for an EL1 read (AT S1E1R), switch back; returns PAR_EL1. Uses no stack.
probe_tramp_at_read:
  mrs x1, ttbr1_el1
  sub x2, x1, #PROBE_PAGE_SIZE
  msr ttbr1_el1, x2
  isb
  tlbi vmalle1                    // no walk may be answered from the kernel root's entries
  dsb nsh
  isb
  at s1e1r, x0
  isb
  mrs x0, par_el1
  msr ttbr1_el1, x1
  isb
  ret

  .balign 8
tramp_kernel_vectors:
  .quad kernel_vectors

  .section .rodata.tramp_aliases, "a"
  .balign 8
  .global probe_tramp_exit_va
probe_tramp_exit_va:
  .quad PROBE_TRAMP_VA + (tramp_exit - tramp_page)
  .global probe_tramp_at_read_va
probe_tramp_at_read_va:
  .quad PROBE_TRAMP_VA + (probe_tramp_at_read - tramp_page)
