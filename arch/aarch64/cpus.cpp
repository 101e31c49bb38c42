// Physical CPUs: bring-up of every pCPU (GIC, EL2 timer, self-tests) and the seam's CPU services
// SPDX-License-Identifier: MIT
//
// The boot CPU calls cpus_boot() once its MMU is on. It sets up the GICv3 distributor, then on
// itself and on each secondary (PSCI CPU_ON over SMC, one at a time, in device-tree order):
// the redistributor, the ICC_* CPU interface, the virtual interface (ICH_*) and the EL2 timer,
// and runs a timer self-test (the EL2 timer programmed three times, 1 ms apart). Log:
//   runhv: gic: GICv3, GICD 0x8000000, GICR 0x80a0000, 288 interrupt IDs, 4 list registers
//   runhv: cpu<N> up (mpidr 0x...)
//   runhv: cpu<N> timer ok (3 ticks)
//   runhv: ipi ok (cpu1..cpu<M>)            (each secondary woken by an SGI from cpu0)
//   runhv: cpu0 vcpu context ok (...), runhv: cpu0 virtual timer ok (...)
// Secondaries then call hyp::secondary_main(). Without a GICv3 only the boot CPU runs, without
// interrupts.
#include "arch/aarch64/el2_instructions.hpp"
#include "arch/aarch64/gicv3_cpuif.hpp"
#include "arch/aarch64/gicv3_dist.hpp"
#include "arch/aarch64/gicv3_redist.hpp"
#include "arch/aarch64/hcr.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/irq.hpp"
#include "arch/aarch64/mmu_el2.hpp"
#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/self_test.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/timer.hpp"
#include "arch/arch.hpp"
#include "core/log.hpp"
#include "lib/panic.hpp"

extern "C" const runhv::u8 secondary_entry[];

namespace runhv::arch {
namespace {

// PerCpu::state: how far a secondary got.
constexpr u32 kStateOff = 0;
constexpr u32 kStateUp = 1;         // its GIC and timer are set up
constexpr u32 kStateTested = 2;     // its timer self-test passed: idle from here on
constexpr u32 kStateFailed = 3;     // a self-test failed (it printed why)
constexpr u32 kStateAbandoned = 4;  // the boot CPU gave up waiting: it must never join

constexpr unsigned kSelfTestTicks = 3;
constexpr u64 kSelfTestPeriodNs = 1'000'000;      // 1 ms
constexpr u64 kBringUpTimeoutNs = 2'000'000'000;  // per secondary, counter time

CpuTopology g_topology;
bool g_gic_on = false;
u32 g_online = 1;

void set_state(PerCpu& cpu, u32 state) { __atomic_store_n(&cpu.state, state, __ATOMIC_RELEASE); }
// `from` -> `to`, unless the CPU's state is no longer `from` (the boot CPU abandoned it).
bool advance(PerCpu& cpu, u32 from, u32 to) {
  return __atomic_compare_exchange_n(&cpu.state, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
// In a wait for another CPU: QEMU's single-threaded modes (-icount) switch to the next vCPU at a
// YIELD, so a waiting CPU does not starve the one it waits for.
void relax() { asm volatile("yield" ::: "memory"); }
u32 state_of(const PerCpu& cpu) { return __atomic_load_n(&cpu.state, __ATOMIC_ACQUIRE); }

// This pCPU's share of the GIC and the timer.
void cpu_local_init(PerCpu& cpu) {
  sysreg::write_hcr_el2(kHcrHost);
  sysreg::isb();
  timer_cpu_init();
  if (!g_gic_on) {
    return;
  }
  cpu.gicr = gicv3::redist_find(g_topology.gicr, g_topology.gicr_size, cpu.mpidr);
  if (cpu.gicr.raw() == 0) {
    panic("cpu%u: no GICv3 redistributor for mpidr 0x%lx", cpu.index, cpu.mpidr);
  }
  gicv3::redist_init(cpu.gicr);
  if (!gicv3::cpuif_init()) {
    panic("cpu%u: ICC_SRE_EL2.SRE does not stick: no GICv3 system registers", cpu.index);
  }
  ich::init();
  irq_set_ready(true);
}

// The EL2 timer, programmed kSelfTestTicks times 1 ms apart: each interrupt must come, and
// not before its deadline.
bool timer_self_test(PerCpu& cpu) {
  const u64 first = cpu.timer_ticks;
  for (unsigned k = 1; k <= kSelfTestTicks; ++k) {
    const u64 deadline = now_ns() + kSelfTestPeriodNs;
    timer_program(cpu.index, deadline);
    while (cpu.timer_ticks < first + k) {
      wait_for_interrupt();
    }
    const u64 now = now_ns();
    if (now < deadline) {
      logf("cpu%u timer FAILED: tick %u at %lu ns, before its deadline %lu ns", cpu.index, k, now, deadline);
      return false;
    }
  }
  logf("cpu%u timer ok (%lu ticks)", cpu.index, cpu.timer_ticks - first);
  return true;
}

// Up, announced and tested: shared by the boot CPU and the secondaries.
bool cpu_start(PerCpu& cpu) {
  cpu_local_init(cpu);
  // What a guest reads here: MIDR_EL1 through VPIDR_EL2 (guest_mode_enter sets it to this CPU's
  // MIDR_EL1), the ID registers themselves (HCR_EL2.TID3 is clear, so they do not trap).
  cpu.ids = {.midr = sysreg::read_midr_el1(),
             .pfr0 = sysreg::read_id_aa64pfr0_el1(),
             .pfr1 = sysreg::read_id_aa64pfr1_el1(),
             .mmfr1 = sysreg::read_id_aa64mmfr1_el1()};
  if (cpu.index == 0) {
    set_state(cpu, kStateUp);
  } else if (!advance(cpu, kStateOff, kStateUp)) {
    return false;  // abandoned: secondary_main parks it
  }
  logf("cpu%u up (mpidr 0x%lx)", cpu.index, sysreg::read_mpidr_el1());
  return !g_gic_on || timer_self_test(cpu);
}

void gic_boot_init() {
  if (g_topology.gic_version != 3) {
    logf("gic: %s: no interrupts, secondary cpus stay off",
         g_topology.gic_version == 2 ? "GICv2 (not driven; runhv uses GICv3)" : "none found");
    return;
  }
  if (!sysreg::has_gicv3_sysregs()) {
    logf("gic: GICv3 in the device tree but no ICC system registers: no interrupts");
    return;
  }
  if (!gicv3::dist_init(g_topology.gicd, g_percpu[0].mpidr)) {
    panic("gic: no GICv3 distributor at 0x%lx", g_topology.gicd.raw());
  }
  g_gic_on = true;
}

// Starts secondary `index` and waits until it has passed its self-test (or failed, or timed out);
// whether it is online. One that times out is abandoned (it parks if it ever gets further).
bool start_secondary(u32 index, u64 mpidr, Pa stack) {
  PerCpu& cpu = g_percpu[index];
  cpu.index = index;
  cpu.mpidr = mpidr;
  cpu.stack_top = stack.raw() + kStackSize;
  set_state(cpu, kStateOff);
  sysreg::dsb_sy();
  const i64 rc = psci::cpu_on(mpidr, reinterpret_cast<u64>(secondary_entry), reinterpret_cast<u64>(&cpu));
  if (rc != 0) {
    logf("cpu%u: PSCI CPU_ON(0x%lx) failed: %ld", index, mpidr, rc);
    return false;
  }
  const u64 give_up = now_ns() + kBringUpTimeoutNs;
  u32 state = kStateOff;
  while ((state = state_of(cpu)) != kStateTested && state != kStateFailed) {
    if (now_ns() > give_up && advance(cpu, state, kStateAbandoned)) {
      logf("cpu%u: no answer after CPU_ON (state %u): abandoned", index, state);
      return false;
    }
    relax();
  }
  if (state == kStateTested) {
    ++g_online;
    return true;
  }
  return false;
}

// Wakes each secondary with an SGI and waits for it to count it.
void ipi_self_test() {
  for (u32 i = 1; i < g_online; ++i) {
    const u64 before = g_percpu[i].sgis;
    send_ipi(i);
    const u64 give_up = now_ns() + kBringUpTimeoutNs;
    while (g_percpu[i].sgis == before) {
      if (now_ns() > give_up) {
        logf("ipi to cpu%u FAILED: not taken", i);
        return;
      }
      relax();
    }
  }
  logf("ipi ok (cpu1..cpu%u)", g_online - 1);
}

}  // namespace

void early_init() {
  percpu_attach(0);
  g_percpu[0].mpidr = sysreg::read_mpidr_el1() & sysreg::kMpidrAffinityMask;
  g_percpu[0].stack_top = boot_stack_top();
  timer_init_frequency();
}

bool device_irq_enable(u32 intid) { return g_gic_on && gicv3::dist_enable_spi(g_topology.gicd, intid); }

unsigned exception_level() { return sysreg::current_el(); }

u64 mm_init(const HostMemory& m) {
  return mmu_el2::enable(
      {.ram_base = m.ram_base, .ram_size = m.ram_size, .device_base = m.device_base, .device_size = m.device_size});
}

void clean_to_poc(Pa pa, u64 size) { mmu_el2::clean_invalidate_to_poc(pa, size); }

u64 cpus_boot_bytes(const CpuTopology& topology) {
  const u32 cpus = topology.count < kMaxPcpus ? topology.count : kMaxPcpus;
  return cpus > 1 ? (cpus - 1) * kStackSize : 0;
}

u32 cpus_boot(const CpuTopology& topology, Pa ram) {
  g_topology = topology;
  const u32 cpus = topology.count < kMaxPcpus ? topology.count : kMaxPcpus;
  if (topology.count > kMaxPcpus) {
    logf("%u cpus in the device tree, using the first %u", topology.count, kMaxPcpus);
  }
  if (cpus == 0 || topology.mpidrs[0] != g_percpu[0].mpidr) {
    panic("the boot cpu (mpidr 0x%lx) is not the first of /cpus", g_percpu[0].mpidr);
  }

  gic_boot_init();
  if (g_gic_on) {
    // ICH_VTR_EL2 is readable before ich::init (the boot CPU's runs in cpu_start).
    logf("gic: GICv3, GICD 0x%lx, GICR 0x%lx, %u interrupt IDs, %u list registers", g_topology.gicd.raw(),
         g_topology.gicr.raw(), gicv3::dist_lines(g_topology.gicd),
         static_cast<u32>(bits(sysreg::read_ich_vtr_el2(), 4, 0)) + 1);
  }
  if (!cpu_start(g_percpu[0])) {
    panic("cpu0: EL2 timer self-test failed");
  }
  set_state(g_percpu[0], kStateTested);
  if (g_gic_on && cpus > 1) {
    if (!topology.psci_smc) {
      logf("psci method is not smc: secondary cpus stay off");
    } else {
      // pCPU indices stay dense: after a secondary that did not come up, no further one starts.
      for (u32 i = 1; i < cpus && start_secondary(i, topology.mpidrs[i], ram + (i - 1) * kStackSize); ++i) {
      }
      if (g_online < cpus) {
        logf("running on %u of %u cpus", g_online, cpus);
      }
      ipi_self_test();
    }
  }
  if (!vcpu_context_self_test()) {
    panic("vcpu context save/restore self-test failed");
  }
  if (irq_ready() && !vtimer_self_test()) {
    panic("virtual timer self-test failed");
  }
  return g_online;
}

void guest_mode_enter() {
  sysreg::write_vpidr_el2(sysreg::read_midr_el1());
  sysreg::write_hcr_el2(kHcrGuest);
  sysreg::write_mdcr_el2(sysreg::read_mdcr_el2() | kMdcrGuestTraps);
  sysreg::isb();
  el2_instructions_start();
}

u64 guest_irqs_taken() { return this_cpu().guest_irqs; }

CpuIds cpu_ids(u32 pcpu) { return pcpu < g_online ? g_percpu[pcpu].ids : CpuIds{}; }

void system_off() { psci::system_off(); }

}  // namespace runhv::arch

extern "C" void secondary_main(runhv::arch::PerCpu* cpu) {
  using namespace runhv;
  const bool ok = arch::cpu_start(*cpu) && arch::advance(*cpu, arch::kStateUp, arch::kStateTested);
  if (!ok) {
    arch::advance(*cpu, arch::kStateUp, arch::kStateFailed);  // (no change if it was abandoned)
    for (;;) {
      arch::wait_for_interrupt();
    }
  }
  hyp::secondary_main();
}
