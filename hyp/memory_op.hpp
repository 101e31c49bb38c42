// memory_op: XENMEM_add_to_physmap of the shared_info page
// SPDX-License-Identifier: MIT
#pragma once

#include "hyp/domain.hpp"

namespace runhv::hyp {

// memory_op(cmd, arg) for vCPU `v`. Serves XENMEM_add_to_physmap with XENMAPSPACE_shared_info
// (idx 0): the domain's shared_info page (hypervisor memory, zeroed at boot) replaces whatever
// the domain had at `gpfn` in stage 2 — a RAM page the guest gives up, as Xen does. Other map
// spaces: -EINVAL; another domain: -EPERM; other commands: -ENOSYS.
long memory_op(Vcpu& v, u64 cmd, u64 arg);

// The domain's shared_info page (hypervisor view).
[[nodiscard]] xen::shared_info* shared_info_of(const Domain& d);

}  // namespace runhv::hyp
