// Probe entry: arm64 Image header, MMU-off early stub, switch to the high kernel VA
// SPDX-License-Identifier: MIT
//
// Boot protocol (Linux Documentation/arm64/booting.rst): entered at offset 0 at EL1h, MMU off,
// x0 = physical address of the device tree. The image is linked at PROBE_KIMAGE_VA but runs at
// its load address until the MMU is on, so everything before `high_entry` (and everything the
// C++ function early_build_tables reaches) is PC-relative: ADR/ADRP, no absolute addresses.
#include "guests/probe/layout.h"

// MAIR_EL1: attr0 Device-nGnRE, attr1 Normal write-back RA/WA, attr2 Normal non-cacheable.
#define MAIR_VALUE 0x44ff04
// TCR_EL1: T0SZ = T1SZ = 16 (48-bit VAs), 4 KiB granules, tables walked inner/outer write-back,
// inner shareable. IPS is filled in from ID_AA64MMFR0_EL1.PARange (at most 48 bits).
#define TCR_VALUE ((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (16 << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30))
// SCTLR_EL1: the ARMv8.0 RES1 bits, nTWE, nTWI, I, SA, C, M (alignment checks off).
#define SCTLR_VALUE 0x30d5180d

// Turns the MMU on with the identity root \idmap in TTBR0 and the kernel root in TTBR1.
// Runs at the physical address (PC-relative only); clobbers \t1..\t3.
.macro enable_mmu idmap, t1, t2, t3
  ldr \t1, =MAIR_VALUE
  msr mair_el1, \t1
  ldr \t1, =TCR_VALUE
  mrs \t2, id_aa64mmfr0_el1
  and \t2, \t2, #0xf             // PARange
  cmp \t2, #5
  mov \t3, #5
  csel \t2, \t2, \t3, ls          // at most 48 bits
  bfi \t1, \t2, #32, #3           // TCR_EL1.IPS
  msr tcr_el1, \t1
  msr ttbr0_el1, \idmap           // identity map of the stub
  adrp \t1, probe_ttbr1_roots
  add \t1, \t1, #PROBE_PAGE_SIZE  // the kernel root follows the trampoline root
  msr ttbr1_el1, \t1
  isb
  tlbi vmalle1
  dsb nsh
  isb
  ldr \t1, =SCTLR_VALUE
  msr sctlr_el1, \t1
  isb
  ic iallu
  dsb nsh
  isb
.endm

  .section .head.text, "ax"
  .global _text
_text:
  b primary_entry                 // code0
  .long 0                         // code1
  .quad 0                         // text_offset: load at a 2 MiB boundary + 0
  .quad __probe_image_size        // image_size: everything up to the end of .bss
  .quad 0xa                       // flags: little endian, 4 KiB pages, may be placed anywhere
  .quad 0                         // res2
  .quad 0                         // res3
  .quad 0                         // res4
  .ascii "ARM\x64"                // magic
  .long 0                         // res5 (no PE/COFF header)

primary_entry:
  msr daifset, #0xf
  mov x19, x0                     // x19 = DTB physical address
  adr x20, _text                  // x20 = physical load address
  mov x1, #(3 << 20)              // CPACR_EL1.FPEN: FP/SIMD usable at EL1 and EL0
  msr cpacr_el1, x1
  isb

  // Invalidate (without writing back) then zero .bss: page tables and stacks are written with
  // the MMU and caches off, so no stale cache line may survive to shadow them later.
  mrs x3, ctr_el0
  ubfx x3, x3, #16, #4
  mov x21, #4
  lsl x21, x21, x3                // x21 = smallest D-cache line in bytes
  adrp x1, __bss_start
  adrp x2, __bss_end              // both page aligned (probe.ld)
  mov x5, x1
1:
  dc ivac, x5
  add x5, x5, x21
  cmp x5, x2
  b.lo 1b
  dsb sy
2:
  stp xzr, xzr, [x1], #16
  cmp x1, x2
  b.lo 2b

  adrp x1, __stack_top
  mov sp, x1
  mov x0, x20
  mov x1, x19
  bl early_build_tables           // C++, MMU off; returns the identity-map root in x0
  adrp x1, __bss_start
  adrp x2, __bss_end
3:
  dc ivac, x1                     // drop any line fetched speculatively meanwhile
  add x1, x1, x21
  cmp x1, x2
  b.lo 3b
  dsb sy

  enable_mmu x0, x1, x2, x3        // x0 = the identity root from early_build_tables
  ldr x1, =high_entry             // absolute: the link-time (high) address
  br x1

high_entry:
  ldr x1, =__stack_top
  mov sp, x1
  ldr x1, =probe_cpus             // CPU 0's struct PerCpu (percpu.hpp)
  msr tpidr_el1, x1
  ldr x1, =kernel_vectors
  msr vbar_el1, x1
  isb
  mov x0, x20
  mov x1, x19
  bl probe_main                   // never returns
4:
  wfi
  b 4b

// Secondary CPUs, started by PSCI CPU_ON (smp.cpp) at this physical address: EL1h, MMU off,
// x0 = the physical address of its struct SecondaryBoot (smp.hpp), cleaned to the point of
// coherency by the CPU that started it. The same tables as the boot CPU: the identity root
// (kept for this) in TTBR0 and the kernel root in TTBR1 to turn the MMU on, then the user root
// in TTBR0; its own stack, TPIDR_EL1 = its PerCpu, the kernel vectors.
  .global probe_secondary_entry
probe_secondary_entry:
  msr daifset, #0xf
  mov x1, #(3 << 20)              // CPACR_EL1.FPEN
  msr cpacr_el1, x1
  isb
  ldp x19, x20, [x0]              // identity root PA, user root PA
  ldp x21, x22, [x0, #16]         // PerCpu VA, stack top VA
  enable_mmu x19, x1, x2, x3
  ldr x1, =secondary_high
  br x1

secondary_high:
  mov sp, x22
  msr tpidr_el1, x21
  ldr x1, =kernel_vectors
  msr vbar_el1, x1
  msr ttbr0_el1, x20              // the identity map is not needed any more
  isb
  tlbi vmalle1
  dsb nsh
  isb
  bl probe_secondary_main         // never returns
5:
  wfi
  b 5b
  .ltorg
