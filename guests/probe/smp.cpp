// Probe secondary CPUs: PSCI CPU_ON over the DT's conduit, per-CPU stacks, EL1 work only
// SPDX-License-Identifier: MIT
#include "guests/probe/smp.hpp"

#include "guests/probe/gic.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/timer.hpp"

extern "C" {
probe::PerCpu probe_cpus[probe::kMaxCpus];
void probe_secondary_entry();  // head.S, entered at its physical address
}

namespace probe::smp {
namespace {

constexpr u64 kStackSize = 16 * 1024;
constexpr i64 kPsciNotSupported = -1;

const Platform* platform = nullptr;
unsigned cpu_count = 1;
alignas(16) u8 stacks[kMaxCpus - 1][kStackSize];  // secondaries only: CPU 0 has head.S's
SecondaryBoot boot[kMaxCpus];

u64 affinity_of(u64 mpidr) { return (mpidr & 0xff00ffffff); }

i64 psci(u32 function, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
  switch (platform->psci) {
    case PsciMethod::hvc:
      return static_cast<i64>(smccc::hvc(function, a1, a2, a3));
    case PsciMethod::smc:
      return static_cast<i64>(smccc::smc(function, a1, a2, a3));
    case PsciMethod::none:
      break;
  }
  return kPsciNotSupported;
}

// Writes the lines holding [p, p + size) back to the point of coherency: a CPU with its MMU
// (and so its caches) off reads memory, not this CPU's cache.
void clean_to_poc(const void* p, u64 size) {
  const u64 line = u64{4} << ((read_ctr_el0() >> 16) & 0xf);
  const u64 begin = reinterpret_cast<u64>(p) & ~(line - 1);
  for (u64 at = begin; at < reinterpret_cast<u64>(p) + size; at += line) {
    asm volatile("dc civac, %0" : : "r"(at) : "memory");
  }
  asm volatile("dsb sy" ::: "memory");
}

}  // namespace

void init(const Platform& p, const Options& options) {
  platform = &p;
  const u64 self = affinity_of(read_mpidr_el1());
  probe_cpus[0].index = 0;
  probe_cpus[0].mpidr = self;
  probe_cpus[0].ok = true;
  unsigned limit = p.cpus < kMaxCpus ? p.cpus : kMaxCpus;
  if (options.cpus != 0 && options.cpus < limit) {
    limit = static_cast<unsigned>(options.cpus);
  }
  cpu_count = 1;
  const unsigned listed = p.cpus < kMaxCpus ? p.cpus : kMaxCpus;
  for (unsigned i = 0; i < listed && cpu_count < limit; ++i) {
    if (p.cpu_mpidr[i] == self) {
      continue;
    }
    probe_cpus[cpu_count].index = cpu_count;
    probe_cpus[cpu_count].mpidr = p.cpu_mpidr[i];
    ++cpu_count;
  }
}

unsigned count() { return cpu_count; }

bool start(unsigned index, Work work, u64 arg, u64 runs) {
  PerCpu& cpu = probe_cpus[index];
  cpu.work = work;
  cpu.arg = arg;
  cpu.runs = runs;
  cpu.online = 0;
  cpu.done = 0;
  SecondaryBoot& b = boot[index];
  b.idmap_root_pa = mmu::idmap_root_pa();
  b.user_root_pa = mmu::user_root_pa();
  b.percpu_va = reinterpret_cast<u64>(&cpu);
  b.stack_top_va = reinterpret_cast<u64>(stacks[index - 1] + kStackSize);
  clean_to_poc(&b, sizeof b);
  asm volatile("dsb ish" ::: "memory");  // the PerCpu stores before the CPU can run
  cpu.cpu_on_status =
      psci(smccc::kPsciCpuOn64, cpu.mpidr, mmu::virt_to_phys(reinterpret_cast<const void*>(probe_secondary_entry)),
           mmu::virt_to_phys(&b));
  return cpu.cpu_on_status == 0;
}

bool wait_done(unsigned index, u64 timeout_ticks, bool yield_while_waiting) {
  const u64 deadline = timer::now() + timeout_ticks;
  while (load_acquire(probe_cpus[index].done) == 0) {
    if (timer::now() >= deadline) {
      return false;
    }
    if (yield_while_waiting) {
      yield();
    }
  }
  return true;
}

void yield() {
  if (platform != nullptr && platform->xen) {
    xen::hypercall(xen::kSchedOp, xen::kSchedOpYield, 0);
  }
}

}  // namespace probe::smp

using namespace probe;

extern "C" [[noreturn]] void probe_secondary_main() {
  PerCpu& self = this_cpu();
  self.first_cntvct = timer::now();
  self.ok = gic::init_secondary(*smp::platform, timer::intid());
  store_release(self.online, u64{1});
  if (self.ok) {
    switch (self.work) {
      case Work::busy:
        busy_on_secondary(self);
        break;
      case Work::yield_switch:
        yield_switch_on_secondary(self);
        break;
      case Work::function:
        if (self.work_fn != nullptr) {
          self.work_fn(self);
        }
        break;
      case Work::none:
        break;
    }
  }
  irqs_off();
  timer::stop();
  store_release(self.done, u64{1});
  smp::psci(smccc::kPsciCpuOff);
  for (;;) {
    wfi();
  }
}
