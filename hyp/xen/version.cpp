// xen_version: the portable handler (core/xen_version.hpp) for the calling vCPU
// SPDX-License-Identifier: MIT
#include "core/xen_version.hpp"
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {

long xen_version(Vcpu& v, Args a) { return xen_version_op(caller(v), a[0], a[1]); }

}  // namespace runhv::hyp::hypercall
