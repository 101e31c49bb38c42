// Probe options from /chosen/bootargs: probe.scenario=, probe.kpti=, probe.seconds=
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe {

struct Options {
  char scenario[32] = "selftest";
  bool kpti = true;
  u64 seconds = 1;
};

// Unknown words are ignored (a kernel command line carries other things too).
Options parse_bootargs(const char* bootargs);

}  // namespace probe
