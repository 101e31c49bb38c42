// Generic timer at EL2: the EL2 physical timer (the scheduler's event source) and the guest's view
// SPDX-License-Identifier: MIT
//
// Time is nanoseconds since the counter started (CNTPCT_EL0 = 0 at QEMU's reset), converted
// exactly with CNTFRQ_EL0 (counter.hpp).
//
// EL2 physical timer (CNTHP_CTL_EL2 / CNTHP_CVAL_EL2, PPI 10 = INTID 26): one deadline per pCPU.
// timer_program() arms it; when it fires, the IRQ handler (irq.cpp) disarms it and calls
// hyp::on_timer(pcpu, now_ns), which may program the next deadline.
//
// The guest's timers (set per pCPU by guest_timer_init):
//   CNTHCTL_EL2 = EL1PCTEN only: EL1/EL0 read CNTPCT_EL0 freely; the EL1 physical timer
//     (CNTP_*) traps (EC 0x18), since PPI 30 would reach EL2 and nothing forwards it. Guests
//     use the virtual timer, which needs no permission: CNTV_* are never trapped (E2H = 0).
//   CNTVOFF_EL2 = 0 for every vCPU (part of its context, vcpu_context.hpp): a guest's CNTVCT
//     equals CNTPCT, so the times a guest reads and the hypervisor's runstate times (from CNTPCT)
//     are the same clock, with no offset to carry around.
// The virtual timer (PPI 11 = INTID 27) reaches EL2 while a guest runs (HCR_EL2.IMO = 1): the
// handler sets CNTV_CTL_EL0.IMASK in the live register and injects virtual INTID 27; the guest's
// next write of CNTV_CTL (Linux's set_next_event) clears IMASK again.
#pragma once

#include "arch/arch.hpp"
#include "core/types.hpp"

namespace runhv::arch {

// CNTHP_CTL_EL2 / CNTV_CTL_EL0 bits.
inline constexpr u64 kTimerEnable = u64{1} << 0;   // ENABLE: the timer runs
inline constexpr u64 kTimerImask = u64{1} << 1;    // IMASK: its interrupt is masked
inline constexpr u64 kTimerIstatus = u64{1} << 2;  // ISTATUS: the condition is met (read-only)

// Reads CNTFRQ_EL0 (boot CPU, before anything else here); panics on 0 or an absurd value.
void timer_init_frequency();
[[nodiscard]] u64 timer_frequency();

// now_ns(), timer_program() and timer_cancel() are the seam's (arch/arch.hpp).
[[nodiscard]] u64 ticks_to_ns(u64 ticks);
[[nodiscard]] u64 ns_to_ticks(u64 ns);

// This pCPU: EL2 timer off, the guest's counter/timer access (CNTHCTL_EL2) set.
void timer_cpu_init();

}  // namespace runhv::arch
