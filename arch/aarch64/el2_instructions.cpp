// The instructions a pCPU executes at EL2: the PMU's last event counter, kept for the hypervisor
// SPDX-License-Identifier: MIT
//
// MDCR_EL2.HPMN hands the last counter to EL2 (HPME enables it), counting INST_RETIRED (event
// 0x08) at EL2 only: its filter excludes EL1 (P) and EL0 (U) and includes EL2 (NSH). Guests
// never see it: their PMU accesses trap (kMdcrGuestTraps) and read as zero. Under QEMU -icount
// the count is exact; `./runhv bench` reads it at Linux's first init instruction (the mark) as
// runhv's own share of the boot.
#include "arch/aarch64/el2_instructions.hpp"
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/arch.hpp"

namespace runhv::arch {
namespace {

constexpr u64 kInstRetired = 0x08;
constexpr u64 kFilterExcludeEl1 = u64{1} << 31;  // P
constexpr u64 kFilterExcludeEl0 = u64{1} << 30;  // U
constexpr u64 kFilterIncludeEl2 = u64{1} << 27;  // NSH
constexpr u64 kMdcrHpme = u64{1} << 7;
constexpr u64 kMdcrHpmnMask = 0x1F;

// PMUv3 present (ID_AA64DFR0_EL1.PMUVer neither 0 nor IMPLEMENTATION DEFINED) with a counter.
u32 el2_counter_or_none() {
  const u64 pmuver = bits(sysreg::read_id_aa64dfr0_el1(), 11, 8);
  if (pmuver == 0 || pmuver == 0xF) {
    return kNoCounter;
  }
  const auto n = static_cast<u32>(bits(sysreg::read_pmcr_el0(), 15, 11));
  return n == 0 ? kNoCounter : n - 1;
}

}  // namespace

void el2_instructions_start() {  // (cpus.cpp, after the trap policy)
  PerCpu& cpu = this_cpu();
  cpu.el2_counter = el2_counter_or_none();
  if (cpu.el2_counter == kNoCounter) {
    return;
  }
  sysreg::write_mdcr_el2((sysreg::read_mdcr_el2() & ~kMdcrHpmnMask) | cpu.el2_counter | kMdcrHpme);
  sysreg::write_pmselr_el0(cpu.el2_counter);
  sysreg::isb();
  sysreg::write_pmxevtyper_el0(kInstRetired | kFilterExcludeEl1 | kFilterExcludeEl0 | kFilterIncludeEl2);
  sysreg::write_pmxevcntr_el0(0);
  sysreg::write_pmcntenset_el0(u64{1} << cpu.el2_counter);
  sysreg::isb();
}

u64 el2_instructions() {
  const PerCpu& cpu = this_cpu();
  if (cpu.el2_counter == kNoCounter) {
    return kNoEl2Count;
  }
  sysreg::write_pmselr_el0(cpu.el2_counter);
  sysreg::isb();
  return sysreg::read_pmxevcntr_el0();
}

}  // namespace runhv::arch
