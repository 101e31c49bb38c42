// Physical CPUs: bring-up of every pCPU (GIC, EL2 timer, self-tests), idle, and the IRQ hooks
// SPDX-License-Identifier: MIT
//
// The boot CPU calls cpus_boot() once its MMU is on. It sets up the GICv3 distributor, then on
// itself and on each secondary (PSCI CPU_ON over SMC, one at a time, in device-tree order):
// the redistributor, the ICC_* CPU interface, the virtual interface (ICH_*) and the EL2 timer,
// and runs a timer self-test (the EL2 timer programmed three times, 1 ms apart). Console:
//   runhv: gic: GICv3, GICD 0x8000000, GICR 0x80a0000, 288 interrupt IDs, 4 list registers
//   runhv: cpu<N> up (mpidr 0x...)
//   runhv: cpu<N> timer ok (3 ticks)
//   runhv: ipi ok (cpu1..cpu<M>)            (each secondary woken by an SGI from cpu0)
// Secondaries then idle in WFI with IRQs taken at EL2, wakeable by arch::send_ipi(pcpu), until
// the boot CPU lets them into the scheduling loop (hyp/sched_loop.hpp).
// Without a GICv3 (gic-version=2) only the boot CPU runs, without interrupts.
#pragma once

#include "arch/aarch64/percpu.hpp"
#include "core/types.hpp"
#include "hyp/devicetree.hpp"

namespace runhv::hyp {

// Boot CPU, first thing in hyp_main: TPIDR_EL2 -> its PerCpu, the counter frequency.
void cpus_early_init();
// Boot CPU, MMU on: the GIC and timers everywhere, the secondaries started and tested.
void cpus_boot(const dt::DeviceTree& tree);
// pCPUs up (1 until cpus_boot started others).
[[nodiscard]] u32 cpus_online();

// Called by arch/aarch64/irq.cpp with IRQs masked, on the pCPU concerned; implemented by the
// scheduling loop (hyp/scheduling.cpp).
// pCPU `pcpu`'s EL2 timer reached its deadline (it is disarmed; program the next one here).
void on_timer(u32 pcpu, u64 now_ns);
// pCPU `pcpu` got the wake-up SGI.
void on_ipi(u32 pcpu);

}  // namespace runhv::hyp

// boot.S secondary_entry, with the MMU on, TPIDR_EL2 and SP_EL2 set.
extern "C" [[noreturn]] void secondary_main(runhv::arch::PerCpu* cpu);
