// model::Machine — a sparse host-physical memory for tests, fuzzing and benchmarks
// SPDX-License-Identifier: MIT
//
// Implements GuestMemory on the host: RAM pages created on demand, each with an owner (a domain,
// the hypervisor, or free), MMIO ranges that are not RAM, and holes. It can fingerprint every
// byte outside one domain's RAM so that a test can prove the hypervisor wrote nothing there.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <vector>

#include "core/guest_memory.hpp"

namespace runhv::model {

class Machine final : public GuestMemory {
 public:
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
  [[nodiscard]] usize ram_pages() const { return pages_.size(); }
  [[nodiscard]] u64 pinned_pages() const;
  // Sum of every frame's pin count.
  [[nodiscard]] u64 total_pins() const;
  [[nodiscard]] u64 descriptor_reads() const { return descriptor_reads_; }

 private:
  struct Page {
    Frame frame;
    std::array<u8, kPageSize> bytes{};
  };
  Page* page(Pa pa);
  const Page* page(Pa pa) const;

  std::map<u64, std::unique_ptr<Page>> pages_;  // key: page number
  std::vector<std::pair<u64, u64>> mmio_;       // [base, end)
  u64 next_alloc_ = 0;
  u64 descriptor_reads_ = 0;
};

}  // namespace runhv::model
