// The SMCCC workaround answers (ARCH_WORKAROUND_1/2/3) from the CPU identity the guest sees
// SPDX-License-Identifier: MIT
//
// A guest asks SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_n) only to learn whether it is exposed to a
// Spectre variant and whether the hypervisor will mitigate it for it. runhv answers from the
// MIDR_EL1 and ID registers its guests read (VPIDR_EL2 = the pCPU's MIDR, the ID registers
// untrapped), decided here, per pCPU, and combined over all pCPUs a vCPU may run on.
//
// runhv implements none of the three firmware mitigations (no branch-predictor invalidation or
// branch-history clearing on guest exits, no per-vCPU SSBD control in firmware), so every answer
// is either "not affected" or NOT_SUPPORTED (-1: the guest may be affected and nothing here
// mitigates it). It never says SUCCESS (0), which would claim a mitigation runhv does not perform.
//
//   WORKAROUND_1 (Spectre v2, CVE-2017-5715): not affected if ID_AA64PFR0_EL1.CSV2 != 0, or the
//     CPU is one of the cores whose branch predictors cannot be trained across contexts
//     (Cortex-A35/A53/A55, Brahma-B53, HiSilicon TSV110, Kryo 2xx/3xx/4xx Silver). Answer 1.
//   WORKAROUND_2 (Spectre v4, CVE-2018-3639): not affected on Cortex-A35/A53/A55, Brahma-B53,
//     Kryo 3xx/4xx Silver (in-order or no store bypass). Answer NOT_REQUIRED (-2): the call is not
//     needed on any pCPU. A CPU with SSBS (ID_AA64PFR1_EL1.SSBS) is affected but lets the guest
//     mitigate itself with PSTATE.SSBS, which runhv preserves (SPSR_EL2) and which runhv's own
//     entry sets to "bypass not permitted" (SCTLR_EL2.DSSBS = 0): -1, there is no firmware call.
//   WORKAROUND_3 (Spectre-BHB, CVE-2022-23960): not affected if ID_AA64PFR0_EL1.CSV2 == 3
//     (FEAT_CSV2_3), if ID_AA64MMFR1_EL1.ECBHB != 0 (every exception clears the branch history,
//     the guest's own entries from EL0 included: no call is needed), or on Cortex-A35/A53/A55/
//     A510/A520, Brahma-B53, Kryo 2xx/3xx/4xx Silver. Answer 1.
//   Anything else, including a CPU this table does not know: -1. These are the lists and fields
//   Linux (arch/arm64/kernel/proton-pack.c) decides by, so a Linux guest reaches the same verdict
//   under runhv as on the bare CPU.
#pragma once

#include "core/types.hpp"

namespace runhv {

// The identification registers a guest reads, as one pCPU presents them.
struct CpuIds {
  u64 midr;   // MIDR_EL1 (VPIDR_EL2)
  u64 pfr0;   // ID_AA64PFR0_EL1: CSV2 [59:56]
  u64 pfr1;   // ID_AA64PFR1_EL1: SSBS [7:4]
  u64 mmfr1;  // ID_AA64MMFR1_EL1: ECBHB [63:60]
};

// One Spectre variant on a CPU, from a guest's point of view under runhv. Ordered: the state of
// several pCPUs together is the largest of theirs.
enum class Exposure : u8 {
  unaffected,  // the CPU is not affected; the workaround call is not needed
  vulnerable,  // affected (or not known to be unaffected), and runhv mitigates nothing
};

struct SpectreExposure {
  Exposure v2;   // ARCH_WORKAROUND_1
  Exposure v4;   // ARCH_WORKAROUND_2
  Exposure bhb;  // ARCH_WORKAROUND_3
};

// What a guest on a pCPU with identity `ids` is exposed to.
SpectreExposure spectre_exposure(const CpuIds& ids);
// The exposure of a guest whose vCPUs may run on any of `count` pCPUs (count >= 1).
SpectreExposure spectre_exposure(const CpuIds* ids, u32 count);
// All vulnerable: the answer when nothing is known about the CPU.
inline constexpr SpectreExposure kSpectreUnknown{Exposure::vulnerable, Exposure::vulnerable, Exposure::vulnerable};

// SMCCC_ARCH_FEATURES(function) for one of the three workaround IDs (smccc::Fn::arch_workaround_n):
// 1 (WORKAROUND_1/3 not affected), -2 (WORKAROUND_2 not affected), -1 otherwise, or -1 for a
// function that is not one of the three.
i64 workaround_feature(const SpectreExposure& exposure, u32 function);

}  // namespace runhv
