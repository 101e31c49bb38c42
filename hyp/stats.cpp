// Statistics reporting: each vCPU's runstate, scheduling and area counters as one JSON line
// SPDX-License-Identifier: MIT
#include "core/format.hpp"
#include "core/log.hpp"
#include "hyp/console.hpp"
#include "hyp/sched_loop.hpp"

namespace runhv::hyp {
namespace {

u64 g_progress_interval_ns = 0;
u64 g_next_progress = 0;

}  // namespace

void print_stats(const Vcpu& v, u64 now, const char* kind) {
  // Each under the books lock: another pCPU may be switching v.
  const vcpu_runstate_info r = v.runstate.snapshot(now);
  const vcpu_runstate_info a = v.runstate.record();  // what the last area update wrote
  const SchedVcpuStats s = scheduler().stats(v.sched);
  char line[768];
  const usize n = format(
      line, sizeof line,
      "runhv: %s {\"domain\":%u,\"vcpu\":%u,\"running_ns\":%lu,\"runnable_ns\":%lu,\"blocked_ns\":%lu,"
      "\"offline_ns\":%lu,\"switches\":%lu,\"slices_expired\":%lu,\"yields\":%lu,\"blocks\":%lu,\"wakes\":%lu,"
      "\"hypercalls\":%lu,\"hypercall_errors\":%lu,\"hypercall_restarts\":%lu,\"stage2_fault_retries\":%lu,"
      "\"exits\":%lu,\"lr_exchanges\":%lu,\"state\":%d,\"pinned_pages\":%u,\"pcpu\":%u,"
      "\"area_updates\":%lu,\"walk_failures\":%lu,\"mode\":\"%s\",\"area_state\":%d,\"area_state_entry_time\":%lu,"
      "\"area_running_ns\":%lu,\"area_runnable_ns\":%lu,\"area_blocked_ns\":%lu,\"area_offline_ns\":%lu}\n",
      kind, static_cast<unsigned>(v.domain->number), v.id, r.time[0], r.time[1], r.time[2], r.time[3], s.switches_in,
      s.slices_expired, s.yields, s.blocks, s.wakes, v.counters.hypercalls, v.counters.hypercall_errors,
      v.counters.hypercall_restarts, v.counters.stage2_fault_retries, v.counters.exits + v.counters.hypercalls,
      v.counters.lr_exchanges, r.state, v.runstate.area.pinned_frames(), v.sched.pcpu(), v.runstate.area.updates(),
      v.runstate.area.walk_failures(), v.domain->runstate.va_policy == VaPolicy::legacy ? "legacy" : "mapped", a.state,
      a.state_entry_time, a.time[0], a.time[1], a.time[2], a.time[3]);
  console::write(line, n);
}

namespace {

bool valid_label(const char* label, usize n) {
  if (n == 0 || n > 32) {
    return false;
  }
  for (usize i = 0; i < n; ++i) {
    const char c = label[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

void print_mark(u16 domain, const char* label, usize n) {
  Domain* d = find_domain(domain);
  if (d == nullptr) {
    return;
  }
  if (!valid_label(label, n)) {
    guest_logf(d->runstate.log_budget, "d%u: console mark refused: the label must be 1..32 of [A-Za-z0-9_.:-]",
               static_cast<unsigned>(domain));
    return;
  }
  if (d->marks >= kMaxMarks) {
    if (d->marks++ == kMaxMarks) {
      console::print("runhv: d%u: more than %u console marks; further marks are ignored\n",
                     static_cast<unsigned>(domain), kMaxMarks);
    }
    return;
  }
  ++d->marks;
  char text[40] = {};
  for (usize i = 0; i < n; ++i) {
    text[i] = label[i];
  }
  const u64 now = arch::now_ns();
  char line[160 + kMaxVcpusPerDomain * 128];
  usize len = format(line, sizeof line, "runhv: mark {\"domain\":%u,\"label\":\"%s\",\"now_ns\":%lu,\"vcpus\":[",
                     static_cast<unsigned>(domain), text, now);
  for (u32 i = 0; i < d->nr_vcpus; ++i) {
    const vcpu_runstate_info r = scheduler().runstate(d->vcpus[i].sched, now);
    len += format(line + len, sizeof line - len,
                  "%s{\"vcpu\":%u,\"running_ns\":%lu,\"runnable_ns\":%lu,\"blocked_ns\":%lu,\"offline_ns\":%lu}",
                  i == 0 ? "" : ",", i, r.time[0], r.time[1], r.time[2], r.time[3]);
  }
  const u64 el2 = arch::el2_instructions();
  len += format(line + len, sizeof line - len, "],\"pcpu\":%u", arch::this_cpu_index());
  if (el2 != arch::kNoEl2Count) {
    len += format(line + len, sizeof line - len, ",\"el2_instructions\":%lu", el2);  // this pCPU's
  }
  len += format(line + len, sizeof line - len, "}\n");
  console::write(line, len);
}

void set_progress_interval(u32 ms) {
  g_progress_interval_ns = u64{ms} * 1'000'000;
  g_next_progress = arch::now_ns() + g_progress_interval_ns;
}

// pCPU 0, from its timer: the running domains' figures as they stand (each vCPU's books read
// under its home pCPU's lock, one at a time).
void maybe_print_progress(u32 pcpu, u64 now) {
  if (pcpu != 0 || g_progress_interval_ns == 0 || now < g_next_progress) {
    return;
  }
  g_next_progress = now + g_progress_interval_ns;
  for (u16 n = 1; n <= kMaxDomains; ++n) {
    const Domain* d = find_domain(n);
    if (d == nullptr || !__atomic_load_n(&d->running, __ATOMIC_ACQUIRE)) {
      continue;
    }
    for (u32 i = 0; i < d->nr_vcpus; ++i) {
      print_stats(d->vcpus[i], now, "progress");
    }
  }
}

}  // namespace runhv::hyp
