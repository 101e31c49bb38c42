// Unit tests of the Armv8-A translation-table walker (core/walker.cpp) over model::Machine,
// with tables written by the builders in model/tables.hpp.
// SPDX-License-Identifier: MIT
#include "core/walker.hpp"

#include <gtest/gtest.h>

#include "model/machine.hpp"
#include "model/tables.hpp"

namespace runhv::mmu {
// Readable names in gtest failure messages.
void PrintTo(FaultKind k, std::ostream* os) {
  static const char* const kNames[] = {"none",        "address_size", "translation",
                                       "access_flag", "permission",   "external_abort"};
  *os << kNames[static_cast<int>(k)];
}
}  // namespace runhv::mmu

namespace runhv {
template <class Tag>
void PrintTo(const Addr<Tag>& a, std::ostream* os) {
  *os << "0x" << std::hex << a.raw() << std::dec;
}
}  // namespace runhv

namespace runhv {
namespace {

using mmu::Access;
using mmu::AccessType;
using mmu::El;
using mmu::Fault;
using mmu::FaultKind;
using mmu::Stage;
using mmu::Walk;
using mmu::Walker;
using model::GuestSpace;
using model::Half;
using model::Machine;
using model::S1Attrs;
using model::S2Perms;
using model::Stage2Builder;

constexpr Access kRead{AccessType::read, El::el1};
constexpr Access kWrite{AccessType::write, El::el1};
constexpr Access kExec{AccessType::exec, El::el1};
constexpr Access kEl0Read{AccessType::read, El::el0};
constexpr Access kEl0Write{AccessType::write, El::el0};
constexpr Access kEl0Exec{AccessType::exec, El::el0};

constexpr u64 k4K = 0x1000;
constexpr u64 k2M = u64{1} << 21;
constexpr u64 k1G = u64{1} << 30;

::testing::AssertionResult IsFault(const Fault& f, FaultKind kind, int level, Stage stage, bool s1ptw = false) {
  if (f.kind == kind && f.level == level && f.stage == stage && f.s1ptw == s1ptw) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got kind=" << ::testing::PrintToString(f.kind) << " level=" << f.level
                                       << " stage=" << static_cast<int>(f.stage) << " s1ptw=" << f.s1ptw
                                       << ", want kind=" << ::testing::PrintToString(kind) << " level=" << level
                                       << " stage=" << static_cast<int>(stage) << " s1ptw=" << s1ptw;
}

// A domain with 16 MiB of RAM at IPA 0x4000'0000, 4K granules, 48-bit VAs, 40-bit IPAs.
class WalkerTest : public ::testing::Test {
 protected:
  Walk<Pa> translate(Va va, Access a = kRead) { return translate(g.s1_regs(), va, a); }
  Walk<Pa> translate(const mmu::Stage1Regs& regs, Va va, Access a = kRead) {
    Walker w = g.walker();
    return w.translate(regs, va, a);
  }
  Walk<Ipa> stage1(Va va, Access a = kRead) {
    Walker w = g.walker();
    return w.stage1(g.s1_regs(), va, a);
  }

  Machine m;
  GuestSpace g{m};
};

// ------------------------------------------------------------------------- successful walks

TEST_F(WalkerTest, FourLevel4KWalkReachesPageAndKeepsOffset) {
  const Ipa ipa = g.map_kernel(0x12'3456'7000);
  const Va va = GuestSpace::kernel_va(0x12'3456'7abc);
  Walker w = g.walker();
  const u64 reads_before = m.descriptor_reads();
  const Walk<Pa> r = w.translate(g.s1_regs(), va, kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(ipa) + 0xabc);
  EXPECT_EQ(r.level, 3);  // the stage 2 leaf produced the PA
  EXPECT_NE(r.leaf & pte::VALID, 0U);
  // 4 stage 1 levels, each fetched after a 3-level stage 2 walk of its IPA (40-bit IPA, 4K:
  // start level 1), then the final 3-level stage 2 walk: 4 * (3 + 1) + 3.
  EXPECT_EQ(w.fetches(), 19U);
  EXPECT_EQ(m.descriptor_reads() - reads_before, 19U);

  const Walk<Ipa> s1 = w.stage1(g.s1_regs(), va, kRead);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1.out, ipa + 0xabc);
  EXPECT_EQ(s1.level, 3);
  EXPECT_EQ(s1.leaf & 3, 3U);
}

TEST_F(WalkerTest, Ttbr0LowAddressWalksLowerRoot) {
  const Va user(0x0000'0040'0000);
  const Ipa ipa = g.map_new(user, k4K, {.el0 = true});
  const Walk<Pa> r = translate(user + 0x10, kEl0Read);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(ipa) + 0x10);
}

TEST_F(WalkerTest, Ttbr1HighAddressUsesUpperRootNotLower) {
  // The same low 48 bits map to different pages through TTBR0 and TTBR1.
  const Ipa low = g.map_new(Va(0x0000'1234'5000));
  const Ipa high = g.map_new(Va(0xffff'1234'5000));
  ASSERT_NE(low, high);
  const Walk<Pa> rl = translate(Va(0x0000'1234'5008));
  const Walk<Pa> rh = translate(Va(0xffff'1234'5008));
  ASSERT_TRUE(rl.ok());
  ASSERT_TRUE(rh.ok());
  EXPECT_EQ(rl.out, g.pa(low) + 8);
  EXPECT_EQ(rh.out, g.pa(high) + 8);
}

TEST_F(WalkerTest, Level1BlockMaps1GiB) {
  const Va va = GuestSpace::kernel_va(0x40'0000'0000);
  g.s1().map(va, Ipa(0x8000'0000), k1G, {}, /*blocks=*/true);
  g.s2().map(Ipa(0x8000'0000), Pa(0x1'0000'0000), k1G, {}, false, /*blocks=*/true);
  const Walk<Ipa> s1 = stage1(va + 0x1234'5678);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1.level, 1);
  EXPECT_EQ(s1.leaf & 3, 1U);  // block
  EXPECT_EQ(s1.out, Ipa(0x8000'0000 + 0x1234'5678));
  const Walk<Pa> r = translate(va + 0x1234'5678);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.level, 1);  // stage 2 1 GiB block as well
  EXPECT_EQ(r.out, Pa(0x1'0000'0000 + 0x1234'5678));
}

TEST_F(WalkerTest, Level2BlockMaps2MiB) {
  const Va va = GuestSpace::kernel_va(0x4020'0000);
  g.s1().map(va, Ipa(0x4080'0000), k2M, {}, /*blocks=*/true);
  const Walk<Ipa> s1 = stage1(va + 0x1f'fff8);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1.level, 2);
  EXPECT_EQ(s1.out, Ipa(0x4080'0000 + 0x1f'fff8));
  const Walk<Pa> r = translate(va + 0x1f'fff8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(Ipa(0x4080'0000)) + 0x1f'fff8);
  EXPECT_EQ(r.level, 3);  // RAM is mapped by pages in stage 2
}

TEST(WalkerGranuleTest, Granule16KWalkFromLevel0) {
  Machine m;
  GuestSpace::Options opt;
  opt.s2.granule = model::Granule::k16K;
  opt.s1.granule0 = model::Granule::k16K;
  opt.s1.granule1 = model::Granule::k16K;
  GuestSpace g(m, opt);
  EXPECT_EQ(g.s1().geometry(Half::upper).start_level, 0);  // 48-bit VA: L0 resolves bit 47
  EXPECT_EQ(g.s1().geometry(Half::upper).start_bits, 1U);
  const Ipa ipa = g.map_kernel(0x7'0000'4000, 0x4000);
  Walker w = g.walker();
  const Walk<Ipa> s1 = w.stage1(g.s1_regs(), GuestSpace::kernel_va(0x7'0000'7ff8), kRead);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1.level, 3);
  EXPECT_EQ(s1.out, ipa + 0x3ff8);
  const Walk<Pa> r = w.translate(g.s1_regs(), GuestSpace::kernel_va(0x7'0000'7ff8), kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(ipa) + 0x3ff8);
}

TEST(WalkerGranuleTest, Granule64KWalkFromLevel1) {
  Machine m;
  GuestSpace::Options opt;
  opt.s2.granule = model::Granule::k64K;
  opt.s1.granule0 = model::Granule::k64K;
  opt.s1.granule1 = model::Granule::k64K;
  GuestSpace g(m, opt);
  EXPECT_EQ(g.s1().geometry(Half::lower).start_level, 1);  // no level 0 with 64K
  const Ipa ipa = g.map_new(Va(0x12'3450'0000), 0x1'0000, {.el0 = true});
  Walker w = g.walker();
  const Walk<Ipa> s1 = w.stage1(g.s1_regs(), Va(0x12'3450'fff0), kEl0Read);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1.level, 3);
  EXPECT_EQ(s1.out, ipa + 0xfff0);
  const Walk<Pa> r = w.translate(g.s1_regs(), Va(0x12'3450'fff0), kEl0Write);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(ipa) + 0xfff0);
}

TEST(WalkerGranuleTest, Granule16KAnd64KLevel2Blocks) {
  for (model::Granule gr : {model::Granule::k16K, model::Granule::k64K}) {
    Machine m;
    GuestSpace::Options opt;
    opt.s1.granule0 = gr;
    opt.s1.granule1 = gr;
    GuestSpace g(m, opt);
    const u64 block = g.s1().geometry(Half::upper).level_size(2);  // 32 MiB / 512 MiB
    const Va va = GuestSpace::kernel_va(block * 4);
    g.s1().map(va, Ipa(block * 8), block, {}, /*blocks=*/true);
    Walker w = g.walker();
    const Walk<Ipa> s1 = w.stage1(g.s1_regs(), va + (block - 8), kRead);
    ASSERT_TRUE(s1.ok()) << static_cast<int>(gr);
    EXPECT_EQ(s1.level, 2);
    EXPECT_EQ(s1.out, Ipa(block * 9 - 8));
  }
}

TEST(WalkerGranuleTest, Granule16KStage1UsesTg1EncodingForUpperHalf) {
  // TTBR0 with 64K and TTBR1 with 16K: TG0 and TG1 encode them differently.
  Machine m;
  GuestSpace::Options opt;
  opt.s1.granule0 = model::Granule::k64K;
  opt.s1.granule1 = model::Granule::k16K;
  GuestSpace g(m, opt);
  const mmu::Stage1Regs regs = g.s1_regs();
  EXPECT_EQ(bits(regs.tcr, 15, 14), 1U);  // TG0 64K
  EXPECT_EQ(bits(regs.tcr, 31, 30), 1U);  // TG1 16K
  const Ipa lo = g.map_new(Va(0x1'0000), 0x1'0000);
  const Ipa hi = g.map_kernel(0x4000, 0x4000);
  Walker w = g.walker();
  EXPECT_EQ(w.translate(regs, Va(0x1'fff0), kRead).out, g.pa(lo) + 0xfff0);
  EXPECT_EQ(w.translate(regs, GuestSpace::kernel_va(0x7ff0), kRead).out, g.pa(hi) + 0x3ff0);
}

TEST_F(WalkerTest, Tg0ReservedEncodingIsTreatedAs4K) {
  const Va user(0x0000'0040'0000);
  const Ipa ipa = g.map_new(user);
  mmu::Stage1Regs regs = g.s1_regs();
  regs.tcr |= u64{3} << mmu::tcr::TG0_SHIFT;
  EXPECT_EQ(translate(regs, user).out, g.pa(ipa));
}

TEST_F(WalkerTest, SmallerVaSizeStartsAtLevel1) {
  // T0SZ = 25 (39-bit VA, 4K): three levels from level 1.
  Machine m2;
  GuestSpace::Options opt;
  opt.s1.va_bits0 = 39;
  GuestSpace g2(m2, opt);
  EXPECT_EQ(g2.s1().geometry(Half::lower).start_level, 1);
  const Ipa ipa = g2.map_new(Va(0x40'0000'0000));
  Walker w = g2.walker();
  const Walk<Ipa> r = w.stage1(g2.s1_regs(), Va(0x40'0000'0008), kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, ipa + 8);
  EXPECT_EQ(w.fetches(), 3U * (3 + 1));
  // Bit 39 set is outside the 39-bit region.
  EXPECT_TRUE(IsFault(w.stage1(g2.s1_regs(), Va(0x80'0000'0000), kRead).fault, FaultKind::translation, 0, Stage::one));
}

// ------------------------------------------------------------------------- region selection

TEST_F(WalkerTest, NonCanonicalAddressIsTranslationFaultLevel0) {
  g.map_kernel(0);
  g.map_new(Va(0x1000));
  for (u64 raw : {u64{0x0001'0000'0000'1000}, u64{0x8000'0000'0000'1000}, u64{0xfffe'0000'0000'0000},
                  u64{0x00ff'ffff'ffff'f000}}) {
    Walker w = g.walker();
    const Walk<Pa> r = w.translate(g.s1_regs(), Va(raw), kRead);
    EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 0, Stage::one)) << std::hex << raw;
    EXPECT_EQ(w.fetches(), 0U);
    EXPECT_EQ(mmu::par_el1(r), 0x9U);
  }
}

TEST_F(WalkerTest, Epd1SetIsTranslationFaultLevel0ForTtbr1Only) {
  g.map_kernel(0);
  const Va user(0x40'0000);
  g.map_new(user);
  mmu::Stage1Regs regs = g.s1_regs();
  regs.tcr |= mmu::tcr::EPD1;
  Walker w = g.walker();
  EXPECT_TRUE(IsFault(w.translate(regs, GuestSpace::kernel_va(0), kRead).fault, FaultKind::translation, 0, Stage::one));
  EXPECT_EQ(w.fetches(), 0U);
  EXPECT_TRUE(w.translate(regs, user, kRead).ok());
}

TEST_F(WalkerTest, Epd0SetIsTranslationFaultLevel0ForTtbr0Only) {
  g.map_kernel(0);
  const Va user(0x40'0000);
  g.map_new(user);
  mmu::Stage1Regs regs = g.s1_regs();
  regs.tcr |= mmu::tcr::EPD0;
  EXPECT_TRUE(IsFault(translate(regs, user).fault, FaultKind::translation, 0, Stage::one));
  EXPECT_TRUE(translate(regs, GuestSpace::kernel_va(0)).ok());
}

TEST_F(WalkerTest, AsidAndVmidBitsAreIgnored) {
  const Va va = GuestSpace::kernel_va(0x5000);
  const Ipa ipa = g.map_kernel(0x5000);
  mmu::Stage1Regs regs = g.s1_regs();
  regs.ttbr0 |= u64{0xabcd} << 48;
  regs.ttbr1 |= u64{0x1234} << 48;
  mmu::Stage2Regs s2 = g.s2_regs();
  s2.vttbr |= u64{0xbeef} << 48;
  Walker w(m, s2);
  EXPECT_EQ(w.translate(regs, va, kRead).out, g.pa(ipa));
}

// ------------------------------------------------------------------------- TBI

TEST_F(WalkerTest, TopByteIgnoredForDataWhenTbiSet) {
  const Va user(0x40'0000);
  const Ipa ipa = g.map_new(user);
  const Va tagged(0x5a00'0000'0040'0010);
  mmu::Stage1Regs regs = g.s1_regs();
  EXPECT_TRUE(IsFault(translate(regs, tagged).fault, FaultKind::translation, 0, Stage::one));
  regs.tcr |= mmu::tcr::TBI0;
  const Walk<Pa> r = translate(regs, tagged, kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(ipa) + 0x10);
  // Not for instruction fetches.
  EXPECT_TRUE(IsFault(translate(regs, tagged, kExec).fault, FaultKind::translation, 0, Stage::one));
  EXPECT_TRUE(translate(regs, user, kExec).ok());
}

TEST_F(WalkerTest, TopByteIgnoredForUpperHalfWithTbi1) {
  const Ipa ipa = g.map_kernel(0x3000);
  const Va tagged(0x12ff'0000'0000'3008);  // bit 55 set: TTBR1
  mmu::Stage1Regs regs = g.s1_regs();
  EXPECT_TRUE(IsFault(translate(regs, tagged).fault, FaultKind::translation, 0, Stage::one));
  regs.tcr |= mmu::tcr::TBI0;  // the other half's bit does not help
  EXPECT_TRUE(IsFault(translate(regs, tagged).fault, FaultKind::translation, 0, Stage::one));
  regs.tcr |= mmu::tcr::TBI1;
  const Walk<Pa> r = translate(regs, tagged);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(ipa) + 8);
  // With TBI, bits [55:48] must still be all ones for TTBR1.
  EXPECT_TRUE(IsFault(translate(regs, Va(0x12fe'0000'0000'3008)).fault, FaultKind::translation, 0, Stage::one));
}

// ------------------------------------------------------------------------- MMU off

TEST_F(WalkerTest, MmuOffIsFlatVaEqualsIpaThenStage2) {
  mmu::Stage1Regs regs = g.s1_regs();
  regs.sctlr &= ~u64{1};
  Walker w = g.walker();
  const Walk<Ipa> s1 = w.stage1(regs, Va(0x4000'2468), kExec);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1.out, Ipa(0x4000'2468));
  EXPECT_EQ(w.fetches(), 0U);
  const Walk<Pa> r = w.translate(regs, Va(0x4000'2468), kWrite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, g.pa(Ipa(0x4000'2468)));
}

TEST_F(WalkerTest, MmuOffStillFaultsInStage2) {
  mmu::Stage1Regs regs = g.s1_regs();
  regs.sctlr = 0;
  const Walk<Pa> r = translate(regs, Va(0x1000'0000));
  EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 1, Stage::two));
  EXPECT_EQ(r.fault.ipa, Ipa(0x1000'0000));
}

TEST_F(WalkerTest, MmuOffAddressBeyond48BitsIsAddressSizeFaultLevel0) {
  mmu::Stage1Regs regs = g.s1_regs();
  regs.sctlr = 0;
  const Walk<Pa> r = translate(regs, Va(0xffff'0000'4000'0000));
  EXPECT_TRUE(IsFault(r.fault, FaultKind::address_size, 0, Stage::one));
  EXPECT_EQ(mmu::par_el1(r), 0x1U);
  // With TBI0 the tag byte is dropped.
  regs.tcr |= mmu::tcr::TBI0;
  const Walk<Pa> t = translate(regs, Va(0x7f00'0000'4000'0000));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.out, g.pa(Ipa(0x4000'0000)));
}

// ------------------------------------------------------------------------- invalid entries

TEST(WalkerInvalidTest, InvalidStage1DescriptorAtEachLevelReportsThatLevel) {
  for (int level = 0; level <= 3; ++level) {
    Machine m;
    GuestSpace g(m);
    const Va va = GuestSpace::kernel_va(0x1'2345'6000);
    g.map_kernel(0x1'2345'6000);
    g.s1().write_entry(va, level, g.s1().read_entry(va, level) & ~pte::VALID);
    Walker w = g.walker();
    const Walk<Pa> r = w.translate(g.s1_regs(), va, kRead);
    EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, level, Stage::one)) << level;
    EXPECT_EQ(w.fetches(), static_cast<u64>(level + 1) * 4);
    EXPECT_EQ(mmu::par_el1(r), 0x9U + (static_cast<u64>(level) << 1));
  }
}

TEST(WalkerInvalidTest, InvalidStage2DescriptorAtEachLevelReportsThatLevel) {
  for (int level = 1; level <= 3; ++level) {  // 40-bit IPA, 4K: stage 2 starts at level 1
    Machine m;
    GuestSpace g(m);
    const Ipa ipa = g.map_kernel(0x8000);
    g.s2().write_entry(ipa, level, 0);
    Walker w = g.walker();
    const Walk<Pa> r = w.stage2(ipa + 0x10, AccessType::read);
    EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, level, Stage::two)) << level;
    EXPECT_EQ(r.fault.ipa, ipa + 0x10);
    EXPECT_EQ(w.fetches(), static_cast<u64>(level));
  }
}

TEST_F(WalkerTest, BlockDescriptorAtLevel0IsTranslationFault) {
  const Va va = GuestSpace::kernel_va(0);
  g.map_kernel(0);
  g.s1().write_entry(va, 0, 0x4000'0000 | pte::AF | pte::VALID);  // bits[1:0] = 01
  EXPECT_TRUE(IsFault(translate(va).fault, FaultKind::translation, 0, Stage::one));
}

TEST(WalkerGranuleTest, BlockDescriptorAtLevel1With16KIsTranslationFault) {
  Machine m;
  GuestSpace::Options opt;
  opt.s1.granule1 = model::Granule::k16K;
  GuestSpace g(m, opt);
  const Va va = GuestSpace::kernel_va(0);
  g.map_kernel(0, 0x4000);
  g.s1().write_entry(va, 1, pte::AF | pte::VALID);
  Walker w = g.walker();
  EXPECT_TRUE(IsFault(w.translate(g.s1_regs(), va, kRead).fault, FaultKind::translation, 1, Stage::one));
}

TEST_F(WalkerTest, Level3EntryWithBlockEncodingIsTranslationFault) {
  const Va va = GuestSpace::kernel_va(0x9000);
  g.map_kernel(0x9000);
  g.s1().write_entry(va, 3, g.s1().read_entry(va, 3) & ~pte::TABLE);
  EXPECT_TRUE(IsFault(translate(va).fault, FaultKind::translation, 3, Stage::one));
}

// ------------------------------------------------------------------------- access flag

TEST_F(WalkerTest, AccessFlagClearIsAccessFlagFaultAtLeaf) {
  const Va va = GuestSpace::kernel_va(0x2000);
  g.map_kernel(0x2000, k4K, {.af = false});
  const Walk<Pa> r = translate(va);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::access_flag, 3, Stage::one));
  EXPECT_EQ(mmu::par_el1(r), 0x17U);
  // Same on a block.
  const Va blk = GuestSpace::kernel_va(0x4000'0000);
  g.s1().map(blk, Ipa(0x4000'0000), k2M, {.af = false}, true);
  EXPECT_TRUE(IsFault(translate(blk).fault, FaultKind::access_flag, 2, Stage::one));
}

TEST_F(WalkerTest, HardwareAccessFlagManagementSuppressesAfFault) {
  const Va va = GuestSpace::kernel_va(0x2000);
  g.map_kernel(0x2000, k4K, {.af = false});
  mmu::Stage1Regs regs = g.s1_regs();
  regs.tcr |= mmu::tcr::HA;
  EXPECT_TRUE(translate(regs, va).ok());
}

TEST_F(WalkerTest, Stage2AccessFlagClearIsStage2AccessFlagFault) {
  const Ipa ipa = g.map_kernel(0x2000);
  g.s2().write_entry(ipa, 3, g.s2().read_entry(ipa, 3) & ~pte::AF);
  const Walk<Pa> r = translate(GuestSpace::kernel_va(0x2000));
  EXPECT_TRUE(IsFault(r.fault, FaultKind::access_flag, 3, Stage::two));
  EXPECT_EQ(r.fault.ipa, ipa);
  mmu::Stage2Regs s2 = g.s2_regs();
  s2.vtcr |= mmu::vtcr::HA;
  Walker w(m, s2);
  EXPECT_TRUE(w.translate(g.s1_regs(), GuestSpace::kernel_va(0x2000), kRead).ok());
}

// ------------------------------------------------------------------------- stage 1 permissions

TEST_F(WalkerTest, WriteToReadOnlyPageIsStage1PermissionFault) {
  const Va va = GuestSpace::kernel_va(0x6000);
  g.map_kernel(0x6000, k4K, {.read_only = true});
  EXPECT_TRUE(translate(va, kRead).ok());
  const Walk<Pa> r = translate(va, kWrite);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::permission, 3, Stage::one));
  EXPECT_EQ(mmu::par_el1(r), 0x1FU);
}

TEST_F(WalkerTest, El0AccessToEl1OnlyPageIsPermissionFault) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = false});
  EXPECT_TRUE(translate(va, kRead).ok());
  EXPECT_TRUE(translate(va, kWrite).ok());
  EXPECT_TRUE(IsFault(translate(va, kEl0Read).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(IsFault(translate(va, kEl0Write).fault, FaultKind::permission, 3, Stage::one));
}

TEST_F(WalkerTest, El0ReadWriteAndReadOnlyPages) {
  const Va rw(0x40'0000);
  const Va ro(0x40'1000);
  g.map_new(rw, k4K, {.el0 = true});
  g.map_new(ro, k4K, {.el0 = true, .read_only = true});
  EXPECT_TRUE(translate(rw, kEl0Read).ok());
  EXPECT_TRUE(translate(rw, kEl0Write).ok());
  EXPECT_TRUE(translate(ro, kEl0Read).ok());
  EXPECT_TRUE(IsFault(translate(ro, kEl0Write).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(IsFault(translate(ro, kWrite).fault, FaultKind::permission, 3, Stage::one));
}

TEST_F(WalkerTest, ApTableReadOnlyMakesEverythingBelowReadOnly) {
  const Va va = GuestSpace::kernel_va(0x4000'1000);
  g.map_kernel(0x4000'1000);
  EXPECT_TRUE(translate(va, kWrite).ok());
  // APTable[1] in the level 1 table descriptor: the page stays writable in its own AP bits.
  g.s1().write_entry(va, 1, g.s1().read_entry(va, 1) | pte::s1::AP_TABLE_RO);
  EXPECT_TRUE(translate(va, kRead).ok());
  const Walk<Pa> r = translate(va, kWrite);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::permission, 3, Stage::one));  // at the leaf level
}

TEST_F(WalkerTest, ApTableNoEl0RemovesEl0Access) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = true});
  EXPECT_TRUE(translate(va, kEl0Read).ok());
  g.s1().write_entry(va, 2, g.s1().read_entry(va, 2) | pte::s1::AP_TABLE_NO_EL0);
  EXPECT_TRUE(IsFault(translate(va, kEl0Read).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(translate(va, kWrite).ok());
}

TEST_F(WalkerTest, UxnForbidsEl0ExecOnly) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = true, .read_only = true, .uxn = true});
  EXPECT_TRUE(IsFault(translate(va, kEl0Exec).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(translate(va, kExec).ok());
  EXPECT_TRUE(translate(va, kEl0Read).ok());
}

TEST_F(WalkerTest, PxnForbidsEl1ExecOnly) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = true, .read_only = true, .pxn = true});
  EXPECT_TRUE(IsFault(translate(va, kExec).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(translate(va, kEl0Exec).ok());
}

TEST_F(WalkerTest, PxnTableAndUxnTableForbidExecBelow) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = true, .read_only = true});
  EXPECT_TRUE(translate(va, kExec).ok());
  EXPECT_TRUE(translate(va, kEl0Exec).ok());
  g.s1().write_entry(va, 0, g.s1().read_entry(va, 0) | pte::s1::PXN_TABLE);
  EXPECT_TRUE(IsFault(translate(va, kExec).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(translate(va, kEl0Exec).ok());
  g.s1().write_entry(va, 2, g.s1().read_entry(va, 2) | pte::s1::UXN_TABLE);
  EXPECT_TRUE(IsFault(translate(va, kEl0Exec).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(translate(va, kEl0Read).ok());  // data access unaffected
}

TEST_F(WalkerTest, El1CannotExecuteEl0WritablePage) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = true});  // AP = 01: EL0 read/write, PXN clear
  EXPECT_TRUE(IsFault(translate(va, kExec).fault, FaultKind::permission, 3, Stage::one));
  EXPECT_TRUE(translate(va, kEl0Exec).ok());
  // Made read-only by APTable, EL0 no longer writes it: EL1 may execute again.
  g.s1().write_entry(va, 1, g.s1().read_entry(va, 1) | pte::s1::AP_TABLE_RO);
  EXPECT_TRUE(translate(va, kExec).ok());
}

TEST_F(WalkerTest, El0ExecuteOnlyPage) {
  const Va va(0x40'0000);
  g.map_new(va, k4K, {.el0 = false, .read_only = true, .pxn = true});
  EXPECT_TRUE(translate(va, kEl0Exec).ok());  // UXN clear: EL0 executes without reading
  EXPECT_TRUE(IsFault(translate(va, kEl0Read).fault, FaultKind::permission, 3, Stage::one));
}

TEST_F(WalkerTest, WxnMakesWritablePagesNonExecutable) {
  const Va text = GuestSpace::kernel_va(0x1000);
  const Va data = GuestSpace::kernel_va(0x2000);
  g.map_kernel(0x1000, k4K, {.read_only = true});
  g.map_kernel(0x2000);
  mmu::Stage1Regs regs = g.s1_regs();
  EXPECT_TRUE(translate(regs, data, kExec).ok());
  regs.sctlr |= u64{1} << 19;  // WXN
  EXPECT_TRUE(translate(regs, text, kExec).ok());
  EXPECT_TRUE(IsFault(translate(regs, data, kExec).fault, FaultKind::permission, 3, Stage::one));
}

// ------------------------------------------------------------------------- address size

TEST_F(WalkerTest, OutputAddressBeyondIpsIsAddressSizeFaultAtLeaf) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.s1().map(va, Ipa(u64{1} << 40), k4K);  // IPS = 40 bits
  const Walk<Pa> r = translate(va);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::address_size, 3, Stage::one));
  EXPECT_EQ(mmu::par_el1(r), 0x7U);
  mmu::Stage1Regs regs = g.s1_regs();
  regs.tcr = (regs.tcr & ~(u64{7} << mmu::tcr::IPS_SHIFT)) | (u64{5} << mmu::tcr::IPS_SHIFT);
  // With 48 bits the output is fine for stage 1 (and then beyond stage 2's 40-bit IPA).
  EXPECT_TRUE(IsFault(translate(regs, va).fault, FaultKind::translation, 0, Stage::two));
}

TEST_F(WalkerTest, NextTableAddressBeyondIpsIsAddressSizeFaultAtTableLevel) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.map_kernel(0x7000);
  const u64 d = g.s1().read_entry(va, 1);
  g.s1().write_entry(va, 1, d | (u64{1} << 41));
  EXPECT_TRUE(IsFault(translate(va).fault, FaultKind::address_size, 1, Stage::one));
}

TEST_F(WalkerTest, TtbrBaseBeyondIpsIsAddressSizeFaultLevel0) {
  mmu::Stage1Regs regs = g.s1_regs();
  regs.ttbr1 = u64{1} << 42;
  Walker w = g.walker();
  const Walk<Pa> r = w.translate(regs, GuestSpace::kernel_va(0), kRead);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::address_size, 0, Stage::one));
  EXPECT_EQ(w.fetches(), 0U);
  EXPECT_EQ(mmu::par_el1(r), 0x1U);
}

TEST_F(WalkerTest, Stage2OutputBeyondPsIsStage2AddressSizeFault) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.s1().map(va, Ipa(0x9000'0000), k4K);
  g.s2().map(Ipa(0x9000'0000), Pa(u64{1} << 40), k4K);  // PS = 40 bits
  const Walk<Pa> r = translate(va);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::address_size, 3, Stage::two));
  EXPECT_EQ(r.fault.ipa, Ipa(0x9000'0000));
  EXPECT_EQ(mmu::par_el1(r), 0x207U);
}

TEST_F(WalkerTest, VttbrBeyondPsIsStage2AddressSizeFaultLevel0) {
  mmu::Stage2Regs s2 = g.s2_regs();
  s2.vttbr = u64{1} << 41;
  Walker w(m, s2);
  EXPECT_TRUE(IsFault(w.stage2(Ipa(0x4000'0000), AccessType::read).fault, FaultKind::address_size, 0, Stage::two));
}

TEST(WalkerGranuleTest, Granule64KDescriptorBits15To12AreAddressSizeFault) {
  Machine m;
  GuestSpace::Options opt;
  opt.s1.granule1 = model::Granule::k64K;
  GuestSpace g(m, opt);
  const Va va = GuestSpace::kernel_va(0);
  g.map_kernel(0, 0x1'0000);
  g.s1().write_entry(va, 3, g.s1().read_entry(va, 3) | (u64{1} << 12));  // OA[48] with LPA
  Walker w = g.walker();
  EXPECT_TRUE(IsFault(w.translate(g.s1_regs(), va, kRead).fault, FaultKind::address_size, 3, Stage::one));
}

// ------------------------------------------------------------------------- stage 2

TEST_F(WalkerTest, Stage2TranslationFaultOnFinalIpa) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.s1().map(va, Ipa(0x8000'0000), k4K);  // IPA outside the domain's RAM, not in stage 2
  const Walk<Pa> r = translate(va + 0x44);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 1, Stage::two, /*s1ptw=*/false));
  EXPECT_EQ(r.fault.ipa, Ipa(0x8000'0044));
  EXPECT_EQ(mmu::par_el1(r), 0x20BU);
  // stage1() alone succeeds.
  EXPECT_TRUE(stage1(va).ok());
}

TEST_F(WalkerTest, Stage2TranslationFaultOnStage1TableIpaSetsPtw) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.map_kernel(0x7000);
  const Ipa table_entry = *g.s1().entry_ipa(va, 2);  // the level 2 descriptor's IPA
  g.s2().unmap(table_entry.page_base(), k4K);
  Walker w = g.walker();
  const Walk<Pa> r = w.translate(g.s1_regs(), va, kRead);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 3, Stage::two, /*s1ptw=*/true));
  EXPECT_EQ(r.fault.ipa, table_entry);
  EXPECT_EQ(mmu::par_el1(r), 0x30FU);
  // Level 0 and 1 fetched (4 each), then the stage 2 walk of the level 2 table IPA (3).
  EXPECT_EQ(w.fetches(), 4U + 4U + 3U);
  // stage1() reports it the same way.
  EXPECT_TRUE(IsFault(w.stage1(g.s1_regs(), va, kRead).fault, FaultKind::translation, 3, Stage::two, true));
}

TEST_F(WalkerTest, Stage2WriteToReadOnlyS2apIsStage2PermissionFault) {
  const Va va = GuestSpace::kernel_va(0x7000);
  const Ipa ipa = g.map_kernel(0x7000);
  g.s2().map(ipa, g.pa(ipa), k4K, {.read = true, .write = false, .exec = true});
  EXPECT_TRUE(translate(va, kRead).ok());
  const Walk<Pa> r = translate(va + 8, kWrite);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::permission, 3, Stage::two, false));
  EXPECT_EQ(r.fault.ipa, ipa + 8);
  EXPECT_EQ(mmu::par_el1(r), 0x21FU);
}

TEST_F(WalkerTest, Stage2NoReadOnStage1TableIsPermissionFaultWithPtw) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.map_kernel(0x7000);
  const Ipa entry = *g.s1().entry_ipa(va, 3);
  g.s2().map(entry.page_base(), g.pa(entry.page_base()), k4K, {.read = false, .write = true, .exec = true});
  const Walk<Pa> r = translate(va, kRead);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::permission, 3, Stage::two, true));
  EXPECT_EQ(r.fault.ipa, entry);
}

TEST_F(WalkerTest, Stage2ExecuteNeverForbidsInstructionFetchOnly) {
  const Va va = GuestSpace::kernel_va(0x7000);
  const Ipa ipa = g.map_kernel(0x7000, k4K, {.read_only = true});
  g.s2().map(ipa, g.pa(ipa), k4K, {.read = true, .write = true, .exec = false});
  EXPECT_TRUE(translate(va, kRead).ok());
  EXPECT_TRUE(IsFault(translate(va, kExec).fault, FaultKind::permission, 3, Stage::two));
  // Either XN bit counts.
  const u64 d = g.s2().read_entry(ipa, 3);
  g.s2().write_entry(ipa, 3, (d & ~pte::s2::XN1) | pte::s2::XN0);
  EXPECT_TRUE(IsFault(translate(va, kExec).fault, FaultKind::permission, 3, Stage::two));
  g.s2().write_entry(ipa, 3, d & ~pte::s2::XN1);
  EXPECT_TRUE(translate(va, kExec).ok());
}

TEST_F(WalkerTest, Stage1FaultTakesPriorityOverStage2FaultOfOutput) {
  const Va va = GuestSpace::kernel_va(0x7000);
  g.s1().map(va, Ipa(0x8000'0000), k4K, {.read_only = true});  // IPA not mapped in stage 2
  EXPECT_TRUE(IsFault(translate(va, kWrite).fault, FaultKind::permission, 3, Stage::one));
}

TEST(WalkerStage2Test, ConcatenatedStartTables4KUseExtraIndexBits) {
  Machine m;
  Stage2Builder s2(m);  // 4K, 40-bit IPA: level 1 start, 2 concatenated tables
  EXPECT_EQ(s2.geometry().start_level, 1);
  EXPECT_EQ(s2.geometry().root_tables(), 2U);
  const mmu::Stage2Regs regs = s2.regs();
  EXPECT_EQ(bits(regs.vtcr, 5, 0), 24U);            // T0SZ
  EXPECT_EQ(bits(regs.vtcr, 7, 6), 1U);             // SL0: level 1
  EXPECT_EQ(bits(regs.vttbr, 47, 0) & 0x1fff, 0U);  // aligned to the 8 KiB concatenation
  // IPA bit 39 selects the second table.
  s2.map(Ipa(0x1000), Pa(0x10'0000'0000), k4K);
  s2.map(Ipa((u64{1} << 39) | 0x1000), Pa(0x20'0000'0000), k4K);
  Walker w(m, regs);
  EXPECT_EQ(w.stage2(Ipa(0x1008), AccessType::read).out, Pa(0x10'0000'0008));
  EXPECT_EQ(w.stage2(Ipa((u64{1} << 39) | 0x1008), AccessType::read).out, Pa(0x20'0000'0008));
  EXPECT_EQ(w.fetches(), 6U);
}

TEST(WalkerStage2Test, SixteenConcatenatedStartTables16K) {
  Machine m;
  Stage2Builder s2(m, {.granule = model::Granule::k16K, .ipa_bits = 40});
  EXPECT_EQ(s2.geometry().start_level, 2);
  EXPECT_EQ(s2.geometry().root_tables(), 16U);
  const mmu::Stage2Regs regs = s2.regs();
  EXPECT_EQ(bits(regs.vtcr, 7, 6), 1U);    // SL0 1 = level 2 for 16K
  EXPECT_EQ(bits(regs.vtcr, 15, 14), 2U);  // TG0 16K
  const Ipa last_table(u64{15} << 36 | 0x4000);
  s2.map(last_table, Pa(0x1'0000'0000), 0x4000);
  s2.map(Ipa(0x4000), Pa(0x2'0000'0000), 0x4000);
  Walker w(m, regs);
  const Walk<Pa> r = w.stage2(last_table + 0x3ffc, AccessType::write);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, Pa(0x1'0000'3ffc));
  EXPECT_EQ(r.level, 3);
  EXPECT_EQ(w.stage2(Ipa(0x4010), AccessType::read).out, Pa(0x2'0000'0010));
}

TEST(WalkerStage2Test, Granule64KStage2Level2Block) {
  Machine m;
  // 64K, 42-bit IPA: level 2 start resolving 13 bits, no concatenation.
  Stage2Builder s2(m, {.granule = model::Granule::k64K, .ipa_bits = 42, .pa_bits = 44});
  EXPECT_EQ(s2.geometry().start_level, 2);
  EXPECT_EQ(s2.geometry().root_tables(), 1U);
  EXPECT_EQ(bits(s2.regs().vtcr, 7, 6), 1U);    // SL0 1 = level 2 for 64K
  EXPECT_EQ(bits(s2.regs().vtcr, 15, 14), 1U);  // TG0 64K
  s2.map(Ipa(0x2000'0000), Pa(0x4'0000'0000), u64{1} << 29, {}, false, /*blocks=*/true);
  Walker w(m, s2.regs());
  const Walk<Pa> r = w.stage2(Ipa(0x2123'4567), AccessType::exec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.level, 2);  // 512 MiB block
  EXPECT_EQ(r.out, Pa(0x4'0123'4567));
  EXPECT_EQ(w.fetches(), 1U);
}

TEST(WalkerStage2Test, Granule64KConcatenatedLevel2Tables) {
  Machine m;
  // 64K, 44-bit IPA: level 2 with 4 concatenated tables rather than a level 1 of 4 entries.
  Stage2Builder s2(m, {.granule = model::Granule::k64K, .ipa_bits = 44, .pa_bits = 44});
  EXPECT_EQ(s2.geometry().start_level, 2);
  EXPECT_EQ(s2.geometry().root_tables(), 4U);
  const Ipa high(u64{3} << 42 | 0x5'0000);
  s2.map(high, Pa(0x7'0000'0000), 0x1'0000);
  Walker w(m, s2.regs());
  const Walk<Pa> r = w.stage2(high + 0x1234, AccessType::read);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, Pa(0x7'0000'1234));
  EXPECT_EQ(w.fetches(), 2U);
}

TEST(WalkerStage2Test, ExplicitStartLevel0With16KUsesSl0Encoding3) {
  Machine m;
  Stage2Builder s2(m, {.granule = model::Granule::k16K, .ipa_bits = 48, .start_level = 0, .pa_bits = 48});
  EXPECT_EQ(bits(s2.regs().vtcr, 7, 6), 3U);
  s2.map(Ipa(0x8000'1234'4000), Pa(0x5000'0000), 0x4000);
  Walker w(m, s2.regs());
  const Walk<Pa> r = w.stage2(Ipa(0x8000'1234'4abc), AccessType::read);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, Pa(0x5000'0abc));
  EXPECT_EQ(w.fetches(), 4U);
}

TEST(WalkerStage2Test, InconsistentSl0IsTranslationFaultAtStartLevel) {
  Machine m;
  Stage2Builder s2(m);
  s2.map(Ipa(0x4000'0000), Pa(0x4000'0000), k4K);
  mmu::Stage2Regs regs = s2.regs();
  // 40-bit IPA starting at level 2 would need 2^19 / 2^9 = 1024 concatenated tables.
  regs.vtcr &= ~(u64{3} << mmu::vtcr::SL0_SHIFT);
  Walker w(m, regs);
  const Walk<Pa> r = w.stage2(Ipa(0x4000'0000), AccessType::read);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 2, Stage::two));
  EXPECT_EQ(r.fault.ipa, Ipa(0x4000'0000));
  EXPECT_EQ(w.fetches(), 0U);
  // A 25-bit IPA starting at level 0 would resolve no bits there.
  regs.vtcr = (regs.vtcr & ~u64{0xff}) | 39 | (u64{2} << mmu::vtcr::SL0_SHIFT);
  Walker w2(m, regs);
  EXPECT_TRUE(IsFault(w2.stage2(Ipa(0x1000), AccessType::read).fault, FaultKind::translation, 0, Stage::two));
}

TEST(WalkerStage2Test, ReservedSl0IsTranslationFault) {
  Machine m;
  Stage2Builder s2(m, {.granule = model::Granule::k64K, .ipa_bits = 40});
  s2.map(Ipa(0x1'0000), Pa(0x4000'0000), 0x1'0000);
  mmu::Stage2Regs regs = s2.regs();
  Walker ok(m, regs);
  EXPECT_TRUE(ok.stage2(Ipa(0x1'0000), AccessType::read).ok());
  regs.vtcr |= u64{3} << mmu::vtcr::SL0_SHIFT;  // 64K SL0 = 3: reserved without LPA2
  Walker w(m, regs);
  EXPECT_TRUE(IsFault(w.stage2(Ipa(0x1'0000), AccessType::read).fault, FaultKind::translation, 0, Stage::two));
}

TEST(WalkerStage2Test, IpaBeyondT0szIsTranslationFaultLevel0) {
  Machine m;
  Stage2Builder s2(m);  // 40-bit IPA
  Walker w(m, s2.regs());
  const Walk<Pa> r = w.stage2(Ipa(u64{1} << 40), AccessType::read);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 0, Stage::two));
  EXPECT_EQ(r.fault.ipa, Ipa(u64{1} << 40));
  EXPECT_EQ(w.fetches(), 0U);
}

TEST(WalkerStage2Test, BlockAtLevel0With4KIsTranslationFault) {
  Machine m;
  Stage2Builder s2(m, {.ipa_bits = 48, .start_level = 0, .pa_bits = 48});
  EXPECT_EQ(bits(s2.regs().vtcr, 7, 6), 2U);
  s2.map(Ipa(0x1000), Pa(0x4000'0000), k4K);
  s2.write_entry(Ipa(0x1000), 0, pte::VALID | pte::AF | pte::s2::S2AP_R);
  Walker w(m, s2.regs());
  EXPECT_TRUE(IsFault(w.stage2(Ipa(0x1000), AccessType::read).fault, FaultKind::translation, 0, Stage::two));
}

// ------------------------------------------------------------------------- external aborts

TEST_F(WalkerTest, Stage1TableOnMmioIsExternalAbortAtThatLevel) {
  m.add_mmio(Pa(0x0900'0000), k4K);
  g.s2().map(Ipa(0x0900'0000), Pa(0x0900'0000), k4K, {}, /*device=*/true);
  const Va va = GuestSpace::kernel_va(0x7000);
  g.map_kernel(0x7000);
  // The level 1 descriptor points the level 2 table at the device page.
  g.s1().write_entry(va, 1, 0x0900'0000 | pte::VALID | pte::TABLE);
  const Walk<Pa> r = translate(va);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::external_abort, 2, Stage::one));
  EXPECT_EQ(mmu::fault_status_code(r.fault), 0b010110U);
  EXPECT_EQ(mmu::par_el1(r), 0x2DU);
}

TEST_F(WalkerTest, Stage1TtbrOnMmioIsExternalAbortLevel0) {
  m.add_mmio(Pa(0x0900'0000), k4K);
  g.s2().map(Ipa(0x0800'0000), Pa(0x0900'0000), k4K, {}, /*device=*/true);
  mmu::Stage1Regs regs = g.s1_regs();
  regs.ttbr1 = 0x0800'0000;
  EXPECT_TRUE(IsFault(translate(regs, GuestSpace::kernel_va(0)).fault, FaultKind::external_abort, 0, Stage::one));
}

TEST_F(WalkerTest, Stage2TableOnMmioIsStage2ExternalAbort) {
  m.add_mmio(Pa(0x0900'0000), 0x1'0000);
  g.map_kernel(0x7000);
  mmu::Stage2Regs s2 = g.s2_regs();
  s2.vttbr = 0x0900'0000;
  Walker w(m, s2);
  const Walk<Pa> direct = w.stage2(Ipa(0x4000'0000), AccessType::read);
  EXPECT_TRUE(IsFault(direct.fault, FaultKind::external_abort, 1, Stage::two));
  EXPECT_EQ(direct.fault.ipa, Ipa(0x4000'0000));
  // Reached while fetching a stage 1 table: stage 2, PTW.
  const Walk<Pa> r = w.translate(g.s1_regs(), GuestSpace::kernel_va(0x7000), kRead);
  EXPECT_TRUE(IsFault(r.fault, FaultKind::external_abort, 1, Stage::two, true));
  EXPECT_EQ(r.fault.ipa, Ipa(g.s1_regs().ttbr1));  // level 0 entry 0 of the TTBR1 root
  EXPECT_EQ(mmu::par_el1(r), 0x32BU);
}

// ------------------------------------------------------------------------- encodings

TEST(WalkerEncodingTest, FaultStatusCodesArePar_EL1Fst) {
  struct Case {
    FaultKind kind;
    int level;
    u32 fst;
  };
  const Case cases[] = {
      {FaultKind::address_size, 0, 0x00}, {FaultKind::address_size, 3, 0x03},   {FaultKind::translation, 0, 0x04},
      {FaultKind::translation, 1, 0x05},  {FaultKind::translation, 2, 0x06},    {FaultKind::translation, 3, 0x07},
      {FaultKind::access_flag, 1, 0x09},  {FaultKind::access_flag, 3, 0x0B},    {FaultKind::permission, 1, 0x0D},
      {FaultKind::permission, 3, 0x0F},   {FaultKind::external_abort, 0, 0x14}, {FaultKind::external_abort, 3, 0x17},
  };
  for (const Case& c : cases) {
    Fault f;
    f.kind = c.kind;
    f.level = c.level;
    EXPECT_EQ(mmu::fault_status_code(f), c.fst) << ::testing::PrintToString(c.kind) << " level " << c.level;
  }
}

TEST(WalkerEncodingTest, ParEl1OnSuccessHoldsPaBits47To12) {
  Walk<Pa> w;
  w.out = Pa(0x4'1234'5678);
  EXPECT_EQ(mmu::par_el1(w), 0x4'1234'5000U);
  w.out = Pa(0xffff'8000'0000'1fff);  // bits above 47 are not an address in PAR
  EXPECT_EQ(mmu::par_el1(w), 0x8000'0000'1000U);
}

TEST(WalkerEncodingTest, ParEl1OnFailureHoldsFFstPtwAndS) {
  Walk<Pa> w;
  w.fault.kind = FaultKind::permission;
  w.fault.level = 2;
  w.fault.stage = Stage::one;
  EXPECT_EQ(mmu::par_el1(w), 0x1DU);  // F | 0b001110 << 1
  w.fault.stage = Stage::two;
  EXPECT_EQ(mmu::par_el1(w), 0x21DU);  // + S
  w.fault.kind = FaultKind::translation;
  w.fault.level = 0;
  w.fault.s1ptw = true;
  EXPECT_EQ(mmu::par_el1(w), 0x309U);  // F | 0b000100 << 1 | PTW | S
  w.fault.kind = FaultKind::access_flag;
  w.fault.level = 1;
  w.fault.s1ptw = false;
  w.fault.stage = Stage::one;
  EXPECT_EQ(mmu::par_el1(w), 0x13U);
}

// ------------------------------------------------------------------------- builders

TEST_F(WalkerTest, KptiTrampolineRootDoesNotMapKernelData) {
  const Ipa text = g.map_kernel(0x0, k4K, {.read_only = true});
  const Ipa data = g.map_kernel(0x40'0000);
  const Ipa main_root = g.s1().root(Half::upper);
  const Ipa tramp = g.s1().new_root(Half::upper);
  g.s1().map(tramp, GuestSpace::kernel_va(0), text, k4K, {.read_only = true});

  g.s1().use_root(Half::upper, tramp);
  const mmu::Stage1Regs user_regs = g.s1_regs();
  EXPECT_EQ(user_regs.ttbr1, tramp.raw());
  EXPECT_EQ(translate(user_regs, GuestSpace::kernel_va(0x10), kExec).out, g.pa(text) + 0x10);
  EXPECT_TRUE(
      IsFault(translate(user_regs, GuestSpace::kernel_va(0x40'0000)).fault, FaultKind::translation, 2, Stage::one));

  g.s1().use_root(Half::upper, main_root);
  const mmu::Stage1Regs kernel_regs = g.s1_regs();
  EXPECT_EQ(translate(kernel_regs, GuestSpace::kernel_va(0x40'0000)).out, g.pa(data));
  EXPECT_EQ(translate(kernel_regs, GuestSpace::kernel_va(0)).out, g.pa(text));
}

TEST_F(WalkerTest, UnmapInsideBlockSplitsIt) {
  const Va va = GuestSpace::kernel_va(0x20'0000);
  g.s1().map(va, Ipa(0x4020'0000), k2M, {}, /*blocks=*/true);
  EXPECT_EQ(stage1(va + 0x5000).level, 2);
  g.s1().unmap(va + 0x5000, k4K);
  EXPECT_TRUE(IsFault(translate(va + 0x5000).fault, FaultKind::translation, 3, Stage::one));
  const Walk<Ipa> next = stage1(va + 0x6008);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.level, 3);
  EXPECT_EQ(next.out, Ipa(0x4020'6008));
  EXPECT_EQ(stage1(va + 0x4000).out, Ipa(0x4020'4000));
  EXPECT_EQ(g.s1().lookup(va + 0x6008), Ipa(0x4020'6008));
  EXPECT_FALSE(g.s1().lookup(va + 0x5000).has_value());
}

TEST_F(WalkerTest, Stage2UnmapRemovesRamPage) {
  const Ipa ipa = g.map_kernel(0x3000);
  EXPECT_TRUE(translate(GuestSpace::kernel_va(0x3000)).ok());
  g.s2().unmap(ipa);
  EXPECT_FALSE(g.s2().lookup(ipa).has_value());
  const Walk<Pa> r = translate(GuestSpace::kernel_va(0x3000));
  EXPECT_TRUE(IsFault(r.fault, FaultKind::translation, 3, Stage::two));
  EXPECT_EQ(r.fault.ipa, ipa);
}

TEST_F(WalkerTest, BuilderPagesBelongToTheRightOwners) {
  // Stage 2 tables are the hypervisor's, RAM and stage 1 tables are the domain's.
  const Frame* root = m.frame(g.s2().root());
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->owner(), DomId::xen);
  const Ipa ttbr1(g.s1_regs().ttbr1);
  EXPECT_TRUE(g.ram().contains(ttbr1));
  EXPECT_EQ(m.frame(g.pa(ttbr1))->owner(), g.dom());
  EXPECT_EQ(*g.s2().lookup(ttbr1), g.pa(ttbr1));
}

TEST_F(WalkerTest, Stage1RegsEncodeTcrFields) {
  const mmu::Stage1Regs regs = g.s1_regs();
  EXPECT_EQ(regs.sctlr & 1, 1U);
  EXPECT_EQ(bits(regs.tcr, 5, 0), 16U);    // T0SZ
  EXPECT_EQ(bits(regs.tcr, 15, 14), 0U);   // TG0 4K
  EXPECT_EQ(bits(regs.tcr, 21, 16), 16U);  // T1SZ
  EXPECT_EQ(bits(regs.tcr, 31, 30), 2U);   // TG1 4K
  EXPECT_EQ(bits(regs.tcr, 34, 32), 2U);   // IPS 40 bits
  EXPECT_EQ(regs.tcr & (mmu::tcr::EPD0 | mmu::tcr::EPD1 | mmu::tcr::HA), 0U);
}

TEST(WalkerBuilderTest, InconsistentStage2GeometryIsRejected) {
  Machine m;
  EXPECT_THROW(Stage2Builder(m, {.ipa_bits = 40, .start_level = 2}), std::invalid_argument);
  EXPECT_THROW(Stage2Builder(m, {.granule = model::Granule::k64K, .start_level = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace runhv
