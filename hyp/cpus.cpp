// Physical CPUs: bring-up of every pCPU (GIC, EL2 timer, self-tests), idle, and the IRQ hooks
// SPDX-License-Identifier: MIT
#include "hyp/cpus.hpp"

#include <string.h>

#include "arch/aarch64/gicv3_cpuif.hpp"
#include "arch/aarch64/gicv3_dist.hpp"
#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/hcr.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/irq.hpp"
#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "hyp/console.hpp"
#include "hyp/sched_loop.hpp"
#include "lib/panic.hpp"

extern "C" const runhv::u8 __stacks_start[];
extern "C" const runhv::u8 __stacks_end[];
extern "C" const runhv::u8 secondary_entry[];

namespace runhv::hyp {
namespace {

using arch::g_percpu;
using arch::kMaxCpus;
using arch::PerCpu;

// PerCpu::state: how far a secondary got.
constexpr u32 kStateOff = 0;
constexpr u32 kStateUp = 1;      // its GIC and timer are set up
constexpr u32 kStateTested = 2;  // its timer self-test passed: idle from here on
constexpr u32 kStateFailed = 3;  // a self-test failed (it printed why)

constexpr unsigned kSelfTestTicks = 3;
constexpr u64 kSelfTestPeriodNs = 1'000'000;      // 1 ms
constexpr u64 kBringUpTimeoutNs = 2'000'000'000;  // per secondary, counter time

dt::GicInfo g_gic;
bool g_gic_on = false;
u32 g_online = 1;

void set_state(PerCpu& cpu, u32 state) { __atomic_store_n(&cpu.state, state, __ATOMIC_RELEASE); }
u32 state_of(const PerCpu& cpu) { return __atomic_load_n(&cpu.state, __ATOMIC_ACQUIRE); }

// This pCPU's share of the GIC and the timer.
void cpu_local_init(PerCpu& cpu) {
  arch::sysreg::write_hcr_el2(arch::kHcrHost);
  arch::sysreg::isb();
  arch::timer_cpu_init();
  if (!g_gic_on) {
    return;
  }
  cpu.gicr = arch::gicv3::redist_find(g_gic.redist, g_gic.redist_size, cpu.mpidr);
  if (cpu.gicr.raw() == 0) {
    panic("cpu%u: no GICv3 redistributor for mpidr 0x%lx", cpu.index, cpu.mpidr);
  }
  arch::gicv3::redist_init(cpu.gicr);
  if (!arch::gicv3::cpuif_init()) {
    panic("cpu%u: ICC_SRE_EL2.SRE does not stick: no GICv3 system registers", cpu.index);
  }
  arch::ich::init();
  arch::irq_set_ready(true);
}

// The EL2 timer, programmed kSelfTestTicks times 1 ms apart: each interrupt must come, and
// not before its deadline.
bool timer_self_test(PerCpu& cpu) {
  const u64 first = cpu.timer_ticks;
  for (unsigned k = 1; k <= kSelfTestTicks; ++k) {
    const u64 deadline = arch::now_ns() + kSelfTestPeriodNs;
    arch::timer_program(cpu.index, deadline);
    while (cpu.timer_ticks < first + k) {
      arch::wait_for_interrupt();
    }
    const u64 now = arch::now_ns();
    if (now < deadline) {
      console::print("runhv: cpu%u timer FAILED: tick %u at %lu ns, before its deadline %lu ns\n", cpu.index, k, now,
                     deadline);
      return false;
    }
  }
  console::print("runhv: cpu%u timer ok (%lu ticks)\n", cpu.index, cpu.timer_ticks - first);
  return true;
}

// Up, announced and tested: shared by the boot CPU and the secondaries.
bool cpu_start(PerCpu& cpu) {
  cpu_local_init(cpu);
  set_state(cpu, kStateUp);
  console::print("runhv: cpu%u up (mpidr 0x%lx)\n", cpu.index, arch::sysreg::read_mpidr_el1());
  return !g_gic_on || timer_self_test(cpu);
}

void gic_boot_init(const dt::DeviceTree& tree) {
  g_gic = tree.gic();
  if (g_gic.version != 3) {
    console::print("runhv: gic: %s: no interrupts, secondary cpus stay off\n",
                   g_gic.version == 2 ? "GICv2 (not driven; runhv uses GICv3)" : "none found");
    return;
  }
  if (!arch::sysreg::has_gicv3_sysregs()) {
    console::print("runhv: gic: GICv3 in the device tree but no ICC system registers: no interrupts\n");
    return;
  }
  if (!arch::gicv3::dist_init(g_gic.dist, g_percpu[0].mpidr)) {
    panic("gic: no GICv3 distributor at 0x%lx", g_gic.dist.raw());
  }
  g_gic_on = true;
}

// Starts secondary `index` and waits until it has passed its self-test (or failed, or timed out).
void start_secondary(u32 index, u64 mpidr) {
  PerCpu& cpu = g_percpu[index];
  cpu.index = index;
  cpu.mpidr = mpidr;
  cpu.stack_top = reinterpret_cast<u64>(__stacks_start) + (u64{index} + 1) * arch::kStackSize;
  set_state(cpu, kStateOff);
  arch::sysreg::dsb_sy();
  const i64 rc = arch::psci::cpu_on(mpidr, reinterpret_cast<u64>(secondary_entry), reinterpret_cast<u64>(&cpu));
  if (rc != 0) {
    console::print("runhv: cpu%u: PSCI CPU_ON(0x%lx) failed: %ld\n", index, mpidr, rc);
    return;
  }
  const u64 give_up = arch::now_ns() + kBringUpTimeoutNs;
  u32 state = kStateOff;
  while ((state = state_of(cpu)) != kStateTested && state != kStateFailed) {
    if (arch::now_ns() > give_up) {
      console::print("runhv: cpu%u: no answer after CPU_ON (state %u)\n", index, state);
      return;
    }
  }
  if (state == kStateTested) {
    ++g_online;
  }
}

// Wakes each secondary with an SGI and waits for it to count it.
void ipi_self_test() {
  for (u32 i = 1; i < g_online; ++i) {
    const u64 before = g_percpu[i].sgis;
    arch::send_ipi(i);
    const u64 give_up = arch::now_ns() + kBringUpTimeoutNs;
    while (g_percpu[i].sgis == before) {
      if (arch::now_ns() > give_up) {
        console::print("runhv: ipi to cpu%u FAILED: not taken\n", i);
        return;
      }
    }
  }
  console::print("runhv: ipi ok (cpu1..cpu%u)\n", g_online - 1);
}

}  // namespace

void cpus_early_init() {
  arch::percpu_attach(0);
  g_percpu[0].mpidr = arch::sysreg::read_mpidr_el1() & arch::sysreg::kMpidrAffinityMask;
  g_percpu[0].stack_top = reinterpret_cast<u64>(__stacks_start) + arch::kStackSize;
  arch::timer_init_frequency();
}

void cpus_boot(const dt::DeviceTree& tree) {
  // Linker symbols bounding one region: compared as addresses, not as C++ objects.
  const u64 stacks_bytes = reinterpret_cast<u64>(__stacks_end) - reinterpret_cast<u64>(__stacks_start);
  if (stacks_bytes < kMaxCpus * arch::kStackSize) {
    panic("runhv.ld has fewer than %u stacks of %lu KiB", kMaxCpus, arch::kStackSize >> 10);
  }
  u64 mpidrs[kMaxCpus];
  usize cpus = tree.cpu_mpidrs(mpidrs, kMaxCpus);
  if (cpus > kMaxCpus) {
    console::print("runhv: %zu cpus in the device tree, using the first %u\n", cpus, kMaxCpus);
    cpus = kMaxCpus;
  }
  if (cpus == 0 || mpidrs[0] != g_percpu[0].mpidr) {
    panic("the boot cpu (mpidr 0x%lx) is not the first of /cpus", g_percpu[0].mpidr);
  }

  gic_boot_init(tree);
  if (g_gic_on) {
    console::print("runhv: gic: GICv3, GICD 0x%lx, GICR 0x%lx, %u interrupt IDs, %u list registers\n", g_gic.dist.raw(),
                   g_gic.redist.raw(), arch::gicv3::dist_lines(g_gic.dist), [] {
                     // ICH_VTR_EL2 is readable before ich::init (the boot CPU's runs in cpu_start).
                     return static_cast<u32>(bits(arch::sysreg::read_ich_vtr_el2(), 4, 0)) + 1;
                   }());
  }
  if (!cpu_start(g_percpu[0])) {
    panic("cpu0: EL2 timer self-test failed");
  }
  set_state(g_percpu[0], kStateTested);
  if (!g_gic_on || cpus == 1) {
    return;
  }
  const char* method = tree.psci_method();
  if (method == nullptr || strcmp(method, "smc") != 0) {
    console::print("runhv: psci method is %s, not smc: secondary cpus stay off\n", method ? method : "missing");
    return;
  }
  console::enable_locking();
  for (u32 i = 1; i < cpus; ++i) {
    start_secondary(i, mpidrs[i]);
  }
  ipi_self_test();
}

u32 cpus_online() { return g_online; }

}  // namespace runhv::hyp

extern "C" void secondary_main(runhv::arch::PerCpu* cpu) {
  using namespace runhv;
  const bool ok = hyp::cpu_start(*cpu);
  hyp::set_state(*cpu, ok ? hyp::kStateTested : hyp::kStateFailed);
  if (!ok) {
    for (;;) {
      arch::wait_for_interrupt();
    }
  }
  hyp::scheduling_wait();
}
