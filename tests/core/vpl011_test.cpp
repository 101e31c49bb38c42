// The emulated SBSA generic UART: registers at every width, output, input, and the interrupt line
// as Linux's amba-pl011 sbsa path drives it
// SPDX-License-Identifier: MIT
#include "core/vpl011.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/guest_layout.hpp"

namespace runhv {
namespace {

using namespace pl011;  // NOLINT(google-build-using-namespace): register names read better bare

// The console: every put() and the bytes in order.
class Recorder final : public ByteSink {
 public:
  void put(const char* bytes, usize n) override {
    text.append(bytes, n);
    ++calls;
  }
  std::string text;
  int calls = 0;
};

// The vGIC's view: every level change, in order.
class Line final : public IrqLine {
 public:
  void set_level(bool high) override { changes.push_back(high); }
  std::vector<bool> changes;
};

constexpr u32 kIdleFr = kFrTxfe | kFrRxfe;  // 0x90: nothing buffered either way

class Vpl011Test : public ::testing::Test {
 protected:
  u64 rd(u64 offset, u8 bytes = 4) {
    u64 v = 0xBAD0'BAD0'BAD0'BAD0;
    EXPECT_TRUE(uart.read(offset, bytes, v)) << std::hex << offset << " " << int{bytes};
    return v;
  }
  void wr(u64 offset, u64 value, u8 bytes = 4) {
    EXPECT_TRUE(uart.write(offset, bytes, value)) << std::hex << offset << " " << int{bytes};
  }
  usize feed(const std::string& s) { return uart.receive(s.data(), s.size()); }
  // pl011_fifo_to_tty: read UARTDR while UARTFR.RXFE is clear.
  std::string drain() {
    std::string got;
    for (int i = 0; i < 256 && (rd(kFr) & kFrRxfe) == 0; ++i) {
      got.push_back(static_cast<char>(rd(kDr) & 0xFF));
    }
    return got;
  }

  Recorder sink;
  Line line;
  Vpl011 uart{sink, line};
};

// ---- construction

class NullSink final : public ByteSink {
 public:
  constexpr NullSink() = default;
  void put(const char*, usize) override {}
};
class NullLine final : public IrqLine {
 public:
  constexpr NullLine() = default;
  void set_level(bool) override {}
};
constinit NullSink g_sink;
constinit NullLine g_line;
constinit Vpl011 g_uart{g_sink, g_line};  // must compile: a Domain holds one

TEST(Vpl011Constant, IsConstantInitialisedIdle) {
  EXPECT_EQ(g_uart.flags(), kIdleFr);
  EXPECT_EQ(g_uart.raw_status(), 0U);
  EXPECT_EQ(g_uart.mask(), 0U);
  EXPECT_FALSE(g_uart.irq_level());
  EXPECT_EQ(g_uart.rx_space(), Vpl011::kFifoSize);
}

TEST_F(Vpl011Test, ResetStateAsTheGuestReadsIt) {
  EXPECT_EQ(rd(kFr), kIdleFr);
  EXPECT_EQ(rd(kImsc), 0U);
  EXPECT_EQ(rd(kRis), 0U);
  EXPECT_EQ(rd(kMis), 0U);
  EXPECT_EQ(rd(kRsr), 0U);
  EXPECT_EQ(rd(kDr), 0U);  // nothing buffered
  EXPECT_TRUE(line.changes.empty());
  EXPECT_TRUE(sink.text.empty());
}

// ---- widths

TEST_F(Vpl011Test, FlagRegisterAtEveryWidthAndLane) {
  EXPECT_EQ(rd(kFr, 4), kIdleFr);
  EXPECT_EQ(rd(kFr, 2), kIdleFr);
  EXPECT_EQ(rd(kFr, 1), kIdleFr);
  EXPECT_EQ(rd(kFr + 1, 1), 0U);
  EXPECT_EQ(rd(kFr + 2, 2), 0U);
  EXPECT_EQ(rd(kFr + 3, 1), 0U);
}

TEST_F(Vpl011Test, SixtyFourBitAccessesAreRefusedEverywhere) {
  for (u64 off : {kDr, kRsr, kFr, kLcrH, kCr, kImsc, kRis, kMis, kIcr, kDmacr, kPeriphId0, u64{0xFF8}}) {
    u64 v = 0x5A5A;
    EXPECT_FALSE(uart.read(off, 8, v)) << std::hex << off;
    EXPECT_EQ(v, 0x5A5AU);
    EXPECT_FALSE(uart.write(off, 8, 0x41)) << std::hex << off;
  }
  EXPECT_TRUE(sink.text.empty());  // the refused DR store sent nothing
  EXPECT_EQ(uart.raw_status(), 0U);
}

TEST_F(Vpl011Test, MisalignedAndOddSizedAccessesAreRefused) {
  u64 v = 0;
  EXPECT_FALSE(uart.read(kFr + 1, 2, v));
  EXPECT_FALSE(uart.read(kFr + 2, 4, v));
  EXPECT_FALSE(uart.read(kFr + 3, 2, v));
  EXPECT_FALSE(uart.write(kDr + 1, 4, 'A'));
  EXPECT_FALSE(uart.write(kImsc + 1, 2, kIntTx));
  EXPECT_FALSE(uart.read(kDr, 3, v));
  EXPECT_FALSE(uart.read(kDr, 0, v));
  EXPECT_FALSE(uart.write(kDr, 16, 'A'));
  EXPECT_FALSE(uart.read(0x1000, 4, v));  // outside the 4 KiB frame
  EXPECT_TRUE(sink.text.empty());
  EXPECT_EQ(uart.mask(), 0U);
}

TEST_F(Vpl011Test, TheInterruptClearRegisterIsWriteOnly) {
  u64 v = 0x77;
  for (u8 bytes : {u8{1}, u8{2}, u8{4}}) {
    EXPECT_FALSE(uart.read(kIcr, bytes, v)) << int{bytes};
  }
  EXPECT_FALSE(uart.read(kIcr + 1, 1, v));
  EXPECT_EQ(v, 0x77U);
  for (u8 bytes : {u8{1}, u8{2}, u8{4}}) {
    EXPECT_TRUE(uart.write(kIcr, bytes, kIntAll)) << int{bytes};
  }
}

TEST_F(Vpl011Test, ReceiveStatusReadsZeroAndWritesAreAccepted) {
  for (u8 bytes : {u8{1}, u8{2}, u8{4}}) {
    EXPECT_EQ(rd(kRsr, bytes), 0U);
    wr(kRsr, 0xFF, bytes);  // UARTECR: clears errors there never are
  }
  EXPECT_EQ(rd(kRsr + 1, 1), 0U);
  EXPECT_EQ(rd(kFr), kIdleFr);
}

TEST_F(Vpl011Test, StatusRegistersIgnoreWrites) {
  feed("x");  // RTRIS set, RXFE clear
  const u32 fr = static_cast<u32>(rd(kFr));
  const u32 ris = static_cast<u32>(rd(kRis));
  for (u8 bytes : {u8{1}, u8{2}, u8{4}}) {
    wr(kFr, 0, bytes);
    wr(kRis, 0, bytes);
    wr(kMis, 0, bytes);
  }
  EXPECT_EQ(rd(kFr), fr);
  EXPECT_EQ(rd(kRis), ris);
  EXPECT_EQ(ris, kIntRt);
}

TEST_F(Vpl011Test, PL011OnlyRegistersAreReadAsZeroWriteIgnored) {
  for (u64 off : {kIlpr, kIbrd, kFbrd, kLcrH, kCr, kIfls, kDmacr, u64{0x008}, u64{0x04C}, u64{0x800}}) {
    for (u8 bytes : {u8{1}, u8{2}, u8{4}}) {
      wr(off, 0xFFFF'FFFF, bytes);
      EXPECT_EQ(rd(off, bytes), 0U) << std::hex << off << " " << int{bytes};
    }
  }
  EXPECT_EQ(rd(kFr), kIdleFr);
  EXPECT_EQ(rd(kImsc), 0U);
  EXPECT_TRUE(sink.text.empty());
}

TEST_F(Vpl011Test, PrimeCellIdRegistersReadZeroAsXenAnswers) {
  for (u64 off = kPeriphId0; off <= kCellId3; off += 4) {
    EXPECT_EQ(rd(off, 4), 0U) << std::hex << off;
    EXPECT_EQ(rd(off, 1), 0U);
    EXPECT_EQ(rd(off + 2, 2), 0U);
    wr(off, 0x0D, 4);
    EXPECT_EQ(rd(off, 4), 0U);
  }
}

TEST_F(Vpl011Test, MaskRegisterAtEveryWidthKeepsTheDefinedBits) {
  wr(kImsc, kIntRx | kIntRt);
  EXPECT_EQ(rd(kImsc), kIntRx | kIntRt);
  wr(kImsc, 0xFFFF'FFFF);
  EXPECT_EQ(rd(kImsc), kIntAll);  // bits 31:11 are reserved
  wr(kImsc, 0);
  wr(kImsc + 1, 0x07, 1);  // FEIM..OEIM live in lane 1: bits 8..10
  EXPECT_EQ(rd(kImsc), 0x700U);
  wr(kImsc, kIntTx, 1);  // lane 0 only: lane 1 is kept
  EXPECT_EQ(rd(kImsc), 0x700U | kIntTx);
  wr(kImsc + 2, 0xFFFF, 2);  // reserved lanes
  EXPECT_EQ(rd(kImsc), 0x700U | kIntTx);
  wr(kImsc, 0x0050, 2);
  EXPECT_EQ(rd(kImsc, 2), kIntRx | kIntRt);
  EXPECT_EQ(rd(kImsc, 1), kIntRx | kIntRt);
  EXPECT_EQ(rd(kImsc + 1, 1), 0U);
}

// ---- output

TEST_F(Vpl011Test, DataWritesAtEveryWidthSendTheLowByte) {
  wr(kDr, 'a', 1);                 // earlycon's writeb
  wr(kDr, 0x0062, 2);              // 'b'
  wr(kDr, 0xFFFF'FF63, 4);         // 'c': bits above 7 are not data
  wr(kDr, 0x1234'5678'9ABC'DE64);  // 'd' (a 32-bit store of a value with junk above)
  EXPECT_EQ(sink.text, "abcd");
  EXPECT_EQ(sink.calls, 4);
}

TEST_F(Vpl011Test, DataWritesMissingLaneZeroSendNothing) {
  wr(kDr + 1, 'x', 1);
  wr(kDr + 2, 'y', 2);
  wr(kDr + 3, 'z', 1);
  EXPECT_TRUE(sink.text.empty());
  EXPECT_EQ(rd(kRis), 0U);  // and raise nothing
}

TEST_F(Vpl011Test, TransmitByteByByteNeverFillsOrBusiesTheFifo) {
  const std::string msg = "Booting Linux on physical CPU 0x0\n";
  for (char c : msg) {
    // pl011_console_putchar: wait for TXFF clear, then write
    ASSERT_EQ(rd(kFr) & kFrTxff, 0U);
    wr(kDr, static_cast<u8>(c));
    const u64 fr = rd(kFr);
    EXPECT_EQ(fr & (kFrTxff | kFrBusy), 0U);  // pl011_tx_empty: TIOCSER_TEMT
    EXPECT_NE(fr & kFrTxfe, 0U);              // what the QDF2400 E44 workaround waits for
  }
  EXPECT_EQ(sink.text, msg);
  EXPECT_EQ(sink.calls, static_cast<int>(msg.size()));
}

TEST_F(Vpl011Test, TransmitBurstsArriveWholeAndInOrder) {
  std::string burst;
  for (int i = 0; i < 1000; ++i) {
    burst.push_back(static_cast<char>('0' + i % 75));
  }
  for (char c : burst) {
    wr(kDr, static_cast<u8>(c));
  }
  EXPECT_EQ(sink.text, burst);
  EXPECT_EQ(rd(kFr), kIdleFr);
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  sink.text.clear();
  for (char c : bytes) {
    wr(kDr, static_cast<u8>(c), 1);
  }
  EXPECT_EQ(sink.text, bytes);  // every byte value, NUL and 0xFF included
}

// ---- the transmit interrupt

TEST_F(Vpl011Test, WritesWithTxMaskedNeverRaiseTheLine) {
  wr(kImsc, kIntRx | kIntRt);  // pl011_enable_interrupts
  for (char c : std::string("quiet output\n")) {
    wr(kDr, static_cast<u8>(c));
  }
  EXPECT_EQ(rd(kRis) & kIntTx, kIntTx);  // raw status says "room in the FIFO"
  EXPECT_EQ(rd(kMis), 0U);
  EXPECT_TRUE(line.changes.empty());
}

// pl011_start_tx_pio writes while TXFF is clear; were it to stop early it would unmask TXIM and
// pl011_int would send the rest, fifosize / 2 = 16 bytes a pass, then mask TXIM (pl011_stop_tx).
TEST_F(Vpl011Test, LinuxInterruptDrivenTransmitGetsItsInterruptAndDrains) {
  wr(kImsc, kIntRx | kIntRt);
  std::string xmit = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n";  // 47 bytes
  usize tail = 0;
  // start_tx: a first chunk by PIO, then TXIM unmasked
  for (; tail < 5; ++tail) {
    wr(kDr, static_cast<u8>(xmit[tail]));
  }
  u32 im = kIntRx | kIntRt | kIntTx;
  wr(kImsc, im);
  ASSERT_EQ(line.changes, std::vector<bool>{true});  // TXRIS was set by the writes
  // pl011_int: status = RIS & im; ICR of the others; tx_chars while TXIS is seen
  int passes = 0;
  for (u32 status = static_cast<u32>(rd(kRis)) & im; status != 0; status = static_cast<u32>(rd(kRis)) & im) {
    ASSERT_LT(++passes, 256);
    wr(kIcr, status & ~(kIntTx | kIntRt | kIntRx));
    ASSERT_NE(status & kIntTx, 0U);
    for (int count = 16; count > 0 && tail < xmit.size(); --count, ++tail) {
      wr(kDr, static_cast<u8>(xmit[tail]));
    }
    if (tail == xmit.size()) {
      im &= ~kIntTx;  // pl011_stop_tx
      wr(kImsc, im);
    }
  }
  EXPECT_EQ(passes, 3);  // 16 + 16 + 10 bytes
  EXPECT_EQ(sink.text, xmit);
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  EXPECT_FALSE(uart.irq_level());
  EXPECT_EQ(rd(kMis), 0U);
  EXPECT_EQ(rd(kRis), kIntTx);  // still raw: the line stays low only because TXIM is masked
}

TEST_F(Vpl011Test, UnmaskingTxBeforeAnyWriteRaisesOnTheFirstWrite) {
  wr(kImsc, kIntTx);
  EXPECT_TRUE(line.changes.empty());  // nothing written yet: TXRIS is 0 at reset, as Xen's
  wr(kDr, 'h');
  EXPECT_EQ(line.changes, std::vector<bool>{true});
  wr(kDr, 'i');
  wr(kDr, '\n');
  EXPECT_EQ(line.changes, std::vector<bool>{true});  // only changes are reported
  wr(kImsc, 0);
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  EXPECT_EQ(sink.text, "hi\n");
}

TEST_F(Vpl011Test, ClearingTxRisKeepsTheLineLowUntilTheNextWrite) {
  wr(kDr, 'a');
  wr(kIcr, kIntTx);
  EXPECT_EQ(rd(kRis), 0U);
  wr(kImsc, kIntTx);
  EXPECT_TRUE(line.changes.empty());
  wr(kDr, 'b');
  EXPECT_EQ(line.changes, std::vector<bool>{true});
  wr(kIcr, kIntTx, 1);  // a byte store to UARTICR clears too
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  EXPECT_EQ(rd(kMis), 0U);
}

// ---- input

TEST_F(Vpl011Test, FlagsFollowTheReceiveFifo) {
  EXPECT_EQ(feed("ab"), 2U);
  EXPECT_EQ(rd(kFr), kFrTxfe);  // RXFE clear, RXFF clear
  EXPECT_EQ(rd(kDr) & 0xFFF, static_cast<u64>('a'));
  EXPECT_EQ(rd(kFr), kFrTxfe);
  EXPECT_EQ(rd(kDr), static_cast<u64>('b'));
  EXPECT_EQ(rd(kFr), kIdleFr);
  EXPECT_EQ(uart.rx_pending(), 0U);
}

TEST_F(Vpl011Test, ReceivedBytesRaiseTimeoutAndTheLineUntilDrained) {
  wr(kImsc, kIntRx | kIntRt);
  EXPECT_EQ(feed("ls\n"), 3U);
  EXPECT_EQ(rd(kRis), kIntRt);  // below the half-full trigger: the timeout, not RXRIS
  EXPECT_EQ(rd(kMis), kIntRt);
  EXPECT_EQ(line.changes, std::vector<bool>{true});
  EXPECT_EQ(drain(), "ls\n");
  EXPECT_EQ(rd(kRis), 0U);
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  EXPECT_EQ(rd(kFr), kIdleFr);
}

TEST_F(Vpl011Test, ReceiveInterruptAtTheHalfFullTrigger) {
  wr(kImsc, kIntRx);  // RX only: the line follows RXRIS
  EXPECT_EQ(feed(std::string(15, 'a')), 15U);
  EXPECT_EQ(rd(kRis), kIntRt);
  EXPECT_TRUE(line.changes.empty());
  EXPECT_EQ(feed("b"), 1U);  // 16 = kRxTrigger
  EXPECT_EQ(rd(kRis), kIntRx | kIntRt);
  EXPECT_EQ(rd(kMis), kIntRx);
  EXPECT_EQ(line.changes, std::vector<bool>{true});
  EXPECT_EQ(rd(kDr), static_cast<u64>('a'));  // 15 left: below the trigger
  EXPECT_EQ(rd(kRis), kIntRt);
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  EXPECT_EQ(drain(), std::string(14, 'a') + "b");
  EXPECT_EQ(rd(kRis), 0U);
}

TEST_F(Vpl011Test, InputBeyondTheFifoIsRefused) {
  std::string in;
  for (int i = 0; i < 40; ++i) {
    in.push_back(static_cast<char>('A' + i));
  }
  EXPECT_EQ(uart.receive(in.data(), in.size()), Vpl011::kFifoSize);
  EXPECT_EQ(rd(kFr), kFrTxfe | kFrRxff);
  EXPECT_EQ(feed("more"), 0U);
  EXPECT_EQ(uart.rx_space(), 0U);
  EXPECT_EQ(rd(kDr), static_cast<u64>('A'));
  EXPECT_EQ(rd(kFr), kFrTxfe);  // room for one
  EXPECT_EQ(feed("!?"), 1U);
  EXPECT_EQ(drain(), in.substr(1, 31) + "!");  // order kept across the ring's wrap
  EXPECT_EQ(feed(""), 0U);
}

TEST_F(Vpl011Test, ReadsOfEveryWidthTakeOneByte) {
  feed("xyz\xff");
  EXPECT_EQ(rd(kDr, 1), static_cast<u64>('x'));  // earlycon's readb
  EXPECT_EQ(rd(kDr, 2), static_cast<u64>('y'));  // no error flags in bits 11:8
  EXPECT_EQ(rd(kDr + 1, 1), 0U);                 // lane 1 is the error flags: 'z' is taken
  EXPECT_EQ(rd(kDr, 4), 0xFFU);                  // a byte, not sign-extended by the device
  EXPECT_EQ(uart.rx_pending(), 0U);
}

TEST_F(Vpl011Test, ReadingAnEmptyFifoGivesZeroAndChangesNothing) {
  wr(kImsc, kIntAll);
  EXPECT_EQ(rd(kDr), 0U);
  EXPECT_EQ(rd(kRis), 0U);
  EXPECT_TRUE(line.changes.empty());
  EXPECT_EQ(rd(kFr), kIdleFr);
}

TEST_F(Vpl011Test, ClearingReceiveStatusLowersTheLineUntilMoreArrives) {
  wr(kImsc, kIntRx | kIntRt);
  feed("abc");
  wr(kIcr, kIntRt);
  EXPECT_EQ(rd(kRis), 0U);
  EXPECT_EQ(rd(kFr) & kFrRxfe, 0U);  // the bytes are still there
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  feed("d");
  EXPECT_EQ(rd(kRis), kIntRt);
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(drain(), "abcd");
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false, true, false}));
}

TEST_F(Vpl011Test, MaskedStatusFollowsTheMask) {
  feed(std::string(20, 'q'));
  wr(kDr, '.');
  EXPECT_EQ(rd(kRis), kIntRx | kIntTx | kIntRt);
  EXPECT_EQ(rd(kMis), 0U);
  wr(kImsc, kIntTx);
  EXPECT_EQ(rd(kMis), kIntTx);
  wr(kImsc, kIntRt | kIntRx);
  EXPECT_EQ(rd(kMis), kIntRt | kIntRx);
  EXPECT_EQ(rd(kMis, 1), kIntRt | kIntRx);
  EXPECT_EQ(rd(kRis + 1, 1), 0U);
  EXPECT_EQ(line.changes, std::vector<bool>{true});  // high throughout the mask changes
  wr(kIcr, 0xFFFF);                                  // pl011_disable_interrupts
  wr(kImsc, 0);
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
  EXPECT_EQ(rd(kRis), 0U);
}

// pl011_register_port, sbsa_uart_startup (pl011_hwinit + pl011_enable_interrupts) with input
// already waiting: the startup drain takes it, and later input interrupts.
TEST_F(Vpl011Test, LinuxStartupSequenceWithInputAlreadyWaiting) {
  feed("early");
  wr(kImsc, 0);  // register_port
  wr(kIcr, 0xFFFF);
  wr(kIcr, 0x7C0);  // hwinit: OE | BE | PE | FE | RT | RX
  const u64 saved = rd(kImsc);
  EXPECT_EQ(saved, 0U);
  wr(kImsc, kIntRt | kIntRx);
  wr(kIcr, kIntRt | kIntRx);  // enable_interrupts
  EXPECT_EQ(drain(), "early");
  wr(kImsc, kIntRt | kIntRx);
  EXPECT_FALSE(uart.irq_level());
  EXPECT_TRUE(line.changes.empty());  // the input was cleared before RTIM was unmasked
  feed("root\n");
  EXPECT_TRUE(uart.irq_level());
  EXPECT_EQ(drain(), "root\n");
  EXPECT_FALSE(uart.irq_level());
  EXPECT_EQ(line.changes, (std::vector<bool>{true, false}));
}

// ---- on the bus, as a trapped guest access arrives

constexpr u64 dabt(u8 sas, u8 srt, bool sf, bool wnr) {
  return u64{0x93000006} | u64{sas} << 22 | u64{srt} << 16 | u64{sf} << 15 | u64{wnr} << 6;
}

TEST_F(Vpl011Test, ServesGuestLoadsAndStoresThroughTheBus) {
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(kGuestLayout.uart.base), kGuestLayout.uart.size, uart, "vpl011"));
  const auto trap = [&](u64 esr, u64 off, u64 reg) {
    MmioAccess a;
    EXPECT_TRUE(mmio_access_from(esr::DataAbort::decode(esr::Esr(esr)), Ipa(kGuestLayout.uart.base + off), reg, a));
    return a;
  };
  MmioAccess strb = trap(dabt(0, 1, false, true), kDr, 0x4B);  // STRB W1, [DR]
  EXPECT_EQ(bus.dispatch(strb), MmioOutcome::done);
  MmioAccess str = trap(dabt(2, 2, false, true), kDr, 0x0A);  // STR W2, [DR]
  EXPECT_EQ(bus.dispatch(str), MmioOutcome::done);
  EXPECT_EQ(sink.text, "K\n");
  MmioAccess ldr = trap(dabt(2, 3, false, false), kFr, 0);  // LDR W3, [FR]
  EXPECT_EQ(bus.dispatch(ldr), MmioOutcome::done);
  EXPECT_EQ(mmio_load_value(ldr), kIdleFr);
  MmioAccess ldrx = trap(dabt(3, 3, true, false), kFr, 0);  // LDR X3, [FR]
  EXPECT_EQ(bus.dispatch(ldrx), MmioOutcome::refused);
  MmioAccess ldr_icr = trap(dabt(2, 3, false, false), kIcr, 0);
  EXPECT_EQ(bus.dispatch(ldr_icr), MmioOutcome::refused);
}

}  // namespace
}  // namespace runhv
