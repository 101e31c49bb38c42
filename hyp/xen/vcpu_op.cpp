// vcpu_op: up, down, is_up, register_vcpu_info here; the runstate sub-ops in core/vcpu_op
// SPDX-License-Identifier: MIT
#include "hyp/scheduling.hpp"
#include "hyp/xen/handlers.hpp"
#include "hyp/xen/vcpu_info.hpp"

namespace runhv::hyp::hypercall {
namespace {

using xen::Errno;
using xen::error;

// VA registration translates in software (core walker); the hardware walks the same tables. A
// disagreement (success vs fault, another page, another fault status) is a bug in one of them.
class HardwareWalkCheck final : public VaRegistrationCheck {
 public:
  HardwareWalkCheck(Vcpu& v, const mmu::Stage1Regs& ctx) : v_(v), ctx_(ctx) {}

  void check(Va area) override {
    const u64 pages[2] = {area.raw(), area.raw() + sizeof(xen::vcpu_runstate_info) - 1};
    for (u64 va : pages) {
      mmu::Walker walker(*v_.domain->space.mem, v_.domain->space.s2);
      const u64 soft = mmu::par_el1(walker.translate(ctx_, Va(va), {mmu::AccessType::write, mmu::El::el1}));
      const u64 hard = arch::hardware_translate(va);
      const bool hard_fault = (hard & 1) != 0;
      const bool agree = hard_fault ? (soft & 1) != 0 && bits(hard, 6, 1) == bits(soft, 6, 1)
                                    : (soft & 1) == 0 && bits(hard, 47, 12) == bits(soft, 47, 12);
      if (!agree) {
        guest_logf(budget(v_), "d%uv%u: BUG: walks disagree for va 0x%lx: AT S12E1W PAR 0x%lx, software 0x%lx", dom(v_),
                   v_.id, va, hard, soft);
      }
    }
  }

 private:
  Vcpu& v_;
  const mmu::Stage1Regs& ctx_;
};

long runstate_op(Vcpu& v, u32 cmd, u32 vcpuid, u64 arg) {
  Domain& d = *v.domain;
  VcpuRunstate* all[kMaxVcpusPerDomain];
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    all[i] = &d.vcpus[i].runstate;
  }
  const RunstateVcpus rv{&d.runstate, all, d.nr_vcpus};
  const mmu::Stage1Regs ctx = guest_stage1(v);
  HardwareWalkCheck check(v, ctx);
  return runstate_vcpu_op(rv, v.id, ctx, cmd, vcpuid, Va(arg), arch::now_ns(), &check);
}

bool no_such_vcpu(const Vcpu& v, u64 cmd, u64 vcpuid) {
  if (vcpuid < v.domain->nr_vcpus) {
    return false;
  }
  guest_logf(budget(v), "d%uv%u: vcpu_op %lu for vcpu %lu: no such vcpu", dom(v), v.id, cmd, vcpuid);
  return true;
}

}  // namespace

long vcpu_op(Vcpu& v, const u64* a) {
  Domain& d = *v.domain;
  const u64 cmd = a[0];
  const u64 vcpuid = a[1];
  const auto target = static_cast<u32>(vcpuid);
  switch (static_cast<xen::VcpuOp>(cmd)) {
    case xen::VcpuOp::up:
      return no_such_vcpu(v, cmd, vcpuid) ? error(Errno::enoent) : vcpu_up(v, target, kKeepPc, 0);
    case xen::VcpuOp::down:
      return no_such_vcpu(v, cmd, vcpuid) ? error(Errno::enoent) : vcpu_down(v, target);
    case xen::VcpuOp::is_up:
      return no_such_vcpu(v, cmd, vcpuid) ? error(Errno::enoent) : vcpu_is_up(d, target) ? 1 : 0;
    case xen::VcpuOp::register_vcpu_info: {
      if (no_such_vcpu(v, cmd, vcpuid)) {
        return error(Errno::enoent);
      }
      xen::vcpu_register_vcpu_info info{};
      if (copy_from_guest(d.space, guest_stage1(v), &info, Va(a[2]), sizeof info) != 0) {
        return bad_pointer(v, "vcpu_op(register_vcpu_info)", a[2]);
      }
      return register_vcpu_info(d.vcpus[target], info);
    }
    default: {
      const long result = runstate_op(v, static_cast<u32>(cmd), static_cast<u32>(vcpuid), a[2]);
      if (result == error(Errno::enosys)) {
        guest_logf(budget(v), "d%uv%u: vcpu_op: unsupported command %lu", dom(v), v.id, cmd);
      }
      return result;
    }
  }
}

}  // namespace runhv::hyp::hypercall
