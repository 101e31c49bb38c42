// Runstate accounting: how long a vCPU has been running, runnable, blocked and offline
// SPDX-License-Identifier: MIT
#include "core/runstate.hpp"

namespace runhv {

void RunstateAccount::reset(u64 now) {
  info_ = {};
  info_.state = static_cast<i32>(RunstateState::offline);
  info_.state_entry_time = now;
  created_ = now;
}

vcpu_runstate_info RunstateAccount::snapshot(u64 now) const {
  vcpu_runstate_info s = info_;
  if (now > s.state_entry_time) {
    s.time[s.state] += now - s.state_entry_time;
  }
  return s;
}

}  // namespace runhv
