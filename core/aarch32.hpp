// A trapped instruction of a guest's AArch32 EL0: does its condition pass, and the PSTATE step past it
// SPDX-License-Identifier: MIT
//
// A guest's EL1 is AArch64, its EL0 may be AArch32 (A32 or T32). An AArch32 instruction that traps
// to EL2 may be conditional: ESR.CV/COND give its condition, or (T32, CV = 0) the IT block does. A
// trapped instruction whose condition fails is skipped, not emulated (Xen: check_conditional_instr).
// Skipping one also advances the IT block's state in the saved PSTATE (ARM ARM ITAdvance; Xen:
// advance_pc); the PC moves by the instruction's own length (ESR.IL: 2 or 4 bytes).
#pragma once

#include "core/esr.hpp"
#include "core/types.hpp"

namespace runhv::aarch32 {

// SPSR_EL2 of an exception taken from AArch32: M[4] = 1; T (bit 5) for T32; NZCV in [31:28];
// ITSTATE IT[1:0] in [26:25] and IT[7:2] in [15:10].
inline constexpr u64 kSpsrAarch32 = u64{1} << 4;
inline constexpr u64 kSpsrThumb = u64{1} << 5;
inline constexpr u64 kSpsrItMask = (u64{0x3} << 25) | (u64{0x3f} << 10);

[[nodiscard]] constexpr bool from_aarch32(u64 spsr) { return (spsr & kSpsrAarch32) != 0; }

[[nodiscard]] constexpr u32 itstate(u64 spsr) {
  return static_cast<u32>((bits(spsr, 15, 10) << 2) | bits(spsr, 26, 25));
}
[[nodiscard]] constexpr u64 with_itstate(u64 spsr, u32 it) {
  return (spsr & ~kSpsrItMask) | (u64{it & 0x3} << 25) | (u64{(it >> 2) & 0x3f} << 10);
}

// Condition `cond` (0..15) against the NZCV flags in `spsr`.
[[nodiscard]] constexpr bool condition_passes(u32 cond, u64 spsr) {
  const bool n = bit(spsr, 31);
  const bool z = bit(spsr, 30);
  const bool c = bit(spsr, 29);
  const bool v = bit(spsr, 28);
  bool result = true;
  switch (cond >> 1) {
    case 0:
      result = z;  // EQ
      break;
    case 1:
      result = c;  // CS
      break;
    case 2:
      result = n;  // MI
      break;
    case 3:
      result = v;  // VS
      break;
    case 4:
      result = c && !z;  // HI
      break;
    case 5:
      result = n == v;  // GE
      break;
    case 6:
      result = !z && n == v;  // GT
      break;
    default:
      return true;  // AL (0b1110) and the unconditional 0b1111
  }
  return (cond & 1) != 0 ? !result : result;
}

// Whether the instruction behind `esr` (EC 0x01..0x0E carry CV/COND) is to be executed: always
// for AArch64, else by its condition (ISS.CV = 1: ISS.COND; T32 with CV = 0: the IT block's).
[[nodiscard]] constexpr bool trapped_condition_passes(esr::Esr esr, u64 spsr) {
  const u32 ec = static_cast<u32>(esr.ec());
  if (!from_aarch32(spsr) || ec == 0 || ec > 0x0E) {
    return true;
  }
  if (bit(esr.raw(), 24)) {
    return condition_passes(static_cast<u32>(bits(esr.raw(), 23, 20)), spsr);
  }
  const u32 it = itstate(spsr);
  if ((spsr & kSpsrThumb) == 0 || it == 0) {
    return true;
  }
  return condition_passes(it >> 4, spsr);
}

// The saved PSTATE once the trapped instruction is stepped over: ITSTATE advanced inside an IT
// block, unchanged otherwise (and for AArch64).
[[nodiscard]] constexpr u64 step_pstate(u64 spsr) {
  if (!from_aarch32(spsr) || (spsr & kSpsrThumb) == 0) {
    return spsr;
  }
  const u32 it = itstate(spsr);
  if (it == 0) {
    return spsr;
  }
  const u32 next = (it & 0x7) == 0 ? 0 : (it & 0xE0) | ((it << 1) & 0x1F);
  return with_itstate(spsr, next);
}

}  // namespace runhv::aarch32
