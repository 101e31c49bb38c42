// grant_table_op: query_size, set_version, get_version of the caller's version-1 grant table
// SPDX-License-Identifier: MIT
//
// The answers, as Xen's, are core/grant_table's; this file copies the arguments in and out and
// logs refusals through the domain's budget.
#include "core/xen_host.hpp"

namespace runhv {
namespace {

GrantTarget target(const GuestCall& c, XenHost& h, u16 dom) {
  if (dom == static_cast<u16>(xen::DomId::self) || dom == c.dom) {
    return GrantTarget::self;
  }
  return h.domain_exists(dom) ? GrantTarget::other : GrantTarget::none;
}

long query_size(const GuestCall& c, XenHost& h, u64 arg) {
  xen::gnttab_query_size q{};
  if (copy_from_guest(c.space, c.ctx, &q, Va(arg), sizeof q) != 0) {
    return bad_argument_pointer(c, "grant_table_op(query_size)", arg);
  }
  grant_query_size(h.grant(), target(c, h, q.dom), q);
  return copy_to_guest(c.space, c.ctx, Va(arg), &q, sizeof q) != 0
             ? bad_argument_pointer(c, "grant_table_op(query_size)", arg)
             : 0;
}

long set_version(const GuestCall& c, u64 arg) {
  xen::gnttab_set_version s{};
  if (copy_from_guest(c.space, c.ctx, &s, Va(arg), sizeof s) != 0) {
    return bad_argument_pointer(c, "grant_table_op(set_version)", arg);
  }
  const u32 asked = s.version;
  const long rc = grant_set_version(s);
  if (rc != 0) {
    guest_logf(c.budget, "d%uv%u: grant_table_op(set_version %u) refused: version 1 only", c.dom, c.vcpu, asked);
  }
  return copy_to_guest(c.space, c.ctx, Va(arg), &s, sizeof s) != 0
             ? bad_argument_pointer(c, "grant_table_op(set_version)", arg)
             : rc;
}

long get_version(const GuestCall& c, XenHost& h, u64 arg) {
  xen::gnttab_get_version g{};
  if (copy_from_guest(c.space, c.ctx, &g, Va(arg), sizeof g) != 0) {
    return bad_argument_pointer(c, "grant_table_op(get_version)", arg);
  }
  if (const long rc = grant_get_version(target(c, h, g.dom), g); rc != 0) {
    return rc;
  }
  return copy_to_guest(c.space, c.ctx, Va(arg), &g, sizeof g) != 0
             ? bad_argument_pointer(c, "grant_table_op(get_version)", arg)
             : 0;
}

}  // namespace

long grant_table_op_call(const GuestCall& c, XenHost& h, u64 cmd64, u64 arg, u64 count64) {
  const auto cmd = static_cast<u32>(cmd64);
  const u64 count = static_cast<u32>(count64);  // unsigned int count
  if (const long rc = grant_op_admit(cmd, count); rc != 0) {
    guest_logf(c.budget, "d%uv%u: grant_table_op %llu (count %llu) refused", c.dom, c.vcpu,
               static_cast<unsigned long long>(cmd64), static_cast<unsigned long long>(count));
    return rc;
  }
  switch (static_cast<xen::GnttabOp>(cmd)) {
    case xen::GnttabOp::query_size:
      return query_size(c, h, arg);
    case xen::GnttabOp::set_version:
      return set_version(c, arg);
    default:
      return get_version(c, h, arg);
  }
}

}  // namespace runhv
