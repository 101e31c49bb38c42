// The frame table: a Frame (owner, pins) per 4 KiB of host RAM; the target's GuestMemory
// SPDX-License-Identifier: MIT
//
// Host RAM is identity mapped at EL2 (arch/aarch64/mmu_el2), so a frame's hypervisor address is
// its physical address. The Frame array itself lives in RAM carved at boot (see boot_ram.hpp);
// the frames holding it, the hypervisor image and the boot DTB are owned by DomId::xen.
#pragma once

#include "core/guest_memory.hpp"
#include "core/types.hpp"

namespace runhv::hyp {

class FrameTable final : public GuestMemory {
 public:
  // Bytes of Frame records needed for `ram_size` bytes of RAM.
  static constexpr u64 bytes_for(u64 ram_size) { return (ram_size >> kPageShift) * sizeof(Frame); }

  // Covers [ram_base, ram_base + ram_size) with records at `storage` (all free).
  void init(Pa ram_base, u64 ram_size, void* storage);
  // Gives every frame of [base, base + size) to `owner`; false if one is not RAM or not free.
  bool assign(Pa base, u64 size, DomId owner);
  // Gives every frame of [base, base + size) owned by `owner` back (free unless pinned).
  void release(Pa base, u64 size, DomId owner);
  // True if every frame of [base, base + size) is RAM and free.
  [[nodiscard]] bool all_free(Pa base, u64 size);
  // Frames owned by `owner` (a boot-time report; O(frames)).
  [[nodiscard]] u64 count(DomId owner) const;
  // Frames with at least one pin (teardown report; O(frames)).
  [[nodiscard]] u64 pinned() const;

  Frame* frame(Pa pa) override;
  u8* map(Pa pa) override;
  bool read_descriptor(Pa pa, u64& value) override;

 private:
  [[nodiscard]] bool is_ram(Pa pa) const { return pa >= base_ && pa.raw() - base_.raw() < size_; }

  Pa base_{};
  u64 size_ = 0;
  Frame* frames_ = nullptr;
};

// The one frame table of this machine.
FrameTable& frame_table();

}  // namespace runhv::hyp
