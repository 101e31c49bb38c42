// Guest services over HVC #0: PSCI 1.1, the SMCCC 1.1 architecture calls and ARM DEN 0057A PV time
// SPDX-License-Identifier: MIT
//
// The hypervisor traps the guest's `HVC #0`, passes x0..x3 to handle_smccc() with a PsciPlatform
// for the calling domain, and writes back what the result says. The decoder itself touches no
// guest state: everything that changes a vCPU or the domain goes through PsciPlatform.
//
// Register use (ARM DEN 0028, SMCCC):
//   - The function ID is W0 (bits 31:0 of x0); bits 63:32 of x0 are ignored.
//   - SMC32/HVC32 functions (bit 30 of the ID clear) take their arguments in W1..W3: the upper
//     halves of x1..x3 are ignored. Function-ID arguments (PSCI_FEATURES, SMCCC_ARCH_FEATURES,
//     PV_TIME_FEATURES) and the uint32 parameters of SMC64 calls (AFFINITY_INFO's level) are
//     likewise read from the W register.
//   - Every function served here returns one value, in x0, as a 64-bit register value (a status
//     is sign-extended: NOT_SUPPORTED is 0xFFFF'FFFF'FFFF'FFFF). The hypervisor writes x0 only and
//     leaves x1..x3 and x4..x17 as the guest had them: SMCCC 1.1 requires x4..x17 to be preserved
//     by the callee, and result registers a function does not define hold no promised value, so
//     leaving the caller's own values there is allowed and leaks nothing.
//
// PSCI (ARM DEN 0022, version 1.1 reported):
//   VERSION, CPU_SUSPEND (32/64), CPU_OFF, CPU_ON (32/64), AFFINITY_INFO (32/64),
//   MIGRATE_INFO_TYPE (2: no trusted OS needing migration), SYSTEM_OFF, SYSTEM_RESET, FEATURES.
//   CPU_SUSPEND is mandatory in PSCI; every power state, standby or powerdown, is served as a
//   standby (a WFI: the vCPU blocks until it has an interrupt, its registers are kept, and the
//   call returns SUCCESS), which DEN 0022 allows for powerdown requests. PSCI_FEATURES(CPU_SUSPEND)
//   is 0: original power_state format, platform-coordinated mode only.
//   Not served (NOT_SUPPORTED): SYSTEM_SUSPEND, SYSTEM_RESET2, MIGRATE, MIGRATE_INFO_UP_CPU,
//   CPU_FREEZE, CPU_DEFAULT_SUSPEND, NODE_HW_STATE, the statistics and OSI calls.
//
// SMCCC (version 1.1 reported): SMCCC_VERSION, SMCCC_ARCH_FEATURES. ARCH_SOC_ID is not served.
//   SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1/2/3) answers from the CPU the guest sees
//   (core/spectre.hpp, the platform's cpu_exposure()): 1 for WORKAROUND_1/3 and NOT_REQUIRED (-2)
//   for WORKAROUND_2 where every pCPU is not affected, else NOT_SUPPORTED (-1): runhv implements
//   none of the mitigations, so it never answers 0, and a guest on an affected CPU reports the
//   variant as "Vulnerable", as it does on the bare CPU without firmware support.
//   A call of ARCH_WORKAROUND_n itself is a no-op answering 0 where the feature query says "not
//   affected" (as KVM answers it; nothing needs doing), and NOT_SUPPORTED, logged, where the query
//   said -1: the guest was told there is nothing to call.
//
// PV time (ARM DEN 0057A), when the platform offers it: SMCCC_ARCH_FEATURES(PV_TIME_FEATURES),
//   PV_TIME_FEATURES(PV_TIME_FEATURES / PV_TIME_ST) and PV_TIME_ST answer 0 / the record's IPA.
//   Not offered: all of them NOT_SUPPORTED.
//
// Anything else answers NOT_SUPPORTED. A refused call (an unknown or unserved function, or an
// error status) writes one log line; a feature query answered "not supported" is not a refusal.
//
// vCPU identities: vCPU i has MPIDR affinity Aff0 = i % 16, Aff1 = i / 16, Aff2 = Aff3 = 0
// (16 per cluster: a GICv3 SGI reaches Aff0 values 0..15 of one cluster). The hypervisor must use
// vcpu_vmpidr() for VMPIDR_EL2 and vcpu_affinity() for the guest device tree's cpu@ reg.
#pragma once

#include "abi/psci.hpp"
#include "abi/pvtime.hpp"
#include "abi/smccc.hpp"
#include "core/log.hpp"
#include "core/runstate.hpp"
#include "core/spectre.hpp"
#include "core/types.hpp"

namespace runhv {

// ---- vCPU <-> MPIDR

inline constexpr u32 kVcpusPerCluster = 16;
inline constexpr u32 kMaxPsciVcpus = kVcpusPerCluster * 256;  // Aff1 is 8 bits
inline constexpr u32 kNoVcpu = ~u32{0};

// The affinity fields of vCPU `index`'s MPIDR, as PSCI and the device tree carry them.
constexpr u64 vcpu_affinity(u32 index) {
  return u64{index % kVcpusPerCluster} | (u64{(index / kVcpusPerCluster) & 0xFF} << 8);
}
// VMPIDR_EL2 for vCPU `index`: the affinity, bit 31 (RES1), U = 0 (multiprocessor), MT = 0.
constexpr u64 vcpu_vmpidr(u32 index) { return (u64{1} << 31) | vcpu_affinity(index); }

// The vCPU (below `count`) whose affinity is `affinity`, or kNoVcpu. `affinity` is a PSCI
// target_cpu: Aff3 in bits 39:32, Aff2 23:16, Aff1 15:8, Aff0 7:0; DEN 0022 requires bits 63:40
// and 31:24 to be zero, so a value with any of them set matches no vCPU.
constexpr u32 vcpu_of_affinity(u64 affinity, u32 count) {
  // Only Aff1 and Aff0 are ever non-zero here: any other bit set, reserved or Aff2/Aff3, is no vCPU.
  if ((affinity & ~u64{0xFFFF}) != 0) {
    return kNoVcpu;
  }
  const u64 aff0 = bits(affinity, 7, 0);
  const u64 aff1 = bits(affinity, 15, 8);
  if (aff0 >= kVcpusPerCluster) {
    return kNoVcpu;
  }
  const u64 index = aff1 * kVcpusPerCluster + aff0;
  return index < count ? static_cast<u32>(index) : kNoVcpu;
}

// ---- The hypervisor's side

// AFFINITY_INFO answers (DEN 0022).
enum class AffinityState : u8 {
  on = static_cast<u8>(psci::kAffinityOn),
  off = static_cast<u8>(psci::kAffinityOff),
  on_pending = static_cast<u8>(psci::kAffinityOnPending),
};

// What the decoder needs from the hypervisor, for one domain. vCPU indices are below
// vcpu_count(); the decoder never passes another.
class PsciPlatform {
 public:
  // The domain's id and size.
  [[nodiscard]] virtual u16 domain_id() const = 0;  // for log lines only
  // What the domain's refused and unknown calls may log (core/log.hpp): a guest cannot flood.
  [[nodiscard]] virtual LogBudget& log_budget() = 0;
  [[nodiscard]] virtual u32 vcpu_count() const = 0;

  // CPU_ON of vCPU `index` (never the caller) at `entry` with x0 = `context_id`. Returns a PSCI
  // status: psci::kSuccess, kAlreadyOn, kOnPending, or kInvalidAddress (DEN 0022 1.0+) /
  // kInvalidParameters when `entry` is not in the domain's RAM: the platform decides.
  virtual i64 vcpu_on(u32 index, Ipa entry, u64 context_id) = 0;
  // CPU_OFF of the caller: it stops until a CPU_ON; the call does not return.
  virtual void vcpu_off(u32 caller) = 0;
  // CPU_SUSPEND of the caller, served as a standby: block it like WFI, until it has an
  // interrupt (returning at once is also correct). The call then returns SUCCESS.
  virtual void vcpu_suspend(u32 caller) = 0;
  [[nodiscard]] virtual AffinityState affinity_info(u32 index) const = 0;
  // The domain powers off / resets; the calling vCPU does not continue.
  virtual void system_off() = 0;
  virtual void system_reset() = 0;

  // PV time: whether it is offered, and the IPA of vCPU `index`'s 64-byte stolen-time record
  // (64-byte aligned, outside the RAM the guest allocates from).
  [[nodiscard]] virtual bool pv_time_offered() const = 0;
  [[nodiscard]] virtual Ipa stolen_time_ipa(u32 index) const = 0;

  // The Spectre variants a vCPU of the domain is exposed to, over every pCPU it may run on.
  [[nodiscard]] virtual SpectreExposure cpu_exposure() const = 0;

 protected:
  PsciPlatform() = default;
  ~PsciPlatform() = default;
  PsciPlatform(const PsciPlatform&) = default;
  PsciPlatform& operator=(const PsciPlatform&) = default;
};

// ---- The call

// The guest's registers at the HVC, read where they are (its saved frame): x[0] holds the
// function ID, x[1..3] its arguments.
struct SmcccCall {
  const u64* x;  // 4 of them
};

enum class SmcccStatus : u8 {
  ok,       // served (including a feature query answered NOT_SUPPORTED)
  refused,  // a served function answered an error status; logged
  unknown,  // a function ID not served here, answered NOT_SUPPORTED; logged
};

struct SmcccResult {
  u64 x0;              // the caller's new x0; x1..x17 stay as they are
  bool resume;         // false: the caller does not continue after the HVC (CPU_OFF, SYSTEM_*)
  SmcccStatus status;  // for the hypervisor's counters
};

// Serves one HVC #0 from vCPU `caller` (below platform.vcpu_count()) of the platform's domain.
// Never fails: any x0..x3 get a defined answer.
SmcccResult handle_smccc(PsciPlatform& platform, u32 caller, const SmcccCall& call);

// The name of a PSCI status (DEN 0022) for log lines ("INVALID_PARAMETERS"), or "?".
const char* psci_status_name(i64 status);

// ---- The PV-time stolen-time record

// The value the record carries for a vCPU at `now`: runnable + offline nanoseconds.
inline u64 pv_stolen_time(const RunstateAccount& account, u64 now) { return account.stolen(now); }

// Zeroes a record: revision 0, attributes 0 (what Linux requires), stolen_time 0, padding 0. For
// a record the guest cannot see yet (before the domain starts).
void init_stolen_time(pvtime::StolenTime* rec);

// Publishes `stolen` in `rec` (8-byte aligned) as one single-copy-atomic 64-bit store, which is
// how the guest reads it (Linux: READ_ONCE, no seqlock). Values must not decrease.
inline void write_stolen_time(pvtime::StolenTime* rec, u64 stolen) {
  __atomic_store_n(&rec->stolen_time, stolen, __ATOMIC_RELAXED);
}

}  // namespace runhv
