// Host physical memory as the hypervisor sees it: RAM frames with an owner and pins
// SPDX-License-Identifier: MIT
//
// Every 4 KiB frame of host RAM has a Frame record (Xen's page_info): the domain that owns it and
// a count of hypervisor pins. A pinned frame cannot change owner: when its domain gives it up it
// stays the domain's ("released") until the last pin goes, and only then becomes free. That is
// what lets the hypervisor keep a pointer into a guest page and write it later without ever
// writing a page the domain no longer owns.
//
// GuestMemory is the seam between the portable core and the machine. On the target it is a frame
// table over host RAM reached through the hypervisor's linear map; on the host (tests, fuzzing,
// benchmarks) it is model::Machine, a sparse model with MMIO holes and foreign pages.
#pragma once

#include "abi/xen.hpp"
#include "core/types.hpp"

namespace runhv {

using xen::DomId;

// All of a frame's state is one 64-bit word changed by compare-and-swap, so that a pin, the owner
// giving the frame up and the last unpin are each atomic against the others on every CPU: no pin
// is taken on a frame that is free or given up, and a released frame is freed exactly once.
class Frame {
 public:
  [[nodiscard]] DomId owner() const { return owner_of(load()); }
  [[nodiscard]] u32 pins() const { return pins_of(load()); }
  [[nodiscard]] bool released() const { return (load() & kReleased) != 0; }

  // Takes a pin if the frame belongs to `dom` and has not been given up. Pins are what the
  // runstate area holds for as long as it keeps a pointer into the frame.
  [[nodiscard]] bool try_pin(DomId dom) {
    u64 cur = load();
    do {
      if (owner_of(cur) != dom || (cur & kReleased) != 0 || pins_of(cur) == kMaxPins) {
        return false;
      }
    } while (!cas(cur, cur + 1));
    return true;
  }
  // Drops a pin; the last pin of a released frame frees it. Returns true if the frame was freed.
  bool unpin() {
    u64 cur = load();
    u64 next = 0;
    do {
      if (pins_of(cur) == 0) {
        return false;  // not pinned: nothing to drop
      }
      next = cur - 1;
      if (pins_of(next) == 0 && (next & kReleased) != 0) {
        next = make(DomId::invalid, 0, false);
      }
    } while (!cas(cur, next));
    return owner_of(next) == DomId::invalid && owner_of(cur) != DomId::invalid;
  }
  // The owner gives the frame up (XENMEM_decrease_reservation, domain teardown). Returns true if
  // it is free at once, false if pins keep it the owner's for now.
  bool release() {
    u64 cur = load();
    u64 next = 0;
    do {
      next = pins_of(cur) == 0 ? make(DomId::invalid, 0, false) : (cur | kReleased);
    } while (!cas(cur, next));
    return pins_of(cur) == 0;
  }
  // Gives a free frame to a domain (or to the hypervisor). Fails if it is not free.
  bool assign(DomId dom) {
    u64 cur = make(DomId::invalid, 0, false);
    return cas(cur, make(dom, 0, false));
  }

 private:
  static constexpr u64 kPinMask = 0xffff'ffffULL;
  static constexpr u32 kMaxPins = 0xffff'ffffU;
  static constexpr u64 kReleased = u64{1} << 32;
  static constexpr unsigned kOwnerShift = 48;

  static constexpr u64 make(DomId owner, u32 pins, bool released) {
    return (u64{static_cast<u16>(owner)} << kOwnerShift) | (released ? kReleased : 0) | pins;
  }
  static constexpr DomId owner_of(u64 w) { return static_cast<DomId>(static_cast<u16>(w >> kOwnerShift)); }
  static constexpr u32 pins_of(u64 w) { return static_cast<u32>(w & kPinMask); }
  [[nodiscard]] u64 load() const { return __atomic_load_n(&word_, __ATOMIC_ACQUIRE); }
  // On failure `expected` receives the current word.
  bool cas(u64& expected, u64 desired) {
    return __atomic_compare_exchange_n(&word_, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  }

  u64 word_ = make(DomId::invalid, 0, false);
};

class GuestMemory {
 public:
  // The Frame of the RAM page holding `pa`, or nullptr when `pa` is not RAM (MMIO, hole).
  virtual Frame* frame(Pa pa) = 0;
  // Hypervisor pointer to the first byte of the RAM page holding `pa` (nullptr if not RAM).
  virtual u8* map(Pa pa) = 0;
  // Reads the 8-byte descriptor at `pa` for a table walk; false when `pa` is not RAM, which a
  // walk reports as a synchronous external abort.
  virtual bool read_descriptor(Pa pa, u64& value) = 0;

 protected:
  GuestMemory() = default;
  ~GuestMemory() = default;
  GuestMemory(const GuestMemory&) = default;
  GuestMemory& operator=(const GuestMemory&) = default;
};

}  // namespace runhv
