// grant_table_op: the version-1 grant table a domain sets up (query_size, set_version,
// get_version); its frames are mapped into the guest by memory_op's add_to_physmap
// SPDX-License-Identifier: MIT
//
// Each domain has Domain::kGrantFrames shared frames (hypervisor memory, zeroed at creation), the
// max_nr_frames GNTTABOP_query_size reports; nr_frames grows as the guest maps higher frames, as
// Xen's table grows. Only version 1 exists on Arm (set_version(2): -EINVAL, as Xen with
// max_grant_version 1). runhv has no grant mapping or copying between domains yet: the other
// sub-ops answer -ENOSYS.
#include "hyp/xen/grant_table.hpp"

#include "hyp/xen/handlers.hpp"

namespace runhv::hyp {

namespace hypercall {
namespace {

using xen::Errno;
using xen::error;

long query_size(Vcpu& v, u64 arg) {
  const mmu::Stage1Regs ctx = guest_stage1(v);
  xen::gnttab_query_size q{};
  if (copy_from_guest(v.domain->space, ctx, &q, Va(arg), sizeof q) != 0) {
    return bad_pointer(v, "grant_table_op(query_size)", arg);
  }
  const Domain& d = *v.domain;
  if (q.dom != static_cast<u16>(xen::DomId::self) && q.dom != d.number) {
    q.status = static_cast<i16>(find_domain(q.dom) != nullptr ? xen::GnttabStatus::permission_denied
                                                              : xen::GnttabStatus::bad_domain);
  } else {
    q.nr_frames = d.grant_frames_used;
    q.max_nr_frames = Domain::kGrantFrames;
    q.status = static_cast<i16>(xen::GnttabStatus::okay);
  }
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
  const long rc = s.version == 1 ? 0 : error(Errno::einval);
  if (rc != 0) {
    guest_logf(budget(v), "d%uv%u: grant_table_op(set_version %u) refused: version 1 only", dom(v), v.id, s.version);
  }
  s.version = 1;
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
  if (g.dom != static_cast<u16>(xen::DomId::self) && g.dom != v.domain->number) {
    return find_domain(g.dom) != nullptr ? error(Errno::eperm) : error(Errno::esrch);
  }
  g.version = 1;
  return copy_to_guest(v.domain->space, ctx, Va(arg), &g, sizeof g) != 0
             ? bad_pointer(v, "grant_table_op(get_version)", arg)
             : 0;
}

}  // namespace

long grant_table_op(Vcpu& v, Args a) {
  const auto op = static_cast<xen::GnttabOp>(a[0]);
  const u64 count = static_cast<u32>(a[2]);  // unsigned int count
  switch (op) {
    case xen::GnttabOp::query_size:
    case xen::GnttabOp::set_version:
    case xen::GnttabOp::get_version:
      if (count != 1) {
        guest_logf(budget(v), "d%uv%u: grant_table_op %lu with count %lu", dom(v), v.id, a[0], count);
        return error(Errno::einval);
      }
      return op == xen::GnttabOp::query_size    ? query_size(v, a[1])
             : op == xen::GnttabOp::set_version ? set_version(v, a[1])
                                                : get_version(v, a[1]);
    default:
      guest_logf(budget(v), "d%uv%u: grant_table_op: unsupported command %lu", dom(v), v.id, a[0]);
      return error(Errno::enosys);
  }
}

}  // namespace hypercall

Pa grant_frame(const Domain& d, u64 idx) {
  if ((idx & xen::kMapIdxGrantTableStatus) != 0 || idx >= Domain::kGrantFrames) {
    return Pa{0};  // status frames are version 2's; beyond the table
  }
  return Pa(reinterpret_cast<u64>(d.grant_frames[idx]));
}

Ipa grant_frame_moved(Domain& d, u64 idx, u64 gpfn) {
  const u64 before = d.grant_frame_gpfn[idx];
  d.grant_frame_gpfn[idx] = gpfn;
  if (idx + 1 > d.grant_frames_used) {
    d.grant_frames_used = static_cast<u32>(idx + 1);
  }
  return before != 0 && before != gpfn ? Ipa(before << kPageShift) : Ipa{0};
}

}  // namespace runhv::hyp
