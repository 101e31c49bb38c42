// The machine's fixed limits: each defined once, here
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv {

// Physical CPUs the hypervisor drives (per-pCPU stacks, run queues, one bit each in a PcpuMask).
inline constexpr u32 kMaxPcpus = 16;
// Domains d1..d64; a domain's number is also its VMID. Each takes its Domain (stage-2 tables,
// vGIC) and its RAM from boot RAM, so only what a scenario asks for is used.
inline constexpr u16 kMaxDomains = 64;
// vCPUs of one domain.
inline constexpr u32 kMaxVcpusPerDomain = 8;

}  // namespace runhv
