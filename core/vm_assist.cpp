// vm_assist: VMASST_TYPE_runstate_update_flag, the only assist Xen has on Arm
// SPDX-License-Identifier: MIT
#include "core/vcpu_op.hpp"
#include "core/xen_host.hpp"

namespace runhv {

long vm_assist_call(const GuestCall& c, XenHost& h, u64 cmd, u64 type) {
  const long result = runstate_vm_assist(h.runstate(), static_cast<u32>(cmd), static_cast<u32>(type));
  if (result != 0) {
    guest_logf(c.budget, "d%uv%u: vm_assist(%llu, %llu) refused", c.dom, c.vcpu, static_cast<unsigned long long>(cmd),
               static_cast<unsigned long long>(type));
  }
  return result;
}

}  // namespace runhv
