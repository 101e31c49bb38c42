// Reaching guest memory on a guest's behalf: VA/IPA resolution and copies to and from the guest
// SPDX-License-Identifier: MIT
//
// Everything the hypervisor reads or writes for a guest goes through here, so that the rule
// "only RAM the domain owns, only with the permissions the guest's tables grant" lives in one
// place. A guest virtual address is translated in a given EL1 context (normally the calling
// vCPU's) through the domain's stage 2, as AT S12E1R/W would.
#pragma once

#include "core/guest_memory.hpp"
#include "core/spinlock.hpp"
#include "core/walker.hpp"

namespace runhv {

// A domain's memory as the hypervisor reaches it.
struct DomainSpace {
  DomId id = DomId::invalid;
  GuestMemory* mem = nullptr;
  mmu::Stage2Regs s2{};
  // The lock stage-2 changes of the domain hold (mmu::Stage2Table::update_lock), or null when
  // nothing changes it concurrently. A walk that faults at stage 2 is done again under it, so
  // a break-before-make in progress on another pCPU is waited out, not reported.
  SpinLock* s2_lock = nullptr;
};

enum class Resolve : u8 {
  ok,
  walk_fault,    // stage 1 (or stage 2 during the walk, or stage 2 of the final IPA) faulted
  s2_read_only,  // stage 2 maps the IPA but does not grant the write asked for
  not_ram,       // the address is device memory (MMIO) or a hole
  not_owned,     // RAM, but another domain's or the hypervisor's
};

struct GuestPage {
  Pa pa{};  // host physical address of the byte asked for
  Frame* frame = nullptr;
  u8* page = nullptr;  // hypervisor pointer to the start of that page
  mmu::Fault fault{};  // for walk_fault / s2_read_only
};

Resolve resolve_va(const DomainSpace& d, const mmu::Stage1Regs& ctx, Va va, mmu::AccessType type, GuestPage& out);
Resolve resolve_ipa(const DomainSpace& d, Ipa ipa, mmu::AccessType type, GuestPage& out);
// Whether the domain's stage 2 maps `ipa` for `type` now, once any change in progress is done:
// a guest's stage-2 fault on such an address came from a break-before-make window and is
// retried, not fatal.
[[nodiscard]] bool stage2_maps(const DomainSpace& d, Ipa ipa, mmu::AccessType type);

// Copy between hypervisor memory and guest virtual memory (EL1 context `ctx`). Returns 0 or
// -EFAULT; a failed copy may have moved some bytes (as Xen's copy_to_guest can).
long copy_from_guest(const DomainSpace& d, const mmu::Stage1Regs& ctx, void* dst, Va src, usize n);
long copy_to_guest(const DomainSpace& d, const mmu::Stage1Regs& ctx, Va dst, const void* src, usize n);

}  // namespace runhv
