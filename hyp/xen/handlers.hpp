// The Xen hypercall handlers that stay in the hypervisor: vcpu_op (vCPU up/down, vcpu_info)
// SPDX-License-Identifier: MIT
//
// core/hypercall_table.hpp dispatches to the rest, which are portable (core/). Pointer arguments
// are guest virtual addresses, copied once through the caller's stage 1 and stage 2 by
// core/guest_copy (only RAM the domain owns). A bad argument gets the error code Xen gives for it
// and a budgeted log line.
#pragma once

#include "abi/xen.hpp"
#include "core/log.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp::hypercall {

long vcpu_op(Vcpu& v, const u64* a);  // x0..x2

// The caller's domain log budget, and the common "bad argument pointer" answer.
inline LogBudget& budget(const Vcpu& v) { return v.domain->runstate.log_budget; }
inline unsigned dom(const Vcpu& v) { return v.domain->number; }
inline long bad_pointer(const Vcpu& v, const char* what, u64 va) {
  guest_logf(budget(v), "d%uv%u: %s: bad argument pointer 0x%lx", dom(v), v.id, what, va);
  return xen::error(xen::Errno::efault);
}

}  // namespace runhv::hyp::hypercall
