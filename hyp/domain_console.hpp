// A domain's console: bytes from console_io, printed by the hypervisor a line at a time
// SPDX-License-Identifier: MIT
//
// Each line goes out as "[d<N>] <text>" once its newline arrives (or when the line buffer is
// full, or at flush()). '\r' is dropped; other control characters become '.', so a guest cannot
// drive the terminal.
#pragma once

#include "core/types.hpp"
#include "core/vpl011.hpp"

namespace runhv::hyp {

// Also the vPL011's output (ByteSink): console_io and the UART print the same [dN] lines.
class DomainConsole final : public ByteSink {
 public:
  static constexpr usize kLine = 1024;  // PROBE records are long JSON lines

  constexpr explicit DomainConsole(u16 domain) : domain_(domain) {}

  void write(const char* text, usize n);
  void put(const char* bytes, usize n) override { write(bytes, n); }
  // Prints a partial line, if any (when the domain stops).
  void flush();

 private:
  void emit();

  u16 domain_;
  usize len_ = 0;
  char line_[kLine] = {};
};

}  // namespace runhv::hyp
