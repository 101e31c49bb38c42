// Google Benchmark: one context-switch runstate update per mode (wall time, informative only)
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>

#include "bench/setup.hpp"

namespace runhv::bench {
namespace {

void update(benchmark::State& state, Mode mode) {
  Setup s(mode);
  u64 now = 1000;
  int i = 0;
  for (auto _ : state) {
    s.vcpu.change((++i & 1) != 0 ? RunstateState::running : RunstateState::runnable, now += 977);
    benchmark::DoNotOptimize(s.vcpu.account.info());
  }
}

BENCHMARK_CAPTURE(update, mapped, Mode::mapped);
BENCHMARK_CAPTURE(update, phys, Mode::phys);
BENCHMARK_CAPTURE(update, legacy, Mode::legacy);

}  // namespace
}  // namespace runhv::bench

BENCHMARK_MAIN();
