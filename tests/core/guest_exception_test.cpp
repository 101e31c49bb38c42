// The exceptions runhv injects: vectors, PSTATE and syndrome as the ARM ARM and Xen give them
// SPDX-License-Identifier: MIT
#include "core/guest_exception.hpp"

#include <gtest/gtest.h>

namespace runhv::guest_exception {
namespace {

constexpr u64 kVbar = 0xFFFF'8000'0801'0000ULL;
constexpr u64 kPc = 0xFFFF'8000'0800'1234ULL;
constexpr u64 kFar = 0xFFFF'8001'4000'0004ULL;

// SPSR values as the hardware writes them: EL1h with interrupts masked and NZCV set, EL1t, EL0t,
// AArch32 user mode (M = 0b10000).
constexpr u64 kSpsrEl1h = 0xF00003C5;
constexpr u64 kSpsrEl1t = 0x3C4;
constexpr u64 kSpsrEl0t = 0x0;
constexpr u64 kSpsrUsr32 = 0x10;

TEST(GuestException, VectorFollowsWhereTheGuestWas) {
  EXPECT_EQ(data_abort(kPc, kSpsrEl1h, kVbar, kFar).pc, kVbar + 0x200);
  EXPECT_EQ(data_abort(kPc, kSpsrEl1t, kVbar, kFar).pc, kVbar + 0x000);
  EXPECT_EQ(data_abort(kPc, kSpsrEl0t, kVbar, kFar).pc, kVbar + 0x400);
  EXPECT_EQ(data_abort(kPc, kSpsrUsr32, kVbar, kFar).pc, kVbar + 0x600);
}

TEST(GuestException, SyndromeIsXensDataAbort) {
  // EC 0x25 from EL1, 0x24 from EL0 (either state), IL = 1, ISS = 0: 0x96000000 / 0x92000000.
  EXPECT_EQ(data_abort(kPc, kSpsrEl1h, kVbar, kFar).esr_el1, 0x9600'0000U);
  EXPECT_EQ(data_abort(kPc, kSpsrEl1t, kVbar, kFar).esr_el1, 0x9600'0000U);
  EXPECT_EQ(data_abort(kPc, kSpsrEl0t, kVbar, kFar).esr_el1, 0x9200'0000U);
  EXPECT_EQ(data_abort(kPc, kSpsrUsr32, kVbar, kFar).esr_el1, 0x9200'0000U);
}

TEST(GuestException, EntryStateSavesThePcAndPstate) {
  const Entry e = data_abort(kPc, kSpsrEl1h, kVbar, kFar);
  EXPECT_EQ(e.pstate, 0x3C5U);  // EL1h, D A I F masked
  EXPECT_EQ(e.elr_el1, kPc);    // the faulting instruction, not the next
  EXPECT_EQ(e.spsr_el1, kSpsrEl1h);
  EXPECT_EQ(e.far_el1, kFar);
  EXPECT_TRUE(e.sets_far);
}

TEST(GuestException, InstructionAbortIsXens) {
  // EC 0x21 from EL1, 0x20 from EL0, IL = 1, ISS 0 (Xen's inject_iabt_exception).
  EXPECT_EQ(instruction_abort(kPc, kSpsrEl1h, kVbar, kFar).esr_el1, 0x8600'0000U);
  EXPECT_EQ(instruction_abort(kPc, kSpsrEl0t, kVbar, kFar).esr_el1, 0x8200'0000U);
  EXPECT_EQ(instruction_abort(kPc, kSpsrUsr32, kVbar, kFar).esr_el1, 0x8200'0000U);
  const Entry e = instruction_abort(kPc, kSpsrEl0t, kVbar, kFar);
  EXPECT_EQ(e.pc, kVbar + 0x400);
  EXPECT_EQ(e.pstate, 0x3C5U);
  EXPECT_EQ(e.elr_el1, kPc);
  EXPECT_EQ(e.spsr_el1, kSpsrEl0t);
  EXPECT_EQ(e.far_el1, kFar);
  EXPECT_TRUE(e.sets_far);
}

TEST(GuestException, UndefinedIsEcZeroWithTheTrappedLength) {
  // EC 0x00, ISS 0, IL as the trapped instruction had it (Xen's inject_undef64_exception).
  const Entry e = undefined(kPc, kSpsrEl1h, kVbar, true);
  EXPECT_EQ(e.esr_el1, 0x0200'0000U);
  EXPECT_EQ(e.pc, kVbar + 0x200);
  EXPECT_EQ(e.pstate, 0x3C5U);
  EXPECT_EQ(e.elr_el1, kPc);  // the instruction itself
  EXPECT_EQ(e.spsr_el1, kSpsrEl1h);
  EXPECT_FALSE(e.sets_far);
  EXPECT_EQ(undefined(kPc, kSpsrEl0t, kVbar, true).pc, kVbar + 0x400);
  EXPECT_EQ(undefined(kPc, kSpsrUsr32, kVbar, false).esr_el1, 0U);  // a 16-bit T32 instruction
  EXPECT_EQ(undefined(kPc, kSpsrUsr32, kVbar, false).pc, kVbar + 0x600);
}

}  // namespace
}  // namespace runhv::guest_exception
