// A trapped AArch32 instruction: its condition, and the IT block step past it (ARM ARM ITAdvance)
// SPDX-License-Identifier: MIT
#include "core/aarch32.hpp"

#include <gtest/gtest.h>

namespace runhv::aarch32 {
namespace {

constexpr u64 kN = u64{1} << 31;
constexpr u64 kZ = u64{1} << 30;
constexpr u64 kC = u64{1} << 29;
constexpr u64 kV = u64{1} << 28;
constexpr u64 kUsrT32 = 0x30;  // M = 0b10000 (usr, AArch32), T
constexpr u64 kUsrA32 = 0x10;

// ESR for a trapped WFI (EC 0x01): IL as given, CV and COND as given.
constexpr u64 wfi_esr(bool il, bool cv, u32 cond) {
  return (u64{0x01} << 26) | (il ? u64{1} << 25 : 0) | (cv ? u64{1} << 24 : 0) | (u64{cond} << 20);
}

TEST(Aarch32, ConditionsFollowTheArmArmTable) {
  // Each condition against the flags that make it pass and fail, written out per the ARM ARM.
  struct Row {
    u32 cond;
    u64 passes;
    u64 fails;
  };
  const Row rows[] = {
      {0x0, kZ, 0},       {0x1, 0, kZ},       {0x2, kC, 0}, {0x3, 0, kC},       {0x4, kN, 0},
      {0x5, 0, kN},       {0x6, kV, 0},       {0x7, 0, kV}, {0x8, kC, kC | kZ}, {0x9, kC | kZ, kC},
      {0xA, kN | kV, kN}, {0xB, kN, kN | kV}, {0xC, 0, kZ}, {0xD, kZ, 0},
  };
  for (const Row& r : rows) {
    EXPECT_TRUE(condition_passes(r.cond, r.passes)) << r.cond;
    EXPECT_FALSE(condition_passes(r.cond, r.fails)) << r.cond;
  }
  EXPECT_TRUE(condition_passes(0xE, 0));
  EXPECT_TRUE(condition_passes(0xF, kN | kZ | kC | kV));
}

TEST(Aarch32, ItstateIsSplitOverBits26To25And15To10) {
  EXPECT_EQ(itstate(with_itstate(0, 0xA5)), 0xA5U);
  EXPECT_EQ(with_itstate(0, 0xFF), kSpsrItMask);
  EXPECT_EQ(with_itstate(0, 0x03), u64{0x3} << 25);
  EXPECT_EQ(with_itstate(0, 0x04), u64{1} << 10);
}

TEST(Aarch32, AnAarch64ExitIsNeverConditionalNorSteppedThroughAnItBlock) {
  const u64 el1h = 0x3C5 | kZ;
  EXPECT_TRUE(trapped_condition_passes(esr::Esr(wfi_esr(true, true, 0x1)), el1h));  // NE with Z set
  EXPECT_EQ(step_pstate(el1h | kSpsrItMask), el1h | kSpsrItMask);
}

TEST(Aarch32, CvGivesTheCondition) {
  EXPECT_TRUE(trapped_condition_passes(esr::Esr(wfi_esr(false, true, 0x0)), kUsrT32 | kZ));  // EQ, Z
  EXPECT_FALSE(trapped_condition_passes(esr::Esr(wfi_esr(false, true, 0x0)), kUsrT32));      // EQ, !Z
  EXPECT_FALSE(trapped_condition_passes(esr::Esr(wfi_esr(true, true, 0x1)), kUsrA32 | kZ));  // NE, Z
  EXPECT_TRUE(trapped_condition_passes(esr::Esr(wfi_esr(true, true, 0xE)), kUsrA32));
}

TEST(Aarch32, WithoutCvAT32InstructionTakesItsConditionFromTheItBlock) {
  // "IT EQ" with one instruction: firstcond 0000, mask 1000 -> ITSTATE 0b0000'1000.
  const u64 it_eq = with_itstate(kUsrT32, 0x08);
  EXPECT_TRUE(trapped_condition_passes(esr::Esr(wfi_esr(false, false, 0)), it_eq | kZ));
  EXPECT_FALSE(trapped_condition_passes(esr::Esr(wfi_esr(false, false, 0)), it_eq));
  // Outside an IT block it is unconditional.
  EXPECT_TRUE(trapped_condition_passes(esr::Esr(wfi_esr(false, false, 0)), kUsrT32));
}

TEST(Aarch32, SteppingAdvancesTheItBlockAndEndsIt) {
  // ITAdvance: IT[7:5] stays, IT[4:0] shifts left while IT[2:0] is not 000, then the block ends.
  const u32 start = 0x16;  // 000 10110
  u64 spsr = with_itstate(kUsrT32, start);
  spsr = step_pstate(spsr);
  EXPECT_EQ(itstate(spsr), 0x0CU);  // 000 01100
  spsr = step_pstate(spsr);
  EXPECT_EQ(itstate(spsr), 0x18U);  // 000 11000
  spsr = step_pstate(spsr);
  EXPECT_EQ(itstate(spsr), 0U);  // IT[2:0] was 000: the block is over
  EXPECT_EQ(spsr & ~kSpsrItMask, kUsrT32);
  // A32 has no IT block: nothing changes.
  EXPECT_EQ(step_pstate(with_itstate(kUsrA32, start)), with_itstate(kUsrA32, start));
}

}  // namespace
}  // namespace runhv::aarch32
