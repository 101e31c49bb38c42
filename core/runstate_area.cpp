// The guest's copy of its runstate: registration by VA or IPA, and the context-switch update
// SPDX-License-Identifier: MIT
#include "core/runstate_area.hpp"

#include "core/barrier.hpp"
#include "core/log.hpp"

namespace runhv {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the Xen ABI on Arm is little endian");

namespace {

using xen::Errno;
using xen::error;
constexpr u32 kAreaSize = sizeof(vcpu_runstate_info);
constexpr u8 kUpdateBit = 0x80;  // XEN_RUNSTATE_UPDATE within byte 15

bool aligned8(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 7) == 0; }

void store64(u8* p, u64 v) {
  if (aligned8(p)) {
    __atomic_store_n(reinterpret_cast<u64*>(p), v, __ATOMIC_RELAXED);
  } else {
    for (unsigned i = 0; i < 8; ++i) {
      __atomic_store_n(p + i, static_cast<u8>(v >> (8 * i)), __ATOMIC_RELAXED);
    }
  }
}

// Byte `off` of the area, wherever the mapping put it.
u8* area_byte(const AreaMapping& m, u32 off) { return off < m.len0 ? m.ptr[0] + off : m.ptr[1] + (off - m.len0); }

void put_word(const AreaMapping& m, u32 index, u64 v) {
  u32 off = index * 8;
  if (off + 8 <= m.len0 || off >= m.len0) {
    store64(area_byte(m, off), v);
    return;
  }
  for (u32 i = 0; i < 8; ++i) {  // this word straddles the two pages
    __atomic_store_n(area_byte(m, off + i), static_cast<u8>(v >> (8 * i)), __ATOMIC_RELAXED);
  }
}

const char* describe(Resolve r) {
  switch (r) {
    case Resolve::ok:
      return "ok";
    case Resolve::walk_fault:
      return "no translation";
    case Resolve::s2_read_only:
      return "read-only in stage 2";
    case Resolve::not_ram:
      return "not RAM";
    case Resolve::not_owned:
      return "not the domain's RAM";
  }
  return "?";
}

long errno_for(Resolve r, bool phys) {
  switch (r) {
    case Resolve::ok:
      return 0;
    case Resolve::walk_fault:
      return phys ? error(Errno::einval) : error(Errno::efault);
    case Resolve::s2_read_only:
      return error(Errno::eacces);
    case Resolve::not_ram:
    case Resolve::not_owned:
      return error(Errno::einval);
  }
  return error(Errno::einval);
}

// Holds `lock` for a scope, if there is one.
class [[nodiscard]] MaybeLocked {
 public:
  explicit MaybeLocked(SpinLock* lock) : lock_(lock) {
    if (lock_ != nullptr) {
      lock_->lock();
    }
  }
  ~MaybeLocked() {
    if (lock_ != nullptr) {
      lock_->unlock();
    }
  }
  MaybeLocked(const MaybeLocked&) = delete;
  MaybeLocked& operator=(const MaybeLocked&) = delete;

 private:
  SpinLock* lock_;
};

}  // namespace

void write_runstate_split(const AreaMapping& m, const vcpu_runstate_info& info, bool flag) {
  const u64 entry = info.state_entry_time & ~xen::kRunstateUpdate;
  const u64 words[6] = {static_cast<u32>(info.state), entry, info.time[0], info.time[1], info.time[2], info.time[3]};
  u8* flag_byte = area_byte(m, xen::kRunstateUpdateByte);
  const u8 top = static_cast<u8>(entry >> 56);
  if (flag) {
    __atomic_store_n(flag_byte, static_cast<u8>(top | kUpdateBit), __ATOMIC_RELAXED);
    write_barrier();
  }
  for (u32 i = 0; i < 6; ++i) {
    put_word(m, i, (i == 1 && flag) ? (entry | xen::kRunstateUpdate) : words[i]);
  }
  if (flag) {
    write_barrier();
    __atomic_store_n(flag_byte, top, __ATOMIC_RELAXED);
  }
}

void RunstateArea::choose_active() {
  active_is_phys_ = phys_.valid();
  active_ = active_is_phys_ ? &phys_ : (va_map_.valid() ? &va_map_ : nullptr);
  words_ = active_ != nullptr ? aligned_words(*active_) : nullptr;
  __atomic_store_n(&registered_, active_ != nullptr || va_ != Va(0), __ATOMIC_RELAXED);
}

void RunstateArea::unpin(Mapping& m) {
  for (Frame*& f : m.frame) {
    if (f != nullptr) {
      f->unpin();
      f = nullptr;
    }
  }
  m = Mapping{};
}

// Resolves and pins the one or two pages of a VA area in context `ctx`.
long RunstateArea::map_va(const mmu::Stage1Regs& ctx, Va va, Mapping& out, bool registering) {
  const Va last = va + (kAreaSize - 1);
  const bool split = last.page_number() != va.page_number();
  out = Mapping{};
  out.len0 = split ? static_cast<u32>(kPageSize - va.page_offset()) : kAreaSize;
  for (u32 i = 0; i < (split ? 2U : 1U); ++i) {
    Va at = i == 0 ? va : last.page_base();
    GuestPage gp;
    Resolve r = resolve_va(dom_->space, ctx, at, mmu::AccessType::write, gp);
    if (r == Resolve::ok && !gp.frame->try_pin(dom_->space.id)) {
      r = Resolve::not_owned;  // given up by the domain between the check and the pin
    }
    if (r != Resolve::ok) {
      unpin(out);
      if (!registering) {
        // An update that could not be written, whatever stopped it: a failed walk, or a VA that
        // now leads to a page that is read-only in stage 2, not RAM or not the domain's. Each is
        // counted; the log is rate-limited to the 1st, 2nd, 4th, 8th ... failure of this area
        // since a context switch can fail often. A walk fault gets Xen's wording
        // (xen/arch/arm/p2m.c), so logs of both can be compared.
        ++walk_failures_;
        if ((walk_failures_ & (walk_failures_ - 1)) == 0) {
          if (r == Resolve::walk_fault) {
            logf("d%uv%u: Failed to walk page-table va 0x%llx (failure %llu)", static_cast<unsigned>(dom_->space.id),
                 vcpu_, static_cast<unsigned long long>(at.raw()), static_cast<unsigned long long>(walk_failures_));
          } else {
            logf("d%uv%u: runstate area update failed: va 0x%llx %s (failure %llu)",
                 static_cast<unsigned>(dom_->space.id), vcpu_, static_cast<unsigned long long>(at.raw()), describe(r),
                 static_cast<unsigned long long>(walk_failures_));
          }
        }
      } else {
        guest_logf(dom_->log_budget, "d%uv%u: runstate area va 0x%llx refused: %s (stage %u fault status 0x%02x)",
                   static_cast<unsigned>(dom_->space.id), vcpu_, static_cast<unsigned long long>(at.raw()), describe(r),
                   static_cast<unsigned>(gp.fault.stage), mmu::fault_status_code(gp.fault));
      }
      return errno_for(r, false);
    }
    out.frame[i] = gp.frame;
    out.ptr[i] = gp.page + (i == 0 ? va.page_offset() : 0);
  }
  return 0;
}

void RunstateArea::legacy_update(const vcpu_runstate_info& info, const mmu::Stage1Regs& ctx) {
  Mapping tmp;
  if (map_va(ctx, va_, tmp, false) != 0) {
    ++skipped_;
    return;
  }
  write_runstate(tmp, info, dom_->update_flag);
  unpin(tmp);
}

void RunstateArea::write_current(const vcpu_runstate_info& info, const mmu::Stage1Regs& ctx) {
  if (active_ != nullptr) {
    write_runstate(*active_, info, active_is_phys_ || dom_->update_flag);
  } else if (va_ != Va(0)) {
    legacy_update(info, ctx);
  }
}

long RunstateArea::register_va(const mmu::Stage1Regs& caller, Va va, const RunstateAccount& account, SpinLock* books) {
  Mapping fresh;
  if (va != Va(0) && dom_->va_policy == VaPolicy::mapped) {
    if (long rc = map_va(caller, va, fresh, true); rc != 0) {
      return rc;
    }
  }
  Mapping old;
  {
    const MaybeLocked held(books);  // the account stands still, and no update runs, until the end
    if (!try_lock()) {
      unpin(fresh);
      return error(Errno::erestart);
    }
    old = va_map_;
    va_map_ = fresh;
    va_ = va;
    choose_active();
    if (va != Va(0)) {
      write_current(account.info(), caller);
    }
    unlock();
  }
  unpin(old);
  return 0;
}

long RunstateArea::register_phys(Ipa ipa, const RunstateAccount& account, SpinLock* books) {
  Mapping fresh;
  if (ipa.raw() != xen::kPhysAreaUnregister) {
    if ((ipa.raw() & 7) != 0 || ipa.page_offset() + kAreaSize > kPageSize) {
      guest_logf(dom_->log_budget, "d%uv%u: runstate phys area 0x%llx refused: misaligned or crossing a page",
                 static_cast<unsigned>(dom_->space.id), vcpu_, static_cast<unsigned long long>(ipa.raw()));
      return error(Errno::enxio);
    }
    GuestPage gp;
    Resolve r = resolve_ipa(dom_->space, ipa, mmu::AccessType::write, gp);
    if (r == Resolve::ok && !gp.frame->try_pin(dom_->space.id)) {
      r = Resolve::not_owned;
    }
    if (r != Resolve::ok) {
      guest_logf(dom_->log_budget, "d%uv%u: runstate phys area 0x%llx refused: %s",
                 static_cast<unsigned>(dom_->space.id), vcpu_, static_cast<unsigned long long>(ipa.raw()), describe(r));
      return errno_for(r, true);
    }
    fresh.frame[0] = gp.frame;
    fresh.ptr[0] = gp.page + ipa.page_offset();
    fresh.len0 = kAreaSize;
  }
  Mapping old;
  {
    const MaybeLocked held(books);
    if (!try_lock()) {
      unpin(fresh);
      return error(Errno::erestart);
    }
    old = phys_;
    phys_ = fresh;
    choose_active();
    if (phys_.valid()) {
      write_runstate(phys_, account.info(), true);
    }
    unlock();
  }
  unpin(old);
  return 0;
}

void RunstateArea::release() {
  lock();
  unpin(va_map_);
  unpin(phys_);
  va_ = Va(0);
  choose_active();
  unlock();
}

}  // namespace runhv
