// The vGIC's list-register exchange on GICv3: LrEntry <-> ICH_LR<n>_EL2
// SPDX-License-Identifier: MIT
//
// fill() writes LR0..n-1 with the vGIC's deliverable interrupts (virtual, HW = 0, Group 1) and
// empties the rest it used before; sync() reads them back. When more are deliverable than there
// are list registers, the underflow maintenance interrupt brings the vCPU back to refill them. A
// level-triggered interrupt is written with the EOI bit: the guest's EOI of it raises the EOI
// maintenance interrupt, the vCPU exits, and sync re-derives it from its line (still high:
// pending again at once, as a GIC would have it).
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/arch.hpp"

namespace runhv::arch {
namespace {

u64 encode(const LrEntry& e) {
  u64 lr = (u64{e.priority} << ich::kLrPriorityShift) | (e.intid & ich::kLrVintidMask);
  lr |= e.group1 ? ich::kLrGroup1 : 0;
  lr |= e.pending ? ich::kLrStatePending : 0;
  lr |= e.active ? ich::kLrStateActive : 0;
  lr |= e.resample ? ich::kLrEoi : 0;
  return lr;
}

LrEntry decode(u64 lr) {
  LrEntry e;
  e.intid = static_cast<u32>(lr & ich::kLrVintidMask);
  e.priority = static_cast<u8>(bits(lr, 55, 48));
  e.pending = (lr & ich::kLrStatePending) != 0;
  e.active = (lr & ich::kLrStateActive) != 0;
  e.group1 = (lr & ich::kLrGroup1) != 0;
  return e;
}

}  // namespace

void vgic_sync(VcpuState& v, Vgic& vgic, u32 vcpu) {
  const bool live = loaded() == &v;
  LrEntry lrs[ich::kMaxLrs];
  const u32 n = v.lrs_used;
  for (u32 i = 0; i < n; ++i) {
    lrs[i] = decode(live ? ich::read_lr(i) : v.ctx.gic.lr[i]);
  }
  vgic.sync(vcpu, lrs, n);
}

bool vgic_lrs_as_filled(const VcpuState& v) {
  if (loaded() != &v) {
    return false;
  }
  for (u32 i = 0; i < v.lrs_used; ++i) {
    if (ich::read_lr(i) != v.ctx.gic.lr[i]) {
      return false;
    }
  }
  return true;
}

void vgic_fill(VcpuState& v, Vgic& vgic, u32 vcpu) {
  const bool live = loaded() == &v;
  LrEntry out[ich::kMaxLrs];
  const u32 n = vgic.fill(vcpu, out, ich::lr_count());
  const u32 clear_to = v.lrs_used > n ? v.lrs_used : n;
  for (u32 i = 0; i < clear_to; ++i) {
    const u64 lr = i < n ? encode(out[i]) : 0;
    if (live) {
      ich::write_lr(i, lr);
    }
    v.ctx.gic.lr[i] = lr;  // live: what vgic_lrs_as_filled() compares with (the put saves over it)
  }
  v.lrs_used = n;
  // More deliverable than fitted: the underflow maintenance interrupt (INTID 25) makes the vCPU
  // exit once the guest has worked through all but one, and its entry refills.
  const bool uie = vgic.overflow(vcpu);
  if (live) {
    const u64 hcr = sysreg::read_ich_hcr_el2();
    if (((hcr & ich::kHcrUie) != 0) != uie) {
      sysreg::write_ich_hcr_el2(uie ? hcr | ich::kHcrUie : hcr & ~ich::kHcrUie);
    }
  } else {
    v.ctx.gic.hcr = uie ? v.ctx.gic.hcr | ich::kHcrUie : v.ctx.gic.hcr & ~ich::kHcrUie;
  }
}

}  // namespace runhv::arch
