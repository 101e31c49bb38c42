// The emulated SBSA generic UART
// SPDX-License-Identifier: MIT
#include "core/vpl011.hpp"

namespace runhv {
namespace {

constexpr u64 kRegionSize = 0x1000;

constexpr u32 lane_mask(u8 bytes) { return bytes >= 4 ? ~u32{0} : (u32{1} << (8U * bytes)) - 1; }

// 8-, 16- and 32-bit, naturally aligned, inside the 4 KiB frame.
constexpr bool served(u64 offset, u8 bytes) {
  return (bytes == 1 || bytes == 2 || bytes == 4) && (offset & (bytes - 1U)) == 0 && offset < kRegionSize &&
         kRegionSize - offset >= bytes;
}

}  // namespace

u32 Vpl011::flags() const {
  u32 fr = pl011::kFrTxfe;  // the sink takes every byte: never full, never busy
  if (rx_count_ == 0) {
    fr |= pl011::kFrRxfe;
  }
  if (rx_count_ == kFifoSize) {
    fr |= pl011::kFrRxff;
  }
  return fr;
}

u8 Vpl011::pop() {
  if (rx_count_ == 0) {
    return 0;  // a read with RXFE set: 0, nothing changes (Xen logs it)
  }
  const u8 byte = rx_[rx_head_];
  rx_head_ = (rx_head_ + 1) % kFifoSize;
  --rx_count_;
  if (rx_count_ < kRxTrigger) {
    ris_ &= ~pl011::kIntRx;
  }
  if (rx_count_ == 0) {
    ris_ &= ~pl011::kIntRt;
  }
  update_irq();
  return byte;
}

bool Vpl011::register_value(u64 reg, u32& value) {
  switch (reg) {
    case pl011::kDr:
      value = pop();  // bits 11:8 (OE, BE, PE, FE) are always 0
      return true;
    case pl011::kFr:
      value = flags();
      return true;
    case pl011::kImsc:
      value = imsc_;
      return true;
    case pl011::kRis:
      value = ris_;
      return true;
    case pl011::kMis:
      value = ris_ & imsc_;
      return true;
    case pl011::kIcr:
      return false;  // write-only
    default:
      value = 0;  // UARTRSR (no errors), the PL011-only registers, the PrimeCell IDs, holes
      return true;
  }
}

void Vpl011::register_write(u64 reg, u32 value, u32 lanes) {
  switch (reg) {
    case pl011::kDr:
      if ((lanes & 0xFF) != 0) {
        const char c = static_cast<char>(value & 0xFF);
        out_->put(&c, 1);
        ris_ |= pl011::kIntTx;
        update_irq();
      }
      return;
    case pl011::kImsc:
      imsc_ = ((imsc_ & ~lanes) | (value & lanes)) & pl011::kIntAll;
      update_irq();
      return;
    case pl011::kIcr:
      ris_ &= ~(value & lanes);
      update_irq();
      return;
    default:
      return;  // UARTECR (nothing to clear), FR, RIS, MIS, the PL011-only registers, the IDs
  }
}

bool Vpl011::read(u64 offset, u8 bytes, u64& value) {
  if (!served(offset, bytes)) {
    return false;
  }
  u32 reg = 0;
  if (!register_value(offset & ~u64{3}, reg)) {
    return false;
  }
  value = (reg >> (8U * (offset & 3))) & lane_mask(bytes);
  return true;
}

bool Vpl011::write(u64 offset, u8 bytes, u64 value) {
  if (!served(offset, bytes)) {
    return false;
  }
  const unsigned shift = 8U * (offset & 3);
  const u32 lanes = lane_mask(bytes) << shift;
  register_write(offset & ~u64{3}, static_cast<u32>(value << shift) & lanes, lanes);
  return true;
}

usize Vpl011::receive(const char* bytes, usize n) {
  const usize taken = n < rx_space() ? n : rx_space();
  for (usize i = 0; i < taken; ++i) {
    rx_[(rx_head_ + rx_count_) % kFifoSize] = static_cast<u8>(bytes[i]);
    ++rx_count_;
  }
  if (taken == 0) {
    return 0;
  }
  ris_ |= pl011::kIntRt;  // no timing: the timeout is "input is waiting"
  if (rx_count_ >= kRxTrigger) {
    ris_ |= pl011::kIntRx;
  }
  update_irq();
  return taken;
}

void Vpl011::update_irq() {
  const bool high = (ris_ & imsc_) != 0;
  if (high != level_) {
    level_ = high;
    irq_->set_level(high);
  }
}

}  // namespace runhv
