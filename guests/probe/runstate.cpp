// Probe side of the Xen runstate area: registration hypercalls, the reader loop, the checker
// SPDX-License-Identifier: MIT
#include "guests/probe/runstate.hpp"

#include "guests/probe/hypercall.hpp"
#include "guests/probe/timer.hpp"

namespace probe::runstate {
namespace {

inline void read_barrier() { asm volatile("dmb ishld" ::: "memory"); }

struct AreaArg {
  u64 addr;  // addr.v or addr.p
};

}  // namespace

u64 ticks_to_ns(u64 ticks) {
  // Whole seconds and the rest apart: no 128-bit arithmetic needed.
  const u64 f = timer::frequency();
  return ticks / f * 1'000'000'000U + ticks % f * 1'000'000'000U / f;
}

namespace {

constexpr u64 kClockAttempts = 1000;
struct CpuClock {
  bool ready;
  Clock c;
};
CpuClock clocks[kMaxCpus];  // each CPU measures and reads its own (CNTVOFF is per vCPU)

}  // namespace

const Clock& init_clock() {
  CpuClock& mine = clocks[this_cpu().index];
  // Each try brackets the offset: v1 <= p - offset <= v2, so offset is in [p - v2, p - v1]; the
  // offset is one constant, so it lies in the intersection of all the brackets.
  u64 lo = 0;
  u64 hi = ~u64{0};
  u64 attempts = 0;
  for (u64 n = 0; n < kClockAttempts && (attempts == 0 || hi != lo); ++n) {
    isb();
    const u64 v1 = read_cntvct_el0();
    isb();
    const u64 p = read_cntpct_el0();
    isb();
    const u64 v2 = read_cntvct_el0();
    const u64 b_lo = p - v2;
    const u64 b_hi = p - v1;
    // Offsets compared as signed (CNTVOFF may put CNTVCT ahead of CNTPCT's zero).
    if (attempts == 0 || static_cast<i64>(b_lo) > static_cast<i64>(lo)) {
      lo = b_lo;
    }
    if (attempts == 0 || static_cast<i64>(b_hi) < static_cast<i64>(hi)) {
      hi = b_hi;
    }
    ++attempts;
  }
  // The latest plausible offset: "now" is never underestimated, so a check that something is
  // later than now (future, born_late) can only err by `bound` ticks towards passing.
  mine.c = Clock{hi, hi - lo, attempts};
  mine.ready = true;
  return mine.c;
}

const Clock& clock() {
  CpuClock& mine = clocks[this_cpu().index];
  return mine.ready ? mine.c : init_clock();
}

u64 guest_ns(u64 cntvct) { return ticks_to_ns(cntvct + clock().offset_ticks); }

long register_va(u32 vcpu, u64 va) {
  AreaArg arg{va};
  return xen::hypercall(xen::kVcpuOp, kVcpuOpRegisterVa, vcpu, reinterpret_cast<u64>(&arg));
}

long register_phys(u32 vcpu, u64 ipa) {
  AreaArg arg{ipa};
  return xen::hypercall(xen::kVcpuOp, kVcpuOpRegisterPhys, vcpu, reinterpret_cast<u64>(&arg));
}

long get_info(u32 vcpu, Info& out) {
  return xen::hypercall(xen::kVcpuOp, kVcpuOpGetRunstateInfo, vcpu, reinterpret_cast<u64>(&out));
}

long enable_update_flag() { return xen::hypercall(xen::kVmAssist, kVmAssistEnable, kVmAssistRunstateUpdateFlag); }

void read(const volatile void* area, Info& out, ReadCounts& counts) {
  const volatile u64* w = static_cast<const volatile u64*>(area);
  ++counts.reads;
  for (;;) {
    const u64 entry = w[1];
    read_barrier();
    out.state = static_cast<u32>(w[0]);
    out.pad_ = 0;
    out.time[0] = w[2];
    out.time[1] = w[3];
    out.time[2] = w[4];
    out.time[3] = w[5];
    read_barrier();
    const u64 again = w[1];
    if (again == entry && (entry & kUpdateFlag) == 0) {
      out.state_entry_time = entry;
      return;
    }
    ++counts.retries;
    if (((entry | again) & kUpdateFlag) != 0) {
      ++counts.flag_retries;
    }
  }
}

void check(Checker& c) {
  if (!c.active) {
    return;
  }
  const u64 now = timer::now();
  Info truth{};
  if (get_info(c.vcpu, truth) != 0) {
    ++c.info_errors;
    return;
  }
  Info seen{};
  read(c.area, seen, c.counts);
  const u64 after = now_ns();  // after the read: no update the area shows can be later
  ++c.checks;
  if (c.first_seen_ns == 0) {
    c.first_seen_ns = guest_ns(probe_cpus[c.vcpu].first_cntvct);
  }
  clock_check(c, seen, after);
  if (seen.state != kRunning) {
    ++c.not_running;
  }
  const u64 b = base(seen);
  if (c.checks == 1) {
    c.first_base = b;
  } else {
    if (b != c.first_base) {
      ++c.inconsistent;
    }
    // A transition newer than the area showed last time: the vCPU was switched out and in (or
    // blocked and woke) since; the area must have moved with it.
    if (truth.state_entry_time > c.last_area_entry) {
      ++c.descheduled;
      if (seen.state_entry_time <= c.last_area_entry) {
        ++c.not_advanced;
      }
    }
    if (c.period_ticks != 0 && now - c.last_now > c.period_ticks + c.period_ticks / 2) {
      ++c.gaps;
    }
  }
  // The area was read after the record: it can only be as new or newer.
  if (seen.state_entry_time < truth.state_entry_time) {
    ++c.stale;
  }
  c.last_area_entry = seen.state_entry_time;
  c.last_true_entry = truth.state_entry_time;
  c.last_now = now;
  c.last = seen;
}

void clock_check(Checker& c, const Info& seen, u64 now) {
  const u64 entry = seen.state_entry_time & ~kUpdateFlag;
  if (entry > now) {
    ++c.future;
    return;
  }
  // What the area has accounted for the vCPU's life up to now; it must grow exactly as the
  // guest's own clock since the first check (runhv's clock and guest_ns() agree to the ns).
  const u64 accounted = sum(seen) + (now - entry);
  if (c.first_now == 0) {
    c.first_now = now;
    c.first_accounted = accounted;
  } else {
    const u64 grew = accounted - c.first_accounted;
    const u64 elapsed = now - c.first_now;
    const u64 diff = grew > elapsed ? grew - elapsed : elapsed - grew;
    if (diff != 0) {
      ++c.clock_mismatch;
    }
    c.max_clock_diff = diff > c.max_clock_diff ? diff : c.max_clock_diff;
  }
  // The vCPU existed (runhv created it) before it ran its first instruction.
  if (c.first_seen_ns != 0 && base(seen) > c.first_seen_ns) {
    ++c.born_late;
  }
}

bool clock_check_selftest() {
  // A consistent pair: created at 500 us, first observed at 1 ms; then 600 us more, 200 us runnable.
  Info a{};
  a.state = static_cast<u32>(kRunning);
  a.time[kRunning] = 300'000;
  a.time[kRunnable] = 100'000;
  a.time[kOffline] = 100'000;
  a.state_entry_time = 500'000 + sum(a);
  Info b = a;
  b.time[kRunning] += 400'000;
  b.time[kRunnable] += 200'000;
  b.state_entry_time = 500'000 + sum(b);
  Checker c{};
  c.first_seen_ns = 1'000'000;
  clock_check(c, a, a.state_entry_time + 50'000);
  clock_check(c, b, b.state_entry_time + 10'000);
  const bool clean = c.future == 0 && c.clock_mismatch == 0 && c.born_late == 0;
  clock_check(c, b, b.state_entry_time - 1);  // "now" before the area's entry time
  const bool future = c.future == 1 && c.clock_mismatch == 0;
  Info torn = b;
  torn.time[kRunnable] += 16;  // one counter tick more than state_entry_time says
  clock_check(c, torn, b.state_entry_time + 20'000);
  const bool mismatch = c.clock_mismatch == 1 && c.future == 1 && c.born_late == 0;
  Checker late{};
  late.first_seen_ns = base(a) - 1;  // observed running before runhv says it was created
  clock_check(late, a, a.state_entry_time + 1);
  const bool born_late = late.born_late == 1 && late.future == 0;
  return clean && future && mismatch && born_late;
}

bool add_clock(Record& r, const Checker& c) {
  const Clock& k = clock();
  const bool selftest = clock_check_selftest();
  r.num("future", c.future)
      .num("clock_mismatch", c.clock_mismatch)
      .num("max_clock_diff_ns", c.max_clock_diff)
      .num("born_late", c.born_late)
      .num("first_seen_ns", c.first_seen_ns)
      .num("cntvoff_ticks", k.offset_ticks)
      .num("cntvoff_bound_ticks", k.offset_bound)
      .flag("clock_selftest", selftest);
  return selftest && k.offset_bound <= kMaxClockBoundTicks && c.future == 0 && c.clock_mismatch == 0 &&
         c.born_late == 0;
}

bool add(Record& r, const Checker& c, u64 min_checks) {
  r.num("checks", c.checks)
      .num("stale", c.stale)
      .num("not_running", c.not_running)
      .num("inconsistent", c.inconsistent)
      .num("descheduled", c.descheduled)
      .num("not_advanced", c.not_advanced)
      .num("gaps", c.gaps)
      .num("retries", c.counts.retries)
      .num("flag_retries", c.counts.flag_retries)
      .num("info_errors", c.info_errors)
      .num("last_state_entry_time", c.last.state_entry_time)
      .num("last_running_ns", c.last.time[kRunning])
      .num("last_runnable_ns", c.last.time[kRunnable])
      .num("last_blocked_ns", c.last.time[kBlocked])
      .num("last_offline_ns", c.last.time[kOffline]);
  const bool clock_ok = add_clock(r, c);
  return c.checks >= min_checks && c.stale == 0 && c.not_running == 0 && c.inconsistent == 0 && c.not_advanced == 0 &&
         c.info_errors == 0 && c.descheduled > 0 && clock_ok;
}

}  // namespace probe::runstate
