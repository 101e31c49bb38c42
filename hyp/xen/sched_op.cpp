// sched_op: yield, block, shutdown
// SPDX-License-Identifier: MIT
#include "hyp/scheduling.hpp"
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {
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

long sched_op(Vcpu& v, Args a) {
  switch (static_cast<xen::SchedOp>(a[0])) {
    case xen::SchedOp::yield:
      vcpu_yield(v);
      return 0;
    case xen::SchedOp::block:
      vcpu_block(v);
      return 0;
    case xen::SchedOp::shutdown: {
      xen::sched_shutdown s{};
      if (copy_from_guest(v.domain->space, guest_stage1(v), &s, Va(a[1]), sizeof s) != 0) {
        return bad_pointer(v, "sched_op(shutdown)", a[1]);
      }
      arch::set_hypercall_result(v.arch, 0);  // should the domain ever be resumed
      domain_shutdown(v, shutdown_reason(s.reason));
    }
    default:
      guest_logf(budget(v), "d%uv%u: sched_op: unsupported command %lu", dom(v), v.id, a[0]);
      return xen::error(xen::Errno::enosys);
  }
}

}  // namespace runhv::hyp::hypercall
