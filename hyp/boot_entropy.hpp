// The guests' boot seeds: the entropy the boot firmware left in runhv's device tree, a distinct
// /chosen/rng-seed drawn from it for each guest (core/guest_seed.hpp)
// SPDX-License-Identifier: MIT
#pragma once

#include "core/guest_seed.hpp"
#include "core/types.hpp"
#include "hyp/devicetree.hpp"

namespace runhv::hyp {

// Boot CPU, before the domains are built: absorbs /chosen/rng-seed and /chosen/kaslr-seed of
// `tree` (QEMU's virt board and U-Boot put them there), wipes them in place, and says in one
// line what the guests will get.
void boot_entropy_init(const dt::DeviceTree& tree);
// The next guest seed, for domain `domain`; false when the firmware gave runhv no entropy.
bool guest_rng_seed(u32 domain, u8 (&out)[kGuestRngSeedBytes]);

}  // namespace runhv::hyp
