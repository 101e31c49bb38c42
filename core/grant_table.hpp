// Xen's grant table, version 1, as runhv offers it: the frames' bookkeeping and the answers of
// the GNTTABOP sub-ops that need no other domain
// SPDX-License-Identifier: MIT
//
// As Xen (xen/common/grant_table.c) with max_grant_version 1 and no grant mapping yet:
//   - query_size, set_version and get_version take count 1 (else -EINVAL); every other sub-op is
//     -ENOSYS (runhv maps and copies no grants between domains); a command with bits above
//     GNTTABOP_CMD_MASK (a continuation's, cache_flush only) is -EINVAL.
//   - query_size of the caller: nr_frames (grows as the guest maps higher frames) and
//     max_nr_frames, GNTST_okay; of another domain GNTST_permission_denied, of none
//     GNTST_bad_domain (the hypercall itself returns 0).
//   - set_version: 1 is 0; 2 is -ENOSYS ("behave as before set_version was introduced"); any
//     other -EINVAL; the version written back is always 1.
//   - get_version: 1 for the caller; another domain -EPERM, none -ESRCH.
//   - add_to_physmap(XENMAPSPACE_grant_table, idx): a frame below kFrames; the status bit
//     (version 2's status frames) or a higher idx is no frame (the caller answers -EINVAL). A
//     frame is mapped at one place; when something else is mapped over it, it is mapped nowhere
//     (as Xen's p2m_put_l3_page forgets a xenheap page's gfn).
#pragma once

#include "abi/xen.hpp"
#include "core/types.hpp"

namespace runhv {

struct GrantTable {
  static constexpr u32 kFrames = 32;  // max_nr_frames
  u32 frames_used = 1;                // nr_frames
  u64 frame_place[kFrames] = {};      // gpfn + 1 where the guest mapped each frame; 0: nowhere
};

// Who a sub-op's `dom` names, seen from the caller.
enum class GrantTarget : u8 { self, other, none };

// XENMAPSPACE_grant_table's idx names a frame.
[[nodiscard]] constexpr bool grant_frame_valid(u64 idx) {
  return (idx & xen::kMapIdxGrantTableStatus) == 0 && idx < GrantTable::kFrames;
}

// Where frame `idx` (valid) is mapped: true and its gpfn, or false.
bool grant_frame_at(const GrantTable& t, u64 idx, u64& gpfn);
// Frame `idx` (valid) is now mapped at `gpfn` (nr_frames grows to cover it), or nowhere.
void grant_frame_place(GrantTable& t, u64 idx, u64 gpfn);
void grant_frame_unplace(GrantTable& t, u64 idx);
// The frame mapped at `gpfn`, or kFrames if none is.
[[nodiscard]] u32 grant_frame_mapped_at(const GrantTable& t, u64 gpfn);

// Before the argument is read: -ENOSYS for a sub-op runhv does not have, -EINVAL for count != 1
// or continuation bits, else 0.
long grant_op_admit(u32 cmd, u64 count);

void grant_query_size(const GrantTable& t, GrantTarget target, xen::gnttab_query_size& q);
long grant_set_version(xen::gnttab_set_version& s);
long grant_get_version(GrantTarget target, xen::gnttab_get_version& g);

}  // namespace runhv
