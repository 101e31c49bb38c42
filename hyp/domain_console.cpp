// A domain's console: bytes from console_io, printed by the hypervisor a line at a time
// SPDX-License-Identifier: MIT
#include "hyp/domain_console.hpp"

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
  console::print("[d%u] ", static_cast<unsigned>(domain_));
  console::write(line_, len_);
  console::write("\n");
  len_ = 0;
}

}  // namespace runhv::hyp
