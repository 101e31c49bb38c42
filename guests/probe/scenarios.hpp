// Probe scenarios, chosen by probe.scenario=: each prints one PROBE record
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/bootargs.hpp"
#include "guests/probe/devicetree.hpp"
#include "guests/probe/percpu.hpp"

namespace probe {

inline constexpr unsigned kTickHz = 100;

// EL1 self-checks: translation tables, execution at the high VA, both TTBR1 roots, timer
// interrupts at EL1 and EL0, EL0 tasks making syscalls, the KPTI entry/exit path.
bool run_selftest(const Options& options, const Platform& platform);

// One EL0 busy task on CPU 0 and an EL1 busy loop on every other CPU (smp::count()) for
// options.seconds: one record per CPU with its iterations and timer ticks.
bool run_busy(const Options& options, const Platform& platform);
// The secondary's part (smp.cpp calls it): an EL1 loop with its own 100 Hz tick.
void busy_on_secondary(PerCpu& self);

// Ten 20 ms sleeps in WFI on the virtual timer: elapsed time and wake-ups.
bool run_sleep(const Options& options, const Platform& platform);

// Reads an IPA the hypervisor does not map: under runhv the domain is stopped there.
bool run_fault(const Options& options, const Platform& platform);

// Debug, OS-lock and PMU registers (read back natively, emulated as zero under runhv), then a
// read of CNTP_CTL_EL0, which runhv refuses: the domain stops there (scenarios_sysreg.cpp).
bool run_sysregs(const Options& options, const Platform& platform);

// Every EL1/EL0 register a guest can set, written with probe.seed='s values, read back after
// SCHEDOP_yield let another domain run on this pCPU: its own value, or Xen's RAZ/WI where runhv
// traps the register (scenarios_isolation.cpp).
bool run_isolation(const Options& options, const Platform& platform);
// probe.iterations= random loads and stores of every width, offset and alignment to the vGIC and
// vPL011, and accesses without a syndrome: each served or aborted as documented, with Xen's data
// abort syndrome, and no register changed by a refused write (scenarios_mmio.cpp).
bool run_mmio_hostile(const Options& options, const Platform& platform);

// The vPL011's transmit interrupt (a level SPI) left high through its EOI is taken again at once,
// and no more once its source is cleared (scenarios_level_irq.cpp).
bool run_level_irq(const Options& options, const Platform& platform);

// Hypercall error paths (unknown numbers, bad vCPU ids, NULL and unmapped argument pointers,
// bad sub-ops): each result against Xen's error code.
bool run_hypercalls(const Options& options, const Platform& platform);

// VCPUOP_register_vcpu_info (errors, the event upcall it raises) and XENMEM_add_to_physmap of
// shared_info over a page of the probe's RAM.
bool run_events(const Options& options, const Platform& platform);

// Instruction counts under QEMU -icount (../shared/reference/measuring.md): timed asm loops of
// null hypercalls, PSCI_VERSION and SCHEDOP_yield (alone, then switching with CPU 1), net of
// matched baselines. Needs a hypervisor: natively only the loop self-check runs.
bool run_bench(const Options& options, const Platform& platform);
bool run_yield_ring(const Options& options, const Platform& platform);
// runstate_update/target: the switching yield loop with 0, 1 or 2 runstate areas registered
// (by VA, flag off and on; by IPA), per area update net of the no-area phase.
bool run_bench_runstate(const Options& options, const Platform& platform);
// CPU 1's part of yield_switch (smp.cpp calls it).
void yield_switch_on_secondary(PerCpu& self);

// Runstate areas (issue 4, scenarios_runstate.cpp). mode_number: 0 kpti-va, 1 kpti-legacy,
// 2 page-cross (areas by kernel VA, checked at every tick while CPU 0 runs EL0 with KPTI).
bool run_kpti_areas(const Options& options, const Platform& platform, const char* name, int mode_number);
bool run_remote_register(const Options& options, const Platform& platform);
bool run_remap(const Options& options, const Platform& platform);
bool run_phys(const Options& options, const Platform& platform);
bool run_update_flag(const Options& options, const Platform& platform);
bool run_pv_time(const Options& options, const Platform& platform);
// steal (legacy false) / steal-legacy (true, the negative control in runhv's legacy mode): the
// time an EL0 loop with interrupts masked saw missing against the area's and PV time's stolen time.
bool run_steal(const Options& options, const Platform& platform, bool legacy);
bool run_hostile(const Options& options, const Platform& platform);
// Every vCPU registers, unregisters and re-registers its own and its siblings' runstate areas and
// vcpu_infos and remaps a grant frame over a page they all read, at random, checking its own
// areas against its own clock after every hypercall (scenarios_storm.cpp).
bool run_storm(const Options& options, const Platform& platform);
// The virtual timer due while its interrupt cannot be delivered yet (disabled at the
// redistributor; list registers taken by higher-priority SGIs): the probe keeps running at full
// speed and gets the interrupt once it can (scenarios_vtimer.cpp).
bool run_vtimer_held(const Options& options, const Platform& platform);
// A T32 task at AArch32 EL0 whose WFIs (16-bit, 32-bit) and ticks exit to the
// hypervisor from AArch32 (scenarios_el0_a32.cpp).
bool run_el0_a32(const Options& options, const Platform& platform);
// down-last / cpu-off-last / block-forever (`name`): the only vCPU goes down or blocks for good;
// runhv must stop the domain (scenarios_hyp.cpp).
bool run_liveness(const Options& options, const Platform& platform, const char* name);

}  // namespace probe
