// memory_op: XENMEM_add_to_physmap of the shared_info page
// SPDX-License-Identifier: MIT
#include "hyp/memory_op.hpp"

#include "core/log.hpp"
#include "hyp/frame_table.hpp"

namespace runhv::hyp {
namespace {

using xen::Errno;
using xen::error;

constexpr u32 kMaxDomainNumber = 16;
constexpr u64 kIpaLimit = u64{1} << 40;

// One shared_info page per domain, in the hypervisor image (owned by the hypervisor; the guest
// maps it, as Xen shares a xenheap page).
alignas(kPageSize) u8 g_shared_info[kMaxDomainNumber][kPageSize];

long add_to_physmap(Vcpu& v, u64 arg) {
  Domain& d = *v.domain;
  const unsigned n = d.number;
  xen::xen_add_to_physmap xatp{};
  if (copy_from_guest(d.space, guest_stage1(v), &xatp, Va(arg), sizeof xatp) != 0) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: add_to_physmap: bad argument pointer 0x%lx", n, v.id, arg);
    return error(Errno::efault);
  }
  if (xatp.domid != static_cast<u16>(xen::DomId::self) && xatp.domid != n) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: add_to_physmap for d%u refused", n, v.id,
               static_cast<unsigned>(xatp.domid));
    return error(Errno::eperm);
  }
  if (static_cast<xen::MapSpace>(xatp.space) != xen::MapSpace::shared_info || xatp.idx != 0) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: add_to_physmap: space %u idx %lu not supported", n, v.id,
               xatp.space, xatp.idx);
    return error(Errno::einval);
  }
  const Ipa ipa(xatp.gpfn << kPageShift);
  if (xatp.gpfn >= (kIpaLimit >> kPageShift) || n >= kMaxDomainNumber) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: add_to_physmap: gpfn 0x%lx out of range", n, v.id, xatp.gpfn);
    return error(Errno::einval);
  }
  Pa old{};
  if (!d.s2.replace_page(ipa, Pa(reinterpret_cast<u64>(g_shared_info[n])), old)) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: add_to_physmap: no stage-2 table left for gpfn 0x%lx", n, v.id,
               xatp.gpfn);
    return error(Errno::enomem);
  }
  if (old.raw() != 0) {
    // The RAM page that was there is the domain's no more (it stays allocated while pinned).
    if (Frame* f = frame_table().frame(old); f != nullptr && f->owner() == d.space.id) {
      f->release();
    }
  }
  guest_logf(v.domain->runstate.log_budget, "d%uv%u: shared_info mapped at gpfn 0x%lx", n, v.id, xatp.gpfn);
  return 0;
}

}  // namespace

long memory_op(Vcpu& v, u64 cmd, u64 arg) {
  switch (static_cast<xen::MemoryOp>(cmd)) {
    case xen::MemoryOp::add_to_physmap:
      return add_to_physmap(v, arg);
    default:
      guest_logf(v.domain->runstate.log_budget, "d%uv%u: memory_op: unsupported command %lu",
                 static_cast<unsigned>(v.domain->number), v.id, cmd);
      return error(Errno::enosys);
  }
}

xen::shared_info* shared_info_of(const Domain& d) {
  return d.number < kMaxDomainNumber ? reinterpret_cast<xen::shared_info*>(g_shared_info[d.number]) : nullptr;
}

}  // namespace runhv::hyp
