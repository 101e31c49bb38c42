// Arm PL011 UART: the console's driver, polled transmit and interrupt-driven receive
// SPDX-License-Identifier: MIT
#include "platform/qemu-virt/pl011.hpp"

namespace runhv::platform {
namespace {

// Register offsets and bits (PL011 TRM, DDI 0183).
constexpr u64 kDr = 0x000;                       // data register
constexpr u64 kFr = 0x018;                       // flag register
constexpr u64 kCr = 0x030;                       // control register
constexpr u64 kImsc = 0x038;                     // interrupt mask set/clear
constexpr u64 kIcr = 0x044;                      // interrupt clear
constexpr u32 kFrRxfe = u32{1} << 4;             // receive FIFO empty
constexpr u32 kFrTxff = u32{1} << 5;             // transmit FIFO full
constexpr u32 kDrErrors = 0xF00;                 // DR[11:8]: overrun, break, parity, framing
constexpr u32 kCrEnable = 0x301;                 // UARTEN, TXE, RXE
constexpr u32 kIntRxRt = (1U << 4) | (1U << 6);  // RXIM / RTIM (RXIC / RTIC in ICR)

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

void Pl011::enable_receive() const {
  *reg(base_, kCr) = *reg(base_, kCr) | kCrEnable;
  *reg(base_, kIcr) = kIntRxRt;
  *reg(base_, kImsc) = *reg(base_, kImsc) | kIntRxRt;
}

void Pl011::poll_receive() const {
  *reg(base_, kImsc) = *reg(base_, kImsc) & ~kIntRxRt;
  *reg(base_, kCr) = *reg(base_, kCr) | kCrEnable;
}

usize Pl011::receive(char* out, usize max) const {
  usize n = 0;
  for (usize reads = 0; reads < max && (*reg(base_, kFr) & kFrRxfe) == 0; ++reads) {
    const u32 data = *reg(base_, kDr);
    if ((data & kDrErrors) == 0) {
      out[n++] = static_cast<char>(data & 0xFF);
    }
  }
  return n;
}

}  // namespace runhv::platform
