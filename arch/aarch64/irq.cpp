// Physical interrupts at EL2: acknowledge, dispatch to the timer/vtimer/IPI handlers, end
// SPDX-License-Identifier: MIT
#include "arch/aarch64/irq.hpp"

#include "arch/aarch64/gicv3_cpuif.hpp"
#include "arch/aarch64/gicv3_dist.hpp"
#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "arch/aarch64/vtimer.hpp"
#include "arch/arch.hpp"
#include "core/log.hpp"

namespace runhv::arch {
namespace {

bool g_reported_stray = false;

void virtual_timer_fired(PerCpu& cpu) {
  if (cpu.current != nullptr) {
    vtimer_fired(*reinterpret_cast<VcpuState*>(cpu.current));
  } else {
    sysreg::write_cntv_ctl_el0(sysreg::read_cntv_ctl_el0() | kTimerImask);
    sysreg::isb();
  }
}

void dispatch(PerCpu& cpu, u32 intid) {
  switch (intid) {
    case gicv3::kIntidHypTimer:
      cpu.timer_ticks = cpu.timer_ticks + 1;
      timer_cancel();
      hyp::on_timer(cpu.index, now_ns());
      return;
    case gicv3::kIntidVirtualTimer:
      virtual_timer_fired(cpu);
      return;
    case gicv3::kIntidMaintenance:
      // Underflow (vgic_lr.cpp): a level, asserted while ICH_HCR_EL2.UIE is set and at most one
      // list register is valid. Only clearing UIE lowers it: ended alone, it would be taken again
      // at once, for ever (the list registers cannot change in here). The IRQ exit's way back into
      // the guest refills them and sets UIE again if more are still deliverable than fit.
      // EOI: the guest ended a level interrupt whose LR had the EOI bit (vgic_lr.cpp). Clearing
      // that bit lowers it; the LR stays invalid, and the way back syncs it (its line still high:
      // pending again) and refills.
      cpu.maintenance = cpu.maintenance + 1;
      for (u64 eisr = sysreg::read_ich_eisr_el2(); eisr != 0; eisr &= eisr - 1) {
        const auto n = static_cast<u32>(__builtin_ctzll(eisr));
        ich::write_lr(n, ich::read_lr(n) & ~ich::kLrEoi);
      }
      sysreg::write_ich_hcr_el2(sysreg::read_ich_hcr_el2() & ~ich::kHcrUie);
      sysreg::isb();
      return;
    case gicv3::kSgiIpi:
      cpu.sgis = cpu.sgis + 1;
      hyp::on_ipi(cpu.index);
      return;
    default:
      if (intid >= gicv3::kFirstSpi) {
        hyp::on_device_irq(intid);  // only the SPIs device_irq_enable turned on
        return;
      }
      if (!g_reported_stray) {
        g_reported_stray = true;
        logf("cpu%u: unexpected interrupt %u (reported once)", cpu.index, intid);
      }
      return;
  }
}

}  // namespace

void irq_set_ready(bool ready) { this_cpu().irq_ready = ready; }

void irq_handle() {
  PerCpu& cpu = this_cpu();
  for (;;) {
    const u64 iar = gicv3::cpuif_ack();
    const auto intid = static_cast<u32>(bits(iar, 23, 0));
    if (intid >= gicv3::kIntidSpurious && intid <= 1023) {
      return;
    }
    dispatch(cpu, intid);
    gicv3::cpuif_eoi(iar);
  }
}

void wait_for_interrupt() {
  asm volatile(
      "wfi\n"
      "msr daifclr, #2\n"
      "isb\n"
      "msr daifset, #2" ::
          : "memory");
}

void send_ipi(u32 pcpu) { gicv3::cpuif_send_sgi(g_percpu[pcpu].mpidr, gicv3::kSgiIpi); }

}  // namespace runhv::arch

extern "C" runhv::arch::VcpuFrame* runhv_guest_irq(runhv::arch::VcpuFrame* frame) {
  ++runhv::arch::this_cpu().guest_irqs;
  runhv::arch::irq_handle();
  return &runhv::hyp::exit_resume(*reinterpret_cast<runhv::arch::VcpuState*>(frame))->regs;
}
