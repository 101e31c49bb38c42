// model::Machine: the hypervisor's view with read-only pages, snapshot and restore
// SPDX-License-Identifier: MIT
#include "model/machine.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace runhv::model {
namespace {

TEST(Machine, MapAndAccessorsSeeTheSameBytes) {
  Machine m;
  const Pa pa = m.alloc(xen::domid(1));
  m.write64(pa + 8, 0x1122'3344'5566'7788);
  EXPECT_EQ(m.map(pa)[8], 0x88);
  m.map(pa)[16] = 0x5A;
  EXPECT_EQ(m.read64(pa + 16), 0x5AU);
}

TEST(Machine, ReadOnlyPageInTheHypervisorsViewFaultsOnAWrite) {
  Machine m;
  const Pa pa = m.alloc(xen::domid(1));
  m.set_hypervisor_writable(pa, false);
  EXPECT_FALSE(m.hypervisor_writable(pa));
  EXPECT_EQ(m.map(pa)[0], 0);  // still readable
  m.write64(pa, 7);            // the model's own accessors still write
  EXPECT_EQ(m.map(pa)[0], 7);
  EXPECT_EXIT({ m.map(pa)[1] = 1; }, testing::KilledBySignal(SIGSEGV), "");
  m.set_hypervisor_writable(pa, true);
  m.map(pa)[1] = 1;
  EXPECT_EQ(m.read64(pa), 0x107U);
}

TEST(Machine, RestoreBringsBackBytesFramesAndProtection) {
  Machine m;
  const Pa a = m.alloc(xen::domid(1));
  const Pa b = m.alloc(DomId::xen);
  m.write64(a, 1);
  m.set_hypervisor_writable(b, false);
  m.snapshot();

  m.write64(a, 2);
  m.map(a)[8] = 9;  // through the hypervisor's view
  ASSERT_TRUE(m.frame(a)->try_pin(xen::domid(1)));
  (void)m.frame(a)->release();
  m.set_hypervisor_writable(b, true);
  const Pa c = m.alloc(xen::domid(2));
  EXPECT_EQ(m.ram_pages(), 3U);

  m.restore();
  EXPECT_EQ(m.read64(a), 1U);
  EXPECT_EQ(m.read64(a + 8), 0U);
  EXPECT_EQ(m.frame(a)->owner(), xen::domid(1));
  EXPECT_EQ(m.frame(a)->pins(), 0U);
  EXPECT_FALSE(m.frame(a)->released());
  EXPECT_FALSE(m.hypervisor_writable(b));
  EXPECT_EQ(m.ram_pages(), 2U);
  EXPECT_EQ(m.frame(c), nullptr);        // added after the snapshot: gone
  EXPECT_EQ(m.alloc(xen::domid(2)), c);  // and its slot comes back zeroed
  EXPECT_EQ(m.read64(c), 0U);
}

TEST(Machine, FramePointersStayValidAsPagesAreAdded) {
  Machine m;
  const Pa first = m.alloc(xen::domid(1));
  Frame* f = m.frame(first);
  for (int i = 0; i < 5000; ++i) {
    (void)m.alloc(xen::domid(1));
  }
  EXPECT_EQ(m.frame(first), f);
}

TEST(Machine, PagesBelowTheFirstAndFarAboveAreFound) {
  Machine m;
  m.add_ram(Pa(0x8000'0000), xen::domid(1));
  m.add_ram(Pa(0x4000'0000), xen::domid(2));
  m.add_ram(Pa(0x1'0000'0000), xen::domid(3));
  EXPECT_EQ(m.frame(Pa(0x8000'0123))->owner(), xen::domid(1));
  EXPECT_EQ(m.frame(Pa(0x4000'0fff))->owner(), xen::domid(2));
  EXPECT_EQ(m.frame(Pa(0x1'0000'0008))->owner(), xen::domid(3));
  EXPECT_EQ(m.frame(Pa(0x4000'1000)), nullptr);
  EXPECT_EQ(m.frame(Pa(0x3fff'f000)), nullptr);
}

}  // namespace
}  // namespace runhv::model
