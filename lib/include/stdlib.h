/* C <stdlib.h> for the freestanding hypervisor: only what libfdt's headers expect to find */
/* SPDX-License-Identifier: MIT */
/* There is no allocator and no process to exit: nothing here is defined. libfdt_env.h includes
 * this header; fdt_overlay.o (never linked) is the only libfdt object that calls strtoul. */
#ifndef RUNHV_LIB_STDLIB_H
#define RUNHV_LIB_STDLIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

unsigned long strtoul(const char* __restrict s, char** __restrict end, int base);

#ifdef __cplusplus
}
#endif

#endif
