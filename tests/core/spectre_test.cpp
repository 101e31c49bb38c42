// The SMCCC workaround answers from the CPU identity: real cores' ID values, QEMU's models
// SPDX-License-Identifier: MIT
#include "core/spectre.hpp"

#include <gtest/gtest.h>

#include "abi/smccc.hpp"

namespace runhv {
namespace {

constexpr u32 kWa1 = static_cast<u32>(smccc::Fn::arch_workaround_1);
constexpr u32 kWa2 = static_cast<u32>(smccc::Fn::arch_workaround_2);
constexpr u32 kWa3 = static_cast<u32>(smccc::Fn::arch_workaround_3);

// ID_AA64PFR0_EL1 of an ARMv8.0 core with EL0-EL3 AArch64+AArch32 and FP/AdvSIMD, no CSV2/CSV3.
constexpr u64 kPfr0V80 = 0x0000'0000'0000'2222ULL;
constexpr u64 csv2(u64 v) { return v << 56; }
constexpr u64 csv3(u64 v) { return v << 60; }
constexpr u64 ssbs(u64 v) { return v << 4; }
constexpr u64 ecbhb(u64 v) { return v << 60; }

// What QEMU's -cpu models report (target/arm/cpu64.c), and two real cores.
constexpr CpuIds kCortexA57{.midr = 0x411F'D070, .pfr0 = kPfr0V80, .pfr1 = 0, .mmfr1 = 0};
constexpr CpuIds kCortexA53{.midr = 0x410F'D034, .pfr0 = kPfr0V80, .pfr1 = 0, .mmfr1 = 0};
constexpr CpuIds kCortexA72{.midr = 0x410F'D083, .pfr0 = kPfr0V80, .pfr1 = 0, .mmfr1 = 0};
constexpr CpuIds kCortexA55{.midr = 0x411F'D050, .pfr0 = 0x1000'0000'1011'2222ULL, .pfr1 = 0, .mmfr1 = 0};
// QEMU 7.2 `max`: MIDR implementer 0 ("software use"), part 'Q'; CSV2 = 2, CSV3 = 1, SSBS = 2.
constexpr CpuIds kQemuMax72{
    .midr = 0x000F'0510, .pfr0 = csv3(1) | csv2(2) | 0x0001'0011'1111'2222ULL, .pfr1 = ssbs(2), .mmfr1 = 0};
// A later `max` with FEAT_CSV2_3 and FEAT_ECBHB.
constexpr CpuIds kQemuMaxNew{
    .midr = 0x000F'0510, .pfr0 = csv3(1) | csv2(3) | 0x0001'0011'1111'2222ULL, .pfr1 = ssbs(2), .mmfr1 = ecbhb(1)};
// Neoverse N1: CSV2 = 1, CSV3 = 1, SSBS = 2, no ECBHB; on the Spectre-BHB list (loop, k = 24).
constexpr CpuIds kNeoverseN1{
    .midr = 0x413F'D0C1, .pfr0 = csv3(1) | csv2(1) | 0x0000'0000'1111'2222ULL, .pfr1 = ssbs(2), .mmfr1 = 0};

constexpr Exposure kSafe = Exposure::unaffected;
constexpr Exposure kVuln = Exposure::vulnerable;

void expect(const CpuIds& ids, Exposure v2, Exposure v4, Exposure bhb) {
  const SpectreExposure e = spectre_exposure(ids);
  EXPECT_EQ(e.v2, v2) << std::hex << ids.midr;
  EXPECT_EQ(e.v4, v4) << std::hex << ids.midr;
  EXPECT_EQ(e.bhb, bhb) << std::hex << ids.midr;
}

TEST(SpectreExposure, CortexA57IsAffectedByAllThree) { expect(kCortexA57, kVuln, kVuln, kVuln); }
TEST(SpectreExposure, CortexA72IsAffectedByAllThree) { expect(kCortexA72, kVuln, kVuln, kVuln); }
TEST(SpectreExposure, CortexA53IsAffectedByNone) { expect(kCortexA53, kSafe, kSafe, kSafe); }
TEST(SpectreExposure, CortexA55IsAffectedByNone) { expect(kCortexA55, kSafe, kSafe, kSafe); }

TEST(SpectreExposure, QemuMax72HasCsv2AndSsbsButNoBhbStatement) {
  // CSV2 != 0: v2 safe. SSBS: v4 is the guest's to mitigate, no call here. CSV2 = 2 and no ECBHB
  // on an unknown model: nothing says the branch history is safe.
  expect(kQemuMax72, kSafe, kVuln, kVuln);
}

TEST(SpectreExposure, Csv2Level3OrEcbhbMakeBhbSafe) {
  expect(kQemuMaxNew, kSafe, kVuln, kSafe);
  CpuIds only_ecbhb = kQemuMax72;
  only_ecbhb.mmfr1 = ecbhb(1);
  expect(only_ecbhb, kSafe, kVuln, kSafe);
  CpuIds only_csv2_3 = kQemuMax72;
  only_csv2_3.pfr0 = (kQemuMax72.pfr0 & ~csv2(0xF)) | csv2(3);
  expect(only_csv2_3, kSafe, kVuln, kSafe);
}

TEST(SpectreExposure, NeoverseN1HasCsv2ButIsOnTheBhbList) { expect(kNeoverseN1, kSafe, kVuln, kVuln); }

TEST(SpectreExposure, AnyRevisionAndVariantOfAListedModelMatches) {
  for (u64 vr : {0x0000'0000ULL, 0x0010'0004ULL, 0x00F0'000FULL}) {
    CpuIds a53 = kCortexA53;
    a53.midr = (0x410F'D030ULL | vr);
    expect(a53, kSafe, kSafe, kSafe);
  }
}

TEST(SpectreExposure, OtherImplementerWithTheSamePartNumberIsNotListed) {
  CpuIds fake = kCortexA53;
  fake.midr = 0x420F'D034;  // Broadcom, part 0xD03: not a Cortex-A53
  expect(fake, kVuln, kVuln, kVuln);
  CpuIds b53 = kCortexA53;
  b53.midr = 0x420F'1000;  // Brahma-B53 (Broadcom part 0x100)
  expect(b53, kSafe, kSafe, kSafe);
}

TEST(SpectreExposure, AllZeroIdsKnowNothing) { expect(CpuIds{}, kVuln, kVuln, kVuln); }

TEST(SpectreExposure, SeveralPcpusTakeTheWorstOfEach) {
  const CpuIds big_little[] = {kCortexA53, kCortexA57};
  const SpectreExposure e = spectre_exposure(big_little, 2);
  EXPECT_EQ(e.v2, kVuln);
  EXPECT_EQ(e.v4, kVuln);
  EXPECT_EQ(e.bhb, kVuln);
  const CpuIds mixed[] = {kQemuMaxNew, kCortexA53};  // v2 safe on both, bhb safe on both, v4 not on max
  const SpectreExposure m = spectre_exposure(mixed, 2);
  EXPECT_EQ(m.v2, kSafe);
  EXPECT_EQ(m.v4, kVuln);
  EXPECT_EQ(m.bhb, kSafe);
  const CpuIds same[] = {kCortexA53, kCortexA53, kCortexA53};
  EXPECT_EQ(spectre_exposure(same, 3).v4, kSafe);
  EXPECT_EQ(spectre_exposure(same, 0).v2, kVuln);  // no pCPU: nothing known
}

TEST(WorkaroundFeature, UnaffectedIsOneForWa1AndWa3AndNotRequiredForWa2) {
  const SpectreExposure safe{kSafe, kSafe, kSafe};
  EXPECT_EQ(workaround_feature(safe, kWa1), 1);
  EXPECT_EQ(workaround_feature(safe, kWa2), -2);
  EXPECT_EQ(workaround_feature(safe, kWa3), 1);
}

TEST(WorkaroundFeature, VulnerableIsNotSupportedNeverSuccess) {
  EXPECT_EQ(workaround_feature(kSpectreUnknown, kWa1), -1);
  EXPECT_EQ(workaround_feature(kSpectreUnknown, kWa2), -1);
  EXPECT_EQ(workaround_feature(kSpectreUnknown, kWa3), -1);
  // Each answer follows its own variant only.
  const SpectreExposure only_v4{kVuln, kSafe, kVuln};
  EXPECT_EQ(workaround_feature(only_v4, kWa1), -1);
  EXPECT_EQ(workaround_feature(only_v4, kWa2), -2);
  EXPECT_EQ(workaround_feature(only_v4, kWa3), -1);
}

TEST(WorkaroundFeature, OtherFunctionsAreNotSupported) {
  const SpectreExposure safe{kSafe, kSafe, kSafe};
  for (u32 f : {0x80000000U, 0x80000001U, 0x80000002U, 0x80008001U, 0x0U, 0xC0008000U}) {
    EXPECT_EQ(workaround_feature(safe, f), -1) << std::hex << f;
  }
}

}  // namespace
}  // namespace runhv
