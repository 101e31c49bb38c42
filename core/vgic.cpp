// The vGICv3's interrupt state: sources, routing, SGIs and the list-register exchange
// SPDX-License-Identifier: MIT
#include "core/vgic.hpp"

namespace runhv {

bool Vgic::reset(u32 vcpus) {
  if (vcpus == 0 || vcpus > kMaxVcpusPerDomain) {
    return false;
  }
  vcpus_ = vcpus;
  for (u32 v = 0; v < kMaxVcpusPerDomain; ++v) {
    for (u32 i = 0; i < kPrivate; ++i) {
      private_[v][i] = VgicIrq{};
      private_[v][i].edge = i < kSgis;  // SGIs are always edge; PPIs reset level-sensitive
    }
    overflow_[v] = false;
    processor_sleep_[v] = true;
  }
  for (u32 i = 0; i < kSpis; ++i) {
    spi_[i] = VgicIrq{};
    irouter_[i] = 0;
  }
  kicks_ = 0;
  grp0_ = false;
  grp1_ = false;
  return true;
}

VgicIrq* Vgic::irq_mut(u32 vcpu, u32 intid) {
  if (intid < kPrivate) {
    return vcpu < vcpus_ ? &private_[vcpu][intid] : nullptr;
  }
  return intid < kIntids && vcpus_ != 0 ? &spi_[intid - kFirstSpi] : nullptr;
}

const VgicIrq* Vgic::irq(u32 vcpu, u32 intid) const { return const_cast<Vgic*>(this)->irq_mut(vcpu, intid); }

u32 Vgic::ctlr() const {
  return gicv3::kCtlrAre | gicv3::kCtlrDs | (grp0_ ? gicv3::kCtlrEnableGrp0 : 0) | (grp1_ ? gicv3::kCtlrEnableGrp1 : 0);
}

u32 Vgic::spi_target(u32 intid) const {
  if (intid < kFirstSpi || intid >= kIntids || vcpus_ == 0) {
    return kNoVcpu;
  }
  const u64 route = irouter_[intid - kFirstSpi];
  if ((route & gicv3::kIrouterIrm) != 0) {
    return 0;
  }
  // IROUTER's affinity fields sit where a PSCI target_cpu has them: Aff3 39:32, Aff2..Aff0 23:0.
  return vcpu_of_affinity(route, vcpus_);
}

u32 Vgic::kick_target(u32 vcpu, u32 intid) const {
  const VgicIrq* i = irq(vcpu, intid);
  if (i == nullptr) {
    return kNoVcpu;
  }
  if (i->in_lr) {
    return intid < kPrivate ? vcpu : i->lr_vcpu;  // its list registers must be refreshed
  }
  return deliverable(*i) ? owner(vcpu, intid) : kNoVcpu;
}

void Vgic::note_kick(u32 vcpu) {
  if (vcpu < vcpus_) {
    kicks_ |= 1U << vcpu;
  }
}

void Vgic::note_all_kicks() {
  for (u32 v = 0; v < vcpus_; ++v) {
    if (has_pending(v)) {
      note_kick(v);
    }
  }
}

u32 Vgic::take_kicks() {
  const u32 k = kicks_;
  kicks_ = 0;
  return k;
}

u32 Vgic::set_pending(u32 vcpu, u32 intid) {
  if (intid < kPrivate && vcpu >= vcpus_) {
    return kNoVcpu;
  }
  VgicIrq* i = irq_mut(vcpu, intid);
  if (i == nullptr) {
    return kNoVcpu;
  }
  i->latch = true;
  return kick_target(vcpu, intid);
}

u32 Vgic::set_private_level(u32 vcpu, u32 intid, bool level) {
  if (intid < kSgis || intid >= kPrivate || vcpu >= vcpus_) {
    return kNoVcpu;
  }
  VgicIrq& i = private_[vcpu][intid];
  const bool rising = level && !i.line;
  const bool was = i.pending();
  i.line = level;
  if (i.edge && rising) {
    i.latch = true;
  }
  if (was == i.pending()) {
    return kNoVcpu;
  }
  return kick_target(vcpu, intid);
}

u32 Vgic::set_level(u32 intid, bool level) {
  if (intid < kFirstSpi || intid >= kIntids || vcpus_ == 0) {
    return kNoVcpu;
  }
  VgicIrq& i = spi_[intid - kFirstSpi];
  const bool rising = level && !i.line;
  const bool was = i.pending();
  i.line = level;
  if (i.edge && rising) {
    i.latch = true;
  }
  if (was == i.pending()) {
    return kNoVcpu;  // nothing a vCPU can see changed
  }
  return kick_target(0, intid);
}

u32 Vgic::send_sgi(u32 source, u64 value) {
  if (source >= vcpus_) {
    return 0;
  }
  const u32 intid = static_cast<u32>(bits(value, 27, 24));
  u32 targets = 0;
  if (bit(value, 40)) {  // IRM: every PE but the source
    for (u32 v = 0; v < vcpus_; ++v) {
      if (v != source) {
        targets |= 1U << v;
      }
    }
  } else {
    const u64 tlist = bits(value, 15, 0);
    const u64 rs = bits(value, 47, 44);
    const u64 cluster = (bits(value, 55, 48) << 32) | (bits(value, 39, 32) << 16) | (bits(value, 23, 16) << 8);
    for (u32 n = 0; n < 16; ++n) {
      if (bit(tlist, n)) {
        const u32 v = vcpu_of_affinity(cluster | (rs * 16 + n), vcpus_);
        if (v != kNoVcpu) {
          targets |= 1U << v;
        }
      }
    }
  }
  for (u32 v = 0; v < vcpus_; ++v) {
    if (bit(targets, v)) {
      private_[v][intid].latch = true;
    }
  }
  return targets;
}

// ---- The list-register exchange

namespace {

// The ordering key of a candidate for a list register (smaller first): active
// interrupts first, then by priority, then by INTID.
constexpr u32 lr_key(const VgicIrq& i, u32 intid) {
  return (i.active ? 0U : 1U << 24) | (u32{i.priority} << 16) | intid;
}

}  // namespace

bool Vgic::has_pending(u32 vcpu) const {
  if (vcpu >= vcpus_) {
    return false;
  }
  for (u32 n = 0; n < kPrivate; ++n) {
    const VgicIrq& i = private_[vcpu][n];
    if (!i.in_lr && deliverable(i)) {
      return true;
    }
  }
  for (u32 n = 0; n < kSpis; ++n) {
    const VgicIrq& i = spi_[n];
    if (!i.in_lr && deliverable(i) && spi_target(kFirstSpi + n) == vcpu) {
      return true;
    }
  }
  return false;
}

bool Vgic::held(u32 vcpu, u32 intid) const {
  const VgicIrq* i = irq(vcpu, intid);
  return i != nullptr && !i->in_lr && (i->pending() || i->active);
}

u32 Vgic::fill(u32 vcpu, LrEntry* out, u32 max) {
  if (vcpu >= vcpus_) {
    return 0;
  }
  // The candidates: this vCPU's private interrupts and the SPIs routed to it, not in flight,
  // active or deliverable.
  VgicIrq* cand[kIntids];
  u32 ids[kIntids];
  u32 count = 0;
  for (u32 n = 0; n < kIntids; ++n) {
    if (n >= kFirstSpi && spi_target(n) != vcpu) {
      continue;
    }
    VgicIrq* i = irq_mut(vcpu, n);
    if (!i->in_lr && (i->active || deliverable(*i))) {
      cand[count] = i;
      ids[count] = n;
      ++count;
    }
  }
  u32 filled = 0;
  while (filled < max && filled < count) {
    u32 best = count;
    u32 best_key = ~0U;
    for (u32 c = 0; c < count; ++c) {
      if (cand[c]->in_lr) {
        continue;
      }
      const u32 key = lr_key(*cand[c], ids[c]);
      if (key < best_key) {
        best_key = key;
        best = c;
      }
    }
    VgicIrq& i = *cand[best];
    const bool pend = deliverable(i);
    out[filled] = LrEntry{.intid = ids[best],
                          .priority = i.priority,
                          .pending = pend,
                          .active = i.active,
                          .group1 = i.group1,
                          .resample = pend && !i.edge && i.line};
    // Moved, not copied: the LR now holds the pending (from the latch) and active state.
    i.in_lr = true;
    i.lr_vcpu = static_cast<u8>(vcpu);
    i.lr_latch = pend && i.latch;
    i.lr_active = i.active;
    i.lr_clear_active = false;
    if (pend) {
      i.latch = false;
    }
    i.active = false;
    ++filled;
  }
  overflow_[vcpu] = filled < count;
  return filled;
}

void Vgic::sync(u32 vcpu, const LrEntry* lrs, u32 n) {
  if (vcpu >= vcpus_) {
    return;
  }
  for (u32 id = 0; id < kIntids; ++id) {
    VgicIrq* i = irq_mut(vcpu, id);
    if (!i->in_lr || (id >= kFirstSpi && i->lr_vcpu != vcpu)) {
      continue;
    }
    const LrEntry* lr = nullptr;
    for (u32 k = 0; k < n; ++k) {
      if (lrs[k].intid == id) {
        lr = &lrs[k];
        break;
      }
    }
    const bool lr_pending = lr != nullptr && lr->pending;
    const bool lr_active = lr != nullptr && lr->active;
    // Still pending there: the guest has not acknowledged it. Put back the latch it came from
    // (a level input that is still high needs no latch; one that dropped is no longer pending).
    if (lr_pending && i->lr_latch) {
      i->latch = true;
    }
    // Acknowledged and not yet EOI'd: active. EOI'd (or never taken and dropped): inactive, unless
    // ISACTIVER set it meanwhile. ICACTIVER while in flight wins over the LR.
    i->active = i->active || (lr_active && !i->lr_clear_active);
    i->in_lr = false;
    // An SPI rerouted while it was here: its new target must pick it up.
    if (id >= kFirstSpi && spi_target(id) != vcpu && deliverable(*i)) {
      note_kick(spi_target(id));
    }
    i->lr_latch = false;
    i->lr_active = false;
    i->lr_clear_active = false;
  }
  overflow_[vcpu] = false;
}

}  // namespace runhv
