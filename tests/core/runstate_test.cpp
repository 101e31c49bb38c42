// Runstate accounting: the state machine and its exact-sum invariant
// SPDX-License-Identifier: MIT
#include "core/runstate.hpp"

#include <gtest/gtest.h>

#include <random>

namespace runhv {
namespace {

constexpr auto kRunning = RunstateState::running;
constexpr auto kRunnable = RunstateState::runnable;
constexpr auto kBlocked = RunstateState::blocked;
constexpr auto kOffline = RunstateState::offline;

u64 sum(const vcpu_runstate_info& r) { return r.time[0] + r.time[1] + r.time[2] + r.time[3]; }

TEST(RunstateAccount, NewVcpuIsOfflineSinceCreationWithZeroTimes) {
  RunstateAccount a(1000);
  EXPECT_EQ(a.state(), kOffline);
  EXPECT_EQ(a.info().state_entry_time, 1000U);
  EXPECT_EQ(sum(a.info()), 0U);
  EXPECT_EQ(a.created(), 1000U);
}

TEST(RunstateAccount, ChangeAddsElapsedTimeToTheOldState) {
  RunstateAccount a(0);
  a.change(kRunnable, 100);   // offline 100
  a.change(kRunning, 250);    // runnable 150
  a.change(kBlocked, 1250);   // running 1000
  a.change(kRunnable, 1300);  // blocked 50
  const auto& r = a.info();
  EXPECT_EQ(r.time[static_cast<int>(kOffline)], 100U);
  EXPECT_EQ(r.time[static_cast<int>(kRunnable)], 150U);
  EXPECT_EQ(r.time[static_cast<int>(kRunning)], 1000U);
  EXPECT_EQ(r.time[static_cast<int>(kBlocked)], 50U);
  EXPECT_EQ(r.state, static_cast<i32>(kRunnable));
  EXPECT_EQ(r.state_entry_time, 1300U);
}

TEST(RunstateAccount, SnapshotFoldsTheCurrentStateWithoutChangingTheRecord) {
  RunstateAccount a(0);
  a.change(kRunning, 10);
  auto s = a.snapshot(110);
  EXPECT_EQ(s.time[static_cast<int>(kRunning)], 100U);
  EXPECT_EQ(s.state_entry_time, 10U);
  EXPECT_EQ(a.info().time[static_cast<int>(kRunning)], 0U);
}

TEST(RunstateAccount, StolenIsRunnablePlusOffline) {
  RunstateAccount a(0);
  a.change(kRunnable, 40);   // offline 40
  a.change(kRunning, 100);   // runnable 60
  a.change(kRunnable, 130);  // running 30
  EXPECT_EQ(a.stolen(150), 40U + 60U + 20U);
}

TEST(RunstateAccount, StolenIsTheSnapshotsRunnablePlusOfflineInEveryStateAndClock) {
  RunstateAccount a(0);
  u64 t = 0;
  for (const RunstateState s : {kRunnable, kRunning, kBlocked, kOffline, kRunnable, kBlocked, kRunning}) {
    a.change(s, t += 17);
    for (const u64 now : {t - 5, t, t + 1, t + 1000}) {  // before the entry too: the clock went back
      const vcpu_runstate_info snap = a.snapshot(now);
      EXPECT_EQ(a.stolen(now), snap.time[static_cast<int>(kRunnable)] + snap.time[static_cast<int>(kOffline)])
          << "state " << static_cast<int>(s) << " at " << now;
    }
  }
}

TEST(RunstateAccount, ClockGoingBackwardsCountsAsStandingStill) {
  RunstateAccount a(500);
  a.change(kRunning, 400);
  EXPECT_EQ(sum(a.info()), 0U);
  EXPECT_EQ(a.info().state_entry_time, 500U);
  a.change(kBlocked, 700);
  EXPECT_EQ(a.info().time[static_cast<int>(kRunning)], 200U);
}

TEST(RunstateAccount, SumOfTimesPlusCurrentIntervalIsExactlyTheAgeAfterRandomWalks) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    u64 created = rng() % 1'000'000;
    RunstateAccount a(created);
    u64 now = created;
    for (int step = 0; step < 500; ++step) {
      now += rng() % 100'000;
      a.change(static_cast<RunstateState>(rng() % 4), now);
      ASSERT_EQ(sum(a.info()) + (now - a.info().state_entry_time), now - created);
      ASSERT_EQ(sum(a.info()), a.info().state_entry_time - created);
      u64 later = now + rng() % 1000;
      ASSERT_EQ(sum(a.snapshot(later)), later - created);
    }
  }
}

}  // namespace
}  // namespace runhv
