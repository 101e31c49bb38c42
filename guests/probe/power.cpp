// Probe power-off: Xen SCHEDOP_shutdown, else PSCI SYSTEM_OFF over the DT's conduit
// SPDX-License-Identifier: MIT
#include "guests/probe/power.hpp"

#include "guests/probe/console.hpp"
#include "guests/probe/hypercall.hpp"

namespace probe {

void power_off(const Platform& platform) {
  console::flush();
  irqs_off();
  if (platform.xen) {
    static xen::SchedShutdown request;
    request.reason = xen::kShutdownPoweroff;
    const long rc = xen::hypercall(xen::kSchedOp, xen::kSchedOpShutdown, reinterpret_cast<u64>(&request));
    console::put("probe: SCHEDOP_shutdown returned ");
    console::put_signed(rc);
    console::put(", trying PSCI SYSTEM_OFF\n");
    console::flush();
  }
  if (platform.psci == PsciMethod::hvc) {
    smccc::hvc(smccc::kPsciSystemOff);
  } else if (platform.psci == PsciMethod::smc) {
    smccc::smc(smccc::kPsciSystemOff);
  }
  console::put("probe: cannot power off, halting\n");
  console::flush();
  for (;;) {
    wfi();
  }
}

}  // namespace probe
