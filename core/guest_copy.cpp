// Reaching guest memory on a guest's behalf: VA/IPA resolution and copies to and from the guest
// SPDX-License-Identifier: MIT
#include "core/guest_copy.hpp"

namespace runhv {
namespace {

Resolve check_frame(const DomainSpace& d, Pa pa, GuestPage& out) {
  out.pa = pa;
  out.frame = d.mem->frame(pa);
  if (out.frame == nullptr) {
    return Resolve::not_ram;
  }
  if (out.frame->owner() != d.id || out.frame->released()) {
    return Resolve::not_owned;
  }
  out.page = d.mem->map(pa);
  return Resolve::ok;
}

Resolve classify(const mmu::Fault& f) {
  bool s2_perm = f.stage == mmu::Stage::two && !f.s1ptw && f.kind == mmu::FaultKind::permission;
  return s2_perm ? Resolve::s2_read_only : Resolve::walk_fault;
}

// Runs `walk` once, and again under the stage-2 lock if it faulted at stage 2: an entry may have
// been invalid only for the break-before-make of a change on another pCPU.
template <class WalkFn>
auto walk_settled(const DomainSpace& d, WalkFn walk) {
  auto w = walk();
  if (!w.ok() && w.fault.stage == mmu::Stage::two && d.s2_lock != nullptr) {
    const Locked held(*d.s2_lock);
    w = walk();
  }
  return w;
}

}  // namespace

Resolve resolve_va(const DomainSpace& d, const mmu::Stage1Regs& ctx, Va va, mmu::AccessType type, GuestPage& out) {
  mmu::Walker walker(*d.mem, d.s2);
  auto w = walk_settled(d, [&] { return walker.translate(ctx, va, {type, mmu::El::el1}); });
  if (!w.ok()) {
    out.fault = w.fault;
    return classify(w.fault);
  }
  return check_frame(d, w.out, out);
}

Resolve resolve_ipa(const DomainSpace& d, Ipa ipa, mmu::AccessType type, GuestPage& out) {
  mmu::Walker walker(*d.mem, d.s2);
  auto w = walk_settled(d, [&] { return walker.stage2(ipa, type); });
  if (!w.ok()) {
    out.fault = w.fault;
    return classify(w.fault);
  }
  return check_frame(d, w.out, out);
}

bool stage2_maps(const DomainSpace& d, Ipa ipa, mmu::AccessType type) {
  mmu::Walker walker(*d.mem, d.s2);
  if (d.s2_lock == nullptr) {
    return walker.stage2(ipa, type).ok();
  }
  const Locked held(*d.s2_lock);
  return walker.stage2(ipa, type).ok();
}

namespace {

template <class Copy>
long copy_pages(const DomainSpace& d, const mmu::Stage1Regs& ctx, Va va, usize n, mmu::AccessType type, Copy copy) {
  usize done = 0;
  while (done < n) {
    Va at = va + done;
    GuestPage gp;
    // The pin keeps the frame the domain's while the bytes move (another pCPU may be freeing it).
    if (resolve_va(d, ctx, at, type, gp) != Resolve::ok || !gp.frame->try_pin(d.id)) {
      return xen::error(xen::Errno::efault);
    }
    usize chunk = kPageSize - at.page_offset();
    if (chunk > n - done) {
      chunk = n - done;
    }
    copy(gp.page + at.page_offset(), done, chunk);
    gp.frame->unpin();
    done += chunk;
  }
  return 0;
}

}  // namespace

long copy_from_guest(const DomainSpace& d, const mmu::Stage1Regs& ctx, void* dst, Va src, usize n) {
  auto* out = static_cast<u8*>(dst);
  return copy_pages(d, ctx, src, n, mmu::AccessType::read,
                    [out](const u8* guest, usize off, usize len) { __builtin_memcpy(out + off, guest, len); });
}

long copy_to_guest(const DomainSpace& d, const mmu::Stage1Regs& ctx, Va dst, const void* src, usize n) {
  const auto* in = static_cast<const u8*>(src);
  return copy_pages(d, ctx, dst, n, mmu::AccessType::write,
                    [in](u8* guest, usize off, usize len) { __builtin_memcpy(guest, in + off, len); });
}

}  // namespace runhv
