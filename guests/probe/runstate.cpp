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
  ++c.checks;
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
  return c.checks >= min_checks && c.stale == 0 && c.not_running == 0 && c.inconsistent == 0 && c.not_advanced == 0 &&
         c.info_errors == 0 && c.descheduled > 0;
}

}  // namespace probe::runstate
