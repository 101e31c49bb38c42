// Runstate hypercalls: VCPUOP_{get_runstate_info, register_runstate_memory_area,
// register_runstate_phys_area} and VMASST_TYPE_runstate_update_flag, decoded and carried out
// SPDX-License-Identifier: MIT
#pragma once

#include "core/runstate_area.hpp"

namespace runhv {

// Everything the core keeps per vCPU for its runstate.
struct VcpuRunstate {
  RunstateAccount account;
  RunstateArea area;
  mmu::Stage1Regs el1{};  // the vCPU's EL1 translation registers as last saved by the world switch
  // The lock `account` changes under: its home pCPU's scheduler lock (set by Scheduler::add), or
  // null while nothing changes it concurrently (tests). Readers of the account from another
  // pCPU take it.
  SpinLock* books = nullptr;

  // VCPUOP_get_runstate_info's view at `now`, read under `books`.
  [[nodiscard]] vcpu_runstate_info snapshot(u64 now) const;
  // The record as the last area update wrote it, read under `books`.
  [[nodiscard]] vcpu_runstate_info record() const;
  // The registrations, atomic with respect to every change of the account (see RunstateArea).
  long register_va(const mmu::Stage1Regs& caller, Va va) { return area.register_va(caller, va, account, books); }
  long register_phys(Ipa ipa) { return area.register_phys(ipa, account, books); }

  // The context-switch step: account the change at `now`, then bring the guest's area up to date.
  void change(RunstateState next, u64 now) {
    account.change(next, now);
    area.update(account.info(), el1);
  }
};

// One domain's vCPUs as the runstate hypercalls see them.
// (`vcpus[i]` is vCPU i's runstate; the vCPUs themselves live wherever their owner keeps them.)
struct RunstateVcpus {
  RunstateDomain* dom = nullptr;
  VcpuRunstate* const* vcpus = nullptr;
  u32 count = 0;
};

// Told the area VA of every VCPUOP_register_runstate_memory_area before it is carried out (the
// hypervisor cross-checks the software walk against the hardware's).
class VaRegistrationCheck {
 public:
  virtual void check(Va area) = 0;

 protected:
  ~VaRegistrationCheck() = default;
};

// vcpu_op(cmd, vcpuid, arg) for the runstate sub-ops, called by vCPU `caller` whose EL1 context
// is `caller_ctx` (live registers: the caller is running). Argument pointers are guest VAs,
// copied once. Returns the hypercall result; -ENOSYS for a sub-op this function does not serve.
long runstate_vcpu_op(const RunstateVcpus& d, u32 caller, const mmu::Stage1Regs& caller_ctx, u32 cmd, u32 vcpuid,
                      Va arg, u64 now, VaRegistrationCheck* va_check = nullptr);

// vm_assist(cmd, type): only VMASST_TYPE_runstate_update_flag exists on Arm.
long runstate_vm_assist(RunstateDomain& dom, u32 cmd, u32 type);

}  // namespace runhv
