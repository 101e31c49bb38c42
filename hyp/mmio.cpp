// Emulated devices: each domain's MMIO bus, filled from the guest layout, serving trapped accesses
// SPDX-License-Identifier: MIT
#include "hyp/console_input.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

bool add_device(Domain& d, const GuestRegion& region, MmioDevice& device, const char* name) {
  if (region.size == 0 || region.overlaps(kGuestLayout.ram) || region.overlaps(kGuestLayout.pv_time) ||
      region.overlaps(kGuestLayout.grant_table)) {
    return false;
  }
  return d.mmio.add(Ipa(region.base), region.size, device, name);
}

MmioOutcome on_mmio(arch::VcpuState& s, MmioAccess& access) {
  Domain& d = *vcpu_of(s).domain;
  d.lock.lock();
  const MmioOutcome outcome = d.mmio.dispatch(access);
  if (d.uart_input.size() != 0) [[unlikely]] {
    console_input_refill(d);  // the guest may have read from its vPL011's FIFO
  }
  const u32 kicks = d.vgic.take_kicks();  // a GIC register write that concerns other vCPUs
  d.lock.unlock();
  irq_kick_mask(d, kicks);
  return outcome;
}

bool mmio_region_holds(arch::VcpuState& s, Ipa ipa) {
  Domain& d = *vcpu_of(s).domain;
  d.lock.lock();
  const bool holds = d.mmio.find(ipa, 1) != nullptr;
  d.lock.unlock();
  return holds;
}

bool read_guest_instruction(arch::VcpuState& s, u64 pc, u32& insn) {
  const Vcpu& v = vcpu_of(s);
  return copy_from_guest(v.domain->space, guest_stage1(v), &insn, Va(pc), sizeof insn) == 0;
}

bool on_mmio_unserved(arch::VcpuState& s, Ipa ipa, u64 pc, bool write, const char* why) {
  Vcpu& v = vcpu_of(s);
  Domain& d = *v.domain;
  d.lock.lock();
  const MmioBus::Region* r = d.mmio.find(ipa, 1);
  const char* name = r != nullptr ? r->name : nullptr;
  d.lock.unlock();
  if (name == nullptr) {
    return false;
  }
  guest_logf(d.runstate.log_budget, "d%uv%u: %s %s at IPA 0x%lx, pc 0x%lx: %s; data abort injected", d.number, v.id,
             name, write ? "write" : "read", ipa.raw(), pc, why);
  return true;
}

}  // namespace runhv::hyp
