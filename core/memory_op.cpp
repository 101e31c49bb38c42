// memory_op: XENMEM_add_to_physmap of the shared_info page and the grant frames
// SPDX-License-Identifier: MIT
//
// XENMAPSPACE_shared_info (idx 0): the domain's shared_info page replaces whatever the domain had
// at `gpfn` in stage 2 (a RAM page the guest gives up, as Xen does); while it is mapped, mapping
// it again is -EBUSY (Xen 4.17 on, xenmem_add_to_physmap_one: the caller must unmap it first), so
// a guest cannot alias it over many windows; a grant frame mapped over it unmaps it.
// XENMAPSPACE_grant_table (a valid idx, core/grant_table.hpp): grant frame idx goes to `gpfn`,
// and away from where it was, as Xen's gnttab_map_frame. Other map spaces and indices: -EINVAL;
// a gpfn beyond the IPA space: -EINVAL; another domain: -EPERM; other commands: -ENOSYS.
#include "core/stage2_table.hpp"
#include "core/xen_host.hpp"

namespace runhv {
namespace {

using xen::Errno;
using xen::error;

long map_page(const GuestCall& c, XenHost& h, Ipa ipa, PhysmapPage page) {
  if (!h.physmap_map(ipa, page)) {
    guest_logf(c.budget, "d%uv%u: add_to_physmap: no stage-2 table left for gpfn 0x%llx", c.dom, c.vcpu,
               static_cast<unsigned long long>(ipa.page_number()));
    return error(Errno::enomem);
  }
  return 0;
}

// What was mapped at `gpfn` is not any more: shared_info or a grant frame there is mapped nowhere
// (so shared_info may be mapped again, and a frame's move does not unmap what replaced it).
void forget_place(XenHost& h, u64 gpfn) {
  if (h.shared_info_place() == gpfn + 1) {
    h.shared_info_place() = 0;
  }
  if (const u32 frame = grant_frame_mapped_at(h.grant(), gpfn); frame < GrantTable::kFrames) {
    grant_frame_unplace(h.grant(), frame);
  }
}

// Under the physmap lock.
long add_to_physmap_locked(const GuestCall& c, XenHost& h, const xen::xen_add_to_physmap& xatp) {
  const Ipa ipa(xatp.gpfn << kPageShift);
  switch (static_cast<xen::MapSpace>(xatp.space)) {
    case xen::MapSpace::shared_info:
      if (xatp.idx != 0) {
        break;
      }
      if (h.shared_info_place() != 0) {
        guest_logf(c.budget, "d%uv%u: add_to_physmap: shared_info is mapped already", c.dom, c.vcpu);
        return error(Errno::ebusy);
      }
      if (const long rc = map_page(c, h, ipa, PhysmapPage{PhysmapPage::shared_info}); rc != 0) {
        return rc;
      }
      forget_place(h, xatp.gpfn);
      h.shared_info_place() = xatp.gpfn + 1;
      guest_logf(c.budget, "d%uv%u: shared_info mapped at gpfn 0x%llx", c.dom, c.vcpu,
                 static_cast<unsigned long long>(xatp.gpfn));
      return 0;
    case xen::MapSpace::grant_table: {
      if (!grant_frame_valid(xatp.idx)) {
        break;
      }
      // Away from where it was first (the tables that leaves empty go back to the pool, for the
      // new place to take), then to `gpfn`.
      if (u64 before = 0; grant_frame_at(h.grant(), xatp.idx, before) && before != xatp.gpfn) {
        h.physmap_unmap(Ipa(before << kPageShift));
        grant_frame_unplace(h.grant(), xatp.idx);
      }
      if (const long rc = map_page(c, h, ipa, PhysmapPage{PhysmapPage::grant_frame, static_cast<u32>(xatp.idx)});
          rc != 0) {
        return rc;
      }
      forget_place(h, xatp.gpfn);
      grant_frame_place(h.grant(), xatp.idx, xatp.gpfn);
      return 0;
    }
    default:
      break;
  }
  guest_logf(c.budget, "d%uv%u: add_to_physmap: space %u idx %llu not supported", c.dom, c.vcpu, xatp.space,
             static_cast<unsigned long long>(xatp.idx));
  return error(Errno::einval);
}

long add_to_physmap(const GuestCall& c, XenHost& h, u64 arg) {
  xen::xen_add_to_physmap xatp{};
  if (copy_from_guest(c.space, c.ctx, &xatp, Va(arg), sizeof xatp) != 0) {
    return bad_argument_pointer(c, "add_to_physmap", arg);
  }
  // Xen looks the domain up first (-ESRCH), then refuses a domU another domain's map (-EPERM).
  if (xatp.domid != static_cast<u16>(xen::DomId::self) && xatp.domid != c.dom) {
    const bool exists = h.domain_exists(xatp.domid);
    guest_logf(c.budget, "d%uv%u: add_to_physmap for d%u refused", c.dom, c.vcpu, static_cast<unsigned>(xatp.domid));
    return error(exists ? Errno::eperm : Errno::esrch);
  }
  if (xatp.gpfn >= (mmu::stage2::kIpaLimit >> kPageShift)) {
    guest_logf(c.budget, "d%uv%u: add_to_physmap: gpfn 0x%llx out of range", c.dom, c.vcpu,
               static_cast<unsigned long long>(xatp.gpfn));
    return error(Errno::einval);
  }
  // One change of the domain's physical map at a time (sibling vCPUs on other pCPUs).
  h.physmap_lock();
  const long rc = add_to_physmap_locked(c, h, xatp);
  h.physmap_unlock();
  return rc;
}

}  // namespace

long memory_op_call(const GuestCall& c, XenHost& h, u64 cmd, u64 arg) {
  switch (static_cast<xen::MemoryOp>(cmd)) {
    case xen::MemoryOp::add_to_physmap:
      return add_to_physmap(c, h, arg);
    default:
      guest_logf(c.budget, "d%uv%u: memory_op: unsupported command %llu", c.dom, c.vcpu,
                 static_cast<unsigned long long>(cmd));
      return error(Errno::enosys);
  }
}

}  // namespace runhv
