// Runstate accounting: how long a vCPU has been running, runnable, blocked and offline
// SPDX-License-Identifier: MIT
//
// Xen semantics (xen/common/sched/core.c): at every state change the time since the last change
// is added to time[old state] and state_entry_time moves to now. A vCPU starts offline at its
// creation time. Times are nanoseconds from a clock the caller supplies (the hypervisor converts
// CNTPCT; tests inject any sequence), so that for every moment
//     sum(time[]) + (now - state_entry_time) == now - created
// holds exactly. A clock that goes backwards is treated as standing still.
#pragma once

#include "abi/xen.hpp"
#include "core/types.hpp"

namespace runhv {

using xen::RunstateState;
using xen::vcpu_runstate_info;

class RunstateAccount {
 public:
  RunstateAccount() { reset(0); }
  explicit RunstateAccount(u64 created_ns) { reset(created_ns); }

  // Starts over: offline since `now`, all times zero.
  void reset(u64 now);
  // Moves to `next` at `now` (a change to the current state still closes the interval).
  // Inline: it is half of every context switch.
  void change(RunstateState next, u64 now) {
    const u64 entry = info_.state_entry_time;
    if (now > entry) {
      info_.time[info_.state] += now - entry;
      info_.state_entry_time = now;
    }
    info_.state = static_cast<i32>(next);
  }

  // The raw record, as the runstate area carries it (Xen's v->runstate).
  [[nodiscard]] const vcpu_runstate_info& info() const { return info_; }
  [[nodiscard]] RunstateState state() const { return static_cast<RunstateState>(info_.state); }
  // The record with the time spent so far in the current state folded into time[] (what
  // VCPUOP_get_runstate_info reports); state_entry_time is left as it is.
  [[nodiscard]] vcpu_runstate_info snapshot(u64 now) const;
  [[nodiscard]] u64 created() const { return created_; }
  // Steal time as guests compute it: runnable + offline. Inline: a switch publishes it.
  [[nodiscard]] u64 stolen(u64 now) const {
    u64 s =
        info_.time[static_cast<int>(RunstateState::runnable)] + info_.time[static_cast<int>(RunstateState::offline)];
    const auto state = static_cast<RunstateState>(info_.state);
    if ((state == RunstateState::runnable || state == RunstateState::offline) && now > info_.state_entry_time) {
      s += now - info_.state_entry_time;
    }
    return s;
  }

 private:
  vcpu_runstate_info info_{};
  u64 created_ = 0;
};

}  // namespace runhv
