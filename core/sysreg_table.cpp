// The trapped AArch64 system registers runhv emulates
// SPDX-License-Identifier: MIT
#include "core/sysreg_table.hpp"

#include "core/format.hpp"

namespace runhv {
namespace {

using esr::sysreg_key;

constexpr SysregEntry one(u32 key, const char* name, SysregKind kind, bool can_read, bool can_write, u64 value = 0) {
  return SysregEntry{key, key, 0, name, kind, can_read, can_write, value};
}
constexpr SysregEntry rw(u32 key, const char* name) { return one(key, name, SysregKind::raz_wi, true, true); }
constexpr SysregEntry ro_zero(u32 key, const char* name) { return one(key, name, SysregKind::raz_wi, true, false); }

// Members first..last of a read/write RAZ/WI family.
constexpr SysregEntry family(u32 first, u32 last, u8 index_shift, const char* name) {
  return SysregEntry{first, last, index_shift, name, SysregKind::raz_wi, true, true, 0};
}

// OSLSR_EL1.OSLM = 0b10 (bit 3 set, bit 0 clear): the OS lock is implemented; OSLK = 0: unlocked.
constexpr u64 kOslsrUnlocked = u64{1} << 3;

// In key order (op0, op1, CRn, CRm, op2). Encodings: ARM ARM, the registers' MRS/MSR encodings.
constexpr SysregEntry kTable[] = {
    // Debug (op0 = 2): MDCR_EL2.TDA, TDOSA, TDRA.
    rw(sysreg_key(2, 0, 0, 0, 2), "OSDTRRX_EL1"),
    family(sysreg_key(2, 0, 0, 0, 4), sysreg_key(2, 0, 0, 15, 4), 3, "DBGBVR<n>_EL1"),
    family(sysreg_key(2, 0, 0, 0, 5), sysreg_key(2, 0, 0, 15, 5), 3, "DBGBCR<n>_EL1"),
    family(sysreg_key(2, 0, 0, 0, 6), sysreg_key(2, 0, 0, 15, 6), 3, "DBGWVR<n>_EL1"),
    family(sysreg_key(2, 0, 0, 0, 7), sysreg_key(2, 0, 0, 15, 7), 3, "DBGWCR<n>_EL1"),
    rw(sysreg_key(2, 0, 0, 2, 0), "MDCCINT_EL1"),
    rw(sysreg_key(2, 0, 0, 2, 2), "MDSCR_EL1"),
    rw(sysreg_key(2, 0, 0, 3, 2), "OSDTRTX_EL1"),
    rw(sysreg_key(2, 0, 0, 6, 2), "OSECCR_EL1"),
    ro_zero(sysreg_key(2, 0, 1, 0, 0), "MDRAR_EL1"),
    one(sysreg_key(2, 0, 1, 0, 4), "OSLAR_EL1", SysregKind::write_ignored, false, true),
    one(sysreg_key(2, 0, 1, 1, 4), "OSLSR_EL1", SysregKind::read_only_value, true, false, kOslsrUnlocked),
    rw(sysreg_key(2, 0, 1, 3, 4), "OSDLR_EL1"),
    rw(sysreg_key(2, 0, 1, 4, 4), "DBGPRCR_EL1"),
    rw(sysreg_key(2, 0, 7, 8, 6), "DBGCLAIMSET_EL1"),
    rw(sysreg_key(2, 0, 7, 9, 6), "DBGCLAIMCLR_EL1"),
    ro_zero(sysreg_key(2, 0, 7, 14, 6), "DBGAUTHSTATUS_EL1"),
    ro_zero(sysreg_key(2, 3, 0, 1, 0), "MDCCSR_EL0"),
    rw(sysreg_key(2, 3, 0, 4, 0), "DBGDTR_EL0"),
    rw(sysreg_key(2, 3, 0, 5, 0), "DBGDTRRX_EL0/DBGDTRTX_EL0"),  // one encoding: RX read, TX written

    // PMU (op0 = 3): MDCR_EL2.TPM (and TPMCR for PMCR_EL0).
    rw(sysreg_key(3, 0, 9, 14, 1), "PMINTENSET_EL1"),
    rw(sysreg_key(3, 0, 9, 14, 2), "PMINTENCLR_EL1"),
    ro_zero(sysreg_key(3, 0, 9, 14, 6), "PMMIR_EL1"),

    // GICv3 CPU interface: an SGI sent by the guest.
    one(sysreg_key(3, 0, 12, 11, 5), "ICC_SGI1R_EL1", SysregKind::sgi1r, false, true),

    rw(sysreg_key(3, 3, 9, 12, 0), "PMCR_EL0"),
    rw(sysreg_key(3, 3, 9, 12, 1), "PMCNTENSET_EL0"),
    rw(sysreg_key(3, 3, 9, 12, 2), "PMCNTENCLR_EL0"),
    rw(sysreg_key(3, 3, 9, 12, 3), "PMOVSCLR_EL0"),
    one(sysreg_key(3, 3, 9, 12, 4), "PMSWINC_EL0", SysregKind::write_ignored, false, true),
    rw(sysreg_key(3, 3, 9, 12, 5), "PMSELR_EL0"),
    ro_zero(sysreg_key(3, 3, 9, 12, 6), "PMCEID0_EL0"),
    ro_zero(sysreg_key(3, 3, 9, 12, 7), "PMCEID1_EL0"),
    rw(sysreg_key(3, 3, 9, 13, 0), "PMCCNTR_EL0"),
    rw(sysreg_key(3, 3, 9, 13, 1), "PMXEVTYPER_EL0"),
    rw(sysreg_key(3, 3, 9, 13, 2), "PMXEVCNTR_EL0"),
    rw(sysreg_key(3, 3, 9, 14, 0), "PMUSERENR_EL0"),
    rw(sysreg_key(3, 3, 9, 14, 3), "PMOVSSET_EL0"),
    // n = CRm[1:0]:op2 for n = 0..30; n = 31 of the type family is PMCCFILTR_EL0.
    family(sysreg_key(3, 3, 14, 8, 0), sysreg_key(3, 3, 14, 11, 6), 0, "PMEVCNTR<n>_EL0"),
    family(sysreg_key(3, 3, 14, 12, 0), sysreg_key(3, 3, 14, 15, 6), 0, "PMEVTYPER<n>_EL0"),
    rw(sysreg_key(3, 3, 14, 15, 7), "PMCCFILTR_EL0"),
};
constexpr u32 kTableSize = sizeof(kTable) / sizeof(kTable[0]);

bool is_family(const SysregEntry& e) { return e.first != e.last; }

}  // namespace

SysregTable sysreg_table() { return SysregTable{kTable, kTableSize}; }

const SysregEntry* find_sysreg(u32 key) {
  for (const SysregEntry& e : kTable) {
    if (e.matches(key)) {
      return &e;
    }
  }
  return nullptr;
}

SysregResult emulate_sysreg(const esr::SysregAccess& a) {
  SysregResult r;
  r.entry = find_sysreg(a.key());
  if (r.entry == nullptr || !(a.read ? r.entry->can_read : r.entry->can_write)) {
    return r;
  }
  switch (r.entry->kind) {
    case SysregKind::sgi1r:
      r.kind = SysregResult::Kind::sgi1r;
      return r;
    case SysregKind::read_only_value:
      r.read_value = r.entry->value;
      break;
    case SysregKind::raz_wi:
    case SysregKind::write_ignored:
      break;
  }
  r.kind = SysregResult::Kind::done;
  return r;
}

const char* sysreg_name(u32 key) {
  const SysregEntry* e = find_sysreg(key);
  return e == nullptr ? nullptr : e->name;
}

usize format_sysreg_name(char* buf, usize size, u32 key) {
  const SysregEntry* e = find_sysreg(key);
  if (e == nullptr) {
    return format(buf, size, "S%u_%u_C%u_C%u_%u", static_cast<unsigned>(bits(key, 15, 14)),
                  static_cast<unsigned>(bits(key, 13, 11)), static_cast<unsigned>(bits(key, 10, 7)),
                  static_cast<unsigned>(bits(key, 6, 3)), static_cast<unsigned>(bits(key, 2, 0)));
  }
  if (!is_family(*e)) {
    return format(buf, size, "%s", e->name);
  }
  // The member number goes where the name says "<n>".
  char prefix[32];
  usize len = 0;
  const char* rest = e->name;
  while (rest[0] != '\0' && !(rest[0] == '<' && rest[1] == 'n' && rest[2] == '>') && len + 1 < sizeof(prefix)) {
    prefix[len++] = *rest++;
  }
  prefix[len] = '\0';
  if (rest[0] == '<' && rest[1] == 'n' && rest[2] == '>') {
    rest += 3;
  }
  return format(buf, size, "%s%u%s", prefix, static_cast<unsigned>(e->index(key)), rest);
}

}  // namespace runhv
