// The trapped system register table: every register by its architectural encoding, directions,
// the values reads return, and a table without overlaps
// SPDX-License-Identifier: MIT
#include "core/sysreg_table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace runhv {
namespace {

// An ESR_EL2 value for an MSR/MRS (EC 0x18, IL 1) as the hardware reports it.
u64 sysreg_esr(u8 op0, u8 op1, u8 crn, u8 crm, u8 op2, u8 rt, bool read) {
  return u64{0x18} << 26 | u64{1} << 25 | u64{op0} << 20 | u64{op2} << 17 | u64{op1} << 14 | u64{crn} << 10 |
         u64{rt} << 5 | u64{crm} << 1 | u64{read};
}

SysregResult access(u8 op0, u8 op1, u8 crn, u8 crm, u8 op2, bool read) {
  return emulate_sysreg(esr::SysregAccess::decode(esr::Esr(sysreg_esr(op0, op1, crn, crm, op2, 3, read))));
}

std::string name_of(u32 key) {
  char buf[40];
  format_sysreg_name(buf, sizeof(buf), key);
  return buf;
}

enum class Dir { rw, ro, wo };

struct Expected {
  const char* name;  // as format_sysreg_name prints it
  u8 op0, op1, crn, crm, op2;
  Dir dir;
};

// From the ARM ARM's encoding of each register (written independently of the table).
constexpr Expected kRegisters[] = {
    {"OSDTRRX_EL1", 2, 0, 0, 0, 2, Dir::rw},
    {"MDCCINT_EL1", 2, 0, 0, 2, 0, Dir::rw},
    {"MDSCR_EL1", 2, 0, 0, 2, 2, Dir::rw},
    {"OSDTRTX_EL1", 2, 0, 0, 3, 2, Dir::rw},
    {"OSECCR_EL1", 2, 0, 0, 6, 2, Dir::rw},
    {"DBGBVR0_EL1", 2, 0, 0, 0, 4, Dir::rw},
    {"DBGBCR0_EL1", 2, 0, 0, 0, 5, Dir::rw},
    {"DBGWVR0_EL1", 2, 0, 0, 0, 6, Dir::rw},
    {"DBGWCR0_EL1", 2, 0, 0, 0, 7, Dir::rw},
    {"DBGBVR15_EL1", 2, 0, 0, 15, 4, Dir::rw},
    {"DBGBCR15_EL1", 2, 0, 0, 15, 5, Dir::rw},
    {"DBGWVR15_EL1", 2, 0, 0, 15, 6, Dir::rw},
    {"DBGWCR15_EL1", 2, 0, 0, 15, 7, Dir::rw},
    {"DBGBVR7_EL1", 2, 0, 0, 7, 4, Dir::rw},
    {"MDRAR_EL1", 2, 0, 1, 0, 0, Dir::ro},
    {"OSLAR_EL1", 2, 0, 1, 0, 4, Dir::wo},
    {"OSLSR_EL1", 2, 0, 1, 1, 4, Dir::ro},
    {"OSDLR_EL1", 2, 0, 1, 3, 4, Dir::rw},
    {"DBGPRCR_EL1", 2, 0, 1, 4, 4, Dir::rw},
    {"DBGCLAIMSET_EL1", 2, 0, 7, 8, 6, Dir::rw},
    {"DBGCLAIMCLR_EL1", 2, 0, 7, 9, 6, Dir::rw},
    {"DBGAUTHSTATUS_EL1", 2, 0, 7, 14, 6, Dir::ro},
    {"MDCCSR_EL0", 2, 3, 0, 1, 0, Dir::ro},
    {"DBGDTR_EL0", 2, 3, 0, 4, 0, Dir::rw},
    {"DBGDTRRX_EL0/DBGDTRTX_EL0", 2, 3, 0, 5, 0, Dir::rw},
    {"PMINTENSET_EL1", 3, 0, 9, 14, 1, Dir::rw},
    {"PMINTENCLR_EL1", 3, 0, 9, 14, 2, Dir::rw},
    {"PMMIR_EL1", 3, 0, 9, 14, 6, Dir::ro},
    {"ICC_SGI1R_EL1", 3, 0, 12, 11, 5, Dir::wo},
    {"PMCR_EL0", 3, 3, 9, 12, 0, Dir::rw},
    {"PMCNTENSET_EL0", 3, 3, 9, 12, 1, Dir::rw},
    {"PMCNTENCLR_EL0", 3, 3, 9, 12, 2, Dir::rw},
    {"PMOVSCLR_EL0", 3, 3, 9, 12, 3, Dir::rw},
    {"PMSWINC_EL0", 3, 3, 9, 12, 4, Dir::wo},
    {"PMSELR_EL0", 3, 3, 9, 12, 5, Dir::rw},
    {"PMCEID0_EL0", 3, 3, 9, 12, 6, Dir::ro},
    {"PMCEID1_EL0", 3, 3, 9, 12, 7, Dir::ro},
    {"PMCCNTR_EL0", 3, 3, 9, 13, 0, Dir::rw},
    {"PMXEVTYPER_EL0", 3, 3, 9, 13, 1, Dir::rw},
    {"PMXEVCNTR_EL0", 3, 3, 9, 13, 2, Dir::rw},
    {"PMUSERENR_EL0", 3, 3, 9, 14, 0, Dir::rw},
    {"PMOVSSET_EL0", 3, 3, 9, 14, 3, Dir::rw},
    // PMEVCNTR<n>_EL0: CRm = 0b10:n[4:3], op2 = n[2:0]; PMEVTYPER<n>_EL0: CRm = 0b11:n[4:3].
    {"PMEVCNTR0_EL0", 3, 3, 14, 8, 0, Dir::rw},
    {"PMEVCNTR9_EL0", 3, 3, 14, 9, 1, Dir::rw},
    {"PMEVCNTR30_EL0", 3, 3, 14, 11, 6, Dir::rw},
    {"PMEVTYPER0_EL0", 3, 3, 14, 12, 0, Dir::rw},
    {"PMEVTYPER17_EL0", 3, 3, 14, 14, 1, Dir::rw},
    {"PMEVTYPER30_EL0", 3, 3, 14, 15, 6, Dir::rw},
    {"PMCCFILTR_EL0", 3, 3, 14, 15, 7, Dir::rw},
};

TEST(SysregTable, EveryRegisterIsFoundByItsEncoding) {
  for (const Expected& r : kRegisters) {
    const u32 key = esr::sysreg_key(r.op0, r.op1, r.crn, r.crm, r.op2);
    const SysregEntry* e = find_sysreg(key);
    ASSERT_NE(e, nullptr) << r.name;
    EXPECT_EQ(name_of(key), r.name);
    EXPECT_EQ(e->can_read, r.dir != Dir::wo) << r.name;
    EXPECT_EQ(e->can_write, r.dir != Dir::ro) << r.name;
  }
}

TEST(SysregTable, EveryRowIsCoveredByTheExpectedList) {
  const SysregTable t = sysreg_table();
  for (u32 i = 0; i < t.count; ++i) {
    bool covered = false;
    for (const Expected& r : kRegisters) {
      covered = covered || find_sysreg(esr::sysreg_key(r.op0, r.op1, r.crn, r.crm, r.op2)) == &t.entries[i];
    }
    EXPECT_TRUE(covered) << t.entries[i].name;
  }
}

TEST(SysregTable, DirectionsAreEnforced) {
  for (const Expected& r : kRegisters) {
    const SysregResult rd = access(r.op0, r.op1, r.crn, r.crm, r.op2, true);
    const SysregResult wr = access(r.op0, r.op1, r.crn, r.crm, r.op2, false);
    const bool sgi = std::string(r.name) == "ICC_SGI1R_EL1";
    EXPECT_EQ(rd.kind, r.dir == Dir::wo ? SysregResult::Kind::refused : SysregResult::Kind::done) << r.name;
    const SysregResult::Kind write_ok = sgi ? SysregResult::Kind::sgi1r : SysregResult::Kind::done;
    EXPECT_EQ(wr.kind, r.dir == Dir::ro ? SysregResult::Kind::refused : write_ok) << r.name;
    EXPECT_NE(rd.entry, nullptr) << r.name;  // a refused known register still names its row
  }
}

TEST(SysregTable, ReadsAsZeroExceptOslsr) {
  for (const Expected& r : kRegisters) {
    const SysregResult rd = access(r.op0, r.op1, r.crn, r.crm, r.op2, true);
    if (rd.kind == SysregResult::Kind::done && std::string(r.name) != "OSLSR_EL1") {
      EXPECT_EQ(rd.read_value, 0U) << r.name;
    }
  }
}

TEST(SysregTable, OslsrReportsTheOsLockImplementedAndUnlocked) {
  // MRS X0, OSLSR_EL1 as trapped: ESR 0x62280403.
  const SysregResult r = emulate_sysreg(esr::SysregAccess::decode(esr::Esr(0x62280403)));
  ASSERT_EQ(r.kind, SysregResult::Kind::done);
  EXPECT_EQ(r.read_value, 0x8U);  // OSLM = 0b10 (bits 3 and 0), OSLK (bit 1) = 0
  EXPECT_EQ(r.entry->kind, SysregKind::read_only_value);
  // MSR OSLSR_EL1: read-only.
  EXPECT_EQ(access(2, 0, 1, 1, 4, false).kind, SysregResult::Kind::refused);
}

TEST(SysregTable, OslarWriteIsIgnoredAndItsReadRefused) {
  // MSR OSLAR_EL1, X1 as trapped: ESR 0x62280420 (Linux clears the OS lock this way at boot).
  const SysregResult w = emulate_sysreg(esr::SysregAccess::decode(esr::Esr(0x62280420)));
  EXPECT_EQ(w.kind, SysregResult::Kind::done);
  EXPECT_EQ(w.entry->kind, SysregKind::write_ignored);
  EXPECT_EQ(access(2, 0, 1, 0, 4, true).kind, SysregResult::Kind::refused);
}

TEST(SysregTable, IccSgi1rIsLeftToTheVgic) {
  // MSR ICC_SGI1R_EL1, X30 as trapped: ESR 0x623A33D6.
  const SysregResult w = emulate_sysreg(esr::SysregAccess::decode(esr::Esr(0x623A33D6)));
  EXPECT_EQ(w.kind, SysregResult::Kind::sgi1r);
  EXPECT_EQ(std::string(w.entry->name), "ICC_SGI1R_EL1");
  EXPECT_EQ(access(3, 0, 12, 11, 5, true).kind, SysregResult::Kind::refused);
  // Its neighbours ICC_ASGI1R_EL1 and ICC_SGI0R_EL1 are not in the table.
  EXPECT_EQ(access(3, 0, 12, 11, 6, false).kind, SysregResult::Kind::refused);
  EXPECT_EQ(access(3, 0, 12, 11, 7, false).kind, SysregResult::Kind::refused);
}

TEST(SysregTable, BreakpointFamilyCoversExactlyItsMembers) {
  for (u8 n = 0; n < 16; ++n) {
    const SysregEntry* e = find_sysreg(esr::sysreg_key(2, 0, 0, n, 4));
    ASSERT_NE(e, nullptr) << int{n};
    EXPECT_EQ(e->index(esr::sysreg_key(2, 0, 0, n, 4)), n);
    EXPECT_EQ(name_of(esr::sysreg_key(2, 0, 0, n, 4)), "DBGBVR" + std::to_string(n) + "_EL1");
  }
  // Neighbouring encodings that are not breakpoint registers.
  EXPECT_EQ(find_sysreg(esr::sysreg_key(2, 0, 0, 15, 3)), nullptr);
  EXPECT_EQ(find_sysreg(esr::sysreg_key(2, 0, 0, 1, 2)), nullptr);
  EXPECT_EQ(find_sysreg(esr::sysreg_key(2, 1, 0, 15, 4)), nullptr);
  EXPECT_EQ(find_sysreg(esr::sysreg_key(2, 0, 1, 15, 4)), nullptr);
  EXPECT_EQ(find_sysreg(esr::sysreg_key(3, 0, 0, 15, 4)), nullptr);
  EXPECT_EQ(std::string(find_sysreg(esr::sysreg_key(2, 0, 1, 0, 4))->name), "OSLAR_EL1");
}

TEST(SysregTable, EventCounterFamiliesStopBeforeIndex31) {
  for (u32 n = 0; n < 31; ++n) {
    const u8 crm = static_cast<u8>(n >> 3);
    const u8 op2 = static_cast<u8>(n & 7);
    EXPECT_EQ(name_of(esr::sysreg_key(3, 3, 14, 8 | crm, op2)), "PMEVCNTR" + std::to_string(n) + "_EL0");
    EXPECT_EQ(name_of(esr::sysreg_key(3, 3, 14, 12 | crm, op2)), "PMEVTYPER" + std::to_string(n) + "_EL0");
  }
  EXPECT_EQ(find_sysreg(esr::sysreg_key(3, 3, 14, 11, 7)), nullptr);  // no PMEVCNTR31_EL0
  EXPECT_EQ(name_of(esr::sysreg_key(3, 3, 14, 15, 7)), "PMCCFILTR_EL0");
  EXPECT_EQ(find_sysreg(esr::sysreg_key(3, 3, 14, 7, 7)), nullptr);
}

TEST(SysregTable, UnknownRegistersAreRefusedAndNamedGenerically) {
  // SCTLR_EL1 (S3_0_C1_C0_0) is not trapped by anything runhv sets, so not in the table.
  const SysregResult r = access(3, 0, 1, 0, 0, true);
  EXPECT_EQ(r.kind, SysregResult::Kind::refused);
  EXPECT_EQ(r.entry, nullptr);
  EXPECT_EQ(name_of(esr::sysreg_key(3, 0, 1, 0, 0)), "S3_0_C1_C0_0");
  EXPECT_EQ(name_of(esr::sysreg_key(3, 7, 15, 15, 7)), "S3_7_C15_C15_7");
  EXPECT_EQ(name_of(esr::sysreg_key(0, 0, 0, 0, 0)), "S0_0_C0_C0_0");
  EXPECT_EQ(sysreg_name(esr::sysreg_key(3, 0, 1, 0, 0)), nullptr);
  EXPECT_EQ(std::string(sysreg_name(esr::sysreg_key(2, 0, 0, 3, 5))), "DBGBCR<n>_EL1");
}

TEST(SysregTable, NameIsTruncatedToTheBuffer) {
  char small[8];
  EXPECT_EQ(format_sysreg_name(small, sizeof(small), esr::sysreg_key(2, 0, 7, 14, 6)), 7U);
  EXPECT_EQ(std::string(small), "DBGAUTH");
}

TEST(SysregTable, RowsAreInKeyOrderAndNeverOverlap) {
  const SysregTable t = sysreg_table();
  ASSERT_GT(t.count, 0U);
  for (u32 i = 0; i < t.count; ++i) {
    const SysregEntry& e = t.entries[i];
    EXPECT_LE(e.first, e.last) << e.name;
    EXPECT_TRUE(e.matches(e.last)) << e.name;  // last is a member, not past the stride
    if (i > 0) {
      EXPECT_GT(e.first, t.entries[i - 1].first) << e.name;
    }
    EXPECT_EQ(e.first != e.last, std::string(e.name).find("<n>") != std::string::npos) << e.name;
  }
  // Every 16-bit key is matched by at most one row.
  for (u32 key = 0; key <= 0xFFFF; ++key) {
    u32 rows = 0;
    for (u32 i = 0; i < t.count; ++i) {
      rows += t.entries[i].matches(key) ? 1 : 0;
    }
    ASSERT_LE(rows, 1U) << name_of(key);
  }
}

TEST(SysregTable, KindsAgreeWithDirections) {
  const SysregTable t = sysreg_table();
  for (u32 i = 0; i < t.count; ++i) {
    const SysregEntry& e = t.entries[i];
    EXPECT_TRUE(e.can_read || e.can_write) << e.name;
    switch (e.kind) {
      case SysregKind::raz_wi:
        EXPECT_EQ(e.value, 0U) << e.name;
        break;
      case SysregKind::read_only_value:
        EXPECT_TRUE(e.can_read && !e.can_write) << e.name;
        break;
      case SysregKind::write_ignored:
      case SysregKind::sgi1r:
        EXPECT_TRUE(!e.can_read && e.can_write) << e.name;
        break;
    }
  }
}

}  // namespace
}  // namespace runhv
