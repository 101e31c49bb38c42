// SMCCC calls from guests (HVC #0): the one hook where PSCI and SMCCC requests are served
// SPDX-License-Identifier: MIT
//
// For now: PSCI_VERSION (1.1) and SYSTEM_OFF; anything else gets NOT_SUPPORTED (-1) in x0. A
// later change routes this function to the core PSCI decoder (core/psci.hpp).
#include "core/smccc.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

void smccc_call(Vcpu& v) {
  u64* x = v.regs.x;
  switch (static_cast<psci::Fn>(static_cast<u32>(x[0]))) {
    case psci::Fn::version:
      x[0] = psci::kVersion1_1;
      return;
    case psci::Fn::system_off:
      stop_domain(v, "SYSTEM_OFF");
    default:
      x[0] = static_cast<u64>(psci::kNotSupported);
      return;
  }
}

}  // namespace runhv::hyp
