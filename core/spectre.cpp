// The SMCCC workaround answers (ARCH_WORKAROUND_1/2/3) from the CPU identity the guest sees
// SPDX-License-Identifier: MIT
#include "core/spectre.hpp"

#include "abi/smccc.hpp"

namespace runhv {
namespace {

// A core model as MIDR_EL1 names it: implementer [31:24], architecture [19:16] and part number
// [15:4]; every variant and revision of the model matches.
constexpr u64 kModelMask = 0xFF0F'FFF0;
constexpr u32 model(u32 implementer, u32 part) { return (implementer << 24) | (0xFU << 16) | (part << 4); }

constexpr u32 kArm = 0x41;
constexpr u32 kBroadcom = 0x42;
constexpr u32 kHisilicon = 0x48;
constexpr u32 kQualcomm = 0x51;

constexpr u32 kCortexA35 = model(kArm, 0xD04);
constexpr u32 kCortexA53 = model(kArm, 0xD03);
constexpr u32 kCortexA55 = model(kArm, 0xD05);
constexpr u32 kCortexA510 = model(kArm, 0xD46);
constexpr u32 kCortexA520 = model(kArm, 0xD80);
constexpr u32 kBrahmaB53 = model(kBroadcom, 0x100);
constexpr u32 kTsv110 = model(kHisilicon, 0xD01);
constexpr u32 kKryo2xxSilver = model(kQualcomm, 0x801);
constexpr u32 kKryo3xxSilver = model(kQualcomm, 0x803);
constexpr u32 kKryo4xxSilver = model(kQualcomm, 0x805);

// Cores not affected, per variant (Arm's and the vendors' published lists, as Linux carries them).
constexpr u32 kV2Safe[] = {kCortexA35, kCortexA53,     kCortexA55,     kBrahmaB53,
                           kTsv110,    kKryo2xxSilver, kKryo3xxSilver, kKryo4xxSilver};
constexpr u32 kV4Safe[] = {kCortexA35, kCortexA53, kCortexA55, kBrahmaB53, kKryo3xxSilver, kKryo4xxSilver};
constexpr u32 kBhbSafe[] = {kCortexA35, kCortexA53,     kCortexA55,     kCortexA510,   kCortexA520,
                            kBrahmaB53, kKryo2xxSilver, kKryo3xxSilver, kKryo4xxSilver};

template <usize N>
bool listed(const u32 (&models)[N], u64 midr) {
  for (const u32 m : models) {
    if ((midr & kModelMask) == m) {
      return true;
    }
  }
  return false;
}

constexpr Exposure safe_if(bool unaffected) { return unaffected ? Exposure::unaffected : Exposure::vulnerable; }
constexpr Exposure worse(Exposure a, Exposure b) { return a > b ? a : b; }

}  // namespace

SpectreExposure spectre_exposure(const CpuIds& ids) {
  const u64 csv2 = bits(ids.pfr0, 59, 56);
  const u64 ecbhb = bits(ids.mmfr1, 63, 60);
  return {
      .v2 = safe_if(csv2 != 0 || listed(kV2Safe, ids.midr)),
      .v4 = safe_if(listed(kV4Safe, ids.midr)),  // SSBS: affected, the guest's own PSTATE.SSBS mitigates
      .bhb = safe_if(csv2 == 3 || ecbhb != 0 || listed(kBhbSafe, ids.midr)),
  };
}

SpectreExposure spectre_exposure(const CpuIds* ids, u32 count) {
  if (count == 0) {
    return kSpectreUnknown;
  }
  SpectreExposure all = spectre_exposure(ids[0]);
  for (u32 i = 1; i < count; ++i) {
    const SpectreExposure e = spectre_exposure(ids[i]);
    all = {worse(all.v2, e.v2), worse(all.v4, e.v4), worse(all.bhb, e.bhb)};
  }
  return all;
}

i64 workaround_feature(const SpectreExposure& exposure, u32 function) {
  switch (function) {
    case static_cast<u32>(smccc::Fn::arch_workaround_1):
      return exposure.v2 == Exposure::unaffected ? smccc::kWorkaroundUnaffected : smccc::kNotSupported;
    case static_cast<u32>(smccc::Fn::arch_workaround_2):
      return exposure.v4 == Exposure::unaffected ? smccc::kNotRequired : smccc::kNotSupported;
    case static_cast<u32>(smccc::Fn::arch_workaround_3):
      return exposure.bhb == Exposure::unaffected ? smccc::kWorkaroundUnaffected : smccc::kNotSupported;
    default:
      return smccc::kNotSupported;
  }
}

}  // namespace runhv
