// Physical interrupts at EL2: acknowledge, dispatch to the timer/vtimer/IPI handlers, end
// SPDX-License-Identifier: MIT
//
// IRQs reach EL2 two ways: while a guest runs (HCR_EL2.IMO = 1; world_switch.S saves the guest
// into its vCPU frame and calls runhv_guest_irq) and while the hypervisor itself waits with
// PSTATE.I clear (only in wait_for_interrupt(); the vector saves an ExceptionFrame). Both call
// irq_handle(), which takes interrupts until the CPU interface has none left:
//   INTID 26  EL2 timer: disarmed, then hyp::on_timer(pcpu, now_ns)
//   INTID 27  virtual timer: vtimer_fired() for the vCPU loaded here (vtimer.hpp)
//   INTID 25  vGIC underflow maintenance: counted, UIE cleared; the exit path refills the list
//             registers (and sets UIE again if needed)
//   SGI 0     IPI: hyp::on_ipi(pcpu)
//   SPIs      hyp::on_device_irq(intid) (the ones device_irq_enable turned on; the boot pCPU)
//   other     ended and ignored (none is enabled); the first one is logged
#pragma once

#include "arch/aarch64/vcpu_frame.hpp"
#include "arch/arch.hpp"  // irq_ready, send_ipi, wait_for_interrupt
#include "core/types.hpp"

namespace runhv::arch {

// Set once this pCPU's GICv3 CPU interface is up (cpus.cpp).
void irq_set_ready(bool ready);

// Takes and ends every pending interrupt (IRQs masked at EL2 while it runs).
void irq_handle();

}  // namespace runhv::arch

extern "C" {
// Called by world_switch.S on an IRQ taken from a guest, with the saved frame; returns the
// frame of the vCPU to resume (another one after a reschedule: hyp::exit_resume).
runhv::arch::VcpuFrame* runhv_guest_irq(runhv::arch::VcpuFrame* frame);
}
