// Probe kernel main: MMU finished, device tree, console, interrupts, then the chosen scenario
// SPDX-License-Identifier: MIT
#include <string.h>

#include "guests/probe/bootargs.hpp"
#include "guests/probe/console.hpp"
#include "guests/probe/devicetree.hpp"
#include "guests/probe/exception.hpp"
#include "guests/probe/frame.hpp"
#include "guests/probe/gic.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/power.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/smp.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

Platform platform;

const char* psci_name(PsciMethod method) {
  switch (method) {
    case PsciMethod::hvc:
      return "hvc";
    case PsciMethod::smc:
      return "smc";
    case PsciMethod::none:
      break;
  }
  return "none";
}

void banner() {
  console::put("probe: started at EL");
  console::put_dec((read_currentel() >> 2) & 3);
  console::put(", loaded at ");
  console::put_hex(mmu::load_pa());
  console::put(", dtb ");
  console::put_hex(mmu::dtb_pa());
  console::put("\nprobe: ");
  console::put_dec(platform.mem_size >> 20);
  console::put(" MiB RAM at ");
  console::put_hex(platform.mem_base);
  console::put(", ");
  console::put_dec(platform.cpus);
  console::put(platform.cpus == 1 ? " cpu" : " cpus");
  console::put(", hypervisor ");
  console::put(platform.xen ? "xen" : "none");
  console::put(", psci ");
  console::put(psci_name(platform.psci));
  console::put(", gic-v3 ");
  console::put_hex(platform.gicd_pa);
  console::put(" ");
  console::put_hex(platform.gicr_pa);
  console::put(", pl011 ");
  console::put_hex(platform.uart_pa);
  console::put(", timer intid ");
  console::put_dec(platform.timer_intid);
  console::put("\nprobe: bootargs \"");
  console::put(platform.bootargs);
  console::put("\"\n");
}

}  // namespace
}  // namespace probe

using namespace probe;

extern "C" [[noreturn]] void probe_main(u64, u64) {
  this_cpu().first_cntvct = timer::now();
  mmu::finish_boot();
  if (!read_device_tree(mmu::dtb_va(), platform)) {
    power_off(platform);  // no console to tell: psci is unknown too, so this halts
  }
  if (platform.xen) {
    console::use_xen();
  } else if (platform.uart_pa != 0) {
    console::use_pl011(mmu::map_device(platform.uart_pa, 0x1000));
  }
  banner();

  const Options options = parse_bootargs(platform.bootargs);
  set_fatal_context(&platform, options.scenario);
  timer::set_intid(platform.timer_intid);
  if (!gic::init(platform, platform.timer_intid)) {
    Record(options.scenario).text("error", "interrupt controller").flag("pass", false).end();
    power_off(platform);
  }
  probe_kpti_active = options.kpti ? 1 : 0;
  smp::init(platform, options);

  if (strcmp(options.scenario, "selftest") == 0) {
    run_selftest(options, platform);
  } else if (strcmp(options.scenario, "busy") == 0) {
    run_busy(options, platform);
  } else if (strcmp(options.scenario, "sleep") == 0) {
    run_sleep(options, platform);
  } else if (strcmp(options.scenario, "fault") == 0) {
    run_fault(options, platform);
  } else if (strcmp(options.scenario, "sysregs") == 0) {
    run_sysregs(options, platform);
  } else if (strcmp(options.scenario, "hypercalls") == 0) {
    run_hypercalls(options, platform);
  } else if (strcmp(options.scenario, "events") == 0) {
    run_events(options, platform);
  } else if (strcmp(options.scenario, "bench") == 0) {
    run_bench(options, platform);
  } else if (strcmp(options.scenario, "bench-runstate") == 0) {
    run_bench_runstate(options, platform);
  } else if (strcmp(options.scenario, "yield-ring") == 0) {
    run_yield_ring(options, platform);
  } else if (strcmp(options.scenario, "kpti-va") == 0) {
    run_kpti_areas(options, platform, options.scenario, 0);
  } else if (strcmp(options.scenario, "kpti-legacy") == 0) {
    run_kpti_areas(options, platform, options.scenario, 1);
  } else if (strcmp(options.scenario, "page-cross") == 0) {
    run_kpti_areas(options, platform, options.scenario, 2);
  } else if (strcmp(options.scenario, "remote-register") == 0) {
    run_remote_register(options, platform);
  } else if (strcmp(options.scenario, "remap") == 0) {
    run_remap(options, platform);
  } else if (strcmp(options.scenario, "phys") == 0) {
    run_phys(options, platform);
  } else if (strcmp(options.scenario, "update-flag") == 0) {
    run_update_flag(options, platform);
  } else if (strcmp(options.scenario, "pv-time") == 0) {
    run_pv_time(options, platform);
  } else if (strcmp(options.scenario, "steal") == 0) {
    run_steal(options, platform, false);
  } else if (strcmp(options.scenario, "steal-legacy") == 0) {
    run_steal(options, platform, true);
  } else if (strcmp(options.scenario, "storm") == 0) {
    run_storm(options, platform);
  } else if (strcmp(options.scenario, "vtimer-held") == 0) {
    run_vtimer_held(options, platform);
  } else if (strcmp(options.scenario, "down-last") == 0 || strcmp(options.scenario, "cpu-off-last") == 0 ||
             strcmp(options.scenario, "block-forever") == 0) {
    run_liveness(options, platform, options.scenario);
  } else if (strcmp(options.scenario, "el0-a32") == 0) {
    run_el0_a32(options, platform);
  } else if (strcmp(options.scenario, "hostile") == 0) {
    run_hostile(options, platform);
  } else if (strcmp(options.scenario, "isolation") == 0) {
    run_isolation(options, platform);
  } else if (strcmp(options.scenario, "mmio-hostile") == 0) {
    run_mmio_hostile(options, platform);
  } else if (strcmp(options.scenario, "level-irq") == 0) {
    run_level_irq(options, platform);
  } else {
    Record(options.scenario).text("error", "unknown scenario").flag("pass", false).end();
  }
  power_off(platform);
}
