// Domain shutdown and teardown: every vCPU offline, the books printed, every pin released; the
// machine powers off with the last domain
// SPDX-License-Identifier: MIT
#include "core/log.hpp"
#include "core/trace.hpp"
#include "hyp/console.hpp"
#include "hyp/console_input.hpp"
#include "hyp/frame_table.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/scheduling.hpp"
#include "hyp/trace.hpp"
#include "hyp/xen/event_channel.hpp"
#include "hyp/xen/vcpu_info.hpp"

namespace runhv::hyp {
namespace {

u32 g_domains_up = 0;  // domains started and not yet shut down

}  // namespace

void domain_started() { __atomic_add_fetch(&g_domains_up, 1, __ATOMIC_ACQ_REL); }

void domain_shutdown(Vcpu& caller, const char* reason) {
  Domain& d = *caller.domain;
  sync_el1(caller);
  const bool first = __atomic_exchange_n(&d.running, false, __ATOMIC_ACQ_REL);
  const u64 now = arch::now_ns();
  if (!first) {
    // Another vCPU of the domain is shutting it down: just leave.
    apply(scheduler().retire(caller.sched, now));
    run_loop();
  }
  // Every vCPU offline for good (a sibling's CPU_ON on another pCPU cannot bring one back), then
  // off every pCPU: a hypercall in flight there (a registration) ends before the teardown.
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    apply(scheduler().retire(d.vcpus[i].sched, now));
  }
  const auto self = static_cast<i32>(arch::this_cpu_index());
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    for (i32 on = 0; (on = __atomic_load_n(&d.vcpus[i].loaded_on, __ATOMIC_ACQUIRE)) != -1 && on != self;) {
    }
  }
  d.console.flush();
  console_input_stopped(d);
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    print_stats(d.vcpus[i], now, "stats");
    // The books cover up to `now` or, if another pCPU changed the vCPU's state after this pCPU
    // read `now` (the accounting then keeps the clock standing), up to that change.
    const u64 entry = d.vcpus[i].runstate.account.info().state_entry_time;
    trace(TraceKind::totals, entry > now ? entry : now, d.number, i, d.vcpus[i].sched.pcpu());
  }
  // Teardown: every pin the domain's runstate areas and vcpu_infos hold is dropped (under each
  // area's lock; no update comes any more: each vCPU is retired and put by its pCPU, whose last
  // update happened before its loaded_on went to -1).
  u64 held = 0;
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    held += d.vcpus[i].runstate.area.pinned_frames();
    d.vcpus[i].runstate.area.release();
  }
  evtchn_domain_teardown(d);
  release_vcpu_info(d);
  console::print("runhv: teardown {\"domain\":%u,\"pinned_pages_released\":%lu,\"machine_pinned_pages\":%lu}\n",
                 static_cast<unsigned>(d.number), held, frame_table().pinned());
  console::print("runhv: d%u stopped (%s)\n", static_cast<unsigned>(d.number), reason);
  if (__atomic_sub_fetch(&g_domains_up, 1, __ATOMIC_ACQ_REL) == 0) {
    console::print("runhv: cpu%u: interrupts taken while a guest ran: %lu\n", arch::this_cpu_index(),
                   arch::guest_irqs_taken());
    trace_finish();
    console::print("runhv: all domains down, powering off\n");
    arch::system_off();
  }
  run_loop();
}

// Out of line even under LTO: tests/system/vectors_check.py follows the FIQ and SError exits here.
[[gnu::noinline]] void on_guest_fatal(arch::VcpuState& s, const char* reason, const char* detail) {
  Vcpu& v = vcpu_of(s);
  const unsigned n = v.domain->number;
  logf("d%uv%u: %s: stopping d%u", n, v.id, detail, n);
  domain_shutdown(v, reason);
}

}  // namespace runhv::hyp
