// A domain's console: bytes from console_io, printed by the hypervisor a line at a time
// SPDX-License-Identifier: MIT
#include "hyp/domain_console.hpp"

#include "core/format.hpp"
#include "hyp/console.hpp"

namespace runhv::hyp {

void DomainConsole::write(const char* text, usize n) {
  for (usize i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '\n') {
      emit();
    } else if (c != '\r') {
      line_[len_++] = (c < 0x20 && c != '\t') || c == 0x7F ? '.' : c;
      if (len_ == kLine) {
        emit();
      }
    }
  }
}

void DomainConsole::flush() {
  if (len_ != 0) {
    emit();
  }
}

void DomainConsole::emit() {
  // One write for the whole line: lines of domains on other pCPUs must not cut into it.
  char out[kLine + 16];
  usize n = format(out, sizeof out, "[d%u] ", static_cast<unsigned>(domain_));
  for (usize i = 0; i < len_ && n < sizeof out - 1; ++i) {
    out[n++] = line_[i];
  }
  out[n++] = '\n';
  console::write(out, n);
  len_ = 0;
}

}  // namespace runhv::hyp
