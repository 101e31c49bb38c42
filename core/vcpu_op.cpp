// Runstate hypercalls, decoded and carried out
// SPDX-License-Identifier: MIT
#include "core/vcpu_op.hpp"

#include "core/log.hpp"

namespace runhv {

vcpu_runstate_info VcpuRunstate::snapshot(u64 now) const {
  if (books == nullptr) {
    return account.snapshot(now);
  }
  const Locked held(*books);
  return account.snapshot(now);
}

vcpu_runstate_info VcpuRunstate::record() const {
  if (books == nullptr) {
    return account.info();
  }
  const Locked held(*books);
  return account.info();
}

using xen::Errno;
using xen::error;
using xen::VcpuOp;

long runstate_vcpu_op(const RunstateVcpus& d, u32 caller, const mmu::Stage1Regs& caller_ctx, u32 cmd, u32 vcpuid,
                      Va arg, u64 now, VaRegistrationCheck* va_check) {
  const auto op = static_cast<VcpuOp>(cmd);
  if (op != VcpuOp::get_runstate_info && op != VcpuOp::register_runstate_memory_area &&
      op != VcpuOp::register_runstate_phys_area) {
    return error(Errno::enosys);
  }
  const DomainSpace& space = d.dom->space;
  if (vcpuid >= d.count) {
    guest_logf(d.dom->log_budget, "d%uv%u: vcpu_op %u for vcpu %u: no such vcpu", static_cast<unsigned>(space.id),
               caller, cmd, vcpuid);
    return error(Errno::enoent);
  }
  VcpuRunstate& target = *d.vcpus[vcpuid];

  if (op == VcpuOp::get_runstate_info) {
    // Field by field into zeroed bytes: the padding after `state` is copied out too, and a copy
    // of a struct may leave it holding whatever the hypervisor's stack held there.
    const vcpu_runstate_info now_info = target.snapshot(now);
    vcpu_runstate_info snap;
    __builtin_memset(&snap, 0, sizeof snap);
    snap.state = now_info.state;
    snap.state_entry_time = now_info.state_entry_time;
    for (int i = 0; i < 4; ++i) {
      snap.time[i] = now_info.time[i];
    }
    if (copy_to_guest(space, caller_ctx, arg, &snap, sizeof snap) != 0) {
      guest_logf(d.dom->log_budget, "d%uv%u: vcpu_op %u: bad argument pointer 0x%llx", static_cast<unsigned>(space.id),
                 caller, cmd, static_cast<unsigned long long>(arg.raw()));
      return error(Errno::efault);
    }
    return 0;
  }

  xen::vcpu_register_runstate_memory_area a{};
  if (copy_from_guest(space, caller_ctx, &a, arg, sizeof a) != 0) {
    guest_logf(d.dom->log_budget, "d%uv%u: vcpu_op %u: bad argument pointer 0x%llx", static_cast<unsigned>(space.id),
               caller, cmd, static_cast<unsigned long long>(arg.raw()));
    return error(Errno::efault);
  }
  if (op == VcpuOp::register_runstate_memory_area) {
    if (va_check != nullptr && a.addr != 0) {
      va_check->check(Va(a.addr));
    }
    // Translated in the caller's context, also when registering for another vCPU (Xen does so).
    return target.register_va(caller_ctx, Va(a.addr));
  }
  return target.register_phys(Ipa(a.addr));
}

long runstate_vm_assist(RunstateDomain& dom, u32 cmd, u32 type) {
  if (type != xen::kVmAssistRunstateUpdateFlag) {
    return error(Errno::einval);
  }
  switch (static_cast<xen::VmAssistCmd>(cmd)) {
    case xen::VmAssistCmd::enable:
      dom.update_flag = true;
      return 0;
    case xen::VmAssistCmd::disable:
      dom.update_flag = false;
      return 0;
  }
  return error(Errno::enosys);
}

}  // namespace runhv
