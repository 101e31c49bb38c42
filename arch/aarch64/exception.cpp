// EL2 exception entry for all but guest exits: EL2 IRQs are handled, everything else is fatal
// SPDX-License-Identifier: MIT
#include "arch/aarch64/exception.hpp"

#include "arch/aarch64/irq.hpp"
#include "lib/panic.hpp"

namespace runhv::arch {
namespace {

const char* source_name(u64 index) {
  switch (static_cast<VectorSource>(index / 4)) {
    case VectorSource::current_sp0:
      return "EL2 (SP_EL0)";
    case VectorSource::current_spx:
      return "EL2";
    case VectorSource::lower_a64:
      return "lower EL (AArch64)";
    case VectorSource::lower_a32:
      return "lower EL (AArch32)";
  }
  return "?";
}

const char* kind_name(u64 index) {
  switch (static_cast<VectorKind>(index % 4)) {
    case VectorKind::sync:
      return "synchronous";
    case VectorKind::irq:
      return "IRQ";
    case VectorKind::fiq:
      return "FIQ";
    case VectorKind::serror:
      return "SError";
  }
  return "?";
}

// The exception classes worth naming when something goes wrong early.
const char* class_name(u32 ec) {
  switch (ec) {
    case 0x00:
      return "unknown reason";
    case 0x01:
      return "WFI/WFE";
    case 0x07:
      return "FP/SIMD access";
    case 0x0E:
      return "illegal execution state";
    case 0x15:
      return "SVC";
    case 0x16:
      return "HVC";
    case 0x17:
      return "SMC";
    case 0x18:
      return "MSR/MRS/system instruction";
    case 0x20:
      return "instruction abort, lower EL";
    case 0x21:
      return "instruction abort, same EL";
    case 0x22:
      return "PC alignment";
    case 0x24:
      return "data abort, lower EL";
    case 0x25:
      return "data abort, same EL";
    case 0x26:
      return "SP alignment";
    case 0x2F:
      return "SError";
    case 0x3C:
      return "BRK";
    default:
      return "other";
  }
}

}  // namespace
}  // namespace runhv::arch

extern "C" void runhv_exception_entry(runhv::arch::ExceptionFrame* frame, runhv::u64 index) {
  using namespace runhv::arch;
  // An IRQ while the hypervisor waits with PSTATE.I clear (wait_for_interrupt): the one expected
  // exception from EL2 itself.
  if (index == 4 * static_cast<runhv::u64>(VectorSource::current_spx) + static_cast<runhv::u64>(VectorKind::irq)) {
    irq_handle();
    return;
  }
  const bool sync = index % 4 == 0;
  const runhv::u32 ec = esr_class(frame->esr);
  runhv::panic(
      "unexpected %s exception from %s: %s (ESR_EL2 0x%lx), ELR_EL2 0x%lx, FAR_EL2 0x%lx, "
      "SPSR_EL2 0x%lx",
      kind_name(index), source_name(index), sync ? class_name(ec) : "-", frame->esr, frame->elr, frame->far,
      frame->spsr);
}
