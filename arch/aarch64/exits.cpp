// Guest exits: a guest's synchronous exception, dispatched by ESR_EL2.EC through one table
// SPDX-License-Identifier: MIT
//
//   HVC64 #0xEA1      Xen hypercall           -> hyp::on_hypercall
//   HVC64 #0          SMCCC / PSCI            -> hyp::on_smccc
//   WFI / WFE         -> hyp::on_wfx (ELR already moved past the instruction)
//   everything else   one log line with the class, ESR, PC and FAR; the domain stops
//                     (hyp::on_guest_fatal). Aborts name the IPA and the fault kind.
// Every exit that returns ends in hyp::exit_resume, which switches vCPUs if a reschedule is
// pending on this pCPU.
#include "arch/aarch64/exception.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "arch/arch.hpp"
#include "core/format.hpp"
#include "core/xen_abi.hpp"

namespace runhv::arch {
namespace {

using Handler = VcpuState* (*)(VcpuState& v, u64 esr);

constexpr u32 kEcWfx = 0x01;
constexpr u32 kEcHvc64 = 0x16;
constexpr u32 kEcInstructionAbort = 0x20;
constexpr u32 kEcDataAbort = 0x24;

const char* class_name(u32 ec) {
  switch (ec) {
    case 0x00:
      return "unknown instruction";
    case 0x01:
      return "WFI/WFE";
    case 0x07:
      return "FP/SIMD access";
    case 0x17:
      return "SMC";
    case 0x18:
      return "system register access";
    default:
      return "unexpected exception";
  }
}

[[noreturn]] void fatal(VcpuState& v, const char* reason, const char* fmt, ...) {
  char detail[224];
  va_list args;
  va_start(args, fmt);
  vformat(detail, sizeof detail, fmt, args);
  va_end(args);
  hyp::on_guest_fatal(v, reason, detail);
}

VcpuState* other(VcpuState& v, u64 esr) {
  const u32 ec = esr_class(esr);
  fatal(v, class_name(ec), "%s (EC 0x%x, ESR_EL2 0x%lx) at pc 0x%lx, FAR_EL2 0x%lx", class_name(ec), ec, esr,
        v.regs.elr, sysreg::read_far_el2());
}

VcpuState* hvc(VcpuState& v, u64 esr) {
  const u32 imm = static_cast<u32>(bits(esr, 15, 0));
  if (imm == xen::kHypercallTag) [[likely]] {
    hyp::on_hypercall(v);
    return hyp::exit_resume(v);
  }
  if (imm == 0) {
    hyp::on_smccc(v);
    return hyp::exit_resume(v);
  }
  fatal(v, "unexpected HVC", "unexpected HVC #0x%x at pc 0x%lx, ESR_EL2 0x%lx (EC 0x%x)", imm, v.regs.elr - 4, esr,
        esr_class(esr));
}

VcpuState* wfx(VcpuState& v, u64 esr) {
  v.regs.elr += 4;                   // the trapped WFI/WFE is done once the handler returns (always A64 here)
  hyp::on_wfx(v, bit(esr, 0) != 0);  // ISS.TI: 0 = WFI, 1 = WFE
  return hyp::exit_resume(v);
}

// A stage-2 abort: the guest touched an IPA it has no mapping, or no write permission, for.
// HPFAR_EL2.FIPA holds IPA[47:12]; FAR_EL2 the VA (valid unless ISS.FnV, bit 10).
VcpuState* abort(VcpuState& v, u64 esr) {
  const u32 ec = esr_class(esr);
  const u64 far = sysreg::read_far_el2();
  const u64 ipa = (bits(sysreg::read_hpfar_el2(), 43, 4) << kPageShift) | (far & kPageMask);
  const bool data = ec == kEcDataAbort;
  // ISS.DFSC/IFSC [5:0]: 0b0001xx translation fault (nothing mapped), 0b0011xx permission fault.
  const u64 fsc = bits(esr, 5, 0) & 0x3C;
  const char* kind = fsc == 0x04 ? "unmapped IPA" : fsc == 0x0C ? "permission fault" : "stage-2 fault";
  const char* access = !data ? "fetch" : bit(esr, 6) ? "write" : "read";
  const char* what = data ? "data abort" : "instruction abort";
  fatal(v, what, "%s (%s, %s) at IPA 0x%lx, FAR 0x%lx, pc 0x%lx, ESR_EL2 0x%lx (EC 0x%x)", what, access, kind, ipa, far,
        v.regs.elr, esr, ec);
}

// One entry per exception class (ESR_EL2.EC, 6 bits).
constexpr auto kExits = [] {
  struct Table {
    Handler h[64];
  } t{};
  for (Handler& h : t.h) {
    h = other;
  }
  t.h[kEcWfx] = wfx;
  t.h[kEcHvc64] = hvc;
  t.h[kEcInstructionAbort] = abort;
  t.h[kEcDataAbort] = abort;
  return t;
}();

}  // namespace
}  // namespace runhv::arch

extern "C" runhv::arch::VcpuFrame* runhv_guest_sync(runhv::arch::VcpuFrame* frame) {
  using namespace runhv::arch;
  auto& v = *reinterpret_cast<VcpuState*>(frame);
  const runhv::u64 esr = sysreg::read_esr_el2();
  return &kExits.h[esr_class(esr)](v, esr)->regs;
}
