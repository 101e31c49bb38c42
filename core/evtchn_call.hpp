// event_channel_op(cmd, arg) as a guest calls it: the argument in and out of guest memory
// SPDX-License-Identifier: MIT
#pragma once

#include "core/evtchn.hpp"
#include "core/guest_call.hpp"

namespace runhv {

inline constexpr usize kEvtchnArgBytes = 64;  // larger than every EVTCHNOP_* argument

// -ENOSYS (and nothing read) for a command evtchn_op_info() does not know; else the argument is
// copied from `arg` in the caller's context, `run(buffer)` carries the operation out (the
// hypervisor: evtchn_op under its event-channel lock) and, when it succeeds and the command has
// OUT fields, the argument is copied back. -EFAULT when either copy fails.
template <class Run>
long evtchn_guest_op(const GuestCall& c, u32 cmd, Va arg, Run run) {
  const EvtchnOpInfo info = evtchn_op_info(cmd);
  alignas(8) u8 buffer[kEvtchnArgBytes];
  if (info.size == 0 || info.size > sizeof buffer) {
    guest_logf(c.budget, "d%uv%u: event_channel_op: unsupported command %u", c.dom, c.vcpu, cmd);
    return xen::error(xen::Errno::enosys);
  }
  if (copy_from_guest(c.space, c.ctx, buffer, arg, info.size) != 0) {
    return bad_argument_pointer(c, "event_channel_op", arg.raw());
  }
  const long rc = run(static_cast<void*>(buffer));
  if (rc == 0 && info.copy_back && copy_to_guest(c.space, c.ctx, arg, buffer, info.size) != 0) {
    return bad_argument_pointer(c, "event_channel_op", arg.raw());
  }
  return rc;
}

}  // namespace runhv
