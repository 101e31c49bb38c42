// Guest exits: a guest's synchronous exception, dispatched by ESR_EL2.EC through one table
// SPDX-License-Identifier: MIT
//
//   HVC64 #0xEA1      Xen hypercall                 -> hyp::on_hypercall
//   HVC64 #0, SMC64 #0  SMCCC / PSCI                -> hyp::on_smccc (SMC #n: NOT_SUPPORTED)
//   WFI / WFE         -> hyp::on_wfx (ELR already moved past the instruction)
//   data abort        an access with a syndrome (ISV) to an emulated region -> hyp::on_mmio, the
//                     loaded value written back as SSE/SF say, PC advanced; one the device refuses
//                     or without a syndrome: a data abort injected into the guest, as Xen does
//                     (cache maintenance there is ignored, post-indexed LDR/STR decoded)
//   stage-2 translation fault (data or instruction) at an address mapped again by the time it is
//                     handled (a sibling's break-before-make, hyp::on_stage2_abort): run again
//   MSR/MRS           the system-register table (core/sysreg_table): debug, OS-lock and PMU
//                     registers read as zero and ignore writes
//   FP/SIMD access    the vCPU's first since its load: its FP/SIMD state into the registers
//                     (fpsimd_switch.hpp), the same instruction runs again
//   an abort outside RAM and every device region, a system register the table refuses: what Xen
//                     4.17 does, a data or instruction abort (FAR_EL1 the VA) or an undefined
//                     instruction injected at EL1 (core/guest_exception.hpp), with one budgeted
//                     log line (hyp::on_exception_injected); the domain goes on
//   HVC64 #other      an undefined instruction injected, ELR_EL1 after the HVC (Xen 4.11+:
//                     "Invalid HVC imm"), one budgeted line; the domain goes on
//   everything else: one log line with the class, ESR, PC and FAR, then the domain stops
//   (hyp::on_guest_fatal), which names the cause on the console and leaves the other domains
//   running.
// The same classes come from a guest's AArch32 EL0 (through the same vector): a trapped instruction is stepped
// over by its own length (ESR.IL) and out of its IT-block slot, and a conditional one that fails
// its condition is skipped (core/aarch32.hpp). A guest's FIQ or SError (vectors 10, 11, 14, 15)
// stops that domain: one log line, then hyp::on_guest_fatal (Xen stops a domain for its SError
// too, and stops the machine for a FIQ).
// Every exit that returns ends in hyp::exit_resume, which switches vCPUs if a reschedule is
// pending on this pCPU.
#include <stdarg.h>

#include "abi/xen.hpp"
#include "arch/aarch64/fpsimd_switch.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "arch/aarch64/vcpu_frame.hpp"
#include "arch/arch.hpp"
#include "core/aarch32.hpp"
#include "core/esr.hpp"
#include "core/format.hpp"
#include "core/guest_exception.hpp"
#include "core/mmio.hpp"
#include "core/sysreg_table.hpp"

namespace runhv::arch {
namespace {

using esr::Ec;
using esr::Esr;
using Handler = VcpuState* (*)(VcpuState& v, Esr esr);

[[gnu::format(printf, 3, 4)]] [[noreturn]] void fatal(VcpuState& v, const char* reason, const char* fmt, ...) {
  char detail[224];
  va_list args;
  va_start(args, fmt);
  vformat(detail, sizeof detail, fmt, args);
  va_end(args);
  hyp::on_guest_fatal(v, reason, detail);
}

// The guest goes on after the trapped instruction: its own length (ESR.IL: a 16-bit T32 one is 2
// bytes), and out of a T32 IT block's slot.
void skip_instruction(VcpuState& v, Esr esr) {
  v.regs.spsr = aarch32::step_pstate(v.regs.spsr);
  v.regs.elr += esr.instruction_bytes();
}

// The general register `n` as an instruction sees it: 31 is XZR.
u64 reg_or_zero(const VcpuState& v, u32 n) { return n == 31 ? 0 : v.regs.x[n]; }

VcpuState* other(VcpuState& v, Esr esr) {
  const char* name = esr::ec_name(esr.ec());
  fatal(v, name, "%s (EC 0x%x, ESR_EL2 0x%lx) at pc 0x%lx, FAR_EL2 0x%lx", name, static_cast<u32>(esr.ec()), esr.raw(),
        v.regs.elr, sysreg::read_far_el2());
}

[[gnu::format(printf, 3, 4)]] VcpuState* inject_logged(VcpuState& v, const guest_exception::Entry& e, const char* fmt,
                                                       ...);

// HVC #0xEA1 and HVC #0 are served on the fast path (runhv_guest_sync_fast): any other immediate.
VcpuState* hvc(VcpuState& v, Esr esr) {
  const u16 imm = esr::HvcSmc::decode(esr).imm;
  // Xen's do_trap_hypercall: "Invalid HVC imm", an undefined instruction; ELR_EL1 is where the
  // HVC returns to, the next instruction.
  return inject_logged(v, guest_exception::undefined(v.regs.elr, v.regs.spsr, sysreg::read_vbar_el1(), esr.il()),
                       "HVC #0x%x at pc 0x%lx (ESR_EL2 0x%lx): invalid immediate, undefined instruction injected", imm,
                       v.regs.elr - 4, esr.raw());
}

// A trapped SMC (HCR_EL2.TSC) leaves ELR at the SMC itself. runhv is the guest's only firmware,
// so SMC #0 is the same SMCCC call as HVC #0 (as Xen's vsmccc serves it); another immediate is
// not an SMCCC call and gets NOT_SUPPORTED. Either way the guest goes on after the SMC.
VcpuState* smc(VcpuState& v, Esr esr) {
  skip_instruction(v, esr);
  if (esr::HvcSmc::decode(esr).imm == 0) {
    hyp::on_smccc(v);
  } else {
    v.regs.x[0] = ~u64{0};  // SMCCC NOT_SUPPORTED (-1)
  }
  return hyp::exit_resume(v);
}

// An AArch32 WFI/WFE whose condition fails is skipped (it traps all the same on some CPUs).
VcpuState* wfx(VcpuState& v, Esr esr) {
  const bool executed = aarch32::trapped_condition_passes(esr, v.regs.spsr);
  skip_instruction(v, esr);  // the trapped WFI/WFE is done once the handler returns
  if (executed) {
    hyp::on_wfx(v, esr::Wfx::decode(esr).kind != esr::Wfx::Kind::wfi);
  }
  return hyp::exit_resume(v);
}

// The faulting IPA: HPFAR_EL2.FIPA holds IPA[47:12], FAR_EL2 the page offset (its VA).
u64 fault_ipa(u64 far) { return (bits(sysreg::read_hpfar_el2(), 43, 4) << kPageShift) | (far & kPageMask); }

const char* fault_kind(u8 fsc) {
  return esr::is_translation_fault(fsc)  ? "unmapped IPA"
         : esr::is_permission_fault(fsc) ? "permission fault"
                                         : "stage-2 fault";
}

// The guest takes the exception at EL1 (core/guest_exception.hpp). EL1's registers are live: v
// is loaded.
VcpuState* inject(VcpuState& v, const guest_exception::Entry& e) {
  sysreg::write_elr_el1(e.elr_el1);
  sysreg::write_spsr_el1(e.spsr_el1);
  sysreg::write_esr_el1(e.esr_el1);
  if (e.sets_far) {
    sysreg::write_far_el1(e.far_el1);
  }
  v.regs.elr = e.pc;
  v.regs.spsr = e.pstate;
  return hyp::exit_resume(v);
}

// Xen's answer to an access its emulated devices cannot serve (inject_dabt_exception).
VcpuState* inject_data_abort(VcpuState& v, u64 far) {
  return inject(v, guest_exception::data_abort(v.regs.elr, v.regs.spsr, sysreg::read_vbar_el1(), far));
}

// A guest fault runhv answers as Xen does: one budgeted line (`fmt`), then the exception.
[[gnu::format(printf, 3, 4)]] VcpuState* inject_logged(VcpuState& v, const guest_exception::Entry& e, const char* fmt,
                                                       ...) {
  char detail[224];
  va_list args;
  va_start(args, fmt);
  vformat(detail, sizeof detail, fmt, args);
  va_end(args);
  hyp::on_exception_injected(v, detail);
  return inject(v, e);
}

// An A64 access without a syndrome that Xen 4.17+ emulates (core/mmio.hpp): the instruction at
// the PC, read through the guest's stage 1.
bool decode_post_indexed(VcpuState& v, const esr::DataAbort& da, PostIndexed& out) {
  u32 insn = 0;
  const bool a64 = (v.regs.spsr & guest_exception::kModeAarch32) == 0;
  return !da.isv && !da.cm && !da.s1ptw && a64 && hyp::read_guest_instruction(v, v.regs.elr, insn) &&
         mmio_decode_post_indexed(insn, da.wnr, out);
}

// Rn += offset after a post-indexed access; Rn = 31 is the stack pointer of the guest's mode.
void write_back(VcpuState& v, u8 rn, i64 offset) {
  const auto delta = static_cast<u64>(offset);
  if (rn != 31) {
    v.regs.x[rn] += delta;
  } else if ((v.regs.spsr & guest_exception::kModeMask) == guest_exception::kModeEl1h) {
    sysreg::write_sp_el1(sysreg::read_sp_el1() + delta);
  } else {
    v.regs.sp_el0 += delta;
  }
}

const char* unserved_reason(const esr::DataAbort& da) {
  return da.s1ptw ? "stage-1 table walk" : da.cm ? "cache maintenance" : "no syndrome (ISV = 0)";
}

// A stage-2 data abort: an emulated device's register, or a guest touching an IPA it has no
// mapping (or no write permission) for. Inside a device region, an access the device refuses or
// that has no syndrome (load/store pair, writeback, SIMD register) gets Xen's data abort; cache
// maintenance there is ignored, and a post-indexed LDR/STR decoded and emulated, as Xen 4.17+ does.
VcpuState* data_abort(VcpuState& v, Esr esr) {
  const auto da = esr::DataAbort::decode(esr);
  const u64 far = sysreg::read_far_el2();
  const u64 ipa = fault_ipa(far);
  if (da.translation_fault()) {
    MmioAccess access;
    PostIndexed post;
    bool decoded = mmio_access_from(da, Ipa(ipa), reg_or_zero(v, da.srt), access);
    const bool post_indexed = !decoded && decode_post_indexed(v, da, post) &&
                              mmio_access_from(post.da, Ipa(ipa), reg_or_zero(v, post.da.srt), access);
    decoded = decoded || post_indexed;
    const MmioOutcome outcome = decoded ? hyp::on_mmio(v, access) : MmioOutcome::refused;
    if (outcome == MmioOutcome::done) {
      if (mmio_writes_register(access)) {
        v.regs.x[access.reg] = mmio_load_value(access);
      }
      if (post_indexed) {
        write_back(v, post.rn, post.offset);
      }
      skip_instruction(v, esr);
      return hyp::exit_resume(v);
    }
    if (!decoded && da.cm && !da.s1ptw && hyp::mmio_region_holds(v, Ipa(ipa))) {
      skip_instruction(v, esr);
      return hyp::exit_resume(v);
    }
    const char* why = decoded ? "refused by the device" : unserved_reason(da);
    if (hyp::on_mmio_unserved(v, Ipa(ipa), v.regs.elr, da.wnr, why)) {
      return inject_data_abort(v, far);
    }
  }
  // A break-before-make window shows as a translation fault (HPFAR_EL2 is valid for those and
  // for faults on the stage-1 walk, not for other permission faults).
  const auto type = da.s1ptw || !da.wnr ? mmu::AccessType::read : mmu::AccessType::write;
  if ((da.translation_fault() || da.s1ptw) && hyp::on_stage2_abort(v, Ipa(ipa), type)) {
    return hyp::exit_resume(v);  // mapped again: the same instruction runs again
  }
  // Nothing backs the IPA (Xen's do_trap_stage2_abort_guest: inject_dabt_exception).
  return inject_logged(v, guest_exception::data_abort(v.regs.elr, v.regs.spsr, sysreg::read_vbar_el1(), far),
                       "data abort (%s, %s) at IPA 0x%lx, FAR 0x%lx, pc 0x%lx, ESR_EL2 0x%lx (EC 0x%x): data abort "
                       "injected",
                       da.wnr ? "write" : "read", fault_kind(da.dfsc), ipa, far, v.regs.elr, esr.raw(),
                       static_cast<u32>(esr.ec()));
}

VcpuState* instruction_abort(VcpuState& v, Esr esr) {
  const auto ia = esr::InstructionAbort::decode(esr);
  const u64 far = sysreg::read_far_el2();
  if ((ia.translation_fault() || ia.s1ptw) &&
      hyp::on_stage2_abort(v, Ipa(fault_ipa(far)), ia.s1ptw ? mmu::AccessType::read : mmu::AccessType::exec)) {
    return hyp::exit_resume(v);
  }
  // A fetch from an IPA nothing backs (Xen: inject_iabt_exception).
  return inject_logged(v, guest_exception::instruction_abort(v.regs.elr, v.regs.spsr, sysreg::read_vbar_el1(), far),
                       "instruction abort (fetch, %s) at IPA 0x%lx, FAR 0x%lx, pc 0x%lx, ESR_EL2 0x%lx (EC 0x%x): "
                       "instruction abort injected",
                       fault_kind(ia.ifsc), fault_ipa(far), far, v.regs.elr, esr.raw(), static_cast<u32>(esr.ec()));
}

// MSR/MRS of a trapped system register (MDCR_EL2 traps debug, OS-lock and PMU accesses;
// CNTHCTL_EL2 the EL1 physical timer): emulated as the table says, or an undefined instruction
// at the access (Xen's do_sysreg: inject_undef_exception).
VcpuState* system_register(VcpuState& v, Esr esr) {
  const auto a = esr::SysregAccess::decode(esr);
  const SysregResult r = emulate_sysreg(a);
  if (r.kind == SysregResult::Kind::done) {
    if (a.read && a.rt != 31) {
      v.regs.x[a.rt] = r.read_value;
    }
    skip_instruction(v, esr);
    return hyp::exit_resume(v);
  }
  if (r.kind == SysregResult::Kind::sgi1r && !a.read) {
    hyp::on_sgi(v, reg_or_zero(v, a.rt));
    skip_instruction(v, esr);
    return hyp::exit_resume(v);
  }
  char name[32];
  format_sysreg_name(name, sizeof name, a.key());
  return inject_logged(v, guest_exception::undefined(v.regs.elr, v.regs.spsr, sysreg::read_vbar_el1(), esr.il()),
                       "system register access (EC 0x18, ESR_EL2 0x%lx) at pc 0x%lx: %s %s: undefined instruction "
                       "injected",
                       esr.raw(), v.regs.elr, a.read ? "read of" : "write to", name);
}

VcpuState* fp_access(VcpuState& v, Esr /*esr*/) {
  fpsimd_trap(v);
  return hyp::exit_resume(v);
}

// One entry per exception class (ESR_EL2.EC, 6 bits).
constexpr auto kExits = [] {
  struct Table {
    Handler h[64];
  } t{};
  for (Handler& h : t.h) {
    h = other;
  }
  t.h[static_cast<u32>(Ec::wfx)] = wfx;
  t.h[static_cast<u32>(Ec::hvc64)] = hvc;
  t.h[static_cast<u32>(Ec::smc64)] = smc;
  t.h[static_cast<u32>(Ec::sysreg)] = system_register;
  t.h[static_cast<u32>(Ec::fp_access)] = fp_access;
  t.h[static_cast<u32>(Ec::iabt_lower)] = instruction_abort;
  t.h[static_cast<u32>(Ec::dabt_lower)] = data_abort;
  return t;
}();

}  // namespace
}  // namespace runhv::arch

namespace {
// runhv_guest_sync_fast's answer for an exit it did not serve (world_switch.S).
runhv::arch::VcpuFrame* const kSyncNotServed = nullptr;
}  // namespace

// A FIQ taken while a guest ran (HCR_EL2.FMO): runhv uses no Group 0 interrupt, so it is
// acknowledged and ended at the CPU interface (it is not taken again) and the domain stops.
extern "C" [[noreturn]] runhv::arch::VcpuFrame* runhv_guest_fiq(runhv::arch::VcpuFrame* frame) {
  using namespace runhv;
  auto& v = *reinterpret_cast<arch::VcpuState*>(frame);
  u64 iar = 1023;
  if (arch::irq_ready()) {
    iar = arch::sysreg::read_icc_iar0_el1();
    if (bits(iar, 23, 0) < 1020) {
      arch::sysreg::write_icc_eoir0_el1(iar);
    }
  }
  arch::fatal(v, "FIQ", "FIQ (INTID %lu) at pc 0x%lx, SPSR_EL2 0x%lx", bits(iar, 23, 0), v.regs.elr, v.regs.spsr);
}

// An SError taken while a guest ran (HCR_EL2.AMO): an external abort the guest's access caused,
// reported asynchronously. Its syndrome is ESR_EL2 (EC 0x2F).
extern "C" [[noreturn]] runhv::arch::VcpuFrame* runhv_guest_serror(runhv::arch::VcpuFrame* frame) {
  using namespace runhv;
  auto& v = *reinterpret_cast<arch::VcpuState*>(frame);
  arch::fatal(v, "SError", "SError (ESR_EL2 0x%lx) at pc 0x%lx, SPSR_EL2 0x%lx", arch::sysreg::read_esr_el2(),
              v.regs.elr, v.regs.spsr);
}

// HVC #0xEA1 and HVC #0 read and write x0..x17 of the caller only (and another, offline vCPU's
// whole frame): served on the fast path. Whatever reads the caller's whole frame, a switch to
// another vCPU, comes after the world switch has completed it.
extern "C" runhv::arch::VcpuFrame* runhv_guest_sync_fast(runhv::arch::VcpuFrame* frame) {
  using namespace runhv;
  auto& v = *reinterpret_cast<arch::VcpuState*>(frame);
  const u64 esr = arch::sysreg::read_esr_el2();
  arch::VcpuState* next = nullptr;
  if (esr == esr::HvcSmc::hvc64_syndrome(xen::kHypercallTag)) [[likely]] {
    hyp::on_hypercall(v);
    next = hyp::hypercall_resume_here(v);
  } else if (esr == esr::HvcSmc::hvc64_syndrome(0)) {
    hyp::on_smccc(v);
    next = hyp::exit_resume_here(v);
  } else {
    return kSyncNotServed;
  }
  return next != nullptr ? &next->regs : reinterpret_cast<arch::VcpuFrame*>(reinterpret_cast<u64>(frame) | 1);
}

extern "C" runhv::arch::VcpuFrame* runhv_guest_reschedule(runhv::arch::VcpuFrame* /*frame*/) {
  // (VcpuState begins with its frame: the cast lets the call be a tail call)
  return reinterpret_cast<runhv::arch::VcpuFrame*>(runhv::hyp::exit_reschedule());
}

extern "C" runhv::arch::VcpuFrame* runhv_guest_sync(runhv::arch::VcpuFrame* frame) {
  using namespace runhv;
  auto& v = *reinterpret_cast<arch::VcpuState*>(frame);
  const esr::Esr esr(arch::sysreg::read_esr_el2());
  return reinterpret_cast<arch::VcpuFrame*>(arch::kExits.h[static_cast<u32>(esr.ec())](v, esr));
}
