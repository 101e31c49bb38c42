// What hypercalls and PSCI ask of the scheduling layer: time, yield, block, vCPU up/down, stop
// SPDX-License-Identifier: MIT
//
// The contract between the guest-service code (hyp/xen/, hyp/smccc.cpp) and the per-pCPU
// scheduling loop (hyp/switch.cpp and its neighbours) that owns core/sched.hpp's Scheduler.
// Every function is called on the pCPU where `caller` is current, with interrupts masked.
#pragma once

#include "core/types.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

// SCHEDOP_yield: the caller gives up the rest of its slice if another vCPU is runnable there.
void vcpu_yield(Vcpu& caller);
// SCHEDOP_block: the caller blocks until an event is pending for it (or its virtual timer fires,
// like WFI); returns at once if one already is.
void vcpu_block(Vcpu& caller);
// VCPUOP_up / PSCI CPU_ON: brings vCPU `target` of the caller's domain online at `entry` with x0
// = `context` (VCPUOP_up starts it where its context says: entry == kKeepPc). Returns 0 or a
// negative Xen errno (-EINVAL: already up, or kKeepPc for a vCPU that was never started).
inline constexpr u64 kKeepPc = ~u64{0};
long vcpu_up(Vcpu& caller, u32 target, u64 entry, u64 context);
// VCPUOP_down / PSCI CPU_OFF: takes vCPU `target` offline (the caller itself for CPU_OFF). The
// domain's last vCPU going down stops the domain instead (as Xen's VCPUOP_down): no return then.
long vcpu_down(Vcpu& caller, u32 target);
[[nodiscard]] bool vcpu_is_up(const Domain& d, u32 target);
// The domain's event-channel interrupt (PPI 15 = INTID 31, the guest DT's /hypervisor
// interrupt) made pending for `v` in the vGIC, and `v` kicked (hyp/irq.cpp).
inline constexpr u32 kEventChannelIntid = kGuestLayout.evtchn_intid;
void vcpu_raise_event(Vcpu& v);
// SCHEDOP_shutdown / PSCI SYSTEM_OFF / a fatal guest fault: stops every vCPU of the caller's
// domain, prints its statistics and "runhv: dN stopped (<reason>)"; powers the machine off when
// no domain is left. Does not return to the caller's guest.
[[noreturn]] void domain_shutdown(Vcpu& caller, const char* reason);

}  // namespace runhv::hyp
