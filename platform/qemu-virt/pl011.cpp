// Arm PL011 UART: transmit-only polled driver for the console
// SPDX-License-Identifier: MIT
#include "platform/qemu-virt/pl011.hpp"

namespace runhv::platform {
namespace {

// Register offsets and bits (PL011 TRM, DDI 0183).
constexpr u64 kDr = 0x000;            // data register
constexpr u64 kFr = 0x018;            // flag register
constexpr u32 kFrTxff = u32{1} << 5;  // transmit FIFO full

volatile u32* reg(Pa base, u64 offset) { return reinterpret_cast<volatile u32*>(base.raw() + offset); }

}  // namespace

void Pl011::put(char c) const {
  while ((*reg(base_, kFr) & kFrTxff) != 0) {
  }
  *reg(base_, kDr) = static_cast<u8>(c);
}

void Pl011::write(const char* text, usize n) const {
  for (usize i = 0; i < n; ++i) {
    if (text[i] == '\n') {
      put('\r');
    }
    put(text[i]);
  }
}

}  // namespace runhv::platform
