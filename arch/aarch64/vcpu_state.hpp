// A vCPU as the architecture keeps it: the world-switch frame, the EL1 context, the vtimer mask
// SPDX-License-Identifier: MIT
//
// The portable hypervisor embeds one VcpuState as the first member of its Vcpu (hyp/domain.hpp),
// so the frame pointer the world switch saves into is also the VcpuState's and the Vcpu's
// address. While the vCPU is loaded on a pCPU its context lives in the registers.
#pragma once

#include "arch/aarch64/vcpu_context.hpp"
#include "arch/aarch64/vcpu_frame.hpp"

namespace runhv::arch {

struct VcpuState {
  VcpuFrame regs{};  // first: what world_switch.S saves and loads
  VcpuContext ctx{};
  // The work before an entry, one word that entry_work_pending() (inline.hpp) reads at once:
  alignas(8) bool vtimer_masked = false;  // runhv set CNTV_CTL.IMASK: the guest's timer fired (vtimer.hpp)
  bool vtimer_fired = false;              // ... and the vGIC has not been told yet (take_guest_timer_fired)
  volatile bool irq_kick = false;         // the vGIC has something new for it (hyp/irq.cpp, any pCPU)
  u8 entry_work_zero = 0;                 // (never set: the word's fourth byte)
  u32 lrs_used = 0;                       // list registers the last vgic_fill() wrote (0..lrs_used-1)
  i32 fp_cpu = -1;                        // the pCPU it last took the FP/SIMD registers on (fpsimd_switch.hpp)
  bool fp_live = false;                   // took the FP/SIMD registers since its load: put saves them
};
static_assert(offsetof(VcpuState, regs) == 0);
static_assert(offsetof(VcpuState, lrs_used) == offsetof(VcpuState, vtimer_masked) + 4 &&
              offsetof(VcpuState, irq_kick) == offsetof(VcpuState, vtimer_masked) + 2);

}  // namespace runhv::arch
