// The vGICv3's registers: the distributor and the redistributor frames
// SPDX-License-Identifier: MIT
#include "core/vgic.hpp"

namespace runhv {
namespace {

constexpr bool aligned(u64 offset, u8 bytes) { return offset % bytes == 0; }
// A 32-bit register.
constexpr bool word(u64 offset, u8 bytes) { return bytes == 4 && aligned(offset, 4); }
// A byte-accessible register (IPRIORITYR, ITARGETSR, SPENDSGIR, CPENDSGIR).
constexpr bool byte_or_word(u64 offset, u8 bytes) { return bytes == 1 || word(offset, bytes); }
// A 64-bit register: whole, or either 32-bit half.
constexpr bool dword(u64 offset, u8 bytes) { return (bytes == 8 && aligned(offset, 8)) || word(offset, bytes); }
// Reserved or unimplemented space, RAZ/WI.
constexpr bool reserved(u64 offset, u8 bytes) { return (bytes == 4 || bytes == 8) && aligned(offset, bytes); }

// The part of 64-bit register `full` an access at `offset` of `bytes` reads.
constexpr u64 part_of(u64 full, u64 offset, u8 bytes) {
  return bytes == 8 ? full : (full >> (8 * (offset & 4))) & 0xFFFF'FFFF;
}
// The bits of a 64-bit register an access at `offset` of `bytes` writes.
constexpr u64 mask_of(u64 offset, u8 bytes) { return bytes == 8 ? ~u64{0} : u64{0xFFFF'FFFF} << (8 * (offset & 4)); }

// IROUTER's stored bits: IRM and Aff2.Aff1.Aff0 (Aff3 is RES0: GICD_TYPER.A3V = 0).
constexpr u64 kIrouterWritable = gicv3::kIrouterIrm | 0xFF'FFFF;

// The identification registers (0xFFD0..0xFFFC): PIDR2 names the architecture, the rest RAZ.
bool read_id(u64 offset, u8 bytes, u64& value) {
  if (!word(offset, bytes)) {
    return false;
  }
  value = offset == gicv3::kPidr2 ? gicv3::kPidr2Value : 0;
  return true;
}

// The bitmap register families, each 0x80 bytes from IGROUPR (0x0080) to ICACTIVER (0x0380).
constexpr bool in_bitmaps(u64 offset) { return offset >= gicv3::kGicdIgroupr && offset < gicv3::kGicdIpriorityr; }

}  // namespace

// ---- Register helpers shared by the distributor and the SGI_base frames

u32 Vgic::read_bits(BitReg r, u32 vcpu, u32 first) const {
  u32 value = 0;
  for (u32 b = 0; b < 32; ++b) {
    const VgicIrq* i = irq(vcpu, first + b);
    if (i == nullptr) {
      break;
    }
    bool on = false;
    switch (r) {
      case BitReg::group:
        on = i->group1;
        break;
      case BitReg::set_enable:
      case BitReg::clear_enable:
        on = i->enabled;
        break;
      case BitReg::set_pending:
      case BitReg::clear_pending:
        on = i->pending() || (i->in_lr && i->lr_latch);
        break;
      case BitReg::set_active:
      case BitReg::clear_active:
        on = i->active || (i->in_lr && i->lr_active && !i->lr_clear_active);
        break;
    }
    value |= u32{on} << b;
  }
  return value;
}

void Vgic::write_bits(BitReg r, u32 vcpu, u32 first, u32 value) {
  for (u32 b = 0; b < 32; ++b) {
    const u32 intid = first + b;
    VgicIrq* i = irq_mut(vcpu, intid);
    if (i == nullptr) {
      break;
    }
    const bool one = bit(value, b);
    if (r != BitReg::group && !one) {
      continue;  // a 0 in a set/clear register changes nothing
    }
    const u32 before = kick_target(vcpu, intid);
    switch (r) {
      case BitReg::group:
        i->group1 = one;
        break;
      case BitReg::set_enable:
        i->enabled = true;
        break;
      case BitReg::clear_enable:
        i->enabled = false;
        break;
      case BitReg::set_pending:
        i->latch = true;
        break;
      case BitReg::clear_pending:
        i->latch = false;  // a level input that is high keeps it pending
        i->lr_latch = false;
        break;
      case BitReg::set_active:
        i->active = true;
        break;
      case BitReg::clear_active:
        i->active = false;
        i->lr_clear_active = i->in_lr;
        break;
    }
    // Whoever could see it before (it was deliverable there, or is in their list registers)
    // and whoever can see it now.
    note_kick(before);
    note_kick(kick_target(vcpu, intid));
  }
}

u32 Vgic::read_priorities(u32 vcpu, u32 first, u8 bytes) const {
  u32 value = 0;
  for (u32 b = 0; b < bytes; ++b) {
    const VgicIrq* i = irq(vcpu, first + b);
    if (i != nullptr) {
      value |= u32{i->priority} << (8 * b);
    }
  }
  return value;
}

void Vgic::write_priorities(u32 vcpu, u32 first, u8 bytes, u32 value) {
  for (u32 b = 0; b < bytes; ++b) {
    VgicIrq* i = irq_mut(vcpu, first + b);
    if (i != nullptr) {
      i->priority = static_cast<u8>(value >> (8 * b));
    }
  }
}

u32 Vgic::read_config(u32 vcpu, u32 first) const {
  u32 value = 0;
  for (u32 k = 0; k < 16; ++k) {
    const VgicIrq* i = irq(vcpu, first + k);
    if (i != nullptr && i->edge) {
      value |= 2U << (2 * k);
    }
  }
  return value;
}

void Vgic::write_config(u32 vcpu, u32 first, u32 value) {
  for (u32 k = 0; k < 16; ++k) {
    const u32 intid = first + k;
    VgicIrq* i = irq_mut(vcpu, intid);
    if (i != nullptr && intid >= kSgis) {  // SGIs are always edge-triggered
      i->edge = bit(value, 2 * k + 1);
    }
  }
}

void Vgic::write_irouter(u32 intid, u64 value, u64 mask) {
  const u32 before = kick_target(0, intid);
  u64& r = irouter_[intid - kFirstSpi];
  r = ((r & ~mask) | (value & mask)) & kIrouterWritable;
  note_kick(before);
  note_kick(kick_target(0, intid));
}

// ---- The distributor

bool VgicDistributor::read(u64 offset, u8 bytes, u64& value) {
  Vgic& g = *vgic_;
  if (g.vcpus_ == 0 || offset >= Vgic::kDistSize) {
    return false;
  }
  value = 0;
  if (offset < gicv3::kGicdIgroupr) {
    if (offset <= gicv3::kGicdTyper2) {
      if (!word(offset, bytes)) {
        return false;
      }
      switch (offset) {
        case gicv3::kGicdCtlr:
          value = g.ctlr();
          break;
        case gicv3::kGicdTyper: {
          const u32 cpus = g.vcpus_ < 8 ? g.vcpus_ : 8;
          value = (Vgic::kIntids / 32 - 1) | ((cpus - 1) << 5) | (u32{9} << 19);
          break;
        }
        case gicv3::kGicdIidr:
          value = gicv3::kIidrValue;
          break;
        default:  // GICD_TYPER2: no extended ranges, no vPE features
          break;
      }
      return true;
    }
    return reserved(offset, bytes);
  }
  if (in_bitmaps(offset)) {
    if (!word(offset, bytes)) {
      return false;
    }
    const auto r = static_cast<Vgic::BitReg>((offset - gicv3::kGicdIgroupr) / 0x80);
    const u32 first = static_cast<u32>(offset & 0x7F) * 8;
    if (first >= Vgic::kFirstSpi) {  // register 0 is the redistributors' with ARE set
      value = g.read_bits(r, 0, first);
    }
    return true;
  }
  if (offset >= gicv3::kGicdIpriorityr && offset < gicv3::kGicdItargetsr) {
    if (!byte_or_word(offset, bytes)) {
      return false;
    }
    const u32 first = static_cast<u32>(offset - gicv3::kGicdIpriorityr);
    if (first >= Vgic::kFirstSpi) {
      value = g.read_priorities(0, first, bytes);
    }
    return true;
  }
  if (offset >= gicv3::kGicdItargetsr && offset < gicv3::kGicdIcfgr) {
    return byte_or_word(offset, bytes);  // RES0 with ARE set
  }
  if (offset >= gicv3::kGicdIcfgr && offset < gicv3::kGicdIgrpmodr) {
    if (!word(offset, bytes)) {
      return false;
    }
    const u32 first = static_cast<u32>(offset - gicv3::kGicdIcfgr) * 4;
    if (first >= Vgic::kFirstSpi) {
      value = g.read_config(0, first);
    }
    return true;
  }
  if (offset >= gicv3::kGicdCpendsgir && offset < gicv3::kGicdSpendsgir + 0x10) {
    return byte_or_word(offset, bytes);  // the GICv2 SGI registers: RES0 with ARE set
  }
  if (offset >= gicv3::kGicdIrouter && offset < gicv3::kGicdIrouter + u64{8} * 1020) {
    if (!dword(offset, bytes)) {
      return false;
    }
    const u32 intid = static_cast<u32>((offset - gicv3::kGicdIrouter) / 8);
    if (intid >= Vgic::kFirstSpi && intid < Vgic::kIntids) {
      value = part_of(g.irouter_[intid - Vgic::kFirstSpi], offset, bytes);
    }
    return true;
  }
  if (offset >= 0xFFD0) {
    return read_id(offset, bytes, value);
  }
  // IGRPMODR and NSACR (RAZ/WI with DS = 1), GICD_SGIR, the rest: reserved.
  return reserved(offset, bytes);
}

bool VgicDistributor::write(u64 offset, u8 bytes, u64 value) {
  Vgic& g = *vgic_;
  if (g.vcpus_ == 0 || offset >= Vgic::kDistSize) {
    return false;
  }
  const u32 v32 = static_cast<u32>(value);
  if (offset < gicv3::kGicdIgroupr) {
    if (offset <= gicv3::kGicdTyper2) {
      if (!word(offset, bytes)) {
        return false;
      }
      if (offset == gicv3::kGicdCtlr) {
        const bool g0 = (v32 & gicv3::kCtlrEnableGrp0) != 0;
        const bool g1 = (v32 & gicv3::kCtlrEnableGrp1) != 0;
        if (g0 != g.grp0_ || g1 != g.grp1_) {
          // Whatever was in flight may have to go, whatever was held back may now be delivered.
          for (u32 v = 0; v < g.vcpus_; ++v) {
            g.note_kick(v);
          }
        }
        g.grp0_ = g0;
        g.grp1_ = g1;
      }
      return true;  // TYPER, IIDR, TYPER2 are read-only
    }
    return reserved(offset, bytes);
  }
  if (in_bitmaps(offset)) {
    if (!word(offset, bytes)) {
      return false;
    }
    const auto r = static_cast<Vgic::BitReg>((offset - gicv3::kGicdIgroupr) / 0x80);
    const u32 first = static_cast<u32>(offset & 0x7F) * 8;
    if (first >= Vgic::kFirstSpi) {
      g.write_bits(r, 0, first, v32);
    }
    return true;
  }
  if (offset >= gicv3::kGicdIpriorityr && offset < gicv3::kGicdItargetsr) {
    if (!byte_or_word(offset, bytes)) {
      return false;
    }
    const u32 first = static_cast<u32>(offset - gicv3::kGicdIpriorityr);
    if (first >= Vgic::kFirstSpi) {
      g.write_priorities(0, first, bytes, v32);
    }
    return true;
  }
  if (offset >= gicv3::kGicdItargetsr && offset < gicv3::kGicdIcfgr) {
    return byte_or_word(offset, bytes);
  }
  if (offset >= gicv3::kGicdIcfgr && offset < gicv3::kGicdIgrpmodr) {
    if (!word(offset, bytes)) {
      return false;
    }
    const u32 first = static_cast<u32>(offset - gicv3::kGicdIcfgr) * 4;
    if (first >= Vgic::kFirstSpi) {
      g.write_config(0, first, v32);
    }
    return true;
  }
  if (offset >= gicv3::kGicdCpendsgir && offset < gicv3::kGicdSpendsgir + 0x10) {
    return byte_or_word(offset, bytes);
  }
  if (offset >= gicv3::kGicdIrouter && offset < gicv3::kGicdIrouter + u64{8} * 1020) {
    if (!dword(offset, bytes)) {
      return false;
    }
    const u32 intid = static_cast<u32>((offset - gicv3::kGicdIrouter) / 8);
    if (intid >= Vgic::kFirstSpi && intid < Vgic::kIntids) {
      const u64 mask = mask_of(offset, bytes);
      const u64 shifted = bytes == 8 ? value : (value & 0xFFFF'FFFF) << (8 * (offset & 4));
      g.write_irouter(intid, shifted, mask);
    }
    return true;
  }
  if (offset >= 0xFFD0) {
    return word(offset, bytes);  // read-only
  }
  return reserved(offset, bytes);
}

// ---- The redistributors

namespace {

// An SGI_base register family at `base` (the distributor's offset of its register 0).
constexpr bool at(u64 off, u64 base) { return off == base; }

}  // namespace

bool VgicRedistributors::read(u64 offset, u8 bytes, u64& value) {
  Vgic& g = *vgic_;
  const u64 frame = offset / Vgic::kRedistStride;
  if (frame >= g.vcpus_) {
    return false;
  }
  const u32 vcpu = static_cast<u32>(frame);
  u64 off = offset % Vgic::kRedistStride;
  value = 0;
  if (off < Vgic::kFrameSize) {  // RD_base
    switch (off) {
      case gicv3::kGicrCtlr:  // no LPIs; RWP and UWP read 0
      case gicv3::kGicrStatusr:
        return word(off, bytes);
      case gicv3::kGicrIidr:
        if (!word(off, bytes)) {
          return false;
        }
        value = gicv3::kIidrValue;
        return true;
      case gicv3::kGicrWaker:
        if (!word(off, bytes)) {
          return false;
        }
        value = g.processor_sleep_[vcpu] ? gicv3::kWakerProcessorSleep | gicv3::kWakerChildrenAsleep : 0;
        return true;
      case gicv3::kGicrTyper:
      case gicv3::kGicrTyper + 4: {
        if (!dword(off, bytes)) {
          return false;
        }
        const u64 aff = vcpu_affinity(vcpu);
        // Affinity_Value [63:32] = Aff3.Aff2.Aff1.Aff0; Processor_Number [23:8]; Last [4].
        const u64 affinity =
            (bits(aff, 39, 32) << 24) | (bits(aff, 23, 16) << 16) | (bits(aff, 15, 8) << 8) | bits(aff, 7, 0);
        u64 typer = (affinity << 32) | (u64{vcpu} << 8);
        if (vcpu + 1 == g.vcpus_) {
          typer |= gicv3::kGicrTyperLast;
        }
        value = part_of(typer, off, bytes);
        return true;
      }
      default:
        break;
    }
    if (off >= 0xFFD0) {
      return read_id(off, bytes, value);
    }
    return reserved(off, bytes);
  }
  off -= Vgic::kFrameSize;  // SGI_base
  if (in_bitmaps(off) && (off & 0x7F) == 0) {
    if (!word(off, bytes)) {
      return false;
    }
    value = g.read_bits(static_cast<Vgic::BitReg>((off - gicv3::kGicdIgroupr) / 0x80), vcpu, 0);
    return true;
  }
  if (off >= gicv3::kGicdIpriorityr && off < gicv3::kGicdIpriorityr + Vgic::kPrivate) {
    if (!byte_or_word(off, bytes)) {
      return false;
    }
    value = g.read_priorities(vcpu, static_cast<u32>(off - gicv3::kGicdIpriorityr), bytes);
    return true;
  }
  if (at(off, gicv3::kGicdIcfgr) || at(off, gicv3::kGicdIcfgr + 4)) {
    if (!word(off, bytes)) {
      return false;
    }
    value = g.read_config(vcpu, static_cast<u32>(off - gicv3::kGicdIcfgr) * 4);
    return true;
  }
  // IGRPMODR0 and NSACR are RAZ/WI with DS = 1; the rest is reserved.
  return reserved(off, bytes);
}

bool VgicRedistributors::write(u64 offset, u8 bytes, u64 value) {
  Vgic& g = *vgic_;
  const u64 frame = offset / Vgic::kRedistStride;
  if (frame >= g.vcpus_) {
    return false;
  }
  const u32 vcpu = static_cast<u32>(frame);
  u64 off = offset % Vgic::kRedistStride;
  const u32 v32 = static_cast<u32>(value);
  if (off < Vgic::kFrameSize) {  // RD_base
    switch (off) {
      case gicv3::kGicrCtlr:
      case gicv3::kGicrStatusr:
      case gicv3::kGicrIidr:
        return word(off, bytes);
      case gicv3::kGicrWaker:
        if (!word(off, bytes)) {
          return false;
        }
        g.processor_sleep_[vcpu] = (v32 & gicv3::kWakerProcessorSleep) != 0;
        return true;
      case gicv3::kGicrTyper:
      case gicv3::kGicrTyper + 4:
        return dword(off, bytes);
      default:
        break;
    }
    if (off >= 0xFFD0) {
      return word(off, bytes);
    }
    return reserved(off, bytes);
  }
  off -= Vgic::kFrameSize;  // SGI_base
  if (in_bitmaps(off) && (off & 0x7F) == 0) {
    if (!word(off, bytes)) {
      return false;
    }
    g.write_bits(static_cast<Vgic::BitReg>((off - gicv3::kGicdIgroupr) / 0x80), vcpu, 0, v32);
    return true;
  }
  if (off >= gicv3::kGicdIpriorityr && off < gicv3::kGicdIpriorityr + Vgic::kPrivate) {
    if (!byte_or_word(off, bytes)) {
      return false;
    }
    g.write_priorities(vcpu, static_cast<u32>(off - gicv3::kGicdIpriorityr), bytes, v32);
    return true;
  }
  if (at(off, gicv3::kGicdIcfgr) || at(off, gicv3::kGicdIcfgr + 4)) {
    if (!word(off, bytes)) {
      return false;
    }
    g.write_config(vcpu, static_cast<u32>(off - gicv3::kGicdIcfgr) * 4, v32);
    return true;
  }
  return reserved(off, bytes);
}

}  // namespace runhv
