// xen_version: what runhv says it is (Xen 4.19), its feature bits and page size
// SPDX-License-Identifier: MIT
#pragma once

#include "core/guest_call.hpp"

namespace runhv {

// The Xen release runhv presents itself as: 4.19.
inline constexpr long kXenVersion = (4 << 16) | 19;
inline constexpr char kXenExtraVersion[16] = ".0-runhv";
// XENVER_get_features submap 0, what an Arm domU of Xen sees plus nothing else:
// writable_page_tables, auto_translated_physmap, memory_op_vnode_supported, ARM_SMCCC_supported,
// not_direct_mapped, runstate_phys_area.
inline constexpr u32 kXenFeatures =
    (1U << xen::feat::writable_page_tables) | (1U << xen::feat::auto_translated_physmap) |
    (1U << xen::feat::memory_op_vnode_supported) | (1U << xen::feat::arm_smccc_supported) |
    (1U << xen::feat::not_direct_mapped) | (1U << xen::feat::runstate_phys_area);

// xen_version(cmd, arg): XENVER_version, _extraversion (16 bytes to `arg`), _get_features
// (xen_feature_info at `arg`, submap 0 only: -EINVAL otherwise), _pagesize; -ENOSYS for any other
// command, -EFAULT for an argument pointer that does not lead to the caller's RAM.
long xen_version_op(const GuestCall& c, u64 cmd, u64 arg);
// The commands that read no guest memory (XENVER_version, _pagesize): true and their result.
bool xen_version_plain(u64 cmd, long& result);

}  // namespace runhv
