// The Xen hypercall handlers: one per hypercall, each taking the caller and its argument registers
// SPDX-License-Identifier: MIT
//
// hyp/xen/hypercall.cpp dispatches to them by number. Pointer arguments are guest virtual
// addresses, copied once through the caller's stage 1 and stage 2 by core/guest_copy (only RAM
// the domain owns). A bad argument gets the error code Xen gives for it and a budgeted log line.
#pragma once

#include "abi/xen.hpp"
#include "core/guest_call.hpp"
#include "core/log.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp::hypercall {

using Args = const u64*;  // x0..x4

long xen_version(Vcpu& v, Args a);
long console_io(Vcpu& v, Args a);
long sched_op(Vcpu& v, Args a);
long vcpu_op(Vcpu& v, Args a);
long memory_op(Vcpu& v, Args a);
long vm_assist(Vcpu& v, Args a);
long hvm_op(Vcpu& v, Args a);
long grant_table_op(Vcpu& v, Args a);
long event_channel_op(Vcpu& v, Args a);

// The caller as the portable handlers (core/) see it.
inline GuestCall caller(Vcpu& v) {
  return GuestCall{v.domain->space, guest_stage1(v), v.domain->runstate.log_budget, v.domain->number, v.id};
}

// The caller's domain log budget, and the common "bad argument pointer" answer.
inline LogBudget& budget(const Vcpu& v) { return v.domain->runstate.log_budget; }
inline unsigned dom(const Vcpu& v) { return v.domain->number; }
inline long bad_pointer(const Vcpu& v, const char* what, u64 va) {
  guest_logf(budget(v), "d%uv%u: %s: bad argument pointer 0x%lx", dom(v), v.id, what, va);
  return xen::error(xen::Errno::efault);
}

}  // namespace runhv::hyp::hypercall
