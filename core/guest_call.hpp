// A hypercall's caller as the portable handlers see it: its domain's memory, its EL1 context,
// the domain's log budget and the ids its log lines name
// SPDX-License-Identifier: MIT
#pragma once

#include "core/guest_copy.hpp"
#include "core/log.hpp"

namespace runhv {

struct GuestCall {
  const DomainSpace& space;
  mmu::Stage1Regs ctx;  // the calling vCPU's EL1 translation registers (it is running)
  LogBudget& budget;
  unsigned dom = 0;
  unsigned vcpu = 0;
};

// The common answer to an argument pointer that does not lead to the caller's RAM.
inline long bad_argument_pointer(const GuestCall& c, const char* what, u64 va) {
  guest_logf(c.budget, "d%uv%u: %s: bad argument pointer 0x%llx", c.dom, c.vcpu, what,
             static_cast<unsigned long long>(va));
  return xen::error(xen::Errno::efault);
}

}  // namespace runhv
