// model::Machine — a sparse host-physical memory for tests, fuzzing and benchmarks
// SPDX-License-Identifier: MIT
//
// Implements GuestMemory on the host: RAM pages created on demand, each with an owner (a domain,
// the hypervisor, or free), MMIO ranges that are not RAM, and holes. It can fingerprint every
// byte outside one domain's RAM so that a test can prove the hypervisor wrote nothing there.
//
// Pages live in one shared-memory file mapped twice: map() hands the hypervisor one view, the
// model's own accessors (and the table builders) use the other. A page can be made read-only in
// the hypervisor's view, so that a stray write by the core faults at once (the fuzzers), and the
// whole memory can be snapshotted and restored cheaply (pages written since, only).
#pragma once

#include <vector>

#include "core/guest_memory.hpp"

namespace runhv::model {

class Machine final : public GuestMemory {
 public:
  Machine();
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Adds a zeroed RAM page at page-aligned `pa`, owned by `owner` (DomId::invalid = free).
  void add_ram(Pa pa, DomId owner);
  // Adds `count` RAM pages from `pa`.
  void add_ram_range(Pa pa, u64 count, DomId owner);
  // Declares [base, base+size) as device memory: not RAM, not walkable.
  void add_mmio(Pa base, u64 size);
  [[nodiscard]] bool is_mmio(Pa pa) const;
  // Allocates a fresh zeroed RAM page above every page added so far (for tables and guest RAM).
  Pa alloc(DomId owner);

  Frame* frame(Pa pa) override;
  u8* map(Pa pa) override;
  bool read_descriptor(Pa pa, u64& value) override;

  // Plain accessors for tests (the page must be RAM).
  void write64(Pa pa, u64 value);
  [[nodiscard]] u64 read64(Pa pa);
  void write_bytes(Pa pa, const void* src, usize n);
  void read_bytes(Pa pa, void* dst, usize n);

  // A fingerprint of every RAM byte (and owner) of pages not owned by `dom`; equal fingerprints
  // before and after an operation mean it changed nothing outside `dom`'s RAM.
  [[nodiscard]] u64 fingerprint_outside(DomId dom) const;
  // The same over a chosen set of page numbers (e.g. the pages outside a domain at one moment).
  [[nodiscard]] std::vector<u64> pages_outside(DomId dom) const;
  [[nodiscard]] u64 fingerprint(const std::vector<u64>& page_numbers) const;
  // An exact copy of those pages (owner and bytes), for comparisons cheaper than hashing.
  [[nodiscard]] std::vector<u8> copy_pages(const std::vector<u64>& page_numbers) const;
  // Whether one page still matches its copy_pages({pn}) (no allocation).
  [[nodiscard]] bool page_matches(u64 pn, const std::vector<u8>& copy) const;
  [[nodiscard]] usize ram_pages() const { return page_numbers_.size(); }
  [[nodiscard]] u64 pinned_pages() const;
  // Sum of every frame's pin count.
  [[nodiscard]] u64 total_pins() const;
  [[nodiscard]] u64 descriptor_reads() const { return descriptor_reads_; }

  // Whether the hypervisor's view (map()) of the RAM page holding `pa` may be written; every
  // page starts writable. A write to a read-only page is a SIGSEGV at the faulting store.
  void set_hypervisor_writable(Pa pa, bool writable);
  [[nodiscard]] bool hypervisor_writable(Pa pa) const;
  // The page index (see page_address) of a pointer into the hypervisor's view, if it is one.
  [[nodiscard]] bool hypervisor_page_index(const void* p, usize& index) const;

  // Remembers every page's bytes, frame and hypervisor protection; restore() brings them back
  // (copying only pages written since) and forgets pages added since. For fuzzers that reuse
  // one machine across inputs.
  void snapshot();
  void restore();

  // Pages in the order they were added, by index (0 .. ram_pages()-1).
  [[nodiscard]] Pa page_address(usize index) const { return Pa(page_numbers_[index] << kPageShift); }
  [[nodiscard]] const Frame& frame_at(usize index) const { return frames_[index]; }

 private:
  static constexpr u32 kNone = ~u32{0};
  [[nodiscard]] u32 slot(Pa pa) const;  // index of the RAM page holding `pa`, or kNone
  [[nodiscard]] u8* model_bytes(u32 s) const { return model_view_ + usize{s} * kPageSize; }
  [[nodiscard]] u8* hv_bytes(u32 s) const { return hv_view_ + usize{s} * kPageSize; }
  void mark_written(u32 s);

  int fd_ = -1;
  u8* model_view_ = nullptr;       // always writable
  u8* hv_view_ = nullptr;          // what map() returns; pages may be read-only
  std::vector<Frame> frames_;      // by slot; reserved in full, so Frame pointers stay valid
  std::vector<u64> page_numbers_;  // by slot
  std::vector<u8> hv_writable_;    // by slot
  std::vector<u8> written_;        // by slot: changed since the snapshot (or may have been)
  std::vector<u32> written_list_;
  std::vector<u32> slot_of_;  // by page number - first_pn_
  u64 first_pn_ = 0;
  std::vector<std::pair<u64, u64>> mmio_;  // [base, end)
  u64 next_alloc_ = 0;
  u64 descriptor_reads_ = 0;

  struct Snapshot {
    usize pages = 0;
    std::vector<u8> bytes;
    std::vector<Frame> frames;
    std::vector<u8> hv_writable;
    u64 next_alloc = 0;
    bool taken = false;
  } snap_;
};

}  // namespace runhv::model
