// Per-pCPU data: one PerCpu for each physical CPU, found through TPIDR_EL2
// SPDX-License-Identifier: MIT
//
// TPIDR_EL2 of pCPU n points at g_percpu[n] from its first C++ instruction on. The world switch
// reads `current` (offset 0: the running vCPU's register frame) and the secondary entry in boot.S
// reads `stack_top` (offset 8), so those two keep their places (static_asserts below).
// Index = position of the CPU in the boot device tree's /cpus; the boot CPU is 0.
#pragma once

#define PERCPU_CURRENT 0
#define PERCPU_STACK_TOP 8
#define PERCPU_STACK_SIZE 0x4000  // 16 KiB a pCPU (an add immediate for boot.S)

#ifndef __ASSEMBLER__
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "core/limits.hpp"
#include "core/spectre.hpp"
#include "core/types.hpp"

namespace runhv::arch {

struct VcpuState;

inline constexpr u64 kStackSize = PERCPU_STACK_SIZE;

inline constexpr u32 kNoCounter = ~0U;

struct PerCpu {
  VcpuFrame* current = nullptr;  // the vCPU whose registers are loaded here, or null (idle)
  u64 stack_top = 0;             // SP_EL2 at entry (secondaries; the boot CPU set its own)
  u32 index = 0;
  u64 mpidr = 0;           // MPIDR_EL1 affinity fields (Aff3..Aff0)
  Pa gicr{};               // this CPU's GICv3 redistributor (RD_base), or 0 without a GICv3
  bool irq_ready = false;  // its GICv3 CPU interface is up: it takes interrupts
  // Written by interrupt handlers, read by waiting loops on this and other pCPUs.
  volatile u64 timer_ticks = 0;  // EL2 timer interrupts taken (counted by irq.cpp)
  volatile u64 sgis = 0;         // SGIs taken (IPIs from send_ipi)
  u64 guest_irqs = 0;            // IRQ exits: interrupts taken while a guest ran here
  u64 maintenance = 0;           // vGIC underflow maintenance interrupts taken
  volatile u32 state = 0;        // arch/aarch64/cpus.cpp's bring-up progress
  CpuIds ids{};                  // the identification its guests read (cpu_start)
  void* hyp = nullptr;           // the hypervisor's per-pCPU data (set_this_cpu_hyp)
  u32 el2_counter = kNoCounter;  // the PMU event counter counting EL2's instructions (el2_instructions.cpp)
  // The last vCPU to take the FP/SIMD registers here (fpsimd_switch.hpp).
  const VcpuState* fp_owner = nullptr;
};
static_assert(offsetof(PerCpu, current) == PERCPU_CURRENT);
static_assert(offsetof(PerCpu, stack_top) == PERCPU_STACK_TOP);

extern PerCpu g_percpu[kMaxPcpus];

// The top of the boot CPU's stack (in the image; the secondaries' are in boot RAM).
[[nodiscard]] u64 boot_stack_top();

inline PerCpu& this_cpu() { return *reinterpret_cast<PerCpu*>(sysreg::read_tpidr_el2()); }
inline u32 this_cpu_index() { return this_cpu().index; }

// Points TPIDR_EL2 at g_percpu[index] (the boot CPU; secondaries get it from boot.S).
void percpu_attach(u32 index);

}  // namespace runhv::arch

// boot.S secondary_entry, with the MMU on, TPIDR_EL2 and SP_EL2 set.
extern "C" [[noreturn]] void secondary_main(runhv::arch::PerCpu* cpu);
#endif
