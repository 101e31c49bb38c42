// Scheduler policy: round robin, pinning, yield, block/wake with deadlines, vCPU up/down, idle
// pCPUs, and the runstate record every transition leaves behind
// SPDX-License-Identifier: MIT
#include "core/sched.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "core/vcpu_op.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

constexpr auto kRunning = RunstateState::running;
constexpr auto kRunnable = RunstateState::runnable;
constexpr auto kBlocked = RunstateState::blocked;
constexpr auto kOffline = RunstateState::offline;
constexpr u64 kT0 = 5'000;  // creation of every vCPU and start of the scheduler
constexpr u64 kMs = 1'000'000;
constexpr u64 kUs = 1'000;
constexpr u64 kSecond = 1'000 * kMs;

class CapturedLog final : public LogSink {
 public:
  CapturedLog() { previous_ = set_log_sink(this); }
  ~CapturedLog() { set_log_sink(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  void line(const char* text, usize len) override { lines.emplace_back(text, len); }
  [[nodiscard]] bool contains(const std::string& needle) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  }
  std::vector<std::string> lines;

 private:
  LogSink* previous_;
};

struct Vcpu {
  VcpuRunstate rs;
  SchedVcpu sv;
};

u64 sum(const vcpu_runstate_info& r) { return r.time[0] + r.time[1] + r.time[2] + r.time[3]; }

// A scheduler over `pcpus` pCPUs and up to 8 vCPUs of domain 1, each with a real VcpuRunstate
// (offline since kT0, area without registration), and a model of the hypervisor around it.
class SchedTest : public ::testing::Test {
 protected:
  static constexpr u32 kVcpus = 8;

  void SetUp() override {
    for (u32 i = 0; i < kVcpus; ++i) {
      v[i].rs.area.init(&dom, i);
      v[i].rs.account.reset(kT0);
    }
  }
  // Every test ends with the runstate invariant and the queue/state consistency holding.
  void TearDown() override { check_consistent(); }

  void start(u32 pcpus) { ASSERT_TRUE(sched.init(pcpus, kT0)); }
  bool add(u32 i, int pin = kAnyPcpu, u64 slice = kDefaultSliceNs) {
    v[i].sv.init(&v[i].rs, 1, i, slice);
    const bool ok = sched.add(v[i].sv, pin);
    added[i] = ok;
    return ok;
  }

  [[nodiscard]] u64 time_in(u32 i, RunstateState s) const {
    return v[i].rs.account.snapshot(now).time[static_cast<int>(s)];
  }
  [[nodiscard]] RunstateState state(u32 i) const { return v[i].rs.account.state(); }
  [[nodiscard]] u64 updates(u32 i) const { return v[i].rs.area.updates(); }

  // What the hypervisor does with a reschedule mask: schedule() on each of those pCPUs, taking
  // the timer's next event from the same call (which must be what next_event() says after it).
  void serve(PcpuMask m) {
    for (u32 p = 0; p < sched.pcpus(); ++p) {
      if ((m & pcpu_bit(p)) != 0) {
        u64 event = 0;
        EXPECT_EQ(sched.schedule(p, now, event), sched.current(p));
        EXPECT_EQ(event, sched.next_event(p)) << "pCPU " << p << " at " << now;
      }
    }
  }
  // Runs every pCPU as the hypervisor would until `end`: take the earliest next_event() of all
  // pCPUs, there tick() and expire(), schedule() when told to; `each` runs after every event.
  template <class Each>
  void run_until(u64 end, Each each) {
    for (u32 same_instant = 0;;) {
      u32 p = 0;
      u64 t = kNever;
      for (u32 q = 0; q < sched.pcpus(); ++q) {
        if (const u64 e = sched.next_event(q); e < t) {
          t = e;
          p = q;
        }
      }
      if (t > end) {
        break;
      }
      same_instant = t > now ? 0 : same_instant + 1;
      if (same_instant > 100) {
        ADD_FAILURE() << "the pCPUs' next events no longer advance at " << now;
        return;
      }
      now = std::max(now, t);
      PcpuMask m = sched.expire(p, now);
      if (sched.tick(p, now)) {
        m |= pcpu_bit(p);
      }
      serve(m);
      each();
    }
    now = end;
  }
  void run_until(u64 end) {
    run_until(end, [] {});
  }

  // Runstate invariant and queue/state consistency at `now`, for every added vCPU.
  void check_consistent() {
    for (u32 i = 0; i < kVcpus; ++i) {
      if (!added[i]) {
        continue;
      }
      const auto& info = v[i].rs.account.info();
      EXPECT_EQ(sum(info) + (now - info.state_entry_time), now - v[i].rs.account.created()) << "vCPU " << i;
      EXPECT_EQ(sum(v[i].rs.account.snapshot(now)), now - kT0) << "vCPU " << i;
      EXPECT_EQ(v[i].sv.state(), state(i)) << "scheduler and runstate disagree on vCPU " << i;
    }
    check_structure(sched, [](const SchedVcpu*) { return false; });  // every owed schedule() served
  }

  // The queues hold exactly the runnable (run queue) and blocked (blocked list) vCPUs of their
  // home pCPU, once each; a running vCPU is its home's current. `may_be_pending(p)` says whether
  // pCPU p may have a current that is no longer running (it owes a schedule()).
  template <class Pending>
  void check_structure(const Scheduler& s, Pending may_be_pending) {
    for (u32 p = 0; p < s.pcpus(); ++p) {
      for (const SchedList* list : {s.run_queue(p), s.blocked(p)}) {
        const RunstateState want = list == s.run_queue(p) ? kRunnable : kBlocked;
        u32 n = 0;
        for (const SchedVcpu* q = list->front(); q != nullptr; q = q->next_listed()) {
          EXPECT_EQ(q->pcpu(), p);
          EXPECT_EQ(q->state(), want);
          ++n;
        }
        EXPECT_EQ(n, list->size());  // as many back from the tail as forward from the head
      }
      if (const SchedVcpu* c = s.current(p); c != nullptr) {
        EXPECT_EQ(c->pcpu(), p);
        if (c->state() != kRunning) {
          EXPECT_TRUE(may_be_pending(c)) << "pCPU " << p << " keeps a current that is not running";
        }
      }
    }
    for (u32 i = 0; i < kVcpus; ++i) {
      if (!added[i]) {
        continue;
      }
      const SchedVcpu& sv = v[i].sv;
      const u32 listed = count_on(s.run_queue(sv.pcpu()), &sv) + count_on(s.blocked(sv.pcpu()), &sv);
      switch (sv.state()) {
        case kRunnable:
        case kBlocked:
          EXPECT_EQ(listed, 1U) << "vCPU " << i;
          break;
        case kRunning:
          EXPECT_EQ(listed, 0U) << "vCPU " << i;
          EXPECT_EQ(s.current(sv.pcpu()), &sv) << "running vCPU " << i << " is not current";
          break;
        case kOffline:
          EXPECT_EQ(listed, 0U) << "vCPU " << i;
          break;
      }
    }
  }
  static u32 count_on(const SchedList* list, const SchedVcpu* sv) {
    u32 n = 0;
    for (const SchedVcpu* q = list->front(); q != nullptr; q = q->next_listed()) {
      n += q == sv ? 1U : 0U;
    }
    return n;
  }

  RunstateDomain dom;
  Vcpu v[kVcpus];
  bool added[kVcpus] = {};
  Scheduler sched;
  u64 now = kT0;
  CapturedLog log;
};

// ---------------------------------------------------------------- round robin

TEST_F(SchedTest, TwoBusyVcpusOnOnePcpuShareItFairlyOverASecond) {
  start(1);
  add(0);
  add(1);
  EXPECT_EQ(sched.vcpu_up(v[0].sv, now), pcpu_bit(0));
  EXPECT_EQ(sched.vcpu_up(v[1].sv, now), pcpu_bit(0));
  serve(pcpu_bit(0));
  EXPECT_EQ(sched.current(0), &v[0].sv);
  run_until(kT0 + kSecond, [&] { check_consistent(); });

  for (u32 i = 0; i < 2; ++i) {
    const u64 runnable = time_in(i, kRunnable);
    const u64 running = time_in(i, kRunning);
    EXPECT_GE(runnable, kSecond * 3 / 10) << "vCPU " << i;  // the QEMU test's 30%..70% band
    EXPECT_LE(runnable, kSecond * 7 / 10) << "vCPU " << i;
    EXPECT_EQ(running + runnable, kSecond) << "vCPU " << i;  // up since kT0, never blocked
    EXPECT_EQ(time_in(i, kOffline), 0U);
    // Strict alternation of 1 ms slices: 500 each.
    EXPECT_EQ(running, 500 * kMs) << "vCPU " << i;
    EXPECT_GE(v[i].sv.stats().switches_in, 500U);
    EXPECT_LE(v[i].sv.stats().switches_in, 501U);  // vCPU 0 is dispatched again at the very end
  }
  EXPECT_EQ(sched.stats(0, now).idle_ns, 0U);
}

TEST_F(SchedTest, ThreeBusyVcpusRunInFifoOrderWithEqualShares) {
  start(1);
  for (u32 i = 0; i < 3; ++i) {
    add(i);
    sched.vcpu_up(v[i].sv, now);
  }
  std::vector<u32> order;
  auto record = [&] {
    const SchedVcpu* c = sched.current(0);
    if (order.empty() || order.back() != c->vcpu()) {
      order.push_back(c->vcpu());
    }
  };
  serve(pcpu_bit(0));
  record();
  run_until(kT0 + kSecond, record);

  ASSERT_GE(order.size(), 9U);
  for (usize k = 0; k < order.size(); ++k) {
    EXPECT_EQ(order[k], k % 3) << "dispatch " << k;
  }
  for (u32 i = 0; i < 3; ++i) {
    // 1000 slices of 1 ms: 334 / 333 / 333.
    EXPECT_NEAR(static_cast<double>(time_in(i, kRunning)), kSecond / 3.0, 1.0 * kMs) << "vCPU " << i;
    EXPECT_EQ(time_in(i, kRunning) + time_in(i, kRunnable), kSecond);
  }
  EXPECT_EQ(time_in(0, kRunning) + time_in(1, kRunning) + time_in(2, kRunning), kSecond);
}

TEST_F(SchedTest, PerVcpuSliceLengthsGiveProportionalShares) {
  start(1);
  add(0, kAnyPcpu, 2 * kMs);
  add(1, kAnyPcpu, 1 * kMs);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  run_until(kT0 + 300 * kMs);
  EXPECT_EQ(time_in(0, kRunning), 200 * kMs);
  EXPECT_EQ(time_in(1, kRunning), 100 * kMs);
}

// The locked read another pCPU uses (console marks): the times so far, current state included.
TEST_F(SchedTest, RunstateReadFoldsTheCurrentStateIn) {
  start(1);
  ASSERT_TRUE(add(0));
  ASSERT_TRUE(add(1));
  now = kT0 + 3 * kMs;
  serve(sched.vcpu_up(v[0].sv, now));
  now += 2 * kMs;
  serve(sched.vcpu_up(v[1].sv, now));
  now += 5 * kMs;
  const vcpu_runstate_info r0 = sched.runstate(v[0].sv, now);
  const vcpu_runstate_info r1 = sched.runstate(v[1].sv, now);
  EXPECT_EQ(r0.time[static_cast<int>(kOffline)], 3 * kMs);
  EXPECT_EQ(r0.time[static_cast<int>(kRunning)], 7 * kMs);
  EXPECT_EQ(r1.time[static_cast<int>(kOffline)], 5 * kMs);
  EXPECT_EQ(r1.time[static_cast<int>(kRunnable)], 5 * kMs);
  EXPECT_EQ(sum(r0), now - kT0);
  EXPECT_EQ(sum(r1), now - kT0);
}

TEST_F(SchedTest, SingleBusyVcpuRunsAllTheTimeWithoutSwitchesOrAreaUpdates) {
  start(1);
  add(0);
  now = kT0 + 7 * kUs;
  const u64 up = now;
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  run_until(kT0 + kSecond);

  EXPECT_EQ(time_in(0, kRunning), kT0 + kSecond - up);  // every nanosecond since it came up
  EXPECT_EQ(time_in(0, kOffline), up - kT0);
  EXPECT_EQ(time_in(0, kRunnable), 0U);
  EXPECT_EQ(v[0].sv.stats().switches_in, 1U);
  EXPECT_GE(v[0].sv.stats().slices_expired, 999U);  // slices end, but nobody else wants the pCPU
  EXPECT_EQ(updates(0), 2U);                        // up, dispatch: nothing per slice
  EXPECT_EQ(sched.stats(0, now).idle_ns, up - kT0);
  EXPECT_EQ(sched.stats(0, now).switches, 1U);
}

TEST_F(SchedTest, WakeDoesNotPreemptTheCurrentSlice) {
  start(1);
  add(0);
  add(1);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  now += 100 * kUs;
  EXPECT_EQ(sched.vcpu_up(v[1].sv, now), 0U);   // the pCPU is busy: no IPI
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);  // a spurious schedule() keeps the current
  EXPECT_EQ(sched.next_event(0), kT0 + kDefaultSliceNs);
  now = kT0 + kDefaultSliceNs;
  EXPECT_TRUE(sched.tick(0, now));
  EXPECT_EQ(sched.schedule(0, now), &v[1].sv);
  EXPECT_EQ(time_in(1, kRunnable), 900 * kUs);
}

// ---------------------------------------------------------------- placement and pinning

TEST_F(SchedTest, UnpinnedVcpusGoToTheLeastLoadedPcpu) {
  start(3);
  ASSERT_TRUE(add(0, 1));
  ASSERT_TRUE(add(1, 1));
  ASSERT_TRUE(add(2));  // pCPU 0 (0 assigned; lowest index on a tie with pCPU 2)
  ASSERT_TRUE(add(3));  // pCPU 2
  ASSERT_TRUE(add(4));  // pCPU 0 again (0:1, 1:2, 2:1)
  EXPECT_EQ(v[2].sv.pcpu(), 0U);
  EXPECT_EQ(v[3].sv.pcpu(), 2U);
  EXPECT_EQ(v[4].sv.pcpu(), 0U);
  EXPECT_EQ(sched.assigned(0), 2U);
  EXPECT_EQ(sched.assigned(1), 2U);
  EXPECT_EQ(sched.assigned(2), 1U);
}

TEST_F(SchedTest, PinnedVcpuNeverRunsOnAnotherPcpu) {
  start(2);
  add(0, 1);
  add(1, 1);
  add(2);
  add(3);
  ASSERT_EQ(v[2].sv.pcpu(), 0U);
  ASSERT_EQ(v[3].sv.pcpu(), 0U);
  PcpuMask m = 0;
  for (u32 i = 0; i < 4; ++i) {
    m |= sched.vcpu_up(v[i].sv, now);
  }
  EXPECT_EQ(m, pcpu_bit(0) | pcpu_bit(1));
  serve(m);
  u32 seen_on_1 = 0;
  run_until(kT0 + 100 * kMs, [&] {
    const SchedVcpu* c0 = sched.current(0);
    const SchedVcpu* c1 = sched.current(1);
    EXPECT_TRUE(c0 != &v[0].sv && c0 != &v[1].sv) << "a vCPU pinned to pCPU 1 runs on pCPU 0";
    EXPECT_TRUE(c1 == &v[0].sv || c1 == &v[1].sv);
    seen_on_1 |= 1U << c1->vcpu();
  });
  EXPECT_EQ(seen_on_1, 3U);
  for (u32 i = 0; i < 4; ++i) {
    EXPECT_EQ(time_in(i, kRunning), 50 * kMs) << "vCPU " << i;
  }
}

TEST_F(SchedTest, PinToAMissingPcpuIsRefusedAndLogged) {
  start(2);
  EXPECT_FALSE(add(0, 2));
  EXPECT_FALSE(add(1, -7));
  EXPECT_TRUE(log.contains("d1v0: sched: pinned to pCPU 2, which does not exist (2 pCPUs); refused"));
  EXPECT_EQ(v[0].sv.pcpu(), kNoPcpu);
  EXPECT_EQ(sched.assigned(0) + sched.assigned(1), 0U);
  EXPECT_EQ(sched.vcpu_up(v[0].sv, now), 0U);  // not added: ignored
  EXPECT_EQ(state(0), kOffline);
  EXPECT_TRUE(log.contains("d1v0: sched: vcpu_up of a vCPU that was never added; ignored"));
}

TEST_F(SchedTest, AddTwiceOrAddingAnOnlineVcpuIsRefused) {
  start(1);
  ASSERT_TRUE(add(0));
  EXPECT_FALSE(sched.add(v[0].sv, kAnyPcpu));
  v[1].sv.init(&v[1].rs, 1, 1);
  v[1].rs.change(kRunnable, kT0);  // someone else brought it up
  EXPECT_FALSE(sched.add(v[1].sv, kAnyPcpu));
  v[1].rs.account.reset(kT0);
  EXPECT_EQ(sched.assigned(0), 1U);
}

TEST_F(SchedTest, RemoveTakesBackAnOfflineVcpuOnly) {
  start(2);
  add(0, 1);
  sched.vcpu_up(v[0].sv, now);
  EXPECT_FALSE(sched.remove(v[0].sv));
  sched.vcpu_down(v[0].sv, now);
  EXPECT_TRUE(sched.remove(v[0].sv));
  added[0] = false;
  EXPECT_EQ(sched.assigned(1), 0U);
  EXPECT_EQ(v[0].sv.pcpu(), kNoPcpu);
  EXPECT_TRUE(add(0, 0));  // and may be added again
  EXPECT_EQ(v[0].sv.pcpu(), 0U);
}

// ---------------------------------------------------------------- yield

TEST_F(SchedTest, YieldWithNoOtherRunnableVcpuDoesNotSwitchNorTouchTheRunstate) {
  start(1);
  add(0);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  now += 300 * kUs;
  const auto before = v[0].rs.account.info();
  const u64 updates_before = updates(0);
  ASSERT_TRUE(sched.yield(0));
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);
  EXPECT_EQ(updates(0), updates_before);  // no area write
  EXPECT_EQ(v[0].rs.account.info().state_entry_time, before.state_entry_time);
  EXPECT_EQ(state(0), kRunning);
  EXPECT_EQ(v[0].sv.stats().yields, 1U);
  EXPECT_EQ(v[0].sv.stats().switches_in, 1U);
  EXPECT_EQ(sched.stats(0, now).switches, 1U);
  EXPECT_EQ(sched.next_event(0), now + kDefaultSliceNs);  // it got a fresh slice
}

TEST_F(SchedTest, YieldWithAnotherRunnableVcpuSwitchesToItAndQueuesTheYielder) {
  start(1);
  add(0);
  add(1);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  now += 200 * kUs;
  ASSERT_TRUE(sched.yield(0));
  EXPECT_EQ(sched.schedule(0, now), &v[1].sv);
  EXPECT_EQ(state(0), kRunnable);
  EXPECT_EQ(state(1), kRunning);
  EXPECT_EQ(sched.run_queue(0)->front(), &v[0].sv);
  EXPECT_EQ(time_in(0, kRunning), 200 * kUs);
  EXPECT_EQ(time_in(1, kRunnable), 200 * kUs);
  now += 50 * kUs;
  ASSERT_TRUE(sched.yield(0));
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);  // and back: the two yield to each other
  EXPECT_EQ(time_in(1, kRunning), 50 * kUs);
  EXPECT_EQ(v[0].sv.stats().yields + v[1].sv.stats().yields, 2U);
  EXPECT_EQ(sched.stats(0, now).switches, 3U);
}

TEST_F(SchedTest, ScheduleYieldingIsYieldThenScheduleUnderOneLock) {
  start(1);
  add(0);
  add(1);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));  // 0 runs alone
  now += 300 * kUs;
  u64 event = 0;
  const u64 updates_before = updates(0);
  EXPECT_EQ(sched.schedule(0, now, event, true), &v[0].sv);  // nobody else: a fresh slice
  EXPECT_EQ(event, now + kDefaultSliceNs);
  EXPECT_EQ(updates(0), updates_before);  // no runstate change, no area write
  EXPECT_EQ(v[0].sv.stats().yields, 1U);
  sched.vcpu_up(v[1].sv, now);
  now += 200 * kUs;
  EXPECT_EQ(sched.schedule(0, now, event, true), &v[1].sv);  // 1 queued: it runs
  EXPECT_EQ(event, now + kDefaultSliceNs);
  EXPECT_EQ(state(0), kRunnable);
  EXPECT_EQ(sched.run_queue(0)->front(), &v[0].sv);
  EXPECT_EQ(time_in(0, kRunning), 500 * kUs);
  EXPECT_EQ(time_in(1, kRunnable), 200 * kUs);
  now += 50 * kUs;
  EXPECT_EQ(sched.schedule(0, now, event, false), &v[1].sv);  // not yielding: within its slice
  EXPECT_EQ(sched.schedule(0, now, event, true), &v[0].sv);
  EXPECT_EQ(time_in(1, kRunning), 50 * kUs);
  EXPECT_EQ(v[0].sv.stats().yields, 2U);
  EXPECT_EQ(v[1].sv.stats().yields, 1U);
  EXPECT_EQ(sched.stats(0, now).switches, 3U);
  ASSERT_TRUE(sched.block(v[0].sv, now, kNever));
  EXPECT_EQ(sched.schedule(0, now, event, true), &v[1].sv);  // a blocked current's yield: none
  EXPECT_EQ(v[0].sv.stats().yields, 2U);
  ASSERT_TRUE(sched.block(v[1].sv, now, kNever));
  EXPECT_EQ(sched.schedule(0, now, event, true), nullptr);
  EXPECT_EQ(sched.schedule(0, now, event, true), nullptr);  // idle: ignored, and not logged
  EXPECT_FALSE(log.contains("yield"));
  EXPECT_EQ(v[1].sv.stats().yields, 1U);
}

TEST_F(SchedTest, YieldOnAnIdlePcpuIsIgnoredAndLogged) {
  start(2);
  EXPECT_FALSE(sched.yield(1));
  EXPECT_TRUE(log.contains("sched: yield on pCPU 1, which has no running vCPU; ignored"));
  EXPECT_FALSE(sched.yield(5));
  EXPECT_TRUE(log.contains("sched: yield on pCPU 5, which does not exist (2 pCPUs)"));
}

// ---------------------------------------------------------------- block and wake

TEST_F(SchedTest, BlockWithDeadlineWakesAtExpireAndIsAccountedBlockedExactly) {
  start(1);
  add(0);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  now += 400 * kUs;
  const u64 blocked_at = now;
  const u64 deadline = blocked_at + 300 * kUs;
  ASSERT_TRUE(sched.block(v[0].sv, now, deadline));
  EXPECT_EQ(state(0), kBlocked);
  EXPECT_EQ(sched.schedule(0, now), nullptr);  // nothing else: idle
  EXPECT_EQ(sched.next_event(0), deadline);    // no slice to end, the deadline only

  now = deadline - 1;
  EXPECT_EQ(sched.expire(0, now), 0U);
  EXPECT_EQ(state(0), kBlocked);
  now = deadline;
  EXPECT_EQ(sched.expire(0, now), pcpu_bit(0));  // idle pCPU with a woken vCPU
  EXPECT_EQ(state(0), kRunnable);
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);

  EXPECT_EQ(time_in(0, kBlocked), deadline - blocked_at);
  EXPECT_EQ(time_in(0, kRunnable), 0U);  // woken and dispatched at the same instant
  EXPECT_EQ(time_in(0, kRunning), 400 * kUs);
  EXPECT_EQ(sched.stats(0, now).idle_ns, 300 * kUs);
  EXPECT_EQ(v[0].sv.stats().blocks, 1U);
  EXPECT_EQ(v[0].sv.stats().wakes, 1U);
  EXPECT_EQ(v[0].sv.wake_deadline(), kNever);
}

TEST_F(SchedTest, BlockedVcpuWokenByTheHypervisorLoopAtItsDeadline) {
  start(1);
  add(0);
  add(1);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  now += 100 * kUs;
  ASSERT_TRUE(sched.block(v[0].sv, now, now + 2500 * kUs));  // WFI with the timer 2.5 ms away
  serve(pcpu_bit(0));
  EXPECT_EQ(sched.current(0), &v[1].sv);
  run_until(kT0 + 10 * kMs);
  EXPECT_EQ(time_in(0, kBlocked), 2500 * kUs);
}

TEST_F(SchedTest, BlockOfAVcpuThatIsNotCurrentIsIgnoredAndLogged) {
  start(1);
  add(0);
  add(1);
  EXPECT_FALSE(sched.block(v[0].sv, now, kNever));  // offline
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  const u64 updates_before = updates(1);
  EXPECT_FALSE(sched.block(v[1].sv, now, kNever));  // runnable, not current
  EXPECT_EQ(state(1), kRunnable);
  EXPECT_EQ(updates(1), updates_before);
  EXPECT_TRUE(log.contains("d1v1: sched: block of a vCPU that is not running on pCPU 0; ignored"));
  EXPECT_EQ(sched.run_queue(0)->size(), 1U);
}

TEST_F(SchedTest, BlockWithADeadlineAlreadyPassedDoesNotBlock) {
  start(1);
  add(0);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  now += kUs;
  EXPECT_FALSE(sched.block(v[0].sv, now, now));
  EXPECT_EQ(state(0), kRunning);
  EXPECT_EQ(v[0].sv.stats().blocks, 0U);
  EXPECT_TRUE(log.lines.empty());
}

TEST_F(SchedTest, WakeFromAnotherPcpuRequestsARescheduleOfTheIdlePcpu) {
  start(2);
  add(0, 1);
  EXPECT_EQ(sched.vcpu_up(v[0].sv, now), pcpu_bit(1));
  serve(pcpu_bit(1));
  now += 10 * kUs;
  ASSERT_TRUE(sched.block(v[0].sv, now, kNever));  // SCHEDOP_block: no deadline
  EXPECT_EQ(sched.schedule(1, now), nullptr);
  EXPECT_EQ(sched.next_event(1), kNever);
  now += 90 * kUs;
  EXPECT_EQ(sched.wake(v[0].sv, now), pcpu_bit(1));  // an event sent from pCPU 0
  EXPECT_EQ(sched.current(1), nullptr);              // nothing runs until pCPU 1 reschedules
  EXPECT_EQ(sched.schedule(1, now), &v[0].sv);
  EXPECT_EQ(time_in(0, kBlocked), 90 * kUs);
  EXPECT_EQ(sched.stats(1, now).idle_ns, 90 * kUs);
  EXPECT_EQ(sched.stats(0, now).idle_ns, now - kT0);  // pCPU 0 never ran anything
  EXPECT_EQ(sched.current(0), nullptr);
}

TEST_F(SchedTest, WakeOfAVcpuOnABusyPcpuQueuesItWithoutAnIpi) {
  start(1);
  add(0);
  add(1);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  ASSERT_TRUE(sched.block(v[0].sv, now + kUs, kNever));
  now += kUs;
  serve(pcpu_bit(0));
  EXPECT_EQ(sched.current(0), &v[1].sv);
  now += 10 * kUs;
  EXPECT_EQ(sched.wake(v[0].sv, now), 0U);
  EXPECT_EQ(sched.run_queue(0)->front(), &v[0].sv);
  EXPECT_EQ(state(0), kRunnable);
}

TEST_F(SchedTest, WakeOfAVcpuThatIsNotBlockedChangesNothing) {
  start(1);
  add(0);
  add(1);
  EXPECT_EQ(sched.wake(v[0].sv, now), 0U);  // offline stays offline
  EXPECT_EQ(state(0), kOffline);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  const u64 u0 = updates(0);
  const u64 u1 = updates(1);
  EXPECT_EQ(sched.wake(v[0].sv, now + 5), 0U);  // running
  EXPECT_EQ(sched.wake(v[1].sv, now + 5), 0U);  // runnable
  EXPECT_EQ(updates(0), u0);
  EXPECT_EQ(updates(1), u1);
  EXPECT_EQ(v[0].sv.stats().wakes + v[1].sv.stats().wakes, 0U);
}

TEST_F(SchedTest, WakeBeforeTheBlockersScheduleKeepsItRunningInPlace) {
  start(2);
  add(0, 0);
  add(1, 0);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  now += 20 * kUs;
  ASSERT_TRUE(sched.block(v[0].sv, now, kNever));
  now += 1 * kUs;
  EXPECT_EQ(sched.wake(v[0].sv, now), 0U);  // from pCPU 1, before pCPU 0 switched away
  EXPECT_EQ(state(0), kRunning);
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);  // within its slice: kept
  EXPECT_EQ(time_in(0, kBlocked), 1 * kUs);
  EXPECT_EQ(v[0].sv.stats().switches_in, 1U);
  EXPECT_EQ(state(1), kRunnable);
}

// ---------------------------------------------------------------- vCPU up and down

TEST_F(SchedTest, VcpuDownOfTheCurrentVcpuMakesItOfflineAndReschedulesItsPcpu) {
  start(2);
  add(0, 1);
  add(1, 1);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(1));
  now += 30 * kUs;
  EXPECT_EQ(sched.vcpu_down(v[0].sv, now), pcpu_bit(1));
  EXPECT_EQ(state(0), kOffline);
  EXPECT_EQ(sched.schedule(1, now), &v[1].sv);
  EXPECT_EQ(count_on(sched.run_queue(1), &v[0].sv), 0U);
  EXPECT_EQ(time_in(0, kRunning), 30 * kUs);
  now += 70 * kUs;
  EXPECT_EQ(time_in(0, kOffline), 70 * kUs);
  EXPECT_EQ(sched.vcpu_down(v[0].sv, now), 0U);  // already down: nothing
}

TEST_F(SchedTest, VcpuDownOfARunnableVcpuTakesItOffTheRunQueue) {
  start(1);
  add(0);
  add(1);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  serve(pcpu_bit(0));
  now += 10 * kUs;
  EXPECT_EQ(sched.vcpu_down(v[1].sv, now), 0U);  // not current: nobody must reschedule
  EXPECT_EQ(state(1), kOffline);
  EXPECT_TRUE(sched.run_queue(0)->empty());
  EXPECT_EQ(time_in(1, kRunnable), 10 * kUs);
  now = kT0 + kDefaultSliceNs;
  EXPECT_TRUE(sched.tick(0, now));
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);  // nobody else left
}

TEST_F(SchedTest, VcpuDownOfABlockedVcpuDropsItAndItsDeadline) {
  start(1);
  add(0);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  ASSERT_TRUE(sched.block(v[0].sv, now, now + kMs));
  EXPECT_EQ(sched.schedule(0, now), nullptr);
  now += 10 * kUs;
  EXPECT_EQ(sched.vcpu_down(v[0].sv, now), 0U);
  EXPECT_EQ(state(0), kOffline);
  EXPECT_TRUE(sched.blocked(0)->empty());
  EXPECT_EQ(sched.next_event(0), kNever);
  now += kMs;
  EXPECT_EQ(sched.expire(0, now), 0U);  // the old deadline wakes nothing
  EXPECT_EQ(state(0), kOffline);
  EXPECT_EQ(time_in(0, kBlocked), 10 * kUs);
}

TEST_F(SchedTest, VcpuUpBeforeItsPcpuSwitchedAwayKeepsItRunning) {
  start(1);
  add(0);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  now += 5 * kUs;
  EXPECT_EQ(sched.vcpu_down(v[0].sv, now), pcpu_bit(0));
  now += 5 * kUs;
  EXPECT_EQ(sched.vcpu_up(v[0].sv, now), 0U);
  EXPECT_EQ(state(0), kRunning);
  EXPECT_EQ(sched.schedule(0, now), &v[0].sv);
  EXPECT_TRUE(sched.run_queue(0)->empty());
  EXPECT_EQ(time_in(0, kOffline), 5 * kUs);
}

// What vcpu_up waits on before it writes a vCPU's registers: current from the schedule() that
// picked it (its pCPU is about to load it) until the schedule() that takes it off, also while it
// is offline in between.
TEST_F(SchedTest, IsCurrentFromThePickToTheNextSchedule) {
  start(1);
  add(0);
  add(1);
  EXPECT_FALSE(sched.is_current(v[0].sv));
  sched.vcpu_up(v[0].sv, now);
  EXPECT_FALSE(sched.is_current(v[0].sv));  // runnable, not picked
  serve(pcpu_bit(0));
  EXPECT_TRUE(sched.is_current(v[0].sv));
  sched.vcpu_down(v[0].sv, now);
  EXPECT_TRUE(sched.is_current(v[0].sv));  // offline, but its pCPU has not switched away yet
  EXPECT_EQ(sched.schedule(0, now), nullptr);
  EXPECT_FALSE(sched.is_current(v[0].sv));
  EXPECT_FALSE(sched.is_current(v[1].sv));
  SchedVcpu never_added;
  EXPECT_FALSE(sched.is_current(never_added));
}

TEST_F(SchedTest, DomainStopTakesEveryVcpuOfflineWhateverItsState) {
  start(2);
  for (u32 i = 0; i < 4; ++i) {
    add(i, static_cast<int>(i % 2));
    sched.vcpu_up(v[i].sv, now);
  }
  serve(pcpu_bit(0) | pcpu_bit(1));
  now += 10 * kUs;
  ASSERT_TRUE(sched.block(v[0].sv, now, kNever));  // 0 blocked, 1 running, 3 queued
  serve(pcpu_bit(0));                              // 2 runs on pCPU 0
  now += 10 * kUs;
  PcpuMask m = 0;
  for (u32 i = 0; i < 4; ++i) {
    m |= sched.vcpu_down(v[i].sv, now);
  }
  EXPECT_EQ(m, pcpu_bit(0) | pcpu_bit(1));
  serve(m);
  for (u32 i = 0; i < 4; ++i) {
    EXPECT_EQ(state(i), kOffline) << "vCPU " << i;
    EXPECT_TRUE(sched.remove(v[i].sv));
    added[i] = false;
  }
  EXPECT_EQ(sched.current(0), nullptr);
  EXPECT_EQ(sched.current(1), nullptr);
  EXPECT_TRUE(sched.run_queue(0)->empty() && sched.run_queue(1)->empty());
  EXPECT_TRUE(sched.blocked(0)->empty() && sched.blocked(1)->empty());
}

// ---------------------------------------------------------------- timer programming, idle

TEST_F(SchedTest, NextEventIsTheSliceEndOrAnEarlierWakeDeadline) {
  start(1);
  add(0);
  add(1);
  add(2);
  for (u32 i = 0; i < 3; ++i) {
    sched.vcpu_up(v[i].sv, now);
  }
  serve(pcpu_bit(0));  // 0 runs
  ASSERT_TRUE(sched.yield(0));
  serve(pcpu_bit(0));  // 1 runs
  ASSERT_TRUE(sched.block(v[1].sv, now, kT0 + 3 * kMs));
  serve(pcpu_bit(0));                                     // 2 runs, slice ends at kT0 + 1 ms
  EXPECT_EQ(sched.next_event(0), kT0 + kDefaultSliceNs);  // deadline is later: the slice end

  now += 100 * kUs;
  ASSERT_TRUE(sched.yield(0));
  serve(pcpu_bit(0));  // 0 runs from kT0 + 100 us
  ASSERT_TRUE(sched.block(v[0].sv, now, kT0 + 150 * kUs));
  serve(pcpu_bit(0));                               // 2 runs from kT0 + 100 us
  EXPECT_EQ(sched.next_event(0), kT0 + 150 * kUs);  // the earlier deadline
  now = kT0 + 150 * kUs;
  serve(sched.expire(0, now));
  EXPECT_EQ(sched.next_event(0), kT0 + 100 * kUs + kDefaultSliceNs);
}

TEST_F(SchedTest, ScheduleAnswersTheNextEventOfEachOutcome) {
  start(1);
  add(0);
  add(1);
  u64 event = 0;
  EXPECT_EQ(sched.schedule(0, now, event), nullptr);  // idle, nothing blocked
  EXPECT_EQ(event, kNever);
  sched.vcpu_up(v[0].sv, now);
  sched.vcpu_up(v[1].sv, now);
  EXPECT_EQ(sched.schedule(0, now, event), &v[0].sv);  // dispatched: its slice's end
  EXPECT_EQ(event, kT0 + kDefaultSliceNs);
  now += 10 * kUs;
  EXPECT_EQ(sched.schedule(0, now, event), &v[0].sv);  // within its slice: the same end
  EXPECT_EQ(event, kT0 + kDefaultSliceNs);
  ASSERT_TRUE(sched.block(v[0].sv, now, kT0 + 200 * kUs));
  EXPECT_EQ(sched.schedule(0, now, event), &v[1].sv);  // the blocked one's deadline is earlier
  EXPECT_EQ(event, kT0 + 200 * kUs);
  now += 10 * kUs;
  ASSERT_TRUE(sched.yield(0));
  EXPECT_EQ(sched.schedule(0, now, event), &v[1].sv);  // alone: a fresh slice, still the deadline
  EXPECT_EQ(event, kT0 + 200 * kUs);
  ASSERT_TRUE(sched.block(v[1].sv, now, kT0 + 5 * kMs));
  EXPECT_EQ(sched.schedule(0, now, event), nullptr);  // idle: the earliest deadline
  EXPECT_EQ(event, kT0 + 200 * kUs);
  now = kT0 + 200 * kUs;
  serve(sched.expire(0, now));  // 0 runs again from its deadline: its slice end or 1's deadline
  EXPECT_EQ(sched.next_event(0), kT0 + 200 * kUs + kDefaultSliceNs);
  EXPECT_EQ(sched.schedule(0, now, event), &v[0].sv);
  EXPECT_EQ(event, kT0 + 200 * kUs + kDefaultSliceNs);
  EXPECT_EQ(sched.schedule(7, now, event), nullptr);  // no such pCPU: nothing to program
  EXPECT_EQ(event, kNever);
}

TEST_F(SchedTest, IdlePcpuHasNoEventsAndCountsIdleTime) {
  start(2);
  EXPECT_EQ(sched.schedule(0, now), nullptr);
  EXPECT_EQ(sched.next_event(0), kNever);
  now += 3 * kMs;
  EXPECT_FALSE(sched.tick(0, now));
  EXPECT_EQ(sched.expire(0, now), 0U);
  EXPECT_EQ(sched.schedule(0, now), nullptr);
  EXPECT_EQ(sched.stats(0, now).idle_ns, 3 * kMs);
  EXPECT_EQ(sched.stats(0, now).switches, 0U);
  add(0, 0);
  sched.vcpu_up(v[0].sv, now);
  serve(pcpu_bit(0));
  now += kMs;
  EXPECT_EQ(sched.stats(0, now).idle_ns, 3 * kMs);  // stopped counting at the dispatch
  EXPECT_EQ(sched.stats(1, now).idle_ns, 4 * kMs);
  EXPECT_EQ(sched.schedule(9, now), nullptr);
  EXPECT_EQ(sched.next_event(9), kNever);
}

// Slice ends taken late by a random 0..80 % of a slice (a delayed timer interrupt, a long exit):
// the next slice is shorter by the overrun, so four busy vCPUs get equal running time (within a
// slice), not merely equal numbers of slices; uncompensated, the delays' random walk apart would
// leave them several slices apart.
TEST_F(SchedTest, LateSliceEndsAreMadeUpSoBusyVcpusGetEqualTime) {
  start(1);
  for (u32 i = 0; i < 4; ++i) {
    ASSERT_TRUE(add(i));
    serve(sched.vcpu_up(v[i].sv, now));
  }
  std::mt19937 rng(7);
  for (int slice = 0; slice < 4000; ++slice) {
    const u64 end = sched.next_event(0);
    now = end + rng() % (kDefaultSliceNs * 8 / 10);
    ASSERT_TRUE(sched.tick(0, now));
    sched.schedule(0, now);
  }
  u64 lo = ~u64{0};
  u64 hi = 0;
  for (u32 i = 0; i < 4; ++i) {
    lo = std::min(lo, time_in(i, kRunning));
    hi = std::max(hi, time_in(i, kRunning));
  }
  EXPECT_LE(hi - lo, kDefaultSliceNs) << "running times " << lo << ".." << hi;
  EXPECT_GT(lo, 900 * kDefaultSliceNs);
}

// Now and then a slice end taken more than a slice late (a pCPU held off for a while, as QEMU's
// round robin of 8 pCPUs does under -icount): what one shortened slice cannot make up is carried
// over the next ones, so four busy vCPUs still end within two slices of each other. Dropped past
// 7/8 of a slice, each such overrun would stay with whichever vCPU it hit.
TEST_F(SchedTest, OverrunsLongerThanASliceAreMadeUpOverTheNextSlices) {
  start(1);
  for (u32 i = 0; i < 4; ++i) {
    ASSERT_TRUE(add(i));
    serve(sched.vcpu_up(v[i].sv, now));
  }
  std::mt19937 rng(11);
  for (int slice = 0; slice < 4000; ++slice) {
    const u64 end = sched.next_event(0);
    // The last 200 slice ends on time: what is still owed then is paid.
    const bool held_off = slice < 3800 && rng() % 10 == 0;
    now = end + (held_off ? kDefaultSliceNs * 2 + rng() % kDefaultSliceNs : rng() % (kDefaultSliceNs / 10));
    ASSERT_TRUE(sched.tick(0, now));
    sched.schedule(0, now);
  }
  u64 lo = ~u64{0};
  u64 hi = 0;
  for (u32 i = 0; i < 4; ++i) {
    lo = std::min(lo, time_in(i, kRunning));
    hi = std::max(hi, time_in(i, kRunning));
  }
  EXPECT_LE(hi - lo, 2 * kDefaultSliceNs) << "running times " << lo << ".." << hi;
}

TEST_F(SchedTest, InitRefusesABadPcpuCount) {
  Scheduler s;
  EXPECT_FALSE(s.init(0, 0));
  EXPECT_FALSE(s.init(kMaxPcpus + 1, 0));
  EXPECT_TRUE(s.init(kMaxPcpus, 0));
  EXPECT_TRUE(log.contains("sched: " + std::to_string(kMaxPcpus + 1) + " pCPUs asked for, 1.." +
                           std::to_string(kMaxPcpus) + " supported"));
}

// ---------------------------------------------------------------- what the guest reads

TEST(SchedArea, TheGuestsPhysAreaFollowsEverySchedulingTransition) {
  model::Machine machine;
  model::GuestSpace guest{machine};
  RunstateDomain dom;
  dom.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
  Vcpu v[2];
  const Ipa page = guest.alloc();
  Scheduler sched;
  ASSERT_TRUE(sched.init(1, 0));
  for (u32 i = 0; i < 2; ++i) {
    v[i].rs.area.init(&dom, i);
    v[i].rs.account.reset(0);
    ASSERT_EQ(v[i].rs.register_phys(page + u64{64} * i), 0);
    v[i].sv.init(&v[i].rs, 1, i);
    ASSERT_TRUE(sched.add(v[i].sv));
  }
  auto guest_reads = [&](u32 i) {
    vcpu_runstate_info r{};
    machine.read_bytes(guest.pa(page + u64{64} * i), &r, sizeof r);
    return r;
  };
  auto expect_current = [&](u32 i, RunstateState s, u64 entry) {
    const vcpu_runstate_info r = guest_reads(i);
    EXPECT_EQ(r.state, static_cast<i32>(s)) << "vCPU " << i;
    EXPECT_EQ(r.state_entry_time, entry) << "vCPU " << i;
    EXPECT_EQ(0, std::memcmp(&r, &v[i].rs.account.info(), sizeof r));
  };
  sched.vcpu_up(v[0].sv, 10);
  sched.vcpu_up(v[1].sv, 10);
  sched.schedule(0, 10);
  expect_current(0, kRunning, 10);
  expect_current(1, kRunnable, 10);
  ASSERT_TRUE(sched.yield(0));
  sched.schedule(0, 400);
  expect_current(0, kRunnable, 400);
  expect_current(1, kRunning, 400);
  ASSERT_TRUE(sched.block(v[1].sv, 600, 900));
  sched.schedule(0, 600);
  expect_current(1, kBlocked, 600);
  expect_current(0, kRunning, 600);
  sched.expire(0, 900);
  expect_current(1, kRunnable, 900);
  sched.vcpu_down(v[1].sv, 950);
  expect_current(1, kOffline, 950);
  EXPECT_EQ(guest_reads(1).time[static_cast<int>(kBlocked)], 300U);
  EXPECT_EQ(guest_reads(0).time[static_cast<int>(kRunnable)], 200U);
}

// ---------------------------------------------------------------- randomized

// Random operations over 4 pCPUs x 8 vCPUs (half pinned), with reschedules sometimes served at
// once and sometimes left pending, as IPIs in flight would be; one run per seed.
class SchedRandomTest : public SchedTest, public ::testing::WithParamInterface<u32> {};

TEST_P(SchedRandomTest, RandomOperationsKeepQueuesStatesAndRunstateConsistent) {
  std::mt19937_64 rng(GetParam());
  auto pick = [&](u64 n) { return static_cast<u32>(rng() % n); };
  constexpr u32 kP = 4;
  start(kP);
  for (u32 i = 0; i < kVcpus; ++i) {
    const u64 slices[] = {250 * kUs, kMs, 2 * kMs};
    ASSERT_TRUE(add(i, i % 2 == 0 ? static_cast<int>((i / 2) % kP) : kAnyPcpu, slices[pick(3)]));
  }
  bool pending[kP] = {};
  auto owe = [&](PcpuMask m) {
    for (u32 q = 0; q < kP; ++q) {
      if ((m & pcpu_bit(q)) != 0) {
        // Only an idle pCPU, or one whose current just went offline, is asked to reschedule.
        const SchedVcpu* c = sched.current(q);
        EXPECT_TRUE(c == nullptr || c->state() == kOffline) << "needless reschedule of pCPU " << q;
        pending[q] = true;
      }
    }
  };
  auto do_schedule = [&](u32 q) {
    SchedVcpu* next = sched.schedule(q, now);
    EXPECT_EQ(next, sched.current(q));
    EXPECT_TRUE(next == nullptr || next->state() == kRunning);
    EXPECT_TRUE(next != nullptr || sched.run_queue(q)->empty()) << "idle with a queue";
    pending[q] = false;
  };
  auto serve_owed = [&] {
    for (u32 q = 0; q < kP; ++q) {
      if (pending[q]) {
        do_schedule(q);
      }
    }
  };
  for (u32 op = 0; op < 4000; ++op) {
    const u32 p = pick(kP);
    const u32 i = pick(kVcpus);
    switch (pick(11)) {
      case 0:  // time passes; every owed reschedule has been served by then
        serve_owed();
        now += pick(3 * kMs);
        break;
      case 1:
        owe(sched.vcpu_up(v[i].sv, now));
        break;
      case 2:
        if (pick(3) == 0) {
          owe(sched.vcpu_down(v[i].sv, now));
        }
        break;
      case 3:  // the current vCPU of p blocks (WFI with a timer, or SCHEDOP_block)
        if (SchedVcpu* c = sched.current(p); c != nullptr && c->state() == kRunning) {
          const u64 deadline = pick(3) == 0 ? kNever : now + pick(4 * kMs);
          const bool blocked = sched.block(*c, now, deadline);
          EXPECT_EQ(blocked, deadline > now);
          pending[p] = pending[p] || blocked;
        }
        break;
      case 4: {  // block of an arbitrary vCPU: refused unless it is a running current
        const bool may_block = sched.current(v[i].sv.pcpu()) == &v[i].sv && v[i].sv.state() == kRunning;
        const bool blocked = sched.block(v[i].sv, now, now + 1 + pick(kMs));
        EXPECT_EQ(blocked, may_block);
        pending[v[i].sv.pcpu()] = pending[v[i].sv.pcpu()] || blocked;
        break;
      }
      case 5:
        owe(sched.wake(v[i].sv, now));
        break;
      case 6:
        pending[p] = sched.yield(p) || pending[p];
        break;
      case 7:
        pending[p] = sched.tick(p, now) || pending[p];
        break;
      case 8:
        owe(sched.expire(p, now));
        break;
      case 9:
        do_schedule(p);  // spurious or owed
        break;
      default: {  // the hypervisor's timer interrupt on p at its next event
        const u64 t = sched.next_event(p);
        if (t != kNever && t <= now + 5 * kMs) {
          serve_owed();
          now = std::max(now, t);
          PcpuMask m = sched.expire(p, now);
          if (sched.tick(p, now)) {
            pending[p] = true;
          }
          owe(m);
        }
        break;
      }
    }
    // Nothing waits on an idle pCPU unless that pCPU owes a schedule() (no lost wake-up).
    for (u32 q = 0; q < kP; ++q) {
      if (sched.current(q) == nullptr && !sched.run_queue(q)->empty()) {
        EXPECT_TRUE(pending[q]) << "runnable vCPU on idle pCPU " << q << " with no reschedule owed";
      }
    }
    check_structure(sched, [&](const SchedVcpu* c) { return pending[c->pcpu()]; });
    for (u32 k = 0; k < kVcpus; ++k) {
      const auto& info = v[k].rs.account.info();
      EXPECT_EQ(sum(info) + (now - info.state_entry_time), now - kT0);
      EXPECT_EQ(v[k].sv.state(), state(k));
      EXPECT_LT(v[k].sv.pcpu(), kP);
    }
    ASSERT_FALSE(HasFailure()) << "after op " << op;
  }
  // The run did exercise every path.
  SchedVcpuStats total;
  for (u32 k = 0; k < kVcpus; ++k) {
    const SchedVcpuStats st = sched.stats(v[k].sv);
    total.switches_in += st.switches_in;
    total.slices_expired += st.slices_expired;
    total.yields += st.yields;
    total.blocks += st.blocks;
    total.wakes += st.wakes;
  }
  EXPECT_GT(total.switches_in, 100U);
  EXPECT_GT(total.slices_expired, 20U);
  EXPECT_GT(total.yields, 20U);
  EXPECT_GT(total.blocks, 50U);
  EXPECT_GT(total.wakes, 20U);
  // With everything served, each pCPU's time is exactly its idle time plus the running time of
  // the vCPUs homed on it.
  serve_owed();
  for (u32 q = 0; q < kP; ++q) {
    u64 busy = 0;
    for (u32 k = 0; k < kVcpus; ++k) {
      busy += v[k].sv.pcpu() == q ? time_in(k, kRunning) : 0;
    }
    EXPECT_EQ(busy + sched.stats(q, now).idle_ns, now - kT0) << "pCPU " << q;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SchedRandomTest, ::testing::Range(1U, 41U));

// ---------------------------------------------------------------- concurrency

// Four threads play four pCPUs: each runs its own vCPUs and wakes, ups and downs the vCPUs of
// the others. No vCPU is lost or doubled, and every runstate record still adds up.
TEST(SchedConcurrency, CrossPcpuWakesUpsAndDownsKeepTheQueuesConsistent) {
  constexpr u32 kP = 4;
  constexpr u32 kN = 8;
  RunstateDomain dom;
  Vcpu v[kN];
  Scheduler sched;
  ASSERT_TRUE(sched.init(kP, 0));
  for (u32 i = 0; i < kN; ++i) {
    v[i].rs.area.init(&dom, i);
    v[i].rs.account.reset(0);
    v[i].sv.init(&v[i].rs, 1, i, 50);
    ASSERT_TRUE(sched.add(v[i].sv, static_cast<int>(i % kP)));
  }
  std::atomic<u64> clock{1};
  std::atomic<u32> resched[kP] = {};
  auto pcpu = [&](u32 p) {
    std::mt19937 rng(p + 1);
    for (u32 it = 0; it < 20000; ++it) {
      const u64 now = clock.fetch_add(1 + rng() % 3);
      PcpuMask m = 0;
      SchedVcpu& other = v[rng() % kN].sv;
      switch (rng() % 6) {
        case 0:
          m |= sched.wake(other, now);
          break;
        case 1:
          m |= sched.vcpu_up(other, now);
          break;
        case 2:
          if (rng() % 8 == 0) {
            m |= sched.vcpu_down(other, now);
          }
          break;
        case 3:
          // Its own current (only this thread changes it); block() checks under the lock that it
          // is still running, as another pCPU may have taken it down.
          if (SchedVcpu* c = sched.current(p); c != nullptr) {
            if (sched.block(*c, now, rng() % 2 == 0 ? kNever : now + 1 + rng() % 200)) {
              m |= pcpu_bit(p);
            }
          }
          break;
        case 4:
          if (sched.yield(p)) {
            m |= pcpu_bit(p);
          }
          break;
        default:
          m |= sched.expire(p, now);
          if (sched.tick(p, now)) {
            m |= pcpu_bit(p);
          }
          break;
      }
      for (u32 q = 0; q < kP; ++q) {
        if ((m & pcpu_bit(q)) != 0) {
          resched[q].store(1);  // the IPI
        }
      }
      if (resched[p].exchange(0) != 0) {
        sched.schedule(p, clock.fetch_add(1));
      }
    }
  };
  std::vector<std::thread> threads;
  for (u32 p = 0; p < kP; ++p) {
    threads.emplace_back(pcpu, p);
  }
  for (auto& t : threads) {
    t.join();
  }
  const u64 end = clock.load();
  for (u32 p = 0; p < kP; ++p) {
    sched.schedule(p, end);
    EXPECT_TRUE(sched.current(p) != nullptr || sched.run_queue(p)->empty());
  }
  u32 listed = 0;
  for (u32 p = 0; p < kP; ++p) {
    listed += sched.run_queue(p)->size() + sched.blocked(p)->size() + (sched.current(p) != nullptr ? 1U : 0U);
  }
  u32 up = 0;
  u64 switches_in = 0;
  for (u32 i = 0; i < kN; ++i) {
    const RunstateState s = v[i].sv.state();
    EXPECT_EQ(s, v[i].rs.account.state());
    up += s != kOffline ? 1U : 0U;
    if (s == kRunning) {
      EXPECT_EQ(sched.current(v[i].sv.pcpu()), &v[i].sv);
    }
    const auto& info = v[i].rs.account.info();
    EXPECT_EQ(sum(info) + (end - info.state_entry_time), end);
    switches_in += v[i].sv.stats().switches_in;
  }
  EXPECT_EQ(listed, up);  // every vCPU that is up is on exactly one list or current
  EXPECT_GT(switches_in, 100U);
}

// nothing_ahead(): true only once no vCPU runs, none is queued and none waits for a deadline.
TEST_F(SchedTest, NothingAheadOnlyWhenEveryVcpuIsBlockedWithoutADeadlineOrOffline) {
  start(2);
  add(0, 0);
  add(1, 1);
  add(2, 1);
  EXPECT_TRUE(sched.nothing_ahead());  // all offline, pCPUs idle
  serve(sched.vcpu_up(v[0].sv, now) | sched.vcpu_up(v[1].sv, now));
  EXPECT_FALSE(sched.nothing_ahead());  // running
  now += 10 * kUs;
  ASSERT_TRUE(sched.block(v[0].sv, now, kNever));
  EXPECT_FALSE(sched.nothing_ahead());  // pCPU 0 still has it as current until it schedules
  serve(pcpu_bit(0));
  EXPECT_FALSE(sched.nothing_ahead());  // v1 runs on pCPU 1
  ASSERT_TRUE(sched.block(v[1].sv, now, now + 50 * kUs));
  serve(pcpu_bit(1));
  EXPECT_FALSE(sched.nothing_ahead());  // v1 waits for a deadline
  serve(sched.expire(1, now + 50 * kUs));
  now += 50 * kUs;
  ASSERT_TRUE(sched.block(v[1].sv, now, kNever));
  serve(pcpu_bit(1));
  EXPECT_TRUE(sched.nothing_ahead());  // both blocked for good, v2 offline
  sched.vcpu_up(v[2].sv, now);
  EXPECT_FALSE(sched.nothing_ahead());  // queued on pCPU 1
  serve(pcpu_bit(1));
  EXPECT_FALSE(sched.nothing_ahead());
  serve(sched.vcpu_down(v[2].sv, now));
  EXPECT_TRUE(sched.nothing_ahead());
  serve(sched.wake(v[0].sv, now));
  EXPECT_FALSE(sched.nothing_ahead());
}

// A sibling on another pCPU keeps bringing a vCPU up (PSCI CPU_ON, VCPUOP_up) while the domain
// stops: once retire() has returned the vCPU stays offline, whatever the sibling does after.
TEST(SchedConcurrency, RetiredVcpusStayOfflineWhateverASiblingBringsUp) {
  constexpr int kRounds = 2'000;
  RunstateDomain dom;
  Vcpu v[2];
  Scheduler sched;
  ASSERT_TRUE(sched.init(2, 0));
  std::atomic<u64> clock{1};
  int came_back = 0;
  int ups_refused = 0;
  for (int r = 0; r < kRounds; ++r) {
    for (u32 i = 0; i < 2; ++i) {
      v[i].rs.area.init(&dom, i);
      v[i].rs.account.reset(clock.load());
      v[i].sv.init(&v[i].rs, 1, i);
      ASSERT_TRUE(sched.add(v[i].sv, static_cast<int>(i)));
    }
    std::atomic<bool> stopped{false};
    std::thread sibling([&] {
      int after = 0;
      while (after < 50) {
        after += stopped.load(std::memory_order_acquire) ? 1 : 0;
        (void)sched.vcpu_up(v[0].sv, clock.fetch_add(1));
        if (v[0].sv.state() == kRunnable && clock.load() % 3 == 0) {
          (void)sched.vcpu_down(v[0].sv, clock.fetch_add(1));  // CPU_OFF, and on again
        }
      }
    });
    (void)sched.retire(v[0].sv, clock.fetch_add(1));
    (void)sched.retire(v[1].sv, clock.fetch_add(1));
    stopped.store(true, std::memory_order_release);
    sibling.join();
    came_back += v[0].sv.state() != kOffline ? 1 : 0;
    ups_refused += sched.vcpu_up(v[0].sv, clock.fetch_add(1)) == 0 && v[0].sv.state() == kOffline ? 1 : 0;
    for (u32 i = 0; i < 2; ++i) {
      if (v[i].sv.state() != kOffline) {
        (void)sched.vcpu_down(v[i].sv, clock.fetch_add(1));
      }
      ASSERT_TRUE(sched.remove(v[i].sv));
    }
  }
  EXPECT_EQ(came_back, 0) << "rounds where a retired vCPU was up again";
  EXPECT_EQ(ups_refused, kRounds);
  EXPECT_EQ(sched.run_queue(0)->size(), 0U);
}

// A guest's read of a runstate record with the XEN_RUNSTATE_UPDATE protocol (retried while the
// flag is set or the record changed under it).
vcpu_runstate_info read_area(model::Machine& m, Pa at) {
  for (;;) {
    vcpu_runstate_info a{};
    vcpu_runstate_info b{};
    m.read_bytes(at, &a, sizeof a);
    std::atomic_thread_fence(std::memory_order_acquire);
    m.read_bytes(at, &b, sizeof b);
    if ((a.state_entry_time & xen::kRunstateUpdate) == 0 && std::memcmp(&a, &b, sizeof a) == 0) {
      return a;
    }
  }
}

// One thread is the vCPUs' pCPU, switching two vCPUs back and forth; the other is a sibling on
// another pCPU registering (and re-registering, at alternating pages) vCPU 0's phys area and
// asking for its runstate. Every record it gets must add up — sum(time) equals
// state_entry_time, as both vCPUs were created at 0 — whatever the switch was doing, and no
// registration may collide with an update (a restart): the registration reads the account and
// publishes it under the lock the switch changes it under. (Without that lock, collisions come
// by the thousand; torn records are rarer, as the window is a store or two.)
TEST(SchedConcurrency, RegistrationAndGetRunstateFromAnotherPcpuSeeWholeRecords) {
  model::Machine machine;
  model::GuestSpace guest{machine};
  RunstateDomain dom;
  dom.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
  Vcpu v[2];
  Scheduler sched;
  ASSERT_TRUE(sched.init(1, 0));
  for (u32 i = 0; i < 2; ++i) {
    v[i].rs.area.init(&dom, i);
    v[i].rs.account.reset(0);
    v[i].sv.init(&v[i].rs, 1, i);
    ASSERT_TRUE(sched.add(v[i].sv, 0));
    sched.vcpu_up(v[i].sv, 1);
  }
  const Ipa pages[2] = {guest.alloc(), guest.alloc()};
  std::atomic<u64> clock{2};
  std::atomic<bool> done{false};
  std::atomic<u64> switched{0};
  std::thread pcpu([&] {
    while (!done.load(std::memory_order_relaxed)) {
      (void)sched.yield(0);
      sched.schedule(0, clock.fetch_add(7));
      switched.fetch_add(1, std::memory_order_relaxed);
    }
  });
  while (switched.load() == 0) {  // the switching runs before the registrations start
    std::this_thread::yield();
  }
  constexpr int kRounds = 60'000;
  int torn_areas = 0;
  int torn_snapshots = 0;
  int restarts = 0;
  for (int r = 0; r < kRounds; ++r) {
    const Ipa at = pages[r % 2] + u64{8} * (r % 64);
    long rc = 0;
    while ((rc = v[0].rs.register_phys(at)) == xen::error(xen::Errno::erestart)) {
      ++restarts;  // what the hypervisor would re-execute
    }
    ASSERT_EQ(rc, 0);
    const vcpu_runstate_info a = read_area(machine, guest.pa(at));
    torn_areas += sum(a) == a.state_entry_time ? 0 : 1;
    const u64 now = clock.load();
    const vcpu_runstate_info s = v[0].rs.snapshot(now);
    torn_snapshots += sum(s) == std::max(now, s.state_entry_time) ? 0 : 1;
  }
  done.store(true);
  pcpu.join();
  EXPECT_EQ(torn_areas, 0) << "registrations that published a half-changed record";
  EXPECT_EQ(torn_snapshots, 0) << "get_runstate_info snapshots of a half-changed record";
  EXPECT_EQ(restarts, 0) << "registrations that found an update in progress";
  EXPECT_GT(v[0].sv.stats().switches_in, 100U);  // the switching really ran alongside
  ASSERT_EQ(v[0].rs.register_phys(Ipa(xen::kPhysAreaUnregister)), 0);
  EXPECT_EQ(machine.total_pins(), 0U);
}

}  // namespace
}  // namespace runhv
