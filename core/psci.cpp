// Guest services over HVC #0: PSCI 1.1, the SMCCC 1.1 architecture calls and ARM DEN 0057A PV time
// SPDX-License-Identifier: MIT
#include "core/psci.hpp"

#include "core/log.hpp"

namespace runhv {
namespace {

constexpr u32 id(psci::Fn f) { return static_cast<u32>(f); }
constexpr u32 id(smccc::Fn f) { return static_cast<u32>(f); }
constexpr u32 id(pvtime::Fn f) { return static_cast<u32>(f); }

constexpr u64 reg(i64 status) { return static_cast<u64>(status); }  // sign-extended, as SMCCC returns it
constexpr u64 kLow32 = 0xFFFF'FFFFULL;

// MIGRATE_INFO_TYPE: "Trusted OS is either not present or does not require migration".
constexpr i64 kMigrateNoTrustedOs = 2;

SmcccResult ok(u64 x0) { return {x0, true, SmcccStatus::ok}; }
SmcccResult no_return() { return {reg(psci::kSuccess), false, SmcccStatus::ok}; }

// The arguments as the function sees them: W1..W3 for an SMC32 function.
struct Args {
  u64 x1;
  u64 x2;
  u64 x3;
};

Args arguments(const SmcccCall& call, u32 fid) {
  if (smccc::is_smc64(fid)) {
    return {call.x[1], call.x[2], call.x[3]};
  }
  return {call.x[1] & kLow32, call.x[2] & kLow32, call.x[3] & kLow32};
}

class Handler {
 public:
  Handler(PsciPlatform& platform, u32 caller, u32 fid) : p_(platform), caller_(caller), fid_(fid) {}

  SmcccResult cpu_on(u64 target_cpu, u64 entry, u64 context_id) {
    const u32 target = vcpu_of_affinity(target_cpu, p_.vcpu_count());
    if (target == kNoVcpu) {
      return refuse(psci::kInvalidParameters, "PSCI CPU_ON: no vcpu has mpidr", target_cpu);
    }
    if (target == caller_) {
      return refuse(psci::kAlreadyOn, "PSCI CPU_ON: the caller itself, mpidr", target_cpu);
    }
    const i64 status = p_.vcpu_on(target, Ipa(entry), context_id);
    if (status != psci::kSuccess) {
      guest_logf(p_.log_budget(), "d%uv%u: PSCI CPU_ON of vcpu %u at 0x%llx: %s", domain(), caller_, target,
                 static_cast<unsigned long long>(entry), psci_status_name(status));
      return {reg(status), true, SmcccStatus::refused};
    }
    return ok(reg(psci::kSuccess));
  }

  SmcccResult affinity_info(u64 target_affinity, u32 lowest_level) {
    if (lowest_level != 0) {
      return refuse(psci::kInvalidParameters, "PSCI AFFINITY_INFO: unsupported lowest_affinity_level", lowest_level);
    }
    const u32 target = vcpu_of_affinity(target_affinity, p_.vcpu_count());
    if (target == kNoVcpu) {
      return refuse(psci::kInvalidParameters, "PSCI AFFINITY_INFO: no vcpu has mpidr", target_affinity);
    }
    return ok(static_cast<u64>(p_.affinity_info(target)));
  }

  SmcccResult pv_time_st() {
    if (!p_.pv_time_offered()) {
      return unknown();
    }
    if (caller_ >= p_.vcpu_count()) {  // a hypervisor bug; answer rather than index out of range
      return refuse(smccc::kNotSupported, "PV_TIME_ST: caller out of range, vcpu", caller_);
    }
    return ok(p_.stolen_time_ipa(caller_).raw());
  }

  // The answer to a call of a function not served here.
  SmcccResult unknown() {
    guest_logf(p_.log_budget(), "d%uv%u: HVC #0 function 0x%08x not supported", domain(), caller_, fid_);
    return {reg(smccc::kNotSupported), true, SmcccStatus::unknown};
  }

 private:
  SmcccResult refuse(i64 status, const char* what, u64 value) {
    guest_logf(p_.log_budget(), "d%uv%u: %s 0x%llx: %s", domain(), caller_, what,
               static_cast<unsigned long long>(value), psci_status_name(status));
    return {reg(status), true, SmcccStatus::refused};
  }
  [[nodiscard]] unsigned domain() const { return p_.domain_id(); }

  PsciPlatform& p_;
  u32 caller_;
  u32 fid_;
};

// PSCI_FEATURES(queried): 0 (no feature flags) for every function served, NOT_SUPPORTED else.
i64 psci_features(u32 queried) {
  switch (queried) {
    case id(psci::Fn::version):
    case id(psci::Fn::cpu_suspend):
    case id(psci::Fn::cpu_suspend64):  // 0: original power_state format, platform-coordinated
    case id(psci::Fn::cpu_off):
    case id(psci::Fn::cpu_on):
    case id(psci::Fn::cpu_on64):
    case id(psci::Fn::affinity_info):
    case id(psci::Fn::affinity_info64):
    case id(psci::Fn::migrate_info_type):
    case id(psci::Fn::system_off):
    case id(psci::Fn::system_reset):
    case id(psci::Fn::features):
    case id(smccc::Fn::version):  // Linux's test for an SMCCC >= 1.1 conduit
      return psci::kSuccess;
    default:
      return psci::kNotSupported;
  }
}

// SMCCC_ARCH_FEATURES(queried).
i64 arch_features(const PsciPlatform& p, u32 queried) {
  switch (queried) {
    case id(smccc::Fn::version):
    case id(smccc::Fn::arch_features):
      return smccc::kSuccess;
    case id(pvtime::Fn::features):
      return p.pv_time_offered() ? smccc::kSuccess : smccc::kNotSupported;
    case id(smccc::Fn::arch_workaround_1):
    case id(smccc::Fn::arch_workaround_2):
    case id(smccc::Fn::arch_workaround_3):
      return workaround_feature(p.cpu_exposure(), queried);  // 1, -2 or -1: see core/spectre.hpp
    default:
      return smccc::kNotSupported;  // ARCH_SOC_ID and everything else
  }
}

// PV_TIME_FEATURES(queried), when PV time is offered.
i64 pv_time_features(u32 queried) {
  return queried == id(pvtime::Fn::features) || queried == id(pvtime::Fn::st) ? smccc::kSuccess : smccc::kNotSupported;
}

}  // namespace

SmcccResult handle_smccc(PsciPlatform& platform, u32 caller, const SmcccCall& call) {
  const auto fid = static_cast<u32>(call.x[0]);  // W0: bits 63:32 of x0 are not part of the ID
  const auto w1 = static_cast<u32>(call.x[1]);   // a queried function ID, whatever the convention
  Handler h(platform, caller, fid);

  switch (fid) {
    // ---- PSCI
    case id(psci::Fn::version):
      return ok(psci::kVersion1_1);
    case id(psci::Fn::cpu_suspend):
    case id(psci::Fn::cpu_suspend64):
      platform.vcpu_suspend(caller);  // every power state served as standby: see psci.hpp
      return ok(reg(psci::kSuccess));
    case id(psci::Fn::cpu_off):
      platform.vcpu_off(caller);
      return no_return();
    case id(psci::Fn::cpu_on):
    case id(psci::Fn::cpu_on64): {
      const Args a = arguments(call, fid);
      return h.cpu_on(a.x1, a.x2, a.x3);
    }
    case id(psci::Fn::affinity_info):
    case id(psci::Fn::affinity_info64): {
      const Args a = arguments(call, fid);
      return h.affinity_info(a.x1, static_cast<u32>(a.x2));
    }
    case id(psci::Fn::migrate_info_type):
      return ok(reg(kMigrateNoTrustedOs));
    case id(psci::Fn::system_off):
      platform.system_off();
      return no_return();
    case id(psci::Fn::system_reset):
      platform.system_reset();
      return no_return();
    case id(psci::Fn::features):
      return ok(reg(psci_features(w1)));

    // ---- SMCCC architecture calls
    case id(smccc::Fn::version):
      return ok(smccc::kVersion1_1);
    case id(smccc::Fn::arch_features):
      return ok(reg(arch_features(platform, w1)));
    case id(smccc::Fn::arch_workaround_1):
    case id(smccc::Fn::arch_workaround_2):  // x1 (enable/disable) does not matter: nothing to do
    case id(smccc::Fn::arch_workaround_3):
      if (workaround_feature(platform.cpu_exposure(), fid) == smccc::kNotSupported) {
        return h.unknown();  // the guest was told there is no such call here
      }
      return ok(reg(smccc::kSuccess));  // not affected: a no-op

    // ---- PV time (SMC64: full registers)
    case id(pvtime::Fn::features):
      if (!platform.pv_time_offered()) {
        return h.unknown();
      }
      return ok(reg(pv_time_features(w1)));
    case id(pvtime::Fn::st):
      return h.pv_time_st();

    default:
      return h.unknown();
  }
}

const char* psci_status_name(i64 status) {
  switch (status) {
    case psci::kSuccess:
      return "SUCCESS";
    case psci::kNotSupported:
      return "NOT_SUPPORTED";
    case psci::kInvalidParameters:
      return "INVALID_PARAMETERS";
    case psci::kDenied:
      return "DENIED";
    case psci::kAlreadyOn:
      return "ALREADY_ON";
    case psci::kOnPending:
      return "ON_PENDING";
    case psci::kInternalFailure:
      return "INTERNAL_FAILURE";
    case psci::kNotPresent:
      return "NOT_PRESENT";
    case psci::kDisabled:
      return "DISABLED";
    case psci::kInvalidAddress:
      return "INVALID_ADDRESS";
    default:
      return "?";
  }
}

void init_stolen_time(pvtime::StolenTime* rec) {
  __atomic_store_n(&rec->revision, 0U, __ATOMIC_RELAXED);
  __atomic_store_n(&rec->attributes, 0U, __ATOMIC_RELAXED);
  __atomic_store_n(&rec->stolen_time, u64{0}, __ATOMIC_RELAXED);
  for (u8& b : rec->pad) {
    b = 0;
  }
}

}  // namespace runhv
