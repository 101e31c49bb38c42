// The guest's virtual timer (CNTV, PPI 11 = INTID 27) as a level-sensitive virtual interrupt
// SPDX-License-Identifier: MIT
#include "arch/aarch64/vtimer.hpp"

#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "core/sched.hpp"

namespace runhv::arch {

void vtimer_fired(VcpuState& v) {
  sysreg::write_cntv_ctl_el0(sysreg::read_cntv_ctl_el0() | kTimerImask);
  sysreg::isb();
  v.vtimer_masked = true;
  v.vtimer_fired = true;
}

void vtimer_unmask(VcpuState& v) {
  for (u32 i = 0; i < ich::lr_count(); ++i) {
    const u64 lr = ich::read_lr(i);
    if ((lr & ich::kLrStateMask) != 0 && (lr & ich::kLrVintidMask) == gicv3::kIntidVirtualTimer) {
      return;  // still pending or active in the guest
    }
  }
  v.vtimer_masked = false;
  const u64 ctl = sysreg::read_cntv_ctl_el0();
  if ((ctl & kTimerImask) != 0) {
    sysreg::write_cntv_ctl_el0(ctl & ~kTimerImask);
    sysreg::isb();
  }
}

u64 vtimer_deadline_live() {
  const u64 ctl = sysreg::read_cntv_ctl_el0();
  if ((ctl & kTimerEnable) == 0 || (ctl & kTimerImask) != 0) {
    return kNever;
  }
  const u64 cval = sysreg::read_cntv_cval_el0();
  if (cval / timer_frequency() > 1'000'000'000) {  // beyond 30 years: never
    return kNever;
  }
  return ticks_to_ns(cval);
}

}  // namespace runhv::arch
