// Probe side of the Xen runstate area: registration hypercalls, the reader loop, the checker
// SPDX-License-Identifier: MIT
//
// The area is Xen's `struct vcpu_runstate_info` on Arm: a 32-bit state (padded to 8 bytes),
// state_entry_time and time[4], all nanoseconds of the hypervisor's clock; bit 63 of
// state_entry_time is XEN_RUNSTATE_UPDATE while the hypervisor rewrites the area (when the
// domain enabled VMASST_TYPE_runstate_update_flag, and always for phys areas under runhv).
//
// runhv writes the raw record, so sum(time[]) == state_entry_time - (the vCPU's creation time)
// holds for every complete update: `base()` of every consistent read of one vCPU's area is the
// same number. A torn read (parts of two updates) breaks it.
#pragma once

#include "abi/xen.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"

namespace probe::runstate {

// abi/xen.hpp's values under the probe's short names.
namespace abi = runhv::xen;
inline constexpr u64 kUpdateFlag = abi::kRunstateUpdate;
inline constexpr i32 kRunning = static_cast<i32>(abi::RunstateState::running);
inline constexpr i32 kRunnable = static_cast<i32>(abi::RunstateState::runnable);
inline constexpr i32 kBlocked = static_cast<i32>(abi::RunstateState::blocked);
inline constexpr i32 kOffline = static_cast<i32>(abi::RunstateState::offline);

inline constexpr u64 kVcpuOpGetRunstateInfo = static_cast<u64>(abi::VcpuOp::get_runstate_info);
inline constexpr u64 kVcpuOpRegisterVa = static_cast<u64>(abi::VcpuOp::register_runstate_memory_area);
inline constexpr u64 kVcpuOpRegisterPhys = static_cast<u64>(abi::VcpuOp::register_runstate_phys_area);
inline constexpr u64 kPhysUnregister = ~u64{0};
inline constexpr u64 kVmAssistEnable = static_cast<u64>(abi::VmAssistCmd::enable);
inline constexpr u64 kVmAssistRunstateUpdateFlag = abi::kVmAssistRunstateUpdateFlag;

using Info = abi::vcpu_runstate_info;

inline u64 sum(const Info& i) { return i.time[0] + i.time[1] + i.time[2] + i.time[3]; }
// state_entry_time - sum(time[]): the vCPU's creation time, the same for every complete update.
inline u64 base(const Info& i) { return (i.state_entry_time & ~kUpdateFlag) - sum(i); }
inline u64 stolen(const Info& i) { return i.time[kRunnable] + i.time[kOffline]; }

// CNTVCT ticks to the hypervisor's nanoseconds (CNTVOFF is 0 under runhv).
u64 ticks_to_ns(u64 ticks);

// Hypercalls. `va`/`ipa` as the guest passes them; the argument structure is built on the
// caller's stack (a kernel VA).
long register_va(u32 vcpu, u64 va);
long register_phys(u32 vcpu, u64 ipa);
long get_info(u32 vcpu, Info& out);  // VCPUOP_get_runstate_info: the hypervisor's own record
long enable_update_flag();

// The reader loop: { t = state_entry_time; rmb; copy; rmb } while (state_entry_time != t ||
// t & XEN_RUNSTATE_UPDATE). `area` is 8-byte aligned (it may straddle two pages).
struct ReadCounts {
  u64 reads;
  u64 retries;       // every repeat of the loop
  u64 flag_retries;  // ... of which the update flag was set
};
void read(const volatile void* area, Info& out, ReadCounts& counts);

// Checks one vCPU's area at each call (from its own tick or loop, at EL1, the vCPU running):
// the hypervisor's record (get_runstate_info) first, then the area.
struct Checker {
  const volatile void* area = nullptr;
  u32 vcpu = 0;
  bool active = false;
  u64 period_ticks = 0;  // the caller's tick period, for the CNTVCT gap count

  ReadCounts counts{};
  u64 checks = 0;
  u64 stale = 0;         // the area's state_entry_time older than the hypervisor's record
  u64 not_running = 0;   // the area did not say running
  u64 inconsistent = 0;  // base() changed: time[] does not grow exactly as state_entry_time
  u64 descheduled = 0;   // checks after which the vCPU had been switched out and in again
  u64 not_advanced = 0;  // ... and the area's state_entry_time had not moved
  u64 gaps = 0;          // CNTVCT jumped by more than 1.5 tick periods since the previous check
  u64 info_errors = 0;   // get_runstate_info failed
  u64 first_base = 0;
  u64 last_area_entry = 0;
  u64 last_true_entry = 0;
  u64 last_now = 0;
  Info last{};
};
void check(Checker& c);
// Adds the checker's figures to a record; true if it saw nothing wrong (stale, torn,
// not running, not advanced) in at least `min_checks` checks.
bool add(Record& r, const Checker& c, u64 min_checks);

}  // namespace probe::runstate
