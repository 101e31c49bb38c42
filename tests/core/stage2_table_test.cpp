// Unit tests of the portable stage-2 writer (core/stage2_table.cpp): tables in model::Machine
// pages, checked with the core walker; TLB maintenance recorded by a test hook.
// SPDX-License-Identifier: MIT
#include "core/stage2_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "core/guest_copy.hpp"

#include "core/walker.hpp"
#include "model/machine.hpp"
#include "model/tables.hpp"

namespace runhv::mmu {
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

using mmu::AccessType;
using mmu::FaultKind;
using mmu::Stage;
using mmu::Stage2Pool;
using mmu::Stage2Regs;
using mmu::Stage2Table;
using mmu::Walk;
using mmu::Walker;
using model::Machine;

constexpr u64 k4K = 0x1000;
constexpr u64 k2M = u64{1} << 21;
constexpr u64 k1G = u64{1} << 30;
constexpr u64 k1T = u64{1} << 40;
constexpr u16 kVmid = 5;
const DomId kDom = xen::domid(1);

// One call of the TLB hook, with what a walk of the affected IPAs saw at that moment.
struct TlbCall {
  enum class Kind { ipa, vmid } kind;
  u16 vmid;
  Ipa ipa;                      // for Kind::ipa
  std::vector<Walk<Pa>> walks;  // stage-2 reads of `ipa` (Kind::ipa) or of every watched IPA
};

class RecordingTlb final : public mmu::Stage2Tlb {
 public:
  explicit RecordingTlb(Machine& m) : m_(m) {}

  void invalidate_ipa(u16 vmid, Ipa ipa) override { calls.push_back({TlbCall::Kind::ipa, vmid, ipa, {walk(ipa)}}); }
  void invalidate_vmid(u16 vmid) override {
    TlbCall c{TlbCall::Kind::vmid, vmid, Ipa{}, {}};
    for (const Ipa a : watch) {
      c.walks.push_back(walk(a));
    }
    calls.push_back(c);
  }
  void sync() override { ++syncs; }

  std::vector<TlbCall> calls;
  std::vector<Ipa> watch;  // IPAs to walk on invalidate_vmid
  int syncs = 0;
  Stage2Regs regs{};  // what the walks inside the hook use

 private:
  Walk<Pa> walk(Ipa ipa) { return Walker(m_, regs).stage2(ipa, AccessType::read); }

  Machine& m_;
};

bool IsTranslationFault(const Walk<Pa>& w, int level) {
  return w.fault.kind == FaultKind::translation && w.fault.level == level && w.fault.stage == Stage::two;
}

class Stage2TableTest : public ::testing::Test {
 protected:
  Stage2TableTest() {
    pool_.root = model::alloc_contiguous(m, DomId::xen, mmu::stage2::kRootBytes, mmu::stage2::kRootBytes);
    for (Pa& p : pool_.l2) {
      p = m.alloc(DomId::xen);
    }
    for (Pa& p : pool_.l3) {
      p = m.alloc(DomId::xen);
    }
    ram = model::alloc_contiguous(m, kDom, 8 * k2M, k2M);
    page_a = m.alloc(kDom);
    page_b = m.alloc(kDom);
    // Dirty the pool: the writer must zero what it takes.
    for (const u64 pn : pool_pages()) {
      for (u64 off = 0; off < k4K; off += 8) {
        m.write64(Pa(pn << kPageShift) + off, 0xdead'beef'dead'beefULL);
      }
    }
    tlb.regs = walk_regs();
    table.emplace(m, tlb, pool_);
    outside_before = m.fingerprint_outside(DomId::xen);
  }

  // The registers the walker uses (the same as regs(), without making the table live).
  [[nodiscard]] Stage2Regs walk_regs() const {
    return {.vtcr = mmu::stage2::kVtcr, .vttbr = pool_.root.raw() | (u64{kVmid} << 48)};
  }
  Walk<Pa> walk(Ipa ipa, AccessType type = AccessType::read) { return Walker(m, walk_regs()).stage2(ipa, type); }
  // Expects `ipa` to translate to `pa` for reads and writes.
  ::testing::AssertionResult MapsRw(Ipa ipa, Pa pa) {
    for (const AccessType t : {AccessType::read, AccessType::write, AccessType::exec}) {
      const Walk<Pa> w = walk(ipa, t);
      if (!w.ok() || w.out != pa) {
        return ::testing::AssertionFailure() << "IPA 0x" << std::hex << ipa.raw() << " type " << static_cast<int>(t)
                                             << ": ok=" << w.ok() << " out=0x" << w.out.raw() << " want 0x" << pa.raw();
      }
    }
    return ::testing::AssertionSuccess();
  }

  [[nodiscard]] std::vector<u64> pool_pages() const {
    std::vector<u64> pns{pool_.root.page_number(), pool_.root.page_number() + 1};
    for (const Pa p : pool_.l2) {
      pns.push_back(p.page_number());
    }
    for (const Pa p : pool_.l3) {
      pns.push_back(p.page_number());
    }
    return pns;
  }
  [[nodiscard]] u64 pool_fingerprint() const { return m.fingerprint(pool_pages()); }
  [[nodiscard]] bool outside_unchanged() const { return m.fingerprint_outside(DomId::xen) == outside_before; }
  Stage2Regs go_live() { return table->regs(kVmid); }

  Machine m;
  Stage2Pool pool_;
  RecordingTlb tlb{m};
  std::optional<Stage2Table> table;
  Pa ram{};     // 16 MiB of domain RAM, 2 MiB aligned
  Pa page_a{};  // two single domain pages
  Pa page_b{};
  u64 outside_before = 0;
};

// ------------------------------------------------------------------------------ map_ram

TEST_F(Stage2TableTest, RegsCarryTheGeometryAndVmid) {
  const Stage2Regs r = table->regs(7);
  EXPECT_EQ(r.vtcr, 0x8002'3558U);  // T0SZ 24, SL0 1, WB/WB inner shareable, 4K, PS 40 bits, RES1
  EXPECT_EQ(r.vttbr, pool_.root.raw() | (u64{7} << 48));
  EXPECT_TRUE(table->live());
  EXPECT_EQ(table->vmid(), 7);
}

TEST_F(Stage2TableTest, EmptyTableIsTranslationFaultAtLevelOne) {
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0x4000'0000)), 1));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0)), 1));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(k1T - k4K)), 1));
}

TEST_F(Stage2TableTest, MapRamTranslatesWithTwoMegabyteBlocks) {
  const Ipa base(0x4000'0000);
  ASSERT_TRUE(table->map_ram(base, ram, 6 * k2M));
  for (u64 off : {u64{0}, u64{0x1234}, k2M - 8, k2M, 5 * k2M + 0xabc, 6 * k2M - 1}) {
    EXPECT_TRUE(MapsRw(base + off, ram + off)) << off;
  }
  const Walk<Pa> w = walk(base + 0x1234);
  EXPECT_EQ(w.level, 2);
  EXPECT_EQ(w.leaf & pte::s2::MEMATTR_MASK, pte::s2::MEMATTR_NORMAL_WB);
  EXPECT_EQ(w.leaf & (u64{3} << pte::SH_SHIFT), pte::SH_INNER);
  EXPECT_EQ(w.leaf & pte::s2::S2AP_RW, pte::s2::S2AP_RW);
  EXPECT_NE(w.leaf & pte::AF, 0U);
  // The next block is not mapped; nor is another GiB.
  EXPECT_TRUE(IsTranslationFault(walk(base + 6 * k2M), 2));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(base.raw() - k4K)), 1));
  EXPECT_EQ(table->l2_used(), 1U);
  EXPECT_EQ(table->l3_used(), 0U);
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, MapRamAcrossAGigabyteTakesTwoLevelTwoTables) {
  const Ipa base(3 * k1G - 2 * k2M);
  ASSERT_TRUE(table->map_ram(base, ram, 4 * k2M));
  EXPECT_EQ(table->l2_used(), 2U);
  for (u64 off = 0; off < 4 * k2M; off += k2M) {
    EXPECT_TRUE(MapsRw(base + off + 0x10, ram + off + 0x10));
  }
  // The top of the IPA space.
  ASSERT_TRUE(table->map_ram(Ipa(k1T - k2M), ram, k2M));
  EXPECT_TRUE(MapsRw(Ipa(k1T - 8), ram + (k2M - 8)));
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, MapRamRefusesBadArgumentsAndChangesNothing) {
  const u64 before = pool_fingerprint();
  const Ipa base(0x4000'0000);
  EXPECT_FALSE(table->map_ram(base + k4K, ram, k2M));          // IPA not 2 MiB aligned
  EXPECT_FALSE(table->map_ram(base, ram + k4K, k2M));          // PA not aligned
  EXPECT_FALSE(table->map_ram(base, ram, k2M + k4K));          // size not aligned
  EXPECT_FALSE(table->map_ram(Ipa(k1T - k2M), ram, 2 * k2M));  // beyond the 40-bit IPA space
  EXPECT_FALSE(table->map_ram(Ipa(k1T), ram, k2M));
  EXPECT_FALSE(table->map_ram(base, Pa(k1T - k2M), 2 * k2M));  // beyond the 40-bit PA space
  EXPECT_FALSE(table->map_ram(base, ram, u64{1} << 63));       // no wrap-around
  EXPECT_FALSE(table->map_ram(Ipa(~(k2M - 1)), ram, 2 * k2M));
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_EQ(table->l2_used(), 0U);
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, MapRamOutOfLevelTwoTablesChangesNothing) {
  for (u64 g = 0; g < Stage2Table::kMaxL2; ++g) {
    ASSERT_TRUE(table->map_ram(Ipa((g + 1) * k1G), ram, k2M));
  }
  EXPECT_EQ(table->l2_used(), Stage2Table::kMaxL2);
  const u64 before = pool_fingerprint();
  // A new GiB, and a range that starts in a GiB with a table and runs into a new one.
  EXPECT_FALSE(table->map_ram(Ipa(10 * k1G), ram, k2M));
  EXPECT_FALSE(table->map_ram(Ipa(5 * k1G - k2M), ram, 2 * k2M));
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(5 * k1G - k2M)), 2));  // the first half was not mapped
  // Blocks in GiBs that have a table still map.
  EXPECT_TRUE(table->map_ram(Ipa(5 * k1G - k2M), ram, k2M));
  EXPECT_TRUE(MapsRw(Ipa(5 * k1G - k2M), ram));
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, MapRamIntoANonLiveTableCallsNoHook) {
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram, 4 * k2M));
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram + 4 * k2M, 4 * k2M));  // remapped before it runs
  EXPECT_TRUE(MapsRw(Ipa(0x4000'0000), ram + 4 * k2M));
  EXPECT_TRUE(tlb.calls.empty());
  EXPECT_EQ(tlb.syncs, 0);
}

TEST_F(Stage2TableTest, MapRamOverLiveBlocksBreaksThemAllThenInvalidatesTheVmidOnce) {
  const Ipa base(0x4000'0000);
  ASSERT_TRUE(table->map_ram(base, ram, 2 * k2M));
  go_live();
  tlb.watch = {base, base + k2M, base + 2 * k2M};
  // The first block stays the same, the second moves, the third is new.
  ASSERT_TRUE(table->map_ram(base, ram, k2M));
  EXPECT_TRUE(tlb.calls.empty());  // nothing changed
  ASSERT_TRUE(table->map_ram(base + k2M, ram + 4 * k2M, 2 * k2M));
  ASSERT_EQ(tlb.calls.size(), 1U);
  const TlbCall& c = tlb.calls[0];
  EXPECT_EQ(c.kind, TlbCall::Kind::vmid);
  EXPECT_EQ(c.vmid, kVmid);
  ASSERT_EQ(c.walks.size(), 3U);
  EXPECT_TRUE(c.walks[0].ok());                    // untouched
  EXPECT_TRUE(IsTranslationFault(c.walks[1], 2));  // broken before the invalidation
  EXPECT_TRUE(c.walks[2].ok());                    // new: made at once (nothing to break)
  EXPECT_TRUE(MapsRw(base + k2M, ram + 4 * k2M));
  EXPECT_TRUE(MapsRw(base + 2 * k2M, ram + 5 * k2M));
  EXPECT_GE(tlb.syncs, 1);
}

TEST_F(Stage2TableTest, MapRamRefusesARangeWithSinglePages) {
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram, 2 * k2M));
  Pa old{};
  ASSERT_TRUE(table->replace_page(Ipa(0x4000'0000 + k2M + k4K), page_a, old));
  const u64 before = pool_fingerprint();
  EXPECT_FALSE(table->map_ram(Ipa(0x4000'0000), ram, 2 * k2M));
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_TRUE(MapsRw(Ipa(0x4000'0000 + k2M + k4K), page_a));
}

// ------------------------------------------------------------------------------ map_page_ro

TEST_F(Stage2TableTest, MapPageRoIsReadOnly) {
  const Ipa ipa(0x090A'0000);
  ASSERT_TRUE(table->map_page_ro(ipa, page_a));
  const Walk<Pa> r = walk(ipa + 0x18);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, page_a + 0x18);
  EXPECT_EQ(r.level, 3);
  EXPECT_EQ(r.leaf & pte::s2::S2AP_RW, pte::s2::S2AP_R);
  const Walk<Pa> w = walk(ipa, AccessType::write);
  EXPECT_EQ(w.fault.kind, FaultKind::permission);
  EXPECT_EQ(w.fault.level, 3);
  EXPECT_EQ(w.fault.stage, Stage::two);
  EXPECT_TRUE(walk(ipa, AccessType::exec).ok());
  // Its neighbours are not mapped.
  EXPECT_TRUE(IsTranslationFault(walk(ipa + k4K), 3));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(ipa.raw() - k4K)), 3));
  EXPECT_TRUE(IsTranslationFault(walk(ipa + k2M), 2));
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, MapPageRoThroughBothStages) {
  // A guest with its RAM mapped by this table and its own stage-1 tables in that RAM.
  const Ipa ram_ipa(0x4000'0000);
  ASSERT_TRUE(table->map_ram(ram_ipa, ram, 8 * k2M));
  const Ipa pv_ipa(0x090A'0000);
  ASSERT_TRUE(table->map_page_ro(pv_ipa, page_a));
  const Stage2Regs s2 = go_live();
  model::GuestPageAllocator pages(ram_ipa + 4 * k2M, 4 * k2M);
  model::Stage1Builder s1(
      m,
      [&](Ipa ipa) -> std::optional<Pa> {
        const Walk<Pa> w = Walker(m, s2).stage2(ipa, AccessType::read);
        return w.ok() ? std::optional<Pa>(w.out) : std::nullopt;
      },
      [&](u64 bytes) { return pages.alloc(bytes); });
  const Va kernel(0xffff'0000'0000'0000);
  s1.map(kernel + 0x1000, ram_ipa + 0x20'3000, k4K);
  s1.map(kernel + 0x2000, pv_ipa, k4K);
  s1.map(kernel + 0x3000, Ipa(0x8000'0000), k4K);  // an IPA stage 2 does not map

  Walker w(m, s2);
  const mmu::Access read{AccessType::read, mmu::El::el1};
  const mmu::Access write{AccessType::write, mmu::El::el1};
  const Walk<Pa> a = w.translate(s1.regs(), kernel + 0x1abc, write);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.out, ram + 0x20'3abc);
  const Walk<Pa> b = w.translate(s1.regs(), kernel + 0x2010, read);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.out, page_a + 0x10);
  const Walk<Pa> c = w.translate(s1.regs(), kernel + 0x2010, write);
  EXPECT_EQ(c.fault.kind, FaultKind::permission);
  EXPECT_EQ(c.fault.stage, Stage::two);
  EXPECT_EQ(c.fault.level, 3);
  EXPECT_FALSE(c.fault.s1ptw);
  const Walk<Pa> d = w.translate(s1.regs(), kernel + 0x3000, read);
  EXPECT_EQ(d.fault.kind, FaultKind::translation);
  EXPECT_EQ(d.fault.stage, Stage::two);
  EXPECT_EQ(d.fault.ipa, Ipa(0x8000'0000));
}

TEST_F(Stage2TableTest, MapPageRoRefusesABlockAndBadArguments) {
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram, k2M));
  const u64 before = pool_fingerprint();
  EXPECT_FALSE(table->map_page_ro(Ipa(0x4000'0000 + k4K), page_a));  // inside a block
  EXPECT_FALSE(table->map_page_ro(Ipa(0x090A'0008), page_a));        // misaligned IPA
  EXPECT_FALSE(table->map_page_ro(Ipa(0x090A'0000), page_a + 8));    // misaligned PA
  EXPECT_FALSE(table->map_page_ro(Ipa(k1T), page_a));                // beyond the IPA space
  EXPECT_FALSE(table->map_page_ro(Ipa(0x090A'0000), Pa(k1T)));       // beyond the PA space
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_TRUE(MapsRw(Ipa(0x4000'0000 + k4K), ram + k4K));
}

TEST_F(Stage2TableTest, MapPageRoOutOfTablesChangesNothing) {
  for (u64 i = 0; i < Stage2Table::kMaxL3; ++i) {
    ASSERT_TRUE(table->map_page_ro(Ipa(k1G + i * k2M), page_a));
  }
  const u64 before = pool_fingerprint();
  EXPECT_FALSE(table->map_page_ro(Ipa(k1G + 7 * k2M), page_a));  // needs a level-3 table
  EXPECT_TRUE(table->map_page_ro(Ipa(k1G + k4K), page_b));       // one that exists does not
  EXPECT_NE(pool_fingerprint(), before);
  // A new GiB needs a level-2 table too; with level 2 left but level 3 gone, nothing is taken.
  const unsigned l2 = table->l2_used();
  EXPECT_FALSE(table->map_page_ro(Ipa(5 * k1G), page_a));
  EXPECT_EQ(table->l2_used(), l2);
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(5 * k1G)), 1));
}

TEST_F(Stage2TableTest, MapPageRoOverALivePageBreaksBeforeMake) {
  const Ipa ipa(0x090A'0000);
  ASSERT_TRUE(table->map_page_ro(ipa, page_a));
  go_live();
  ASSERT_TRUE(table->map_page_ro(ipa, page_b));
  ASSERT_EQ(tlb.calls.size(), 1U);
  EXPECT_EQ(tlb.calls[0].kind, TlbCall::Kind::ipa);
  EXPECT_EQ(tlb.calls[0].vmid, kVmid);
  EXPECT_EQ(tlb.calls[0].ipa, ipa);
  EXPECT_TRUE(IsTranslationFault(tlb.calls[0].walks[0], 3));
  EXPECT_EQ(walk(ipa).out, page_b);
}

// ------------------------------------------------------------------------------ replace_page

TEST_F(Stage2TableTest, ReplacePageSplitsABlockKeepingEveryOtherPage) {
  const Ipa base(0x4000'0000);
  ASSERT_TRUE(table->map_ram(base, ram, 2 * k2M));
  go_live();
  const Ipa target = base + k2M + 0x5000;
  Pa old{};
  ASSERT_TRUE(table->replace_page(target, page_a, old));
  EXPECT_EQ(old, ram + k2M + 0x5000);
  for (u64 off = 0; off < 2 * k2M; off += k4K) {
    const Ipa ipa = base + off;
    EXPECT_TRUE(MapsRw(ipa, ipa == target ? page_a : ram + off)) << std::hex << off;
  }
  EXPECT_EQ(walk(base + k2M).level, 3);  // split
  EXPECT_EQ(walk(base).level, 2);        // the other block is untouched
  EXPECT_EQ(walk(base + k2M + 0x7000).leaf & ~pte::OA_MASK,
            (walk(base).leaf & ~pte::OA_MASK) | pte::PAGE);  // same attributes, now a page
  // One break-before-make of the level-2 entry, for this VMID and IPA.
  ASSERT_EQ(tlb.calls.size(), 1U);
  EXPECT_EQ(tlb.calls[0].kind, TlbCall::Kind::ipa);
  EXPECT_EQ(tlb.calls[0].vmid, kVmid);
  EXPECT_EQ(tlb.calls[0].ipa, target);
  EXPECT_TRUE(IsTranslationFault(tlb.calls[0].walks[0], 2));
  EXPECT_GE(tlb.syncs, 1);
  EXPECT_EQ(table->l3_used(), 1U);

  // Again: now a page-level break-before-make, and `old` is the page put there before.
  ASSERT_TRUE(table->replace_page(target, page_b, old));
  EXPECT_EQ(old, page_a);
  EXPECT_TRUE(MapsRw(target, page_b));
  ASSERT_EQ(tlb.calls.size(), 2U);
  EXPECT_EQ(tlb.calls[1].ipa, target);
  EXPECT_TRUE(IsTranslationFault(tlb.calls[1].walks[0], 3));
  EXPECT_TRUE(MapsRw(target + k4K, ram + k2M + 0x6000));
  EXPECT_EQ(table->l3_used(), 1U);
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, ReplacePageWhereNothingIsMappedNeedsNoInvalidation) {
  Pa old(0x1234'5000);
  ASSERT_TRUE(table->replace_page(Ipa(0x1'0000'0000), page_a, old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_TRUE(MapsRw(Ipa(0x1'0000'0000), page_a));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0x1'0000'1000)), 3));
  EXPECT_TRUE(tlb.calls.empty());  // not live yet
  go_live();
  ASSERT_TRUE(table->replace_page(Ipa(0x1'0000'1000), page_b, old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_TRUE(tlb.calls.empty());  // live, but no valid entry changed
  EXPECT_GE(tlb.syncs, 1);         // the new entry is still published
  EXPECT_TRUE(MapsRw(Ipa(0x1'0000'1000), page_b));
}

TEST_F(Stage2TableTest, ReplacePageOutOfLevelThreeTablesChangesNothing) {
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram, 8 * k2M));
  Pa old{};
  for (u64 i = 0; i < Stage2Table::kMaxL3; ++i) {
    ASSERT_TRUE(table->replace_page(Ipa(0x4000'0000 + i * k2M), page_a, old));
  }
  const u64 before = pool_fingerprint();
  old = Pa(0x1000);
  EXPECT_FALSE(table->replace_page(Ipa(0x4000'0000 + 5 * k2M + k4K), page_b, old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_EQ(walk(Ipa(0x4000'0000 + 5 * k2M)).level, 2);  // still a block
  // Pages in a block that was split already still work.
  EXPECT_TRUE(table->replace_page(Ipa(0x4000'0000 + 2 * k2M + k4K), page_b, old));
  EXPECT_EQ(old, ram + 2 * k2M + k4K);
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, ReplacePageOutOfLevelTwoTablesChangesNothing) {
  for (u64 g = 0; g < Stage2Table::kMaxL2; ++g) {
    ASSERT_TRUE(table->map_ram(Ipa((g + 1) * k1G), ram, k2M));
  }
  const u64 before = pool_fingerprint();
  Pa old{};
  EXPECT_FALSE(table->replace_page(Ipa(9 * k1G), page_a, old));
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_EQ(table->l3_used(), 0U);
}

TEST_F(Stage2TableTest, ReplacePageRefusesBadArguments) {
  const u64 before = pool_fingerprint();
  Pa old(0x1000);
  EXPECT_FALSE(table->replace_page(Ipa(0x4000'0800), page_a, old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_FALSE(table->replace_page(Ipa(0x4000'0000), page_a + 0x800, old));
  EXPECT_FALSE(table->replace_page(Ipa(k1T), page_a, old));
  EXPECT_FALSE(table->replace_page(Ipa(0x4000'0000), Pa(k1T + k4K), old));
  EXPECT_EQ(pool_fingerprint(), before);
}

// ------------------------------------------------------------------------------ unmap_page

TEST_F(Stage2TableTest, UnmapPageInABlockSplitsItAndLeavesTheNeighbours) {
  const Ipa base(0x4000'0000);
  ASSERT_TRUE(table->map_ram(base, ram, k2M));
  go_live();
  const Ipa target = base + 0x3000;
  Pa old{};
  ASSERT_TRUE(table->unmap_page(target, old));
  EXPECT_EQ(old, ram + 0x3000);
  EXPECT_TRUE(IsTranslationFault(walk(target), 3));
  EXPECT_TRUE(IsTranslationFault(walk(target + 0xfff, AccessType::write), 3));
  for (u64 off = 0; off < k2M; off += k4K) {
    if (base + off != target) {
      EXPECT_TRUE(MapsRw(base + off, ram + off)) << std::hex << off;
    }
  }
  ASSERT_EQ(tlb.calls.size(), 1U);
  EXPECT_EQ(tlb.calls[0].kind, TlbCall::Kind::ipa);
  EXPECT_EQ(tlb.calls[0].vmid, kVmid);
  EXPECT_EQ(tlb.calls[0].ipa, target);
  EXPECT_TRUE(IsTranslationFault(tlb.calls[0].walks[0], 2));  // the block broken first

  // A page next to it: a page-level invalidation.
  ASSERT_TRUE(table->unmap_page(target + k4K, old));
  EXPECT_EQ(old, ram + 0x4000);
  ASSERT_EQ(tlb.calls.size(), 2U);
  EXPECT_EQ(tlb.calls[1].ipa, target + k4K);
  EXPECT_TRUE(IsTranslationFault(tlb.calls[1].walks[0], 3));
  EXPECT_TRUE(IsTranslationFault(walk(target + k4K), 3));
  EXPECT_TRUE(MapsRw(target + 2 * k4K, ram + 0x5000));

  // Unmapping what is not mapped succeeds and changes nothing.
  const u64 before = pool_fingerprint();
  ASSERT_TRUE(table->unmap_page(target, old));
  EXPECT_EQ(old, Pa{0});
  ASSERT_TRUE(table->unmap_page(base + k2M, old));
  EXPECT_EQ(old, Pa{0});
  ASSERT_TRUE(table->unmap_page(Ipa(7 * k1G), old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_EQ(tlb.calls.size(), 2U);
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_TRUE(outside_unchanged());
}

TEST_F(Stage2TableTest, UnmapPageThenReplacePageMapsItAgain) {
  ASSERT_TRUE(table->map_page_ro(Ipa(0x090A'0000), page_a));
  Pa old{};
  ASSERT_TRUE(table->unmap_page(Ipa(0x090A'0000), old));
  EXPECT_EQ(old, page_a);
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0x090A'0000)), 1));  // both tables back in the pool
  EXPECT_EQ(table->l3_used(), 0U);
  EXPECT_EQ(table->l2_used(), 0U);
  ASSERT_TRUE(table->replace_page(Ipa(0x090A'0000), page_b, old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_TRUE(MapsRw(Ipa(0x090A'0000), page_b));
  EXPECT_EQ(table->l3_used(), 1U);
}

// A page moved about, as a guest moves a grant frame with add_to_physmap again and again: each
// move maps it somewhere new (a 2 MiB window of its own, often another GiB) and unmaps it where
// it was. The tables of the old place go back to the pool, so it never runs out.
TEST_F(Stage2TableTest, APageMovedAboutForEverHoldsOnlyTheTablesOfWhereItIs) {
  go_live();
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram, 8 * k2M));
  const unsigned l2_ram = table->l2_used();
  Ipa at{0};
  for (u64 n = 0; n < 1000; ++n) {
    const Ipa to(((n * 7919) % 900) * k2M + (n % 512) * k4K + 0x80'0000'0000ULL);  // 512 GiB up
    Pa old{};
    ASSERT_TRUE(table->replace_page(to, page_a, old)) << n;
    EXPECT_EQ(old, Pa{0});
    if (at.raw() != 0) {
      ASSERT_TRUE(table->unmap_page(at, old)) << n;
      EXPECT_EQ(old, page_a);
      EXPECT_FALSE(walk(at).ok());
    }
    EXPECT_TRUE(MapsRw(to, page_a));
    EXPECT_EQ(table->l3_used(), 1U) << n;
    EXPECT_EQ(table->l2_used(), l2_ram + 1) << n;
    at = to;
  }
  EXPECT_TRUE(MapsRw(Ipa(0x4000'0000 + 3 * k2M), ram + 3 * k2M));  // RAM untouched throughout
  EXPECT_TRUE(outside_unchanged());
}

// An emptied table is unlinked with break-before-make: the entry written invalid and the IPA
// invalidated (walk caches included) before the table is reused.
TEST_F(Stage2TableTest, AnEmptiedTableIsUnlinkedAndInvalidatedBeforeReuse) {
  go_live();
  ASSERT_TRUE(table->map_page_ro(Ipa(0x090A'0000), page_a));
  tlb.calls.clear();
  Pa old{};
  ASSERT_TRUE(table->unmap_page(Ipa(0x090A'0000), old));
  // The leaf, then the level-2 entry, then the level-1 entry: each invalidated, each walk a fault.
  ASSERT_EQ(tlb.calls.size(), 3U);
  for (const TlbCall& c : tlb.calls) {
    EXPECT_EQ(c.kind, TlbCall::Kind::ipa);
    EXPECT_EQ(c.ipa, Ipa(0x090A'0000));
    EXPECT_FALSE(c.walks[0].ok());
  }
  EXPECT_TRUE(IsTranslationFault(tlb.calls[2].walks[0], 1));
  ASSERT_TRUE(table->replace_page(Ipa(0x4000'0000), page_b, old));  // the tables are taken again
  EXPECT_TRUE(MapsRw(Ipa(0x4000'0000), page_b));
  EXPECT_EQ(table->l3_used(), 1U);
}

TEST_F(Stage2TableTest, UnmapPageOutOfTablesOrBadArgumentChangesNothing) {
  ASSERT_TRUE(table->map_ram(Ipa(0x4000'0000), ram, 8 * k2M));
  Pa old{};
  for (u64 i = 0; i < Stage2Table::kMaxL3; ++i) {
    ASSERT_TRUE(table->unmap_page(Ipa(0x4000'0000 + i * k2M), old));
  }
  const u64 before = pool_fingerprint();
  old = Pa(0x1000);
  EXPECT_FALSE(table->unmap_page(Ipa(0x4000'0000 + 6 * k2M), old));
  EXPECT_EQ(old, Pa{0});
  EXPECT_FALSE(table->unmap_page(Ipa(0x4000'0000 + 8), old));
  EXPECT_FALSE(table->unmap_page(Ipa(k1T), old));
  EXPECT_EQ(pool_fingerprint(), before);
  EXPECT_TRUE(MapsRw(Ipa(0x4000'0000 + 6 * k2M), ram + 6 * k2M));
}

// ------------------------------------------------------------------------------ the pool

TEST_F(Stage2TableTest, WriterZeroesThePoolPagesItTakes) {
  // The pool was filled with garbage; entries the writer did not write must read as invalid.
  ASSERT_TRUE(table->map_page_ro(Ipa(0x090A'0000), page_a));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0x090B'0000)), 3));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0x0A00'0000)), 2));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(0x4000'0000)), 1));
  EXPECT_TRUE(IsTranslationFault(walk(Ipa(k1T - k4K)), 1));  // second concatenated root page
}

TEST_F(Stage2TableTest, UnusablePoolRefusesEverything) {
  Stage2Pool bad = pool_;
  bad.root = pool_.root + k4K;  // not 8 KiB aligned
  Stage2Table t1(m, tlb, bad);
  EXPECT_FALSE(t1.usable());
  Pa old{};
  EXPECT_FALSE(t1.map_ram(Ipa(0x4000'0000), ram, k2M));
  EXPECT_FALSE(t1.map_page_ro(Ipa(0x090A'0000), page_a));
  EXPECT_FALSE(t1.replace_page(Ipa(0x090A'0000), page_a, old));
  EXPECT_FALSE(t1.unmap_page(Ipa(0x090A'0000), old));
  bad = pool_;
  bad.l3[2] = Pa(0x10'0000'0000);  // not RAM
  Stage2Table t2(m, tlb, bad);
  EXPECT_FALSE(t2.usable());
  EXPECT_TRUE(table->usable());
}

// ------------------------------------------------------------------------------ concurrency

// The TLB hook for tests with several threads: counts, and takes a while, as a broadcast TLBI
// does (the entry stays invalid meanwhile).
class CountingTlb final : public mmu::Stage2Tlb {
 public:
  void invalidate_ipa(u16 /*vmid*/, Ipa /*ipa*/) override {
    calls.fetch_add(1, std::memory_order_relaxed);
    for (int i = 0; i < 200; ++i) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
  }
  void invalidate_vmid(u16 /*vmid*/) override { calls.fetch_add(1, std::memory_order_relaxed); }
  void sync() override {}
  std::atomic<u64> calls{0};
};

// Two vCPUs of one domain on two pCPUs put pages into the same 2 MiB block at once, round after
// round on a fresh table: every page ends where its writer put it, every other page keeps its
// RAM, and the block was split once.
TEST_F(Stage2TableTest, ConcurrentReplacementsInOneBlockLoseNothing) {
  constexpr int kRounds = 300;
  constexpr u64 kPerThread = 24;
  CountingTlb counting;
  const Ipa base(0x4000'0000);
  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    Stage2Table t(m, counting, pool_);
    ASSERT_TRUE(t.map_ram(base, ram, k2M));
    (void)t.regs(kVmid);
    std::atomic<int> ready{0};
    auto writer = [&](u64 first) {
      ready.fetch_add(1);
      while (ready.load() < 2) {  // both start together: both find the block unsplit
      }
      for (u64 i = 0; i < kPerThread; ++i) {
        Pa old{};
        const u64 slot = first + 2 * i;
        (void)t.replace_page(base + slot * k4K, ram + k2M + slot * k4K, old);
      }
    };
    std::thread a(writer, 0);
    std::thread b(writer, 1);
    a.join();
    b.join();
    bool ok = t.l3_used() == 1;
    for (u64 slot = 0; slot < 512 && ok; ++slot) {
      const Pa want = slot < 2 * kPerThread ? ram + k2M + slot * k4K : ram + slot * k4K;
      const Walk<Pa> w = walk(base + slot * k4K, AccessType::write);
      ok = w.ok() && w.out == want;
    }
    bad_rounds += ok ? 0 : 1;
  }
  EXPECT_EQ(bad_rounds, 0) << "rounds where a page was lost or the block split twice";
}

// One vCPU keeps replacing the page at an IPA (break-before-make each time) while a sibling on
// another pCPU keeps touching it, as the hardware walker would (no lock). Every fault the sibling
// takes is at an address stage2_maps() then finds mapped (the hypervisor runs the instruction
// again), and the hypervisor's own walks of it (resolve_ipa, under copy_from_guest) never fail.
TEST_F(Stage2TableTest, FaultsInABreakBeforeMakeWindowAreSeenMappedAgain) {
  CountingTlb counting;
  Stage2Table t(m, counting, pool_);
  const Ipa base(0x4000'0000);
  ASSERT_TRUE(t.map_ram(base, ram, k2M));
  const Stage2Regs regs = t.regs(kVmid);
  const Ipa x = base + 0x3000;
  const DomainSpace space{.id = kDom, .mem = &m, .s2 = regs, .s2_lock = &t.update_lock()};
  std::atomic<bool> done{false};
  std::atomic<bool> reading{false};
  std::atomic<u64> faults_seen{0};
  std::thread writer([&] {
    while (!reading.load()) {  // the sibling is in its loop: a loaded host may start it late
      std::this_thread::yield();
    }
    // Until the sibling has run into the window often enough (or long enough to say it cannot).
    for (int i = 0; i < 50'000'000 && faults_seen.load(std::memory_order_relaxed) < 200; ++i) {
      Pa old{};
      (void)t.replace_page(x, i % 2 == 0 ? page_a : page_b, old);
    }
    done.store(true);
  });
  u64 faults = 0;
  u64 fatal = 0;
  u64 failed_resolves = 0;
  reading.store(true);
  while (!done.load()) {
    const Walk<Pa> w = Walker(m, regs).stage2(x, AccessType::write);
    if (!w.ok()) {
      faults_seen.store(++faults, std::memory_order_relaxed);
      fatal += stage2_maps(space, x, AccessType::write) ? 0 : 1;
    }
    GuestPage gp;
    failed_resolves += resolve_ipa(space, x, AccessType::write, gp) == Resolve::ok ? 0 : 1;
  }
  writer.join();
  EXPECT_EQ(fatal, 0U) << "faults that would have stopped the domain";
  EXPECT_EQ(failed_resolves, 0U) << "hypervisor walks that failed (a guest would see -EFAULT)";
  EXPECT_GT(faults, 0U) << "the window was never hit: the test proves nothing";
  // A real fault stays one: an IPA nothing maps.
  EXPECT_FALSE(stage2_maps(space, base + k2M, AccessType::read));
}

}  // namespace
}  // namespace runhv
