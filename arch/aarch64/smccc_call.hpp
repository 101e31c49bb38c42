// SMCCC calls (ARM DEN 0028) to firmware or a hypervisor: function ID in w0, arguments x1..x3
// SPDX-License-Identifier: MIT
//
// Two conduits: SMC (to EL3 firmware; on QEMU `virt,virtualization=on`, QEMU itself emulates
// PSCI on SMC) and HVC (to EL2, what QEMU uses for PSCI when the software runs at EL1).
// SMCCC 1.0 lets the callee clobber x4..x17 as well, so they are declared clobbered.
#pragma once

#include "core/types.hpp"

namespace runhv::arch {

struct SmcccResult {
  u64 x0, x1, x2, x3;
};

#define RUNHV_SMCCC_CALL(name, insn)                                                                           \
  inline SmcccResult name(u32 function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {                                  \
    register u64 x0 asm("x0") = function;                                                                      \
    register u64 x1 asm("x1") = a1;                                                                            \
    register u64 x2 asm("x2") = a2;                                                                            \
    register u64 x3 asm("x3") = a3;                                                                            \
    asm volatile(insn                                                                                          \
                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)                                                      \
                 :                                                                                             \
                 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", \
                   "memory");                                                                                  \
    return {x0, x1, x2, x3};                                                                                   \
  }

RUNHV_SMCCC_CALL(smc_call, "smc #0")
RUNHV_SMCCC_CALL(hvc_call, "hvc #0")

#undef RUNHV_SMCCC_CALL

}  // namespace runhv::arch
