// Guest exits: decode ESR_EL2 of a guest's synchronous exception and hand it to its handler
// SPDX-License-Identifier: MIT
//
//   HVC64 #0xEA1      Xen hypercall           -> hyp::xen_hypercall
//   HVC64 #0          SMCCC / PSCI            -> hyp::smccc_call
//   HVC64 other imm   log, stop the domain    (Xen injects UNDEF; later, perhaps)
//   WFI / WFE         -> hyp::on_wfi (ELR already moved past the instruction)
//   data/instr. abort log the IPA, FAR, PC and ESR, stop the domain
//   anything else     log the class, stop the domain
// Every exit that returns ends in hyp::exit_resume, which switches vCPUs if a reschedule is
// pending on this pCPU. A stopped domain's other vCPUs are taken off their pCPUs; other domains
// keep running.
#include "arch/aarch64/exception.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "core/log.hpp"
#include "core/xen_abi.hpp"
#include "hyp/domain.hpp"
#include "hyp/scheduling.hpp"

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

// A stage-2 abort (the guest touched an IPA it has no mapping, or no write permission, for):
// one line with everything known, then the domain stops. HPFAR_EL2.FIPA holds IPA[47:12];
// FAR_EL2 the VA (valid unless ISS.FnV, bit 10).
[[noreturn]] void abort_exit(hyp::Vcpu& v, u64 esr, u32 ec) {
  const u64 far = sysreg::read_far_el2();
  const u64 ipa = (bits(sysreg::read_hpfar_el2(), 43, 4) << kPageShift) | (far & kPageMask);
  const bool data = ec == kEcDataAbort;
  // ISS.DFSC/IFSC [5:0]: 0b0001xx translation fault (nothing mapped), 0b0011xx permission fault.
  const u64 fsc = bits(esr, 5, 0) & 0x3C;
  const char* kind = fsc == 0x04 ? "unmapped IPA" : fsc == 0x0C ? "permission fault" : "stage-2 fault";
  const char* access = !data ? "fetch" : bit(esr, 6) ? "write" : "read";
  logf("d%uv%u: %s (%s, %s) at IPA 0x%lx, FAR 0x%lx, pc 0x%lx, ESR_EL2 0x%lx (EC 0x%x): stopping d%u", dom(v), v.id,
       data ? "data abort" : "instruction abort", access, kind, ipa, far, v.regs.elr, esr, ec, dom(v));
  hyp::domain_shutdown(v, data ? "data abort" : "instruction abort");
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
  if (ec == kEcHvc64) [[likely]] {
    const u32 imm = static_cast<u32>(bits(esr, 15, 0));
    if (imm == xen::kHypercallTag) [[likely]] {
      ++v.counters.hypercalls;
      hyp::xen_hypercall(v);
      if (static_cast<i64>(v.regs.x[0]) < 0) {
        ++v.counters.hypercall_errors;
      }
      return hyp::exit_resume(v);
    }
    if (imm == 0) {
      ++v.counters.smccc_calls;
      hyp::smccc_call(v);
      return hyp::exit_resume(v);
    }
    logf("d%uv%u: unexpected HVC #0x%x at pc 0x%lx, ESR_EL2 0x%lx (EC 0x%x): stopping d%u", dom(v), v.id, imm,
         v.regs.elr - 4, esr, ec, dom(v));
    hyp::domain_shutdown(v, "unexpected HVC");
  }
  if (ec == kEcWfx) {
    v.regs.elr += 4;                   // the trapped WFI/WFE is done once the handler returns (always A64 here)
    hyp::on_wfi(v, bit(esr, 0) != 0);  // ISS.TI: 0 = WFI, 1 = WFE
    return hyp::exit_resume(v);
  }
  if (ec == kEcDataAbort || ec == kEcInstructionAbort) {
    abort_exit(v, esr, ec);
  }
  logf("d%uv%u: %s (EC 0x%x, ESR_EL2 0x%lx) at pc 0x%lx, FAR_EL2 0x%lx: stopping d%u", dom(v), v.id, class_name(ec), ec,
       esr, v.regs.elr, sysreg::read_far_el2(), dom(v));
  hyp::domain_shutdown(v, class_name(ec));
}
