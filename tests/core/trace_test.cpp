// The trace: the ring's single-producer semantics, and a scheduler trace replayed the way the
// host reader does it gives the runstate accounting's totals
// SPDX-License-Identifier: MIT
#include "core/trace.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "core/sched.hpp"
#include "core/vcpu_op.hpp"

namespace runhv {
namespace {

TraceRecord rec(u64 t) { return TraceRecord{t, 1, 0, static_cast<u8>(TraceKind::event), 0, 0, 0, 0}; }

TEST(TraceRing, HandsOutRecordsInOrderAcrossTheWrap) {
  std::array<TraceRecord, 8> storage{};
  TraceRing ring(storage.data(), 8);
  u64 next_in = 0;
  u64 next_out = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(ring.push(rec(next_in++)));
    }
    while (ring.size() > 0) {
      u32 n = 0;
      const TraceRecord* run = ring.run(n);
      ASSERT_GT(n, 0U);
      for (u32 i = 0; i < n; ++i) {
        EXPECT_EQ(run[i].time_ns, next_out++);
      }
      ring.take(n);
    }
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_EQ(ring.dropped(), 0U);
}

TEST(TraceRing, AFullRingDropsAndCountsNewRecordsKeepingTheOld) {
  std::array<TraceRecord, 4> storage{};
  TraceRing ring(storage.data(), 4);
  for (u64 t = 0; t < 6; ++t) {
    EXPECT_EQ(ring.push(rec(t)), t < 4);
  }
  EXPECT_EQ(ring.size(), 4U);
  EXPECT_EQ(ring.dropped(), 2U);
  u32 n = 0;
  const TraceRecord* run = ring.run(n);
  ASSERT_EQ(n, 4U);
  EXPECT_EQ(run[0].time_ns, 0U);
  EXPECT_EQ(run[3].time_ns, 3U);
}

TEST(TraceRing, ARingWithoutStorageDropsEverything) {
  TraceRing ring;
  EXPECT_FALSE(ring.push(rec(1)));
  EXPECT_EQ(ring.size(), 0U);
  EXPECT_EQ(ring.dropped(), 1U);
}

class Recorder final : public TraceSink {
 public:
  Recorder() { previous_ = set_trace_sink(this); }
  ~Recorder() { set_trace_sink(previous_); }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  void record(const TraceRecord& r) override { records.push_back(r); }
  std::vector<TraceRecord> records;

 private:
  TraceSink* previous_;
};

// What tools/trace_timeline.py does: each vCPU starts offline at its `created` record, and each runstate
// record closes the interval since the last one (time standing still if it went backwards).
std::map<u32, vcpu_runstate_info> replay(const std::vector<TraceRecord>& records, u64 now) {
  std::map<u32, vcpu_runstate_info> out;
  for (const TraceRecord& r : records) {
    if (r.kind == static_cast<u8>(TraceKind::created)) {
      out[r.vcpu] = vcpu_runstate_info{};
      out[r.vcpu].state = static_cast<i32>(RunstateState::offline);
      out[r.vcpu].state_entry_time = r.time_ns;
    } else if (r.kind == static_cast<u8>(TraceKind::runstate)) {
      vcpu_runstate_info& v = out.at(r.vcpu);
      if (r.time_ns > v.state_entry_time) {
        v.time[v.state] += r.time_ns - v.state_entry_time;
        v.state_entry_time = r.time_ns;
      }
      v.state = r.arg;
    }
  }
  for (auto& [_, v] : out) {
    v.time[v.state] += now - v.state_entry_time;
  }
  return out;
}

struct TracedVcpu {
  VcpuRunstate rs;
  SchedVcpu sv;
};

// Three vCPUs on two pCPUs through up, slices, yields, blocks with and without deadlines, wakes
// and a down, in a random order: the replayed trace equals every account to the nanosecond.
TEST(SchedulerTrace, ReplayedRecordsEqualTheAccounts) {
  constexpr u64 kT0 = 7'000;
  RunstateDomain dom;
  std::array<TracedVcpu, 3> v;
  Scheduler sched;
  Recorder recorder;
  ASSERT_TRUE(sched.init(2, kT0));
  for (u32 i = 0; i < v.size(); ++i) {
    v[i].rs.area.init(&dom, i);
    v[i].rs.account.reset(kT0);
    v[i].sv.init(&v[i].rs, 1, i, 250'000);
    ASSERT_TRUE(sched.add(v[i].sv, i == 2 ? 1 : 0));
  }
  u64 now = kT0;
  auto serve = [&](PcpuMask m) {
    for (u32 p = 0; p < 2; ++p) {
      if ((m & pcpu_bit(p)) != 0) {
        sched.schedule(p, now);
      }
    }
  };
  for (auto& x : v) {
    serve(sched.vcpu_up(x.sv, now));
  }
  std::mt19937 rng(1234);
  for (int step = 0; step < 5000; ++step) {
    now += 1 + rng() % 400'000;
    const u32 p = rng() % 2;
    serve(sched.expire(p, now));
    if (sched.tick(p, now)) {
      sched.schedule(p, now);
    }
    SchedVcpu* cur = sched.current(p);
    switch (rng() % 4) {
      case 0:
        if (cur != nullptr && sched.yield(p)) {
          sched.schedule(p, now);
        }
        break;
      case 1:
        if (cur != nullptr && sched.block(*cur, now, rng() % 2 != 0 ? now + rng() % 1'000'000 + 1 : kNever)) {
          sched.schedule(p, now);
        }
        break;
      case 2:
        serve(sched.wake(v[rng() % v.size()].sv, now));
        break;
      default:
        break;
    }
  }
  serve(sched.vcpu_down(v[1].sv, now));
  now += 12'345;
  const auto replayed = replay(recorder.records, now);
  ASSERT_EQ(replayed.size(), v.size());
  for (u32 i = 0; i < v.size(); ++i) {
    const vcpu_runstate_info want = v[i].rs.account.snapshot(now);
    for (int s = 0; s < 4; ++s) {
      EXPECT_EQ(replayed.at(i).time[s], want.time[s]) << "vCPU " << i << " state " << s;
    }
    EXPECT_EQ(replayed.at(i).state, want.state) << "vCPU " << i;
  }
  for (const TraceRecord& r : recorder.records) {
    EXPECT_EQ(r.pcpu, v[r.vcpu].sv.pcpu());
    EXPECT_NE(r.kind, static_cast<u8>(TraceKind::area_update)) << "no area is registered";
  }
}

TEST(SchedulerTrace, OffRecordsNothing) {
  RunstateDomain dom;
  TracedVcpu v;
  Scheduler sched;
  ASSERT_TRUE(sched.init(1, 0));
  v.rs.area.init(&dom, 0);
  v.sv.init(&v.rs, 1, 0);
  ASSERT_TRUE(sched.add(v.sv));
  ASSERT_NE(sched.vcpu_up(v.sv, 10), 0U);
  Recorder recorder;
  sched.schedule(0, 20);
  EXPECT_EQ(recorder.records.size(), 1U);  // on from here: the dispatch
  set_trace_sink(nullptr);
  ASSERT_TRUE(sched.block(v.sv, 30));
  sched.schedule(0, 30);
  EXPECT_EQ(recorder.records.size(), 1U);
}

}  // namespace
}  // namespace runhv
