// Xen hypercalls: the portable table (core/hypercall_table.hpp) with the calling vCPU as host
// SPDX-License-Identifier: MIT
//
// Not handled yet: a guest running with its data cache off writes around the hypervisor's
// cacheable view of its RAM; QEMU has no caches, real hardware would need the source lines
// invalidated first.
#include "core/hypercall_table.hpp"
#include "hyp/xen/host.hpp"

namespace runhv::hyp {

void on_hypercall(arch::VcpuState& s) {
  Vcpu& v = vcpu_of(s);
  ++v.counters.hypercalls;
  const long result = xen_hypercall<VcpuHost>(v, arch::hypercall_number(s), arch::hypercall_args(s));
  if (result == xen::error(xen::Errno::erestart)) {
    // Transient (an area lock held by another pCPU's switch) or a continuation (the next piece of
    // a long console write, its registers moved on): the guest never sees it, it just executes
    // the same HVC again, as after a Xen continuation.
    ++v.counters.hypercall_restarts;
    arch::restart_hypercall(s);
    return;
  }
  if (result < 0) {
    ++v.counters.hypercall_errors;
  }
  arch::set_hypercall_result(s, static_cast<u64>(result));
}

}  // namespace runhv::hyp
