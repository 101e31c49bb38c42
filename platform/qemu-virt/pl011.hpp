// Arm PL011 UART: transmit-only polled driver for the console
// SPDX-License-Identifier: MIT
//
// No interrupts, no receive, no baud setup (QEMU's PL011 needs none; on hardware, firmware has
// set it up). Writing waits for room in the transmit FIFO (FR.TXFF clear) and writes DR.
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

 private:
  Pa base_;
};

}  // namespace runhv::platform
