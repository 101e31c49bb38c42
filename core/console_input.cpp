// The operator's console input: focus and the Ctrl-A x3 switch
// SPDX-License-Identifier: MIT
#include "core/console_input.hpp"

namespace runhv {

bool ConsoleInput::add(u16 domain) {
  if (domain == 0 || domain > kMaxDomains || count_ == kMaxDomains) {
    return false;
  }
  for (u32 i = 0; i < count_; ++i) {
    if (slots_[i].domain == domain) {
      return false;
    }
  }
  slots_[count_++] = Slot{.domain = domain, .retired = false};
  return true;
}

void ConsoleInput::retire(u16 domain) {
  for (u32 i = 0; i < count_; ++i) {
    if (slots_[i].domain == domain) {
      slots_[i].retired = true;
    }
  }
}

void ConsoleInput::switch_focus() {
  for (u32 step = 1; step < count_; ++step) {
    const u32 next = (focus_ + step) % count_;
    if (!slots_[next].retired) {
      focus_ = next;
      return;
    }
  }
}

ConsoleInput::Step ConsoleInput::feed(char c) {
  Step step;
  if (c == kSwitchCode) {
    if (++held_ == kSwitchPresses) {
      held_ = 0;
      switch_focus();
      step.switched = true;
    }
    return step;
  }
  for (; held_ != 0; --held_) {
    step.bytes[step.n++] = kSwitchCode;
  }
  step.bytes[step.n++] = c;
  return step;
}

}  // namespace runhv
