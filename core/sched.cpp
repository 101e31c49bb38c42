// Scheduler policy: per-pCPU round-robin run queues, blocking with wake deadlines, and the
// runstate transition each scheduling decision makes
// SPDX-License-Identifier: MIT
#include "core/sched.hpp"

#include "core/log.hpp"
#include "core/trace.hpp"

namespace runhv {
namespace {

constexpr u64 elapsed(u64 now, u64 since) { return now > since ? now - since : 0; }

constexpr u64 saturating_add(u64 a, u64 b) { return b > kNever - a ? kNever : a + b; }

}  // namespace

bool Scheduler::init(u32 pcpus, u64 now) {
  if (pcpus == 0 || pcpus > kMaxPcpus) {
    logf("sched: %u pCPUs asked for, 1..%u supported", pcpus, kMaxPcpus);
    return false;
  }
  npcpus_ = pcpus;
  for (u32 p = 0; p < pcpus; ++p) {
    pcpu_[p].idle_since = now;
  }
  return true;
}

bool Scheduler::valid_pcpu(u32 pcpu, const char* what) const {
  if (pcpu < npcpus_) [[likely]] {
    return true;
  }
  logf("sched: %s on pCPU %u, which does not exist (%u pCPUs)", what, pcpu, npcpus_);
  return false;
}

Scheduler::Pcpu* Scheduler::home_of(SchedVcpu& v, const char* what) {
  if (v.home_ < npcpus_) [[likely]] {
    return &pcpu_[v.home_];
  }
  logf("d%uv%u: sched: %s of a vCPU that was never added; ignored", v.domain_, v.vcpu_, what);
  return nullptr;
}

inline void Scheduler::set_state(SchedVcpu& v, RunstateState s, u64 now) {
  v.state_ = s;
  if (trace_sink() != nullptr) [[unlikely]] {
    traced_set_state(v, s, now);
    return;
  }
  v.runstate_->change(s, now);
}

// set_state() with the trace on: out of line, so that the untraced switch pays one branch.
void Scheduler::traced_set_state(SchedVcpu& v, RunstateState s, u64 now) {
  RunstateArea& area = v.runstate_->area;
  const u64 failures = area.walk_failures();
  v.runstate_->change(s, now);
  const u64 at = v.runstate_->account.info().state_entry_time;  // `now`, unless the clock went back
  trace(TraceKind::runstate, at, v.domain_, v.vcpu_, v.home_, static_cast<u32>(s), ++v.trace_seq_);
  if (area.walk_failures() != failures) {
    trace(TraceKind::walk_failure, now, v.domain_, v.vcpu_, v.home_);
  } else if (area.va_registered() || area.phys_registered()) {
    trace(TraceKind::area_update, now, v.domain_, v.vcpu_, v.home_);
  }
}

// Whether the running vCPU `v` has used up its slice at `now`; counts each slice once.
bool Scheduler::slice_over(SchedVcpu& v, u64 now) {
  if (!v.slice_expired_ && elapsed(now, v.slice_start_) >= v.slice_len_) {
    v.slice_expired_ = true;
    ++v.stats_.slices_expired;
  }
  return v.slice_expired_;
}

// Makes a blocked or offline vCPU of `pc` ready: running again in place if it is still the
// pCPU's current (between its block/down and the pCPU's schedule()), else runnable at the tail
// of the queue. Lock of `pc` held.
PcpuMask Scheduler::make_ready(Pcpu& pc, SchedVcpu& v, u64 now) {
  if (pc.current == &v) {
    set_state(v, RunstateState::running, now);
    return 0;  // its pCPU is on its way to schedule() already, which keeps it
  }
  set_state(v, RunstateState::runnable, now);
  pc.runq.push_back(&v);
  return pc.current == nullptr ? pcpu_bit(v.home_) : 0;
}

bool Scheduler::add(SchedVcpu& v, int pin) {
  if (v.runstate_ == nullptr) {
    logf("d%uv%u: sched: add of a vCPU without runstate; refused", v.domain_, v.vcpu_);
    return false;
  }
  Locked placement(placement_lock_);
  if (npcpus_ == 0) {
    logf("d%uv%u: sched: add before init; refused", v.domain_, v.vcpu_);
    return false;
  }
  if (v.home_ != kNoPcpu || v.state_ != RunstateState::offline ||
      v.runstate_->account.state() != RunstateState::offline) {
    logf("d%uv%u: sched: add of a vCPU that is already added or not offline; refused", v.domain_, v.vcpu_);
    return false;
  }
  u32 home = 0;
  if (pin == kAnyPcpu) {
    for (u32 p = 1; p < npcpus_; ++p) {
      if (pcpu_[p].assigned < pcpu_[home].assigned) {
        home = p;
      }
    }
  } else if (pin >= 0 && static_cast<u32>(pin) < npcpus_) {
    home = static_cast<u32>(pin);
  } else {
    logf("d%uv%u: sched: pinned to pCPU %d, which does not exist (%u pCPUs); refused", v.domain_, v.vcpu_, pin,
         npcpus_);
    return false;
  }
  v.prev_ = nullptr;
  v.next_ = nullptr;
  v.deadline_ = kNever;
  v.slice_expired_ = false;
  v.overrun_ = 0;
  v.retired_ = false;
  v.stats_ = {};
  v.home_ = home;
  v.runstate_->books = &pcpu_[home].lock;
  ++pcpu_[home].assigned;
  v.trace_seq_ = 0;
  trace(TraceKind::created, v.runstate_->account.created(), v.domain_, v.vcpu_, home);
  return true;
}

bool Scheduler::remove(SchedVcpu& v) {
  Pcpu* pc = home_of(v, "remove");
  if (pc == nullptr) {
    return false;
  }
  Locked placement(placement_lock_);
  {
    Locked l(pc->lock);
    if (v.state_ != RunstateState::offline || pc->current == &v) {
      logf("d%uv%u: sched: remove of a vCPU that is up or still current on pCPU %u; refused", v.domain_, v.vcpu_,
           v.home_);
      return false;
    }
  }
  --pc->assigned;
  v.home_ = kNoPcpu;
  v.runstate_->books = nullptr;
  return true;
}

PcpuMask Scheduler::vcpu_up(SchedVcpu& v, u64 now) {
  Pcpu* pc = home_of(v, "vcpu_up");
  if (pc == nullptr) {
    return 0;
  }
  Locked l(pc->lock);
  if (v.state_ != RunstateState::offline || v.retired_) {
    return 0;
  }
  return make_ready(*pc, v, now);
}

PcpuMask Scheduler::retire(SchedVcpu& v, u64 now) {
  Pcpu* pc = home_of(v, "retire");
  if (pc == nullptr) {
    return 0;
  }
  {
    Locked l(pc->lock);
    v.retired_ = true;
  }
  // Retired: no vcpu_up() can bring it back between here and the down.
  return vcpu_down(v, now);
}

bool Scheduler::is_current(const SchedVcpu& v) const {
  if (v.home_ >= npcpus_) {
    return false;
  }
  Locked l(pcpu_[v.home_].lock);
  return pcpu_[v.home_].current == &v;
}

bool Scheduler::retired(const SchedVcpu& v) const {
  if (v.home_ >= npcpus_) {
    return v.retired_;
  }
  Locked l(pcpu_[v.home_].lock);
  return v.retired_;
}

PcpuMask Scheduler::vcpu_down(SchedVcpu& v, u64 now) {
  Pcpu* pc = home_of(v, "vcpu_down");
  if (pc == nullptr) {
    return 0;
  }
  Locked l(pc->lock);
  PcpuMask resched = 0;
  switch (v.state_) {
    case RunstateState::offline:
      return 0;
    case RunstateState::runnable:
      pc->runq.remove(&v);
      break;
    case RunstateState::blocked:
      pc->blocked.remove(&v);
      v.deadline_ = kNever;
      break;
    case RunstateState::running:
      break;
  }
  if (pc->current == &v) {
    resched = pcpu_bit(v.home_);  // its registers are live there: that pCPU must switch away
  }
  set_state(v, RunstateState::offline, now);
  return resched;
}

bool Scheduler::block(SchedVcpu& v, u64 now, u64 wake_deadline) {
  Pcpu* pc = home_of(v, "block");
  if (pc == nullptr) {
    return false;
  }
  Locked l(pc->lock);
  if (pc->current != &v || v.state_ != RunstateState::running) {
    logf("d%uv%u: sched: block of a vCPU that is not running on pCPU %u; ignored", v.domain_, v.vcpu_, v.home_);
    return false;
  }
  if (wake_deadline <= now) {
    return false;  // the deadline has passed: nothing to wait for
  }
  v.deadline_ = wake_deadline;
  ++v.stats_.blocks;
  set_state(v, RunstateState::blocked, now);
  pc->blocked.push_back(&v);
  return true;
}

PcpuMask Scheduler::wake(SchedVcpu& v, u64 now) {
  Pcpu* pc = home_of(v, "wake");
  if (pc == nullptr) {
    return 0;
  }
  Locked l(pc->lock);
  if (v.state_ != RunstateState::blocked) {
    return 0;
  }
  pc->blocked.remove(&v);
  v.deadline_ = kNever;
  ++v.stats_.wakes;
  return make_ready(*pc, v, now);
}

bool Scheduler::yield(u32 pcpu) {
  if (!valid_pcpu(pcpu, "yield")) {
    return false;
  }
  Pcpu& pc = pcpu_[pcpu];
  Locked l(pc.lock);
  SchedVcpu* cur = pc.current;
  if (cur == nullptr || cur->state_ != RunstateState::running) {
    logf("sched: yield on pCPU %u, which has no running vCPU; ignored", pcpu);
    return false;
  }
  ++cur->stats_.yields;
  pc.yield_pending = true;
  return true;
}

bool Scheduler::tick(u32 pcpu, u64 now) {
  if (!valid_pcpu(pcpu, "tick")) {
    return false;
  }
  Pcpu& pc = pcpu_[pcpu];
  Locked l(pc.lock);
  SchedVcpu* cur = pc.current;
  return cur != nullptr && cur->state_ == RunstateState::running && slice_over(*cur, now);
}

SchedVcpu* Scheduler::schedule(u32 pcpu, u64 now) {
  u64 event = kNever;
  return schedule(pcpu, now, event);
}

SchedVcpu* Scheduler::schedule(u32 pcpu, u64 now, u64& event, bool yielding) {
  if (!valid_pcpu(pcpu, "schedule")) {
    event = kNever;
    return nullptr;
  }
  Pcpu& pc = pcpu_[pcpu];
  Locked l(pc.lock);
  SchedVcpu* prev = pc.current;
  const bool yielded = pc.yield_pending || yielding;
  pc.yield_pending = false;
  if (prev != nullptr && prev->state_ == RunstateState::running) {
    if (yielding) {
      ++prev->stats_.yields;
    }
    if (!yielded && !slice_over(*prev, now)) {
      event = first_deadline(pc, saturating_add(prev->slice_start_, prev->slice_len_));
      return prev;  // within its slice: a spurious call changes nothing
    }
    if (pc.runq.empty()) {
      prev->slice_start_ = now;  // nobody else to run: carry on, on a fresh slice
      prev->slice_len_ = prev->slice_ns_;
      prev->slice_expired_ = false;
      event = first_deadline(pc, saturating_add(now, prev->slice_ns_));
      return prev;
    }
    const u64 used = elapsed(now, prev->slice_start_);
    const u64 over = yielded || used <= prev->slice_len_ ? 0 : used - prev->slice_len_;
    const u64 debt = saturating_add(prev->overrun_, over);
    const u64 cap = kMaxOverrunSlices * prev->slice_ns_;
    prev->overrun_ = debt < cap ? debt : cap;
    set_state(*prev, RunstateState::runnable, now);
    pc.runq.push_back(prev);
  }
  // prev, if any, is now queued, blocked or offline: take the head of the queue.
  SchedVcpu* next = pc.runq.pop_front();
  if (next != nullptr) {
    next->slice_start_ = now;
    const u64 most = next->slice_ns_ - next->slice_ns_ / 8;
    const u64 paid = next->overrun_ < most ? next->overrun_ : most;
    next->slice_len_ = next->slice_ns_ - paid;
    next->overrun_ -= paid;
    next->slice_expired_ = false;
    ++next->stats_.switches_in;
    set_state(*next, RunstateState::running, now);
    if (prev == nullptr) {
      pc.stats.idle_ns += elapsed(now, pc.idle_since);
    }
  } else if (prev != nullptr) {
    pc.idle_since = now;
  }
  if (next != prev) {
    ++pc.stats.switches;
  }
  pc.current = next;
  event = first_deadline(pc, next != nullptr ? saturating_add(now, next->slice_len_) : kNever);
  return next;
}

u64 Scheduler::next_event(u32 pcpu) {
  if (!valid_pcpu(pcpu, "next_event")) {
    return kNever;
  }
  const Pcpu& pc = pcpu_[pcpu];
  Locked l(pc.lock);
  return event_of(pc);
}

// next_event() of `pc`, its lock held.
u64 Scheduler::event_of(const Pcpu& pc) {
  u64 slice_end = kNever;
  if (const SchedVcpu* cur = pc.current; cur != nullptr && cur->state_ == RunstateState::running) {
    slice_end = saturating_add(cur->slice_start_, cur->slice_len_);
  }
  return first_deadline(pc, slice_end);
}

// The earlier of `at` and the wake deadlines of the vCPUs blocked on `pc`, its lock held.
u64 Scheduler::first_deadline(const Pcpu& pc, u64 at) {
  for (const SchedVcpu* b = pc.blocked.front(); b != nullptr; b = b->next_) {  // O(blocked here)
    if (b->deadline_ < at) {
      at = b->deadline_;
    }
  }
  return at;
}

PcpuMask Scheduler::expire(u32 pcpu, u64 now) {
  if (!valid_pcpu(pcpu, "expire")) {
    return 0;
  }
  Pcpu& pc = pcpu_[pcpu];
  Locked l(pc.lock);
  PcpuMask resched = 0;
  SchedVcpu* b = pc.blocked.front();
  while (b != nullptr) {  // O(blocked here)
    SchedVcpu* next = b->next_;
    if (b->deadline_ <= now) {
      pc.blocked.remove(b);
      b->deadline_ = kNever;
      ++b->stats_.wakes;
      resched |= make_ready(pc, *b, now);
    }
    b = next;
  }
  return resched;
}

bool Scheduler::nothing_ahead() const {
  // Every pCPU lock, in index order: the only path holding more than one (lock order, above).
  for (u32 p = 0; p < npcpus_; ++p) {
    pcpu_[p].lock.lock();
  }
  bool none = true;
  for (u32 p = 0; p < npcpus_ && none; ++p) {
    const Pcpu& pc = pcpu_[p];
    none = pc.current == nullptr && pc.runq.empty();
    for (const SchedVcpu* b = pc.blocked.front(); b != nullptr && none; b = b->next_) {
      none = b->deadline_ == kNever;
    }
  }
  for (u32 p = npcpus_; p-- > 0;) {
    pcpu_[p].lock.unlock();
  }
  return none;
}

PcpuStats Scheduler::stats(u32 pcpu, u64 now) const {
  if (!valid_pcpu(pcpu, "stats")) {
    return {};
  }
  const Pcpu& pc = pcpu_[pcpu];
  Locked l(pc.lock);
  PcpuStats s = pc.stats;
  if (pc.current == nullptr) {
    s.idle_ns += elapsed(now, pc.idle_since);
  }
  return s;
}

SchedVcpuStats Scheduler::stats(const SchedVcpu& v) const {
  if (v.home_ >= npcpus_) {
    return v.stats_;
  }
  Locked l(pcpu_[v.home_].lock);
  return v.stats_;
}

vcpu_runstate_info Scheduler::runstate(const SchedVcpu& v, u64 now) const {
  if (v.home_ >= npcpus_) {
    return v.runstate_->account.snapshot(now);
  }
  Locked l(pcpu_[v.home_].lock);
  return v.runstate_->account.snapshot(now);
}

}  // namespace runhv
