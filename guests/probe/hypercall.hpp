// Xen hypercalls (HVC #0xEA1, number in x16) and SMCCC/PSCI calls (HVC #0 or SMC #0)
// SPDX-License-Identifier: MIT
#pragma once

#include "abi/psci.hpp"
#include "abi/smccc.hpp"
#include "abi/xen.hpp"
#include "guests/probe/sysreg.hpp"

namespace probe::xen {

// The Xen ABI is abi/xen.hpp's: these are its values under the probe's short names.
namespace abi = runhv::xen;
template <class E>
constexpr u64 v(E e) {
  return static_cast<u64>(e);
}
constexpr long err(abi::Errno e) { return static_cast<long>(e); }

inline constexpr u64 kMemoryOp = v(abi::Hypercall::memory_op);
inline constexpr u64 kXenVersion = v(abi::Hypercall::xen_version);
inline constexpr u64 kConsoleIo = v(abi::Hypercall::console_io);
inline constexpr u64 kVmAssist = v(abi::Hypercall::vm_assist);
inline constexpr u64 kVcpuOp = v(abi::Hypercall::vcpu_op);
inline constexpr u64 kSchedOp = v(abi::Hypercall::sched_op);
inline constexpr u64 kHvmOp = v(abi::Hypercall::hvm_op);
inline constexpr u64 kGrantTableOp = v(abi::Hypercall::grant_table_op);
inline constexpr u64 kEventChannelOp = v(abi::Hypercall::event_channel_op);
inline constexpr u64 kConsoleIoWrite = v(abi::ConsoleIo::write);
inline constexpr u64 kSchedOpYield = v(abi::SchedOp::yield);
inline constexpr u64 kSchedOpShutdown = v(abi::SchedOp::shutdown);
inline constexpr u32 kShutdownPoweroff = static_cast<u32>(abi::ShutdownReason::poweroff);
inline constexpr u64 kXenVerVersion = v(abi::XenVer::version);
inline constexpr u64 kXenVerGetFeatures = v(abi::XenVer::get_features);
inline constexpr u64 kVcpuOpRegisterRunstateMemoryArea = v(abi::VcpuOp::register_runstate_memory_area);
inline constexpr u64 kVcpuOpRegisterVcpuInfo = v(abi::VcpuOp::register_vcpu_info);
inline constexpr u64 kXenMemAddToPhysmap = v(abi::MemoryOp::add_to_physmap);
inline constexpr u32 kMapSpaceSharedInfo = static_cast<u32>(abi::MapSpace::shared_info);
inline constexpr u32 kMapSpaceGrantTable = static_cast<u32>(abi::MapSpace::grant_table);
inline constexpr u16 kDomidSelf = static_cast<u16>(abi::DomId::self);

// Xen errno values (returned negated).
inline constexpr long kEperm = err(abi::Errno::eperm);
inline constexpr long kEsrch = err(abi::Errno::esrch);
inline constexpr long kEnoent = err(abi::Errno::enoent);
inline constexpr long kEnxio = err(abi::Errno::enxio);
inline constexpr long kEacces = err(abi::Errno::eacces);
inline constexpr long kEfault = err(abi::Errno::efault);
inline constexpr long kEbusy = err(abi::Errno::ebusy);
inline constexpr long kEinval = err(abi::Errno::einval);
inline constexpr long kEnosys = err(abi::Errno::enosys);

using SchedShutdown = abi::sched_shutdown;
using RegisterVcpuInfo = abi::vcpu_register_vcpu_info;
using VcpuInfo = abi::vcpu_info;
using AddToPhysmap = abi::xen_add_to_physmap;
using FeatureInfo = abi::xen_feature_info;

// Pointer arguments are kernel VAs: the hypervisor translates them with the caller's stage 1.
inline long hypercall(u64 number, u64 a0, u64 a1 = 0, u64 a2 = 0) {
  register u64 x0 asm("x0") = a0;
  register u64 x1 asm("x1") = a1;
  register u64 x2 asm("x2") = a2;
  register u64 x16 asm("x16") = number;
  asm volatile("hvc #0xEA1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x16) : : "x3", "x4", "memory");
  return static_cast<long>(x0);
}

}  // namespace probe::xen

namespace probe::smccc {

using Psci = runhv::psci::Fn;
inline constexpr u32 kPsciVersion = static_cast<u32>(Psci::version);
inline constexpr u32 kPsciCpuOff = static_cast<u32>(Psci::cpu_off);
inline constexpr u32 kPsciCpuOn64 = static_cast<u32>(Psci::cpu_on64);  // x1 target MPIDR, x2 entry PA, x3 context
inline constexpr u32 kPsciSystemOff = static_cast<u32>(Psci::system_off);

// SMCCC 1.1: x0..x3 arguments and results, x4..x17 preserved by the callee.
inline u64 hvc(u32 function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
  register u64 x0 asm("x0") = function;
  register u64 x1 asm("x1") = a1;
  register u64 x2 asm("x2") = a2;
  register u64 x3 asm("x3") = a3;
  asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  return x0;
}
// The same call over SMC #imm (runhv traps SMC: it is the guest's firmware).
template <u32 kImm = 0>
inline u64 smc(u32 function) {
  register u64 x0 asm("x0") = function;
  register u64 x1 asm("x1") = 0;
  register u64 x2 asm("x2") = 0;
  register u64 x3 asm("x3") = 0;
  asm volatile("smc %4" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : "i"(kImm) : "memory");
  return x0;
}
// HVC #0 (or SMC #imm) with x1 = `a1` and x2..x17 holding distinct patterns; returns x0 and whether
// x1..x17 came back as they went in (SMCCC 1.1: x4..x17 preserved; runhv also leaves x1..x3 alone).
struct Preserved {
  u64 x0;
  bool kept;
};
// The conduit: 0 for HVC #0, 1 + imm for SMC #imm.
template <u32 kConduit>
inline Preserved call_checking_registers(u32 function, u64 a1) {
  constexpr u64 kPattern = 0x5A5A'0000'0000'0000ULL;
  u64 regs[18];
  regs[0] = function;
  regs[1] = a1;
  for (u64 i = 2; i < 18; ++i) {
    regs[i] = kPattern | i;
  }
  // x0..x17 from regs[], the call, then x0..x17 back into regs[] (the base is none of them).
#define PROBE_SMCCC_CALL(insn)                                                                                       \
  asm volatile(                                                                                                      \
      "ldp x0, x1, [%0, #0]\n ldp x2, x3, [%0, #16]\n ldp x4, x5, [%0, #32]\n ldp x6, x7, [%0, #48]\n"               \
      "ldp x8, x9, [%0, #64]\n ldp x10, x11, [%0, #80]\n ldp x12, x13, [%0, #96]\n ldp x14, x15, [%0, #112]\n"       \
      "ldp x16, x17, [%0, #128]\n" insn                                                                              \
      "\n stp x0, x1, [%0, #0]\n stp x2, x3, [%0, #16]\n stp x4, x5, [%0, #32]\n stp x6, x7, [%0, #48]\n"            \
      "stp x8, x9, [%0, #64]\n stp x10, x11, [%0, #80]\n stp x12, x13, [%0, #96]\n stp x14, x15, [%0, #112]\n"       \
      "stp x16, x17, [%0, #128]\n"                                                                                   \
      :                                                                                                              \
      : "r"(regs), "i"(kConduit - 1)                                                                                 \
      : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", \
        "x17", "memory")
  if constexpr (kConduit == 0) {
    PROBE_SMCCC_CALL("hvc #0");
  } else {
    PROBE_SMCCC_CALL("smc %1");
  }
#undef PROBE_SMCCC_CALL
  bool kept = regs[1] == a1;
  for (u64 i = 2; i < 18; ++i) {
    kept = kept && regs[i] == (kPattern | i);
  }
  return {regs[0], kept};
}
inline Preserved hvc_checking_registers(u32 function, u64 a1) { return call_checking_registers<0>(function, a1); }
// SMC #imm with the same check.
template <u32 kImm>
inline Preserved smc_checking_registers(u32 function, u64 a1) {
  return call_checking_registers<kImm + 1>(function, a1);
}

inline u64 smc(u32 function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
  register u64 x0 asm("x0") = function;
  register u64 x1 asm("x1") = a1;
  register u64 x2 asm("x2") = a2;
  register u64 x3 asm("x3") = a3;
  asm volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  return x0;
}

}  // namespace probe::smccc
