/* Probe guest address map and exception-frame layout, shared by the assembly and the C++ */
/* SPDX-License-Identifier: MIT */
/*
 * Virtual address map (4 KiB granule, 48-bit VAs, four levels, TTBR0 and TTBR1):
 *
 *   PROBE_KIMAGE_VA  the image (header, text, trampoline page, rodata, user region, data,
 *                    bss), page by page at its physical load address + offset; TTBR1
 *   PROBE_DTB_VA     two 2 MiB blocks holding the device tree blob, read-only; TTBR1
 *   PROBE_DEV_VA     device pages (PL011, GICD, GICR) mapped after the DT is read; TTBR1
 *   PROBE_SCRATCH_VA pages mapped one by one by scenarios (mmu::map_kernel_page); TTBR1
 *   PROBE_TRAMP_VA   the KPTI trampoline page (exception vectors for EL0 + the exit path),
 *                    mapped at this address in both TTBR1 roots: the kernel's and the
 *                    trampoline's, which maps nothing else
 *   PROBE_USER_VA    the image's user region (user text and data), EL0-accessible; TTBR0
 *
 * The image is linked at PROBE_KIMAGE_VA (probe.ld checks it) and runs wherever it is loaded:
 * the early stub builds the tables from the physical load address with the MMU off.
 */
#ifndef PROBE_LAYOUT_H
#define PROBE_LAYOUT_H

#define PROBE_KIMAGE_VA 0xffff800000000000
#define PROBE_DTB_VA 0xffff800040000000
#define PROBE_DEV_VA 0xffff800080000000
#define PROBE_SCRATCH_VA 0xffff800140000000 /* map_kernel_page's window (runstate scenarios) */
#define PROBE_TRAMP_VA 0xfffffffffe000000
#define PROBE_USER_VA 0x0000000000400000

#define PROBE_PAGE_SIZE 4096

/* Exception frame on the EL1 stack (struct Frame in exception.hpp). */
#define FRAME_X0 0
#define FRAME_X30 240
#define FRAME_SP_EL0 248
#define FRAME_ELR 256
#define FRAME_SPSR 264
#define FRAME_FPSR 272
#define FRAME_FPCR 280
#define FRAME_ENTRY_TTBR1 288 /* TTBR1 that was live when EL0 was left (KPTI), else 0 */
#define FRAME_Q0 304
#define FRAME_SIZE 816

#endif
