// PSCI (ARM DEN 0022): function IDs, return codes, AFFINITY_INFO states
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv::psci {

enum class Fn : u32 {
  version = 0x84000000,
  cpu_suspend = 0x84000001,
  cpu_suspend64 = 0xC4000001,
  cpu_off = 0x84000002,
  cpu_on = 0x84000003,
  cpu_on64 = 0xC4000003,
  affinity_info = 0x84000004,
  affinity_info64 = 0xC4000004,
  migrate_info_type = 0x84000006,
  system_off = 0x84000008,
  system_reset = 0x84000009,
  features = 0x8400000A,
  system_suspend = 0x8400000E,
  system_suspend64 = 0xC400000E,
  system_reset2 = 0x84000012,
  system_reset2_64 = 0xC4000012,
};
inline constexpr u32 kVersion1_1 = 0x10001;

// PSCI return codes.
inline constexpr i64 kSuccess = 0;
inline constexpr i64 kNotSupported = -1;
inline constexpr i64 kInvalidParameters = -2;
inline constexpr i64 kDenied = -3;
inline constexpr i64 kAlreadyOn = -4;
inline constexpr i64 kOnPending = -5;
inline constexpr i64 kInternalFailure = -6;
inline constexpr i64 kNotPresent = -7;
inline constexpr i64 kDisabled = -8;
inline constexpr i64 kInvalidAddress = -9;

// AFFINITY_INFO results.
inline constexpr i64 kAffinityOn = 0;
inline constexpr i64 kAffinityOff = 1;
inline constexpr i64 kAffinityOnPending = 2;

}  // namespace runhv::psci
