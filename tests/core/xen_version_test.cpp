// xen_version and event_channel_op's guest-memory path, over the machine model
// SPDX-License-Identifier: MIT
#include "core/xen_version.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "core/evtchn_call.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;
using xen::Errno;
using xen::error;

// Domain 1 with a kernel data page at kernel_va(0) and a neighbour's page mapped at
// kernel_va(0x1000) (stage 2 lets the guest reach it; the hypervisor must not write it for d1).
class GuestCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data = guest.map_kernel(0);
    neighbour = machine.alloc(xen::domid(2));
    guest.s2().map(Ipa(0x8000'0000), neighbour, kPageSize);
    guest.s1().map(GuestSpace::kernel_va(0x1000), Ipa(0x8000'0000), kPageSize);
    space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
    outside = machine.fingerprint_outside(guest.dom());
  }
  GuestCall call() { return GuestCall{space, guest.s1_regs(), budget, 1, 0}; }
  void TearDown() override { EXPECT_EQ(machine.fingerprint_outside(guest.dom()), outside); }

  model::Machine machine;
  GuestSpace guest{machine};
  Ipa data;
  Pa neighbour;
  DomainSpace space;
  LogBudget budget;
  u64 outside = 0;
};

TEST_F(GuestCallTest, VersionIs4Point19AndPagesAre4KiB) {
  EXPECT_EQ(xen_version_op(call(), 0, 0), (4 << 16) | 19);
  EXPECT_EQ(xen_version_op(call(), 7, 0), 4096);
}

TEST_F(GuestCallTest, CommandIsAnIntAsInXen) {
  EXPECT_EQ(xen_version_op(call(), u64{1} << 32, 0), (4 << 16) | 19);  // the upper half is not looked at
}

TEST_F(GuestCallTest, ExtraVersionLandsAtTheArgument) {
  ASSERT_EQ(xen_version_op(call(), 1, GuestSpace::kernel_va(100).raw()), 0);
  char got[16] = {};
  machine.read_bytes(guest.pa(data) + 100, got, sizeof got);
  EXPECT_STREQ(got, ".0-runhv");
}

TEST_F(GuestCallTest, FeaturesOfSubmap0) {
  machine.write64(guest.pa(data) + 8, 0xFFFF'FFFF'0000'0000);  // submap_idx 0, submap junk
  ASSERT_EQ(xen_version_op(call(), 6, GuestSpace::kernel_va(8).raw()), 0);
  const u64 fi = machine.read64(guest.pa(data) + 8);
  EXPECT_EQ(fi & 0xFFFF'FFFF, 0U);
  // XENFEAT_writable_page_tables 0, auto_translated_physmap 2, memory_op_vnode_supported 13,
  // arm_smccc_supported 14, not_direct_mapped 16, runstate_phys_area 18 (xen/include/public/features.h)
  EXPECT_EQ(fi >> 32, (1U << 0) | (1U << 2) | (1U << 13) | (1U << 14) | (1U << 16) | (1U << 18));
}

TEST_F(GuestCallTest, FeaturesOfAnotherSubmapAreEinval) {
  machine.write64(guest.pa(data) + 8, 1);
  EXPECT_EQ(xen_version_op(call(), 6, GuestSpace::kernel_va(8).raw()), error(Errno::einval));
  EXPECT_EQ(machine.read64(guest.pa(data) + 8), 1U);
}

TEST_F(GuestCallTest, PointersOutsideTheCallersRamAreEfault) {
  EXPECT_EQ(xen_version_op(call(), 1, GuestSpace::kernel_va(0x1000).raw()), error(Errno::efault));  // d2's page
  EXPECT_EQ(xen_version_op(call(), 1, GuestSpace::kernel_va(0x5000).raw()), error(Errno::efault));  // unmapped
  EXPECT_EQ(xen_version_op(call(), 6, 0), error(Errno::efault));
}

TEST_F(GuestCallTest, UnknownVersionCommandIsEnosys) { EXPECT_EQ(xen_version_op(call(), 2, 0), error(Errno::enosys)); }

TEST_F(GuestCallTest, EventChannelArgumentInAndOut) {
  // EVTCHNOP_bind_ipi {u32 vcpu; u32 port (OUT)} at kernel_va(64): the result comes back.
  machine.write64(guest.pa(data) + 64, 0xAAAA'AAAA'0000'0000);
  u32 seen_vcpu = 99;
  const long rc = evtchn_guest_op(call(), 7, GuestSpace::kernel_va(64), [&seen_vcpu](void* arg) {
    auto* a = static_cast<xen::evtchn_bind_ipi*>(arg);
    seen_vcpu = a->vcpu;
    a->port = 5;
    return 0L;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(seen_vcpu, 0U);
  EXPECT_EQ(machine.read64(guest.pa(data) + 64), u64{5} << 32);
}

TEST_F(GuestCallTest, EventChannelFailureCopiesNothingBack) {
  machine.write64(guest.pa(data) + 64, 0xAAAA'AAAA'0000'0000);
  const long rc = evtchn_guest_op(call(), 7, GuestSpace::kernel_va(64), [](void* arg) {
    static_cast<xen::evtchn_bind_ipi*>(arg)->port = 5;
    return error(Errno::einval);
  });
  EXPECT_EQ(rc, error(Errno::einval));
  EXPECT_EQ(machine.read64(guest.pa(data) + 64), 0xAAAA'AAAA'0000'0000);
}

TEST_F(GuestCallTest, EventChannelUnknownCommandReadsNothing) {
  bool ran = false;
  EXPECT_EQ(evtchn_guest_op(call(), 99, Va(0),
                            [&ran](void*) {
                              ran = true;
                              return 0L;
                            }),
            error(Errno::enosys));
  EXPECT_FALSE(ran);
}

TEST_F(GuestCallTest, EventChannelBadPointerIsEfaultAndRunsNothing) {
  bool ran = false;
  EXPECT_EQ(evtchn_guest_op(call(), 7, GuestSpace::kernel_va(0x1000),
                            [&ran](void*) {
                              ran = true;
                              return 0L;
                            }),
            error(Errno::efault));
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace runhv
