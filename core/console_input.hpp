// The operator's console input: which domain it goes to, and Xen's Ctrl-A x3 focus switch
// SPDX-License-Identifier: MIT
//
// As Xen's serial input (xen/drivers/char/console.c, serial_rx): every byte from the operator's
// terminal goes to the domain with the input focus. The switch code, Ctrl-A, is eaten in groups
// of three: the third in a row moves the focus to the next domain that takes input (Xen: "switch
// input to DOMn"); fewer than three followed by another byte go to the focus domain as typed.
// Domains take part in the order they were added (the first one starts with the focus); a
// retired one (stopped) is skipped by the switch but keeps the focus if it has it, as Xen keeps
// a destroyed domain's focus: its input is then dropped by the caller.
//
// Not thread-safe: the caller serialises every call (one receive path).
#pragma once

#include "core/limits.hpp"
#include "core/types.hpp"

namespace runhv {

class ConsoleInput {
 public:
  static constexpr char kSwitchCode = 0x01;  // Ctrl-A
  static constexpr u32 kSwitchPresses = 3;

  // What one received byte asks for: `n` bytes for the focus domain (held switch codes, then the
  // byte), or, when `switched`, nothing to deliver and a new focus to announce.
  struct Step {
    char bytes[kSwitchPresses] = {};
    u32 n = 0;
    bool switched = false;
  };

  // Domain `domain` (1..kMaxDomains) takes input; false if it is out of range, already added or
  // there is no room. The first one added has the focus.
  bool add(u16 domain);
  // Domain `domain` stopped: the switch skips it from now on.
  void retire(u16 domain);
  // The domain with the focus, or 0 when none takes input.
  [[nodiscard]] u16 focus() const { return count_ == 0 ? 0 : slots_[focus_].domain; }
  [[nodiscard]] bool focus_retired() const { return count_ != 0 && slots_[focus_].retired; }

  Step feed(char c);

 private:
  struct Slot {
    u16 domain = 0;
    bool retired = false;
  };
  void switch_focus();

  Slot slots_[kMaxDomains] = {};
  u32 count_ = 0;
  u32 focus_ = 0;
  u32 held_ = 0;  // switch codes received in a row (fewer than kSwitchPresses)
};

}  // namespace runhv
