// Probe exception dispatch: EL0 syscalls and faults, timer interrupts, fatal EL1 exceptions
// SPDX-License-Identifier: MIT
#include "guests/probe/exception.hpp"

#include "guests/probe/console.hpp"
#include "guests/probe/frame.hpp"
#include "guests/probe/gic.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/power.hpp"
#include "guests/probe/tasks.hpp"
#include "guests/probe/timer.hpp"
#include "guests/probe/user.hpp"

probe::u8 probe_kpti_active = 0;  // declared extern "C" in frame.hpp

namespace probe {
namespace {

constexpr u64 kEcSvc64 = 0x15;
constexpr u64 kEcSvc32 = 0x11;
const Platform* fatal_platform = nullptr;
const char* fatal_scenario = "boot";
El1SyncHook el1_sync_hook = nullptr;
IrqHook irq_hook = nullptr;

[[noreturn]] void fatal(u64 kind, const Frame& frame) {
  console::put("probe: unexpected exception kind ");
  console::put_dec(kind);
  console::put(", esr ");
  console::put_hex(read_esr_el1());
  console::put(", elr ");
  console::put_hex(frame.elr);
  console::put(", far ");
  console::put_hex(read_far_el1());
  console::put(", spsr ");
  console::put_hex(frame.spsr);
  console::put("\nPROBE {\"scenario\":\"");
  console::put(fatal_scenario);
  console::put("\",\"error\":\"unexpected exception\",\"pass\":false}\n");
  if (fatal_platform != nullptr) {
    power_off(*fatal_platform);
  }
  for (;;) {
    wfi();
  }
}

void count_el0_entry(const Frame& frame) {
  ++counters().el0_entries;
  if (frame.entry_ttbr1 == 0) {
    ++counters().el0_entries_direct;
  } else if (frame.entry_ttbr1 == mmu::tramp_root_pa()) {
    ++counters().el0_entries_trampoline;
  } else {
    ++counters().el0_entries_bad;
  }
}

constexpr u32 kEventChannelIntid = 31;  // Xen's event-channel PPI (the /hypervisor interrupt)

void on_irq(Frame& frame, bool from_el0) {
  const u32 intid = gic::acknowledge();
  if (intid >= 1020) {
    ++counters().spurious_irqs;
    return;
  }
  const bool tick = intid == timer::intid();
  if (tick) {
    timer::on_interrupt();
    ++counters().timer_irqs;
    ++(from_el0 ? counters().timer_irqs_el0 : counters().timer_irqs_el1);
  } else {
    ++counters().other_irqs;
    if (intid == kEventChannelIntid) {
      ++counters().event_irqs;
    }
    if (irq_hook != nullptr) {
      irq_hook(intid);
    }
  }
  gic::end(intid);
  if (tick && this_cpu().tick_hook != nullptr) {
    this_cpu().tick_hook(this_cpu());
  }
  if (tick) {
    tasks::on_tick(frame);  // each CPU's own EL0 tasks, if it runs any
  }
}

}  // namespace

void set_el1_sync_hook(El1SyncHook hook) { el1_sync_hook = hook; }
void set_irq_hook(IrqHook hook) { irq_hook = hook; }

void set_fatal_context(const Platform* platform, const char* scenario) {
  fatal_platform = platform;
  fatal_scenario = scenario;
}

}  // namespace probe

using namespace probe;

extern "C" void handle_exception(u64 kind, Frame* frame) {
  switch (kind) {
    case kEl0Sync:
      count_el0_entry(*frame);
      if ((read_esr_el1() >> 26) == kEcSvc64) {
        tasks::on_svc(*frame);
      } else {
        tasks::on_fault(*frame);
      }
      break;
    case kEl0Irq:
      count_el0_entry(*frame);
      on_irq(*frame, true);
      break;
    case kEl0A32Sync:
      count_el0_entry(*frame);
      if ((read_esr_el1() >> 26) == kEcSvc32) {
        tasks::on_a32_svc(*frame);
      } else {
        tasks::on_fault(*frame);
      }
      break;
    case kEl0A32Irq:
      count_el0_entry(*frame);
      user_a32_irqs = user_a32_irqs + 1;
      on_irq(*frame, true);
      break;
    case kEl1Irq:
      on_irq(*frame, false);
      break;
    case kEl1Sync:
      if (el1_sync_hook == nullptr || !el1_sync_hook(*frame)) {
        fatal(kind, *frame);
      }
      break;
    default:
      fatal(kind, *frame);
  }
  if (returns_to_el0(*frame)) {
    ++counters().el0_returns;
  }
}
