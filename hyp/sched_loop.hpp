// The per-pCPU scheduling loop: the one Scheduler over every pCPU, its start, the reschedule
// contract and the idle loop
// SPDX-License-Identifier: MIT
//
// hyp/scheduling.hpp is what guest services ask of it; this is what boot code and the other
// scheduling files (vcpu_lifecycle, shutdown, stats, events) share.
#pragma once

#include "core/sched.hpp"
#include "core/types.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

// The scheduler of this machine (initialised by scheduling_init); inline, as every scheduling
// hypercall asks for it.
extern Scheduler g_scheduler;
inline Scheduler& scheduler() { return g_scheduler; }

// The scheduling loop's word of each pCPU (its arch::this_cpu_hyp(), set by scheduling_enter
// before anything asks).
struct alignas(64) PcpuLoop {
  bool prime_irq = false;  // before the first guest entry: a timer deadline already passed
  volatile bool need_resched = false;
  volatile bool started = false;  // in scheduling_enter(): the scheduler runs this pCPU
  bool yield_pending = false;     // the current vCPU yielded: the next schedule() is told so
  u64 vttbr = ~u64{0};            // the stage 2 loaded here
};
inline PcpuLoop& this_loop() { return *static_cast<PcpuLoop*>(arch::this_cpu_hyp()); }

// Boot CPU, before any domain is created: `pcpus` pCPUs (indices 0..pcpus-1) take part.
void scheduling_init(u32 pcpus);
// Boot CPU, once its domains are set up: lets the secondaries into the loop, then joins it.
[[noreturn]] void scheduling_start();

// The reschedule contract of core/sched.hpp: this pCPU's bit means "schedule before returning
// to the guest", any other bit an IPI to that pCPU.
void apply(PcpuMask mask);
// This pCPU reschedules before it returns to a guest.
inline void request_resched() { this_loop().need_resched = true; }
// ... and its current vCPU yields in that schedule() (Scheduler::schedule's `yielding`).
inline void request_yield() {
  PcpuLoop& loop = this_loop();
  loop.yield_pending = true;
  loop.need_resched = true;
}
// Reschedules this pCPU and runs whatever it picks, idling in between; never returns.
[[noreturn]] void run_loop();
// Before a transition of the loaded `v`: its EL1 translation registers, for a legacy-mode
// runstate area's walk.
void sync_el1(Vcpu& v);

// One more domain runs (start_domain); domain_shutdown() counts them down and powers off at 0.
void domain_started();
// Every `ms` milliseconds (0: never) pCPU 0 prints a `runhv: progress {...}` line per vCPU of
// every running domain (the figures of the final `runhv: stats` line, as they stand).
void set_progress_interval(u32 ms);
// pCPU `pcpu`'s timer at `now`: a progress report if one is due (hyp/stats.cpp).
void maybe_print_progress(u32 pcpu, u64 now);
// The final `runhv: <kind> {...}` line of `v` at `now` (hyp/stats.cpp).
void print_stats(const Vcpu& v, u64 now, const char* kind);
// A guest's console mark (hyp/domain_console.hpp): `runhv: mark {...}` with every vCPU of domain
// `domain` read at one moment, under the scheduler's locks. A label is 1..32 of [A-Za-z0-9_.:-];
// a domain gets kMaxMarks marks, then one line saying further marks are ignored.
inline constexpr u32 kMaxMarks = 1024;
void print_mark(u16 domain, const char* label, usize n);

}  // namespace runhv::hyp
