// A domain's console: bytes from console_io and the vPL011, printed by the hypervisor a line at a time
// SPDX-License-Identifier: MIT
//
// Each line goes out as "[d<N>] <text>" once its newline arrives (or when the line buffer is
// full, or at flush()). '\r' is dropped; other control characters become '.', so a guest cannot
// drive the terminal.
//
// A line "runhv-mark <label>" also asks runhv to print that domain's books at that moment
// (print_mark, hyp/stats.cpp): the guest puts an edge of its own measurement window there.
#pragma once

#include "core/types.hpp"
#include "core/vpl011.hpp"

namespace runhv::hyp {

// Also the vPL011's output (ByteSink): console_io and the UART print the same [dN] lines.
class DomainConsole final : public ByteSink {
 public:
  static constexpr usize kLine = 4096;  // LINUX and PROBE records are long JSON lines

  constexpr explicit DomainConsole(u16 domain) : domain_(domain) {}

  void write(const char* text, usize n);
  void put(const char* bytes, usize n) override { write(bytes, n); }
  // Prints a partial line, if any (when the domain stops).
  void flush();

 private:
  static constexpr usize kPrefixMax = 16;  // "[d<N>] " with room to spare
  // Writes "[dN] " at the head of buffer_ the first time; returns its length.
  usize prefix();
  void emit();

  u16 domain_;
  usize prefix_ = 0;  // bytes of "[dN] " at the head of buffer_ (written on the first byte)
  usize len_ = 0;     // text bytes after the prefix
  char buffer_[kPrefixMax + kLine + 1] = {};
};

}  // namespace runhv::hyp
