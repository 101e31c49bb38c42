// The vGICv3: the registers Linux 6.1's irq-gic-v3.c touches, SGIs, routing and the list-register
// exchange
// SPDX-License-Identifier: MIT
#include "core/vgic.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/guest_layout.hpp"

namespace runhv {
namespace {

using namespace gicv3;

constinit Vgic g_constant_initialised;  // lives in a Domain: must need no constructor code

// A domain's vGIC with `vcpus` vCPUs on a bus at the guest layout's addresses.
class VgicTest : public ::testing::Test {
 protected:
  void SetUp() override { make(4); }

  void make(u32 vcpus) {
    bus = MmioBus{};
    ASSERT_TRUE(g.reset(vcpus));
    ASSERT_TRUE(bus.add(Ipa(kGuestLayout.gicd.base), Vgic::kDistSize, g.distributor(), "gicd"));
    ASSERT_TRUE(bus.add(Ipa(kGuestLayout.gicr.base), g.redistributors_size(), g.redistributors(), "gicr"));
  }

  // A guest access through the bus: the outcome and, for a load, the value.
  MmioOutcome access(u64 ipa, u8 bytes, bool write, u64& data) {
    MmioAccess a{.ipa = Ipa(ipa), .bytes = bytes, .write = write, .data = data};
    const MmioOutcome o = bus.dispatch(a);
    data = a.data;
    return o;
  }
  u64 gicd_read(u64 off, u8 bytes = 4) {
    u64 v = 0xDEAD;
    EXPECT_EQ(access(kGuestLayout.gicd.base + off, bytes, false, v), MmioOutcome::done) << std::hex << off;
    return v;
  }
  void gicd_write(u64 off, u64 v, u8 bytes = 4) {
    EXPECT_EQ(access(kGuestLayout.gicd.base + off, bytes, true, v), MmioOutcome::done) << std::hex << off;
  }
  static u64 rd_base(u32 vcpu) { return kGuestLayout.gicr.base + vcpu * kGuestLayout.gicr_stride; }
  static u64 sgi_base(u32 vcpu) { return rd_base(vcpu) + kGicrSgiBase; }
  u64 read_at(u64 ipa, u8 bytes = 4) {
    u64 v = 0xDEAD;
    EXPECT_EQ(access(ipa, bytes, false, v), MmioOutcome::done) << std::hex << ipa;
    return v;
  }
  void write_at(u64 ipa, u64 v, u8 bytes = 4) {
    EXPECT_EQ(access(ipa, bytes, true, v), MmioOutcome::done) << std::hex << ipa;
  }
  MmioOutcome try_read(u64 ipa, u8 bytes) {
    u64 v = 0;
    return access(ipa, bytes, false, v);
  }
  MmioOutcome try_write(u64 ipa, u8 bytes, u64 v = ~u64{0}) { return access(ipa, bytes, true, v); }

  // What Linux's gic_dist_init() and gic_cpu_init() leave: groups 1, everything enabled that the
  // test enables, distributor on.
  void linux_boot() {
    gicd_write(kGicdCtlr, 0);
    gicd_write(kGicdCtlr, kCtlrAre | kCtlrEnableGrp1 | kCtlrEnableGrp0);  // ARE_NS | G1A | G1
    for (u32 v = 0; v < g.vcpu_count(); ++v) {
      write_at(sgi_base(v) + kGicdIgroupr, ~u32{0});
    }
  }
  void enable(u32 vcpu, u32 intid) {
    if (intid < 32) {
      write_at(sgi_base(vcpu) + kGicdIsenabler, u32{1} << intid);
    } else {
      gicd_write(kGicdIsenabler + 4 * (intid / 32), u32{1} << (intid % 32));
    }
  }
  void priority(u32 vcpu, u32 intid, u8 prio) {
    if (intid < 32) {
      write_at(sgi_base(vcpu) + kGicdIpriorityr + intid, prio, 1);
    } else {
      gicd_write(kGicdIpriorityr + intid, prio, 1);
    }
  }
  std::vector<LrEntry> fill(u32 vcpu, u32 max = 4) {
    std::vector<LrEntry> out(max);
    out.resize(g.fill(vcpu, out.data(), max));
    return out;
  }
  void sync(u32 vcpu, const std::vector<LrEntry>& lrs) { g.sync(vcpu, lrs.data(), static_cast<u32>(lrs.size())); }
  // The guest acknowledges LR `k` (pending -> active) / EOIs it (-> gone).
  static void ack(std::vector<LrEntry>& lrs, size_t k) {
    lrs[k].pending = false;
    lrs[k].active = true;
  }
  static void eoi(std::vector<LrEntry>& lrs, size_t k) { lrs.erase(lrs.begin() + static_cast<long>(k)); }
  static std::vector<u32> ids(const std::vector<LrEntry>& lrs) {
    std::vector<u32> r;
    for (const LrEntry& e : lrs) {
      r.push_back(e.intid);
    }
    return r;
  }

  Vgic g;
  MmioBus bus;
};

// What Linux's gic_send_sgi() writes to ICC_SGI1R_EL1 for the CPUs of one cluster (every target
// shares `cluster_mpidr`'s Aff3.Aff2.Aff1; `tlist` holds bit Aff0 % 16 of each).
u64 linux_sgi1r(u64 cluster_mpidr, u16 tlist, u32 sgi) {
  const u64 aff1 = bits(cluster_mpidr, 15, 8);
  const u64 aff2 = bits(cluster_mpidr, 23, 16);
  const u64 aff3 = bits(cluster_mpidr, 39, 32);
  const u64 rs = bits(cluster_mpidr, 7, 4);
  return (aff3 << 48) | (rs << 44) | (aff2 << 32) | (u64{sgi} << 24) | (aff1 << 16) | tlist;
}

// ---- construction and reset

TEST(VgicBasics, ConstantInitialisedHasNoVcpusAndRefusesEverything) {
  EXPECT_EQ(g_constant_initialised.vcpu_count(), 0U);
  u64 v = 0;
  EXPECT_FALSE(g_constant_initialised.distributor().read(kGicdCtlr, 4, v));
  EXPECT_FALSE(g_constant_initialised.redistributors().read(kGicrTyper, 8, v));
  EXPECT_EQ(g_constant_initialised.set_pending(0, 1), kNoVcpu);
  EXPECT_EQ(g_constant_initialised.set_level(32, true), kNoVcpu);
  EXPECT_FALSE(g_constant_initialised.has_pending(0));
}

TEST(VgicBasics, ResetRefusesZeroOrTooManyVcpus) {
  Vgic g;
  EXPECT_FALSE(g.reset(0));
  EXPECT_FALSE(g.reset(kMaxVcpusPerDomain + 1));
  EXPECT_TRUE(g.reset(kMaxVcpusPerDomain));
  EXPECT_EQ(g.redistributors_size(), kMaxVcpusPerDomain * kGuestLayout.gicr_stride);
}

TEST_F(VgicTest, ResetState) {
  for (u32 id = 0; id < Vgic::kIntids; ++id) {
    const VgicIrq* i = g.irq(1, id);
    ASSERT_NE(i, nullptr);
    EXPECT_FALSE(i->enabled);
    EXPECT_FALSE(i->pending());
    EXPECT_FALSE(i->active);
    EXPECT_TRUE(i->group1);
    EXPECT_EQ(i->priority, 0);
    EXPECT_EQ(i->edge, id < 16) << id;
  }
  EXPECT_EQ(g.irq(4, 0), nullptr);
  EXPECT_EQ(g.irq(0, Vgic::kIntids), nullptr);
}

// ---- distributor identification and control

TEST_F(VgicTest, Pidr2ReportsArchRev3InDistributorAndEveryRedistributor) {
  EXPECT_EQ((gicd_read(kPidr2) >> 4) & 0xF, 3U);
  for (u32 v = 0; v < 4; ++v) {
    EXPECT_EQ((read_at(rd_base(v) + kPidr2) >> 4) & 0xF, 3U);
  }
  EXPECT_EQ(gicd_read(0xFFE0), 0U);  // PIDR0: RAZ
}

TEST_F(VgicTest, CtlrHasAreAndDsAndTheGroupEnablesLinuxWrites) {
  EXPECT_EQ(gicd_read(kGicdCtlr), kCtlrAre | kCtlrDs);
  gicd_write(kGicdCtlr, 0);
  EXPECT_EQ(gicd_read(kGicdCtlr) & kCtlrRwp, 0U);  // Linux polls RWP
  gicd_write(kGicdCtlr, 0x13);                     // ARE_NS | ENABLE_G1A | ENABLE_G1
  EXPECT_EQ(gicd_read(kGicdCtlr), kCtlrAre | kCtlrDs | kCtlrEnableGrp0 | kCtlrEnableGrp1);
  gicd_write(kGicdCtlr, 0);  // ARE cannot be cleared
  EXPECT_EQ(gicd_read(kGicdCtlr), kCtlrAre | kCtlrDs);
}

TEST_F(VgicTest, TyperDescribesSpisIdBitsAndNoLpis) {
  const u64 typer = gicd_read(kGicdTyper);
  EXPECT_EQ(bits(typer, 4, 0), 1U);  // 64 INTIDs
  EXPECT_EQ(32 * (bits(typer, 4, 0) + 1), Vgic::kIntids);
  EXPECT_EQ(bits(typer, 7, 5), 3U);    // 4 vCPUs
  EXPECT_EQ(bits(typer, 23, 19), 9U);  // 10 INTID bits
  EXPECT_FALSE(bit(typer, 16));        // MBIS
  EXPECT_FALSE(bit(typer, 17));        // LPIS
  EXPECT_FALSE(bit(typer, 24));        // A3V
  EXPECT_FALSE(bit(typer, 26));        // RSS
  EXPECT_EQ(gicd_read(kGicdTyper2), 0U);
  EXPECT_EQ(gicd_read(kGicdIidr), kIidrValue);
  gicd_write(kGicdTyper, 0);  // read-only
  EXPECT_EQ(gicd_read(kGicdTyper), typer);
}

TEST_F(VgicTest, TyperCpuNumberSaturatesAtEight) {
  make(8);
  EXPECT_EQ(bits(gicd_read(kGicdTyper), 7, 5), 7U);
}

// ---- distributor SPI registers

TEST_F(VgicTest, SpiEnableSetAndClear) {
  gicd_write(kGicdIsenabler + 4, 0x0000'0005);  // SPIs 32 and 34
  EXPECT_TRUE(g.irq(0, 32)->enabled);
  EXPECT_FALSE(g.irq(0, 33)->enabled);
  EXPECT_TRUE(g.irq(0, 34)->enabled);
  EXPECT_EQ(gicd_read(kGicdIsenabler + 4), 5U);
  EXPECT_EQ(gicd_read(kGicdIcenabler + 4), 5U);
  gicd_write(kGicdIcenabler + 4, 0x0000'0001);
  EXPECT_EQ(gicd_read(kGicdIsenabler + 4), 4U);
  gicd_write(kGicdIcenabler + 4, ~u32{0});  // what Linux does at init
  EXPECT_EQ(gicd_read(kGicdIsenabler + 4), 0U);
}

TEST_F(VgicTest, SpiGroupPendingAndActiveRegisters) {
  gicd_write(kGicdIgroupr + 4, 0);
  EXPECT_FALSE(g.irq(0, 40)->group1);
  gicd_write(kGicdIgroupr + 4, ~u32{0});  // Linux: every SPI group 1
  EXPECT_EQ(gicd_read(kGicdIgroupr + 4), ~u32{0});
  gicd_write(kGicdIspendr + 4, 1U << 3);
  EXPECT_TRUE(g.irq(0, 35)->pending());
  EXPECT_EQ(gicd_read(kGicdIcpendr + 4), 1U << 3);
  gicd_write(kGicdIcpendr + 4, ~u32{0});
  EXPECT_EQ(gicd_read(kGicdIspendr + 4), 0U);
  gicd_write(kGicdIsactiver + 4, 1U << 9);
  EXPECT_TRUE(g.irq(0, 41)->active);
  EXPECT_EQ(gicd_read(kGicdIcactiver + 4), 1U << 9);
  gicd_write(kGicdIcactiver + 4, ~u32{0});  // Linux deactivates everything at init
  EXPECT_EQ(gicd_read(kGicdIsactiver + 4), 0U);
}

TEST_F(VgicTest, DistributorPrivateRegistersAreRazWiWithAre) {
  for (u64 base :
       {kGicdIgroupr, kGicdIsenabler, kGicdIcenabler, kGicdIspendr, kGicdIcpendr, kGicdIsactiver, kGicdIcactiver}) {
    gicd_write(base, ~u32{0});
    EXPECT_EQ(gicd_read(base), 0U) << std::hex << base;
  }
  gicd_write(kGicdIpriorityr, 0xA0A0'A0A0);
  EXPECT_EQ(gicd_read(kGicdIpriorityr), 0U);
  gicd_write(kGicdIcfgr + 4, 0);
  EXPECT_EQ(gicd_read(kGicdIcfgr + 4), 0U);
  gicd_write(kGicdIrouter + 8 * 5, 1, 8);
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 5, 8), 0U);
  for (u32 id = 0; id < 32; ++id) {
    EXPECT_FALSE(g.irq(0, id)->enabled);
    EXPECT_TRUE(g.irq(0, id)->group1);
    EXPECT_EQ(g.irq(0, id)->priority, 0);
  }
}

TEST_F(VgicTest, RegistersPastTheLastSpiAreRazWi) {
  gicd_write(kGicdIsenabler + 8, ~u32{0});  // INTIDs 64..95
  EXPECT_EQ(gicd_read(kGicdIsenabler + 8), 0U);
  gicd_write(kGicdIpriorityr + 64, 0xFF, 1);
  EXPECT_EQ(gicd_read(kGicdIpriorityr + 64, 1), 0U);
  gicd_write(kGicdIrouter + 8 * 64, 1, 8);
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 64, 8), 0U);
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 1019, 8), 0U);
}

TEST_F(VgicTest, PriorityByteAndWordAccesses) {
  // Linux writes each SPI's priority with a byte store (writeb_relaxed) and sets defaults by word.
  gicd_write(kGicdIpriorityr + 32, 0xA0A0'A0A0);
  EXPECT_EQ(gicd_read(kGicdIpriorityr + 32), 0xA0A0'A0A0U);
  gicd_write(kGicdIpriorityr + 33, 0x80, 1);
  EXPECT_EQ(gicd_read(kGicdIpriorityr + 32), 0xA0A0'80A0U);
  EXPECT_EQ(gicd_read(kGicdIpriorityr + 33, 1), 0x80U);
  EXPECT_EQ(g.irq(0, 33)->priority, 0x80);
  EXPECT_EQ(g.irq(0, 32)->priority, 0xA0);
  gicd_write(kGicdIpriorityr + 63, 0x10, 1);  // the last SPI
  EXPECT_EQ(g.irq(0, 63)->priority, 0x10);
}

TEST_F(VgicTest, SpiConfigEdgeAndLevel) {
  EXPECT_EQ(gicd_read(kGicdIcfgr + 8), 0U);  // SPIs 32..47 reset level-sensitive
  gicd_write(kGicdIcfgr + 8, 0x2 << 2);      // SPI 33 edge
  EXPECT_TRUE(g.irq(0, 33)->edge);
  EXPECT_FALSE(g.irq(0, 32)->edge);
  EXPECT_EQ(gicd_read(kGicdIcfgr + 8), 0x8U);
  gicd_write(kGicdIcfgr + 12, 0xFFFF'FFFF);  // SPIs 48..63; the odd bits are RES0
  EXPECT_EQ(gicd_read(kGicdIcfgr + 12), 0xAAAA'AAAAU);
  gicd_write(kGicdIcfgr + 8, 0);  // Linux: every SPI level-triggered
  EXPECT_FALSE(g.irq(0, 33)->edge);
}

TEST_F(VgicTest, IgrpmodrNsacrItargetsrAndGicv2SgiRegistersAreRazWi) {
  gicd_write(kGicdIgrpmodr + 4, ~u32{0});
  EXPECT_EQ(gicd_read(kGicdIgrpmodr + 4), 0U);
  gicd_write(kGicdNsacr + 8, ~u32{0});
  EXPECT_EQ(gicd_read(kGicdNsacr + 8), 0U);
  gicd_write(kGicdItargetsr + 32, 0xFF, 1);
  EXPECT_EQ(gicd_read(kGicdItargetsr + 32, 1), 0U);
  gicd_write(kGicdSgir, 0x0001'0001);
  EXPECT_EQ(gicd_read(kGicdSpendsgir, 1), 0U);
  for (u32 v = 0; v < 4; ++v) {
    EXPECT_FALSE(g.irq(v, 1)->pending());
  }
}

TEST_F(VgicTest, IrouterSixtyFourBitAndHalves) {
  // Linux: gic_write_irouter(affinity, GICD_IROUTER + i * 8) with a 64-bit writeq.
  gicd_write(kGicdIrouter + 8 * 40, vcpu_affinity(3), 8);
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 40, 8), vcpu_affinity(3));
  EXPECT_EQ(g.spi_target(40), 3U);
  gicd_write(kGicdIrouter + 8 * 40 + 4, 0);  // the upper half alone
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 40, 8), vcpu_affinity(3));
  gicd_write(kGicdIrouter + 8 * 40, 2);  // the lower half alone
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 40), 2U);
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 40 + 4), 0U);
  EXPECT_EQ(g.spi_target(40), 2U);
  // Aff3 is RES0 (A3V = 0); the reserved bits do not stick.
  gicd_write(kGicdIrouter + 8 * 40, ~u64{0}, 8);
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 40, 8), kIrouterIrm | 0xFF'FFFF);
}

TEST_F(VgicTest, IrouterRoutesByAffinityIrmToVcpu0AndUnmatchedToNobody) {
  make(8);
  EXPECT_EQ(g.spi_target(32), 0U);  // reset: 0.0.0.0
  gicd_write(kGicdIrouter + 8 * 32, vcpu_affinity(7), 8);
  EXPECT_EQ(g.spi_target(32), 7U);
  gicd_write(kGicdIrouter + 8 * 32, kIrouterIrm | vcpu_affinity(5), 8);
  EXPECT_EQ(g.spi_target(32), 0U);
  gicd_write(kGicdIrouter + 8 * 32, vcpu_affinity(8), 8);  // no such vCPU: stored, delivers to nobody
  EXPECT_EQ(gicd_read(kGicdIrouter + 8 * 32, 8), vcpu_affinity(8));
  EXPECT_EQ(g.spi_target(32), kNoVcpu);
  gicd_write(kGicdIrouter + 8 * 32, 0x01'0000, 8);  // Aff2 = 1
  EXPECT_EQ(g.spi_target(32), kNoVcpu);
  linux_boot();
  enable(0, 32);
  EXPECT_EQ(g.set_level(32, true), kNoVcpu);
  (void)g.take_kicks();
  for (u32 v = 0; v < 8; ++v) {
    EXPECT_FALSE(g.has_pending(v));
    EXPECT_TRUE(fill(v).empty());
  }
  gicd_write(kGicdIrouter + 8 * 32, vcpu_affinity(6), 8);  // rerouted: now delivered there
  EXPECT_EQ(g.take_kicks(), 1U << 6);
  EXPECT_TRUE(g.has_pending(6));
}

TEST_F(VgicTest, ReservedSpaceIsRazWi) {
  for (u64 off : {u64{0x0010}, u64{0x0040}, u64{0x0F00}, u64{0x0F80}, u64{0x5000}, u64{0xC000}, u64{0xFFFC}}) {
    gicd_write(off, ~u64{0});
    EXPECT_EQ(gicd_read(off), 0U) << std::hex << off;
  }
  gicd_write(0x5000, ~u64{0}, 8);
  EXPECT_EQ(gicd_read(0x5000, 8), 0U);
}

// ---- widths

TEST_F(VgicTest, DistributorRefusesWidthsTheRegisterDoesNotAllow) {
  const u64 d = kGuestLayout.gicd.base;
  EXPECT_EQ(try_read(d + kGicdCtlr, 8), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdCtlr, 8), MmioOutcome::refused);
  EXPECT_EQ(try_read(d + kGicdTyper, 2), MmioOutcome::refused);
  EXPECT_EQ(try_read(d + kGicdCtlr, 1), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdIsenabler + 4, 1), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdIsenabler + 4, 8), MmioOutcome::refused);
  EXPECT_EQ(try_read(d + kGicdIcfgr + 8, 1), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdIpriorityr + 32, 2), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdIpriorityr + 32, 8), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdIpriorityr + 33, 4), MmioOutcome::refused);  // misaligned word
  EXPECT_EQ(try_write(d + kGicdIrouter + 8 * 32, 1), MmioOutcome::refused);
  EXPECT_EQ(try_write(d + kGicdIrouter + 8 * 32 + 4, 8), MmioOutcome::refused);  // misaligned
  EXPECT_EQ(try_read(d + kPidr2, 8), MmioOutcome::refused);
  EXPECT_EQ(try_read(d + 0x5000, 1), MmioOutcome::refused);  // reserved: 32/64-bit only
  EXPECT_EQ(g.irq(0, 32)->enabled, false);
  EXPECT_EQ(g.irq(0, 32)->priority, 0);
  EXPECT_EQ(g.irouter(32), 0U);
}

TEST_F(VgicTest, RedistributorRefusesWidthsTheRegisterDoesNotAllow) {
  EXPECT_EQ(try_read(rd_base(0) + kGicrWaker, 8), MmioOutcome::refused);
  EXPECT_EQ(try_read(rd_base(0) + kGicrCtlr, 2), MmioOutcome::refused);
  EXPECT_EQ(try_read(rd_base(0) + kGicrTyper, 1), MmioOutcome::refused);
  EXPECT_EQ(try_read(rd_base(0) + kGicrTyper + 4, 8), MmioOutcome::refused);
  EXPECT_EQ(try_write(sgi_base(0) + kGicdIsenabler, 8), MmioOutcome::refused);
  EXPECT_EQ(try_write(sgi_base(0) + kGicdIsenabler, 1), MmioOutcome::refused);
  EXPECT_EQ(try_write(sgi_base(0) + kGicdIpriorityr, 2), MmioOutcome::refused);
  EXPECT_EQ(try_write(sgi_base(0) + kGicdIcfgr + 4, 1), MmioOutcome::refused);
  EXPECT_FALSE(g.irq(0, 0)->enabled);
}

TEST_F(VgicTest, RefusedAccessesChangeNothing) {
  linux_boot();
  std::vector<unsigned char> before(sizeof(Vgic));
  std::memcpy(before.data(), static_cast<const void*>(&g), sizeof(Vgic));
  for (u64 off = 0; off < 0x1'0000; off += 4) {
    try_write(kGuestLayout.gicd.base + off, 2);
    try_write(kGuestLayout.gicd.base + off + 1, 4);
  }
  for (u64 off = 0; off < 0x2'0000; off += 4) {
    try_write(rd_base(1) + off, 2);
  }
  EXPECT_EQ(std::memcmp(before.data(), static_cast<const void*>(&g), sizeof(Vgic)), 0);
}

TEST_F(VgicTest, NothingOutsideTheVgicChanges) {
  // The vGIC between two guard blocks; a sweep of every offset, width and direction.
  struct Guarded {
    unsigned char before[256];
    Vgic vgic;
    unsigned char after[256];
  };
  auto* s = new Guarded;
  std::memset(s->before, 0x5A, sizeof(s->before));
  std::memset(s->after, 0xA5, sizeof(s->after));
  ASSERT_TRUE(s->vgic.reset(kMaxVcpusPerDomain));
  for (u64 off = 0; off < 0x1'0000; off += 4) {
    for (u8 bytes : {1, 2, 4, 8}) {
      u64 v = 0;
      s->vgic.distributor().write(off, bytes, ~u64{0});
      s->vgic.distributor().read(off, bytes, v);
    }
  }
  for (u64 off = 0; off < s->vgic.redistributors_size() + 0x2'0000; off += 4) {
    for (u8 bytes : {1, 4, 8}) {
      u64 v = 0;
      s->vgic.redistributors().write(off, bytes, ~u64{0});
      s->vgic.redistributors().read(off, bytes, v);
    }
  }
  for (u32 id = 0; id < 2000; ++id) {
    s->vgic.set_pending(id % 12, id);
    s->vgic.set_level(id, true);
    s->vgic.set_private_level(id % 12, id, true);
    s->vgic.send_sgi(id % 12, ~u64{0} - id);
  }
  LrEntry lrs[16];
  for (u32 v = 0; v < 12; ++v) {
    const u32 n = s->vgic.fill(v, lrs, 16);
    s->vgic.sync(v, lrs, n);
  }
  for (unsigned char c : s->before) {
    ASSERT_EQ(c, 0x5A);
  }
  for (unsigned char c : s->after) {
    ASSERT_EQ(c, 0xA5);
  }
  delete s;
}

TEST_F(VgicTest, AccessPastTheLastFrameIsRefused) {
  u64 v = 0;
  EXPECT_FALSE(g.redistributors().read(4 * Vgic::kRedistStride + kGicrTyper, 8, v));
  EXPECT_FALSE(g.redistributors().write(4 * Vgic::kRedistStride + kGicrWaker, 4, 0));
  // On the bus the region ends there: no region.
  EXPECT_EQ(try_read(rd_base(4) + kGicrTyper, 8), MmioOutcome::no_region);
}

// ---- redistributors

TEST_F(VgicTest, GicrTyperAffinityProcessorNumberAndLast) {
  for (u32 v = 0; v < 4; ++v) {
    const u64 typer = read_at(rd_base(v) + kGicrTyper, 8);
    EXPECT_EQ(typer >> 32, vcpu_affinity(v));
    EXPECT_EQ(bits(typer, 23, 8), v);
    EXPECT_EQ((typer & kGicrTyperLast) != 0, v == 3);
    EXPECT_EQ(typer & 0xF, 0U);          // PLPIS, VLPIS, Dirty, DirectLPI
    EXPECT_EQ(bits(typer, 31, 27), 0U);  // PPInum
    EXPECT_EQ(read_at(rd_base(v) + kGicrTyper), typer & 0xFFFF'FFFF);
    EXPECT_EQ(read_at(rd_base(v) + kGicrTyper + 4), typer >> 32);
  }
}

TEST_F(VgicTest, LinuxRedistributorWalkFindsEveryVcpuAndStopsAtLast) {
  for (u32 vcpus : {1U, 3U, kMaxVcpusPerDomain}) {
    make(vcpus);
    for (u32 cpu = 0; cpu < vcpus; ++cpu) {
      // gic_populate_rdist(): aff = Aff3.Aff2.Aff1.Aff0 of the CPU's MPIDR.
      const u64 mpidr = vcpu_vmpidr(cpu);
      const u64 aff =
          (bits(mpidr, 39, 32) << 24) | (bits(mpidr, 23, 16) << 16) | (bits(mpidr, 15, 8) << 8) | bits(mpidr, 7, 0);
      u64 ptr = kGuestLayout.gicr.base;
      u64 found = 0;
      u32 frames = 0;
      u64 typer = 0;
      do {
        ASSERT_EQ((read_at(ptr + kPidr2) >> 4) & 0xF, 3U);
        typer = read_at(ptr + kGicrTyper, 8);
        if ((typer >> 32) == aff) {
          found = ptr;
        }
        ptr += 2 * 0x1'0000;  // no VLPIS
        ++frames;
        ASSERT_LE(frames, vcpus);
      } while ((typer & kGicrTyperLast) == 0);
      EXPECT_EQ(found, rd_base(cpu));
      EXPECT_EQ(frames, vcpus);
    }
  }
}

TEST_F(VgicTest, LastBitForVcpusBeyondSixteenUsesAff1) {
  // The affinity of vCPU 17 would be 1.1 (Aff1 = 1); kMaxVcpusPerDomain caps the domain, so check
  // the mapping the frames use against vcpu_affinity directly.
  make(kMaxVcpusPerDomain);
  EXPECT_EQ(read_at(rd_base(kMaxVcpusPerDomain - 1) + kGicrTyper + 4), vcpu_affinity(kMaxVcpusPerDomain - 1));
  EXPECT_EQ(vcpu_affinity(17), 0x101U);
}

TEST_F(VgicTest, GicrCtlrIidrStatusr) {
  EXPECT_EQ(read_at(rd_base(0) + kGicrCtlr), 0U);  // RWP 0, no LPIs
  write_at(rd_base(0) + kGicrCtlr, 1);             // EnableLPIs: WI
  EXPECT_EQ(read_at(rd_base(0) + kGicrCtlr), 0U);
  EXPECT_EQ(read_at(rd_base(2) + kGicrIidr), kIidrValue);
  EXPECT_EQ(read_at(rd_base(2) + kGicrStatusr), 0U);
  EXPECT_EQ(read_at(rd_base(2) + 0x0070, 8), 0U);  // PROPBASER: RAZ
}

TEST_F(VgicTest, WakerProcessorSleepAndChildrenAsleep) {
  // Reset: asleep. gic_enable_redist(true): clear ProcessorSleep, wait for ChildrenAsleep = 0.
  EXPECT_EQ(read_at(rd_base(1) + kGicrWaker), kWakerProcessorSleep | kWakerChildrenAsleep);
  u32 w = static_cast<u32>(read_at(rd_base(1) + kGicrWaker));
  write_at(rd_base(1) + kGicrWaker, w & ~kWakerProcessorSleep);
  EXPECT_EQ(read_at(rd_base(1) + kGicrWaker) & kWakerChildrenAsleep, 0U);
  EXPECT_EQ(read_at(rd_base(0) + kGicrWaker), kWakerProcessorSleep | kWakerChildrenAsleep);  // per vCPU
  // gic_enable_redist(false): set it, read back to see it is writable, wait for ChildrenAsleep.
  write_at(rd_base(1) + kGicrWaker, kWakerProcessorSleep);
  EXPECT_EQ(read_at(rd_base(1) + kGicrWaker), kWakerProcessorSleep | kWakerChildrenAsleep);
  write_at(rd_base(1) + kGicrWaker, kWakerChildrenAsleep);  // ChildrenAsleep is read-only
  EXPECT_EQ(read_at(rd_base(1) + kGicrWaker), 0U);
}

TEST_F(VgicTest, SgiBaseBankedRegistersArePerVcpu) {
  // gic_cpu_config(): ICACTIVER0/ICENABLER0 = ~0, IGROUPR0 = ~0, priorities by word.
  write_at(sgi_base(2) + kGicdIcactiver, ~u32{0});
  write_at(sgi_base(2) + kGicdIcenabler, ~u32{0});
  write_at(sgi_base(2) + kGicdIgroupr, ~u32{0});
  for (u32 i = 0; i < 32; i += 4) {
    write_at(sgi_base(2) + kGicdIpriorityr + i, 0xA0A0'A0A0);
  }
  write_at(sgi_base(2) + kGicdIsenabler, 0x0000'FFFF);  // the SGIs
  EXPECT_EQ(read_at(sgi_base(2) + kGicdIsenabler), 0xFFFFU);
  EXPECT_EQ(read_at(sgi_base(1) + kGicdIsenabler), 0U);
  EXPECT_EQ(read_at(sgi_base(2) + kGicdIpriorityr + 28), 0xA0A0'A0A0U);
  EXPECT_EQ(read_at(sgi_base(1) + kGicdIpriorityr + 28), 0U);
  write_at(sgi_base(2) + kGicdIpriorityr + 27, 0x80, 1);  // the virtual timer's priority
  EXPECT_EQ(g.irq(2, 27)->priority, 0x80);
  EXPECT_EQ(read_at(sgi_base(2) + kGicdIpriorityr + 24), 0x80A0'A0A0U);
  write_at(sgi_base(3) + kGicdIspendr, 1U << 27);
  EXPECT_TRUE(g.irq(3, 27)->pending());
  EXPECT_EQ(read_at(sgi_base(3) + kGicdIcpendr), 1U << 27);
  write_at(sgi_base(3) + kGicdIcpendr, 1U << 27);
  EXPECT_FALSE(g.irq(3, 27)->pending());
  write_at(sgi_base(3) + kGicdIsactiver, 1U << 5);
  EXPECT_EQ(read_at(sgi_base(3) + kGicdIcactiver), 1U << 5);
}

TEST_F(VgicTest, SgiBaseConfigGrpmodNsacrAndReserved) {
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIcfgr), 0xAAAA'AAAAU);  // SGIs: edge, read-only
  write_at(sgi_base(0) + kGicdIcfgr, 0);
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIcfgr), 0xAAAA'AAAAU);
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIcfgr + 4), 0U);  // PPIs: level
  write_at(sgi_base(0) + kGicdIcfgr + 4, 0x2 << 30);     // PPI 15 (INTID 31) edge
  EXPECT_TRUE(g.irq(0, 31)->edge);
  EXPECT_FALSE(g.irq(1, 31)->edge);
  write_at(sgi_base(0) + kGicdIgrpmodr, ~u32{0});
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIgrpmodr), 0U);
  write_at(sgi_base(0) + kGicdNsacr, ~u32{0});
  EXPECT_EQ(read_at(sgi_base(0) + kGicdNsacr), 0U);
  write_at(sgi_base(0) + kGicdIsenabler + 4, ~u32{0});  // ISENABLER1: the extended PPI range, absent
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIsenabler + 4), 0U);
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIpriorityr + 32), 0U);  // past IPRIORITYR7
  EXPECT_EQ(read_at(sgi_base(0) + 0xC000), 0U);
}

// ---- SGIs

TEST_F(VgicTest, SgiFromLinuxTargetList) {
  make(4);
  // gic_send_sgi(): cluster 0, CPUs 1 and 3, SGI 1 (IPI_CALL_FUNC).
  EXPECT_EQ(g.send_sgi(0, linux_sgi1r(vcpu_vmpidr(0), 0b1010, 1)), 0b1010U);
  EXPECT_TRUE(g.irq(1, 1)->pending());
  EXPECT_TRUE(g.irq(3, 1)->pending());
  EXPECT_FALSE(g.irq(0, 1)->pending());
  EXPECT_FALSE(g.irq(2, 1)->pending());
  EXPECT_FALSE(g.irq(1, 0)->pending());
}

TEST_F(VgicTest, SgiToSelfAndToAbsentCpus) {
  EXPECT_EQ(g.send_sgi(2, linux_sgi1r(0, 1U << 2, 6)), 1U << 2);  // self-IPI (irq_work)
  EXPECT_TRUE(g.irq(2, 6)->pending());
  EXPECT_EQ(g.send_sgi(0, linux_sgi1r(0, 0xFFF0, 0)), 0U);         // Aff0 4..15: no such vCPUs
  EXPECT_EQ(g.send_sgi(0, linux_sgi1r(u64{1} << 8, 0x1, 0)), 0U);  // cluster 1
  EXPECT_EQ(g.send_sgi(4, linux_sgi1r(0, 0x1, 0)), 0U);            // bad source
}

TEST_F(VgicTest, SgiIrmBroadcastsToAllButTheSource) {
  make(kMaxVcpusPerDomain);
  const u64 value = (u64{1} << 40) | (u64{2} << 24) | 0x3;  // TargetList ignored with IRM
  EXPECT_EQ(g.send_sgi(5, value), 0xFFU & ~(1U << 5));
  for (u32 v = 0; v < kMaxVcpusPerDomain; ++v) {
    EXPECT_EQ(g.irq(v, 2)->pending(), v != 5);
  }
}

TEST_F(VgicTest, SgiRangeSelectorAndOtherAffinitiesNameNoVcpuHere) {
  make(kMaxVcpusPerDomain);
  // RS = 1: TargetList bit n names Aff0 = 16 + n, which no vCPU has (Aff0 < 16).
  EXPECT_EQ(g.send_sgi(0, (u64{1} << 44) | 0x1), 0U);
  EXPECT_EQ(g.send_sgi(0, (u64{1} << 32) | 0x1), 0U);  // Aff2 = 1
  EXPECT_EQ(g.send_sgi(0, (u64{1} << 48) | 0x1), 0U);  // Aff3 = 1
  EXPECT_EQ(g.send_sgi(0, 0x1), 1U);                   // 0.0.0.0
}

TEST(VgicSgiDecode, LinuxLayoutForVcpusSixteenAndUp) {
  // vCPUs 16+ sit in cluster Aff1 = 1 (vcpu_affinity); Linux writes Aff1 in [23:16] and bit
  // Aff0 in TargetList. The domain limit is below 16 today, so check the decode with the Linux
  // layout of vCPU 17's MPIDR: it must name Aff1 = 1, Aff0 = 1, which is vCPU 17 of a domain
  // that has one; with 8 vCPUs it names nobody.
  const u64 v = linux_sgi1r(vcpu_vmpidr(17), 1U << (vcpu_affinity(17) & 0xF), 3);
  EXPECT_EQ(bits(v, 23, 16), 1U);
  EXPECT_EQ(bits(v, 15, 0), 0x2U);
  EXPECT_EQ(bits(v, 27, 24), 3U);
  EXPECT_EQ(vcpu_of_affinity(bits(v, 23, 16) << 8 | 1, 32), 17U);
  Vgic g;
  ASSERT_TRUE(g.reset(kMaxVcpusPerDomain));
  EXPECT_EQ(g.send_sgi(0, v), 0U);
  for (u32 i = 0; i < kMaxVcpusPerDomain; ++i) {
    EXPECT_FALSE(g.irq(i, 3)->pending());
  }
}

TEST_F(VgicTest, SgiEveryIntidIsReachableAndReservedBitsAreIgnored) {
  // INTID is 4 bits: every SGI 0..15 reachable, nothing else.
  for (u32 sgi = 0; sgi < 16; ++sgi) {
    EXPECT_EQ(g.send_sgi(0, linux_sgi1r(0, 0x2, sgi) | (u64{0xF} << 28)), 0x2U);  // bits 31:28 RES0
    EXPECT_TRUE(g.irq(1, sgi)->pending());
  }
}

// ---- sources and kicks

TEST_F(VgicTest, SetPendingReturnsTheVcpuOnlyWhenDeliverable) {
  EXPECT_EQ(g.set_pending(1, 27), kNoVcpu);  // disabled, distributor off
  linux_boot();
  EXPECT_EQ(g.take_kicks(), 0xFU);           // the group enables changed: every vCPU rechecks
  EXPECT_EQ(g.set_pending(1, 27), kNoVcpu);  // still disabled
  enable(1, 27);
  EXPECT_EQ(g.take_kicks(), 1U << 1);  // enabling the pending PPI kicks its vCPU
  EXPECT_EQ(g.set_pending(1, 27), 1U);
  EXPECT_EQ(g.set_pending(4, 27), kNoVcpu);  // no such vCPU
  EXPECT_EQ(g.set_pending(0, 64), kNoVcpu);  // no such INTID
  gicd_write(kGicdIrouter + 8 * 33, vcpu_affinity(2), 8);
  enable(0, 33);
  EXPECT_EQ(g.set_pending(0, 33), 2U);  // an SPI: its route decides
}

TEST_F(VgicTest, GroupDisabledInDistributorHoldsInterruptsBack) {
  enable(0, 5);
  g.set_pending(0, 5);
  EXPECT_FALSE(g.has_pending(0));  // CTLR groups off at reset
  gicd_write(kGicdCtlr, kCtlrEnableGrp1);
  EXPECT_TRUE(g.has_pending(0));
  EXPECT_NE(g.take_kicks() & 1U, 0U);
  write_at(sgi_base(0) + kGicdIgroupr, 0);  // group 0, which is off
  EXPECT_FALSE(g.has_pending(0));
  gicd_write(kGicdCtlr, kCtlrEnableGrp0);
  ASSERT_EQ(fill(0).size(), 1U);
}

// ---- the list-register exchange

TEST_F(VgicTest, FillDeliversInPriorityOrderAndMovesOutOfTheDistributor) {
  linux_boot();
  for (u32 id : {1U, 2U, 27U, 31U}) {
    enable(0, id);
  }
  priority(0, 1, 0xA0);
  priority(0, 2, 0x90);
  priority(0, 27, 0x80);
  priority(0, 31, 0xA0);
  for (u32 id : {31U, 1U, 27U, 2U}) {
    g.set_pending(0, id);
  }
  const std::vector<LrEntry> lrs = fill(0);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{27, 2, 1, 31}));  // priority, then INTID
  for (const LrEntry& e : lrs) {
    EXPECT_TRUE(e.pending);
    EXPECT_FALSE(e.active);
    EXPECT_TRUE(e.group1);
    EXPECT_EQ(e.priority, g.irq(0, e.intid)->priority);
    EXPECT_FALSE(g.irq(0, e.intid)->pending());  // moved, not copied
  }
  EXPECT_FALSE(g.has_pending(0));
  EXPECT_TRUE(fill(0).empty());  // never in two places
  EXPECT_FALSE(g.overflow(0));
}

TEST_F(VgicTest, OverflowWhenMorePendingThanListRegisters) {
  linux_boot();
  for (u32 id = 0; id < 6; ++id) {
    enable(0, id);
    priority(0, id, static_cast<u8>(0xF0 - 0x10 * id));
    g.set_pending(0, id);
  }
  std::vector<LrEntry> lrs = fill(0, 4);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{5, 4, 3, 2}));
  EXPECT_TRUE(g.overflow(0));
  EXPECT_TRUE(g.has_pending(0));
  // The guest takes and EOIs two; an underflow exit refills.
  eoi(lrs, 0);
  eoi(lrs, 0);
  sync(0, lrs);
  EXPECT_FALSE(g.overflow(0));
  lrs = fill(0, 4);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{3, 2, 1, 0}));
  EXPECT_FALSE(g.overflow(0));
}

// What keeps the guest timer masked at its source (hyp/irq.cpp guest_timer_release): held while
// the vGIC has it pending or active outside the list registers, not once an LR carries it.
TEST_F(VgicTest, HeldWhileUndeliveredNotWhileInAListRegister) {
  linux_boot();
  EXPECT_FALSE(g.held(0, 27));
  g.set_pending(0, 27);  // fired while disabled (Linux enables the PPI after programming the timer)
  EXPECT_TRUE(g.held(0, 27));
  EXPECT_TRUE(fill(0).empty());
  EXPECT_TRUE(g.held(0, 27));
  EXPECT_FALSE(g.held(1, 27));  // a PPI is its vCPU's own
  enable(0, 27);
  std::vector<LrEntry> lrs = fill(0);
  ASSERT_EQ(ids(lrs), (std::vector<u32>{27}));
  EXPECT_FALSE(g.held(0, 27));  // the list register has it: the LR check decides
  sync(0, lrs);                 // not acknowledged: back in the latch
  EXPECT_TRUE(g.held(0, 27));
  lrs = fill(0);
  ack(lrs, 0);
  sync(0, lrs);
  EXPECT_TRUE(g.held(0, 27));  // active, not yet ended
  lrs = fill(0);
  eoi(lrs, 0);
  sync(0, lrs);
  EXPECT_FALSE(g.held(0, 27));
  EXPECT_FALSE(g.held(0, 64));  // no such INTID
  EXPECT_FALSE(g.held(4, 27));  // no such vCPU
}

TEST_F(VgicTest, HeldWhileEveryListRegisterIsTakenByHigherPriority) {
  linux_boot();
  for (u32 sgi = 1; sgi <= 4; ++sgi) {
    enable(0, sgi);
    priority(0, sgi, 0x40);
    g.set_pending(0, sgi);
  }
  enable(0, 27);
  priority(0, 27, 0x80);
  g.set_pending(0, 27);
  std::vector<LrEntry> lrs = fill(0, 4);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{1, 2, 3, 4}));
  EXPECT_TRUE(g.overflow(0));
  EXPECT_TRUE(g.held(0, 27));
  eoi(lrs, 0);
  eoi(lrs, 0);
  eoi(lrs, 0);
  sync(0, lrs);  // the underflow exit
  lrs = fill(0, 4);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{4, 27}));
  EXPECT_FALSE(g.held(0, 27));
}

TEST_F(VgicTest, AckAndEoiCycle) {
  linux_boot();
  enable(2, 27);
  g.set_pending(2, 27);
  std::vector<LrEntry> lrs = fill(2);
  ASSERT_EQ(lrs.size(), 1U);
  EXPECT_FALSE(lrs[0].resample);  // latched, no line to look at again: no exit at its EOI
  ack(lrs, 0);
  sync(2, lrs);
  EXPECT_TRUE(g.irq(2, 27)->active);
  EXPECT_FALSE(g.irq(2, 27)->pending());
  EXPECT_EQ(read_at(sgi_base(2) + kGicdIsactiver), 1U << 27);
  lrs = fill(2);  // the active one goes back so the guest's EOI finds it
  ASSERT_EQ(lrs.size(), 1U);
  EXPECT_TRUE(lrs[0].active);
  EXPECT_FALSE(lrs[0].pending);
  eoi(lrs, 0);
  sync(2, lrs);
  EXPECT_FALSE(g.irq(2, 27)->active);
  EXPECT_TRUE(fill(2).empty());
}

TEST_F(VgicTest, UnacknowledgedInterruptIsPendingAgainAfterSync) {
  linux_boot();
  enable(0, 3);
  g.set_pending(0, 3);
  std::vector<LrEntry> lrs = fill(0);
  sync(0, lrs);  // still pending in the LR
  EXPECT_TRUE(g.irq(0, 3)->pending());
  EXPECT_EQ(read_at(sgi_base(0) + kGicdIspendr), 1U << 3);
  EXPECT_EQ(ids(fill(0)), (std::vector<u32>{3}));
}

TEST_F(VgicTest, ActiveInterruptsComeFirstEvenAtLowerPriority) {
  linux_boot();
  for (u32 id : {1U, 2U, 3U}) {
    enable(0, id);
  }
  priority(0, 1, 0xF0);
  priority(0, 2, 0x10);
  priority(0, 3, 0x20);
  g.set_pending(0, 1);
  std::vector<LrEntry> lrs = fill(0);
  ack(lrs, 0);
  sync(0, lrs);
  g.set_pending(0, 2);
  g.set_pending(0, 3);
  lrs = fill(0, 2);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{1, 2}));
  EXPECT_TRUE(lrs[0].active);
  EXPECT_TRUE(g.overflow(0));
}

TEST_F(VgicTest, DisabledInterruptsAreNeverDeliveredButStayPending) {
  linux_boot();
  g.set_pending(1, 7);
  EXPECT_TRUE(fill(1).empty());
  EXPECT_FALSE(g.has_pending(1));
  EXPECT_TRUE(g.irq(1, 7)->pending());
  enable(1, 7);
  EXPECT_EQ(ids(fill(1)), (std::vector<u32>{7}));
}

TEST_F(VgicTest, IcenablerWhileInAListRegister) {
  linux_boot();
  enable(1, 7);
  g.set_pending(1, 7);
  std::vector<LrEntry> lrs = fill(1);
  ASSERT_EQ(lrs.size(), 1U);
  (void)g.take_kicks();
  write_at(sgi_base(1) + kGicdIcenabler, 1U << 7);  // another vCPU's redistributor write
  EXPECT_EQ(g.take_kicks(), 1U << 1);               // the holder must exit and resync
  sync(1, lrs);                                     // still pending there
  EXPECT_TRUE(g.irq(1, 7)->pending());              // retracted, still pending
  EXPECT_TRUE(fill(1).empty());                     // not delivered while disabled
  enable(1, 7);
  EXPECT_EQ(ids(fill(1)), (std::vector<u32>{7}));
}

TEST_F(VgicTest, IcpendrAndIcactiverWhileInAListRegister) {
  linux_boot();
  enable(0, 4);
  enable(0, 5);
  g.set_pending(0, 4);
  g.set_pending(0, 5);
  std::vector<LrEntry> lrs = fill(0);
  ASSERT_EQ(lrs.size(), 2U);
  ack(lrs, 1);  // 5 acknowledged, 4 still pending
  write_at(sgi_base(0) + kGicdIcpendr, 1U << 4);
  write_at(sgi_base(0) + kGicdIcactiver, 1U << 5);
  sync(0, lrs);
  EXPECT_FALSE(g.irq(0, 4)->pending());
  EXPECT_FALSE(g.irq(0, 5)->active);
  EXPECT_TRUE(fill(0).empty());
}

TEST_F(VgicTest, SgiPendingAgainWhileActive) {
  linux_boot();
  enable(1, 0);
  EXPECT_EQ(g.send_sgi(0, linux_sgi1r(0, 0x2, 0)), 0x2U);
  std::vector<LrEntry> lrs = fill(1);
  ASSERT_EQ(lrs.size(), 1U);
  ack(lrs, 0);                         // the guest is in its IPI handler
  EXPECT_EQ(g.set_pending(1, 0), 1U);  // a second IPI: kick vCPU 1 (its LR must change)
  EXPECT_TRUE(g.irq(1, 0)->latch);
  EXPECT_TRUE(fill(1).empty());  // not in two list registers
  sync(1, lrs);
  lrs = fill(1);
  ASSERT_EQ(lrs.size(), 1U);  // one LR: active and pending
  EXPECT_TRUE(lrs[0].active);
  EXPECT_TRUE(lrs[0].pending);
  lrs[0].active = true;  // the guest EOIs the first and takes the second
  lrs[0].pending = false;
  sync(1, lrs);
  EXPECT_TRUE(g.irq(1, 0)->active);
  EXPECT_FALSE(g.irq(1, 0)->pending());
  lrs = fill(1);
  eoi(lrs, 0);
  sync(1, lrs);
  EXPECT_FALSE(g.irq(1, 0)->active);
  EXPECT_TRUE(fill(1).empty());
}

TEST_F(VgicTest, SpiGoesToItsRouteTargetOnly) {
  linux_boot();
  gicd_write(kGicdIrouter + 8 * 32, vcpu_affinity(2), 8);
  enable(0, 32);
  EXPECT_EQ(g.set_level(32, true), 2U);
  EXPECT_TRUE(fill(0).empty());
  EXPECT_TRUE(fill(1).empty());
  EXPECT_FALSE(g.has_pending(0));
  EXPECT_TRUE(g.has_pending(2));
  const std::vector<LrEntry> lrs = fill(2);
  EXPECT_EQ(ids(lrs), (std::vector<u32>{32}));
  EXPECT_TRUE(lrs[0].resample);  // level: EOI maintenance
}

TEST_F(VgicTest, LevelSpiIsResampledAfterEoi) {
  linux_boot();
  enable(0, 32);  // the vPL011, routed to vCPU 0
  EXPECT_EQ(g.set_level(32, true), 0U);
  EXPECT_EQ(g.set_level(32, true), kNoVcpu);  // no change
  std::vector<LrEntry> lrs = fill(0);
  ASSERT_EQ(lrs.size(), 1U);
  ack(lrs, 0);
  sync(0, lrs);
  // Active, and with the line still high also pending, as a GIC's level input does.
  EXPECT_TRUE(g.irq(0, 32)->active);
  EXPECT_TRUE(g.irq(0, 32)->pending());
  lrs = fill(0);
  ASSERT_EQ(lrs.size(), 1U);
  EXPECT_TRUE(lrs[0].active);
  EXPECT_TRUE(lrs[0].pending);
  // The guest's handler drains the UART (an MMIO exit): the line drops.
  sync(0, lrs);
  g.set_level(32, false);
  lrs = fill(0);
  ASSERT_EQ(lrs.size(), 1U);
  EXPECT_FALSE(lrs[0].pending);
  eoi(lrs, 0);
  sync(0, lrs);
  EXPECT_TRUE(fill(0).empty());
  // More data: the line rises again; EOI with it still high redelivers.
  g.set_level(32, true);
  lrs = fill(0);
  ack(lrs, 0);
  sync(0, lrs);
  lrs = fill(0);
  eoi(lrs, 0);
  sync(0, lrs);  // the EOI maintenance exit
  EXPECT_EQ(ids(fill(0)), (std::vector<u32>{32}));
}

TEST_F(VgicTest, LevelLineDroppingWhileInAListRegisterRetractsIt) {
  linux_boot();
  enable(0, 32);
  g.set_level(32, true);
  std::vector<LrEntry> lrs = fill(0);
  EXPECT_EQ(g.set_level(32, false), 0U);  // kick: the LR holds a stale pending state
  sync(0, lrs);                           // the guest never took it
  EXPECT_FALSE(g.irq(0, 32)->pending());
  EXPECT_TRUE(fill(0).empty());
}

TEST_F(VgicTest, IspendrOnLevelSpiLatchesUntilAcknowledgedOrCleared) {
  linux_boot();
  enable(0, 33);
  gicd_write(kGicdIspendr + 4, 1U << 1);
  EXPECT_TRUE(g.irq(0, 33)->pending());
  gicd_write(kGicdIcpendr + 4, 1U << 1);
  EXPECT_FALSE(g.irq(0, 33)->pending());
  g.set_level(33, true);
  gicd_write(kGicdIcpendr + 4, 1U << 1);  // the level input keeps it pending
  EXPECT_TRUE(g.irq(0, 33)->pending());
}

TEST_F(VgicTest, EdgeConfiguredSpiLatchesOnRisingLevel) {
  linux_boot();
  gicd_write(kGicdIcfgr + 8, 0x2);  // SPI 32 edge
  enable(0, 32);
  EXPECT_EQ(g.set_level(32, true), 0U);
  g.set_level(32, false);
  EXPECT_TRUE(g.irq(0, 32)->pending());  // the edge stays latched
  std::vector<LrEntry> lrs = fill(0);
  ASSERT_EQ(lrs.size(), 1U);
  EXPECT_FALSE(lrs[0].resample);
  eoi(lrs, 0);
  sync(0, lrs);
  EXPECT_TRUE(fill(0).empty());
}

TEST_F(VgicTest, PpiLevelFollowsTheLine) {
  linux_boot();
  enable(3, 27);
  EXPECT_EQ(g.set_private_level(3, 27, true), 3U);
  EXPECT_TRUE(g.has_pending(3));
  EXPECT_EQ(g.set_private_level(3, 27, false), kNoVcpu);  // nothing new to see, nothing in an LR
  EXPECT_FALSE(g.has_pending(3));
  EXPECT_EQ(g.set_private_level(3, 3, true), kNoVcpu);  // SGIs have no line
}

TEST_F(VgicTest, SpiReroutedWhileInFlightMovesToTheNewTarget) {
  linux_boot();
  enable(0, 40);
  g.set_pending(0, 40);
  std::vector<LrEntry> lrs = fill(0);
  ASSERT_EQ(lrs.size(), 1U);
  gicd_write(kGicdIrouter + 8 * 40, vcpu_affinity(1), 8);
  EXPECT_NE(g.take_kicks() & 1U, 0U);  // the holder
  EXPECT_TRUE(fill(1).empty());        // still in vCPU 0's LR
  sync(0, lrs);                        // not taken there
  EXPECT_EQ(g.take_kicks(), 1U << 1);
  EXPECT_TRUE(fill(0).empty());
  EXPECT_EQ(ids(fill(1)), (std::vector<u32>{40}));
}

TEST_F(VgicTest, SyncIgnoresListRegistersItDidNotFill) {
  linux_boot();
  enable(0, 9);
  const std::vector<LrEntry> bogus = {{.intid = 9, .priority = 0, .pending = false, .active = true},
                                      {.intid = 40, .priority = 0, .pending = true, .active = true},
                                      {.intid = 5000, .priority = 0, .pending = true, .active = false}};
  sync(0, bogus);
  EXPECT_FALSE(g.irq(0, 9)->active);
  EXPECT_FALSE(g.irq(0, 40)->active);
  g.sync(9, bogus.data(), 3);  // bad vCPU: nothing
  EXPECT_EQ(g.fill(9, nullptr, 4), 0U);
}

TEST_F(VgicTest, HasPendingForWfi) {
  linux_boot();
  EXPECT_FALSE(g.has_pending(0));
  enable(0, 27);
  g.set_pending(0, 27);
  EXPECT_TRUE(g.has_pending(0));
  EXPECT_FALSE(g.has_pending(1));
  std::vector<LrEntry> lrs = fill(0);
  ack(lrs, 0);
  sync(0, lrs);
  EXPECT_FALSE(g.has_pending(0));  // active, not pending
}

TEST_F(VgicTest, ResetClearsEverything) {
  linux_boot();
  enable(0, 32);
  g.set_level(32, true);
  write_at(rd_base(0) + kGicrWaker, 0);
  (void)fill(0);
  ASSERT_TRUE(g.reset(2));
  EXPECT_EQ(gicd_read(kGicdCtlr), kCtlrAre | kCtlrDs);
  EXPECT_FALSE(g.irq(0, 32)->enabled);
  EXPECT_FALSE(g.irq(0, 32)->line);
  EXPECT_FALSE(g.irq(0, 32)->in_lr);
  EXPECT_EQ(g.take_kicks(), 0U);
  EXPECT_EQ(g.redistributors_size(), 2 * kGuestLayout.gicr_stride);
}

}  // namespace
}  // namespace runhv
