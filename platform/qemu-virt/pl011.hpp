// Arm PL011 UART: the console's driver, polled transmit and interrupt-driven receive
// SPDX-License-Identifier: MIT
//
// No baud setup (QEMU's PL011 needs none; on hardware, firmware has set it up). Writing waits for
// room in the transmit FIFO (FR.TXFF clear) and writes DR. Receiving: enable_receive() turns the
// receiver and its RX and receive-timeout interrupts on; receive() drains the FIFO, which lowers
// both (QEMU raises RX at the first byte and lowers it when the FIFO is empty). Transmit and
// receive touch different state (DR written / DR read), so they need no common lock.
#pragma once

#include "core/types.hpp"

namespace runhv::platform {

class Pl011 {
 public:
  constexpr explicit Pl011(Pa base) : base_(base) {}

  [[nodiscard]] constexpr Pa base() const { return base_; }
  void put(char c) const;
  // Writes `n` bytes, sending "\r\n" for each "\n".
  void write(const char* text, usize n) const;
  // Receiver on (CR.UARTEN, RXE), its RX and RX-timeout interrupts unmasked and cleared.
  void enable_receive() const;
  // The receiver on, its interrupts off: for a polled read (receive()).
  void poll_receive() const;
  // Takes up to `max` bytes from the receive FIFO into `out` (until FR.RXFE); returns how many.
  // Bytes with a framing, parity, break or overrun error are taken and dropped.
  usize receive(char* out, usize max) const;

 private:
  Pa base_;
};

}  // namespace runhv::platform
