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

// CNTVCT ticks to nanoseconds: floor(ticks * 1e9 / CNTFRQ), the formula runhv uses for its own
// clock (arch/aarch64/counter.hpp), so equal counter values give equal nanoseconds.
u64 ticks_to_ns(u64 ticks);

// The guest's own view of the hypervisor's clock. runhv's runstate times are ticks_to_ns(CNTPCT)
// (nanoseconds since the counter started); a guest reads CNTVCT = CNTPCT - CNTVOFF_EL2 (CNTVOFF
// is per vCPU context: 0 under runhv today, the domain's start on Xen). init_clock() measures the
// offset CNTPCT - CNTVCT from this EL1 (runhv lets EL1 read CNTPCT, as does bare hardware):
// CNTVCT, CNTPCT, CNTVCT back to back bracket it, and the brackets of up to 1000 tries are
// intersected (the counters differ by one constant). `offset_bound` is the intersection's width
// in ticks: 0 under QEMU -icount (the reads are instructions apart), a few ticks under plain TCG
// (a counter read costs host time). guest_ns() of a counter value is then runhv's nanoseconds
// for the same instant, exactly when the bound is 0, else late by at most the bound (the upper
// end of the bracket is used, so a check that runhv's time is later than the guest's now can
// only err towards passing, by at most `offset_bound` ticks). Differences of guest_ns() values
// need no offset at all: both sides floor the same counter with the same formula, and runhv's
// sums telescope (each interval is floor(b) - floor(a) of two such values), so differences
// agree to the nanosecond. The checks require offset_bound <= kMaxClockBoundTicks.
inline constexpr u64 kMaxClockBoundTicks = 64;  // 1 us at QEMU's 62.5 MHz
struct Clock {
  u64 offset_ticks;  // CNTPCT - CNTVCT
  u64 offset_bound;  // width of the bracket it was measured in (0: exact)
  u64 attempts;
};
const Clock& init_clock();
const Clock& clock();
u64 guest_ns(u64 cntvct);                                    // ticks_to_ns(cntvct + offset)
inline u64 now_ns() { return guest_ns(read_cntvct_el0()); }  // guest_ns(CNTVCT now)

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
  // Against the guest's own clock (CNTVCT read after the area, in runhv's nanoseconds):
  u64 future = 0;          // state_entry_time later than now
  u64 clock_mismatch = 0;  // sum(time[]) + (now - state_entry_time) - (now - first_now) moved
  u64 born_late = 0;       // the vCPU's creation (state_entry_time - sum) after its first observed time
  u64 first_seen_ns = 0;   // the vCPU's first observed time (PerCpu::first_cntvct); 0: not checked
  u64 first_now = 0;       // now at the first check, and what the area had accounted by then
  u64 first_accounted = 0;
  u64 max_clock_diff = 0;  // the largest |mismatch| seen, ns
  u64 stale = 0;           // the area's state_entry_time older than the hypervisor's record
  u64 not_running = 0;     // the area did not say running
  u64 inconsistent = 0;    // base() changed: time[] does not grow exactly as state_entry_time
  u64 descheduled = 0;     // checks after which the vCPU had been switched out and in again
  u64 not_advanced = 0;    // ... and the area's state_entry_time had not moved
  u64 gaps = 0;            // CNTVCT jumped by more than 1.5 tick periods since the previous check
  u64 info_errors = 0;     // get_runstate_info failed
  u64 first_base = 0;
  u64 last_area_entry = 0;
  u64 last_true_entry = 0;
  u64 last_now = 0;
  Info last{};
};
void check(Checker& c);
// The guest-clock part of check(): `seen` read from the area, `now` (guest_ns) read after it.
void clock_check(Checker& c, const Info& seen, u64 now);
// Negative control of clock_check: synthetic records (consistent, from the future, torn, created
// after the first observed time) through a scratch checker; true if each fault, and only it, is
// counted.
bool clock_check_selftest();
// Adds the checker's figures to a record; true if it saw nothing wrong (stale, torn,
// not running, not advanced) in at least `min_checks` checks.
bool add(Record& r, const Checker& c, u64 min_checks);
// Adds only the guest-clock figures (future, clock_mismatch, born_late, the measured CNTVOFF and
// the clock_check self-test); true if all are clean. add() includes it.
bool add_clock(Record& r, const Checker& c);

}  // namespace probe::runstate
