// The calling vCPU as the portable hypercall handlers' host: scheduling, console, stage 2
// SPDX-License-Identifier: MIT
#include "hyp/xen/host.hpp"

#include "hyp/frame_table.hpp"
#include "hyp/xen/handlers.hpp"

namespace runhv::hyp {

long VcpuHost::vcpu_op(const u64* a) { return hypercall::vcpu_op(v_, a); }

bool VcpuHost::domain_exists(u16 domid) { return find_domain(domid) != nullptr; }

void VcpuHost::sched_shutdown(const char* reason) {
  arch::set_hypercall_result(v_.arch, 0);  // should the domain ever be resumed
  domain_shutdown(v_, reason);
}

void VcpuHost::console_write(const char* bytes, usize n) { v_.domain->console.write(bytes, n); }
void VcpuHost::console_continue(u64 count, u64 buffer) {
  arch::gpr(v_.arch, 1) = count;
  arch::gpr(v_.arch, 2) = buffer;
}

// The hypervisor page behind `page` replaces the domain's page at `ipa`; that RAM page is given
// up (it stays allocated while pinned).
bool VcpuHost::physmap_map(Ipa ipa, PhysmapPage page) {
  Domain& d = *v_.domain;
  const u8* host = page.kind == PhysmapPage::shared_info ? d.shared_info : d.grant_frames[page.frame];
  Pa old{};
  if (!d.s2.replace_page(ipa, Pa(reinterpret_cast<u64>(host)), old)) {
    return false;
  }
  if (old.raw() != 0) {
    if (Frame* f = frame_table().frame(old); f != nullptr && f->owner() == d.space.id) {
      f->release();
    }
  }
  return true;
}

void VcpuHost::physmap_unmap(Ipa ipa) {
  Pa gone{};
  (void)v_.domain->s2.unmap_page(ipa, gone);
}

}  // namespace runhv::hyp
