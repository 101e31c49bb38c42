// Scheduler policy: per-pCPU round-robin run queues, blocking with wake deadlines, and the
// runstate transition each scheduling decision makes
// SPDX-License-Identifier: MIT
//
// What it decides, not how: the hypervisor owns the world switch, the EL2 timer and the IPIs. It
// calls in with the time (`now`, nanoseconds, the same clock as the runstate accounting) and acts
// on what comes back.
//
// States and runstate: a SchedVcpu is in exactly one of the four runstate states, and the
// scheduler is the only one to move it, always through VcpuRunstate::change(state, now), so that
// the account and the guest's registered area follow every transition:
//     add()                          offline (the vCPU must be offline; add() does not change it)
//     vcpu_up()                      offline  -> runnable   (queued at the tail of its pCPU)
//     schedule() dispatching it      runnable -> running    (it becomes its pCPU's current)
//     schedule() preempting it       running  -> runnable   (slice expired or yield(), and
//                                                            another vCPU is queued)
//     block()                        running  -> blocked    (only the current vCPU blocks itself)
//     wake() / expire()              blocked  -> runnable   (queued at the tail)
//     vcpu_down()                    any      -> offline
//     retire()                       any      -> offline    (domain stop: for good, each vCPU)
// A call that changes nothing (a yield with nobody else runnable, a tick within the slice, a wake
// of a vCPU that is not blocked) makes no runstate change and no area update.
//
// Round robin: each pCPU has a FIFO run queue (an intrusive doubly linked list: enqueue, dequeue
// and pick-next are O(1)) and a `current` (nullptr: the pCPU is idle). A dispatched vCPU gets a
// fresh slice of its own length (per vCPU, from its domain's configuration; default 1 ms), less
// what its earlier slices overran (their ends noticed late: a delayed timer interrupt, a long
// exit, a pCPU held off), at most 7/8 of a slice each time; the rest is carried to its next
// slices, up to kMaxOverrunSlices slices of it: so busy vCPUs sharing a pCPU get equal time, not
// just equal numbers of slices, however late each slice's end was taken. When
// the slice ends (tick()) or the vCPU yields, schedule() puts it at the tail of the queue and
// takes the head; with nobody queued it keeps running on a fresh slice. A vCPU that wakes is
// queued at the tail and waits for the current slice to end: a wake never preempts, it only
// brings an idle pCPU out of idle.
//
// Placement: each vCPU has a home pCPU, fixed at add(): its pin if it has one, otherwise the pCPU
// with the fewest vCPUs assigned so far (the lowest index on a tie). vCPUs never migrate: a pCPU
// may sit idle while another has a queue. That keeps every vCPU under one lock, the one of its
// home, and makes pinning trivially respected. A pin to a pCPU that does not exist is refused.
//
// Blocking: block(v, now, deadline) takes the current vCPU off the CPU until wake(v) or, when
// `deadline` is not kNever, until expire() runs at or after the deadline (the guest's virtual
// timer, for WFI). The hypervisor must check the vCPU's pending interrupts before it calls block()
// (as Xen's vcpu_block does); a deadline that has already passed is refused (block() returns false
// and nothing changes: the vCPU has nothing to wait for). Blocked vCPUs sit on a per-pCPU list that
// next_event() and expire() scan linearly: O(b) for the b vCPUs blocked on that pCPU, which is at
// most the handful of vCPUs homed there.
//
// The reschedule contract, what the hypervisor must do with the results:
//   - After block() of the current vCPU, vcpu_down() of a current vCPU (bit set in the result),
//     yield(), or tick() returning true: call schedule() on that pCPU and switch to what it
//     returns (nullptr: go idle, wait for an interrupt). A yield may instead be handed to that
//     schedule() (its `yielding`): the same outcome, under one lock.
//   - vcpu_up(), wake(), vcpu_down() and expire() return a PcpuMask of pCPUs that must call
//     schedule(): an idle pCPU whose queue is no longer empty, or a pCPU whose current vCPU went
//     offline. A bit for the calling pCPU means "schedule before returning to the guest", any
//     other bit means "send that pCPU a reschedule IPI".
//   - After every schedule(), tick() and expire(), program the pCPU's EL2 timer for
//     next_event(): the end of the current slice or the earliest wake deadline, whichever comes
//     first. The slice end is programmed even with an empty queue, because a vCPU woken there
//     later by another pCPU does not interrupt a busy pCPU and would otherwise wait forever.
// Between block() / vcpu_down() of a current vCPU and the next schedule() on its pCPU, that
// vCPU is still `current` (its registers are still live) but no longer running; a wake() or
// vcpu_up() in that window makes it running again in place, and schedule() then keeps it.
//
// Concurrency: every pCPU has a spinlock over its run queue, blocked list, current and the
// scheduling fields of the vCPUs homed on it (the home never changes, so a vCPU is always under
// the same lock). Any pCPU may call vcpu_up(), vcpu_down() and wake() on any vCPU; the per-pCPU
// calls (yield, tick, schedule, next_event, expire) are made by the pCPU itself. A pCPU's lock is
// also the `books` lock of its vCPUs' runstate (core/vcpu_op.hpp). Lock order (all of it in
// DEVELOPERS.md):
//   placement lock (add/remove only)  ->  at most ONE pCPU lock  ->  the runstate area's lock
// No path holds two pCPU locks, but nothing_ahead(), which takes them all in index order. Callers run with interrupts
// masked (as EL2 does), so an interrupt handler on the same pCPU never spins on a lock its own pCPU holds.
//
// Misuse (a block of a vCPU that is not current, a yield on an idle pCPU, an unknown pCPU index,
// a vCPU that was never added) is ignored and logged; it never corrupts the queues.
#pragma once

#include "core/limits.hpp"
#include "core/spinlock.hpp"
#include "core/types.hpp"
#include "core/vcpu_op.hpp"

namespace runhv {

inline constexpr u64 kDefaultSliceNs = 1'000'000;  // 1 ms
inline constexpr u64 kNever = ~u64{0};             // no wake deadline / no event
inline constexpr u64 kMaxOverrunSlices = 8;        // overrun a vCPU carries, in its slices
inline constexpr int kAnyPcpu = -1;                // add(): not pinned
inline constexpr u32 kNoPcpu = ~u32{0};            // a SchedVcpu not (yet) added

// A set of pCPUs, bit p for pCPU p.
using PcpuMask = u32;
static_assert(kMaxPcpus <= 32, "PcpuMask holds one bit per pCPU");
constexpr PcpuMask pcpu_bit(u32 pcpu) { return PcpuMask{1} << pcpu; }

struct SchedVcpuStats {
  u64 switches_in = 0;     // dispatched by schedule() (a vCPU kept in place does not count)
  u64 slices_expired = 0;  // slices that ran out (counted once per slice)
  u64 yields = 0;          // yields while it was current and running (yield() or schedule()'s)
  u64 blocks = 0;          // block() calls that took it off the CPU
  u64 wakes = 0;           // blocked -> runnable (or running in place) by wake() or expire()
};

struct PcpuStats {
  u64 idle_ns = 0;   // time with no current vCPU, up to the `now` asked about
  u64 switches = 0;  // changes of current: vCPU to vCPU, to idle, or from idle
};

// The scheduler's part of a vCPU, embedded in it. init() it, then Scheduler::add() it; after
// that every field belongs to the scheduler (read it through the accessors, under the home
// pCPU's lock or when nothing runs concurrently, as in tests).
class SchedVcpu {
 public:
  constexpr SchedVcpu() = default;
  SchedVcpu(const SchedVcpu&) = delete;
  SchedVcpu& operator=(const SchedVcpu&) = delete;
  ~SchedVcpu() = default;

  // `runstate` is the vCPU's accounting (its account must be offline); `domain` and `vcpu` name
  // it in logs; `slice_ns` is its time slice (0: the default).
  void init(VcpuRunstate* runstate, u32 domain, u32 vcpu, u64 slice_ns = kDefaultSliceNs) {
    runstate_ = runstate;
    domain_ = domain;
    vcpu_ = vcpu;
    slice_ns_ = slice_ns != 0 ? slice_ns : kDefaultSliceNs;
    slice_len_ = slice_ns_;
    overrun_ = 0;
  }

  [[nodiscard]] RunstateState state() const { return state_; }
  [[nodiscard]] u32 pcpu() const { return home_; }  // home pCPU, kNoPcpu before add()
  [[nodiscard]] u64 slice_ns() const { return slice_ns_; }
  [[nodiscard]] u64 slice_len() const { return slice_len_; }      // the current slice: see "Slices"
  [[nodiscard]] u64 slice_start() const { return slice_start_; }  // dispatch of the current slice
  // What is left of the current slice at `now` (meaningful while running).
  [[nodiscard]] u64 slice_remaining(u64 now) const {
    const u64 used = now > slice_start_ ? now - slice_start_ : 0;
    return used < slice_len_ ? slice_len_ - used : 0;
  }
  [[nodiscard]] u64 wake_deadline() const { return deadline_; }  // kNever unless blocked with one
  [[nodiscard]] u32 domain() const { return domain_; }
  [[nodiscard]] u32 vcpu() const { return vcpu_; }
  [[nodiscard]] VcpuRunstate* runstate() const { return runstate_; }
  [[nodiscard]] const SchedVcpuStats& stats() const { return stats_; }
  // The next vCPU on the list this one is on (run queue if runnable, blocked list if blocked).
  [[nodiscard]] const SchedVcpu* next_listed() const { return next_; }

 private:
  friend class Scheduler;
  friend class SchedList;

  SchedVcpu* prev_ = nullptr;  // intrusive links: run queue or blocked list of the home pCPU
  SchedVcpu* next_ = nullptr;
  VcpuRunstate* runstate_ = nullptr;
  u64 slice_ns_ = kDefaultSliceNs;
  u64 slice_len_ = kDefaultSliceNs;  // this slice: slice_ns_ less what it pays of overrun_
  u64 overrun_ = 0;                  // how far its expired slices ran past their ends, not yet made up
  u64 slice_start_ = 0;
  u64 deadline_ = kNever;
  u32 domain_ = 0;
  u32 vcpu_ = 0;
  u16 trace_seq_ = 0;  // its runstate records, in the order its home lock made them
  u32 home_ = kNoPcpu;
  RunstateState state_ = RunstateState::offline;
  bool slice_expired_ = false;  // this slice's expiry is counted; schedule() acts on it
  bool retired_ = false;        // retire(): never up again
  SchedVcpuStats stats_{};
};

// An intrusive doubly linked FIFO of SchedVcpus (through their prev_/next_): O(1) everywhere but
// size(), which is for introspection: the switch keeps no count.
class SchedList {
 public:
  constexpr SchedList() = default;

  void push_back(SchedVcpu* v) {
    v->next_ = nullptr;
    v->prev_ = tail_;
    if (tail_ != nullptr) {
      tail_->next_ = v;
    } else {
      head_ = v;
    }
    tail_ = v;
  }
  // `v` must be on this list.
  void remove(SchedVcpu* v) {
    if (v->prev_ != nullptr) {
      v->prev_->next_ = v->next_;
    } else {
      head_ = v->next_;
    }
    if (v->next_ != nullptr) {
      v->next_->prev_ = v->prev_;
    } else {
      tail_ = v->prev_;
    }
    v->prev_ = nullptr;
    v->next_ = nullptr;
  }
  SchedVcpu* pop_front() {
    SchedVcpu* v = head_;
    if (v != nullptr) {
      remove(v);
    }
    return v;
  }
  [[nodiscard]] SchedVcpu* front() const { return head_; }
  [[nodiscard]] bool empty() const { return head_ == nullptr; }
  // Counted from the tail back, through the links push_back() and remove() keep besides next_.
  [[nodiscard]] u32 size() const {
    u32 n = 0;
    for (const SchedVcpu* v = tail_; v != nullptr; v = v->prev_) {
      ++n;
    }
    return n;
  }

 private:
  SchedVcpu* head_ = nullptr;
  SchedVcpu* tail_ = nullptr;
};

class Scheduler {
 public:
  // Constant-initialisable (a constinit global on the target); init() before use.
  constexpr Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler() = default;

  // `pcpus` (1..kMaxPcpus) pCPUs, each idle since `now`. Returns false (and logs) for a bad count.
  bool init(u32 pcpus, u64 now);

  // Places `v` (init()ed, offline, not added) on a home pCPU: `pin` if it is one (0..pcpus-1),
  // the least loaded pCPU for kAnyPcpu. Returns false (and logs) for a bad vCPU or pin.
  bool add(SchedVcpu& v, int pin = kAnyPcpu);
  // Takes an offline, non-current vCPU back out (vCPU or domain teardown); false if it is not.
  bool remove(SchedVcpu& v);

  // offline -> runnable. No-op for a vCPU that is up or retired.
  PcpuMask vcpu_up(SchedVcpu& v, u64 now);
  // running / runnable / blocked -> offline, off every queue. No-op for an offline vCPU.
  PcpuMask vcpu_down(SchedVcpu& v, u64 now);
  // vcpu_down() for good (its domain is stopping): under the same lock as vcpu_up(), so a
  // vcpu_up() on another pCPU either came first and is undone here, or finds it retired.
  PcpuMask retire(SchedVcpu& v, u64 now);
  [[nodiscard]] bool retired(const SchedVcpu& v) const;
  // Whether `v` is its pCPU's current (chosen by schedule(), maybe not loaded yet), read under
  // the lock: a pCPU that has picked it is about to load its registers.
  [[nodiscard]] bool is_current(const SchedVcpu& v) const;
  // The current, running vCPU of its pCPU -> blocked until wake() or `wake_deadline`. Returns
  // whether it blocked; the pCPU must then schedule().
  bool block(SchedVcpu& v, u64 now, u64 wake_deadline = kNever);
  // blocked -> runnable (tail of its queue). No-op unless blocked.
  PcpuMask wake(SchedVcpu& v, u64 now);

  // The current vCPU of `pcpu` gives up the rest of its slice; schedule() acts on it. False on
  // an idle pCPU.
  bool yield(u32 pcpu);
  // Slice accounting at `now`: whether the current vCPU's slice has run out.
  bool tick(u32 pcpu, u64 now);
  // The vCPU `pcpu` runs next (nullptr: idle). The old current stays if it is running and
  // neither yielded nor ran out of slice, or if nobody else is queued (then with a fresh slice,
  // if its slice was over); otherwise it goes to the tail of the queue, or stays off the queues
  // if it blocked or went offline.
  SchedVcpu* schedule(u32 pcpu, u64 now);
  // schedule(), and into `event` what next_event() answers right after it: one lock, one call.
  // `yielding`: the current vCPU yields first, as by yield() (the yield hypercall's way: one
  // lock for both; nothing is logged for an idle pCPU or a current no longer running).
  SchedVcpu* schedule(u32 pcpu, u64 now, u64& event, bool yielding = false);
  // When the pCPU's EL2 timer must fire: min(end of the current slice, earliest wake deadline
  // of a vCPU blocked on it); kNever for nothing. Absolute: a time already past means "at once".
  [[nodiscard]] u64 next_event(u32 pcpu);
  // Wakes the vCPUs blocked on `pcpu` whose deadline is at or before `now`.
  PcpuMask expire(u32 pcpu, u64 now);
  // Nothing will ever run again unless a wake() or vcpu_up() comes from outside the scheduler:
  // every pCPU idle (no current), every run queue empty, every blocked vCPU without a deadline.
  // One consistent view, under every pCPU's lock.
  [[nodiscard]] bool nothing_ahead() const;

  // ---- Introspection. Unlocked reads: exact on the pCPU itself or when nothing runs
  // concurrently (tests); stats() locks for a consistent copy.
  [[nodiscard]] u32 pcpus() const { return npcpus_; }
  [[nodiscard]] SchedVcpu* current(u32 pcpu) const { return pcpu < npcpus_ ? pcpu_[pcpu].current : nullptr; }
  [[nodiscard]] u32 assigned(u32 pcpu) const { return pcpu < npcpus_ ? pcpu_[pcpu].assigned : 0; }
  [[nodiscard]] const SchedList* run_queue(u32 pcpu) const { return pcpu < npcpus_ ? &pcpu_[pcpu].runq : nullptr; }
  [[nodiscard]] const SchedList* blocked(u32 pcpu) const { return pcpu < npcpus_ ? &pcpu_[pcpu].blocked : nullptr; }
  [[nodiscard]] PcpuStats stats(u32 pcpu, u64 now) const;
  [[nodiscard]] SchedVcpuStats stats(const SchedVcpu& v) const;
  // v's runstate times at `now` (VCPUOP_get_runstate_info's view), read under its home pCPU's
  // lock: consistent even while that pCPU switches it.
  [[nodiscard]] vcpu_runstate_info runstate(const SchedVcpu& v, u64 now) const;

 private:
  struct alignas(64) Pcpu {
    mutable SpinLock lock;
    SchedList runq;     // runnable vCPUs, FIFO
    SchedList blocked;  // blocked vCPUs (with or without a deadline)
    SchedVcpu* current = nullptr;
    u64 idle_since = 0;  // valid while current == nullptr
    PcpuStats stats{};
    u32 assigned = 0;  // vCPUs homed here (under placement_lock_)
    bool yield_pending = false;
  };

  [[nodiscard]] bool valid_pcpu(u32 pcpu, const char* what) const;
  [[nodiscard]] Pcpu* home_of(SchedVcpu& v, const char* what);
  [[gnu::always_inline]] static inline void set_state(SchedVcpu& v, RunstateState s, u64 now);
  [[gnu::noinline, gnu::cold]] static void traced_set_state(SchedVcpu& v, RunstateState s, u64 now);
  static bool slice_over(SchedVcpu& v, u64 now);
  static u64 event_of(const Pcpu& pc);
  static u64 first_deadline(const Pcpu& pc, u64 at);
  PcpuMask make_ready(Pcpu& pc, SchedVcpu& v, u64 now);

  Pcpu pcpu_[kMaxPcpus];
  SpinLock placement_lock_;
  u32 npcpus_ = 0;
};

}  // namespace runhv
