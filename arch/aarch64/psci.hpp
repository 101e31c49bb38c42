// PSCI (ARM DEN 0022) calls the hypervisor makes to firmware
// SPDX-License-Identifier: MIT
//
// The conduit follows the exception level: SMC at EL2 (the normal case), HVC if runhv was
// started at EL1 (QEMU without virtualization=on), so a misconfigured run can still power off.
#pragma once

#include "abi/psci.hpp"
#include "arch/aarch64/smccc_call.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "core/types.hpp"

namespace runhv::arch::psci {

using runhv::psci::Fn;

inline SmcccResult call(Fn function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
  const auto fid = static_cast<u32>(function);
  return sysreg::current_el() == 1 ? hvc_call(fid, a1, a2, a3) : smc_call(fid, a1, a2, a3);
}

inline u32 version() { return static_cast<u32>(call(Fn::version).x0); }

// Starts the CPU with affinity `mpidr` at physical address `entry`, with x0 = `context`.
inline i64 cpu_on(u64 mpidr, u64 entry, u64 context) {
  return static_cast<i64>(call(Fn::cpu_on64, mpidr, entry, context).x0);
}

// Powers the machine off; QEMU exits with status 0. If firmware refuses, the CPU sleeps forever.
[[noreturn]] inline void system_off() {
  call(Fn::system_off);
  for (;;) {
    asm volatile("wfi");
  }
}

}  // namespace runhv::arch::psci
