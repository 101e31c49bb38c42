// Per-pCPU data: one PerCpu for each physical CPU, found through TPIDR_EL2
// SPDX-License-Identifier: MIT
#include "arch/aarch64/percpu.hpp"

namespace runhv::arch {

PerCpu g_percpu[kMaxPcpus];

}  // namespace runhv::arch

// One stack per pCPU, lowest index first (boot.S starts CPU 0 on the first); .stacks is not zeroed.
extern "C"
    [[gnu::section(".stacks"), gnu::aligned(16)]] runhv::u8 runhv_stacks[runhv::kMaxPcpus][runhv::arch::kStackSize];
runhv::u8 runhv_stacks[runhv::kMaxPcpus][runhv::arch::kStackSize];

namespace runhv::arch {

u64 stack_top(u32 index) { return reinterpret_cast<u64>(runhv_stacks[index] + kStackSize); }

void percpu_attach(u32 index) {
  g_percpu[index].index = index;
  sysreg::write_tpidr_el2(reinterpret_cast<u64>(&g_percpu[index]));
}

}  // namespace runhv::arch
