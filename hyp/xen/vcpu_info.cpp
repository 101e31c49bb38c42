// VCPUOP_register_vcpu_info: a vCPU's vcpu_info moved into a page of the guest's choosing
// SPDX-License-Identifier: MIT
#include "hyp/xen/vcpu_info.hpp"

#include <string.h>

#include "core/log.hpp"
#include "hyp/scheduling.hpp"
#include "hyp/xen/event_channel.hpp"

namespace runhv::hyp {
namespace {

using xen::Errno;
using xen::error;

}  // namespace

long register_vcpu_info(Vcpu& v, const xen::vcpu_register_vcpu_info& info) {
  const unsigned d = v.domain->number;
  if (info.offset >= kPageSize) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: register_vcpu_info: offset %u beyond the page", d, v.id,
               info.offset);
    return error(Errno::einval);
  }
  if (info.mfn >= (mmu::stage2::kIpaLimit >> kPageShift)) {
    // Beyond any IPA: shifted, it would wrap into the domain's own address space.
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: register_vcpu_info: gfn 0x%lx beyond the IPA space", d, v.id,
               info.mfn);
    return error(Errno::einval);
  }
  const Ipa ipa((info.mfn << kPageShift) + info.offset);
  if ((ipa.raw() & 7) != 0 || ipa.page_offset() + sizeof(xen::vcpu_info) > kPageSize) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: register_vcpu_info: 0x%lx misaligned or crossing a page", d,
               v.id, ipa.raw());
    return error(Errno::enxio);
  }
  auto busy = [&] {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: register_vcpu_info: already registered", d, v.id);
    return error(Errno::ebusy);
  };
  if (v.vcpu_info.taken()) {
    return busy();
  }
  GuestPage gp;
  const Resolve r = resolve_ipa(v.domain->space, ipa, mmu::AccessType::write, gp);
  if (r != Resolve::ok || !gp.frame->try_pin(v.domain->space.id)) {
    guest_logf(v.domain->runstate.log_budget, "d%uv%u: register_vcpu_info: 0x%lx is not writable RAM of the domain", d,
               v.id, ipa.raw());
    return r == Resolve::s2_read_only ? error(Errno::eacces) : error(Errno::einval);
  }
  auto* area = reinterpret_cast<xen::vcpu_info*>(gp.page + ipa.page_offset());
  if (!v.vcpu_info.claim(gp.frame, area)) {  // another pCPU registered it since the check
    (void)gp.frame->unpin();
    return busy();
  }
  memset(area, 0, sizeof *area);
  area->evtchn_pending_sel = ~u64{0};
  area->evtchn_upcall_pending = 1;
  evtchn_vcpu_info_moved(v, area);
  // As Xen does after moving vcpu_info: events are marked pending, so the upcall is raised.
  vcpu_raise_event(v);
  return 0;
}

void release_vcpu_info(Domain& d) {
  for (u32 i = 0; i < d.nr_vcpus; ++i) {
    Vcpu& v = d.vcpus[i];
    if (v.vcpu_info.taken()) {
      evtchn_vcpu_info_moved(v, nullptr);
      (void)v.vcpu_info.release();
    }
  }
}

}  // namespace runhv::hyp
