// A vCPU's EL1 context beyond its general registers: system registers, timer, GIC, FP/SIMD
// SPDX-License-Identifier: MIT
#include "arch/aarch64/vcpu_context.hpp"

#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"

namespace runhv::arch {
namespace {

// SCTLR_EL1 at a vCPU's first entry: MMU and caches off, RES1 bits set (Xen's SCTLR_GUEST_INIT).
constexpr u64 kSctlrEl1Init = 0x00C50078;

}  // namespace

VcpuContext initial_context(u64 vmpidr) {
  VcpuContext c{};
  c.el1.sctlr = kSctlrEl1Init;
  c.el1.cntv_ctl = kTimerImask;  // timer off (and masked) until the guest programs it
  c.el1.cntvoff = 0;
  c.el1.vmpidr = vmpidr;
  c.gic = ich::initial_state();
  return c;
}

void context_save(VcpuContext& c, u32 lrs_used) {
  using namespace sysreg;
  El1State& e = c.el1;
  e.sctlr = read_sctlr_el1();
  e.ttbr0 = read_ttbr0_el1();
  e.ttbr1 = read_ttbr1_el1();
  e.tcr = read_tcr_el1();
  e.mair = read_mair_el1();
  e.amair = read_amair_el1();
  e.vbar = read_vbar_el1();
  e.contextidr = read_contextidr_el1();
  e.tpidr_el0 = read_tpidr_el0();
  e.tpidrro_el0 = read_tpidrro_el0();
  e.tpidr_el1 = read_tpidr_el1();
  e.cpacr = read_cpacr_el1();
  e.esr = read_esr_el1();
  e.far = read_far_el1();
  e.afsr0 = read_afsr0_el1();
  e.afsr1 = read_afsr1_el1();
  e.par = read_par_el1();
  e.sp_el1 = read_sp_el1();
  e.elr_el1 = read_elr_el1();
  e.spsr_el1 = read_spsr_el1();
  e.cntkctl = read_cntkctl_el1();
  e.cntv_ctl = read_cntv_ctl_el0();
  e.cntv_cval = read_cntv_cval_el0();
  // (CNTVOFF_EL2 and VMPIDR_EL2 are the hypervisor's: still what context_restore wrote)
  e.csselr = read_csselr_el1();
  // The outgoing vCPU's timer must not fire into the next one: stop it (its saved control
  // keeps what the guest set; a scheduler arms an EL2 deadline for it if it was enabled).
  write_cntv_ctl_el0(0);
  if (ich::present()) {
    ich::save(c.gic, lrs_used);
  }
}

void context_restore(const VcpuContext& c, u32 lrs_used) {
  using namespace sysreg;
  const El1State& e = c.el1;
  write_sctlr_el1(e.sctlr);
  write_ttbr0_el1(e.ttbr0);
  write_ttbr1_el1(e.ttbr1);
  write_tcr_el1(e.tcr);
  write_mair_el1(e.mair);
  write_amair_el1(e.amair);
  write_vbar_el1(e.vbar);
  write_contextidr_el1(e.contextidr);
  write_tpidr_el0(e.tpidr_el0);
  write_tpidrro_el0(e.tpidrro_el0);
  write_tpidr_el1(e.tpidr_el1);
  write_cpacr_el1(e.cpacr);
  write_esr_el1(e.esr);
  write_far_el1(e.far);
  write_afsr0_el1(e.afsr0);
  write_afsr1_el1(e.afsr1);
  write_par_el1(e.par);
  write_sp_el1(e.sp_el1);
  write_elr_el1(e.elr_el1);
  write_spsr_el1(e.spsr_el1);
  write_cntkctl_el1(e.cntkctl);
  write_cntvoff_el2(e.cntvoff);
  write_cntv_cval_el0(e.cntv_cval);
  write_cntv_ctl_el0(e.cntv_ctl);  // last of the timer: CVAL and the offset are in place
  write_vmpidr_el2(e.vmpidr);
  write_csselr_el1(e.csselr);
  if (ich::present()) {
    ich::restore(c.gic, lrs_used);
  }
  isb();
}

}  // namespace runhv::arch
