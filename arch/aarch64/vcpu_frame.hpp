// The per-vCPU register frame the world switch saves on a guest exit and restores on entry
// SPDX-License-Identifier: MIT
//
// Layout (byte offsets; shared with world_switch.S through the macros below):
//     0  x0 .. x30   31 x 8 bytes
//   248  SP_EL0
//   256  ELR_EL2     the guest PC to return to
//   264  SPSR_EL2    the guest PSTATE to return with
//   272  (size; a multiple of 16)
// TPIDR_EL2 points at the running vCPU's frame while a guest runs.
#pragma once

#define VCPU_FRAME_X0 0
#define VCPU_FRAME_SP_EL0 248
#define VCPU_FRAME_ELR 256
#define VCPU_FRAME_SPSR 264
#define VCPU_FRAME_SIZE 272

#ifndef __ASSEMBLER__
#include "core/types.hpp"

namespace runhv::arch {

struct VcpuFrame {
  u64 x[31];
  u64 sp_el0;
  u64 elr;
  u64 spsr;
};
static_assert(offsetof(VcpuFrame, x) == VCPU_FRAME_X0);
static_assert(offsetof(VcpuFrame, sp_el0) == VCPU_FRAME_SP_EL0);
static_assert(offsetof(VcpuFrame, elr) == VCPU_FRAME_ELR);
static_assert(offsetof(VcpuFrame, spsr) == VCPU_FRAME_SPSR);
static_assert(sizeof(VcpuFrame) == VCPU_FRAME_SIZE && VCPU_FRAME_SIZE % 16 == 0);

}  // namespace runhv::arch

extern "C" {
// world_switch.S: loads `frame` into the CPU and returns to the guest with ERET.
[[noreturn]] void runhv_guest_resume(runhv::arch::VcpuFrame* frame);
// Called by world_switch.S on a synchronous exception from the guest, with the saved frame;
// returns the frame of the vCPU to resume (another one after a reschedule: hyp::exit_resume).
runhv::arch::VcpuFrame* runhv_guest_sync(runhv::arch::VcpuFrame* frame);
// The fast path of a synchronous exit, with x20..x29 and SP_EL0 not saved: an HVC served, the
// frame to enter when the same vCPU goes on; else null (not served) or the frame + 1 (served, a
// reschedule pending), and world_switch.S completes the frame and calls runhv_guest_sync or
// runhv_guest_reschedule.
runhv::arch::VcpuFrame* runhv_guest_sync_fast(runhv::arch::VcpuFrame* frame);
runhv::arch::VcpuFrame* runhv_guest_reschedule(runhv::arch::VcpuFrame* frame);
// A FIQ or an SError taken from the guest: the domain stops (they do not return).
[[noreturn]] runhv::arch::VcpuFrame* runhv_guest_fiq(runhv::arch::VcpuFrame* frame);
[[noreturn]] runhv::arch::VcpuFrame* runhv_guest_serror(runhv::arch::VcpuFrame* frame);
}
#endif
