// hvm_op: HVMOP_get_param / HVMOP_set_param as Xen's Arm do_hvm_op answers a domU
// SPDX-License-Identifier: MIT
//
// A domain may read CALLBACK_IRQ, STORE_PFN, STORE_EVTCHN, CONSOLE_PFN and CONSOLE_EVTCHN and set
// none of them (-EPERM; MONITOR_RING_PFN reads -EPERM too); any other parameter is -EINVAL. runhv
// gives its domains no xenstore and no PV console ring, so every readable parameter is 0, which is
// what Xen's dom0less gives a domain without `xen,enhanced`: Linux then leaves xenbus and hvc0
// off. Another existing domain: -EPERM (Xen's XSM_TARGET check), none: -ESRCH. Other HVMOPs:
// -ENOSYS.
#include "core/xen_host.hpp"

namespace runhv {
namespace {

using xen::Errno;
using xen::error;
using xen::HvmParam;

long allowed(xen::HvmOp op, u32 index) {
  switch (static_cast<HvmParam>(index)) {
    case HvmParam::callback_irq:
    case HvmParam::store_pfn:
    case HvmParam::store_evtchn:
    case HvmParam::console_pfn:
    case HvmParam::console_evtchn:
      return op == xen::HvmOp::get_param ? 0 : error(Errno::eperm);
    case HvmParam::monitor_ring_pfn:
      return error(Errno::eperm);
  }
  return error(Errno::einval);
}

}  // namespace

long hvm_op_call(const GuestCall& c, XenHost& h, u64 cmd, u64 arg) {
  const auto op = static_cast<xen::HvmOp>(cmd);
  if (op != xen::HvmOp::get_param && op != xen::HvmOp::set_param) {
    guest_logf(c.budget, "d%uv%u: hvm_op %llu not implemented", c.dom, c.vcpu, static_cast<unsigned long long>(cmd));
    return error(Errno::enosys);
  }
  xen::xen_hvm_param p{};
  if (copy_from_guest(c.space, c.ctx, &p, Va(arg), sizeof p) != 0) {
    return bad_argument_pointer(c, "hvm_op", arg);
  }
  if (p.domid != static_cast<u16>(xen::DomId::self) && p.domid != c.dom) {
    return h.domain_exists(p.domid) ? error(Errno::eperm) : error(Errno::esrch);
  }
  if (const long rc = allowed(op, p.index); rc != 0) {
    guest_logf(c.budget, "d%uv%u: hvm_op(%s_param %u) refused", c.dom, c.vcpu,
               op == xen::HvmOp::get_param ? "get" : "set", p.index);
    return rc;
  }
  p.value = 0;  // no xenstore, no PV console
  return copy_to_guest(c.space, c.ctx, Va(arg), &p, sizeof p) != 0 ? bad_argument_pointer(c, "hvm_op", arg) : 0;
}

}  // namespace runhv
