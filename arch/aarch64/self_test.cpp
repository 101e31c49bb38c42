// Boot self-tests of the vCPU switch pieces: context save/restore and the virtual-timer path
// SPDX-License-Identifier: MIT
#include "arch/aarch64/self_test.hpp"

#include <string.h>

#include "arch/aarch64/fpsimd_switch.hpp"
#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/irq.hpp"
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "arch/aarch64/vcpu_state.hpp"
#include "arch/arch.hpp"
#include "core/log.hpp"
#include "core/psci.hpp"
#include "core/vgic.hpp"

namespace runhv::arch {
namespace {

// A context no guest would have but every register keeps (architectural bits only; the
// IMPLEMENTATION DEFINED AMAIR_EL1, AFSR0_EL1 and AFSR1_EL1 are RAZ/WI on QEMU and not compared).
VcpuContext test_pattern() {
  VcpuContext c = initial_context(vcpu_vmpidr(5));
  El1State& e = c.el1;
  e.ttbr0 = 0x0001'0000'4123'4000ULL;
  e.ttbr1 = 0x0002'0000'4567'8000ULL;
  e.tcr = 0x0000'0034'B519'3519ULL;
  e.mair = 0x0000'0004'0044'FF00ULL;
  e.vbar = 0xFFFF'8000'0801'0800ULL;
  e.contextidr = 0x42;
  e.tpidr_el0 = 0x1111'2222'3333'4444ULL;
  e.tpidrro_el0 = 0x5555'6666'7777'8888ULL;
  e.tpidr_el1 = 0x9999'AAAA'BBBB'CCCCULL;
  e.cpacr = u64{3} << 20;  // FPEN: EL0/EL1 FP/SIMD untrapped
  e.esr = 0x9600'0045;
  e.far = 0xFFFF'0000'DEAD'BEE0ULL;
  e.par = 0x0000'0000'4000'0000ULL;
  e.sp_el1 = 0xFFFF'8000'09E0'3F00ULL;
  e.elr_el1 = 0xFFFF'8000'0800'1234ULL;
  e.spsr_el1 = 0x3C5;
  e.cntkctl = 0x3;
  e.cntv_ctl = kTimerImask;
  e.cntv_cval = 0x1'2345'6789ULL;
  e.cntvoff = 0x1000;
  e.csselr = 0x2;  // Level 2, data or unified
  for (u32 i = 0; i < 32; ++i) {
    c.fp.q[i][0] = 0x0101'0101'0101'0101ULL * (i + 1);
    c.fp.q[i][1] = ~c.fp.q[i][0];
  }
  c.fp.fpsr = 0x1;           // IOC
  c.fp.fpcr = u64{3} << 22;  // RMode: towards zero
  if (ich::present()) {
    c.gic.lr[0] = ich::kLrStatePending | ich::kLrGroup1 | (u64{0xA0} << ich::kLrPriorityShift) | 40;
    c.gic.vmcr = (u64{0xF0} << 24) | (u64{1} << 1);  // VPMR 0xF0, VENG1
  }
  return c;
}

bool same_el1(const El1State& a, const El1State& b) {
  return a.sctlr == b.sctlr && a.ttbr0 == b.ttbr0 && a.ttbr1 == b.ttbr1 && a.tcr == b.tcr && a.mair == b.mair &&
         a.vbar == b.vbar && a.contextidr == b.contextidr && a.tpidr_el0 == b.tpidr_el0 &&
         a.tpidrro_el0 == b.tpidrro_el0 && a.tpidr_el1 == b.tpidr_el1 && a.cpacr == b.cpacr && a.esr == b.esr &&
         a.far == b.far && a.par == b.par && a.sp_el1 == b.sp_el1 && a.elr_el1 == b.elr_el1 &&
         a.spsr_el1 == b.spsr_el1 && a.cntkctl == b.cntkctl && (a.cntv_ctl & 3) == (b.cntv_ctl & 3) &&
         a.cntv_cval == b.cntv_cval && a.cntvoff == b.cntvoff && a.vmpidr == b.vmpidr && a.csselr == b.csselr;
}

}  // namespace

bool vcpu_context_self_test() {
  const VcpuContext want = test_pattern();
  static VcpuContext got;  // 1.3 KiB: off the 16 KiB stack
  context_restore(want, 1);
  const bool gic = ich::present();
  const u64 cntvoff = sysreg::read_cntvoff_el2();
  const u64 vmpidr = sysreg::read_vmpidr_el2();
  context_save(got, 1);
  fpsimd_open();
  sysreg::isb();
  runhv_fpsimd_restore(&want.fp);
  runhv_fpsimd_save(&got.fp);
  got.el1.cntvoff = cntvoff;  // (not saved: only the hypervisor writes them)
  got.el1.vmpidr = vmpidr;
  bool ok = same_el1(want.el1, got.el1) && memcmp(&want.fp, &got.fp, sizeof want.fp) == 0;
  if (gic) {
    ok = ok && got.gic.lr[0] == want.gic.lr[0] && (got.gic.vmcr & 0xFF00'0002) == want.gic.vmcr &&
         got.gic.hcr == want.gic.hcr;
  }
  // Leave nothing of the pattern behind.
  context_restore(initial_context(0), 1);
  static const FpsimdState zero_fp{};
  runhv_fpsimd_restore(&zero_fp);
  fpsimd_close();
  if (gic) {
    ich::init();
  }
  sysreg::write_cntvoff_el2(0);
  logf("cpu%u vcpu context %s (EL1 sysregs, timer, FP/SIMD%s)", this_cpu_index(), ok ? "ok" : "save/restore FAILED",
       gic ? ", list registers" : "");
  return ok;
}

bool vtimer_self_test() {
  static VcpuState scratch;
  PerCpu& cpu = this_cpu();
  VcpuFrame* const before = cpu.current;
  ich::init();
  cpu.current = &scratch.regs;
  sysreg::write_cntvoff_el2(0);
  sysreg::write_cntv_cval_el0(sysreg::read_cntpct_el0() + ns_to_ticks(100'000));  // 100 us
  sysreg::write_cntv_ctl_el0(kTimerEnable);
  sysreg::isb();
  const u64 give_up = now_ns() + 1'000'000'000;
  while ((sysreg::read_cntv_ctl_el0() & kTimerImask) == 0 && now_ns() < give_up) {
    wait_for_interrupt();
  }
  const u64 ctl = sysreg::read_cntv_ctl_el0();
  // What the hypervisor then does with the fired timer: INTID 27 pending in a vGIC whose guest
  // enabled it, handed to the list registers.
  static Vgic vgic;
  u64 lr0 = 0;
  namespace vgicv3 = ::runhv::gicv3;
  if (take_guest_timer_fired(scratch) && vgic.reset(1) &&
      vgic.distributor().write(vgicv3::kGicdCtlr, 4, vgicv3::kCtlrAre | vgicv3::kCtlrEnableGrp1) &&
      vgic.redistributors().write(vgicv3::kGicrSgiBase + vgicv3::kGicdIsenabler, 4,
                                  u64{1} << gicv3::kIntidVirtualTimer)) {
    vgic.set_pending(0, gicv3::kIntidVirtualTimer);
    vgic_fill(scratch, vgic, 0);
    lr0 = ich::read_lr(0);
  }
  // Untouched, the list registers are as filled; a guest's acknowledge (pending -> active) is seen.
  const bool as_filled = vgic_lrs_as_filled(scratch);
  ich::write_lr(0, (lr0 & ~ich::kLrStateMask) | ich::kLrStateActive);
  const bool taken_seen = !vgic_lrs_as_filled(scratch);
  const bool ok = (ctl & kTimerImask) != 0 && (lr0 & ich::kLrVintidMask) == gicv3::kIntidVirtualTimer &&
                  (lr0 & ich::kLrStateMask) == ich::kLrStatePending && as_filled && taken_seen;
  sysreg::write_cntv_ctl_el0(0);
  ich::init();
  cpu.current = before;
  logf("cpu%u virtual timer %s (CNTV_CTL 0x%lx, ICH_LR0 0x%lx, as filled %d, acknowledge seen %d)", cpu.index,
       ok ? "ok: masked at EL2, INTID 27 in a list register" : "FAILED", ctl, lr0, as_filled, taken_seen);
  return ok;
}

}  // namespace runhv::arch
