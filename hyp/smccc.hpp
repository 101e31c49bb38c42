// SMCCC calls from guests (HVC #0): boot-time set-up
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv::hyp {

// Decides, once every pCPU is up, what the SMCCC workaround queries answer (core/spectre.hpp over
// the identification registers of pCPUs 0..pcpus-1) and logs it in one line. Before it, guests
// would be told NOT_SUPPORTED for all three.
void smccc_init(u32 pcpus);

}  // namespace runhv::hyp
