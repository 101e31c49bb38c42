// The per-pCPU scheduling loop: the one Scheduler over every pCPU, its start and the idle loop
// SPDX-License-Identifier: MIT
//
// hyp/scheduling.hpp is what guest services ask of it; this is what boot code needs.
#pragma once

#include "core/sched.hpp"
#include "core/types.hpp"

namespace runhv::hyp {

// The scheduler of this machine (initialised by scheduling_init).
Scheduler& scheduler();
// Boot CPU, before any domain is created: `pcpus` pCPUs (indices 0..pcpus-1) take part.
void scheduling_init(u32 pcpus);
// Every `ms` milliseconds (0: never) pCPU 0 prints a `runhv: progress {...}` line per vCPU of
// every running domain (the figures of the final `runhv: stats` line, as they stand).
void set_progress_interval(u32 ms);
// Every pCPU taking part, once its domains are set up (the boot CPU) or it is told to
// (secondaries, by scheduling_release()): runs the scheduling loop on this pCPU for ever.
[[noreturn]] void scheduling_enter();
// start_domain(): one more domain runs (domain_shutdown() counts them down and powers off at 0).
void domain_started();
// Boot CPU: lets the secondaries waiting in scheduling_wait() into the loop.
void scheduling_release();
// Secondaries after bring-up: idles until scheduling_release(), then scheduling_enter().
[[noreturn]] void scheduling_wait();

}  // namespace runhv::hyp
