// Domains and their vCPUs: RAM, stage 2, console, the registers of each vCPU, start and stop
// SPDX-License-Identifier: MIT
#include "hyp/domain.hpp"

#include <string.h>

#include <new>

#include "arch/aarch64/hcr.hpp"
#include "arch/aarch64/mmu_el2.hpp"
#include "arch/aarch64/percpu.hpp"
#include "arch/aarch64/psci.hpp"
#include "arch/aarch64/sysreg.hpp"
#include "core/psci.hpp"
#include "hyp/console.hpp"
#include "hyp/frame_table.hpp"
#include "lib/panic.hpp"

namespace runhv::hyp {
namespace {

constexpr unsigned kMaxDomains = 1;
// Raw storage, constructed by create_domain(): a constant-initialised Domain would put its
// tables in .data (DomId::invalid is not zero) and grow the image.
alignas(Domain) u8 g_storage[kMaxDomains][sizeof(Domain)];
Domain* g_domains[kMaxDomains];

// PSTATE at entry: EL1h with D, A, I and F masked.
constexpr u64 kSpsrEl1hMasked = 0x3C5;

}  // namespace

Domain& create_domain(const DomainConfig& c) {
  if (c.number == 0 || c.number > kMaxDomains) {
    panic("d%u: no room for this domain", static_cast<unsigned>(c.number));
  }
  if (g_domains[c.number - 1] != nullptr) {
    panic("d%u: created twice", static_cast<unsigned>(c.number));
  }
  Domain& d = *new (g_storage[c.number - 1]) Domain();
  g_domains[c.number - 1] = &d;
  d.number = c.number;
  d.ram_ipa = c.ram_ipa;
  d.ram_pa = c.ram_pa;
  d.ram_size = c.ram_size;
  d.console = DomainConsole{c.number};
  const DomId id = xen::domid(c.number);
  if (c.image_size > c.ram_size) {
    panic("d%u: image of %zu bytes does not fit in its RAM", static_cast<unsigned>(c.number), c.image_size);
  }
  if (!frame_table().assign(c.ram_pa, c.ram_size, id)) {
    panic("d%u: RAM at 0x%lx is not free host RAM", static_cast<unsigned>(c.number), c.ram_pa.raw());
  }
  auto* ram = reinterpret_cast<u8*>(c.ram_pa.raw());
  memset(ram, 0, c.ram_size);
  memcpy(ram, c.image, c.image_size);
  // The guest starts with its MMU off: its accesses are non-cacheable and must see this.
  arch::mmu_el2::clean_invalidate_to_poc(c.ram_pa, c.ram_size);
  if (!d.s2.map_ram(c.ram_ipa, c.ram_pa, c.ram_size)) {
    panic("d%u: cannot map RAM at IPA 0x%lx in stage 2", static_cast<unsigned>(c.number), c.ram_ipa.raw());
  }
  d.space = DomainSpace{.id = id, .mem = &frame_table(), .s2 = d.s2.regs(c.number)};
  d.vcpus[0].domain = &d;
  d.vcpus[0].id = 0;
  return d;
}

void start_domain(Domain& d, u64 dtb_ipa) {
  using namespace arch;
  Vcpu& v = d.vcpus[0];
  v.regs = VcpuFrame{};
  v.regs.x[0] = dtb_ipa;
  v.regs.elr = d.ram_ipa.raw();
  v.regs.spsr = kSpsrEl1hMasked;
  v.ctx = initial_context(vcpu_vmpidr(v.id));
  d.running = true;

  sysreg::write_vpidr_el2(sysreg::read_midr_el1());
  load_stage2(d.space.s2);
  vcpu_context_restore(v);
  this_cpu().current = &v.regs;
  sysreg::write_hcr_el2(kHcrGuest);
  sysreg::isb();
  runhv_guest_resume(&v.regs);
}

void stop_domain(Vcpu& v, const char* reason) {
  Domain& d = *v.domain;
  d.console.flush();
  d.running = false;
  console::print("runhv: d%u stopped (%s)\n", static_cast<unsigned>(d.number), reason);
  for (const Domain* other : g_domains) {
    if (other != nullptr && other->running) {
      panic("d%u still runs and there is no scheduler yet", static_cast<unsigned>(other->number));
    }
  }
  console::print("runhv: cpu%u: interrupts taken while a guest ran: %lu\n", arch::this_cpu_index(),
                 arch::this_cpu().guest_irqs);
  console::print("runhv: all domains down, powering off\n");
  arch::psci::system_off();
}

}  // namespace runhv::hyp
