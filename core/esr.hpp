// ESR_EL2, the syndrome of an exception taken to EL2, and the ISS encodings runhv decodes
// SPDX-License-Identifier: MIT
//
// Layout (ARM ARM, ESR_EL2): EC [31:26], IL [25], ISS [24:0]. Each decoder below reads the ISS of
// one exception class; calling it on an Esr of another class yields meaningless fields, so the
// caller dispatches on ec() first. Only the AArch64 encodings are decoded (guests are AArch64).
#pragma once

#include "core/types.hpp"

namespace runhv::esr {

// Exception classes a guest can raise at EL2 (the values are the EC field).
enum class Ec : u8 {
  unknown = 0x00,
  wfx = 0x01,
  fp_access = 0x07,
  illegal_state = 0x0E,
  hvc32 = 0x12,
  smc32 = 0x13,
  svc64 = 0x15,
  hvc64 = 0x16,
  smc64 = 0x17,
  sysreg = 0x18,
  sve = 0x19,
  iabt_lower = 0x20,
  iabt_same = 0x21,
  pc_align = 0x22,
  dabt_lower = 0x24,
  dabt_same = 0x25,
  sp_align = 0x26,
  serror = 0x2F,
  brk64 = 0x3C,
};

// A short human name for log lines; "other" for classes not listed in Ec.
constexpr const char* ec_name(Ec ec) {
  switch (ec) {
    case Ec::unknown:
      return "unknown reason";
    case Ec::wfx:
      return "WFI/WFE";
    case Ec::fp_access:
      return "FP/SIMD access";
    case Ec::illegal_state:
      return "illegal execution state";
    case Ec::hvc32:
      return "HVC (AArch32)";
    case Ec::smc32:
      return "SMC (AArch32)";
    case Ec::svc64:
      return "SVC";
    case Ec::hvc64:
      return "HVC";
    case Ec::smc64:
      return "SMC";
    case Ec::sysreg:
      return "system register access";
    case Ec::sve:
      return "SVE access";
    case Ec::iabt_lower:
      return "instruction abort, lower EL";
    case Ec::iabt_same:
      return "instruction abort, same EL";
    case Ec::pc_align:
      return "PC alignment fault";
    case Ec::dabt_lower:
      return "data abort, lower EL";
    case Ec::dabt_same:
      return "data abort, same EL";
    case Ec::sp_align:
      return "SP alignment fault";
    case Ec::serror:
      return "SError";
    case Ec::brk64:
      return "BRK";
  }
  return "other";
}

class Esr {
 public:
  constexpr explicit Esr(u64 raw) : raw_(raw) {}
  [[nodiscard]] constexpr u64 raw() const { return raw_; }
  // Any EC value, including ones Ec does not name.
  [[nodiscard]] constexpr Ec ec() const { return static_cast<Ec>(bits(raw_, 31, 26)); }
  // The trapped instruction was 32 bits long (always so for AArch64 instructions).
  [[nodiscard]] constexpr bool il() const { return bit(raw_, 25); }
  [[nodiscard]] constexpr u32 iss() const { return static_cast<u32>(bits(raw_, 24, 0)); }
  // How far to advance the PC to skip the trapped instruction.
  [[nodiscard]] constexpr u32 instruction_bytes() const { return il() ? 4 : 2; }

 private:
  u64 raw_;
};

// ---- Fault status codes (DFSC / IFSC, 6 bits); the low two bits give the lookup level 0..3.

constexpr bool is_translation_fault(u8 fsc) { return (fsc & 0x3C) == 0x04; }
constexpr bool is_access_flag_fault(u8 fsc) { return (fsc & 0x3C) == 0x08; }
constexpr bool is_permission_fault(u8 fsc) { return (fsc & 0x3C) == 0x0C; }

// ---- EC 0x24 / 0x25: data abort

struct DataAbort {
  bool isv = false;    // the fields sas..ar describe the access (a single-register load/store)
  u8 sas = 0;          // access size, log2 of the byte count: 0..3
  bool sse = false;    // the load sign-extends
  u8 srt = 0;          // the transfer register, 0..31 (31 is XZR)
  bool sf = false;     // the transfer register is 64-bit (X), else 32-bit (W)
  bool ar = false;     // acquire/release semantics
  bool fnv = false;    // FAR is not valid
  bool ea = false;     // external abort
  bool cm = false;     // the fault came from a cache maintenance or address translation instruction
  bool s1ptw = false;  // stage-2 fault on the stage-1 translation table walk
  bool wnr = false;    // write (or cache maintenance), not read
  u8 dfsc = 0;         // data fault status code

  [[nodiscard]] constexpr u8 access_bytes() const { return static_cast<u8>(1U << sas); }
  [[nodiscard]] constexpr bool translation_fault() const { return is_translation_fault(dfsc); }
  [[nodiscard]] constexpr bool access_flag_fault() const { return is_access_flag_fault(dfsc); }
  [[nodiscard]] constexpr bool permission_fault() const { return is_permission_fault(dfsc); }

  static constexpr DataAbort decode(Esr esr) {
    const u64 iss = esr.iss();
    DataAbort d;
    d.isv = bit(iss, 24);
    d.sas = static_cast<u8>(bits(iss, 23, 22));
    d.sse = bit(iss, 21);
    d.srt = static_cast<u8>(bits(iss, 20, 16));
    d.sf = bit(iss, 15);
    d.ar = bit(iss, 14);
    d.fnv = bit(iss, 10);
    d.ea = bit(iss, 9);
    d.cm = bit(iss, 8);
    d.s1ptw = bit(iss, 7);
    d.wnr = bit(iss, 6);
    d.dfsc = static_cast<u8>(bits(iss, 5, 0));
    return d;
  }
};

// ---- EC 0x20 / 0x21: instruction abort

struct InstructionAbort {
  bool fnv = false;
  bool ea = false;
  bool s1ptw = false;
  u8 ifsc = 0;  // instruction fault status code

  [[nodiscard]] constexpr bool translation_fault() const { return is_translation_fault(ifsc); }
  [[nodiscard]] constexpr bool access_flag_fault() const { return is_access_flag_fault(ifsc); }
  [[nodiscard]] constexpr bool permission_fault() const { return is_permission_fault(ifsc); }

  static constexpr InstructionAbort decode(Esr esr) {
    const u64 iss = esr.iss();
    InstructionAbort i;
    i.fnv = bit(iss, 10);
    i.ea = bit(iss, 9);
    i.s1ptw = bit(iss, 7);
    i.ifsc = static_cast<u8>(bits(iss, 5, 0));
    return i;
  }
};

// ---- EC 0x18: MSR/MRS (and SYS) trapped

// A system register's encoding packed as the MRS/MSR instruction bits [20:5] hold it:
// op0 [15:14], op1 [13:11], CRn [10:7], CRm [6:3], op2 [2:0]. Numeric order follows the encoding.
constexpr u32 sysreg_key(u8 op0, u8 op1, u8 crn, u8 crm, u8 op2) {
  return (u32{op0} & 3) << 14 | (u32{op1} & 7) << 11 | (u32{crn} & 15) << 7 | (u32{crm} & 15) << 3 | (u32{op2} & 7);
}

struct SysregAccess {
  u8 op0 = 0;
  u8 op1 = 0;
  u8 crn = 0;
  u8 crm = 0;
  u8 op2 = 0;
  u8 rt = 0;          // the general-purpose register, 0..31 (31 is XZR)
  bool read = false;  // MRS (the register is read into Rt); else MSR

  [[nodiscard]] constexpr u32 key() const { return sysreg_key(op0, op1, crn, crm, op2); }

  static constexpr SysregAccess decode(Esr esr) {
    const u64 iss = esr.iss();
    SysregAccess s;
    s.op0 = static_cast<u8>(bits(iss, 21, 20));
    s.op2 = static_cast<u8>(bits(iss, 19, 17));
    s.op1 = static_cast<u8>(bits(iss, 16, 14));
    s.crn = static_cast<u8>(bits(iss, 13, 10));
    s.rt = static_cast<u8>(bits(iss, 9, 5));
    s.crm = static_cast<u8>(bits(iss, 4, 1));
    s.read = bit(iss, 0);
    return s;
  }
};

// ---- EC 0x16 / 0x17 (and 0x12 / 0x13): HVC and SMC

struct HvcSmc {
  u16 imm = 0;  // the instruction's 16-bit immediate

  static constexpr HvcSmc decode(Esr esr) { return HvcSmc{static_cast<u16>(bits(esr.iss(), 15, 0))}; }
  // ESR_EL2 of an A64 `hvc #imm` (ISS[24:16] RES0): one compare tells an exit is that call.
  static constexpr u64 hvc64_syndrome(u16 imm) { return (u64{0x16} << 26) | (u64{1} << 25) | imm; }
};

// ---- EC 0x01: WFI, WFE, WFIT, WFET

struct Wfx {
  enum class Kind : u8 { wfi = 0, wfe = 1, wfit = 2, wfet = 3 };
  Kind kind = Kind::wfi;
  bool rv = false;  // rn is valid (WFIT/WFET: the register holding the timeout)
  u8 rn = 0;

  static constexpr Wfx decode(Esr esr) {
    const u64 iss = esr.iss();
    Wfx w;
    w.kind = static_cast<Kind>(bits(iss, 1, 0));
    w.rv = bit(iss, 2);
    w.rn = static_cast<u8>(bits(iss, 9, 5));
    return w;
  }
};

}  // namespace runhv::esr
