// Instruction count of one context-switch runstate update, for callgrind
// SPDX-License-Identifier: MIT
//
// usage: runstate_count MODE N
// Run under `valgrind --tool=callgrind --toggle-collect=runhv_measured_update`: only the N calls
// of runhv_measured_update are counted (the warm-up goes through another function, so lazy
// binding and cold paths stay out). tools/bench.py divides the total by N.
#include <cstdio>
#include <cstdlib>

#include "bench/setup.hpp"

using runhv::RunstateState;
using runhv::u64;
using runhv::VcpuRunstate;

extern "C" {
// The measured unit: what the scheduler does for one vCPU at a context switch — account the
// state change and bring the guest's area up to date.
[[gnu::noinline]] void runhv_measured_update(VcpuRunstate* v, RunstateState next, u64 now) { v->change(next, now); }
[[gnu::noinline]] void runhv_warmup_update(VcpuRunstate* v, RunstateState next, u64 now) { v->change(next, now); }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s mapped|phys|legacy N\n", argv[0]);
    return 2;
  }
  runhv::bench::Setup s(runhv::bench::parse_mode(argv[1]));
  const u64 n = std::strtoull(argv[2], nullptr, 10);
  u64 now = 1000;
  for (int i = 0; i < 100; ++i) {
    runhv_warmup_update(&s.vcpu, (i & 1) != 0 ? RunstateState::running : RunstateState::runnable, now += 977);
  }
  for (u64 i = 0; i < n; ++i) {
    runhv_measured_update(&s.vcpu, (i & 1) != 0 ? RunstateState::running : RunstateState::runnable, now += 977);
  }
  if (s.vcpu.area.walk_failures() != 0 || s.vcpu.area.updates() != n + 100) {
    std::fprintf(stderr, "unexpected: %llu walk failures, %llu updates\n",
                 static_cast<unsigned long long>(s.vcpu.area.walk_failures()),
                 static_cast<unsigned long long>(s.vcpu.area.updates()));
    return 1;
  }
  std::printf("%s: %llu updates\n", argv[1], static_cast<unsigned long long>(n));
  return 0;
}
