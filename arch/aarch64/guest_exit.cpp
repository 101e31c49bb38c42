// Guest exits: decode ESR_EL2 of a guest's synchronous exception and hand it to its handler
// SPDX-License-Identifier: MIT
//
//   HVC64 #0xEA1      Xen hypercall           -> hyp::xen_hypercall
//   HVC64 #0          SMCCC / PSCI            -> hyp::smccc_call
//   HVC64 other imm   log, stop the domain    (Xen injects UNDEF; later, perhaps)
//   WFI / WFE         -> hyp::on_wfi (ELR already moved past the instruction); it returns the
//                        vCPU to enter next
//   data abort        log the IPA, stop the domain
//   anything else     log the class, stop the domain
#include "arch/aarch64/exception.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "core/log.hpp"
#include "core/xen_abi.hpp"
#include "hyp/domain.hpp"

namespace runhv::arch {
namespace {

// ESR_EL2 exception classes a guest can raise here.
constexpr u32 kEcWfx = 0x01;
constexpr u32 kEcFpAccess = 0x07;
constexpr u32 kEcHvc64 = 0x16;
constexpr u32 kEcSmc64 = 0x17;
constexpr u32 kEcInstructionAbort = 0x20;
constexpr u32 kEcDataAbort = 0x24;

unsigned dom(const hyp::Vcpu& v) { return v.domain->number; }

[[noreturn]] void data_abort(hyp::Vcpu& v, u64 esr) {
  // HPFAR_EL2.FIPA holds IPA[47:12] for a stage-2 fault; FAR_EL2 the VA (unless ISS.FnV).
  const u64 far = sysreg::read_far_el2();
  const u64 ipa = (bits(sysreg::read_hpfar_el2(), 43, 4) << kPageShift) | (far & kPageMask);
  logf("d%uv%u: data abort (%s) at IPA 0x%lx, VA 0x%lx, pc 0x%lx, ESR_EL2 0x%lx", dom(v), v.id,
       bit(esr, 6) ? "write" : "read", ipa, far, v.regs.elr, esr);
  hyp::stop_domain(v, "data abort");
}

const char* class_name(u32 ec) {
  switch (ec) {
    case 0x00:
      return "unknown instruction";
    case 0x01:
      return "WFI/WFE";
    case kEcFpAccess:
      return "FP/SIMD access";
    case kEcSmc64:
      return "SMC";
    case 0x18:
      return "system register access";
    case kEcInstructionAbort:
      return "instruction abort";
    default:
      return "unexpected exception";
  }
}

}  // namespace
}  // namespace runhv::arch

extern "C" runhv::arch::VcpuFrame* runhv_guest_sync(runhv::arch::VcpuFrame* frame) {
  using namespace runhv;
  using namespace runhv::arch;
  auto& v = *reinterpret_cast<hyp::Vcpu*>(frame);
  const u64 esr = sysreg::read_esr_el2();
  const u32 ec = esr_class(esr);
  if (ec == kEcHvc64) {
    const u32 imm = static_cast<u32>(bits(esr, 15, 0));
    if (imm == xen::kHypercallTag) {
      hyp::xen_hypercall(v);
      return frame;
    }
    if (imm == 0) {
      hyp::smccc_call(v);
      return frame;
    }
    logf("d%uv%u: unexpected HVC #0x%x at pc 0x%lx", dom(v), v.id, imm, v.regs.elr - 4);
    hyp::stop_domain(v, "unexpected HVC");
  }
  if (ec == kEcWfx) {
    v.regs.elr += 4;                           // the trapped WFI/WFE is done once the handler returns (always A64 here)
    return &hyp::on_wfi(v, bit(esr, 0)).regs;  // ISS.TI: 0 = WFI, 1 = WFE
  }
  if (ec == kEcDataAbort) {
    data_abort(v, esr);
  }
  logf("d%uv%u: %s (EC 0x%x, ESR_EL2 0x%lx) at pc 0x%lx, FAR_EL2 0x%lx", dom(v), v.id, class_name(ec), ec, esr,
       v.regs.elr, sysreg::read_far_el2());
  hyp::stop_domain(v, class_name(ec));
}
