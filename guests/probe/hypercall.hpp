// Xen hypercalls (HVC #0xEA1, number in x16) and SMCCC/PSCI calls (HVC #0 or SMC #0)
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe::xen {

inline constexpr u64 kMemoryOp = 12;
inline constexpr u64 kXenVersion = 17;
inline constexpr u64 kConsoleIo = 18;
inline constexpr u64 kVmAssist = 21;
inline constexpr u64 kVcpuOp = 24;
inline constexpr u64 kSchedOp = 29;
inline constexpr u64 kConsoleIoWrite = 0;
inline constexpr u64 kSchedOpYield = 0;
inline constexpr u64 kSchedOpShutdown = 2;
inline constexpr u32 kShutdownPoweroff = 0;
inline constexpr u64 kXenVerVersion = 0;
inline constexpr u64 kXenVerGetFeatures = 6;
inline constexpr u64 kVcpuOpRegisterRunstateMemoryArea = 5;
inline constexpr u64 kVcpuOpRegisterVcpuInfo = 10;
inline constexpr u64 kXenMemAddToPhysmap = 7;
inline constexpr u32 kMapSpaceSharedInfo = 0;
inline constexpr u32 kMapSpaceGrantTable = 1;
inline constexpr u16 kDomidSelf = 0x7FF0;

// Xen errno values (returned negated).
inline constexpr long kEnoent = 2;
inline constexpr long kEfault = 14;
inline constexpr long kEnxio = 6;
inline constexpr long kEbusy = 16;
inline constexpr long kEperm = 1;
inline constexpr long kEinval = 22;
inline constexpr long kEnosys = 38;

struct SchedShutdown {
  u32 reason;
};

struct RegisterVcpuInfo {
  u64 mfn;  // guest frame number
  u32 offset;
  u32 rsvd;
};

struct VcpuInfo {  // Arm: 48 bytes
  u8 evtchn_upcall_pending;
  u8 pad[7];
  u64 evtchn_pending_sel;
  u64 time[4];
};

struct AddToPhysmap {
  u16 domid;
  u16 size;
  u32 space;
  u64 idx;
  u64 gpfn;
};

struct FeatureInfo {
  u32 submap_idx;
  u32 submap;
};

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

inline constexpr u32 kPsciVersion = 0x84000000;
inline constexpr u32 kPsciCpuOff = 0x84000002;
inline constexpr u32 kPsciCpuOn64 = 0xC4000003;  // x1 target MPIDR, x2 entry PA, x3 context (x0)
inline constexpr u32 kPsciSystemOff = 0x84000008;

// SMCCC 1.1: x0..x3 arguments and results, x4..x17 preserved by the callee.
inline u64 hvc(u32 function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
  register u64 x0 asm("x0") = function;
  register u64 x1 asm("x1") = a1;
  register u64 x2 asm("x2") = a2;
  register u64 x3 asm("x3") = a3;
  asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  return x0;
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
