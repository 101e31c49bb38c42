// Arm SMCCC (ARM DEN 0028): function-ID encoding, the architecture calls and their return codes
// SPDX-License-Identifier: MIT
//
// Guests reach SMCCC services with HVC #0 (the Xen ABI uses HVC #0xEA1), so one hypervisor serves
// both by the HVC immediate.
#pragma once

#include "core/types.hpp"

namespace runhv::smccc {

enum class Fn : u32 {
  version = 0x80000000,
  arch_features = 0x80000001,
  arch_soc_id = 0x80000002,
  arch_workaround_1 = 0x80008000,
  arch_workaround_2 = 0x80007FFF,
  arch_workaround_3 = 0x80003FFF,
};
inline constexpr u32 kVersion1_1 = 0x10001;
inline constexpr u32 kVersion1_2 = 0x10002;

// SMCCC return codes (64-bit registers hold the sign-extended value).
inline constexpr i64 kSuccess = 0;
inline constexpr i64 kNotSupported = -1;
inline constexpr i64 kNotRequired = -2;
inline constexpr i64 kInvalidParameter = -3;
// SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1/2/3): the workaround is not required on this PE (DEN 0028;
// Linux's SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED). For WORKAROUND_2, kNotRequired says it is not
// required on any PE.
inline constexpr i64 kWorkaroundUnaffected = 1;

// Function-ID fields (DEN 0028 section 2.5).
constexpr bool is_fast_call(u32 fid) { return (fid >> 31) != 0; }
constexpr bool is_smc64(u32 fid) { return ((fid >> 30) & 1) != 0; }
constexpr u32 owner(u32 fid) { return (fid >> 24) & 0x3F; }
inline constexpr u32 kOwnerArch = 0;
inline constexpr u32 kOwnerStandard = 4;     // PSCI lives here
inline constexpr u32 kOwnerStandardHyp = 5;  // PV time lives here
inline constexpr u32 kOwnerVendorHyp = 6;

}  // namespace runhv::smccc
