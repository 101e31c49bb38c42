// A domain that can never run again: every vCPU down, or every vCPU blocked with nothing to wake it
// SPDX-License-Identifier: MIT
//
// VCPUOP_down or PSCI CPU_OFF of a domain's last vCPU stops the domain (hyp/vcpu_lifecycle.cpp;
// Xen's common_vcpu_op powers the domain off there too): only its own vCPUs could bring one back.
// A vCPU that blocks with no timer armed while every other vCPU of its domain is offline or so
// blocked gets one budgeted line: only an event can wake that domain now (an event channel from
// another domain, the operator's console input). When a pCPU goes idle with nothing armed, runhv
// asks whether anything can happen any more: no vCPU runs, is queued or waits for a deadline
// (Scheduler::nothing_ahead), none is still loaded or has an interrupt pending, and no console
// input can arrive. Then the blocked domains can never be woken: each is stopped, "hung", and the
// machine powers off with the last. With console input possible, one line says so and runhv waits.
#include "hyp/liveness.hpp"
#include "core/log.hpp"
#include "hyp/console.hpp"
#include "hyp/console_input.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/scheduling.hpp"

namespace runhv::hyp {
namespace {

bool g_waiting_reported = false;  // the console-input line, once

bool blocked_for_good(const Vcpu& v) {
  return v.sched.state() == RunstateState::blocked && v.sched.wake_deadline() == kNever;
}

}  // namespace

void note_blocked_without_timer(Vcpu& v) {
  const Domain& d = *v.domain;
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    if (d.vcpus[i].sched.state() != RunstateState::offline && !blocked_for_good(d.vcpus[i])) {
      return;
    }
  }
  guest_logf(v.domain->runstate.log_budget,
             "d%uv%u: every vcpu of d%u is blocked with no timer armed: only an event can wake it",
             static_cast<unsigned>(d.number), v.id, static_cast<unsigned>(d.number));
}

void check_nothing_ahead() {
  if (!arch::irq_ready() || !scheduler().nothing_ahead()) {
    return;
  }
  Domain* stuck = nullptr;
  for (u16 n = 1; n <= kMaxDomains; ++n) {
    Domain* d = find_domain(n);
    if (d == nullptr || !d->running) {
      continue;
    }
    for (u32 i = 0; i < d->nr_vcpus; ++i) {
      // Still being switched out somewhere, or an interrupt on its way (its kick follows).
      if (__atomic_load_n(&d->vcpus[i].loaded_on, __ATOMIC_ACQUIRE) != -1) {
        return;
      }
      d->lock.lock();
      const bool pending = d->vgic.has_pending(i);
      d->lock.unlock();
      if (pending) {
        return;
      }
    }
    stuck = stuck != nullptr ? stuck : d;
  }
  if (stuck == nullptr) {
    return;
  }
  if (console_input_possible()) {
    if (!__atomic_exchange_n(&g_waiting_reported, true, __ATOMIC_ACQ_REL)) {
      console::print("runhv: every domain is blocked with no timer armed: only console input can wake one\n");
    }
    return;
  }
  console::print("runhv: d%u is hung: every vcpu blocked or down, no timer armed, nothing else runs\n",
                 static_cast<unsigned>(stuck->number));
  domain_shutdown(stuck->vcpus[0], "hung: no vcpu can be woken");
}

}  // namespace runhv::hyp
