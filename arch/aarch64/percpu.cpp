// Per-pCPU data: one PerCpu for each physical CPU, found through TPIDR_EL2
// SPDX-License-Identifier: MIT
#include "arch/aarch64/percpu.hpp"

namespace runhv::arch {

PerCpu g_percpu[kMaxPcpus];

void percpu_attach(u32 index) {
  g_percpu[index].index = index;
  sysreg::write_tpidr_el2(reinterpret_cast<u64>(&g_percpu[index]));
}

}  // namespace runhv::arch
