// The vGIC's list-register exchange on GICv3: LrEntry <-> ICH_LR<n>_EL2
// SPDX-License-Identifier: MIT
//
// fill() writes LR0..n-1 with the vGIC's deliverable interrupts (virtual, HW = 0, Group 1) and
// empties the rest it used before; sync() reads them back. Without a maintenance interrupt an
// interrupt the guest ends while the line is still high, or one that did not fit, is delivered at
// the vCPU's next exit (the vGIC re-derives it at sync).
#include "arch/aarch64/ich.hpp"
#include "arch/arch.hpp"

namespace runhv::arch {
namespace {

u64 encode(const LrEntry& e) {
  u64 lr = (u64{e.priority} << ich::kLrPriorityShift) | (e.intid & ich::kLrVintidMask);
  lr |= e.group1 ? ich::kLrGroup1 : 0;
  lr |= e.pending ? ich::kLrStatePending : 0;
  lr |= e.active ? ich::kLrStateActive : 0;
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

void vgic_fill(VcpuState& v, Vgic& vgic, u32 vcpu) {
  const bool live = loaded() == &v;
  LrEntry out[ich::kMaxLrs];
  const u32 n = vgic.fill(vcpu, out, ich::lr_count());
  const u32 clear_to = v.lrs_used > n ? v.lrs_used : n;
  for (u32 i = 0; i < clear_to; ++i) {
    const u64 lr = i < n ? encode(out[i]) : 0;
    if (live) {
      ich::write_lr(i, lr);
    } else {
      v.ctx.gic.lr[i] = lr;
    }
  }
  v.lrs_used = n;
}

}  // namespace runhv::arch
