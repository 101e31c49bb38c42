// Probe scenarios about the hypervisor itself: sleeping in WFI, a fault, hypercall error paths
// SPDX-License-Identifier: MIT
#include "guests/probe/console.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

constexpr u32 kSleepHz = 50;  // 20 ms per sleep
constexpr u64 kSleeps = 10;

}  // namespace

bool run_sleep(const Options& options, const Platform& platform) {
  // Ten sleeps of one timer period each, in WFI at EL1 with interrupts unmasked: under a
  // hypervisor each WFI traps and the vCPU blocks until its virtual timer fires.
  const u64 start_ticks = timer::ticks();
  const u64 start = timer::now();
  u64 wfis = 0;
  timer::start(kSleepHz);
  while (timer::ticks() - start_ticks < kSleeps) {
    irqs_on();
    wfi();
    irqs_off();
    ++wfis;
  }
  timer::stop();
  const u64 elapsed_ms = (timer::now() - start) * 1000 / timer::frequency();
  const u64 expected_ms = kSleeps * 1000 / kSleepHz;
  // Each tick ends one sleep: never early, and within a few periods of the total.
  const bool pass = elapsed_ms + 1 >= expected_ms && elapsed_ms <= expected_ms * 3 && wfis >= kSleeps;
  Record("sleep")
      .num("kpti", options.kpti ? 1 : 0)
      .flag("hypervisor", platform.xen)
      .num("sleeps", kSleeps)
      .num("sleep_ms", 1000 / kSleepHz)
      .num("elapsed_ms", elapsed_ms)
      .num("wfi", wfis)
      .num("timer_irqs", counters().timer_irqs)
      .flag("pass", pass)
      .end();
  return pass;
}

bool run_fault(const Options&, const Platform& platform) {
  // An address below RAM where QEMU virt has virtio-mmio transports but runhv maps nothing for
  // its guests: under runhv the read is a stage-2 fault and the hypervisor stops this domain.
  constexpr u64 kUnmappedIpa = 0x0a00'0000;
  const u64 va = mmu::map_device(kUnmappedIpa, 0x1000);
  console::put("probe: reading unmapped IPA ");
  console::put_hex(kUnmappedIpa);
  console::put("\n");
  console::flush();
  const u32 value = *reinterpret_cast<volatile u32*>(va);
  // Only reached when something answered the read (natively: a virtio-mmio register).
  Record("fault").flag("hypervisor", platform.xen).num("value", value).flag("pass", false).end();
  return false;
}

namespace {

struct Check {
  const char* name;
  long expected;
  long got;
};

long runstate_area_for(u32 vcpu, u64 arg) {
  return xen::hypercall(xen::kVcpuOp, xen::kVcpuOpRegisterRunstateMemoryArea, vcpu, arg);
}

}  // namespace

bool run_hypercalls(const Options&, const Platform& platform) {
  if (!platform.xen) {
    Record("hypercalls").flag("hypervisor", false).text("error", "no hypervisor").flag("pass", false).end();
    return false;
  }
  static u64 area_arg;  // a valid argument struct: addr.v = 0 (unregister)
  static xen::FeatureInfo features;
  area_arg = 0;
  // Mapped nowhere: past the device window the probe uses.
  constexpr u64 kUnmappedVa = 0xffff'8000'c000'0000;

  features.submap_idx = 1;
  const long bad_submap = xen::hypercall(xen::kXenVersion, xen::kXenVerGetFeatures, reinterpret_cast<u64>(&features));
  features.submap_idx = 0;
  const long good_submap = xen::hypercall(xen::kXenVersion, xen::kXenVerGetFeatures, reinterpret_cast<u64>(&features));

  const Check checks[] = {
      {"unknown_hypercall", -xen::kEnosys, xen::hypercall(99, 0)},
      {"unknown_sched_op", -xen::kEnosys, xen::hypercall(xen::kSchedOp, 99, 0)},
      {"unknown_xen_version", -xen::kEnosys, xen::hypercall(xen::kXenVersion, 99, 0)},
      {"vcpu_op_bad_vcpu", -xen::kEnoent, runstate_area_for(99, reinterpret_cast<u64>(&area_arg))},
      {"vcpu_op_null_arg", -xen::kEfault, runstate_area_for(0, 0)},
      {"vcpu_op_unmapped_arg", -xen::kEfault, runstate_area_for(0, kUnmappedVa)},
      {"console_unmapped_buffer", -xen::kEfault,
       xen::hypercall(xen::kConsoleIo, xen::kConsoleIoWrite, 16, kUnmappedVa)},
      {"get_features_bad_submap", -xen::kEinval, bad_submap},
      {"get_features", 0, good_submap},
      {"vm_assist_bad_type", -xen::kEinval, xen::hypercall(xen::kVmAssist, 0, 3)},
      {"vcpu_op_valid_unregister", 0, runstate_area_for(0, reinterpret_cast<u64>(&area_arg))},
  };
  bool pass = true;
  Record r("hypercalls");
  r.flag("hypervisor", true);
  for (const Check& c : checks) {
    r.num(c.name, static_cast<u64>(-c.got));  // as a positive errno (0 on success)
    pass = pass && c.got == c.expected;
  }
  // XENFEAT_auto_translated_physmap (2) and XENFEAT_runstate_phys_area (18).
  const bool features_ok = (features.submap & (1U << 2)) != 0 && (features.submap & (1U << 18)) != 0;
  r.num("features", features.submap).flag("features_ok", features_ok);
  pass = pass && features_ok;
  r.flag("pass", pass).end();
  return pass;
}

}  // namespace probe
