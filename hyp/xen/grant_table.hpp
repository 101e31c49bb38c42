// The grant table's frames, for memory_op's add_to_physmap(XENMAPSPACE_grant_table)
// SPDX-License-Identifier: MIT
#pragma once

#include "hyp/domain.hpp"

namespace runhv::hyp {

// The hypervisor address of d's grant frame `idx`, or Pa{0} if there is no such frame.
[[nodiscard]] Pa grant_frame(const Domain& d, u64 idx);
// Frame `idx` is now mapped at `gpfn`: returns the IPA it was mapped at before (a frame is mapped
// at one place only: the caller unmaps it there), or 0.
Ipa grant_frame_moved(Domain& d, u64 idx, u64 gpfn);

}  // namespace runhv::hyp
