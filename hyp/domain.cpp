// Domains and their vCPUs: RAM, stage 2, PV-time records, vCPUs, start
// SPDX-License-Identifier: MIT
#include "hyp/domain.hpp"

#include <string.h>

#include <new>

#include "core/psci.hpp"
#include "hyp/console_input.hpp"
#include "hyp/frame_table.hpp"
#include "hyp/sched_loop.hpp"
#include "hyp/scheduling.hpp"
#include "hyp/xen/event_channel.hpp"
#include "lib/panic.hpp"

namespace runhv::hyp {
namespace {

Domain* g_domains[kMaxDomains];

}  // namespace

Domain* find_domain(u16 number) { return number >= 1 && number <= kMaxDomains ? g_domains[number - 1] : nullptr; }

Domain& create_domain(const DomainConfig& c) {
  const auto n = static_cast<unsigned>(c.number);
  if (c.number == 0 || c.number > kMaxDomains) {
    panic("d%u: no room for this domain", n);
  }
  if (g_domains[c.number - 1] != nullptr) {
    panic("d%u: created twice", n);
  }
  if (c.vcpus == 0 || c.vcpus > kMaxVcpusPerDomain) {
    panic("d%u: %u vCPUs (1..%u)", n, c.vcpus, kMaxVcpusPerDomain);
  }
  if (c.storage == nullptr || (reinterpret_cast<u64>(c.storage) % alignof(Domain)) != 0) {
    panic("d%u: no storage for the domain", n);
  }
  // Raw bytes before the Domain is constructed in them (Domain() binds its references and vtables).
  // cppcheck-suppress [memsetClassReference, memsetClass]
  memset(c.storage, 0, sizeof(Domain));  // as static storage was: what Domain() leaves alone is zero
  Domain& d = *new (c.storage) Domain();
  g_domains[c.number - 1] = &d;
  d.number = c.number;
  d.ram_ipa = c.ram_ipa;
  d.ram_pa = c.ram_pa;
  d.ram_size = c.ram_size;
  d.console = DomainConsole{c.number};
  d.entry = c.ram_ipa + c.image_offset;
  const DomId id = xen::domid(c.number);
  if (c.image_offset > c.ram_size || c.image_size > c.ram_size - c.image_offset) {
    panic("d%u: image of %zu bytes does not fit in its RAM", n, c.image_size);
  }
  if (!frame_table().assign(c.ram_pa, c.ram_size, id)) {
    panic("d%u: RAM at 0x%lx is not free host RAM", n, c.ram_pa.raw());
  }
  auto* ram = reinterpret_cast<u8*>(c.ram_pa.raw());
  memset(ram, 0, c.ram_size);
  memcpy(ram + c.image_offset, c.image, c.image_size);
  // The guest starts with its MMU off: its accesses are non-cacheable and must see this.
  arch::clean_to_poc(c.ram_pa, c.ram_size);
  if (!d.s2.map_ram(c.ram_ipa, c.ram_pa, c.ram_size)) {
    panic("d%u: cannot map RAM at IPA 0x%lx in stage 2", n, c.ram_ipa.raw());
  }
  if (c.pv_time_page.raw() != 0) {
    auto* records = reinterpret_cast<pvtime::StolenTime*>(c.pv_time_page.raw());
    for (u32 i = 0; i < kPageSize / sizeof(pvtime::StolenTime); ++i) {
      init_stolen_time(&records[i]);
    }
    if (!d.s2.map_page_ro(kPvTimeIpa, c.pv_time_page)) {
      panic("d%u: cannot map the PV-time page at IPA 0x%lx", n, kPvTimeIpa.raw());
    }
    d.pv_time = records;
  }
  d.uart_irq.domain = &d;
  evtchn_domain_init(d);
  if (!d.vgic.reset(c.vcpus) || !add_device(d, kGuestLayout.gicd, d.vgic.distributor(), "vgicd") ||
      !add_device(d, {kGuestLayout.gicr.base, d.vgic.redistributors_size()}, d.vgic.redistributors(), "vgicr")) {
    panic("d%u: cannot place the vGIC at IPA 0x%lx / 0x%lx", n, kGuestLayout.gicd.base, kGuestLayout.gicr.base);
  }
  if (c.vpl011) {
    if (!add_device(d, kGuestLayout.uart, d.uart, "vpl011")) {
      panic("d%u: cannot place the vPL011 at IPA 0x%lx", n, kGuestLayout.uart.base);
    }
    console_input_add(d);
  }
  d.space = DomainSpace{.id = id, .mem = &frame_table(), .s2 = d.s2.regs(c.number), .s2_lock = &d.s2.update_lock()};
  d.runstate.space = d.space;
  d.runstate.va_policy = c.va_policy;
  d.nr_vcpus = c.vcpus;
  const u64 now = arch::now_ns();
  for (u32 i = 0; i < c.vcpus; ++i) {
    Vcpu& v = d.vcpus[i];
    v.domain = &d;
    v.id = i;
    arch::vcpu_reset(v.arch, vcpu_vmpidr(i), 0, 0);
    v.runstate.account.reset(now);
    v.runstate.area.init(&d.runstate, i);
    v.sched.init(&v.runstate, c.number, i, c.slice_ns);
    const int pin = c.pins != nullptr ? static_cast<int>(c.pins[i]) : kAnyPcpu;
    if (!scheduler().add(v.sched, pin)) {
      panic("d%uv%u: the scheduler refused it (pin %d)", n, i, pin);
    }
  }
  return d;
}

void start_domain(Domain& d, u64 dtb_ipa) {
  d.dtb_ipa = dtb_ipa;
  d.running = true;
  domain_started();
  Vcpu& v0 = d.vcpus[0];
  if (vcpu_up(v0, 0, d.entry.raw(), dtb_ipa) != 0) {
    panic("d%u: vCPU 0 would not come up", static_cast<unsigned>(d.number));
  }
}
}  // namespace runhv::hyp
