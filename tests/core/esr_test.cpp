// ESR_EL2 decoding: every field of every decoded class, from syndromes as the hardware reports them
// SPDX-License-Identifier: MIT
#include "core/esr.hpp"

#include <gtest/gtest.h>

#include <string>

namespace runhv::esr {
namespace {

// The syndromes below are written out as hex and worked out bit by bit from the ARM ARM layouts.
// 0x93810006: EC 0x24 (dabt lower), IL 1, ISV 1, SAS 2 (word), SSE 0, SRT 1, SF 0, WnR 0, DFSC 0x06
// (translation fault, level 2): LDR W1, [X0] into an unmapped IPA.
constexpr u64 kLdrW1 = 0x93810006;
// 0x93C28047: ISV 1, SAS 3, SRT 2, SF 1, WnR 1, DFSC 0x07: STR X2, [X3], translation fault level 3.
constexpr u64 kStrX2 = 0x93C28047;
// 0x93FFC7FF: a data abort with every decoded ISS bit set (SAS 3, SRT 31, DFSC 0x3F).
constexpr u64 kDabtAllOnes = 0x93FFC7FF;
// 0x92000006: ISV 0 (for instance an LDP): no access syndrome.
constexpr u64 kLdpNoSyndrome = 0x92000006;

TEST(Esr, ClassLengthAndIssAreSplitAtBits26And25) {
  const Esr e(kLdrW1);
  EXPECT_EQ(e.ec(), Ec::dabt_lower);
  EXPECT_TRUE(e.il());
  EXPECT_EQ(e.iss(), 0x1810006U);
  EXPECT_EQ(e.raw(), kLdrW1);
  EXPECT_EQ(e.instruction_bytes(), 4U);
}

TEST(Esr, ClearIlMeansASixteenBitInstruction) {
  // 0x04000001: EC 0x01, IL 0, TI 01: a 16-bit T32 WFE.
  const Esr e(0x04000001);
  EXPECT_EQ(e.ec(), Ec::wfx);
  EXPECT_FALSE(e.il());
  EXPECT_EQ(e.instruction_bytes(), 2U);
}

TEST(Esr, Iss2AboveBit31DoesNotLeakIntoTheFields) {
  const Esr e((u64{0x1F} << 32) | kLdrW1);
  EXPECT_EQ(e.ec(), Ec::dabt_lower);
  EXPECT_EQ(e.iss(), 0x1810006U);
  EXPECT_EQ(e.raw() >> 32, 0x1FU);
}

TEST(Esr, ClassBoundaries) {
  EXPECT_EQ(Esr(0x00000000).ec(), Ec::unknown);
  EXPECT_EQ(static_cast<u8>(Esr(0xFC000000).ec()), 0x3F);
  EXPECT_EQ(Esr(0xF2000000).ec(), Ec::brk64);
  EXPECT_EQ(Esr(0xBE000000).ec(), Ec::serror);
  EXPECT_EQ(Esr(0x62000000).ec(), Ec::sysreg);
  EXPECT_EQ(Esr(0x5A000000).ec(), Ec::hvc64);
  EXPECT_EQ(Esr(0x5E000000).ec(), Ec::smc64);
  EXPECT_EQ(Esr(0x4A000000).ec(), Ec::hvc32);
  EXPECT_EQ(Esr(0x4E000000).ec(), Ec::smc32);
  EXPECT_EQ(Esr(0x82000000).ec(), Ec::iabt_lower);
  EXPECT_EQ(Esr(0x86000000).ec(), Ec::iabt_same);
  EXPECT_EQ(Esr(0x96000000).ec(), Ec::dabt_same);
}

TEST(Esr, ClassNamesForLogLines) {
  EXPECT_EQ(std::string(ec_name(Ec::hvc64)), "HVC");
  EXPECT_EQ(std::string(ec_name(Ec::dabt_lower)), "data abort, lower EL");
  EXPECT_EQ(std::string(ec_name(Ec::iabt_lower)), "instruction abort, lower EL");
  EXPECT_EQ(std::string(ec_name(Ec::sysreg)), "system register access");
  EXPECT_EQ(std::string(ec_name(Ec::wfx)), "WFI/WFE");
  EXPECT_EQ(std::string(ec_name(static_cast<Ec>(0x3F))), "other");
  EXPECT_EQ(std::string(ec_name(static_cast<Ec>(0x11))), "other");
  const Ec named[] = {Ec::unknown,   Ec::wfx,        Ec::fp_access, Ec::illegal_state, Ec::hvc32,
                      Ec::smc32,     Ec::svc64,      Ec::hvc64,     Ec::smc64,         Ec::sysreg,
                      Ec::sve,       Ec::iabt_lower, Ec::iabt_same, Ec::pc_align,      Ec::dabt_lower,
                      Ec::dabt_same, Ec::sp_align,   Ec::serror,    Ec::brk64};
  for (Ec ec : named) {
    EXPECT_NE(std::string(ec_name(ec)), "other") << static_cast<int>(ec);
  }
}

TEST(Esr, DecodersAreConstexpr) {
  static_assert(Esr(0x5A000EA1).ec() == Ec::hvc64);
  static_assert(HvcSmc::decode(Esr(0x5A000EA1)).imm == 0xEA1);
  static_assert(DataAbort::decode(Esr(kLdrW1)).access_bytes() == 4);
  static_assert(SysregAccess::decode(Esr(0x62280403)).key() == sysreg_key(2, 0, 1, 1, 4));
}

// ---- data abort

TEST(DataAbort, LdrWordIntoW1) {
  const DataAbort d = DataAbort::decode(Esr(kLdrW1));
  EXPECT_TRUE(d.isv);
  EXPECT_EQ(d.sas, 2);
  EXPECT_EQ(d.access_bytes(), 4);
  EXPECT_FALSE(d.sse);
  EXPECT_EQ(d.srt, 1);
  EXPECT_FALSE(d.sf);
  EXPECT_FALSE(d.ar);
  EXPECT_FALSE(d.fnv);
  EXPECT_FALSE(d.ea);
  EXPECT_FALSE(d.cm);
  EXPECT_FALSE(d.s1ptw);
  EXPECT_FALSE(d.wnr);
  EXPECT_EQ(d.dfsc, 0x06);
  EXPECT_TRUE(d.translation_fault());
}

TEST(DataAbort, StrDoublewordFromX2) {
  const DataAbort d = DataAbort::decode(Esr(kStrX2));
  EXPECT_TRUE(d.isv);
  EXPECT_EQ(d.sas, 3);
  EXPECT_EQ(d.access_bytes(), 8);
  EXPECT_EQ(d.srt, 2);
  EXPECT_TRUE(d.sf);
  EXPECT_TRUE(d.wnr);
  EXPECT_EQ(d.dfsc, 0x07);
}

TEST(DataAbort, AccessSizeEachValue) {
  // SAS is ISS[23:22]: 0x93010006 | sas << 22.
  EXPECT_EQ(DataAbort::decode(Esr(0x93010006)).access_bytes(), 1);
  EXPECT_EQ(DataAbort::decode(Esr(0x93410006)).access_bytes(), 2);
  EXPECT_EQ(DataAbort::decode(Esr(0x93810006)).access_bytes(), 4);
  EXPECT_EQ(DataAbort::decode(Esr(0x93C10006)).access_bytes(), 8);
}

TEST(DataAbort, SignExtendingByteLoadIntoX5) {
  // 0x93258006: ISV, SAS 0, SSE 1, SRT 5, SF 1: LDRSB X5, [..].
  const DataAbort d = DataAbort::decode(Esr(0x93258006));
  EXPECT_EQ(d.sas, 0);
  EXPECT_TRUE(d.sse);
  EXPECT_EQ(d.srt, 5);
  EXPECT_TRUE(d.sf);
  EXPECT_FALSE(d.wnr);
}

TEST(DataAbort, SignExtendingHalfwordLoadIntoW7) {
  // 0x93670006: ISV, SAS 1, SSE 1, SRT 7, SF 0: LDRSH W7, [..].
  const DataAbort d = DataAbort::decode(Esr(0x93670006));
  EXPECT_EQ(d.access_bytes(), 2);
  EXPECT_TRUE(d.sse);
  EXPECT_EQ(d.srt, 7);
  EXPECT_FALSE(d.sf);
}

TEST(DataAbort, TransferRegisterBoundaries) {
  EXPECT_EQ(DataAbort::decode(Esr(0x93800006)).srt, 0);   // X0
  EXPECT_EQ(DataAbort::decode(Esr(0x939F0006)).srt, 31);  // XZR
}

TEST(DataAbort, AllBitsSet) {
  const DataAbort d = DataAbort::decode(Esr(kDabtAllOnes));
  EXPECT_TRUE(d.isv);
  EXPECT_EQ(d.sas, 3);
  EXPECT_TRUE(d.sse);
  EXPECT_EQ(d.srt, 31);
  EXPECT_TRUE(d.sf);
  EXPECT_TRUE(d.ar);
  EXPECT_TRUE(d.fnv);
  EXPECT_TRUE(d.ea);
  EXPECT_TRUE(d.cm);
  EXPECT_TRUE(d.s1ptw);
  EXPECT_TRUE(d.wnr);
  EXPECT_EQ(d.dfsc, 0x3F);
}

TEST(DataAbort, EachFlagBitAlone) {
  // Base: 0x92000000 (EC 0x24, IL 1, all ISS clear), then one ISS bit at a time.
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 24)).isv);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 21)).sse);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 15)).sf);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 14)).ar);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 10)).fnv);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 9)).ea);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 8)).cm);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 7)).s1ptw);
  EXPECT_TRUE(DataAbort::decode(Esr(0x92000000 | 1U << 6)).wnr);
  const DataAbort none = DataAbort::decode(Esr(0x92000000));
  EXPECT_FALSE(none.isv || none.sse || none.sf || none.ar || none.fnv || none.ea || none.cm || none.s1ptw || none.wnr);
  EXPECT_EQ(none.sas, 0);
  EXPECT_EQ(none.srt, 0);
  EXPECT_EQ(none.dfsc, 0);
}

TEST(DataAbort, NoSyndromeForAPairLoad) {
  const DataAbort d = DataAbort::decode(Esr(kLdpNoSyndrome));
  EXPECT_FALSE(d.isv);
  EXPECT_TRUE(d.translation_fault());
}

TEST(DataAbort, FaultStatusClasses) {
  for (u8 level = 0; level < 4; ++level) {
    const DataAbort t = DataAbort::decode(Esr(0x92000004 + level));
    const DataAbort a = DataAbort::decode(Esr(0x92000008 + level));
    const DataAbort p = DataAbort::decode(Esr(0x9200000C + level));
    EXPECT_TRUE(t.translation_fault() && !t.access_flag_fault() && !t.permission_fault()) << int{level};
    EXPECT_TRUE(!a.translation_fault() && a.access_flag_fault() && !a.permission_fault()) << int{level};
    EXPECT_TRUE(!p.translation_fault() && !p.access_flag_fault() && p.permission_fault()) << int{level};
  }
  // Neighbours: 0x00..0x03 address size faults, 0x10 synchronous external abort, 0x21 alignment.
  for (u8 fsc : {u8{0x00}, u8{0x03}, u8{0x10}, u8{0x21}, u8{0x3F}, u8{0x14}}) {
    const DataAbort d = DataAbort::decode(Esr(0x92000000U | fsc));
    EXPECT_FALSE(d.translation_fault() || d.access_flag_fault() || d.permission_fault()) << int{fsc};
  }
}

// ---- instruction abort

TEST(InstructionAbort, TranslationFaultLevel2) {
  // 0x82000006: EC 0x20, IL 1, IFSC 0x06.
  const Esr e(0x82000006);
  EXPECT_EQ(e.ec(), Ec::iabt_lower);
  const InstructionAbort i = InstructionAbort::decode(e);
  EXPECT_EQ(i.ifsc, 0x06);
  EXPECT_TRUE(i.translation_fault());
  EXPECT_FALSE(i.s1ptw);
  EXPECT_FALSE(i.fnv);
  EXPECT_FALSE(i.ea);
}

TEST(InstructionAbort, FlagsAndClasses) {
  EXPECT_TRUE(InstructionAbort::decode(Esr(0x82000086)).s1ptw);
  EXPECT_TRUE(InstructionAbort::decode(Esr(0x82000406)).fnv);
  EXPECT_TRUE(InstructionAbort::decode(Esr(0x82000206)).ea);
  EXPECT_TRUE(InstructionAbort::decode(Esr(0x8200000F)).permission_fault());
  EXPECT_TRUE(InstructionAbort::decode(Esr(0x8200000B)).access_flag_fault());
  const InstructionAbort all = InstructionAbort::decode(Esr(0x83FFFFFF));
  EXPECT_EQ(all.ifsc, 0x3F);
  EXPECT_TRUE(all.s1ptw && all.fnv && all.ea);
}

// ---- system register access

TEST(SysregAccess, MrsOfOslsrIntoX0) {
  // 0x62280403: EC 0x18, IL 1, Op0 2, Op2 4, Op1 0, CRn 1, Rt 0, CRm 1, read.
  const Esr e(0x62280403);
  EXPECT_EQ(e.ec(), Ec::sysreg);
  const SysregAccess s = SysregAccess::decode(e);
  EXPECT_EQ(s.op0, 2);
  EXPECT_EQ(s.op1, 0);
  EXPECT_EQ(s.crn, 1);
  EXPECT_EQ(s.crm, 1);
  EXPECT_EQ(s.op2, 4);
  EXPECT_EQ(s.rt, 0);
  EXPECT_TRUE(s.read);
  EXPECT_EQ(s.key(), sysreg_key(2, 0, 1, 1, 4));
}

TEST(SysregAccess, MsrOfOslarFromX1) {
  // 0x62280420: Op0 2, Op2 4, CRn 1, CRm 0, Rt 1, write.
  const SysregAccess s = SysregAccess::decode(Esr(0x62280420));
  EXPECT_EQ(s.crm, 0);
  EXPECT_EQ(s.rt, 1);
  EXPECT_FALSE(s.read);
  EXPECT_EQ(s.key(), sysreg_key(2, 0, 1, 0, 4));
}

TEST(SysregAccess, MsrOfIccSgi1rFromX30) {
  // 0x623A33D6: Op0 3, Op2 5, Op1 0, CRn 12, Rt 30, CRm 11, write.
  const SysregAccess s = SysregAccess::decode(Esr(0x623A33D6));
  EXPECT_EQ(s.op0, 3);
  EXPECT_EQ(s.op1, 0);
  EXPECT_EQ(s.crn, 12);
  EXPECT_EQ(s.crm, 11);
  EXPECT_EQ(s.op2, 5);
  EXPECT_EQ(s.rt, 30);
  EXPECT_FALSE(s.read);
}

TEST(SysregAccess, MrsOfPmcrIntoX2) {
  // 0x6230E459: Op0 3, Op2 0, Op1 3, CRn 9, Rt 2, CRm 12, read.
  const SysregAccess s = SysregAccess::decode(Esr(0x6230E459));
  EXPECT_EQ(s.key(), sysreg_key(3, 3, 9, 12, 0));
  EXPECT_EQ(s.rt, 2);
  EXPECT_TRUE(s.read);
}

TEST(SysregAccess, FieldBoundaries) {
  const SysregAccess max = SysregAccess::decode(Esr(0x623FFFFF));
  EXPECT_EQ(max.op0, 3);
  EXPECT_EQ(max.op1, 7);
  EXPECT_EQ(max.crn, 15);
  EXPECT_EQ(max.crm, 15);
  EXPECT_EQ(max.op2, 7);
  EXPECT_EQ(max.rt, 31);
  EXPECT_TRUE(max.read);
  EXPECT_EQ(max.key(), 0xFFFFU);
  const SysregAccess min = SysregAccess::decode(Esr(0x62000000));
  EXPECT_EQ(min.op0 | min.op1 | min.crn | min.crm | min.op2 | min.rt, 0);
  EXPECT_FALSE(min.read);
  EXPECT_EQ(min.key(), 0U);
}

TEST(SysregAccess, EachFieldAlone) {
  EXPECT_EQ(SysregAccess::decode(Esr(0x62000000 | 3U << 20)).key(), sysreg_key(3, 0, 0, 0, 0));
  EXPECT_EQ(SysregAccess::decode(Esr(0x62000000 | 7U << 17)).key(), sysreg_key(0, 0, 0, 0, 7));
  EXPECT_EQ(SysregAccess::decode(Esr(0x62000000 | 7U << 14)).key(), sysreg_key(0, 7, 0, 0, 0));
  EXPECT_EQ(SysregAccess::decode(Esr(0x62000000 | 15U << 10)).key(), sysreg_key(0, 0, 15, 0, 0));
  EXPECT_EQ(SysregAccess::decode(Esr(0x62000000 | 15U << 1)).key(), sysreg_key(0, 0, 0, 15, 0));
  EXPECT_EQ(SysregAccess::decode(Esr(0x62000000 | 31U << 5)).key(), 0U);  // Rt is not part of the key
}

TEST(SysregKey, PacksLikeTheInstructionBits20To5) {
  // MRS X0, MDSCR_EL1 is 0xD5300240: bits [20:5] are 0x8012.
  EXPECT_EQ(sysreg_key(2, 0, 0, 2, 2), (0xD5300240U >> 5) & 0xFFFF);
  // MRS X0, PMCR_EL0 is 0xD53B9C00.
  EXPECT_EQ(sysreg_key(3, 3, 9, 12, 0), (0xD53B9C00U >> 5) & 0xFFFF);
  EXPECT_EQ(sysreg_key(3, 7, 15, 15, 7), 0xFFFFU);
  EXPECT_EQ(sysreg_key(1, 0, 0, 0, 0), 1U << 14);
  EXPECT_EQ(sysreg_key(0, 1, 0, 0, 0), 1U << 11);
  EXPECT_EQ(sysreg_key(0, 0, 1, 0, 0), 1U << 7);
  EXPECT_EQ(sysreg_key(0, 0, 0, 1, 0), 1U << 3);
  EXPECT_EQ(sysreg_key(0, 0, 0, 0, 1), 1U);
}

// ---- HVC / SMC

TEST(HvcSmc, XenHypercallImmediate) {
  const Esr e(0x5A000EA1);  // HVC #0xEA1
  EXPECT_EQ(e.ec(), Ec::hvc64);
  EXPECT_EQ(HvcSmc::decode(e).imm, 0xEA1);
}

TEST(HvcSmc, ImmediateBoundaries) {
  EXPECT_EQ(HvcSmc::decode(Esr(0x5A000000)).imm, 0);       // HVC #0: PSCI / SMCCC
  EXPECT_EQ(HvcSmc::decode(Esr(0x5A00FFFF)).imm, 0xFFFF);  // HVC #0xFFFF
  EXPECT_EQ(HvcSmc::decode(Esr(0x5A01FFFF)).imm, 0xFFFF);  // ISS bits above 15 are not the immediate
  EXPECT_EQ(HvcSmc::decode(Esr(0x5E000001)).imm, 1);       // SMC #1
}

// The ESR values the real CPU reports for HVC #0xEA1 and HVC #0 (QEMU, as the probe traps them),
// not SMC #0 or an AArch32 HVC (EC 0x12).
TEST(HvcSmc, Hvc64SyndromeIsTheWholeEsr) {
  EXPECT_EQ(HvcSmc::hvc64_syndrome(0xEA1), 0x5A000EA1u);
  EXPECT_EQ(HvcSmc::hvc64_syndrome(0), 0x5A000000u);
  EXPECT_NE(HvcSmc::hvc64_syndrome(0), 0x5E000000u);  // SMC #0
  EXPECT_NE(HvcSmc::hvc64_syndrome(0), 0x4A000000u);  // HVC #0 from AArch32
  EXPECT_EQ(Esr(HvcSmc::hvc64_syndrome(0x1234)).ec(), Ec::hvc64);
  EXPECT_EQ(HvcSmc::decode(Esr(HvcSmc::hvc64_syndrome(0x1234))).imm, 0x1234);
}

// ---- WFx

TEST(Wfx, WfiAndWfe) {
  const Esr wfi(0x06000000);
  EXPECT_EQ(wfi.ec(), Ec::wfx);
  EXPECT_EQ(Wfx::decode(wfi).kind, Wfx::Kind::wfi);
  EXPECT_FALSE(Wfx::decode(wfi).rv);
  EXPECT_EQ(Wfx::decode(Esr(0x06000001)).kind, Wfx::Kind::wfe);
  EXPECT_EQ(Wfx::decode(Esr(0x04000001)).kind, Wfx::Kind::wfe);  // 16-bit T32 WFE
}

TEST(Wfx, WfitWithTimeoutRegister) {
  // 0x06000066: TI 0b10 (WFIT), RV 1, Rn 3.
  const Wfx w = Wfx::decode(Esr(0x06000066));
  EXPECT_EQ(w.kind, Wfx::Kind::wfit);
  EXPECT_TRUE(w.rv);
  EXPECT_EQ(w.rn, 3);
}

TEST(Wfx, WfetRegisterBoundaries) {
  // 0x060003E7: TI 0b11 (WFET), RV 1, Rn 31.
  const Wfx w = Wfx::decode(Esr(0x060003E7));
  EXPECT_EQ(w.kind, Wfx::Kind::wfet);
  EXPECT_TRUE(w.rv);
  EXPECT_EQ(w.rn, 31);
  EXPECT_EQ(Wfx::decode(Esr(0x06000006)).rn, 0);
}

}  // namespace
}  // namespace runhv::esr
