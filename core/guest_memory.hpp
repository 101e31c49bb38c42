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

class Frame {
 public:
  [[nodiscard]] DomId owner() const { return static_cast<DomId>(__atomic_load_n(&owner_, __ATOMIC_ACQUIRE)); }
  [[nodiscard]] u32 pins() const { return __atomic_load_n(&pins_, __ATOMIC_ACQUIRE); }
  [[nodiscard]] bool released() const { return released_; }

  // Takes a pin if the frame belongs to `dom` and has not been given up. Pins are what the
  // runstate area holds for as long as it keeps a pointer into the frame.
  [[nodiscard]] bool try_pin(DomId dom) {
    if (owner() != dom || released_) {
      return false;
    }
    __atomic_add_fetch(&pins_, 1, __ATOMIC_ACQ_REL);
    return true;
  }
  // Drops a pin; the last pin of a released frame frees it. Returns true if the frame was freed.
  bool unpin() {
    if (__atomic_sub_fetch(&pins_, 1, __ATOMIC_ACQ_REL) == 0 && released_) {
      released_ = false;
      set_owner(DomId::invalid);
      return true;
    }
    return false;
  }
  // The owner gives the frame up (XENMEM_decrease_reservation, domain teardown). Returns true if
  // it is free at once, false if pins keep it the owner's for now.
  bool release() {
    if (pins() == 0) {
      set_owner(DomId::invalid);
      return true;
    }
    released_ = true;
    return false;
  }
  // Gives a free frame to a domain (or to the hypervisor). Fails if it is not free.
  bool assign(DomId dom) {
    if (owner() != DomId::invalid || pins() != 0) {
      return false;
    }
    set_owner(dom);
    return true;
  }

 private:
  void set_owner(DomId dom) { __atomic_store_n(&owner_, static_cast<u16>(dom), __ATOMIC_RELEASE); }

  u16 owner_ = static_cast<u16>(DomId::invalid);
  bool released_ = false;
  u32 pins_ = 0;
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
