// The EL2 instruction counter (arch::el2_instructions, arch/arch.hpp): its set-up
// SPDX-License-Identifier: MIT
#pragma once

namespace runhv::arch {

// Starts this pCPU's count at zero; guest_mode_enter() calls it after setting the trap policy.
void el2_instructions_start();

}  // namespace runhv::arch
