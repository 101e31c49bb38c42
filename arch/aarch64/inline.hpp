// The inline part of the architecture seam (arch/arch.hpp) for AArch64
// SPDX-License-Identifier: MIT
#pragma once

#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/vcpu_state.hpp"

namespace runhv::arch {

[[nodiscard]] inline bool irq_ready() { return this_cpu().irq_ready; }

[[nodiscard]] inline void* this_cpu_hyp() { return this_cpu().hyp; }
inline void set_this_cpu_hyp(void* data) { this_cpu().hyp = data; }

[[nodiscard]] inline VcpuState* loaded() { return reinterpret_cast<VcpuState*>(this_cpu().current); }
inline void set_loaded(VcpuState* v) { this_cpu().current = v != nullptr ? &v->regs : nullptr; }

void vtimer_unmask(VcpuState& v);  // vtimer.hpp

[[nodiscard]] inline bool guest_timer_masked(const VcpuState& v) { return v.vtimer_masked; }

// Any of vtimer_masked, vtimer_fired, irq_kick or lrs_used set: one load (vcpu_state.hpp).
[[nodiscard]] inline bool entry_work_pending(const VcpuState& v) {
  using Word [[gnu::may_alias]] = u64;
  return __atomic_load_n(reinterpret_cast<const Word*>(&v.vtimer_masked), __ATOMIC_RELAXED) != 0;
}
inline void guest_timer_unmask(VcpuState& v, bool held) {
  if (v.vtimer_masked && !held) {
    vtimer_unmask(v);
  }
}

// The guest timer fired since the last call (its interrupt, INTID 27, is then the vGIC's to
// deliver).
[[nodiscard]] inline bool take_guest_timer_fired(VcpuState& v) {
  const bool fired = v.vtimer_fired;
  v.vtimer_fired = false;
  return fired;
}

// Xen on Arm: HVC #0xEA1, number in x16, arguments in x0..x4, result in x0.
inline constexpr u32 kHypercallArgs = 5;
[[nodiscard]] inline u64 hypercall_number(const VcpuState& v) { return v.regs.x[16]; }
[[nodiscard]] inline const u64* hypercall_args(const VcpuState& v) { return v.regs.x; }
inline void set_hypercall_result(VcpuState& v, u64 value) { v.regs.x[0] = value; }
// The guest executes its HVC again (arguments untouched): ELR_EL2 holds the next instruction.
inline void restart_hypercall(VcpuState& v) { v.regs.elr -= 4; }
[[nodiscard]] inline u64& gpr(VcpuState& v, u32 n) { return v.regs.x[n]; }

}  // namespace runhv::arch
