// The guest's copy of its runstate: registration by VA or IPA, and the context-switch update
// SPDX-License-Identifier: MIT
//
// A vCPU may register two areas (Xen semantics): one by guest virtual address
// (VCPUOP_register_runstate_memory_area) and one by guest physical address
// (VCPUOP_register_runstate_phys_area). While a phys area is registered only it is updated.
//
// How a VA area is kept current is a per-domain policy:
//   mapped  The VA is translated once, at registration, in the caller's current EL1 context and
//           through stage 2 (the 2020 xen-devel proposal). Every page the 48 bytes touch (one or
//           two) must be writable RAM of the domain; those frames are pinned and the area is
//           written through the hypervisor's own mapping from then on, whatever the guest does
//           with its page tables (KPTI). Limits: a later remap of the VA by the guest is not
//           followed (it must register again); a VA that does not translate at registration time
//           is refused with -EFAULT.
//   legacy  What Xen does: the VA is stored, and translated again at every update in the vCPU's
//           current context. When that fails (a KPTI guest in EL0 has no kernel mapping) the
//           update is skipped, logged as "Failed to walk page-table va ..." and counted.
// A phys area must be 8-byte aligned and must not cross a page (-ENXIO); it is pinned likewise.
//
// Updates follow the XEN_RUNSTATE_UPDATE protocol (flag set in state_entry_time, barrier, body,
// barrier, flag clear) for VA areas when the domain enabled VMASST_TYPE_runstate_update_flag,
// and always for phys areas (as Xen 4.18+ does); otherwise the body is a plain copy.
#pragma once

#include "core/barrier.hpp"
#include "core/guest_copy.hpp"
#include "core/log.hpp"
#include "core/runstate.hpp"
#include "core/spinlock.hpp"

namespace runhv {

enum class VaPolicy : u8 { mapped, legacy };

// What the areas of one domain share.
struct RunstateDomain {
  DomainSpace space;
  VaPolicy va_policy = VaPolicy::mapped;
  bool update_flag = false;  // VMASST_TYPE_runstate_update_flag enabled by the guest
  LogBudget log_budget;      // what the domain's bad calls may log (core/log.hpp)
};

// Where an area's 48 bytes are, in the hypervisor's mapping: one run of `len0` bytes at ptr[0],
// the rest at ptr[1] (an area straddling two pages), and the frames pinned for them.
struct AreaMapping {
  u8* ptr[2] = {nullptr, nullptr};
  Frame* frame[2] = {nullptr, nullptr};
  u32 len0 = 0;
  [[nodiscard]] bool valid() const { return frame[0] != nullptr; }
  [[nodiscard]] u32 frames() const { return (frame[0] != nullptr ? 1U : 0U) + (frame[1] != nullptr ? 1U : 0U); }
};

// An area split over two pages or not 8-byte aligned: word by word, flag through byte 15.
void write_runstate_split(const AreaMapping& m, const vcpu_runstate_info& info, bool flag);

// One 64-bit store the compiler neither splits, merges nor drops (Linux's WRITE_ONCE): unlike a
// relaxed __atomic_store_n, GCC 12 folds the word's offset into it.
inline void store_once(u64* p, u64 v) { *static_cast<volatile u64*>(p) = v; }

// Writes `info` at `w`, an 8-byte aligned area within one page; `flag` selects the
// XEN_RUNSTATE_UPDATE protocol (flag set in state_entry_time, barrier, body, barrier, flag
// clear): six 64-bit stores, two more and two barriers with the flag.
inline void write_runstate_words(u64* w, const vcpu_runstate_info& info, bool flag) {
  const u64 entry = info.state_entry_time & ~xen::kRunstateUpdate;
  if (flag) {
    store_once(&w[1], entry | xen::kRunstateUpdate);
    write_barrier();
  }
  store_once(&w[0], static_cast<u64>(static_cast<u32>(info.state)));
  store_once(&w[2], info.time[0]);
  store_once(&w[3], info.time[1]);
  store_once(&w[4], info.time[2]);
  store_once(&w[5], info.time[3]);
  if (flag) {
    write_barrier();
  }
  store_once(&w[1], entry);
}

// The 8-byte aligned single-page case of a mapping, or nullptr.
inline u64* aligned_words(const AreaMapping& m) {
  const bool one_run = m.len0 == sizeof(vcpu_runstate_info) && (reinterpret_cast<uintptr_t>(m.ptr[0]) & 7) == 0;
  return one_run ? reinterpret_cast<u64*>(m.ptr[0]) : nullptr;
}

// Writes `info` into any mapping.
inline void write_runstate(const AreaMapping& m, const vcpu_runstate_info& info, bool flag) {
  if (u64* w = aligned_words(m)) {
    write_runstate_words(w, info, flag);
  } else {
    write_runstate_split(m, info, flag);
  }
}

class RunstateArea {
 public:
  RunstateArea() = default;
  RunstateArea(const RunstateArea&) = delete;
  RunstateArea& operator=(const RunstateArea&) = delete;
  ~RunstateArea() { release(); }

  void init(RunstateDomain* dom, u32 vcpu_id) {
    dom_ = dom;
    vcpu_ = vcpu_id;
  }

  // VCPUOP_register_runstate_memory_area: `va` translated in `caller` (the calling vCPU's EL1
  // context, which may belong to another vCPU than this area's); 0 unregisters. The vCPU's
  // `account` is written at once, read under `books` (the lock it changes under, or null when
  // nothing changes it concurrently), so the switch to the new area and its first record are one
  // step against every update. Returns 0 or a negative Xen errno (-ERESTART: the area's lock is
  // held, by a teardown or a test; the hypercall is to be restarted).
  long register_va(const mmu::Stage1Regs& caller, Va va, const RunstateAccount& account, SpinLock* books);
  // VCPUOP_register_runstate_phys_area: `ipa`, or xen::kPhysAreaUnregister to unregister.
  long register_phys(Ipa ipa, const RunstateAccount& account, SpinLock* books);

  // The context-switch update. `own` is this vCPU's current EL1 context (used by legacy only).
  // Inline: with a mapped or phys area it is a handful of stores; with none it only counts.
  // Called under the books lock, which every registration holds while it swaps the area: that
  // lock alone keeps the two apart. The area lock is the registrations' and release()'s, which
  // runs only once the vCPU is retired, when no update can come any more.
  [[gnu::always_inline]] void update(const vcpu_runstate_info& info, const mmu::Stage1Regs& own) {
    if (!__atomic_load_n(&registered_, __ATOMIC_RELAXED)) {
      ++updates_;
      return;
    }
    if (words_ != nullptr) [[likely]] {
      write_runstate_words(words_, info, active_is_phys_ | dom_->update_flag);  // (no branch)
    } else {
      write_current(info, own);  // split, unaligned, legacy or none
    }
    ++updates_;
  }

  // Drops both registrations and every pin (vCPU or domain teardown).
  void release();

  // The per-area lock: release() holds it, a registration only try-locks it (inside the books
  // lock). Exposed for tests that need to hold a release "in progress".
  [[nodiscard]] bool try_lock() { return __atomic_exchange_n(&lock_, 1U, __ATOMIC_ACQUIRE) == 0; }
  void lock() {
    while (!try_lock()) {
      while (__atomic_load_n(&lock_, __ATOMIC_RELAXED) != 0) {
      }
    }
  }
  void unlock() { __atomic_store_n(&lock_, 0U, __ATOMIC_RELEASE); }

  [[nodiscard]] bool va_registered() const { return va_ != Va(0); }
  [[nodiscard]] Va va() const { return va_; }
  [[nodiscard]] bool phys_registered() const { return phys_.frame[0] != nullptr; }
  [[nodiscard]] u32 pinned_frames() const { return va_map_.frames() + phys_.frames(); }
  [[nodiscard]] u64 updates() const { return updates_; }
  // Updates that could not be written (legacy VA areas: a failed walk, or a page read-only in
  // stage 2, not RAM or not the domain's), on every update path including the registration's
  // first write. Mapped and phys areas are pinned and cannot fail.
  [[nodiscard]] u64 walk_failures() const { return walk_failures_; }
  [[nodiscard]] u64 skipped_updates() const { return skipped_; }

  using Mapping = AreaMapping;

 private:
  long map_va(const mmu::Stage1Regs& ctx, Va va, Mapping& out, bool log_refusal);
  void unpin(Mapping& m);
  void choose_active();
  void legacy_update(const vcpu_runstate_info& info, const mmu::Stage1Regs& ctx);
  void write_current(const vcpu_runstate_info& info, const mmu::Stage1Regs& ctx);

  RunstateDomain* dom_ = nullptr;
  u32 vcpu_ = 0;
  u32 lock_ = 0;
  Va va_{};                          // registered VA (both policies), 0 if none
  Mapping va_map_;                   // mapped policy: the pinned pages of va_
  Mapping phys_;                     // phys area
  const Mapping* active_ = nullptr;  // what update() writes: phys_, else va_map_, else none
  u64* words_ = nullptr;             // aligned_words(*active_): the update's fast path
  bool active_is_phys_ = false;
  bool registered_ = false;  // a VA or a phys area: what update() has to write
  u64 updates_ = 0;
  u64 walk_failures_ = 0;
  u64 skipped_ = 0;
};

}  // namespace runhv
