// The machine's fixed limits: each defined once, here
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv {

// Physical CPUs the hypervisor drives (per-pCPU stacks, run queues, one bit each in a PcpuMask).
inline constexpr u32 kMaxPcpus = 8;
// Domains d1..d8; a domain's number is also its VMID.
inline constexpr u16 kMaxDomains = 8;
// vCPUs of one domain.
inline constexpr u32 kMaxVcpusPerDomain = 8;

}  // namespace runhv
