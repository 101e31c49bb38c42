// The Xen and PSCI calls the smoke guest makes: HVC #0xEA1 (number in x16) and HVC #0
// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include "abi/psci.hpp"
#include "abi/xen.hpp"

namespace smoke {

// Xen hypercall: x16 = number, x0..x2 = arguments, x0 = result; x1, x2 and x16 may change.
inline long xen_hypercall(uint64_t number, uint64_t a0, uint64_t a1 = 0, uint64_t a2 = 0) {
  register uint64_t x0 asm("x0") = a0;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x16 asm("x16") = number;
  asm volatile("hvc #0xEA1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x16) : : "memory");
  return static_cast<long>(x0);
}

// SMCCC call over HVC #0 (function ID in w0, result in x0; x1..x17 may change).
inline uint64_t smccc_hvc(uint32_t function) {
  register uint64_t x0 asm("x0") = function;
  asm volatile("hvc #0"
               : "+r"(x0)
               :
               : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
                 "x17", "memory");
  return x0;
}

// The numbers are abi/'s.
inline constexpr uint64_t kXenVersion = static_cast<uint64_t>(runhv::xen::Hypercall::xen_version);
inline constexpr uint64_t kConsoleIo = static_cast<uint64_t>(runhv::xen::Hypercall::console_io);
inline constexpr uint64_t kXenVerVersion = static_cast<uint64_t>(runhv::xen::XenVer::version);
inline constexpr uint64_t kConsoleIoWrite = static_cast<uint64_t>(runhv::xen::ConsoleIo::write);
inline constexpr uint32_t kPsciVersion = static_cast<uint32_t>(runhv::psci::Fn::version);
inline constexpr uint32_t kPsciSystemOff = static_cast<uint32_t>(runhv::psci::Fn::system_off);

}  // namespace smoke
