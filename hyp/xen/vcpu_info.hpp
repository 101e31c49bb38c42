// VCPUOP_register_vcpu_info: a vCPU's vcpu_info moved into a page of the guest's choosing
// SPDX-License-Identifier: MIT
#pragma once

#include "abi/xen.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

// Registers vCPU `v`'s vcpu_info at guest frame info.mfn + info.offset (Xen 4.18+ semantics):
// offset beyond the page -> -EINVAL; misaligned or crossing a page -> -ENXIO; not the domain's
// writable RAM -> -EINVAL / -EACCES; registered already -> -EBUSY. The page is pinned; the area
// is zeroed with evtchn_pending_sel = ~0 and evtchn_upcall_pending = 1, as Xen leaves it, and
// the event-channel interrupt is raised for `v`.
long register_vcpu_info(Vcpu& v, const xen::vcpu_register_vcpu_info& info);

// Drops the registrations (and pins) of every vCPU of `d` (domain teardown).
void release_vcpu_info(Domain& d);

}  // namespace runhv::hyp
