// Arm SMCCC, PSCI and PV-time (ARM DEN 0057A) function identifiers and structures
// SPDX-License-Identifier: MIT
//
// SMCCC: ARM DEN 0028; PSCI: ARM DEN 0022; PV time: ARM DEN 0057A. Guests reach these with
// HVC #0 (the Xen ABI uses HVC #0xEA1), so one hypervisor serves both by the HVC immediate.
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

// Function-ID fields (DEN 0028 section 2.5).
constexpr bool is_fast_call(u32 fid) { return (fid >> 31) != 0; }
constexpr bool is_smc64(u32 fid) { return ((fid >> 30) & 1) != 0; }
constexpr u32 owner(u32 fid) { return (fid >> 24) & 0x3F; }
inline constexpr u32 kOwnerArch = 0;
inline constexpr u32 kOwnerStandard = 4;     // PSCI lives here
inline constexpr u32 kOwnerStandardHyp = 5;  // PV time lives here
inline constexpr u32 kOwnerVendorHyp = 6;

}  // namespace runhv::smccc

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

namespace runhv::pvtime {

// ARM DEN 0057A: "standard hypervisor service" calls, SMC64 fast calls.
enum class Fn : u32 {
  features = 0xC5000020,  // x1 = function queried: SUCCESS (0) or NOT_SUPPORTED (-1)
  st = 0xC5000021,        // returns the IPA of the caller's stolen-time record, or -1
};

// One record per vCPU: 64 bytes, 64-byte aligned, little endian; the guest only reads it.
struct StolenTime {
  u32 revision;     // 0
  u32 attributes;   // 0
  u64 stolen_time;  // ns the vCPU wanted to run but did not (runnable + offline here)
  u8 pad[48];
};
static_assert(sizeof(StolenTime) == 64);
static_assert(offsetof(StolenTime, stolen_time) == 8);
inline constexpr u64 kRecordSize = 64;

}  // namespace runhv::pvtime
