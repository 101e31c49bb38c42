// Frame: owner and pins, alone and with pins, releases and assignments racing on real threads
// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "core/guest_memory.hpp"

namespace runhv {
namespace {

constexpr DomId kD1 = static_cast<DomId>(1);
constexpr DomId kD2 = static_cast<DomId>(2);

TEST(Frame, PinsKeepAReleasedFrameItsOwnersUntilTheLastUnpin) {
  Frame f;
  EXPECT_EQ(f.owner(), DomId::invalid);
  EXPECT_FALSE(f.try_pin(kD1));  // free: nobody's to pin
  ASSERT_TRUE(f.assign(kD1));
  EXPECT_FALSE(f.assign(kD2));
  EXPECT_FALSE(f.try_pin(kD2));
  ASSERT_TRUE(f.try_pin(kD1));
  ASSERT_TRUE(f.try_pin(kD1));
  EXPECT_EQ(f.pins(), 2U);
  EXPECT_FALSE(f.release());  // pinned: stays d1's, released
  EXPECT_TRUE(f.released());
  EXPECT_EQ(f.owner(), kD1);
  EXPECT_FALSE(f.try_pin(kD1));  // given up: no new pins
  EXPECT_FALSE(f.assign(kD2));
  EXPECT_FALSE(f.unpin());
  EXPECT_TRUE(f.unpin());  // the last pin frees it
  EXPECT_EQ(f.owner(), DomId::invalid);
  EXPECT_FALSE(f.released());
  EXPECT_EQ(f.pins(), 0U);
  EXPECT_FALSE(f.unpin());  // nothing to drop: no wrap-around
  EXPECT_EQ(f.pins(), 0U);
  EXPECT_TRUE(f.assign(kD2));
  EXPECT_TRUE(f.release());  // unpinned: free at once
  EXPECT_EQ(f.owner(), DomId::invalid);
}

// One thread pins and unpins (a registration of d1), the other gives the frame up and hands it
// to d2 (a decrease_reservation and a reuse), the two released together by a barrier, many
// rounds. A pin must only ever be held on a frame d1 owns, and each round must end with the
// frame unpinned and either free or d2's: never leaked (released with no pin left) nor pinned
// under d2.
TEST(Frame, PinReleaseAndAssignAreAtomicAcrossThreads) {
  constexpr int kRounds = 30'000;
  Frame f;
  std::barrier sync(2);
  std::atomic<int> pinned_foreign{0};
  std::atomic<int> pins_taken{0};
  std::atomic<bool> given_up{false};
  std::thread pinner([&] {
    for (int r = 0; r < kRounds; ++r) {
      sync.arrive_and_wait();  // round starts
      do {                     // pins all through the other side's release and assign
        if (f.try_pin(kD1)) {
          pins_taken.fetch_add(1, std::memory_order_relaxed);
          if (f.owner() != kD1) {
            pinned_foreign.fetch_add(1, std::memory_order_relaxed);
          }
          (void)f.unpin();
        }
      } while (!given_up.load(std::memory_order_acquire));
      sync.arrive_and_wait();  // round ends
      sync.arrive_and_wait();  // checked
    }
  });
  int bad_end = 0;
  int reassigned = 0;
  for (int r = 0; r < kRounds; ++r) {
    ASSERT_TRUE(f.assign(kD1));
    given_up.store(false);
    sync.arrive_and_wait();
    (void)f.release();
    reassigned += f.assign(kD2) ? 1 : 0;
    given_up.store(true, std::memory_order_release);
    sync.arrive_and_wait();
    const bool ok = f.pins() == 0 && !f.released() && (f.owner() == DomId::invalid || f.owner() == kD2);
    bad_end += ok ? 0 : 1;
    if (f.owner() == kD2) {
      (void)f.release();
    } else if (f.owner() != DomId::invalid) {
      f = Frame{};  // a leaked frame: start the next round from a free one
    }
    sync.arrive_and_wait();
  }
  pinner.join();
  EXPECT_EQ(pinned_foreign.load(), 0) << "pins held on a frame that was free or d2's";
  EXPECT_EQ(bad_end, 0) << "rounds that left the frame leaked or pinned";
  // Both orders happened (the race was run, not serialised by chance).
  EXPECT_GT(pins_taken.load(), 0);
  EXPECT_GT(reassigned, 0);
}

// Two threads pin and unpin the same frame while a third releases it: the frame is freed exactly
// once, by whoever drops the last pin or releases it unpinned.
TEST(Frame, ReleasedFrameIsFreedExactlyOnce) {
  constexpr int kRounds = 20'000;
  Frame f;
  std::barrier sync(3);
  std::atomic<int> frees{0};
  std::atomic<bool> given_up{false};
  auto pinner = [&] {
    for (int r = 0; r < kRounds; ++r) {
      sync.arrive_and_wait();
      do {  // pins all through the release
        if (f.try_pin(kD1)) {
          frees.fetch_add(f.unpin() ? 1 : 0, std::memory_order_relaxed);
        }
      } while (!given_up.load(std::memory_order_acquire));
      sync.arrive_and_wait();
      sync.arrive_and_wait();
    }
  };
  std::thread a(pinner);
  std::thread b(pinner);
  int wrong = 0;
  for (int r = 0; r < kRounds; ++r) {
    frees.store(0);
    ASSERT_TRUE(f.assign(kD1));
    given_up.store(false);
    sync.arrive_and_wait();
    const bool at_once = f.release();
    given_up.store(true, std::memory_order_release);
    sync.arrive_and_wait();
    const int n = frees.load() + (at_once ? 1 : 0);
    wrong += (n == 1 && f.owner() == DomId::invalid && f.pins() == 0) ? 0 : 1;
    f = Frame{};
    sync.arrive_and_wait();
  }
  a.join();
  b.join();
  EXPECT_EQ(wrong, 0) << "rounds where the frame was not freed exactly once";
}

}  // namespace
}  // namespace runhv
