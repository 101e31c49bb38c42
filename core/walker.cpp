// Armv8-A translation-table walker: EL1&0 stage 1 and stage 2 (see core/walker.hpp)
// SPDX-License-Identifier: MIT
//
// Freestanding: no library beyond core/types.hpp, no exceptions, no heap, no recursion. Both
// stages share one table-walk loop (walk_tables); the stage-specific parts are the set-up from
// the control registers, how a descriptor is fetched (stage 1 fetches go through stage 2) and
// the checks on the leaf (access flag, permissions).
//
// Choices where the architecture leaves freedom, and simplifications (Arm ARM DDI 0487, D8):
//  - TxSZ outside [16, 39] is treated as the nearest of 16 and 39 (a permitted CONSTRAINED
//    UNPREDICTABLE choice; no FEAT_TTST, no 52-bit input addresses).
//  - Reserved TG0/TG1 encodings are treated as 4 KiB.
//  - IPS/PS encodings above 0b101 (52 bits, reserved) are treated as 48 bits. With the 64 KiB
//    granule, descriptor bits [15:12] (OA[51:48] under FEAT_LPA) must be zero: otherwise an
//    Address size fault, as the architecture requires when the output size is below 52 bits.
//  - Stage 1 region selection uses VA bit 55. The bits above the region size, [63:ia] (or
//    [55:ia] when the top byte is ignored), must all equal bit 55, else a level 0 Translation
//    fault. TBI0/TBI1 apply to data accesses only (as with TCR_EL1.TBIDx = 1): an instruction
//    fetch checks the whole top byte.
//  - SCTLR_EL1.M = 0: output IPA = VA; VA bits [top:48] must be zero (the implemented physical
//    size here is 48 bits), else a level 0 Address size fault. No permission checks.
//  - A stage 2 IPA beyond the VTCR_EL2.T0SZ input size is a level 0 Translation fault. A
//    reserved SL0 encoding is a level 0 Translation fault; an SL0 that does not fit T0SZ (the
//    start level would resolve no bits, or more than 4 bits beyond one table, i.e. more than
//    16 concatenated tables) is a Translation fault at the level SL0 names.
//  - Table base addresses: bits below the size of the table (start level: its concatenated size)
//    are ignored, as are TTBR ASID/VTTBR VMID bits [63:48] and CnP.
//  - Stage 1 permissions (no PAN, no EPAN, no FEAT_XNX):
//      AP[2:1] bit 7 = read-only at every EL, bit 6 = EL0 may access (read, and write unless
//      read-only). APTable bit 62 on any table above forces read-only, bit 61 removes EL0 access.
//      EL1 always reads. EL0 exec depends only on UXN/UXNTable (execute-only pages exist), EL1
//      exec on PXN/PXNTable. EL1 never executes a page EL0 can write (the implicit PXN rule).
//      SCTLR_EL1.WXN = 1 makes writable pages non-executable for the EL(s) that can write them.
//  - Stage 2 permissions: S2AP bit 6 read, bit 7 write; either XN bit (53, 54) forbids all
//    instruction fetches. Stage 1 table fetches are stage 2 reads. Stage 2 memory types are not
//    examined (a stage 1 walk to stage 2 Device memory is not a fault here).
//  - TCR_EL1.HA / VTCR_EL2.HA: the access flag is treated as managed by hardware (no AF fault);
//    descriptors are never written (no dirty-bit management either).
//  - Fault priority: translation and address size faults in walk order, then the access flag,
//    then permissions; a whole stage 1 (including its permission check) before the stage 2
//    translation of its output.

#include "core/walker.hpp"

namespace runhv::mmu {
namespace {

// Implemented physical (and intermediate physical) address size: no FEAT_LPA.
constexpr unsigned kMaxOaBits = 48;

// A mask with bits [hi:lo] set (hi >= lo).
constexpr u64 field_mask(unsigned hi, unsigned lo) {
  const u64 upto = hi >= 63 ? ~u64{0} : ((u64{1} << (hi + 1)) - 1);
  return upto & ~((u64{1} << lo) - 1);
}

// Output address size of a TCR_EL1.IPS / VTCR_EL2.PS encoding.
constexpr unsigned oa_bits(u64 enc) {
  switch (enc) {
    case 0:
      return 32;
    case 1:
      return 36;
    case 2:
      return 40;
    case 3:
      return 42;
    case 4:
      return 44;
    default:
      return kMaxOaBits;  // 0b101 48 bits, 0b110 52 bits treated as 48, 0b111 reserved
  }
}

// Granule size (log2) from a TG0 field (TCR_EL1.TG0, VTCR_EL2.TG0): 00 4K, 01 64K, 10 16K.
constexpr unsigned tg0_shift(u64 tg) { return tg == 1 ? 16 : (tg == 2 ? 14 : 12); }
// Granule size (log2) from TCR_EL1.TG1: 01 16K, 10 4K, 11 64K.
constexpr unsigned tg1_shift(u64 tg) { return tg == 1 ? 14 : (tg == 3 ? 16 : 12); }

constexpr unsigned clamp_txsz(u64 txsz) { return txsz < 16 ? 16U : (txsz > 39 ? 39U : static_cast<unsigned>(txsz)); }

// First level at which a block descriptor is allowed (no 52-bit addresses): 4K L1, else L2.
constexpr int first_block_level(unsigned gshift) { return gshift == 12 ? 1 : 2; }

// Everything the table-walk loop needs about one translation regime.
struct Regime {
  unsigned gshift = 12;      // log2 of the granule
  unsigned stride = 9;       // index bits per level: gshift - 3
  int start = 0;             // start level
  unsigned start_bits = 9;   // index bits at the start level (> stride: concatenated tables)
  u64 base = 0;              // start-level table address (IPA for stage 1, PA for stage 2)
  unsigned oa = kMaxOaBits;  // output address size
  Stage stage = Stage::one;
  u64 input = 0;  // input address, already reduced to the input size

  [[nodiscard]] constexpr unsigned shift(int level) const { return gshift + static_cast<unsigned>(3 - level) * stride; }
};

// Index bits at `start` for an input size; <= 0 or too many means the level does not fit.
constexpr int bits_at_level(unsigned ia, unsigned gshift, int level) {
  return static_cast<int>(ia) - static_cast<int>(gshift) - (3 - level) * static_cast<int>(gshift - 3);
}

// The result of the table-walk loop.
struct Core {
  Fault fault{};       // kind none: c.level/desc/out are valid
  int level = 0;       // leaf level
  u64 desc = 0;        // leaf descriptor
  u64 out = 0;         // output address of the whole input
  u64 table_bits = 0;  // OR of bits [62:59] of the table descriptors walked (stage 1 only)
};

inline Fault make_fault(FaultKind kind, int level, Stage stage, Ipa ipa) {
  Fault f;
  f.kind = kind;
  f.level = level;
  f.stage = stage;
  f.s1ptw = false;
  f.ipa = stage == Stage::two ? ipa : Ipa{};
  return f;
}

// True when a next-table or output address (taken from descriptor `d`) exceeds the output size.
constexpr bool beyond_oa(const Regime& r, u64 d, u64 addr) {
  if (r.gshift == 16 && bits(d, 15, 12) != 0) {
    return true;  // OA[51:48] under FEAT_LPA: never valid with a 48-bit (or smaller) output
  }
  return (addr >> r.oa) != 0;
}

// Walks the tables of regime `r`. `fetch(addr, level, desc, fault)` reads the descriptor at
// table address `addr`; on failure it fills `fault` completely and returns false.
template <class Fetch>
Core walk_tables(const Regime& r, Fetch&& fetch) {
  Core c;
  const Ipa fault_ipa(r.input);
  u64 table = r.base;
  int level = r.start;
  unsigned nbits = r.start_bits;
  for (;;) {
    const unsigned shift = r.shift(level);
    const u64 index = (r.input >> shift) & ((u64{1} << nbits) - 1);
    u64 d = 0;
    if (!fetch(table + index * 8, level, d, c.fault)) {
      return c;
    }
    if ((d & pte::VALID) == 0) {
      c.fault = make_fault(FaultKind::translation, level, r.stage, fault_ipa);
      return c;
    }
    const bool table_bit = (d & pte::TABLE) != 0;
    if (level < 3 && table_bit) {
      const u64 next = d & field_mask(47, r.gshift);
      if (beyond_oa(r, d, next)) {
        c.fault = make_fault(FaultKind::address_size, level, r.stage, fault_ipa);
        return c;
      }
      c.table_bits |= d & pte::s1::TABLE_ATTR_MASK;
      table = next;
      ++level;
      nbits = r.stride;
      continue;
    }
    // Leaf: a page at level 3 (bits[1:0] == 11), a block above it (bits[1:0] == 01).
    if (level == 3 ? !table_bit : level < first_block_level(r.gshift)) {
      c.fault = make_fault(FaultKind::translation, level, r.stage, fault_ipa);
      return c;
    }
    const u64 out_base = d & field_mask(47, shift);
    if (beyond_oa(r, d, out_base)) {
      c.fault = make_fault(FaultKind::address_size, level, r.stage, fault_ipa);
      return c;
    }
    c.level = level;
    c.desc = d;
    c.out = out_base | (r.input & ((u64{1} << shift) - 1));
    return c;
  }
}

// Stage 1 permission check of leaf `d` with the hierarchical table bits `tb` (see the top).
constexpr bool s1_permits(u64 d, u64 tb, u64 sctlr, Access a) {
  constexpr u64 kWxn = u64{1} << 19;  // SCTLR_EL1.WXN
  const bool read_only = (d & pte::s1::AP_RO) != 0 || (tb & pte::s1::AP_TABLE_RO) != 0;
  const bool el0_access = (d & pte::s1::AP_EL0) != 0 && (tb & pte::s1::AP_TABLE_NO_EL0) == 0;
  const bool el0_write = el0_access && !read_only;
  const bool wxn = (sctlr & kWxn) != 0;
  const bool el1 = a.el == El::el1;
  switch (a.type) {
    case AccessType::read:
      return el1 || el0_access;
    case AccessType::write:
      return !read_only && (el1 || el0_access);
    case AccessType::exec:
      if (el1) {
        return (d & pte::s1::PXN) == 0 && (tb & pte::s1::PXN_TABLE) == 0 && !el0_write && !(wxn && !read_only);
      }
      return (d & pte::s1::UXN) == 0 && (tb & pte::s1::UXN_TABLE) == 0 && !(wxn && el0_write);
  }
  return false;
}

constexpr bool s2_permits(u64 d, AccessType type) {
  switch (type) {
    case AccessType::read:
      return (d & pte::s2::S2AP_R) != 0;
    case AccessType::write:
      return (d & pte::s2::S2AP_W) != 0;
    case AccessType::exec:
      return (d & (pte::s2::XN0 | pte::s2::XN1)) == 0;  // XN[1:0]: any bit set = no execution
  }
  return false;
}

template <class Out>
Walk<Out> failed(const Fault& f) {
  Walk<Out> w;
  w.fault = f;
  w.level = f.level;
  return w;
}

}  // namespace

u32 fault_status_code(const Fault& f) {
  const u32 level = f.level < 0 ? 0U : (f.level > 3 ? 3U : static_cast<u32>(f.level));
  switch (f.kind) {
    case FaultKind::none:
      return 0;  // no fault: callers look at Walk::ok() first
    case FaultKind::address_size:
      return 0b000000U | level;
    case FaultKind::translation:
      return 0b000100U | level;
    case FaultKind::access_flag:
      return 0b001000U | level;
    case FaultKind::permission:
      return 0b001100U | level;
    case FaultKind::external_abort:
      return 0b010100U | level;
  }
  return 0;
}

u64 par_el1(const Walk<Pa>& w) {
  if (w.ok()) {
    return w.out.raw() & field_mask(47, 12);
  }
  u64 par = 1;  // F
  par |= u64{fault_status_code(w.fault)} << 1;
  if (w.fault.s1ptw) {
    par |= u64{1} << 8;  // PTW
  }
  if (w.fault.stage == Stage::two) {
    par |= u64{1} << 9;  // S
  }
  return par;
}

Walk<Pa> Walker::stage2(Ipa ipa, AccessType type) {
  const u64 vtcr = s2_.vtcr;
  const u64 in = ipa.raw();

  Regime r;
  r.stage = Stage::two;
  r.gshift = tg0_shift(bits(vtcr, vtcr::TG0_SHIFT + 1, vtcr::TG0_SHIFT));
  r.stride = r.gshift - 3;
  r.oa = oa_bits(bits(vtcr, vtcr::PS_SHIFT + 2, vtcr::PS_SHIFT));
  const unsigned ia = 64 - clamp_txsz(bits(vtcr, vtcr::T0SZ_SHIFT + 5, vtcr::T0SZ_SHIFT));
  if ((in >> ia) != 0) {
    return failed<Pa>(make_fault(FaultKind::translation, 0, Stage::two, ipa));
  }

  const u64 sl0 = bits(vtcr, vtcr::SL0_SHIFT + 1, vtcr::SL0_SHIFT);
  int start = -1;
  if (r.gshift == 12) {
    start = sl0 == 3 ? -1 : 2 - static_cast<int>(sl0);  // 0 => L2, 1 => L1, 2 => L0
  } else if (r.gshift == 14 || sl0 != 3) {
    start = 3 - static_cast<int>(sl0);  // 0 => L3, 1 => L2, 2 => L1, (16K) 3 => L0
  }
  if (start < 0) {
    return failed<Pa>(make_fault(FaultKind::translation, 0, Stage::two, ipa));
  }
  const int nbits = bits_at_level(ia, r.gshift, start);
  if (nbits < 1 || nbits > static_cast<int>(r.stride) + 4) {
    return failed<Pa>(make_fault(FaultKind::translation, start, Stage::two, ipa));
  }
  r.start = start;
  r.start_bits = static_cast<unsigned>(nbits);
  r.base = s2_.vttbr & field_mask(47, 3 + r.start_bits);
  if ((r.base >> r.oa) != 0) {
    return failed<Pa>(make_fault(FaultKind::address_size, 0, Stage::two, ipa));
  }
  r.input = in;

  const Core c = walk_tables(r, [this, ipa](u64 addr, int level, u64& d, Fault& f) {
    ++fetches_;
    if (!mem_.read_descriptor(Pa(addr), d)) {
      f = make_fault(FaultKind::external_abort, level, Stage::two, ipa);
      return false;
    }
    return true;
  });
  if (c.fault.kind != FaultKind::none) {
    return failed<Pa>(c.fault);
  }
  if ((c.desc & pte::AF) == 0 && (vtcr & vtcr::HA) == 0) {
    return failed<Pa>(make_fault(FaultKind::access_flag, c.level, Stage::two, ipa));
  }
  if (!s2_permits(c.desc, type)) {
    return failed<Pa>(make_fault(FaultKind::permission, c.level, Stage::two, ipa));
  }
  Walk<Pa> w;
  w.out = Pa(c.out);
  w.level = c.level;
  w.leaf = c.desc;
  return w;
}

Walk<Ipa> Walker::stage1(const Stage1Regs& regs, Va va, Access access) {
  const u64 v = va.raw();
  const u64 tcr = regs.tcr;
  const bool upper = bit(v, 55);
  const bool tbi = access.type != AccessType::exec && (tcr & (upper ? tcr::TBI1 : tcr::TBI0)) != 0;
  const unsigned top = tbi ? 55 : 63;

  if (!bit(regs.sctlr, 0)) {
    // Stage 1 disabled: flat, but the address must fit the implemented physical size.
    if (bits(v, top, kMaxOaBits) != 0) {
      return failed<Ipa>(make_fault(FaultKind::address_size, 0, Stage::one, Ipa{}));
    }
    Walk<Ipa> w;
    w.out = Ipa(v & field_mask(kMaxOaBits - 1, 0));
    return w;
  }

  if ((tcr & (upper ? tcr::EPD1 : tcr::EPD0)) != 0) {
    return failed<Ipa>(make_fault(FaultKind::translation, 0, Stage::one, Ipa{}));
  }
  const unsigned txsz = clamp_txsz(upper ? bits(tcr, tcr::T1SZ_SHIFT + 5, tcr::T1SZ_SHIFT)
                                         : bits(tcr, tcr::T0SZ_SHIFT + 5, tcr::T0SZ_SHIFT));
  const unsigned ia = 64 - txsz;
  const u64 above = bits(v, top, ia);
  if (above != (upper ? field_mask(top - ia, 0) : 0)) {
    return failed<Ipa>(make_fault(FaultKind::translation, 0, Stage::one, Ipa{}));
  }

  Regime r;
  r.stage = Stage::one;
  r.gshift = upper ? tg1_shift(bits(tcr, tcr::TG1_SHIFT + 1, tcr::TG1_SHIFT))
                   : tg0_shift(bits(tcr, tcr::TG0_SHIFT + 1, tcr::TG0_SHIFT));
  r.stride = r.gshift - 3;
  r.oa = oa_bits(bits(tcr, tcr::IPS_SHIFT + 2, tcr::IPS_SHIFT));
  r.start = 3 - static_cast<int>((ia - r.gshift - 1) / r.stride);
  r.start_bits = static_cast<unsigned>(bits_at_level(ia, r.gshift, r.start));
  r.base = (upper ? regs.ttbr1 : regs.ttbr0) & field_mask(47, 3 + r.start_bits);
  if ((r.base >> r.oa) != 0) {
    return failed<Ipa>(make_fault(FaultKind::address_size, 0, Stage::one, Ipa{}));
  }
  r.input = v & field_mask(ia - 1, 0);

  // Every stage 1 descriptor lives at an IPA: translate it by stage 2 as a read first.
  const Core c = walk_tables(r, [this](u64 addr, int level, u64& d, Fault& f) {
    const Walk<Pa> s2 = stage2(Ipa(addr), AccessType::read);
    if (!s2.ok()) {
      f = s2.fault;
      f.s1ptw = true;
      return false;
    }
    ++fetches_;
    if (!mem_.read_descriptor(s2.out, d)) {
      f = make_fault(FaultKind::external_abort, level, Stage::one, Ipa{});
      return false;
    }
    return true;
  });
  if (c.fault.kind != FaultKind::none) {
    return failed<Ipa>(c.fault);
  }
  if ((c.desc & pte::AF) == 0 && (tcr & tcr::HA) == 0) {
    return failed<Ipa>(make_fault(FaultKind::access_flag, c.level, Stage::one, Ipa{}));
  }
  if (!s1_permits(c.desc, c.table_bits, regs.sctlr, access)) {
    return failed<Ipa>(make_fault(FaultKind::permission, c.level, Stage::one, Ipa{}));
  }
  Walk<Ipa> w;
  w.out = Ipa(c.out);
  w.level = c.level;
  w.leaf = c.desc;
  return w;
}

Walk<Pa> Walker::translate(const Stage1Regs& regs, Va va, Access access) {
  const Walk<Ipa> s1 = stage1(regs, va, access);
  if (!s1.ok()) {
    return failed<Pa>(s1.fault);
  }
  // The result's level and leaf are those of the stage 2 descriptor that produced the PA.
  return stage2(s1.out, access.type);
}

}  // namespace runhv::mmu
