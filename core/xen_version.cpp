// xen_version: what runhv says it is
// SPDX-License-Identifier: MIT
#include "core/xen_version.hpp"

namespace runhv {
namespace {

using xen::Errno;
using xen::error;

long get_features(const GuestCall& c, u64 arg) {
  xen::xen_feature_info fi{};
  if (copy_from_guest(c.space, c.ctx, &fi, Va(arg), sizeof fi) != 0) {
    return bad_argument_pointer(c, "xen_version(get_features)", arg);
  }
  if (fi.submap_idx != 0) {
    guest_logf(c.budget, "d%uv%u: xen_version(get_features): no submap %u", c.dom, c.vcpu, fi.submap_idx);
    return error(Errno::einval);
  }
  fi.submap = kXenFeatures;
  if (copy_to_guest(c.space, c.ctx, Va(arg), &fi, sizeof fi) != 0) {
    return bad_argument_pointer(c, "xen_version(get_features)", arg);
  }
  return 0;
}

}  // namespace

bool xen_version_plain(u64 cmd, long& result) {
  switch (static_cast<xen::XenVer>(static_cast<u32>(cmd))) {  // (an int in Xen's do_xen_version)
    case xen::XenVer::version:
      result = kXenVersion;
      return true;
    case xen::XenVer::pagesize:
      result = static_cast<long>(kPageSize);
      return true;
    default:
      return false;
  }
}

long xen_version_op(const GuestCall& c, u64 cmd, u64 arg) {
  if (long plain = 0; xen_version_plain(cmd, plain)) {
    return plain;
  }
  switch (static_cast<xen::XenVer>(static_cast<u32>(cmd))) {
    case xen::XenVer::extraversion:
      if (copy_to_guest(c.space, c.ctx, Va(arg), kXenExtraVersion, sizeof kXenExtraVersion) != 0) {
        return bad_argument_pointer(c, "xen_version(extraversion)", arg);
      }
      return 0;
    case xen::XenVer::get_features:
      return get_features(c, arg);
    default:
      guest_logf(c.budget, "d%uv%u: xen_version: unknown command %llu", c.dom, c.vcpu,
                 static_cast<unsigned long long>(cmd));
      return error(Errno::enosys);
  }
}

}  // namespace runhv
