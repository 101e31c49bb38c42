// The trapped AArch64 system registers runhv emulates (EC 0x18), as one table
// SPDX-License-Identifier: MIT
//
// With MDCR_EL2.{TDA, TDOSA, TDRA, TPM, TPMCR} set, a guest's debug, OS-lock and PMU register
// accesses trap to EL2. runhv offers no self-hosted debug and no PMU, and answers them the way
// Xen does: the registers read as zero and writes are ignored, except OSLSR_EL1, which reads
// OSLM = 0b10 ("OS lock implemented, not locked"). Unlike Xen, the architectural direction of each
// register is enforced: an MSR to a read-only register or an MRS of a write-only one is refused,
// as is every register the table does not list; the caller injects an undefined instruction.
//
// EL0 accesses need no separate treatment: the architecture makes EL1-only registers UNDEFINED at
// EL0, and the PMU's EL0 registers trap to EL1 first while the hardware PMUSERENR_EL0 is zero.
#pragma once

#include "core/esr.hpp"
#include "core/types.hpp"

namespace runhv {

enum class SysregKind : u8 {
  raz_wi,           // reads as zero, writes ignored (each as the row's directions allow)
  read_only_value,  // reads as SysregEntry::value; read-only
  write_ignored,    // write-only, writes ignored
  sgi1r,            // ICC_SGI1R_EL1: write-only; emulated by the vGIC, not here
};

// One row: a register, or a numbered family (DBGBVR<n>_EL1) whose members are evenly spaced in
// key order. The row covers first, first + stride, ..., last, with stride = 1 << index_shift.
struct SysregEntry {
  u32 first;
  u32 last;
  u8 index_shift;    // 0: consecutive op2 values; 3: consecutive CRm values
  const char* name;  // a family's name contains "<n>"
  SysregKind kind;
  bool can_read;
  bool can_write;
  u64 value;  // read_only_value: what a read returns

  [[nodiscard]] constexpr bool matches(u32 key) const {
    return key >= first && key <= last && ((key - first) & ((u32{1} << index_shift) - 1)) == 0;
  }
  // The member number n of a family (0 for a single register).
  [[nodiscard]] constexpr u32 index(u32 key) const { return (key - first) >> index_shift; }
};

// The whole table, for tests and listings.
struct SysregTable {
  const SysregEntry* entries;
  u32 count;
};
SysregTable sysreg_table();

// The row covering the key (esr::sysreg_key packing), or nullptr.
const SysregEntry* find_sysreg(u32 key);

struct SysregResult {
  enum class Kind : u8 {
    done,     // emulated: a read's value is read_value; the caller writes it to Rt (unless XZR)
    refused,  // unknown register or forbidden direction: the hypervisor refuses it
    sgi1r,    // the vGIC emulates it
  };
  Kind kind = Kind::refused;
  u64 read_value = 0;
  const SysregEntry* entry = nullptr;  // nullptr for an unknown register
};

SysregResult emulate_sysreg(const esr::SysregAccess& a);

// The row's name ("DBGBVR<n>_EL1" for a family member), or nullptr for a register not listed.
const char* sysreg_name(u32 key);

// The register's name for log lines ("DBGBVR3_EL1") or, for one the table does not know, the
// generic "S<op0>_<op1>_C<n>_C<m>_<op2>" form the assembler accepts. Always NUL-terminated;
// returns the length written.
usize format_sysreg_name(char* buf, usize size, u32 key);

}  // namespace runhv
