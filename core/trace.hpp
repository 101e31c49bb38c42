// Scheduling and runstate trace: fixed 16-byte records, a sink the hypervisor installs, and the
// single-producer ring each pCPU keeps them in until they are taken out
// SPDX-License-Identifier: MIT
//
// Off (no sink) a trace point is a load and a branch. The scheduler records every runstate
// change with the accounting's own time, so a reader that replays the records the way
// RunstateAccount::change() folds time gets the accounting's totals; tools/trace_timeline.py does that
// and draws the timeline.
#pragma once

#include "core/limits.hpp"
#include "core/types.hpp"

namespace runhv {

enum class TraceKind : u8 {
  created = 0,       // the vCPU's account starts, offline (arg: 0)
  runstate = 1,      // the vCPU entered runstate `arg` (Xen's RUNSTATE_*)
  area_update = 2,   // its registered runstate area was written
  walk_failure = 3,  // an update of its area could not be written
  event = 4,         // an event-channel upcall was raised for it
  totals = 5,        // the hypervisor printed its final figures as of this time
};

// A vCPU's created and runstate records carry `seq`, counted under its home pCPU's lock: any pCPU
// may change a vCPU's state (a wake, a vcpu_up), so its records land in several rings, and two
// made in one instant must still be replayed in the order they happened. Their time is the
// accounting's (RunstateAccount::change keeps a clock that went backwards standing still).
struct TraceRecord {
  u64 time_ns;
  u8 domain;
  u8 vcpu;
  u8 kind;  // TraceKind
  u8 arg;
  u8 pcpu;  // the vCPU's home pCPU
  u8 reserved;
  u16 seq;  // per vCPU, wrapping (created: 0)
};
static_assert(sizeof(TraceRecord) == 16, "the host reader's record layout");
static_assert(kMaxDomains <= 255 && kMaxVcpusPerDomain <= 255 && kMaxPcpus <= 255, "a byte each");

class TraceSink {
 public:
  // Called with interrupts masked, possibly under the scheduler's locks: must not block.
  virtual void record(const TraceRecord& r) = 0;

 protected:
  TraceSink() = default;
  ~TraceSink() = default;
  TraceSink(const TraceSink&) = default;
  TraceSink& operator=(const TraceSink&) = default;
};

namespace trace_detail {
extern TraceSink* g_sink;
}

// Installs the sink (nullptr: tracing off); returns the previous one.
TraceSink* set_trace_sink(TraceSink* sink);
// Relaxed: a sink is whole before it is installed (its storage statically initialised), and the
// untraced switch pays only a load and a branch.
[[nodiscard]] inline TraceSink* trace_sink() { return __atomic_load_n(&trace_detail::g_sink, __ATOMIC_RELAXED); }

inline void trace(TraceKind kind, u64 time_ns, u32 domain, u32 vcpu, u32 pcpu, u32 arg = 0, u16 seq = 0) {
  if (TraceSink* s = trace_sink(); s != nullptr) [[unlikely]] {
    s->record(TraceRecord{time_ns, static_cast<u8>(domain), static_cast<u8>(vcpu), static_cast<u8>(kind),
                          static_cast<u8>(arg), static_cast<u8>(pcpu), 0, seq});
  }
}

// A ring of records with one producer (a pCPU, interrupts masked) and one consumer that takes
// contiguous runs out of it. When full, new records are dropped and counted, never overwriting
// what has not been taken.
class TraceRing {
 public:
  constexpr TraceRing() = default;  // holds nothing: every push is dropped
  // `capacity` must be a power of two.
  constexpr TraceRing(TraceRecord* storage, u32 capacity) : buf_(storage), mask_(capacity - 1) {}
  // Whether `r` was stored.
  bool push(const TraceRecord& r) {
    const u32 head = __atomic_load_n(&head_, __ATOMIC_RELAXED);
    if (buf_ == nullptr || head - __atomic_load_n(&tail_, __ATOMIC_ACQUIRE) > mask_) {
      ++dropped_;
      return false;
    }
    buf_[head & mask_] = r;
    __atomic_store_n(&head_, head + 1, __ATOMIC_RELEASE);
    return true;
  }
  [[nodiscard]] u32 size() const {
    return __atomic_load_n(&head_, __ATOMIC_ACQUIRE) - __atomic_load_n(&tail_, __ATOMIC_RELAXED);
  }
  [[nodiscard]] u32 capacity() const { return mask_ + 1; }
  // The oldest contiguous run of records not yet taken (it ends at the ring's wrap point).
  [[nodiscard]] const TraceRecord* run(u32& count) const {
    const u32 tail = __atomic_load_n(&tail_, __ATOMIC_RELAXED);
    const u32 n = size();
    const u32 to_wrap = capacity() - (tail & mask_);
    count = n < to_wrap ? n : to_wrap;
    return &buf_[tail & mask_];
  }
  // Releases the `count` oldest records (after run()).
  void take(u32 count) { __atomic_store_n(&tail_, tail_ + count, __ATOMIC_RELEASE); }
  [[nodiscard]] u64 dropped() const { return dropped_; }

 private:
  TraceRecord* buf_ = nullptr;
  u32 mask_ = 0;
  u32 head_ = 0;
  u32 tail_ = 0;
  u64 dropped_ = 0;
};

}  // namespace runhv
