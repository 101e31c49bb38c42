// The grant table's sub-ops and frame bookkeeping against Xen's answers (xen/common/grant_table.c
// with max_grant_version 1): out-of-range frames, bad counts, other domains, versions
// SPDX-License-Identifier: MIT
#include "core/grant_table.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace runhv {
namespace {

using xen::Errno;
using xen::error;
using xen::GnttabOp;

constexpr u32 op(GnttabOp o) { return static_cast<u32>(o); }

TEST(GrantTable, OnlyTheSubOpsRunhvHasWithCountOne) {
  for (GnttabOp o : {GnttabOp::query_size, GnttabOp::set_version, GnttabOp::get_version}) {
    EXPECT_EQ(grant_op_admit(op(o), 1), 0);
    EXPECT_EQ(grant_op_admit(op(o), 0), error(Errno::einval));
    EXPECT_EQ(grant_op_admit(op(o), 2), error(Errno::einval));
    EXPECT_EQ(grant_op_admit(op(o), 0xFFFF'FFFF), error(Errno::einval));
  }
  // map_grant_ref (0), unmap (1), setup_table (2), transfer (4), copy (5), ...: no grant mapping.
  for (u32 cmd : {0U, 1U, op(GnttabOp::setup_table), 4U, 5U, 7U, 9U, 11U, 12U, 13U, 0x7FU}) {
    EXPECT_EQ(grant_op_admit(cmd, 1), error(Errno::enosys)) << cmd;
  }
  // Continuation bits (above GNTTABOP_CMD_MASK) belong to cache_flush only.
  EXPECT_EQ(grant_op_admit(op(GnttabOp::query_size) | (1U << 7), 1), error(Errno::einval));
  EXPECT_EQ(grant_op_admit(0xFFFF'FFFF, 1), error(Errno::einval));
  EXPECT_EQ(grant_op_admit(12U | (5U << 7), 1), error(Errno::enosys));
}

TEST(GrantTable, QuerySizeOfSelfOtherAndNone) {
  GrantTable t;
  xen::gnttab_query_size q{};
  grant_query_size(t, GrantTarget::self, q);
  EXPECT_EQ(q.status, 0);
  EXPECT_EQ(q.nr_frames, 1U);
  EXPECT_EQ(q.max_nr_frames, GrantTable::kFrames);
  xen::gnttab_query_size other{};
  other.nr_frames = 0x5555;
  grant_query_size(t, GrantTarget::other, other);
  EXPECT_EQ(other.status, -8);  // GNTST_permission_denied
  EXPECT_EQ(other.nr_frames, 0x5555U);
  xen::gnttab_query_size none{};
  grant_query_size(t, GrantTarget::none, none);
  EXPECT_EQ(none.status, -2);  // GNTST_bad_domain
}

TEST(GrantTable, SetVersionAsXenWithVersionOneOnly) {
  xen::gnttab_set_version s{1};
  EXPECT_EQ(grant_set_version(s), 0);
  EXPECT_EQ(s.version, 1U);
  s.version = 2;  // "behave as before set_version was introduced"
  EXPECT_EQ(grant_set_version(s), error(Errno::enosys));
  EXPECT_EQ(s.version, 1U);
  for (u32 v : {0U, 3U, 0xFFFF'FFFFU}) {
    s.version = v;
    EXPECT_EQ(grant_set_version(s), error(Errno::einval)) << v;
    EXPECT_EQ(s.version, 1U);
  }
}

TEST(GrantTable, GetVersion) {
  xen::gnttab_get_version g{};
  EXPECT_EQ(grant_get_version(GrantTarget::self, g), 0);
  EXPECT_EQ(g.version, 1U);
  xen::gnttab_get_version o{};
  o.version = 7;
  EXPECT_EQ(grant_get_version(GrantTarget::other, o), error(Errno::eperm));
  EXPECT_EQ(grant_get_version(GrantTarget::none, o), error(Errno::esrch));
  EXPECT_EQ(o.version, 7U);
}

TEST(GrantTable, FramesOutOfRangeAreNoFrameAndChangeNothing) {
  EXPECT_TRUE(grant_frame_valid(0));
  EXPECT_TRUE(grant_frame_valid(GrantTable::kFrames - 1));
  GrantTable t;
  const GrantTable before = t;
  for (u64 idx : {u64{GrantTable::kFrames}, u64{GrantTable::kFrames} + 1, xen::kMapIdxGrantTableStatus,
                  xen::kMapIdxGrantTableStatus | 1, u64{0xFFFF'FFFF}, ~u64{0}}) {
    EXPECT_FALSE(grant_frame_valid(idx)) << idx;
    EXPECT_EQ(std::memcmp(&t, &before, sizeof t), 0) << idx;
  }
}

TEST(GrantTable, FramesMoveAndCount) {
  GrantTable t;
  u64 at = 0;
  EXPECT_FALSE(grant_frame_at(t, 0, at));
  grant_frame_place(t, 0, 0);  // gpfn 0 is a place like any other
  EXPECT_TRUE(grant_frame_at(t, 0, at));
  EXPECT_EQ(at, 0U);
  EXPECT_EQ(grant_frame_mapped_at(t, 0), 0U);
  EXPECT_EQ(t.frames_used, 1U);
  grant_frame_place(t, 3, 0x38003);
  EXPECT_EQ(t.frames_used, 4U);  // nr_frames covers the highest mapped frame
  EXPECT_EQ(grant_frame_mapped_at(t, 0x38003), 3U);
  grant_frame_unplace(t, 3);
  EXPECT_FALSE(grant_frame_at(t, 3, at));
  EXPECT_EQ(grant_frame_mapped_at(t, 0x38003), GrantTable::kFrames);
  EXPECT_EQ(t.frames_used, 4U);  // (Xen's nr_frames does not shrink)
  xen::gnttab_query_size q{};
  grant_query_size(t, GrantTarget::self, q);
  EXPECT_EQ(q.nr_frames, 4U);
}

}  // namespace
}  // namespace runhv
