// The seam's vCPU operations on AArch64: reset, load/put, the guest's view, interrupt injection
// SPDX-License-Identifier: MIT
#include "arch/aarch64/fpsimd_switch.hpp"
#include "arch/aarch64/ich.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vtimer.hpp"
#include "arch/arch.hpp"

namespace runhv::arch {
namespace {

// PSTATE at a vCPU's first entry: EL1h with D, A, I and F masked.
constexpr u64 kSpsrEl1hMasked = 0x3C5;

}  // namespace

void vcpu_reset(VcpuState& v, u64 vmpidr, u64 entry, u64 x0) {
  v.regs = VcpuFrame{};
  v.regs.x[0] = x0;
  v.regs.elr = entry;
  v.regs.spsr = kSpsrEl1hMasked;
  v.ctx = initial_context(vmpidr);
  fpsimd_reset(v);
}

void vcpu_load(VcpuState& v) {
  vtimer_catch_up(v);
  fpsimd_load(v);
  context_restore(v.ctx, v.lrs_used);
}

void vcpu_put(VcpuState& v) {
  fpsimd_put(v);
  context_save(v.ctx, v.lrs_used);
}

void vcpu_run(VcpuState& v) { runhv_guest_resume(&v.regs); }

mmu::Stage1Regs guest_stage1(const VcpuState& v) {
  if (loaded() != &v) {
    return {.sctlr = v.ctx.el1.sctlr, .tcr = v.ctx.el1.tcr, .ttbr0 = v.ctx.el1.ttbr0, .ttbr1 = v.ctx.el1.ttbr1};
  }
  return {.sctlr = sysreg::read_sctlr_el1(),
          .tcr = sysreg::read_tcr_el1(),
          .ttbr0 = sysreg::read_ttbr0_el1(),
          .ttbr1 = sysreg::read_ttbr1_el1()};
}

// AT S12E1W in the live EL1 context and the loaded stage 2. PAR_EL1 belongs to the guest and is
// put back.
u64 hardware_translate(u64 va) {
  const u64 saved = sysreg::read_par_el1();
  asm volatile("at s12e1w, %0\n isb" ::"r"(va) : "memory");
  const u64 par = sysreg::read_par_el1();
  sysreg::write_par_el1(saved);
  return par;
}

u64 guest_timer_deadline() { return vtimer_deadline_live(); }

}  // namespace runhv::arch
