// vm_assist: VMASST_TYPE_runstate_update_flag, the only assist Xen has on Arm
// SPDX-License-Identifier: MIT
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {

long vm_assist(Vcpu& v, Args a) {
  const long result = runstate_vm_assist(v.domain->runstate, static_cast<u32>(a[0]), static_cast<u32>(a[1]));
  if (result != 0) {
    guest_logf(budget(v), "d%uv%u: vm_assist(%lu, %lu) refused", dom(v), v.id, a[0], a[1]);
  }
  return result;
}

}  // namespace runhv::hyp::hypercall
