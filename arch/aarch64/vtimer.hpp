// The guest's virtual timer (CNTV, PPI 11 = INTID 27) as a level-sensitive virtual interrupt
// SPDX-License-Identifier: MIT
//
// When its condition is met while a vCPU is loaded (the physical PPI 27 reaches EL2),
// vtimer_fired() masks it at the source (CNTV_CTL.IMASK) for virtual INTID 27 to be delivered;
// vtimer_unmask(), on the way back into the loaded vCPU, lifts the mask once the guest has
// handled the interrupt (INTID 27 is in no list register any more, and the hypervisor says the
// vGIC does not hold it either: guest_timer_unmask's `held`), so that a guest which only moves
// CVAL (and never rewrites CNTV_CTL) gets its next tick; a condition still met fires again at
// once, as a level would. While the vGIC holds it undelivered (disabled, its group off, or every
// list register taken) the mask stays: lifting it would fire again at every entry and leave the
// guest no time to run until it enables the interrupt, which it then never gets to do. vtimer_catch_up() notes, at
// switch-in, what fired while the vCPU was off its pCPU. Either way v.vtimer_fired tells the hypervisor to make INTID
// 27 pending in the domain's vGIC. CNTVOFF is 0 (timer.hpp): CVAL counts CNTPCT ticks.
#pragma once

#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "arch/aarch64/vcpu_state.hpp"

namespace runhv::arch {

void vtimer_fired(VcpuState& v);
void vtimer_unmask(VcpuState& v);  // v.vtimer_masked must be set (guest_timer_unmask, inline.hpp)
// Inline: on every switch-in.
inline void vtimer_catch_up(VcpuState& v) {
  El1State& e = v.ctx.el1;
  if ((e.cntv_ctl & kTimerEnable) == 0 || (e.cntv_ctl & kTimerImask) != 0) {
    return;
  }
  if (e.cntv_cval <= sysreg::read_cntpct_el0() - e.cntvoff) {
    e.cntv_ctl |= kTimerImask;
    v.vtimer_masked = true;
    v.vtimer_fired = true;
  }
}
// The loaded vCPU's deadline in ns, or kNever when the timer is off or masked.
[[nodiscard]] u64 vtimer_deadline_live();

}  // namespace runhv::arch
