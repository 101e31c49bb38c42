// Runstate areas: registration in the three modes, updates, pins, and bad guest input
// SPDX-License-Identifier: MIT
#include "core/runstate_area.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "core/vcpu_op.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;
using model::S1Attrs;
using xen::Errno;
using xen::error;
constexpr auto kRunning = RunstateState::running;
constexpr auto kRunnable = RunstateState::runnable;
constexpr auto kBlocked = RunstateState::blocked;
constexpr u32 kArea = sizeof(vcpu_runstate_info);

class CapturedLog final : public LogSink {
 public:
  CapturedLog() { previous_ = set_log_sink(this); }
  ~CapturedLog() { set_log_sink(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  void line(const char* text, usize len) override { lines.emplace_back(text, len); }
  [[nodiscard]] bool contains(const std::string& needle) const {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::vector<std::string> lines;

 private:
  LogSink* previous_;
};

// A domain (id 1) with two vCPUs, KPTI-style kernel/trampoline roots, a neighbour domain (id 2)
// and an MMIO range, all in one model machine.
class AreaTest : public ::testing::Test {
 protected:
  static constexpr u64 kMmioPa = 0x0900'0000;

  void SetUp() override {
    machine.add_mmio(Pa(kMmioPa), 0x1000);
    dom.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
    for (u32 i = 0; i < 2; ++i) {
      vcpus[i].area.init(&dom, i);
      vcpus[i].account.reset(0);
    }
    kernel_root = guest.s1().root(model::Half::upper);
    trampoline_root = guest.s1().new_root(model::Half::upper);
    // The trampoline maps one page of kernel text, like Linux's, and nothing else.
    guest.s1().map(trampoline_root, GuestSpace::kernel_va(0x10'0000), guest.alloc(), kPageSize, S1Attrs{});
    neighbour_page = machine.alloc(xen::domid(2));
    machine.write64(neighbour_page, 0x5555'5555'5555'5555);
    before_outside = machine.fingerprint_outside(guest.dom());
  }

  [[nodiscard]] mmu::Stage1Regs kernel_ctx() {
    guest.s1().use_root(model::Half::upper, kernel_root);
    return guest.s1_regs();
  }
  [[nodiscard]] mmu::Stage1Regs user_ctx() {  // EL0 under KPTI: TTBR1 = trampoline
    guest.s1().use_root(model::Half::upper, trampoline_root);
    auto r = guest.s1_regs();
    guest.s1().use_root(model::Half::upper, kernel_root);
    return r;
  }

  vcpu_runstate_info read_area(Ipa ipa) {
    vcpu_runstate_info r{};
    machine.read_bytes(guest.pa(ipa), &r, sizeof r);
    return r;
  }
  // Steps vCPU `v` through a few state changes, ending `running` at t.
  void churn(u32 v, u64 t) {
    vcpus[v].change(kRunnable, t - 30);
    vcpus[v].change(kBlocked, t - 20);
    vcpus[v].change(kRunning, t);
  }
  // Re-takes the fingerprint after a test built more tables (they live in hypervisor pages).
  void snapshot_outside() { before_outside = machine.fingerprint_outside(guest.dom()); }
  [[nodiscard]] bool nothing_outside_changed() const {
    return machine.fingerprint_outside(guest.dom()) == before_outside;
  }
  long reg_va(u32 v, const mmu::Stage1Regs& ctx, Va va) { return vcpus[v].register_va(ctx, va); }
  long reg_phys(u32 v, Ipa ipa) { return vcpus[v].register_phys(ipa); }

  model::Machine machine;
  GuestSpace guest{machine};
  RunstateDomain dom;
  VcpuRunstate vcpus[2];
  Ipa kernel_root, trampoline_root;
  Pa neighbour_page;
  u64 before_outside = 0;
  CapturedLog log;
};

void expect_same(const vcpu_runstate_info& a, const vcpu_runstate_info& b) {
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.state_entry_time, b.state_entry_time);
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(a.time[i], b.time[i]) << "time[" << i << "]";
  }
}

// ---------------------------------------------------------------- mapped VA areas

TEST_F(AreaTest, MappedRegistrationWritesTheCurrentRecordAtOnceAndPinsOnePage) {
  Ipa ipa = guest.map_kernel(0x2000);
  churn(0, 1000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x2000 + 64)), 0);
  expect_same(read_area(ipa + 64), vcpus[0].account.info());
  EXPECT_EQ(vcpus[0].area.pinned_frames(), 1U);
  EXPECT_EQ(machine.pinned_pages(), 1U);
}

TEST_F(AreaTest, MappedAreaKeepsUpdatingWhileTheKernelIsUnmappedInUserMode) {
  Ipa ipa = guest.map_kernel(0x2000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x2000)), 0);
  vcpus[0].el1 = user_ctx();  // the guest is now in EL0 with the trampoline TTBR1
  for (u64 t = 100; t <= 1000; t += 100) {
    vcpus[0].change(t % 200 == 0 ? kRunning : kRunnable, t);
    expect_same(read_area(ipa), vcpus[0].account.info());
  }
  EXPECT_EQ(vcpus[0].area.walk_failures(), 0U);
  EXPECT_EQ(vcpus[0].area.updates(), 10U);
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, AreaStraddlingTwoPagesGetsEveryUpdateOnBothPages) {
  // Two virtually contiguous pages backed by guest pages that are not physically adjacent.
  Ipa first = guest.map_kernel(0x4000);
  guest.alloc();  // a gap
  Ipa second = guest.map_kernel(0x5000);
  ASSERT_NE(second.raw(), first.raw() + kPageSize);
  const Va va = GuestSpace::kernel_va(0x4000 + kPageSize - 24);  // 24 bytes on each page
  ASSERT_EQ(reg_va(0, kernel_ctx(), va), 0);
  EXPECT_EQ(vcpus[0].area.pinned_frames(), 2U);
  vcpus[0].el1 = user_ctx();
  for (u64 t = 10; t < 200; t += 10) {
    vcpus[0].change(t % 20 == 0 ? kRunning : kBlocked, t);
    u8 bytes[kArea];
    machine.read_bytes(guest.pa(first + (kPageSize - 24)), bytes, 24);
    machine.read_bytes(guest.pa(second), bytes + 24, 24);
    vcpu_runstate_info seen{};
    std::memcpy(&seen, bytes, kArea);
    expect_same(seen, vcpus[0].account.info());
  }
}

TEST_F(AreaTest, UnalignedAreaIsWrittenBytewiseAndReadsBackExactly) {
  Ipa ipa = guest.map_kernel(0x6000);
  dom.update_flag = true;
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x6000 + 3)), 0);
  churn(0, 5000);
  expect_same(read_area(ipa + 3), vcpus[0].account.info());
}

TEST_F(AreaTest, RegistrationForAnotherVcpuUsesTheCallersContextAndThatVcpuSeesItsOwnTimes) {
  Ipa ipa = guest.map_kernel(0x7000);
  churn(1, 700);
  // vCPU 0 (in its kernel context) registers vCPU 1's area; vCPU 1 is in user mode.
  vcpus[1].el1 = user_ctx();
  ASSERT_EQ(reg_va(1, kernel_ctx(), GuestSpace::kernel_va(0x7000)), 0);
  expect_same(read_area(ipa), vcpus[1].account.info());
  vcpus[1].change(kRunnable, 900);
  expect_same(read_area(ipa), vcpus[1].account.info());
  EXPECT_EQ(vcpus[0].area.pinned_frames(), 0U);
}

TEST_F(AreaTest, RemappedVaKeepsUpdatingTheOldPageUntilRegisteredAgain) {
  const Va va = GuestSpace::kernel_va(0x8000);
  Ipa old_page = guest.map_kernel(0x8000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), va), 0);
  Ipa new_page = guest.alloc();
  guest.s1().unmap(va, kPageSize);
  guest.s1().map(va, new_page, kPageSize);
  vcpus[0].change(kRunning, 50);
  expect_same(read_area(old_page), vcpus[0].account.info());  // the documented limit
  EXPECT_EQ(read_area(new_page).state_entry_time, 0U);
  ASSERT_EQ(reg_va(0, kernel_ctx(), va), 0);  // registering again moves the updates
  vcpus[0].change(kBlocked, 80);
  expect_same(read_area(new_page), vcpus[0].account.info());
  EXPECT_EQ(read_area(old_page).state_entry_time, 50U);
  EXPECT_EQ(machine.pinned_pages(), 1U);  // the old page's pin was dropped
}

TEST_F(AreaTest, AddressZeroUnregistersAndReleasesThePins) {
  Ipa ipa = guest.map_kernel(0x9000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x9000)), 0);
  ASSERT_EQ(reg_va(0, kernel_ctx(), Va(0)), 0);
  EXPECT_FALSE(vcpus[0].area.va_registered());
  EXPECT_EQ(machine.pinned_pages(), 0U);
  auto before = read_area(ipa);
  vcpus[0].change(kRunning, 10);
  expect_same(read_area(ipa), before);
}

TEST_F(AreaTest, PinnedFrameGivenUpByTheDomainStaysItsOwnUntilTheAreaIsDropped) {
  Ipa ipa = guest.map_kernel(0xa000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0xa000)), 0);
  Frame* f = machine.frame(guest.pa(ipa));
  EXPECT_FALSE(f->release());  // XENMEM_decrease_reservation while pinned
  EXPECT_EQ(f->owner(), guest.dom());
  EXPECT_FALSE(f->assign(xen::domid(2)));  // cannot go to another domain yet
  vcpus[0].change(kRunning, 10);           // still the domain's page: writing is fine
  vcpus[0].area.release();                 // vCPU teardown
  EXPECT_EQ(f->owner(), DomId::invalid);
  EXPECT_TRUE(f->assign(xen::domid(2)));
  auto now_theirs = read_area(ipa);
  vcpus[0].change(kBlocked, 20);  // no area any more: the new owner's page is untouched
  expect_same(read_area(ipa), now_theirs);
}

TEST_F(AreaTest, RegistrationCannotPinAPageTheDomainAlreadyGaveUp) {
  Ipa ipa = guest.map_kernel(0xb000);
  machine.frame(guest.pa(ipa))->release();
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0xb000)), error(Errno::einval));
  EXPECT_EQ(machine.pinned_pages(), 0U);
}

// ---------------------------------------------------------------- legacy VA areas

TEST_F(AreaTest, LegacyModeFailsToWalkInUserModeLogsItAndLeavesTheAreaStale) {
  dom.va_policy = VaPolicy::legacy;
  Ipa ipa = guest.map_kernel(0xc000);
  const Va va = GuestSpace::kernel_va(0xc000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), va), 0);
  EXPECT_EQ(machine.pinned_pages(), 0U);  // legacy pins nothing
  vcpus[0].el1 = kernel_ctx();
  vcpus[0].change(kRunning, 100);  // in kernel mode: the walk works
  expect_same(read_area(ipa), vcpus[0].account.info());
  const auto last_good = vcpus[0].account.info();
  vcpus[0].el1 = user_ctx();
  vcpus[0].change(kRunnable, 200);
  vcpus[0].change(kRunning, 300);
  expect_same(read_area(ipa), last_good);  // stale
  EXPECT_EQ(vcpus[0].area.walk_failures(), 2U);
  char expected[96];
  std::snprintf(expected, sizeof expected, "d1v0: Failed to walk page-table va 0x%llx",
                static_cast<unsigned long long>(va.raw()));
  EXPECT_TRUE(log.contains(expected)) << (log.lines.empty() ? "" : log.lines.back());
  vcpus[0].el1 = kernel_ctx();  // back in the kernel the next update gets through
  vcpus[0].change(kBlocked, 400);
  expect_same(read_area(ipa), vcpus[0].account.info());
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, LegacyModeFollowsARemap) {
  dom.va_policy = VaPolicy::legacy;
  const Va va = GuestSpace::kernel_va(0xd000);
  guest.map_kernel(0xd000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), va), 0);
  Ipa new_page = guest.alloc();
  guest.s1().unmap(va, kPageSize);
  guest.s1().map(va, new_page, kPageSize);
  vcpus[0].el1 = kernel_ctx();
  vcpus[0].change(kRunning, 10);
  expect_same(read_area(new_page), vcpus[0].account.info());
}

TEST_F(AreaTest, LegacyRegistrationOfAnUnmappedVaSucceedsAsInXenAndNeverWrites) {
  dom.va_policy = VaPolicy::legacy;
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x7f'0000)), 0);
  vcpus[0].el1 = kernel_ctx();
  vcpus[0].change(kRunning, 10);
  EXPECT_EQ(vcpus[0].area.walk_failures(), 2U);  // registration write + update
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, LegacyUpdateToAPageItCannotWriteIsCountedAsAFailureWhateverTheReason) {
  dom.va_policy = VaPolicy::legacy;
  const Va va = GuestSpace::kernel_va(0x24'0000);
  Ipa good = guest.map_kernel(0x24'0000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), va), 0);
  vcpus[0].el1 = kernel_ctx();
  vcpus[0].change(kRunning, 10);
  ASSERT_EQ(vcpus[0].area.walk_failures(), 0U);
  const auto last_good = vcpus[0].account.info();
  // The guest remaps the VA: to a page read-only in stage 2, to another domain's, to MMIO.
  Pa ro_backing = machine.alloc(guest.dom());
  guest.s2().map(Ipa(0x8000'4000), ro_backing, kPageSize, model::S2Perms{true, false, false});
  guest.s2().map(Ipa(0x8000'5000), neighbour_page, kPageSize);
  guest.s2().map(Ipa(0x0900'0000), Pa(kMmioPa), kPageSize, {}, /*device=*/true);
  dom.space.s2 = guest.s2_regs();
  snapshot_outside();
  struct Target {
    Ipa ipa;
    S1Attrs attrs;
    const char* reason;
  };
  const Target targets[] = {{Ipa(0x8000'4000), {}, "read-only in stage 2"},
                            {Ipa(0x8000'5000), {}, "not the domain's RAM"},
                            {Ipa(0x0900'0000), S1Attrs{.device = true}, "not RAM"}};
  u64 now = 100;
  u64 expected = 0;
  for (const Target& t : targets) {
    guest.s1().unmap(va, kPageSize);
    guest.s1().map(va, t.ipa, kPageSize, t.attrs);
    vcpus[0].change(kRunnable, now += 100);
    expected += 1;
    EXPECT_EQ(vcpus[0].area.walk_failures(), expected) << t.reason;
    EXPECT_EQ(vcpus[0].area.skipped_updates(), expected) << t.reason;
  }
  EXPECT_TRUE(log.contains("runstate area update failed: va")) << (log.lines.empty() ? "" : log.lines.back());
  EXPECT_TRUE(log.contains("read-only in stage 2 (failure 1)"));
  EXPECT_TRUE(log.contains("not the domain's RAM (failure 2)"));
  EXPECT_EQ(machine.read64(ro_backing), 0U);
  EXPECT_EQ(machine.read64(neighbour_page), 0x5555'5555'5555'5555U);
  expect_same(read_area(good), last_good);  // the old page is not written either
  EXPECT_TRUE(nothing_outside_changed());
}

// ---------------------------------------------------------------- phys areas

TEST_F(AreaTest, UpdatesWithNothingRegisteredCountAndWriteNothingBeforeAndAfterEachKindOfArea) {
  const Ipa va_page = guest.map_kernel(0xa000);
  const Ipa phys = guest.alloc() + 0x40;
  snapshot_outside();
  const vcpu_runstate_info va_before = read_area(va_page);
  const vcpu_runstate_info phys_before = read_area(phys);
  churn(0, 100);  // nothing registered yet: three updates, neither page written
  EXPECT_EQ(vcpus[0].area.updates(), 3U);
  expect_same(read_area(va_page), va_before);
  expect_same(read_area(phys), phys_before);
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0xa000)), 0);
  vcpus[0].change(kRunnable, 200);
  expect_same(read_area(va_page), vcpus[0].account.info());
  ASSERT_EQ(reg_va(0, kernel_ctx(), Va(0)), 0);
  ASSERT_EQ(reg_phys(0, phys), 0);
  vcpus[0].change(kRunning, 300);
  expect_same(read_area(phys), vcpus[0].account.info());
  ASSERT_EQ(reg_phys(0, Ipa(xen::kPhysAreaUnregister)), 0);
  const vcpu_runstate_info va_last = read_area(va_page);
  const vcpu_runstate_info phys_last = read_area(phys);
  vcpus[0].change(kBlocked, 400);  // both gone: counted, neither written
  EXPECT_EQ(vcpus[0].area.updates(), 6U);
  expect_same(read_area(va_page), va_last);
  expect_same(read_area(phys), phys_last);
  EXPECT_EQ(machine.pinned_pages(), 0U);
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, PhysAreaIsWrittenAtOnceAndOnEveryUpdateEvenInUserMode) {
  Ipa ipa = guest.alloc() + 0x100;
  churn(0, 300);
  ASSERT_EQ(reg_phys(0, ipa), 0);
  expect_same(read_area(ipa), vcpus[0].account.info());
  vcpus[0].el1 = user_ctx();
  vcpus[0].change(kRunnable, 400);
  expect_same(read_area(ipa), vcpus[0].account.info());
  EXPECT_EQ(machine.pinned_pages(), 1U);
  ASSERT_EQ(reg_phys(0, Ipa(xen::kPhysAreaUnregister)), 0);
  EXPECT_EQ(machine.pinned_pages(), 0U);
}

TEST_F(AreaTest, PhysAreaTakesPrecedenceOverAVaArea) {
  Ipa va_page = guest.map_kernel(0xe000);
  Ipa phys = guest.alloc();
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0xe000)), 0);
  ASSERT_EQ(reg_phys(0, phys), 0);
  auto va_before = read_area(va_page);
  vcpus[0].change(kRunning, 10);
  expect_same(read_area(phys), vcpus[0].account.info());
  expect_same(read_area(va_page), va_before);
}

TEST_F(AreaTest, MisalignedOrPageCrossingPhysAreaIsRefusedWithEnxio) {
  Ipa page = guest.alloc();
  EXPECT_EQ(reg_phys(0, page + 4), error(Errno::enxio));
  EXPECT_EQ(reg_phys(0, page + (kPageSize - 40)), error(Errno::enxio));
  EXPECT_EQ(reg_phys(0, page + (kPageSize - 48)), 0);  // ends exactly at the boundary
  EXPECT_TRUE(log.contains("misaligned or crossing a page"));
}

TEST_F(AreaTest, PhysAreaOutsideRamOnMmioOrForeignPagesIsRefusedWithEinval) {
  guest.s2().map(Ipa(0x0900'0000), Pa(kMmioPa), kPageSize, {}, /*device=*/true);
  guest.s2().map(Ipa(0x8000'0000), neighbour_page, kPageSize);
  Pa hyp_page = machine.alloc(DomId::xen);
  guest.s2().map(Ipa(0x8000'1000), hyp_page, kPageSize);
  dom.space.s2 = guest.s2_regs();
  snapshot_outside();
  EXPECT_EQ(reg_phys(0, Ipa(0x1'0000'0000)), error(Errno::einval));  // not mapped by stage 2
  EXPECT_EQ(reg_phys(0, Ipa(0x0900'0000)), error(Errno::einval));    // MMIO
  EXPECT_EQ(reg_phys(0, Ipa(0x8000'0000)), error(Errno::einval));    // domain 2's page
  EXPECT_EQ(reg_phys(0, Ipa(0x8000'1000)), error(Errno::einval));    // the hypervisor's page
  EXPECT_EQ(machine.pinned_pages(), 0U);
  EXPECT_EQ(machine.read64(neighbour_page), 0x5555'5555'5555'5555U);
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, PhysAreaOnAStage2ReadOnlyPageIsRefusedWithEacces) {
  Ipa ro = Ipa(0x8000'2000);
  Pa backing = machine.alloc(guest.dom());
  guest.s2().map(ro, backing, kPageSize, model::S2Perms{true, false, false});
  dom.space.s2 = guest.s2_regs();
  EXPECT_EQ(reg_phys(0, ro), error(Errno::eacces));
}

// ---------------------------------------------------------------- bad VA input

TEST_F(AreaTest, UnmappedVaIsRefusedWithEfaultAndNothingIsRegistered) {
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x55'0000)), error(Errno::efault));
  EXPECT_FALSE(vcpus[0].area.va_registered());
  EXPECT_TRUE(log.contains("refused: no translation"));
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, KernelVaRegisteredFromUserModeContextIsRefusedWithEfault) {
  guest.map_kernel(0xf000);
  EXPECT_EQ(reg_va(0, user_ctx(), GuestSpace::kernel_va(0xf000)), error(Errno::efault));
}

TEST_F(AreaTest, Ttbr1VaWhileEpd1IsSetIsRefusedWithEfault) {
  guest.map_kernel(0xf000);
  auto ctx = kernel_ctx();
  ctx.tcr |= mmu::tcr::EPD1;
  EXPECT_EQ(reg_va(0, ctx, GuestSpace::kernel_va(0xf000)), error(Errno::efault));
}

TEST_F(AreaTest, AreaCrossingIntoAnUnmappedPageIsRefusedAndTheFirstPageIsNotLeftPinned) {
  guest.map_kernel(0x11000);  // 0x12000 stays unmapped
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x11000 + kPageSize - 16)), error(Errno::efault));
  EXPECT_EQ(machine.pinned_pages(), 0U);
}

TEST_F(AreaTest, AreaOnMmioIsRefusedWithEinval) {
  guest.s2().map(Ipa(0x0900'0000), Pa(kMmioPa), kPageSize, {}, /*device=*/true);
  dom.space.s2 = guest.s2_regs();
  guest.s1().map(GuestSpace::kernel_va(0x20'0000), Ipa(0x0900'0000), kPageSize, S1Attrs{.device = true});
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x20'0000)), error(Errno::einval));
  EXPECT_TRUE(log.contains("refused: not RAM"));
}

TEST_F(AreaTest, AreaOnAnotherDomainsPageIsRefusedAndThatPageIsUntouched) {
  guest.s2().map(Ipa(0x8000'0000), neighbour_page, kPageSize);
  dom.space.s2 = guest.s2_regs();
  guest.s1().map(GuestSpace::kernel_va(0x21'0000), Ipa(0x8000'0000), kPageSize);
  snapshot_outside();
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x21'0000)), error(Errno::einval));
  EXPECT_EQ(machine.read64(neighbour_page), 0x5555'5555'5555'5555U);
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(AreaTest, AreaOnAStage1ReadOnlyPageIsRefusedWithEfault) {
  guest.map_kernel(0x22000, kPageSize, S1Attrs{.read_only = true});
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x22000)), error(Errno::efault));
}

TEST_F(AreaTest, AreaOnAStage2ReadOnlyPageIsRefusedWithEacces) {
  Pa backing = machine.alloc(guest.dom());
  guest.s2().map(Ipa(0x8000'3000), backing, kPageSize, model::S2Perms{true, false, false});
  dom.space.s2 = guest.s2_regs();
  guest.s1().map(GuestSpace::kernel_va(0x23'0000), Ipa(0x8000'3000), kPageSize);
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x23'0000)), error(Errno::eacces));
}

TEST_F(AreaTest, ReRegistrationWhileTheAreaLockIsHeldAsksForARestartAndChangesNothing) {
  Ipa first = guest.map_kernel(0x24000);
  guest.map_kernel(0x25000);
  ASSERT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x24000)), 0);
  ASSERT_TRUE(vcpus[0].area.try_lock());  // another pCPU is in the middle of a release
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x25000)), error(Errno::erestart));
  EXPECT_EQ(reg_phys(0, guest.alloc()), error(Errno::erestart));
  EXPECT_EQ(machine.pinned_pages(), 1U);  // the new pages were not left pinned
  vcpus[0].area.unlock();
  vcpus[0].change(kRunning, 10);
  expect_same(read_area(first), vcpus[0].account.info());
  EXPECT_EQ(reg_va(0, kernel_ctx(), GuestSpace::kernel_va(0x25000)), 0);  // the restart succeeds
  EXPECT_EQ(machine.pinned_pages(), 1U);
}

// ---------------------------------------------------------------- the update protocol

// A writer updates the area continuously with records whose fields all derive from one counter;
// a reader on another thread uses Linux's loop (xen_get_runstate_snapshot_cpu_delta) and must
// never accept a record mixing two updates.
vcpu_runstate_info counter_record(u64 k) {
  vcpu_runstate_info r{};
  r.state_entry_time = k;
  for (unsigned i = 0; i < 4; ++i) {
    r.time[i] = k * 4 + i;
  }
  return r;
}

void run_torn_read_check(const RunstateArea::Mapping& m, bool flag, const u8* area) {
  write_runstate(m, counter_record(0), flag);  // a consistent record before the reader starts
  std::atomic<bool> stop{false};
  std::atomic<u64> accepted{0};
  std::atomic<u64> torn{0};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      vcpu_runstate_info snap{};
      u64 before = 0;
      u64 after = 0;
      do {
        before = __atomic_load_n(reinterpret_cast<const u64*>(area + 8), __ATOMIC_ACQUIRE);
        for (unsigned i = 0; i < kArea / 8; ++i) {
          u64 w = __atomic_load_n(reinterpret_cast<const u64*>(area) + i, __ATOMIC_RELAXED);
          std::memcpy(reinterpret_cast<u8*>(&snap) + 8 * i, &w, 8);
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        after = __atomic_load_n(reinterpret_cast<const u64*>(area + 8), __ATOMIC_RELAXED);
      } while (before != after || (before & xen::kRunstateUpdate) != 0);
      const vcpu_runstate_info want = counter_record(snap.state_entry_time);
      if (std::memcmp(snap.time, want.time, sizeof want.time) != 0) {
        torn.fetch_add(1);
      }
      accepted.fetch_add(1);
    }
  });
  // Keep writing until the reader has accepted plenty of records mid-stream (a thread may take
  // a while to start on a loaded machine); the bound only guards against a reader that hangs.
  u64 k = 1;
  for (; k < 200'000'000 && (k < 200'000 || accepted.load(std::memory_order_relaxed) < 20'000); ++k) {
    write_runstate(m, counter_record(k), flag);
  }
  stop = true;
  reader.join();
  EXPECT_GE(accepted.load(), 20'000U) << "after " << k << " updates";
  EXPECT_EQ(torn.load(), 0U) << "of " << accepted.load() << " accepted reads";
}

TEST(RunstateUpdateProtocol, LinuxReaderNeverAcceptsATornRecordWhenTheFlagIsUsed) {
  alignas(64) static u8 area[kArea] = {};
  RunstateArea::Mapping m;
  m.ptr[0] = area;
  m.len0 = kArea;
  run_torn_read_check(m, true, area);
}

TEST(RunstateUpdateProtocol, FlagIsClearAfterEveryCompleteUpdate) {
  alignas(64) u8 page[2 * kPageSize] = {};
  for (u32 len0 : {kArea, 24U, 20U}) {  // one page; split at a word; split mid-word
    RunstateArea::Mapping m;
    m.ptr[0] = page + kPageSize - len0;
    m.ptr[1] = page + kPageSize + 512;
    m.len0 = len0;
    vcpu_runstate_info r{};
    r.state_entry_time = 0x0123'4567'89ab'cdefULL;
    write_runstate(m, r, true);
    u8 top = len0 > 15 ? m.ptr[0][15] : m.ptr[1][15 - len0];
    EXPECT_EQ(top, 0x01) << "len0=" << len0;
  }
}

TEST_F(AreaTest, PhysAreasUseTheUpdateFlagEvenWithoutTheVmAssist) {
  ASSERT_FALSE(dom.update_flag);
  Ipa ipa = guest.alloc();
  ASSERT_EQ(reg_phys(0, ipa), 0);
  // Observe the protocol from a concurrent reader through the same pinned page.
  u8* area = machine.map(guest.pa(ipa));
  RunstateArea::Mapping m;
  m.ptr[0] = area;
  m.len0 = kArea;
  run_torn_read_check(m, true, area);
  vcpus[0].change(kRunning, 10);
  EXPECT_EQ(read_area(ipa).state_entry_time & xen::kRunstateUpdate, 0U);
}

// ---------------------------------------------------------------- hypercall decoding

class VcpuOpTest : public AreaTest {
 protected:
  long op(xen::VcpuOp cmd, u32 vcpuid, Va arg, u64 now = 0) {
    VcpuRunstate* const all[2] = {&vcpus[0], &vcpus[1]};
    RunstateVcpus d{&dom, all, 2};
    return runstate_vcpu_op(d, 0, kernel_ctx(), static_cast<u32>(cmd), vcpuid, arg, now);
  }
  // Puts an argument struct in a fresh kernel page and returns its VA.
  Va arg_with(u64 addr) {
    Ipa page = guest.map_kernel(next_arg_);
    machine.write64(guest.pa(page), addr);
    Va va = GuestSpace::kernel_va(next_arg_);
    next_arg_ += kPageSize;
    return va;
  }
  u64 next_arg_ = 0x40'0000;
};

TEST_F(VcpuOpTest, RegisterRunstateMemoryAreaThroughTheHypercall) {
  Ipa area = guest.map_kernel(0x30000);
  vcpus[1].change(kRunnable, 5);
  EXPECT_EQ(op(xen::VcpuOp::register_runstate_memory_area, 1, arg_with(GuestSpace::kernel_va(0x30000).raw())), 0);
  expect_same(read_area(area), vcpus[1].account.info());
}

TEST_F(VcpuOpTest, RegisterRunstatePhysAreaThroughTheHypercall) {
  Ipa area = guest.alloc();
  EXPECT_EQ(op(xen::VcpuOp::register_runstate_phys_area, 0, arg_with(area.raw())), 0);
  EXPECT_EQ(vcpus[0].area.pinned_frames(), 1U);
}

TEST_F(VcpuOpTest, UnknownVcpuIdGetsEnoent) {
  EXPECT_EQ(op(xen::VcpuOp::register_runstate_memory_area, 2, arg_with(0)), error(Errno::enoent));
  EXPECT_EQ(op(xen::VcpuOp::register_runstate_phys_area, 0xffff'ffff, arg_with(0)), error(Errno::enoent));
  EXPECT_TRUE(log.contains("no such vcpu"));
}

TEST_F(VcpuOpTest, NullOrUnmappedArgumentPointerGetsEfault) {
  EXPECT_EQ(op(xen::VcpuOp::register_runstate_memory_area, 0, Va(0)), error(Errno::efault));
  EXPECT_EQ(op(xen::VcpuOp::register_runstate_phys_area, 0, GuestSpace::kernel_va(0x66'0000)), error(Errno::efault));
  EXPECT_EQ(op(xen::VcpuOp::get_runstate_info, 0, Va(0x10)), error(Errno::efault));
  EXPECT_TRUE(log.contains("bad argument pointer"));
  EXPECT_TRUE(nothing_outside_changed());
}

TEST_F(VcpuOpTest, GetRunstateInfoCopiesTheRecordWithTheCurrentStateFoldedIn) {
  vcpus[1].change(kRunning, 100);
  Ipa out = guest.map_kernel(0x31000);
  EXPECT_EQ(op(xen::VcpuOp::get_runstate_info, 1, GuestSpace::kernel_va(0x31000), 250), 0);
  auto r = read_area(out);
  EXPECT_EQ(r.state, static_cast<i32>(kRunning));
  EXPECT_EQ(r.time[static_cast<int>(kRunning)], 150U);
  EXPECT_EQ(r.time[static_cast<int>(RunstateState::offline)], 100U);
}

TEST_F(VcpuOpTest, OtherSubOpsAreLeftToTheCaller) { EXPECT_EQ(op(xen::VcpuOp::up, 0, Va(0)), error(Errno::enosys)); }

TEST(VmAssist, RunstateUpdateFlagCanBeEnabledAndDisabledAndOtherTypesAreInvalid) {
  RunstateDomain d;
  EXPECT_EQ(runstate_vm_assist(d, 0, xen::kVmAssistRunstateUpdateFlag), 0);
  EXPECT_TRUE(d.update_flag);
  EXPECT_EQ(runstate_vm_assist(d, 1, xen::kVmAssistRunstateUpdateFlag), 0);
  EXPECT_FALSE(d.update_flag);
  EXPECT_EQ(runstate_vm_assist(d, 0, 3), error(Errno::einval));
  EXPECT_EQ(runstate_vm_assist(d, 7, xen::kVmAssistRunstateUpdateFlag), error(Errno::enosys));
}

}  // namespace
}  // namespace runhv
