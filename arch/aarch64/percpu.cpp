// Per-pCPU data: one PerCpu for each physical CPU, found through TPIDR_EL2
// SPDX-License-Identifier: MIT
#include "arch/aarch64/percpu.hpp"

namespace runhv::arch {

PerCpu g_percpu[kMaxPcpus];

}  // namespace runhv::arch

// The boot CPU's stack (boot.S); .stacks is not zeroed. The secondaries' come from boot RAM (cpus_boot).
extern "C" [[gnu::section(".stacks"), gnu::aligned(16)]] runhv::u8 runhv_boot_stack[runhv::arch::kStackSize];
runhv::u8 runhv_boot_stack[runhv::arch::kStackSize];

namespace runhv::arch {

u64 boot_stack_top() { return reinterpret_cast<u64>(runhv_boot_stack + kStackSize); }

void percpu_attach(u32 index) {
  g_percpu[index].index = index;
  sysreg::write_tpidr_el2(reinterpret_cast<u64>(&g_percpu[index]));
}

}  // namespace runhv::arch
