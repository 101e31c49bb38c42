// Xen hypercalls (HVC #0xEA1): number in x16, arguments in x0..x4, result in x0
// SPDX-License-Identifier: MIT
//
// Served: xen_version (version, extraversion, get_features, pagesize), console_io (write),
// sched_op (yield, block, shutdown), vcpu_op (up, down, is_up, get_runstate_info,
// register_runstate_memory_area, register_runstate_phys_area, register_vcpu_info), vm_assist
// (runstate_update_flag), memory_op (add_to_physmap of shared_info). Anything else returns -ENOSYS with a log line; a
// bad argument gets the error code Xen gives for it. Pointer arguments are guest virtual addresses, copied through the
// caller's stage 1 and stage 2 by core/guest_copy (only RAM the domain owns). Not handled yet: a
// guest running with its data cache off writes around the hypervisor's cacheable view of its
// RAM; QEMU has no caches, real hardware would need the source lines invalidated first.
#include "arch/aarch64/sysreg.hpp"
#include "core/log.hpp"
#include "core/xen_abi.hpp"
#include "hyp/domain.hpp"
#include "hyp/memory_op.hpp"
#include "hyp/scheduling.hpp"
#include "hyp/vcpu_info.hpp"

namespace runhv::hyp {
namespace {

using xen::Errno;
using xen::error;
using xen::Hypercall;

// The Xen release runhv presents itself as: 4.19.
constexpr long kXenVersion = (4 << 16) | 19;
constexpr char kExtraVersion[16] = ".0-runhv";

// XENVER_get_features submap 0, what an Arm domU of Xen sees plus nothing else:
// writable_page_tables, auto_translated_physmap, memory_op_vnode_supported, ARM_SMCCC_supported,
// not_direct_mapped, runstate_phys_area.
constexpr u32 kFeatures = (1U << xen::feat::writable_page_tables) | (1U << xen::feat::auto_translated_physmap) |
                          (1U << xen::feat::memory_op_vnode_supported) | (1U << xen::feat::arm_smccc_supported) |
                          (1U << xen::feat::not_direct_mapped) | (1U << xen::feat::runstate_phys_area);

unsigned dom(const Vcpu& v) { return v.domain->number; }

long bad_pointer(const Vcpu& v, const char* what, u64 va) {
  guest_logf(v.domain->runstate.log_budget, "d%uv%u: %s: bad argument pointer 0x%lx", dom(v), v.id, what, va);
  return error(Errno::efault);
}

long xen_version(Vcpu& v, u64 cmd, u64 arg) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  switch (static_cast<xen::XenVer>(cmd)) {
    case xen::XenVer::version:
      return kXenVersion;
    case xen::XenVer::extraversion:
      if (copy_to_guest(v.domain->space, ctx, Va(arg), kExtraVersion, sizeof kExtraVersion) != 0) {
        return bad_pointer(v, "xen_version(extraversion)", arg);
      }
      return 0;
    case xen::XenVer::get_features: {
      xen::xen_feature_info fi{};
      if (copy_from_guest(v.domain->space, ctx, &fi, Va(arg), sizeof fi) != 0) {
        return bad_pointer(v, "xen_version(get_features)", arg);
      }
      if (fi.submap_idx != 0) {
        guest_logf(v.domain->runstate.log_budget, "d%uv%u: xen_version(get_features): no submap %u", dom(v), v.id,
                   fi.submap_idx);
        return error(Errno::einval);
      }
      fi.submap = kFeatures;
      if (copy_to_guest(v.domain->space, ctx, Va(arg), &fi, sizeof fi) != 0) {
        return bad_pointer(v, "xen_version(get_features)", arg);
      }
      return 0;
    }
    case xen::XenVer::pagesize:
      return static_cast<long>(kPageSize);
    default:
      guest_logf(v.domain->runstate.log_budget, "d%uv%u: xen_version: unknown command %lu", dom(v), v.id, cmd);
      return error(Errno::enosys);
  }
}

long console_write(Vcpu& v, u64 count, u64 buffer) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  const u64 n = static_cast<u32>(count);  // Xen: unsigned int count
  char chunk[128];
  for (u64 done = 0; done < n;) {
    const usize len = n - done < sizeof chunk ? static_cast<usize>(n - done) : sizeof chunk;
    if (copy_from_guest(v.domain->space, ctx, chunk, Va{buffer + done}, len) != 0) {
      return bad_pointer(v, "console_io(write)", buffer + done);
    }
    v.domain->console.write(chunk, len);
    done += len;
  }
  return 0;
}

long console_io(Vcpu& v, u64 cmd, u64 count, u64 buffer) {
  switch (static_cast<xen::ConsoleIo>(cmd)) {
    case xen::ConsoleIo::write:
      return console_write(v, count, buffer);
    case xen::ConsoleIo::read:
      return 0;  // no input: zero bytes read
  }
  guest_logf(v.domain->runstate.log_budget, "d%uv%u: console_io: unknown command %lu", dom(v), v.id, cmd);
  return error(Errno::enosys);
}

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

long sched_op(Vcpu& v, u64 cmd, u64 arg) {
  switch (static_cast<xen::SchedOp>(cmd)) {
    case xen::SchedOp::yield:
      vcpu_yield(v);
      return 0;
    case xen::SchedOp::block:
      vcpu_block(v);
      return 0;
    case xen::SchedOp::shutdown: {
      xen::sched_shutdown s{};
      if (copy_from_guest(v.domain->space, guest_stage1(v), &s, Va(arg), sizeof s) != 0) {
        return bad_pointer(v, "sched_op(shutdown)", arg);
      }
      v.regs.x[0] = 0;  // should the domain ever be resumed
      domain_shutdown(v, shutdown_reason(s.reason));
    }
    default:
      guest_logf(v.domain->runstate.log_budget, "d%uv%u: sched_op: unsupported command %lu", dom(v), v.id, cmd);
      return error(Errno::enosys);
  }
}

// The hardware's answer for a write at EL1 to `va` in the live EL1 context (the caller is loaded)
// and the loaded stage 2: AT S12E1W. PAR_EL1 belongs to the guest and is put back.
u64 hardware_par(u64 va) {
  const u64 saved = arch::sysreg::read_par_el1();
  asm volatile("at s12e1w, %0\n isb" ::"r"(va) : "memory");
  const u64 par = arch::sysreg::read_par_el1();
  arch::sysreg::write_par_el1(saved);
  return par;
}

// VA registration translates in software (core walker); the hardware walks the same tables. A
// disagreement (success vs fault, another page, another fault status) is a bug in one of them.
void cross_check_translation(Vcpu& v, u64 arg) {
  xen::vcpu_register_runstate_memory_area a{};
  const mmu::Stage1Regs ctx = guest_stage1(v);
  if (copy_from_guest(v.domain->space, ctx, &a, Va(arg), sizeof a) != 0 || a.addr == 0) {
    return;
  }
  const u64 pages[2] = {a.addr, a.addr + sizeof(xen::vcpu_runstate_info) - 1};
  for (u64 va : pages) {
    mmu::Walker walker(*v.domain->space.mem, v.domain->space.s2);
    const u64 soft = mmu::par_el1(walker.translate(ctx, Va(va), {mmu::AccessType::write, mmu::El::el1}));
    const u64 hard = hardware_par(va);
    const bool hard_fault = (hard & 1) != 0;
    const bool agree = hard_fault ? (soft & 1) != 0 && bits(hard, 6, 1) == bits(soft, 6, 1)
                                  : (soft & 1) == 0 && bits(hard, 47, 12) == bits(soft, 47, 12);
    if (!agree) {
      guest_logf(v.domain->runstate.log_budget,
                 "d%uv%u: BUG: walks disagree for va 0x%lx: AT S12E1W PAR 0x%lx, software 0x%lx", dom(v), v.id, va,
                 hard, soft);
    }
  }
}

long vcpu_op(Vcpu& v, u64 cmd, u64 vcpuid, u64 arg) {
  Domain& d = *v.domain;
  const auto op = static_cast<xen::VcpuOp>(cmd);
  if (op == xen::VcpuOp::register_runstate_memory_area) {
    cross_check_translation(v, arg);
  }
  if (op == xen::VcpuOp::get_runstate_info || op == xen::VcpuOp::register_runstate_memory_area ||
      op == xen::VcpuOp::register_runstate_phys_area) {
    VcpuRunstate* all[kMaxVcpusPerDomain];
    for (u32 i = 0; i < d.nr_vcpus; ++i) {
      all[i] = &d.vcpus[i].runstate;
    }
    const RunstateVcpus rv{&d.runstate, all, d.nr_vcpus};
    return runstate_vcpu_op(rv, v.id, guest_stage1(v), static_cast<u32>(cmd), static_cast<u32>(vcpuid), Va(arg),
                            now_ns());
  }
  if (vcpuid >= d.nr_vcpus) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: vcpu_op %lu for vcpu %lu: no such vcpu", dom(v), v.id, cmd,
               vcpuid);
    return error(Errno::enoent);
  }
  const auto target = static_cast<u32>(vcpuid);
  switch (op) {
    case xen::VcpuOp::up:
      return vcpu_up(v, target, kKeepPc, 0);
    case xen::VcpuOp::down:
      return vcpu_down(v, target);
    case xen::VcpuOp::is_up:
      return vcpu_is_up(d, target) ? 1 : 0;
    case xen::VcpuOp::register_vcpu_info: {
      xen::vcpu_register_vcpu_info info{};
      if (copy_from_guest(d.space, guest_stage1(v), &info, Va(arg), sizeof info) != 0) {
        return bad_pointer(v, "vcpu_op(register_vcpu_info)", arg);
      }
      return register_vcpu_info(d.vcpus[target], info);
    }
    default:
      guest_logf(v.domain->runstate.log_budget, "d%uv%u: vcpu_op: unsupported command %lu", dom(v), v.id, cmd);
      return error(Errno::enosys);
  }
}

}  // namespace

void xen_hypercall(Vcpu& v) {
  u64* x = v.regs.x;
  long result = 0;
  switch (static_cast<Hypercall>(x[16])) {
    case Hypercall::xen_version:
      result = xen_version(v, x[0], x[1]);
      break;
    case Hypercall::console_io:
      result = console_io(v, x[0], x[1], x[2]);
      break;
    case Hypercall::sched_op:
      result = sched_op(v, x[0], x[1]);
      break;
    case Hypercall::vcpu_op:
      result = vcpu_op(v, x[0], x[1], x[2]);
      break;
    case Hypercall::memory_op:
      result = memory_op(v, x[0], x[1]);
      break;
    case Hypercall::vm_assist:
      result = runstate_vm_assist(v.domain->runstate, static_cast<u32>(x[0]), static_cast<u32>(x[1]));
      if (result != 0) {
        guest_logf(v.domain->runstate.log_budget, "d%uv%u: vm_assist(%lu, %lu) refused", dom(v), v.id, x[0], x[1]);
      }
      break;
    default:
      guest_logf(v.domain->runstate.log_budget, "d%uv%u: unknown hypercall %lu", dom(v), v.id, x[16]);
      result = error(Errno::enosys);
      break;
  }
  x[0] = static_cast<u64>(result);  // the exit path counts calls and errors
}

}  // namespace runhv::hyp
