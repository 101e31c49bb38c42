// SMCCC calls from guests (HVC #0): PSCI 1.1, SMCCC 1.1 and PV time through core/psci.hpp
// SPDX-License-Identifier: MIT
//
// The decoder (handle_smccc) is the core's; this file is its PsciPlatform for the calling
// domain, on top of the scheduling layer (hyp/scheduling.hpp):
//   CPU_ON       -> vcpu_up at the entry, x0 = context id (INVALID_ADDRESS outside the RAM)
//   CPU_OFF      -> vcpu_down of the caller (it does not return)
//   CPU_SUSPEND  -> a WFI-style block of the caller (returns SUCCESS when it runs again)
//   AFFINITY_INFO-> on / off from the scheduler's state
//   SYSTEM_OFF / SYSTEM_RESET -> domain_shutdown (a reset is a stop: runhv does not reboot)
//   PV time      -> offered per domain (runhv,pv-time), records at kPvTimeIpa + 64 x vCPU
//   ARCH_WORKAROUND_1/2/3 -> the exposure smccc_init decided from every pCPU's identification
#include "hyp/smccc.hpp"

#include "arch/arch.hpp"
#include "core/log.hpp"
#include "core/psci.hpp"
#include "hyp/domain.hpp"
#include "hyp/scheduling.hpp"

namespace runhv::hyp {
namespace {

// Written once by smccc_init, before any guest runs; read by every SMCCC call.
SpectreExposure g_exposure = kSpectreUnknown;

class DomainPsci final : public PsciPlatform {
 public:
  explicit DomainPsci(Vcpu& caller) : caller_(caller), d_(*caller.domain) {}

  [[nodiscard]] u16 domain_id() const override { return d_.number; }
  [[nodiscard]] u32 vcpu_count() const override { return d_.nr_vcpus; }
  [[nodiscard]] LogBudget& log_budget() override { return d_.runstate.log_budget; }

  i64 vcpu_on(u32 index, Ipa entry, u64 context_id) override {
    if (entry < d_.ram_ipa || entry.raw() - d_.ram_ipa.raw() >= d_.ram_size) {
      return psci::kInvalidAddress;
    }
    return vcpu_up(caller_, index, entry.raw(), context_id) == 0 ? psci::kSuccess : psci::kAlreadyOn;
  }
  void vcpu_off(u32 caller) override { vcpu_down(caller_, caller); }
  void vcpu_suspend(u32 /*caller*/) override { vcpu_block(caller_); }
  [[nodiscard]] AffinityState affinity_info(u32 index) const override {
    return vcpu_is_up(d_, index) ? AffinityState::on : AffinityState::off;
  }
  void system_off() override { domain_shutdown(caller_, "SYSTEM_OFF"); }
  void system_reset() override { domain_shutdown(caller_, "SYSTEM_RESET"); }
  [[nodiscard]] bool pv_time_offered() const override { return d_.pv_time != nullptr; }
  [[nodiscard]] Ipa stolen_time_ipa(u32 index) const override { return kPvTimeIpa + u64{index} * pvtime::kRecordSize; }
  [[nodiscard]] SpectreExposure cpu_exposure() const override { return g_exposure; }

 private:
  Vcpu& caller_;
  Domain& d_;
};

}  // namespace

void smccc_init(u32 pcpus) {
  CpuIds ids[kMaxPcpus] = {};
  const u32 n = pcpus < kMaxPcpus ? pcpus : kMaxPcpus;
  for (u32 i = 0; i < n; ++i) {
    ids[i] = arch::cpu_ids(i);
  }
  g_exposure = spectre_exposure(ids, n);
  const auto answer = [](smccc::Fn f) {
    return static_cast<long long>(workaround_feature(g_exposure, static_cast<u32>(f)));
  };
  logf("smccc: ARCH_FEATURES(ARCH_WORKAROUND_1/2/3) = %lld/%lld/%lld (cpu0 midr 0x%llx)",
       answer(smccc::Fn::arch_workaround_1), answer(smccc::Fn::arch_workaround_2), answer(smccc::Fn::arch_workaround_3),
       static_cast<unsigned long long>(n > 0 ? ids[0].midr : 0));
}

void on_smccc(arch::VcpuState& s) {
  Vcpu& v = vcpu_of(s);
  ++v.counters.smccc_calls;
  DomainPsci platform(v);
  const SmcccCall call{&arch::gpr(s, 0)};
  const SmcccResult result = handle_smccc(platform, v.id, call);
  if (result.resume) {
    arch::gpr(s, 0) = result.x0;
  }
}

}  // namespace runhv::hyp
