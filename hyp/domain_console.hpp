// A domain's console: bytes from console_io, printed by the hypervisor a line at a time
// SPDX-License-Identifier: MIT
//
// Each line goes out as "[d<N>] <text>" once its newline arrives (or when the line buffer is
// full, or at flush()). '\r' is dropped; other control characters become '.', so a guest cannot
// drive the terminal.
#pragma once

#include "core/types.hpp"

namespace runhv::hyp {

class DomainConsole {
 public:
  static constexpr usize kLine = 1024;  // PROBE records are long JSON lines

  constexpr explicit DomainConsole(u16 domain) : domain_(domain) {}

  void write(const char* text, usize n);
  // Prints a partial line, if any (when the domain stops).
  void flush();

 private:
  void emit();

  u16 domain_;
  usize len_ = 0;
  char line_[kLine] = {};
};

}  // namespace runhv::hyp
