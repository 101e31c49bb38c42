// The emulated SBSA generic UART (Xen's vPL011): a domain's console device at 0x2200_0000
// SPDX-License-Identifier: MIT
//
// The Arm SBSA generic UART is the subset of the PL011 (r1p5) a guest drives without knowing the
// board: UARTDR, UARTRSR/ECR, UARTFR, UARTIMSC, UARTRIS, UARTMIS and UARTICR, at the PL011's offsets;
// the baud rate, frame format and enables are fixed, so LCR_H, CR, IBRD/FBRD, IFLS and DMACR are
// absent. Xen's dom0less gives a domain one (compatible "arm,sbsa-uart", SPI 32) and Linux drives it
// with its amba-pl011 driver's sbsa path (32-bit accesses, a 32-byte FIFO, earlycon with byte
// accesses to UARTDR). This device follows Xen's xen/arch/arm/vpl011.c with the backend in the
// hypervisor:
//
//  * Output goes to a ByteSink a byte at a time, as the guest writes UARTDR. The sink takes every
//    byte, so the transmit side is never full or busy: UARTFR reads TXFE = 1, TXFF = 0, BUSY = 0
//    always (Linux's sbsa console and tx_empty wait for BUSY and TXFF clear; the QDF2400 E44
//    workaround waits for TXFE set).
//  * Input comes in through receive() into a 32-byte FIFO (the PL011's depth and Xen's in-ring);
//    what does not fit is refused. Reading UARTDR takes the oldest byte (error bits 11:8 always 0),
//    or reads 0 when the FIFO is empty.
//  * Interrupts (UARTRIS; the line is UARTMIS = RIS & IMSC != 0, reported through an IrqLine):
//      TXRIS  set by every write to UARTDR (the FIFO is at once empty again, below any trigger
//             level); cleared only by UARTICR. Linux (pl011_tx_chars) writes while it has data and
//             masks TXIM once it has none, so the line follows TXIM; it never clears TXRIS itself.
//      RXRIS  set while the FIFO holds at least kRxTrigger (half) bytes, the PL011's default 1/2
//             trigger; cleared when a read takes it below, or by UARTICR.
//      RTRIS  the receive timeout: no timing is emulated, so it is set whenever a byte arrives and
//             cleared when a read empties the FIFO (or by UARTICR), as Xen does. With RTIM | RXIM
//             (Linux's mask) any input raises the line and draining UARTDR until RXFE lowers it.
//    The modem, error and overrun interrupts never occur.
//  * Accesses: 8-, 16- and 32-bit, naturally aligned, to any offset of the 4 KiB region; a
//    sub-word access reads or writes those byte lanes of the 32-bit register (a write to UARTDR
//    sends a byte only when it covers lane 0). 64-bit and misaligned accesses are refused.
//    UARTICR is write-only: a read is refused (Xen injects a data abort). Every other offset,
//    including the PL011-only registers and the PrimeCell ID registers (0xFE0..0xFFC), reads as
//    zero and ignores writes, as Xen's default case does; the sbsa driver never reads the IDs.
//
// Not thread-safe: the caller serialises read(), write() and receive() (one lock per device);
// IrqLine::set_level and ByteSink::put are called with that serialisation held.
#pragma once

#include "core/mmio.hpp"
#include "core/types.hpp"

namespace runhv {

// Where a device's output bytes go (for the vPL011, the domain's console).
class ByteSink {
 public:
  virtual void put(const char* bytes, usize n) = 0;

 protected:
  ByteSink() = default;
  ~ByteSink() = default;
  ByteSink(const ByteSink&) = default;
  ByteSink& operator=(const ByteSink&) = default;
};

// A level-sensitive interrupt line (for the vPL011, the vGIC's SPI 32). The device calls
// set_level only when the level changes; the line starts low.
class IrqLine {
 public:
  virtual void set_level(bool high) = 0;

 protected:
  IrqLine() = default;
  ~IrqLine() = default;
  IrqLine(const IrqLine&) = default;
  IrqLine& operator=(const IrqLine&) = default;
};

// The PL011 / SBSA generic UART programmer's model: offsets and bits.
namespace pl011 {

inline constexpr u64 kDr = 0x000;         // data
inline constexpr u64 kRsr = 0x004;        // receive status / error clear (UARTRSR/UARTECR)
inline constexpr u64 kFr = 0x018;         // flags
inline constexpr u64 kIlpr = 0x020;       // IrDA low-power counter (PL011 only)
inline constexpr u64 kIbrd = 0x024;       // integer baud-rate divisor (PL011 only)
inline constexpr u64 kFbrd = 0x028;       // fractional baud-rate divisor (PL011 only)
inline constexpr u64 kLcrH = 0x02C;       // line control (PL011 only)
inline constexpr u64 kCr = 0x030;         // control (PL011 only)
inline constexpr u64 kIfls = 0x034;       // interrupt FIFO level select (PL011 only)
inline constexpr u64 kImsc = 0x038;       // interrupt mask set/clear
inline constexpr u64 kRis = 0x03C;        // raw interrupt status
inline constexpr u64 kMis = 0x040;        // masked interrupt status
inline constexpr u64 kIcr = 0x044;        // interrupt clear (write-only)
inline constexpr u64 kDmacr = 0x048;      // DMA control (PL011 only)
inline constexpr u64 kPeriphId0 = 0xFE0;  // PrimeCell peripheral and cell IDs: 0xFE0..0xFFC
inline constexpr u64 kCellId3 = 0xFFC;

// UARTFR
inline constexpr u32 kFrBusy = 1U << 3;
inline constexpr u32 kFrRxfe = 1U << 4;
inline constexpr u32 kFrTxff = 1U << 5;
inline constexpr u32 kFrRxff = 1U << 6;
inline constexpr u32 kFrTxfe = 1U << 7;

// UARTIMSC / UARTRIS / UARTMIS / UARTICR
inline constexpr u32 kIntRx = 1U << 4;  // RXIM / RXRIS
inline constexpr u32 kIntTx = 1U << 5;  // TXIM / TXRIS
inline constexpr u32 kIntRt = 1U << 6;  // RTIM / RTRIS (receive timeout)
inline constexpr u32 kIntAll = 0x7FF;   // RIM, CTSM, DCDM, DSRM, RX, TX, RT, FE, PE, BE, OE

}  // namespace pl011

class Vpl011 final : public MmioDevice {
 public:
  static constexpr usize kFifoSize = 32;              // receive FIFO depth (Linux's sbsa fifosize)
  static constexpr usize kRxTrigger = kFifoSize / 2;  // RXRIS at or above this many bytes

  // Constant-initialisable: a Domain holds one. Both interfaces must outlive the device.
  constexpr Vpl011(ByteSink& out, IrqLine& irq) : out_(&out), irq_(&irq) {}

  // MmioDevice: offsets from the region's base (kGuestLayout.uart).
  bool read(u64 offset, u8 bytes, u64& value) override;
  bool write(u64 offset, u8 bytes, u64 value) override;

  // Input for the guest: takes the first bytes of [bytes, bytes + n) that fit in the receive FIFO
  // and returns how many (0 when it is full); raises RXRIS/RTRIS as they say.
  usize receive(const char* bytes, usize n);

  // What the guest would read, without side effects (for the hypervisor and tests).
  [[nodiscard]] usize rx_pending() const { return rx_count_; }
  [[nodiscard]] usize rx_space() const { return kFifoSize - rx_count_; }
  [[nodiscard]] u32 flags() const;
  [[nodiscard]] u32 raw_status() const { return ris_; }
  [[nodiscard]] u32 mask() const { return imsc_; }
  [[nodiscard]] u32 masked_status() const { return ris_ & imsc_; }
  [[nodiscard]] bool irq_level() const { return level_; }

 private:
  [[nodiscard]] bool register_value(u64 reg, u32& value);  // a read's 32-bit value; DR pops
  void register_write(u64 reg, u32 value, u32 lanes);
  u8 pop();
  void update_irq();

  ByteSink* out_;
  IrqLine* irq_;
  u8 rx_[kFifoSize] = {};
  usize rx_head_ = 0;  // index of the oldest byte
  usize rx_count_ = 0;
  u32 imsc_ = 0;
  u32 ris_ = 0;
  bool level_ = false;  // the level last given to irq_
};

}  // namespace runhv
