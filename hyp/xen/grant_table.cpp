// grant_table_op: the version-1 grant table a domain sets up (query_size, set_version,
// get_version); its frames are mapped into the guest by memory_op's add_to_physmap
// SPDX-License-Identifier: MIT
//
// Each domain has Domain::kGrantFrames shared frames (hypervisor memory, zeroed at creation), the
// max_nr_frames GNTTABOP_query_size reports. The answers, as Xen's, are core/grant_table's; this
// file copies the arguments and logs refusals through the domain's budget.
#include "hyp/xen/grant_table.hpp"

#include "hyp/xen/handlers.hpp"

namespace runhv::hyp {

namespace hypercall {
namespace {

GrantTarget target(const Vcpu& v, u16 dom) {
  if (dom == static_cast<u16>(xen::DomId::self) || dom == v.domain->number) {
    return GrantTarget::self;
  }
  return find_domain(dom) != nullptr ? GrantTarget::other : GrantTarget::none;
}

long query_size(Vcpu& v, u64 arg) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  xen::gnttab_query_size q{};
  if (copy_from_guest(v.domain->space, ctx, &q, Va(arg), sizeof q) != 0) {
    return bad_pointer(v, "grant_table_op(query_size)", arg);
  }
  grant_query_size(v.domain->grant, target(v, q.dom), q);
  return copy_to_guest(v.domain->space, ctx, Va(arg), &q, sizeof q) != 0
             ? bad_pointer(v, "grant_table_op(query_size)", arg)
             : 0;
}

long set_version(Vcpu& v, u64 arg) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  xen::gnttab_set_version s{};
  if (copy_from_guest(v.domain->space, ctx, &s, Va(arg), sizeof s) != 0) {
    return bad_pointer(v, "grant_table_op(set_version)", arg);
  }
  const u32 asked = s.version;
  const long rc = grant_set_version(s);
  if (rc != 0) {
    guest_logf(budget(v), "d%uv%u: grant_table_op(set_version %u) refused: version 1 only", dom(v), v.id, asked);
  }
  return copy_to_guest(v.domain->space, ctx, Va(arg), &s, sizeof s) != 0
             ? bad_pointer(v, "grant_table_op(set_version)", arg)
             : rc;
}

long get_version(Vcpu& v, u64 arg) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  xen::gnttab_get_version g{};
  if (copy_from_guest(v.domain->space, ctx, &g, Va(arg), sizeof g) != 0) {
    return bad_pointer(v, "grant_table_op(get_version)", arg);
  }
  if (const long rc = grant_get_version(target(v, g.dom), g); rc != 0) {
    return rc;
  }
  return copy_to_guest(v.domain->space, ctx, Va(arg), &g, sizeof g) != 0
             ? bad_pointer(v, "grant_table_op(get_version)", arg)
             : 0;
}

}  // namespace

long grant_table_op(Vcpu& v, Args a) {
  const auto cmd = static_cast<u32>(a[0]);
  const u64 count = static_cast<u32>(a[2]);  // unsigned int count
  if (const long rc = grant_op_admit(cmd, count); rc != 0) {
    guest_logf(budget(v), "d%uv%u: grant_table_op %lu (count %lu) refused", dom(v), v.id, a[0], count);
    return rc;
  }
  switch (static_cast<xen::GnttabOp>(cmd)) {
    case xen::GnttabOp::query_size:
      return query_size(v, a[1]);
    case xen::GnttabOp::set_version:
      return set_version(v, a[1]);
    default:
      return get_version(v, a[1]);
  }
}

}  // namespace hypercall

Pa grant_frame(const Domain& d, u64 idx) {
  return grant_frame_valid(idx) ? Pa(reinterpret_cast<u64>(d.grant_frames[idx])) : Pa{0};
}

Ipa grant_frame_moved(Domain& d, u64 idx, u64 gpfn) {
  return Ipa(runhv::grant_frame_moved(d.grant, idx, gpfn) << kPageShift);
}

}  // namespace runhv::hyp
