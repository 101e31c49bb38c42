// A guest fault answered with an exception for the guest, as Xen does: one line, budgeted
// SPDX-License-Identifier: MIT
//
// An unknown system register, a load, store or fetch at an IPA nothing backs: the line goes
// through the domain's log budget (core/log.hpp), so a guest faulting in a loop cannot flood the
// console; the architecture then makes the guest take the exception and the domain goes on.
#include "hyp/domain.hpp"

namespace runhv::hyp {

void on_exception_injected(arch::VcpuState& s, const char* detail) {
  const Vcpu& v = vcpu_of(s);
  guest_logf(v.domain->runstate.log_budget, "d%uv%u: %s", static_cast<unsigned>(v.domain->number), v.id, detail);
}

}  // namespace runhv::hyp
