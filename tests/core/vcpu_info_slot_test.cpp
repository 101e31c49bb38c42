// VcpuInfoSlot: one registration per vCPU, also when several pCPUs register it at once
// SPDX-License-Identifier: MIT
#include "core/vcpu_info_slot.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

namespace runhv {
namespace {

constexpr DomId kD1 = static_cast<DomId>(1);

TEST(VcpuInfoSlot, ClaimedOnceThenBusyUntilReleased) {
  Frame f[2];
  ASSERT_TRUE(f[0].assign(kD1));
  ASSERT_TRUE(f[1].assign(kD1));
  xen::vcpu_info areas[2]{};
  VcpuInfoSlot slot;
  EXPECT_FALSE(slot.taken());
  ASSERT_TRUE(f[0].try_pin(kD1));
  ASSERT_TRUE(slot.claim(&f[0], &areas[0]));
  EXPECT_EQ(slot.area(), &areas[0]);
  ASSERT_TRUE(f[1].try_pin(kD1));
  EXPECT_FALSE(slot.claim(&f[1], &areas[1]));  // -EBUSY: the caller drops its own pin
  EXPECT_EQ(slot.area(), &areas[0]);
  (void)f[1].unpin();
  EXPECT_TRUE(slot.release());
  EXPECT_EQ(f[0].pins(), 0U);
  EXPECT_EQ(slot.area(), nullptr);
  EXPECT_FALSE(slot.release());
}

// Four threads (four pCPUs) register the same vCPU's vcpu_info at the same moment, each in a
// page of its own, round after round: exactly one wins each round, and no pin is left behind.
TEST(VcpuInfoSlot, RacingRegistrationsHaveExactlyOneWinner) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 50'000;
  Frame frames[kThreads];
  xen::vcpu_info areas[kThreads]{};
  for (Frame& f : frames) {
    ASSERT_TRUE(f.assign(kD1));
  }
  VcpuInfoSlot slot;
  std::barrier sync(kThreads + 1);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        sync.arrive_and_wait();
        if (!slot.taken() && frames[t].try_pin(kD1)) {
          if (slot.claim(&frames[t], &areas[t])) {
            winners.fetch_add(1, std::memory_order_relaxed);
          } else {
            (void)frames[t].unpin();
          }
        }
        sync.arrive_and_wait();
        sync.arrive_and_wait();
      }
    });
  }
  int bad_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    winners.store(0);
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    u32 pins = 0;
    for (const Frame& f : frames) {
      pins += f.pins();
    }
    bad_rounds += (winners.load() == 1 && pins == 1) ? 0 : 1;
    (void)slot.release();
    sync.arrive_and_wait();
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(bad_rounds, 0) << "rounds with other than one registration, or a pin left over";
  for (const Frame& f : frames) {
    EXPECT_EQ(f.pins(), 0U);
  }
}

}  // namespace
}  // namespace runhv
