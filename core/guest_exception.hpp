// A synchronous exception the hypervisor makes a guest take at EL1, as the architecture would
// SPDX-License-Identifier: MIT
//
// What taking an exception to AArch64 EL1 does (ARM ARM D1.10): ELR_EL1 = the faulting PC,
// SPSR_EL1 = PSTATE, FAR_EL1 = the faulting address (aborts), ESR_EL1 = the syndrome, then PSTATE
// = EL1h with D, A, I, F masked and PC = VBAR_EL1 + the vector for where it came from. runhv
// injects what Xen 4.17's traps.c does (inject_undef64_exception, inject_abt64_exception):
//   - undefined instruction (a system register no one emulates): EC 0x00, IL as trapped, ISS 0;
//   - data abort (an access no device serves, an IPA nothing backs): EC 0x25 from EL1, 0x24
//     from EL0, IL = 1, ISS 0 (DFSC 0), FAR_EL1 the VA;
//   - instruction abort (a fetch from an IPA nothing backs): EC 0x21 / 0x20, likewise.
#pragma once

#include "core/types.hpp"

namespace runhv::guest_exception {

// PSTATE.M values (SPSR_EL2 of the trapped guest).
inline constexpr u64 kModeMask = 0x1F;
inline constexpr u64 kModeAarch32 = 0x10;  // M[4]: the guest was in AArch32 (EL0)
inline constexpr u64 kModeEl0t = 0x0;
inline constexpr u64 kModeEl1t = 0x4;
inline constexpr u64 kModeEl1h = 0x5;
inline constexpr u64 kDaif = 0xF << 6;

// Vector offsets from VBAR_EL1 of a synchronous exception.
inline constexpr u64 kVectorCurrentSp0 = 0x000;
inline constexpr u64 kVectorCurrentSpx = 0x200;
inline constexpr u64 kVectorLower64 = 0x400;
inline constexpr u64 kVectorLower32 = 0x600;

inline constexpr u32 kEcUnknown = 0x00;
inline constexpr u32 kEcInstructionAbortLower = 0x20;
inline constexpr u32 kEcInstructionAbortCurrent = 0x21;
inline constexpr u32 kEcDataAbortLower = 0x24;
inline constexpr u32 kEcDataAbortCurrent = 0x25;
inline constexpr u64 kEsrIl = u64{1} << 25;

[[nodiscard]] constexpr bool from_el0(u64 spsr) {
  return (spsr & kModeAarch32) != 0 || (spsr & kModeMask) == kModeEl0t;
}

[[nodiscard]] constexpr u64 sync_vector_offset(u64 spsr) {
  if ((spsr & kModeAarch32) != 0) {
    return kVectorLower32;
  }
  switch (spsr & kModeMask) {
    case kModeEl0t:
      return kVectorLower64;
    case kModeEl1t:
      return kVectorCurrentSp0;
    default:
      return kVectorCurrentSpx;
  }
}

[[nodiscard]] constexpr u64 esr_of(u32 ec, bool il) { return (u64{ec} << 26) | (il ? kEsrIl : 0); }

// ESR_EL1 of the aborts Xen injects (ISS 0).
[[nodiscard]] constexpr u64 data_abort_esr(u64 spsr) {
  return esr_of(from_el0(spsr) ? kEcDataAbortLower : kEcDataAbortCurrent, true);
}
[[nodiscard]] constexpr u64 instruction_abort_esr(u64 spsr) {
  return esr_of(from_el0(spsr) ? kEcInstructionAbortLower : kEcInstructionAbortCurrent, true);
}

// What the guest's registers become.
struct Entry {
  u64 pc;      // ELR_EL2 for the entry: the vector
  u64 pstate;  // SPSR_EL2 for the entry: EL1h, DAIF masked
  u64 elr_el1;
  u64 spsr_el1;
  u64 esr_el1;
  u64 far_el1;
  bool sets_far;  // aborts only; an undefined instruction leaves FAR_EL1 alone (Xen does)
};

[[nodiscard]] constexpr Entry enter(u64 pc, u64 spsr, u64 vbar_el1, u64 esr, u64 far, bool sets_far) {
  return Entry{vbar_el1 + sync_vector_offset(spsr), kModeEl1h | kDaif, pc, spsr, esr, far, sets_far};
}

[[nodiscard]] constexpr Entry data_abort(u64 pc, u64 spsr, u64 vbar_el1, u64 far) {
  return enter(pc, spsr, vbar_el1, data_abort_esr(spsr), far, true);
}

[[nodiscard]] constexpr Entry instruction_abort(u64 pc, u64 spsr, u64 vbar_el1, u64 far) {
  return enter(pc, spsr, vbar_el1, instruction_abort_esr(spsr), far, true);
}

// `il`: the trapped instruction's length bit (ESR_EL2.IL), which Xen passes on.
[[nodiscard]] constexpr Entry undefined(u64 pc, u64 spsr, u64 vbar_el1, bool il) {
  return enter(pc, spsr, vbar_el1, esr_of(kEcUnknown, il), 0, false);
}

}  // namespace runhv::guest_exception
