// memory_op: XENMEM_add_to_physmap of the shared_info page
// SPDX-License-Identifier: MIT
//
// XENMAPSPACE_shared_info (idx 0): the domain's shared_info page (Domain::shared_info, zeroed at
// creation) replaces whatever the domain had at `gpfn` in stage 2 — a RAM page the guest gives
// up, as Xen does. Other map spaces: -EINVAL; another domain: -EPERM; other commands: -ENOSYS.
#include "hyp/frame_table.hpp"
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp::hypercall {
namespace {

using xen::Errno;
using xen::error;

using mmu::stage2::kIpaLimit;

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
  if (static_cast<xen::MapSpace>(xatp.space) != xen::MapSpace::shared_info || xatp.idx != 0) {
    guest_logf(budget(v), "d%uv%u: add_to_physmap: space %u idx %lu not supported", n, v.id, xatp.space, xatp.idx);
    return error(Errno::einval);
  }
  const Ipa ipa(xatp.gpfn << kPageShift);
  if (xatp.gpfn >= (kIpaLimit >> kPageShift)) {
    guest_logf(budget(v), "d%uv%u: add_to_physmap: gpfn 0x%lx out of range", n, v.id, xatp.gpfn);
    return error(Errno::einval);
  }
  Pa old{};
  if (!d.s2.replace_page(ipa, Pa(reinterpret_cast<u64>(d.shared_info)), old)) {
    guest_logf(budget(v), "d%uv%u: add_to_physmap: no stage-2 table left for gpfn 0x%lx", n, v.id, xatp.gpfn);
    return error(Errno::enomem);
  }
  if (old.raw() != 0) {
    // The RAM page that was there is the domain's no more (it stays allocated while pinned).
    if (Frame* f = frame_table().frame(old); f != nullptr && f->owner() == d.space.id) {
      f->release();
    }
  }
  guest_logf(budget(v), "d%uv%u: shared_info mapped at gpfn 0x%lx", n, v.id, xatp.gpfn);
  return 0;
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
