// xen_version: version, extraversion, get_features, pagesize
// SPDX-License-Identifier: MIT
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {
namespace {

using xen::Errno;
using xen::error;

// The Xen release runhv presents itself as: 4.19.
constexpr long kXenVersion = (4 << 16) | 19;
constexpr char kExtraVersion[16] = ".0-runhv";

// XENVER_get_features submap 0, what an Arm domU of Xen sees plus nothing else:
// writable_page_tables, auto_translated_physmap, memory_op_vnode_supported, ARM_SMCCC_supported,
// not_direct_mapped, runstate_phys_area.
constexpr u32 kFeatures = (1U << xen::feat::writable_page_tables) | (1U << xen::feat::auto_translated_physmap) |
                          (1U << xen::feat::memory_op_vnode_supported) | (1U << xen::feat::arm_smccc_supported) |
                          (1U << xen::feat::not_direct_mapped) | (1U << xen::feat::runstate_phys_area);

long get_features(Vcpu& v, u64 arg) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  xen::xen_feature_info fi{};
  if (copy_from_guest(v.domain->space, ctx, &fi, Va(arg), sizeof fi) != 0) {
    return bad_pointer(v, "xen_version(get_features)", arg);
  }
  if (fi.submap_idx != 0) {
    guest_logf(budget(v), "d%uv%u: xen_version(get_features): no submap %u", dom(v), v.id, fi.submap_idx);
    return error(Errno::einval);
  }
  fi.submap = kFeatures;
  if (copy_to_guest(v.domain->space, ctx, Va(arg), &fi, sizeof fi) != 0) {
    return bad_pointer(v, "xen_version(get_features)", arg);
  }
  return 0;
}

}  // namespace

long xen_version(Vcpu& v, Args a) {
  switch (static_cast<xen::XenVer>(a[0])) {
    case xen::XenVer::version:
      return kXenVersion;
    case xen::XenVer::extraversion:
      if (copy_to_guest(v.domain->space, guest_stage1(v), Va(a[1]), kExtraVersion, sizeof kExtraVersion) != 0) {
        return bad_pointer(v, "xen_version(extraversion)", a[1]);
      }
      return 0;
    case xen::XenVer::get_features:
      return get_features(v, a[1]);
    case xen::XenVer::pagesize:
      return static_cast<long>(kPageSize);
    default:
      guest_logf(budget(v), "d%uv%u: xen_version: unknown command %lu", dom(v), v.id, a[0]);
      return error(Errno::enosys);
  }
}

}  // namespace runhv::hyp::hypercall
