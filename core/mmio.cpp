// The per-domain MMIO bus
// SPDX-License-Identifier: MIT
#include "core/mmio.hpp"

namespace runhv {
namespace {

constexpr u64 size_mask(u8 bytes) { return bytes >= 8 ? ~u64{0} : (u64{1} << (8U * bytes)) - 1; }

// The last byte of [base, base + size); false when the range is empty or wraps.
bool last_byte(u64 base, u64 size, u64& last) {
  if (size == 0) {
    return false;
  }
  last = base + (size - 1);
  return last >= base;
}

}  // namespace

bool mmio_access_from(const esr::DataAbort& da, Ipa ipa, u64 reg_value, MmioAccess& out) {
  if (!da.isv || da.s1ptw || da.cm) {
    return false;
  }
  out.ipa = ipa;
  out.bytes = da.access_bytes();
  out.write = da.wnr;
  out.sign_extend = da.sse;
  out.sixty_four = da.sf;
  out.reg = da.srt;
  out.data = (da.wnr && da.srt != 31) ? (reg_value & size_mask(out.bytes)) : 0;
  return true;
}

bool mmio_decode_post_indexed(u32 insn, bool write, PostIndexed& out) {
  // size:2 111 V=0 00 opc:2 0 imm9 01 Rn Rt
  constexpr u32 kFixedMask = 0x3F20'0C00;
  constexpr u32 kFixed = 0x3800'0400;
  if ((insn & kFixedMask) != kFixed) {
    return false;
  }
  const u64 opc = bits(insn, 23, 22);
  const u8 rn = static_cast<u8>(bits(insn, 9, 5));
  const u8 rt = static_cast<u8>(bits(insn, 4, 0));
  if (opc > 1 || (opc == 0) != write) {
    return false;  // LDRS*, or the fault's direction is not this instruction's
  }
  if (rn == rt && rn != 31) {
    return false;  // writeback into the transfer register: UNPREDICTABLE
  }
  const u64 size = bits(insn, 31, 30);
  esr::DataAbort da;
  da.isv = true;
  da.sas = static_cast<u8>(size);
  da.srt = rt;
  da.sf = size == 3;
  da.wnr = write;
  const u64 imm9 = bits(insn, 20, 12);
  out.da = da;
  out.rn = rn;
  out.offset = static_cast<i64>(imm9 ^ 0x100) - 0x100;  // sign-extended
  return true;
}

u64 mmio_load_value(const MmioAccess& a) {
  const u64 mask = size_mask(a.bytes);
  u64 value = a.data & mask;
  if (a.sign_extend && mask != ~u64{0}) {
    const u64 sign = (mask >> 1) + 1;
    if ((value & sign) != 0) {
      value |= ~mask;
    }
  }
  return a.sixty_four ? value : (value & 0xFFFF'FFFF);
}

bool MmioBus::add(Ipa base, u64 size, MmioDevice& device, const char* name) {
  u64 last = 0;
  if (count_ == kMaxRegions || !last_byte(base.raw(), size, last)) {
    return false;
  }
  for (u32 i = 0; i < count_; ++i) {
    const Region& r = regions_[i];
    const u64 r_last = r.base.raw() + (r.size - 1);
    if (base.raw() <= r_last && r.base.raw() <= last) {
      return false;
    }
  }
  regions_[count_++] = Region{base, size, &device, name};
  return true;
}

namespace {

// Every byte of [ipa, last] inside region r.
bool holds(const MmioBus::Region& r, u64 ipa, u64 last) {
  return ipa >= r.base.raw() && last <= r.base.raw() + (r.size - 1);
}

}  // namespace

const MmioBus::Region* MmioBus::find(Ipa ipa, u8 bytes) const {
  u64 last = 0;
  if (!last_byte(ipa.raw(), bytes, last)) {
    return nullptr;
  }
  for (u32 i = 0; i < count_; ++i) {
    if (holds(regions_[i], ipa.raw(), last)) {
      return &regions_[i];
    }
  }
  return nullptr;
}

MmioOutcome MmioBus::dispatch(MmioAccess& a) {
  u64 last = 0;
  const Region* r = nullptr;
  if (last_hit_ < count_ && last_byte(a.ipa.raw(), a.bytes, last) && holds(regions_[last_hit_], a.ipa.raw(), last)) {
    r = &regions_[last_hit_];
  } else {
    r = find(a.ipa, a.bytes);
    if (r == nullptr) {
      return MmioOutcome::no_region;
    }
    last_hit_ = static_cast<u32>(r - regions_);
  }
  const u64 offset = a.ipa.raw() - r->base.raw();
  if (a.write) {
    return r->device->write(offset, a.bytes, a.data) ? MmioOutcome::done : MmioOutcome::refused;
  }
  u64 value = 0;
  if (!r->device->read(offset, a.bytes, value)) {
    return MmioOutcome::refused;
  }
  a.data = value & size_mask(a.bytes);
  return MmioOutcome::done;
}

}  // namespace runhv
