// The register frame the EL2 vectors save, and the C++ entry they call
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv::arch {

// Laid out by arch/aarch64/vectors.S; keep the two in step.
struct ExceptionFrame {
  u64 x[31];  // x0..x30
  u64 elr;    // ELR_EL2
  u64 spsr;   // SPSR_EL2
  u64 esr;    // ESR_EL2
  u64 far;    // FAR_EL2
  u64 pad;
};
static_assert(sizeof(ExceptionFrame) == 36 * 8);
static_assert(offsetof(ExceptionFrame, elr) == 31 * 8);
static_assert(offsetof(ExceptionFrame, far) == 34 * 8);

// Vector index (0..15) = 4 * source + kind.
enum class VectorSource : u8 { current_sp0, current_spx, lower_a64, lower_a32 };
enum class VectorKind : u8 { sync, irq, fiq, serror };

}  // namespace runhv::arch

// Called by vectors.S; returning resumes at frame->elr with the frame's registers.
extern "C" void runhv_exception_entry(runhv::arch::ExceptionFrame* frame, runhv::u64 index);
