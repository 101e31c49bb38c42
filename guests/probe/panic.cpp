// runhv::panic for the probe: lib/ (stack-protector and C++ runtime traps) calls it
// SPDX-License-Identifier: MIT
//
// Prints the format string as is (no formatting) with a failing PROBE record, then powers off
// through the exception path's fatal context.
#include "lib/panic.hpp"

#include "guests/probe/console.hpp"
#include "guests/probe/sysreg.hpp"

namespace runhv {

void panic(const char* fmt, ...) {
  probe::console::put("probe: panic: ");
  probe::console::put(fmt);
  probe::console::put("\nPROBE {\"scenario\":\"panic\",\"error\":\"panic\",\"pass\":false}\n");
  probe::console::flush();
  asm volatile("brk #0");  // fatal EL1 exception: reported again, then power off
  for (;;) {
    probe::wfi();
  }
}

}  // namespace runhv
