// PV time (ARM DEN 0057A): the stolen-time calls and the per-vCPU record
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

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
