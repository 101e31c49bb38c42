// Probe options from /chosen/bootargs: probe.scenario=, .kpti=, .seconds=, .cpus=, .iterations=, .yields=
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe {

struct Options {
  char scenario[32] = "selftest";
  bool kpti = true;
  u64 seconds = 1;
  u64 cpus = 0;             // probe.cpus=: at most this many CPUs (0: every CPU of the DT)
  u64 iterations = 100000;  // probe.iterations=: bench loop length N
  u64 yields = 20000;       // probe.yields=: bench yield_switch loop length M per CPU
  bool update_flag = true;  // probe.flag=: runstate scenarios enable VMASST_TYPE_runstate_update_flag
  u64 hypercalls = 10000;   // probe.hypercalls=: random hypercalls of the hostile scenario
  bool bench_area = false;  // probe.bench-area=1: bench registers both vCPUs' runstate areas by VA
  u64 seed = 0;             // probe.seed=: which values the isolation scenario writes
};

// Unknown words are ignored (a kernel command line carries other things too).
Options parse_bootargs(const char* bootargs);

}  // namespace probe
