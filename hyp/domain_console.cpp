// A domain's console: bytes from console_io and the vPL011, printed by the hypervisor a line at a time
// SPDX-License-Identifier: MIT
#include "hyp/domain_console.hpp"

#include "core/format.hpp"
#include "hyp/console.hpp"
#include "hyp/sched_loop.hpp"

namespace runhv::hyp {
namespace {

constexpr char kMark[] = "runhv-mark ";
constexpr usize kMarkLen = sizeof kMark - 1;

bool is_mark(const char* text, usize n) {
  if (n <= kMarkLen) {
    return false;
  }
  for (usize i = 0; i < kMarkLen; ++i) {
    if (text[i] != kMark[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void DomainConsole::write(const char* text, usize n) {
  for (usize i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '\n') {
      emit();
    } else if (c != '\r') {
      buffer_[prefix() + len_++] = (c < 0x20 && c != '\t') || c == 0x7F ? '.' : c;
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

usize DomainConsole::prefix() {
  if (prefix_ == 0) {
    prefix_ = format(buffer_, kPrefixMax, "[d%u] ", static_cast<unsigned>(domain_));
  }
  return prefix_;
}

void DomainConsole::emit() {
  const char* text = buffer_ + prefix();
  if (is_mark(text, len_)) {
    print_mark(domain_, text + kMarkLen, len_ - kMarkLen);  // the books first: nearest the edge
  }
  // One write for the whole line: lines of domains on other pCPUs must not cut into it.
  buffer_[prefix_ + len_] = '\n';
  console::write(buffer_, prefix_ + len_ + 1);
  len_ = 0;
}

}  // namespace runhv::hyp
