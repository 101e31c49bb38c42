// EL2 exception entry for all but guest exits: EL2 IRQs are handled, everything else is fatal
// SPDX-License-Identifier: MIT
#include "arch/aarch64/exception.hpp"

#include "arch/aarch64/irq.hpp"
#include "core/esr.hpp"
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
  runhv::panic(
      "unexpected %s exception from %s: %s (ESR_EL2 0x%lx), ELR_EL2 0x%lx, FAR_EL2 0x%lx, "
      "SPSR_EL2 0x%lx",
      kind_name(index), source_name(index), sync ? runhv::esr::ec_name(runhv::esr::Esr(frame->esr).ec()) : "-",
      frame->esr, frame->elr, frame->far, frame->spsr);
}
