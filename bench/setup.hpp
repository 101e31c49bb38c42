// One vCPU with a registered runstate area in a given mode, for benchmarks and counting
// SPDX-License-Identifier: MIT
//
// The guest is KPTI-shaped like the scenarios: 48-bit VAs with a 4 KiB granule (a full 4-level
// stage-1 walk), 40-bit IPAs (3-level stage 2), the area in kernel data at a TTBR1 address. For
// legacy mode the vCPU is left in kernel context so that each update does the full walk and
// succeeds (the cost Xen pays on every switch when the walk works).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "core/vcpu_op.hpp"
#include "model/tables.hpp"

namespace runhv::bench {

enum class Mode { mapped, phys, legacy };

inline Mode parse_mode(const std::string& s) {
  if (s == "mapped")
    return Mode::mapped;
  if (s == "phys")
    return Mode::phys;
  if (s == "legacy")
    return Mode::legacy;
  throw std::invalid_argument("mode must be mapped, phys or legacy");
}

struct Setup {
  explicit Setup(Mode mode, bool update_flag = true) {
    dom.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
    dom.va_policy = mode == Mode::legacy ? VaPolicy::legacy : VaPolicy::mapped;
    dom.update_flag = update_flag;
    vcpu.area.init(&dom, 0);
    vcpu.account.reset(0);
    const Va va = model::GuestSpace::kernel_va(0x20'0000);
    Ipa page = guest.map_kernel(0x20'0000);
    vcpu.el1 = guest.s1_regs();
    long rc = mode == Mode::phys ? vcpu.register_phys(page + 64) : vcpu.register_va(vcpu.el1, va + 64);
    if (rc != 0) {
      throw std::runtime_error("registration failed: " + std::to_string(rc));
    }
  }
  model::Machine machine;
  model::GuestSpace guest{machine};
  RunstateDomain dom;
  VcpuRunstate vcpu;
};

}  // namespace runhv::bench
