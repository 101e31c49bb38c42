// memory_op: XENMEM_add_to_physmap of the shared_info page
// SPDX-License-Identifier: MIT
//
// XENMAPSPACE_shared_info (idx 0): the domain's shared_info page (Domain::shared_info, zeroed at
// creation) replaces whatever the domain had at `gpfn` in stage 2 — a RAM page the guest gives
// up, as Xen does; once only: mapping it again is -EBUSY (Xen 4.17 on, xenmem_add_to_physmap_one:
// the caller must unmap it first, and runhv has no XENMEM_remove_from_physmap), so a guest cannot
// alias it over many windows. XENMAPSPACE_grant_table (idx below Domain::kGrantFrames, no status bit): grant
// frame idx goes to `gpfn`, and away from where it was (the stage-2 tables that leaves empty go back
// to the domain's pool: moving a frame about for ever never runs out of them). Other map spaces and indices: -EINVAL;
// another domain: -EPERM; other commands: -ENOSYS.
#include "hyp/frame_table.hpp"
#include "hyp/xen/grant_table.hpp"
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {
namespace {

using xen::Errno;
using xen::error;

using mmu::stage2::kIpaLimit;

// Puts hypervisor page `page` at `ipa` of d's stage 2; the domain's RAM page that was there is
// given up (it stays allocated while pinned).
long map_page(Vcpu& v, Ipa ipa, Pa page) {
  Domain& d = *v.domain;
  Pa old{};
  if (!d.s2.replace_page(ipa, page, old)) {
    guest_logf(budget(v), "d%uv%u: add_to_physmap: no stage-2 table left for gpfn 0x%lx", dom(v), v.id,
               ipa.page_number());
    return error(Errno::enomem);
  }
  if (old.raw() != 0) {
    if (Frame* f = frame_table().frame(old); f != nullptr && f->owner() == d.space.id) {
      f->release();
    }
  }
  return 0;
}

long add_to_physmap_locked(Vcpu& v, const xen::xen_add_to_physmap& xatp);

long add_to_physmap(Vcpu& v, u64 arg) {
  Domain& d = *v.domain;
  const unsigned n = d.number;
  xen::xen_add_to_physmap xatp{};
  if (copy_from_guest(d.space, guest_stage1(v), &xatp, Va(arg), sizeof xatp) != 0) {
    return bad_pointer(v, "add_to_physmap", arg);
  }
  if (xatp.domid != static_cast<u16>(xen::DomId::self) && xatp.domid != n) {
    guest_logf(budget(v), "d%uv%u: add_to_physmap for d%u refused", n, v.id, static_cast<unsigned>(xatp.domid));
    return error(Errno::eperm);
  }
  if (xatp.gpfn >= (kIpaLimit >> kPageShift)) {
    guest_logf(budget(v), "d%uv%u: add_to_physmap: gpfn 0x%lx out of range", n, v.id, xatp.gpfn);
    return error(Errno::einval);
  }
  // One change of the domain's physical map at a time (sibling vCPUs on other pCPUs).
  const Locked held(d.p2m_lock);
  return add_to_physmap_locked(v, xatp);
}

long add_to_physmap_locked(Vcpu& v, const xen::xen_add_to_physmap& xatp) {
  Domain& d = *v.domain;
  const unsigned n = d.number;
  const Ipa ipa(xatp.gpfn << kPageShift);
  switch (static_cast<xen::MapSpace>(xatp.space)) {
    case xen::MapSpace::shared_info:
      if (xatp.idx != 0) {
        break;
      }
      if (d.shared_info_mapped) {
        guest_logf(budget(v), "d%uv%u: add_to_physmap: shared_info is mapped already", n, v.id);
        return error(Errno::ebusy);
      }
      if (const long rc = map_page(v, ipa, Pa(reinterpret_cast<u64>(d.shared_info))); rc != 0) {
        return rc;
      }
      d.shared_info_mapped = true;
      guest_logf(budget(v), "d%uv%u: shared_info mapped at gpfn 0x%lx", n, v.id, xatp.gpfn);
      return 0;
    case xen::MapSpace::grant_table: {
      const Pa frame = grant_frame(d, xatp.idx);
      if (frame.raw() == 0) {
        break;
      }
      // As Xen's gnttab_map_frame: away from where it was first (tables that leaves empty go
      // back to the pool, for the new place to take), then to `gpfn`.
      if (const Ipa before = grant_frame_moved(d, xatp.idx, xatp.gpfn); before.raw() != 0) {
        Pa gone{};
        (void)d.s2.unmap_page(before, gone);
      }
      if (const long rc = map_page(v, ipa, frame); rc != 0) {
        (void)grant_frame_moved(d, xatp.idx, 0);  // mapped nowhere now
        return rc;
      }
      return 0;
    }
    default:
      break;
  }
  guest_logf(budget(v), "d%uv%u: add_to_physmap: space %u idx %lu not supported", n, v.id, xatp.space, xatp.idx);
  return error(Errno::einval);
}

}  // namespace

long memory_op(Vcpu& v, Args a) {
  switch (static_cast<xen::MemoryOp>(a[0])) {
    case xen::MemoryOp::add_to_physmap:
      return add_to_physmap(v, a[1]);
    default:
      guest_logf(budget(v), "d%uv%u: memory_op: unsupported command %lu", dom(v), v.id, a[0]);
      return error(Errno::enosys);
  }
}

}  // namespace runhv::hyp::hypercall
