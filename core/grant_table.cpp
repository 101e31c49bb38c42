// Xen's grant table, version 1: frame bookkeeping and the sub-ops that need no other domain
// SPDX-License-Identifier: MIT
#include "core/grant_table.hpp"

namespace runhv {

using xen::Errno;
using xen::error;

constexpr u32 kGnttabCmdMask = 0x7F;   // GNTTABOP_CMD_MASK
constexpr u32 kGnttabCacheFlush = 12;  // GNTTABOP_cache_flush (runhv has none: -ENOSYS)

bool grant_frame_at(const GrantTable& t, u64 idx, u64& gpfn) {
  if (t.frame_place[idx] == 0) {
    return false;
  }
  gpfn = t.frame_place[idx] - 1;
  return true;
}

void grant_frame_place(GrantTable& t, u64 idx, u64 gpfn) {
  t.frame_place[idx] = gpfn + 1;  // (gpfn is below the IPA limit: no wrap)
  if (idx + 1 > t.frames_used) {
    t.frames_used = static_cast<u32>(idx + 1);
  }
}

void grant_frame_unplace(GrantTable& t, u64 idx) { t.frame_place[idx] = 0; }

u32 grant_frame_mapped_at(const GrantTable& t, u64 gpfn) {
  u32 i = 0;
  while (i < GrantTable::kFrames && t.frame_place[i] != gpfn + 1) {
    ++i;
  }
  return i;
}

long grant_op_admit(u32 cmd, u64 count) {
  // Bits above GNTTABOP_CMD_MASK carry a continuation's progress, which only cache_flush has.
  const u32 op = cmd & kGnttabCmdMask;
  if (op != cmd && op != kGnttabCacheFlush) {
    return error(Errno::einval);
  }
  switch (static_cast<xen::GnttabOp>(cmd)) {
    case xen::GnttabOp::query_size:
    case xen::GnttabOp::set_version:
    case xen::GnttabOp::get_version:
      return count == 1 ? 0 : error(Errno::einval);
    default:
      return error(Errno::enosys);
  }
}

void grant_query_size(const GrantTable& t, GrantTarget target, xen::gnttab_query_size& q) {
  switch (target) {
    case GrantTarget::self:
      q.nr_frames = t.frames_used;
      q.max_nr_frames = GrantTable::kFrames;
      q.status = static_cast<i16>(xen::GnttabStatus::okay);
      return;
    case GrantTarget::other:
      q.status = static_cast<i16>(xen::GnttabStatus::permission_denied);
      return;
    case GrantTarget::none:
      q.status = static_cast<i16>(xen::GnttabStatus::bad_domain);
      return;
  }
}

long grant_set_version(xen::gnttab_set_version& s) {
  const u32 asked = s.version;
  s.version = 1;
  return asked == 1 ? 0 : asked == 2 ? error(Errno::enosys) : error(Errno::einval);
}

long grant_get_version(GrantTarget target, xen::gnttab_get_version& g) {
  if (target != GrantTarget::self) {
    return target == GrantTarget::other ? error(Errno::eperm) : error(Errno::esrch);
  }
  g.version = 1;
  return 0;
}

}  // namespace runhv
