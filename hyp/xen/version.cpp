// xen_version: the portable handler (core/xen_version.hpp) for the calling vCPU
// SPDX-License-Identifier: MIT
#include "core/xen_version.hpp"
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {

long xen_version(Vcpu& v, Args a) {
  if (long plain = 0; xen_version_plain(a[0], plain)) {
    return plain;  // without a GuestCall: the caller's stage-1 registers are not read
  }
  return xen_version_op(caller(v), a[0], a[1]);
}

}  // namespace runhv::hyp::hypercall
