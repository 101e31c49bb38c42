// The MMIO bus: data-abort syndromes become accesses, regions serve them, loads write back right
// SPDX-License-Identifier: MIT
#include "core/mmio.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace runhv {
namespace {

// A data abort syndrome (EC 0x24, IL 1, ISV 1, DFSC 0x06) with the given access description.
constexpr u64 dabt(u8 sas, bool sse, u8 srt, bool sf, bool wnr) {
  return u64{0x93000006} | u64{sas} << 22 | u64{sse} << 21 | u64{srt} << 16 | u64{sf} << 15 | u64{wnr} << 6;
}

esr::DataAbort decode(u64 esr) { return esr::DataAbort::decode(esr::Esr(esr)); }

// A register file of 64-bit little-endian registers that records every access. It serves
// naturally aligned accesses of 1, 2, 4 or 8 bytes and refuses the rest.
class RegisterFile final : public MmioDevice {
 public:
  struct Access {
    bool write;
    u64 offset;
    u8 bytes;
    u64 value;
  };

  bool read(u64 offset, u8 bytes, u64& value) override {
    if (!serves(offset, bytes)) {
      return false;
    }
    value = (regs[offset / 8] >> (8 * (offset % 8))) | garbage_high_bits;
    log.push_back({false, offset, bytes, value});
    return true;
  }
  bool write(u64 offset, u8 bytes, u64 value) override {
    if (!serves(offset, bytes)) {
      return false;
    }
    const u64 mask = bytes == 8 ? ~u64{0} : ((u64{1} << (8 * bytes)) - 1);
    const unsigned shift = 8 * (offset % 8);
    regs[offset / 8] = (regs[offset / 8] & ~(mask << shift)) | ((value & mask) << shift);
    log.push_back({true, offset, bytes, value});
    return true;
  }

  u64 regs[4] = {};
  u64 garbage_high_bits = 0;  // set to check the bus truncates what a device returns
  std::vector<Access> log;

 private:
  static bool serves(u64 offset, u8 bytes) {
    return (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8) && offset % bytes == 0 && offset + bytes <= 32;
  }
};

// A device that refuses everything.
class Refuser final : public MmioDevice {
 public:
  bool read(u64, u8, u64&) override {
    ++calls;
    return false;
  }
  bool write(u64, u8, u64) override {
    ++calls;
    return false;
  }
  int calls = 0;
};

// ---- decoding

TEST(MmioAccessFrom, EveryCombinationOfSizeSignWidthAndDirection) {
  for (u8 sas = 0; sas < 4; ++sas) {
    for (bool sse : {false, true}) {
      for (bool sf : {false, true}) {
        for (bool wnr : {false, true}) {
          MmioAccess a;
          ASSERT_TRUE(mmio_access_from(decode(dabt(sas, sse, 9, sf, wnr)), Ipa(0x9000'0010), 0x1122'3344'5566'7788, a));
          const u8 bytes = static_cast<u8>(1U << sas);
          EXPECT_EQ(a.ipa, Ipa(0x9000'0010));
          EXPECT_EQ(a.bytes, bytes);
          EXPECT_EQ(a.sign_extend, sse);
          EXPECT_EQ(a.sixty_four, sf);
          EXPECT_EQ(a.write, wnr);
          EXPECT_EQ(a.reg, 9);
          const u64 stored = bytes == 8 ? 0x1122'3344'5566'7788 : 0x1122'3344'5566'7788 & ((u64{1} << (8 * bytes)) - 1);
          EXPECT_EQ(a.data, wnr ? stored : 0) << int{sas} << sse << sf << wnr;
          EXPECT_EQ(mmio_writes_register(a), !wnr);
        }
      }
    }
  }
}

TEST(MmioAccessFrom, StoreDataIsTruncatedToTheAccessSize) {
  MmioAccess a;
  ASSERT_TRUE(mmio_access_from(decode(dabt(0, false, 3, false, true)), Ipa(0x1000), 0xFFFF'FFFF'FFFF'FFAB, a));
  EXPECT_EQ(a.data, 0xABU);  // STRB W3
  ASSERT_TRUE(mmio_access_from(decode(dabt(1, false, 3, false, true)), Ipa(0x1000), 0xFFFF'FFFF'FFFF'ABCD, a));
  EXPECT_EQ(a.data, 0xABCDU);  // STRH W3
  ASSERT_TRUE(mmio_access_from(decode(dabt(2, false, 3, false, true)), Ipa(0x1000), 0xDEAD'BEEF'1234'5678, a));
  EXPECT_EQ(a.data, 0x1234'5678U);  // STR W3: the upper half of X3 is not stored
  ASSERT_TRUE(mmio_access_from(decode(dabt(3, false, 3, true, true)), Ipa(0x1000), 0xDEAD'BEEF'1234'5678, a));
  EXPECT_EQ(a.data, 0xDEAD'BEEF'1234'5678U);  // STR X3
}

TEST(MmioAccessFrom, StoreOfXzrWritesZero) {
  MmioAccess a;
  ASSERT_TRUE(mmio_access_from(decode(dabt(2, false, 31, false, true)), Ipa(0x1000), 0x5555'5555, a));
  EXPECT_EQ(a.reg, 31);
  EXPECT_EQ(a.data, 0U);
}

TEST(MmioAccessFrom, LoadIntoXzrIsNotWrittenBack) {
  MmioAccess a;
  ASSERT_TRUE(mmio_access_from(decode(dabt(2, false, 31, false, false)), Ipa(0x1000), 0, a));
  EXPECT_FALSE(mmio_writes_register(a));
  ASSERT_TRUE(mmio_access_from(decode(dabt(2, false, 30, false, false)), Ipa(0x1000), 0, a));
  EXPECT_TRUE(mmio_writes_register(a));
}

TEST(MmioAccessFrom, WithoutSyndromeItCannotBeEmulated) {
  MmioAccess a;
  a.reg = 7;
  EXPECT_FALSE(mmio_access_from(decode(0x92000006), Ipa(0x1000), 0, a));  // ISV 0 (LDP, say)
  EXPECT_FALSE(mmio_access_from(decode(dabt(2, false, 1, false, false) | 1U << 7), Ipa(0x1000), 0, a));  // S1PTW
  EXPECT_FALSE(mmio_access_from(decode(dabt(2, false, 1, false, true) | 1U << 8), Ipa(0x1000), 0, a));   // CM
  EXPECT_EQ(a.reg, 7);                                                                                   // untouched
}

TEST(MmioAccessFrom, TheRealLdrW1Syndrome) {
  MmioAccess a;
  ASSERT_TRUE(mmio_access_from(decode(0x93810006), Ipa(0x0900'0000), 0, a));
  EXPECT_EQ(a.bytes, 4);
  EXPECT_FALSE(a.write);
  EXPECT_EQ(a.reg, 1);
  EXPECT_FALSE(a.sixty_four);
}

// ---- load writeback

MmioAccess load(u8 bytes, bool sign, bool x, u64 data) {
  MmioAccess a;
  a.bytes = bytes;
  a.sign_extend = sign;
  a.sixty_four = x;
  a.reg = 0;
  a.data = data;
  return a;
}

// Encodings from the GNU assembler (aarch64-linux-gnu-as), decoded as Xen 4.17+'s decode_arm64.
TEST(MmioDecodePostIndexed, TheLoadsAndStoresXenEmulates) {
  struct Case {
    u32 insn;
    bool write;
    u8 bytes;
    bool sf;
    u8 rt;
    u8 rn;
    i64 offset;
  };
  const Case cases[] = {
      {0xb8404441, false, 4, false, 1, 2, 4},     // ldr w1, [x2], #4
      {0xf85f8483, false, 8, true, 3, 4, -8},     // ldr x3, [x4], #-8
      {0x384014c5, false, 1, false, 5, 6, 1},     // ldrb w5, [x6], #1
      {0x78500507, false, 2, false, 7, 8, -256},  // ldrh w7, [x8], #-256
      {0xf80ff549, true, 8, true, 9, 10, 255},    // str x9, [x10], #255
      {0x380107ff, true, 1, false, 31, 31, 16},   // strb wzr, [sp], #16
      {0xf84107e0, false, 8, true, 0, 31, 16},    // ldr x0, [sp], #16
  };
  for (const Case& c : cases) {
    PostIndexed p;
    ASSERT_TRUE(mmio_decode_post_indexed(c.insn, c.write, p)) << std::hex << c.insn;
    EXPECT_TRUE(p.da.isv);
    EXPECT_EQ(p.da.access_bytes(), c.bytes);
    EXPECT_EQ(p.da.wnr, c.write);
    EXPECT_EQ(p.da.sf, c.sf);
    EXPECT_FALSE(p.da.sse);
    EXPECT_EQ(p.da.srt, c.rt);
    EXPECT_EQ(p.rn, c.rn);
    EXPECT_EQ(p.offset, c.offset);
  }
}

TEST(MmioDecodePostIndexed, EverythingElseIsRefused) {
  PostIndexed p;
  EXPECT_FALSE(mmio_decode_post_indexed(0xb8804441, false, p));  // ldrsw x1, [x2], #4: sign-extending
  EXPECT_FALSE(mmio_decode_post_indexed(0x38c01441, false, p));  // ldrsb w1, [x2], #1
  EXPECT_FALSE(mmio_decode_post_indexed(0xb8404c41, false, p));  // ldr w1, [x2, #4]!: pre-index
  EXPECT_FALSE(mmio_decode_post_indexed(0xb9400441, false, p));  // ldr w1, [x2, #4]: has a syndrome
  EXPECT_FALSE(mmio_decode_post_indexed(0xbc404420, false, p));  // ldr s0, [x1], #4: SIMD register
  EXPECT_FALSE(mmio_decode_post_indexed(0x28c10861, false, p));  // ldp w1, w2, [x3], #8
  EXPECT_FALSE(mmio_decode_post_indexed(0xb8404421, false, p));  // ldr w1, [x1], #4: Rn == Rt
  EXPECT_FALSE(mmio_decode_post_indexed(0xb8404441, true, p));   // a load, but the fault was a write
  EXPECT_FALSE(mmio_decode_post_indexed(0xf80ff549, false, p));  // a store, but the fault was a read
}

TEST(MmioLoadValue, SignExtendingByteLoads) {
  EXPECT_EQ(mmio_load_value(load(1, true, false, 0x80)), 0xFFFF'FF80U);           // LDRSB W
  EXPECT_EQ(mmio_load_value(load(1, true, true, 0x80)), 0xFFFF'FFFF'FFFF'FF80U);  // LDRSB X
  EXPECT_EQ(mmio_load_value(load(1, true, true, 0x7F)), 0x7FU);                   // positive
  EXPECT_EQ(mmio_load_value(load(1, true, false, 0xFF)), 0xFFFF'FFFFU);
}

TEST(MmioLoadValue, SignExtendingHalfwordLoads) {
  EXPECT_EQ(mmio_load_value(load(2, true, false, 0x8000)), 0xFFFF'8000U);           // LDRSH W
  EXPECT_EQ(mmio_load_value(load(2, true, true, 0x8000)), 0xFFFF'FFFF'FFFF'8000U);  // LDRSH X
  EXPECT_EQ(mmio_load_value(load(2, true, true, 0x7FFF)), 0x7FFFU);
}

TEST(MmioLoadValue, SignExtendingWordLoad) {
  EXPECT_EQ(mmio_load_value(load(4, true, true, 0x8000'0000)), 0xFFFF'FFFF'8000'0000U);  // LDRSW X
  EXPECT_EQ(mmio_load_value(load(4, true, true, 0x7FFF'FFFF)), 0x7FFF'FFFFU);
}

TEST(MmioLoadValue, ZeroExtendingLoads) {
  EXPECT_EQ(mmio_load_value(load(1, false, false, 0x80)), 0x80U);  // LDRB W
  EXPECT_EQ(mmio_load_value(load(1, false, true, 0x80)), 0x80U);
  EXPECT_EQ(mmio_load_value(load(2, false, false, 0xFFFF)), 0xFFFFU);  // LDRH W
  EXPECT_EQ(mmio_load_value(load(4, false, false, 0xFFFF'FFFF)), 0xFFFF'FFFFU);
  EXPECT_EQ(mmio_load_value(load(8, false, true, 0xFFFF'FFFF'FFFF'FFFF)), 0xFFFF'FFFF'FFFF'FFFFU);  // LDR X
  EXPECT_EQ(mmio_load_value(load(8, true, true, 0x8000'0000'0000'0000)), 0x8000'0000'0000'0000U);
}

TEST(MmioLoadValue, DataAboveTheAccessSizeIsDropped) {
  EXPECT_EQ(mmio_load_value(load(1, false, true, 0x1234'5678'9ABC'DEF0)), 0xF0U);
  EXPECT_EQ(mmio_load_value(load(2, true, true, 0x1234'5678'9ABC'DEF0)), 0xFFFF'FFFF'FFFF'DEF0U);
  EXPECT_EQ(mmio_load_value(load(4, false, true, 0x1234'5678'9ABC'DEF0)), 0x9ABC'DEF0U);
}

TEST(MmioLoadValue, AWRegisterLoadNeverLeavesUpperBits) {
  for (u8 bytes : {u8{1}, u8{2}, u8{4}, u8{8}}) {
    for (bool sign : {false, true}) {
      EXPECT_EQ(mmio_load_value(load(bytes, sign, false, ~u64{0})) >> 32, 0U) << int{bytes} << sign;
    }
  }
}

// ---- the bus

constinit MmioBus g_constant_bus;  // must compile: a Domain holds one

TEST(MmioBus, StartsEmptyAndConstantInitialised) {
  EXPECT_EQ(g_constant_bus.region_count(), 0U);
  EXPECT_EQ(g_constant_bus.find(Ipa(0), 1), nullptr);
  MmioAccess a = load(4, false, false, 0);
  EXPECT_EQ(g_constant_bus.dispatch(a), MmioOutcome::no_region);
}

TEST(MmioBus, DispatchesToTheRightRegionAmongSeveral) {
  RegisterFile uart;
  RegisterFile gicd;
  RegisterFile rtc;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x0900'0000), 0x1000, uart, "uart"));
  ASSERT_TRUE(bus.add(Ipa(0x0800'0000), 0x1'0000, gicd, "gicd"));
  ASSERT_TRUE(bus.add(Ipa(0x0901'0000), 0x1000, rtc, "rtc"));
  EXPECT_EQ(bus.region_count(), 3U);

  MmioAccess w;
  ASSERT_TRUE(mmio_access_from(decode(dabt(2, false, 4, false, true)), Ipa(0x0800'0008), 0xCAFE'F00D, w));
  EXPECT_EQ(bus.dispatch(w), MmioOutcome::done);
  ASSERT_EQ(gicd.log.size(), 1U);
  EXPECT_TRUE(gicd.log[0].write);
  EXPECT_EQ(gicd.log[0].offset, 8U);
  EXPECT_EQ(gicd.log[0].bytes, 4);
  EXPECT_EQ(gicd.log[0].value, 0xCAFE'F00DU);
  EXPECT_TRUE(uart.log.empty());
  EXPECT_TRUE(rtc.log.empty());

  rtc.regs[0] = 0x1234'5678;
  MmioAccess r;
  ASSERT_TRUE(mmio_access_from(decode(dabt(2, false, 0, true, false)), Ipa(0x0901'0000), 0, r));
  EXPECT_EQ(bus.dispatch(r), MmioOutcome::done);
  EXPECT_EQ(r.data, 0x1234'5678U);
  EXPECT_EQ(mmio_load_value(r), 0x1234'5678U);
  ASSERT_EQ(rtc.log.size(), 1U);
  EXPECT_FALSE(rtc.log[0].write);
  EXPECT_EQ(rtc.log[0].offset, 0U);
  EXPECT_TRUE(uart.log.empty());
  EXPECT_EQ(gicd.log.size(), 1U);

  EXPECT_EQ(std::string(bus.find(Ipa(0x0900'0FFF), 1)->name), "uart");
  EXPECT_EQ(std::string(bus.find(Ipa(0x0800'FFFC), 4)->name), "gicd");
}

// The region found last is tried first: runs of accesses to one device, then the others, an
// access straddling its end and one outside every region must all go where find() says.
TEST(MmioBus, TheLastRegionFirstNeverMisroutes) {
  RegisterFile low;
  RegisterFile high;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x1000), 0x10, low, "low"));
  ASSERT_TRUE(bus.add(Ipa(0x1010), 0x10, high, "high"));
  const auto read_at = [&bus](u64 ipa, u8 bytes) {
    MmioAccess r = load(bytes, false, bytes == 8, 0);
    r.ipa = Ipa(ipa);
    return bus.dispatch(r);
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(read_at(0x1004, 4), MmioOutcome::done);
  }
  EXPECT_EQ(low.log.size(), 3U);
  EXPECT_EQ(read_at(0x1010, 4), MmioOutcome::done);  // the other region, right after the run
  EXPECT_EQ(high.log.size(), 1U);
  EXPECT_EQ(high.log[0].offset, 0U);
  EXPECT_EQ(read_at(0x100C, 4), MmioOutcome::done);  // back, at the last word of `low`
  EXPECT_EQ(low.log.size(), 4U);
  EXPECT_EQ(low.log[3].offset, 0xCU);
  EXPECT_EQ(read_at(0x100C, 8), MmioOutcome::no_region);                 // across the boundary: no one region
  EXPECT_EQ(read_at(0x1020, 4), MmioOutcome::no_region);                 // past `high`
  EXPECT_EQ(read_at(0x0FFC, 4), MmioOutcome::no_region);                 // before `low`
  EXPECT_EQ(read_at(0xFFFF'FFFF'FFFF'FFFC, 8), MmioOutcome::no_region);  // wraps
  EXPECT_EQ(low.log.size(), 4U);
  EXPECT_EQ(high.log.size(), 1U);
}

TEST(MmioBus, ByteStoreThenSignExtendingByteLoadRoundTrip) {
  RegisterFile dev;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x1000), 0x20, dev, "dev"));
  MmioAccess w;
  ASSERT_TRUE(mmio_access_from(decode(dabt(0, false, 2, false, true)), Ipa(0x1003), 0xFFFF'FF80, w));  // STRB W2
  ASSERT_EQ(bus.dispatch(w), MmioOutcome::done);
  EXPECT_EQ(dev.regs[0], 0x8000'0000U);
  MmioAccess r;
  ASSERT_TRUE(mmio_access_from(decode(dabt(0, true, 5, true, false)), Ipa(0x1003), 0, r));  // LDRSB X5
  ASSERT_EQ(bus.dispatch(r), MmioOutcome::done);
  EXPECT_EQ(mmio_load_value(r), 0xFFFF'FFFF'FFFF'FF80U);
}

TEST(MmioBus, LoadedValueIsTruncatedToTheAccessSize) {
  RegisterFile dev;
  dev.regs[0] = 0x12;
  dev.garbage_high_bits = 0xFFFF'0000'0000'0000;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x1000), 0x20, dev, "dev"));
  MmioAccess r = load(2, false, true, 0);
  r.ipa = Ipa(0x1000);
  ASSERT_EQ(bus.dispatch(r), MmioOutcome::done);
  EXPECT_EQ(r.data, 0x12U);
}

TEST(MmioBus, FirstAndLastByteOfARegion) {
  RegisterFile dev;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x2000), 0x20, dev, "dev"));
  EXPECT_NE(bus.find(Ipa(0x2000), 1), nullptr);
  EXPECT_NE(bus.find(Ipa(0x201F), 1), nullptr);
  EXPECT_NE(bus.find(Ipa(0x2018), 8), nullptr);
  EXPECT_EQ(bus.find(Ipa(0x1FFF), 1), nullptr);
  EXPECT_EQ(bus.find(Ipa(0x2020), 1), nullptr);
  EXPECT_EQ(bus.find(Ipa(0x2000), 0), nullptr);

  MmioAccess last = load(1, false, false, 0);
  last.ipa = Ipa(0x201F);
  EXPECT_EQ(bus.dispatch(last), MmioOutcome::done);
  EXPECT_EQ(dev.log.back().offset, 0x1FU);
}

TEST(MmioBus, AnAccessStraddlingTheEndHasNoRegion) {
  RegisterFile dev;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x2000), 0x20, dev, "dev"));
  EXPECT_EQ(bus.find(Ipa(0x201C), 8), nullptr);
  EXPECT_EQ(bus.find(Ipa(0x1FFC), 8), nullptr);  // straddles the start
  MmioAccess a = load(8, false, true, 0);
  a.ipa = Ipa(0x201C);
  EXPECT_EQ(bus.dispatch(a), MmioOutcome::no_region);
  EXPECT_TRUE(dev.log.empty());
}

TEST(MmioBus, AnAccessStraddlingTwoAdjacentRegionsHasNoRegion) {
  RegisterFile a_dev;
  RegisterFile b_dev;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x2000), 0x20, a_dev, "a"));
  ASSERT_TRUE(bus.add(Ipa(0x2020), 0x20, b_dev, "b"));  // adjacent, not overlapping
  EXPECT_EQ(bus.find(Ipa(0x201E), 4), nullptr);
  EXPECT_EQ(std::string(bus.find(Ipa(0x2020), 4)->name), "b");
}

TEST(MmioBus, OverlappingRegionsAreRejected) {
  RegisterFile dev;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x1'0000), 0x1000, dev, "first"));
  EXPECT_FALSE(bus.add(Ipa(0x1'0000), 0x1000, dev, "same"));
  EXPECT_FALSE(bus.add(Ipa(0x1'0FFF), 0x10, dev, "last byte"));
  EXPECT_FALSE(bus.add(Ipa(0x0'FFF0), 0x11, dev, "first byte"));
  EXPECT_FALSE(bus.add(Ipa(0x0'F000), 0x3000, dev, "around"));
  EXPECT_FALSE(bus.add(Ipa(0x1'0100), 0x10, dev, "inside"));
  EXPECT_TRUE(bus.add(Ipa(0x0'FFF0), 0x10, dev, "just below"));
  EXPECT_TRUE(bus.add(Ipa(0x1'1000), 0x10, dev, "just above"));
  EXPECT_EQ(bus.region_count(), 3U);
}

TEST(MmioBus, EmptyAndWrappingRangesAreRejected) {
  RegisterFile dev;
  MmioBus bus;
  EXPECT_FALSE(bus.add(Ipa(0x1000), 0, dev, "empty"));
  EXPECT_FALSE(bus.add(Ipa(0xFFFF'FFFF'FFFF'F000), 0x2000, dev, "wraps"));
  EXPECT_TRUE(bus.add(Ipa(0xFFFF'FFFF'FFFF'F000), 0x1000, dev, "top"));  // ends at the last address
  EXPECT_NE(bus.find(Ipa(0xFFFF'FFFF'FFFF'FFF8), 8), nullptr);
  EXPECT_EQ(bus.find(Ipa(0xFFFF'FFFF'FFFF'FFFC), 8), nullptr);  // the access itself wraps
  EXPECT_EQ(bus.region_count(), 1U);
}

TEST(MmioBus, AFullBusRejectsMore) {
  RegisterFile dev;
  MmioBus bus;
  for (u32 i = 0; i < MmioBus::kMaxRegions; ++i) {
    ASSERT_TRUE(bus.add(Ipa(0x1000 * (i + 1)), 0x100, dev, "r"));
  }
  EXPECT_FALSE(bus.add(Ipa(0x10'0000), 0x100, dev, "one too many"));
  EXPECT_EQ(bus.region_count(), MmioBus::kMaxRegions);
}

TEST(MmioBus, ARefusingDeviceIsReported) {
  Refuser refuser;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x3000), 0x100, refuser, "refuser"));
  MmioAccess r = load(4, false, false, 0x5A5A);
  r.ipa = Ipa(0x3000);
  EXPECT_EQ(bus.dispatch(r), MmioOutcome::refused);
  EXPECT_EQ(r.data, 0x5A5AU);  // a refused load leaves data as it was
  MmioAccess w = r;
  w.write = true;
  EXPECT_EQ(bus.dispatch(w), MmioOutcome::refused);
  EXPECT_EQ(refuser.calls, 2);
}

TEST(MmioBus, AMisalignedAccessTheDeviceRefuses) {
  RegisterFile dev;
  MmioBus bus;
  ASSERT_TRUE(bus.add(Ipa(0x4000), 0x20, dev, "dev"));
  MmioAccess a = load(4, false, false, 0);
  a.ipa = Ipa(0x4002);
  EXPECT_EQ(bus.dispatch(a), MmioOutcome::refused);
  a.ipa = Ipa(0x4004);
  EXPECT_EQ(bus.dispatch(a), MmioOutcome::done);
}

}  // namespace
}  // namespace runhv
