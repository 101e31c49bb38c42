// Guest services over HVC #0: PSCI, SMCCC architecture calls, PV time, and the stolen-time record
// SPDX-License-Identifier: MIT
#include "core/psci.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/log.hpp"

namespace runhv {
namespace {

constexpr u64 kAllOnes = 0xFFFF'FFFF'FFFF'FFFFULL;  // -1, NOT_SUPPORTED
constexpr u64 kMinus2 = 0xFFFF'FFFF'FFFF'FFFEULL;   // PSCI INVALID_PARAMETERS
constexpr u64 kMinus4 = 0xFFFF'FFFF'FFFF'FFFCULL;   // PSCI ALREADY_ON
constexpr u64 kMinus5 = 0xFFFF'FFFF'FFFF'FFFBULL;   // PSCI ON_PENDING
constexpr u64 kMinus9 = 0xFFFF'FFFF'FFFF'FFF7ULL;   // PSCI INVALID_ADDRESS
constexpr u64 kPvTimeBase = 0x090A'0000;
constexpr u64 kUpperJunk = 0xDEAD'BEEF'0000'0000ULL;

constexpr u64 fn(psci::Fn f) { return static_cast<u32>(f); }
constexpr u64 fn(smccc::Fn f) { return static_cast<u32>(f); }
constexpr u64 fn(pvtime::Fn f) { return static_cast<u32>(f); }

class CapturedLog final : public LogSink {
 public:
  CapturedLog() { previous_ = set_log_sink(this); }
  ~CapturedLog() { set_log_sink(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  void line(const char* text, usize len) override { lines.emplace_back(text, len); }
  std::vector<std::string> lines;

 private:
  LogSink* previous_;
};

struct OnCall {
  u32 index;
  u64 entry;
  u64 context_id;
};

// Records every call; answers as configured.
class FakePlatform final : public PsciPlatform {
 public:
  explicit FakePlatform(u32 vcpus = 4) : count(vcpus), states(vcpus, AffinityState::off) {
    states[0] = AffinityState::on;
  }

  [[nodiscard]] u16 domain_id() const override { return 3; }
  [[nodiscard]] LogBudget& log_budget() override { return budget; }
  [[nodiscard]] u32 vcpu_count() const override { return count; }
  i64 vcpu_on(u32 index, Ipa entry, u64 context_id) override {
    ons.push_back({index, entry.raw(), context_id});
    return on_status;
  }
  void vcpu_off(u32 caller) override { offs.push_back(caller); }
  void vcpu_suspend(u32 caller) override { suspends.push_back(caller); }
  [[nodiscard]] AffinityState affinity_info(u32 index) const override {
    affinity_queries.push_back(index);
    return states.at(index);
  }
  void system_off() override { ++system_offs; }
  void system_reset() override { ++system_resets; }
  [[nodiscard]] bool pv_time_offered() const override { return pv_time; }
  [[nodiscard]] Ipa stolen_time_ipa(u32 index) const override { return Ipa(kPvTimeBase + 64 * u64{index}); }
  [[nodiscard]] SpectreExposure cpu_exposure() const override { return exposure; }

  u32 count;
  std::vector<AffinityState> states;
  i64 on_status = psci::kSuccess;
  bool pv_time = true;
  SpectreExposure exposure = kSpectreUnknown;
  LogBudget budget;

  std::vector<OnCall> ons;
  std::vector<u32> offs;
  std::vector<u32> suspends;
  mutable std::vector<u32> affinity_queries;
  int system_offs = 0;
  int system_resets = 0;
};

class HvcTest : public ::testing::Test {
 protected:
  SmcccResult call(u64 x0, u64 x1 = 0, u64 x2 = 0, u64 x3 = 0, u32 caller = 0) {
    const u64 regs[4] = {x0, x1, x2, x3};
    return handle_smccc(platform, caller, SmcccCall{regs});
  }
  // A call that must be served, return to the caller and log nothing; returns x0.
  u64 served(u64 x0, u64 x1 = 0, u64 x2 = 0, u64 x3 = 0, u32 caller = 0) {
    const usize before = log.lines.size();
    const SmcccResult r = call(x0, x1, x2, x3, caller);
    EXPECT_EQ(r.status, SmcccStatus::ok) << std::hex << "x0 0x" << x0 << " x1 0x" << x1;
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(log.lines.size(), before) << "a served call wrote a log line";
    return r.x0;
  }

  FakePlatform platform;
  CapturedLog log;
};

// ---------------------------------------------------------------- function IDs and versions

TEST_F(HvcTest, PsciVersionIs1_1) { EXPECT_EQ(served(fn(psci::Fn::version)), 0x10001U); }

TEST_F(HvcTest, FunctionIdIsW0SoUpperHalfOfX0IsIgnored) {
  EXPECT_EQ(served(kUpperJunk | fn(psci::Fn::version)), 0x10001U);
  EXPECT_EQ(served(0xFFFF'FFFF'0000'0000ULL | fn(smccc::Fn::version)), 0x10001U);
  EXPECT_EQ(served(kUpperJunk | fn(pvtime::Fn::st), 0, 0, 0, 1), kPvTimeBase + 64);
}

// A guest calling unknown functions and refused PSCI calls in a loop logs what the domain's
// budget allows (the first kFirst lines, then one count per kEvery), not a line per call.
TEST_F(HvcTest, AFloodOfUnknownAndRefusedCallsStaysWithinTheLogBudget) {
  constexpr u64 kCalls = 5000;
  for (u64 n = 0; n < kCalls; ++n) {
    call(0xC600'0000U + n);                          // unknown
    call(fn(psci::Fn::cpu_on64), 0xFF00 + n, 0, 0);  // no vcpu has that MPIDR
  }
  const usize expected = LogBudget::kFirst + (2 * kCalls - LogBudget::kFirst) / LogBudget::kEvery;
  EXPECT_EQ(log.lines.size(), expected);
  EXPECT_EQ(platform.budget.lines, 2 * kCalls);
  EXPECT_TRUE(platform.ons.empty());
}

TEST_F(HvcTest, SmcccVersionIs1_1) { EXPECT_EQ(served(fn(smccc::Fn::version)), 0x10001U); }

TEST_F(HvcTest, MigrateInfoTypeIsTwoTrustedOsNotPresent) { EXPECT_EQ(served(fn(psci::Fn::migrate_info_type)), 2U); }

// ---------------------------------------------------------------- PSCI_FEATURES

TEST_F(HvcTest, PsciFeaturesIsZeroForEveryServedFunctionIncludingSmcccVersion) {
  for (u64 f : {fn(psci::Fn::version), fn(psci::Fn::cpu_suspend), fn(psci::Fn::cpu_suspend64), fn(psci::Fn::cpu_off),
                fn(psci::Fn::cpu_on), fn(psci::Fn::cpu_on64), fn(psci::Fn::affinity_info),
                fn(psci::Fn::affinity_info64), fn(psci::Fn::migrate_info_type), fn(psci::Fn::system_off),
                fn(psci::Fn::system_reset), fn(psci::Fn::features), fn(smccc::Fn::version)}) {
    EXPECT_EQ(served(fn(psci::Fn::features), f), 0U) << std::hex << f;
  }
}

TEST_F(HvcTest, PsciFeaturesIsAllOnesForSuspendReset2MigrateAndNonPsciFunctions) {
  for (u64 f : {fn(psci::Fn::system_suspend), fn(psci::Fn::system_suspend64), fn(psci::Fn::system_reset2),
                fn(psci::Fn::system_reset2_64), u64{0x84000005}, u64{0xC4000005}, u64{0x84000007}, u64{0x84000050},
                fn(smccc::Fn::arch_features), fn(smccc::Fn::arch_workaround_1), fn(pvtime::Fn::features),
                fn(pvtime::Fn::st), u64{0}, u64{0xFFFFFFFF}}) {
    EXPECT_EQ(served(fn(psci::Fn::features), f), kAllOnes) << std::hex << f;
  }
}

TEST_F(HvcTest, PsciFeaturesIsSmc32SoUpperHalfOfQueriedIdIsIgnored) {
  EXPECT_EQ(served(fn(psci::Fn::features), kUpperJunk | fn(psci::Fn::cpu_on64)), 0U);
  EXPECT_EQ(served(fn(psci::Fn::features), kUpperJunk | fn(smccc::Fn::version)), 0U);
}

// ---------------------------------------------------------------- MPIDR mapping

TEST(VcpuAffinity, SixteenVcpusPerClusterInAff0ThenAff1) {
  EXPECT_EQ(vcpu_affinity(0), 0x0U);
  EXPECT_EQ(vcpu_affinity(3), 0x3U);
  EXPECT_EQ(vcpu_affinity(15), 0xFU);
  EXPECT_EQ(vcpu_affinity(16), 0x100U);
  EXPECT_EQ(vcpu_affinity(35), 0x203U);
  EXPECT_EQ(vcpu_vmpidr(0), 0x8000'0000U);
  EXPECT_EQ(vcpu_vmpidr(17), 0x8000'0101U);
}

TEST(VcpuAffinity, EveryVcpuRoundTripsAndNeighboursOutsideTheDomainDoNot) {
  constexpr u32 kCount = 40;
  for (u32 i = 0; i < kCount; ++i) {
    EXPECT_EQ(vcpu_of_affinity(vcpu_affinity(i), kCount), i);
  }
  EXPECT_EQ(vcpu_of_affinity(vcpu_affinity(kCount), kCount), kNoVcpu);
  EXPECT_EQ(vcpu_of_affinity(0x10, kCount), kNoVcpu);  // Aff0 16 is never used
  EXPECT_EQ(vcpu_of_affinity(vcpu_affinity(kMaxPsciVcpus - 1), kMaxPsciVcpus), kMaxPsciVcpus - 1);
}

TEST(VcpuAffinity, ReservedBitsAff2AndAff3MatchNoVcpu) {
  EXPECT_EQ(vcpu_of_affinity(0x8000'0001ULL, 4), kNoVcpu);      // bit 31: must be zero in PSCI
  EXPECT_EQ(vcpu_of_affinity(0x0100'0001ULL, 4), kNoVcpu);      // MT bit 24
  EXPECT_EQ(vcpu_of_affinity(0x1'0000'0001ULL, 4), kNoVcpu);    // Aff3 = 1
  EXPECT_EQ(vcpu_of_affinity(0x1'0000ULL, 4), kNoVcpu);         // Aff2 = 1
  EXPECT_EQ(vcpu_of_affinity(0x100'0000'0001ULL, 4), kNoVcpu);  // bit 40
}

// ---------------------------------------------------------------- CPU_ON

TEST_F(HvcTest, CpuOn64StartsTheTargetAtTheEntryWithTheFull64BitContext) {
  EXPECT_EQ(served(fn(psci::Fn::cpu_on64), 2, 0x4008'1000, 0x1234'5678'9ABC'DEF0ULL), 0U);
  ASSERT_EQ(platform.ons.size(), 1U);
  EXPECT_EQ(platform.ons[0].index, 2U);
  EXPECT_EQ(platform.ons[0].entry, 0x4008'1000U);
  EXPECT_EQ(platform.ons[0].context_id, 0x1234'5678'9ABC'DEF0ULL);
}

TEST_F(HvcTest, CpuOn32IgnoresTheUpperHalvesOfTargetEntryAndContext) {
  EXPECT_EQ(served(fn(psci::Fn::cpu_on), kUpperJunk | 1, kUpperJunk | 0x4008'0000, 0x1234'5678'9ABC'DEF0ULL), 0U);
  ASSERT_EQ(platform.ons.size(), 1U);
  EXPECT_EQ(platform.ons[0].index, 1U);
  EXPECT_EQ(platform.ons[0].entry, 0x4008'0000U);
  EXPECT_EQ(platform.ons[0].context_id, 0x9ABC'DEF0U);
}

TEST_F(HvcTest, CpuOn64KeepsTheUpperHalfSoAJunkTargetIsInvalidParameters) {
  const SmcccResult r = call(fn(psci::Fn::cpu_on64), kUpperJunk | 1, 0x4008'0000, 0);
  EXPECT_EQ(r.x0, kMinus2);
  EXPECT_EQ(r.status, SmcccStatus::refused);
  EXPECT_TRUE(platform.ons.empty());
}

TEST_F(HvcTest, CpuOnReachesAVcpuInTheSecondCluster) {
  FakePlatform big(20);
  const u64 regs[4] = {fn(psci::Fn::cpu_on64), 0x103, 0x4000'0000, 7};
  EXPECT_EQ(handle_smccc(big, 0, SmcccCall{regs}).x0, 0U);
  ASSERT_EQ(big.ons.size(), 1U);
  EXPECT_EQ(big.ons[0].index, 19U);
}

TEST_F(HvcTest, CpuOnUnknownMpidrIsInvalidParametersLoggedOnceAndNeverReachesThePlatform) {
  for (u64 mpidr : {u64{4}, u64{0x10}, u64{0x100}, u64{0x1'0000}, u64{0x8000'0001}, u64{0x1'0000'0001}}) {
    const usize before = log.lines.size();
    const SmcccResult r = call(fn(psci::Fn::cpu_on64), mpidr, 0x4008'0000, 0);
    EXPECT_EQ(r.x0, kMinus2) << std::hex << mpidr;
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(r.status, SmcccStatus::refused);
    ASSERT_EQ(log.lines.size(), before + 1);
    EXPECT_NE(log.lines.back().find("d3v0: PSCI CPU_ON"), std::string::npos) << log.lines.back();
    EXPECT_NE(log.lines.back().find("INVALID_PARAMETERS"), std::string::npos) << log.lines.back();
  }
  EXPECT_TRUE(platform.ons.empty());
}

TEST_F(HvcTest, CpuOnOfTheCallerItselfIsAlreadyOnWithoutAskingThePlatform) {
  const SmcccResult r = call(fn(psci::Fn::cpu_on64), 2, 0x4008'0000, 0, /*caller=*/2);
  EXPECT_EQ(r.x0, kMinus4);
  EXPECT_EQ(r.status, SmcccStatus::refused);
  EXPECT_TRUE(platform.ons.empty());
  ASSERT_EQ(log.lines.size(), 1U);
  EXPECT_NE(log.lines[0].find("ALREADY_ON"), std::string::npos) << log.lines[0];
}

TEST_F(HvcTest, CpuOnPlatformRefusalsReachTheGuestExactlyAndAreLogged) {
  const std::pair<i64, u64> cases[] = {{psci::kAlreadyOn, kMinus4},
                                       {psci::kOnPending, kMinus5},
                                       {psci::kInvalidAddress, kMinus9},
                                       {psci::kInvalidParameters, kMinus2}};
  for (const auto& [status, x0] : cases) {
    platform.on_status = status;
    const usize before = log.lines.size();
    const SmcccResult r = call(fn(psci::Fn::cpu_on), 1, 0x1000, 0);
    EXPECT_EQ(r.x0, x0);
    EXPECT_EQ(r.status, SmcccStatus::refused);
    ASSERT_EQ(log.lines.size(), before + 1);
    EXPECT_NE(log.lines.back().find(psci_status_name(status)), std::string::npos) << log.lines.back();
  }
  EXPECT_EQ(platform.ons.size(), 4U);
}

// ---------------------------------------------------------------- AFFINITY_INFO

TEST_F(HvcTest, AffinityInfoAtLevelZeroReportsOnOffAndOnPending) {
  platform.states = {AffinityState::on, AffinityState::off, AffinityState::on_pending, AffinityState::off};
  EXPECT_EQ(served(fn(psci::Fn::affinity_info64), 0, 0), 0U);
  EXPECT_EQ(served(fn(psci::Fn::affinity_info64), 1, 0), 1U);
  EXPECT_EQ(served(fn(psci::Fn::affinity_info), 2, 0), 2U);
  EXPECT_EQ(platform.affinity_queries, (std::vector<u32>{0, 1, 2}));
}

TEST_F(HvcTest, AffinityInfoLevelsAboveZeroAreInvalidParameters) {
  for (u64 level : {u64{1}, u64{2}, u64{3}, u64{4}, u64{0xFFFF'FFFF}}) {
    const SmcccResult r = call(fn(psci::Fn::affinity_info64), 1, level);
    EXPECT_EQ(r.x0, kMinus2) << level;
    EXPECT_EQ(r.status, SmcccStatus::refused);
  }
  EXPECT_EQ(log.lines.size(), 5U);
  EXPECT_TRUE(platform.affinity_queries.empty());
}

TEST_F(HvcTest, AffinityInfoLevelIsAUint32SoOnlyItsLowHalfCounts) {
  EXPECT_EQ(served(fn(psci::Fn::affinity_info64), 1, kUpperJunk), 1U);
  EXPECT_EQ(served(fn(psci::Fn::affinity_info), kUpperJunk | 1, kUpperJunk), 1U);
}

TEST_F(HvcTest, AffinityInfoOfAnUnknownMpidrIsInvalidParameters) {
  EXPECT_EQ(call(fn(psci::Fn::affinity_info64), 4, 0).x0, kMinus2);
  EXPECT_EQ(call(fn(psci::Fn::affinity_info64), kUpperJunk | 1, 0).x0, kMinus2);
  EXPECT_EQ(log.lines.size(), 2U);
  EXPECT_TRUE(platform.affinity_queries.empty());
}

// ---------------------------------------------------------------- CPU_OFF, CPU_SUSPEND, SYSTEM_*

TEST_F(HvcTest, CpuOffStopsTheCallerAndDoesNotReturn) {
  const SmcccResult r = call(fn(psci::Fn::cpu_off), 0, 0, 0, /*caller=*/3);
  EXPECT_FALSE(r.resume);
  EXPECT_EQ(r.status, SmcccStatus::ok);
  EXPECT_EQ(platform.offs, std::vector<u32>{3});
  EXPECT_TRUE(log.lines.empty());
}

TEST_F(HvcTest, CpuSuspendOfAnyPowerStateIsAStandbyOfTheCallerThatReturnsSuccess) {
  EXPECT_EQ(served(fn(psci::Fn::cpu_suspend), 0x0, 0, 0, 1), 0U);                   // standby
  EXPECT_EQ(served(fn(psci::Fn::cpu_suspend64), 0x1'0000, 0x4008'0000, 9, 2), 0U);  // powerdown
  EXPECT_EQ(served(fn(psci::Fn::cpu_suspend), kUpperJunk | 0x1'0000, 0x4008'0000, 9, 1), 0U);
  EXPECT_EQ(platform.suspends, (std::vector<u32>{1, 2, 1}));
}

TEST_F(HvcTest, SystemOffAndSystemResetEndTheDomainAndDoNotReturn) {
  SmcccResult r = call(fn(psci::Fn::system_off));
  EXPECT_FALSE(r.resume);
  EXPECT_EQ(platform.system_offs, 1);
  r = call(fn(psci::Fn::system_reset));
  EXPECT_FALSE(r.resume);
  EXPECT_EQ(platform.system_resets, 1);
  EXPECT_TRUE(log.lines.empty());
}

// ---------------------------------------------------------------- SMCCC_ARCH_FEATURES

TEST_F(HvcTest, ArchFeaturesIsZeroForSmcccVersionAndArchFeatures) {
  EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(smccc::Fn::version)), 0U);
  EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(smccc::Fn::arch_features)), 0U);
}

TEST_F(HvcTest, ArchFeaturesIsAllOnesForTheThreeWorkaroundsOnAnUnknownCpuAndForSocId) {
  for (u64 f : {fn(smccc::Fn::arch_workaround_1), fn(smccc::Fn::arch_workaround_2), fn(smccc::Fn::arch_workaround_3),
                fn(smccc::Fn::arch_soc_id)}) {
    EXPECT_EQ(served(fn(smccc::Fn::arch_features), f), kAllOnes) << std::hex << f;
  }
}

// The CPUs QEMU offers, through the platform's exposure: what Linux reads in proton-pack.c.
constexpr CpuIds kA57{.midr = 0x411F'D070, .pfr0 = 0x2222, .pfr1 = 0, .mmfr1 = 0};
constexpr CpuIds kA53{.midr = 0x410F'D034, .pfr0 = 0x2222, .pfr1 = 0, .mmfr1 = 0};
constexpr CpuIds kMax{.midr = 0x000F'0510, .pfr0 = 0x1201'0011'1111'2222ULL, .pfr1 = 0x20, .mmfr1 = 0};

TEST_F(HvcTest, ArchFeaturesOfTheWorkaroundsIsTrueToTheCpu) {
  struct Case {
    CpuIds ids;
    u64 wa1, wa2, wa3;
  };
  const Case cases[] = {
      {kA57, kAllOnes, kAllOnes, kAllOnes},  // affected by v2, v4, BHB; runhv mitigates none
      {kA53, 1, kMinus2, 1},                 // affected by none: UNAFFECTED, NOT_REQUIRED, UNAFFECTED
      {kMax, 1, kAllOnes, kAllOnes},         // CSV2; SSBS is the guest's own; no BHB statement
  };
  for (const Case& c : cases) {
    platform.exposure = spectre_exposure(c.ids);
    EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(smccc::Fn::arch_workaround_1)), c.wa1) << std::hex << c.ids.midr;
    EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(smccc::Fn::arch_workaround_2)), c.wa2) << std::hex << c.ids.midr;
    EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(smccc::Fn::arch_workaround_3)), c.wa3) << std::hex << c.ids.midr;
    // SMC32: the queried ID is W1.
    EXPECT_EQ(served(fn(smccc::Fn::arch_features), kUpperJunk | fn(smccc::Fn::arch_workaround_1)), c.wa1);
  }
}

TEST_F(HvcTest, WorkaroundCallsAreNoOpsAnsweringZeroWhereNotAffected) {
  platform.exposure = spectre_exposure(kA53);
  for (u64 f : {fn(smccc::Fn::arch_workaround_1), fn(smccc::Fn::arch_workaround_2), fn(smccc::Fn::arch_workaround_3)}) {
    EXPECT_EQ(served(f, 1), 0U) << std::hex << f;
    EXPECT_EQ(served(f, 0), 0U) << std::hex << f;
    EXPECT_EQ(served(kUpperJunk | f), 0U) << std::hex << f;
  }
  EXPECT_TRUE(platform.ons.empty());
  EXPECT_EQ(platform.system_offs + platform.system_resets, 0);
}

TEST_F(HvcTest, WorkaroundCallsAreRefusedWhereArchFeaturesSaidNotSupported) {
  platform.exposure = spectre_exposure(kMax);  // WA1 not affected; WA2 and WA3 not supported
  EXPECT_EQ(served(fn(smccc::Fn::arch_workaround_1)), 0U);
  for (u64 f : {fn(smccc::Fn::arch_workaround_2), fn(smccc::Fn::arch_workaround_3)}) {
    const usize before = log.lines.size();
    const SmcccResult r = call(f, 1);
    EXPECT_EQ(r.x0, kAllOnes) << std::hex << f;
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(r.status, SmcccStatus::unknown);
    EXPECT_EQ(log.lines.size(), before + 1);
  }
}

TEST_F(HvcTest, ArchFeaturesIsAllOnesForPsciAndUnknownFunctions) {
  for (u64 f : {fn(psci::Fn::version), fn(psci::Fn::cpu_on64), fn(pvtime::Fn::st), u64{0}, u64{0x8600FF01}}) {
    EXPECT_EQ(served(fn(smccc::Fn::arch_features), f), kAllOnes) << std::hex << f;
  }
}

TEST_F(HvcTest, ArchFeaturesOfPvTimeFeaturesIsZeroOnlyWhenPvTimeIsOffered) {
  EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(pvtime::Fn::features)), 0U);
  EXPECT_EQ(served(fn(smccc::Fn::arch_features), kUpperJunk | fn(pvtime::Fn::features)), 0U);  // SMC32: W1
  platform.pv_time = false;
  EXPECT_EQ(served(fn(smccc::Fn::arch_features), fn(pvtime::Fn::features)), kAllOnes);
}

// ---------------------------------------------------------------- PV time

TEST_F(HvcTest, PvTimeFeaturesReportsFeaturesAndStAndNothingElse) {
  EXPECT_EQ(served(fn(pvtime::Fn::features), fn(pvtime::Fn::features)), 0U);
  EXPECT_EQ(served(fn(pvtime::Fn::features), fn(pvtime::Fn::st)), 0U);
  EXPECT_EQ(served(fn(pvtime::Fn::features), 0xC5000022), kAllOnes);  // DEN 0057A live physical time
  EXPECT_EQ(served(fn(pvtime::Fn::features), fn(psci::Fn::version)), kAllOnes);
  EXPECT_EQ(served(fn(pvtime::Fn::features), 0), kAllOnes);
}

TEST_F(HvcTest, PvTimeStReturnsTheIpaOfTheCallingVcpusOwnRecord) {
  for (u32 caller = 0; caller < 4; ++caller) {
    EXPECT_EQ(served(fn(pvtime::Fn::st), 0, 0, 0, caller), kPvTimeBase + 64 * u64{caller});
  }
}

TEST_F(HvcTest, PvTimeNotOfferedAnswersAllOnesToEveryPvTimeCallAndLogsTheCalls) {
  platform.pv_time = false;
  for (u64 f : {fn(pvtime::Fn::features), fn(pvtime::Fn::st)}) {
    const SmcccResult r = call(f, fn(pvtime::Fn::st), 0, 0, 1);
    EXPECT_EQ(r.x0, kAllOnes);
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(r.status, SmcccStatus::unknown);
  }
  EXPECT_EQ(log.lines.size(), 2U);
}

// ---------------------------------------------------------------- unknown functions

TEST_F(HvcTest, UnservedFunctionIdsAnswerAllOnesAndLogOneLineEach) {
  const u64 ids[] = {
      0x84000005,  // MIGRATE
      0x84000007,  // MIGRATE_INFO_UP_CPU
      fn(psci::Fn::system_suspend),
      fn(psci::Fn::system_suspend64),
      fn(psci::Fn::system_reset2),
      fn(psci::Fn::system_reset2_64),
      0x84000050,  // TRNG_VERSION
      0x8600FF01,  // vendor hypervisor UID
      fn(smccc::Fn::arch_workaround_1),
      fn(smccc::Fn::arch_workaround_2),
      fn(smccc::Fn::arch_workaround_3),
      fn(smccc::Fn::arch_soc_id),
      0x84010000,  // PSCI_VERSION with the SMCCC 1.3 SVE hint bit: an SMCCC 1.1 callee does not know it
      0x04000000,  // a yielding (not fast) call
      0,
      0xFFFFFFFF,
  };
  for (u64 id : ids) {
    const usize before = log.lines.size();
    const SmcccResult r = call(id, 1, 2, 3);
    EXPECT_EQ(r.x0, kAllOnes) << std::hex << id;
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(r.status, SmcccStatus::unknown);
    ASSERT_EQ(log.lines.size(), before + 1);
    char expect[64];
    std::snprintf(expect, sizeof expect, "d3v0: HVC #0 function 0x%08x not supported", static_cast<unsigned>(id));
    EXPECT_EQ(log.lines.back(), expect);
  }
  EXPECT_TRUE(platform.ons.empty());
  EXPECT_TRUE(platform.offs.empty());
  EXPECT_EQ(platform.system_offs + platform.system_resets, 0);
}

// Random registers, half of them with function IDs near the served ones: every answer is one the
// function can give, the platform only ever sees valid vCPU indices, and refusals log one line.
TEST_F(HvcTest, RandomRegistersNeverCrashAndGetOnlyDefinedAnswers) {
  std::mt19937_64 rng(20240601);
  const u64 families[] = {0x84000000, 0xC4000000, 0x80000000, 0x80008000,
                          0x80007FF0, 0x80003FF0, 0xC5000020, 0x86000000};
  usize refusals = 0;
  for (int i = 0; i < 200'000; ++i) {
    u64 x0 = rng();
    if (rng() % 2 == 0) {
      x0 = (rng() & kUpperJunk) | families[rng() % std::size(families)] | (rng() % 24);
    }
    const u64 x1 = (rng() % 2 == 0) ? (rng() & kUpperJunk) | vcpu_affinity(static_cast<u32>(rng() % 6)) : rng();
    const u64 x2 = (rng() % 2 == 0) ? rng() % 4 : rng();
    const u32 caller = static_cast<u32>(rng() % platform.count);
    platform.on_status = (rng() % 7 == 0) ? psci::kAlreadyOn : psci::kSuccess;
    platform.states[rng() % platform.count] = static_cast<AffinityState>(rng() % 3);
    platform.pv_time = (rng() % 11) != 0;
    platform.exposure = (rng() % 2) != 0 ? spectre_exposure(kA53) : kSpectreUnknown;

    const SmcccResult r = call(x0, x1, x2, rng(), caller);
    const u64 answer = r.x0;
    if (r.status == SmcccStatus::unknown) {
      ASSERT_EQ(answer, kAllOnes);
    } else {
      const bool defined = answer == 0 || answer == 1 || answer == 2 || answer == 0x10001 || answer == kAllOnes ||
                           answer == kMinus2 || answer == kMinus4 || answer == kPvTimeBase + 64 * u64{caller};
      ASSERT_TRUE(defined) << std::hex << "x0 0x" << x0 << " answered 0x" << answer;
    }
    ASSERT_EQ(r.resume,
              !(r.status == SmcccStatus::ok && answer == 0 &&
                (static_cast<u32>(x0) == fn(psci::Fn::cpu_off) || static_cast<u32>(x0) == fn(psci::Fn::system_off) ||
                 static_cast<u32>(x0) == fn(psci::Fn::system_reset))));
    refusals += r.status != SmcccStatus::ok ? 1 : 0;
    ASSERT_EQ(platform.budget.lines, refusals);  // each refusal asks the budget for one line
  }
  EXPECT_LE(log.lines.size(), LogBudget::kFirst + refusals / LogBudget::kEvery);
  for (const OnCall& on : platform.ons) {
    ASSERT_LT(on.index, platform.count);
  }
  for (u32 q : platform.affinity_queries) {
    ASSERT_LT(q, platform.count);
  }
  // The walk did reach the paths that call the platform.
  EXPECT_GT(platform.ons.size(), 10U);
  EXPECT_GT(platform.affinity_queries.size(), 10U);
  EXPECT_GT(platform.suspends.size(), 10U);
}

// ---------------------------------------------------------------- the stolen-time record

TEST(StolenTimeRecord, LayoutIsWhatLinuxReads64BytesRevisionAttributesThenValueAtOffset8) {
  EXPECT_EQ(sizeof(pvtime::StolenTime), 64U);
  EXPECT_EQ(offsetof(pvtime::StolenTime, revision), 0U);
  EXPECT_EQ(offsetof(pvtime::StolenTime, attributes), 4U);
  EXPECT_EQ(offsetof(pvtime::StolenTime, stolen_time), 8U);
  EXPECT_EQ(pvtime::kRecordSize, 64U);
}

TEST(StolenTimeRecord, InitZeroesAll64BytesSoRevisionAndAttributesAreZero) {
  alignas(64) u8 bytes[64];
  std::memset(bytes, 0xAA, sizeof bytes);
  auto* rec = reinterpret_cast<pvtime::StolenTime*>(bytes);
  init_stolen_time(rec);
  for (usize i = 0; i < sizeof bytes; ++i) {
    EXPECT_EQ(bytes[i], 0) << "byte " << i;
  }
}

TEST(StolenTimeRecord, WriteStoresTheValueLittleEndianAtOffset8AndTouchesNothingElse) {
  alignas(64) u8 bytes[3 * 64];
  std::memset(bytes, 0xAA, sizeof bytes);
  auto* rec = reinterpret_cast<pvtime::StolenTime*>(bytes + 64);
  init_stolen_time(rec);
  write_stolen_time(rec, 0x1122'3344'5566'7788ULL);
  const u8 value[8] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
  for (usize i = 0; i < sizeof bytes; ++i) {
    u8 expect = 0xAA;  // the neighbouring records
    if (i >= 64 && i < 128) {
      const usize off = i - 64;
      expect = (off >= 8 && off < 16) ? value[off - 8] : 0;
    }
    EXPECT_EQ(bytes[i], expect) << "byte " << i;
  }
  u32 revision = 1;
  u32 attributes = 1;
  u64 stolen = 0;
  std::memcpy(&revision, bytes + 64, 4);  // how Linux reads it: le32 @0, le32 @4, le64 @8
  std::memcpy(&attributes, bytes + 64 + 4, 4);
  std::memcpy(&stolen, bytes + 64 + 8, 8);
  EXPECT_EQ(revision, 0U);
  EXPECT_EQ(attributes, 0U);
  EXPECT_EQ(stolen, 0x1122'3344'5566'7788ULL);
}

TEST(StolenTimeRecord, StolenTimeIsRunnablePlusOfflineIncludingTheCurrentInterval) {
  RunstateAccount a(0);
  a.change(RunstateState::runnable, 100);   // offline 100
  a.change(RunstateState::running, 250);    // runnable 150
  a.change(RunstateState::blocked, 1000);   // running 750
  a.change(RunstateState::runnable, 1100);  // blocked 100
  EXPECT_EQ(pv_stolen_time(a, 1100), 250U);
  EXPECT_EQ(pv_stolen_time(a, 1200), 350U);  // 100 more runnable, still in progress
  a.change(RunstateState::offline, 1300);
  EXPECT_EQ(pv_stolen_time(a, 1350), 500U);  // offline counts too
}

TEST(StolenTimeRecord, RecordFollowsTheAccountAcrossUpdates) {
  alignas(64) pvtime::StolenTime rec;
  init_stolen_time(&rec);
  RunstateAccount a(0);
  u64 last = 0;
  for (u64 now = 0; now < 10'000; now += 100) {
    a.change(static_cast<RunstateState>((now / 100) % 4), now);
    write_stolen_time(&rec, pv_stolen_time(a, now));
    EXPECT_GE(rec.stolen_time, last);
    EXPECT_EQ(rec.stolen_time, a.stolen(now));
    last = rec.stolen_time;
  }
  EXPECT_EQ(rec.revision, 0U);
  EXPECT_EQ(rec.attributes, 0U);
}

}  // namespace
}  // namespace runhv
