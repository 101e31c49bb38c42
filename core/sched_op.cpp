// sched_op: yield, block, shutdown (core/hypercall_table.hpp serves yield and block without a GuestCall)
// SPDX-License-Identifier: MIT
#include "core/xen_host.hpp"

namespace runhv {
namespace {

const char* shutdown_reason(u32 reason) {
  switch (static_cast<xen::ShutdownReason>(reason)) {
    case xen::ShutdownReason::poweroff:
      return "poweroff";
    case xen::ShutdownReason::reboot:
      return "reboot";
    case xen::ShutdownReason::suspend:
      return "suspend";
    case xen::ShutdownReason::crash:
      return "crash";
    case xen::ShutdownReason::watchdog:
      return "watchdog";
    case xen::ShutdownReason::soft_reset:
      return "soft_reset";
  }
  return "unknown reason";
}

}  // namespace

long sched_op_call(const GuestCall& c, XenHost& h, u64 cmd, u64 arg) {
  switch (static_cast<xen::SchedOp>(cmd)) {
    case xen::SchedOp::yield:
      h.sched_yield();
      return 0;
    case xen::SchedOp::block:
      h.sched_block();
      return 0;
    case xen::SchedOp::shutdown: {
      xen::sched_shutdown s{};
      if (copy_from_guest(c.space, c.ctx, &s, Va(arg), sizeof s) != 0) {
        return bad_argument_pointer(c, "sched_op(shutdown)", arg);
      }
      h.sched_shutdown(shutdown_reason(s.reason));
      return 0;
    }
    default:
      guest_logf(c.budget, "d%uv%u: sched_op: unsupported command %llu", c.dom, c.vcpu,
                 static_cast<unsigned long long>(cmd));
      return xen::error(xen::Errno::enosys);
  }
}

}  // namespace runhv
