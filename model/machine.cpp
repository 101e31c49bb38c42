// model::Machine — a sparse host-physical memory for tests, fuzzing and benchmarks
// SPDX-License-Identifier: MIT
#include "model/machine.hpp"

#include <cstring>
#include <stdexcept>

namespace runhv::model {

void Machine::add_ram(Pa pa, DomId owner) {
  if (pa.page_offset() != 0) {
    throw std::invalid_argument("add_ram: unaligned page");
  }
  auto& slot = pages_[pa.page_number()];
  if (!slot) {
    slot = std::make_unique<Page>();
  }
  (void)slot->frame.assign(owner);
  next_alloc_ = std::max(next_alloc_, pa.raw() + kPageSize);
}

void Machine::add_ram_range(Pa pa, u64 count, DomId owner) {
  for (u64 i = 0; i < count; ++i) {
    add_ram(pa + i * kPageSize, owner);
  }
}

void Machine::add_mmio(Pa base, u64 size) { mmio_.emplace_back(base.raw(), base.raw() + size); }

bool Machine::is_mmio(Pa pa) const {
  for (auto [b, e] : mmio_) {
    if (pa.raw() >= b && pa.raw() < e) {
      return true;
    }
  }
  return false;
}

Pa Machine::alloc(DomId owner) {
  if (next_alloc_ == 0) {
    next_alloc_ = 0x4000'0000;
  }
  while (is_mmio(Pa(next_alloc_)) || pages_.count(next_alloc_ >> kPageShift) != 0) {
    next_alloc_ += kPageSize;
  }
  Pa pa(next_alloc_);
  add_ram(pa, owner);
  return pa;
}

Machine::Page* Machine::page(Pa pa) {
  if (is_mmio(pa)) {
    return nullptr;
  }
  auto it = pages_.find(pa.page_number());
  return it == pages_.end() ? nullptr : it->second.get();
}

const Machine::Page* Machine::page(Pa pa) const { return const_cast<Machine*>(this)->page(pa); }

Frame* Machine::frame(Pa pa) {
  Page* p = page(pa);
  return p != nullptr ? &p->frame : nullptr;
}

u8* Machine::map(Pa pa) {
  Page* p = page(pa);
  return p != nullptr ? p->bytes.data() : nullptr;
}

bool Machine::read_descriptor(Pa pa, u64& value) {
  __atomic_fetch_add(&descriptor_reads_, 1, __ATOMIC_RELAXED);  // walks may run on several threads
  Page* p = page(pa);
  if (p == nullptr || (pa.raw() & 7) != 0) {
    return false;
  }
  std::memcpy(&value, p->bytes.data() + pa.page_offset(), 8);
  return true;
}

void Machine::write_bytes(Pa pa, const void* src, usize n) {
  const auto* s = static_cast<const u8*>(src);
  while (n > 0) {
    Page* p = page(pa);
    if (p == nullptr) {
      throw std::out_of_range("write_bytes: not RAM");
    }
    usize chunk = std::min<usize>(n, kPageSize - pa.page_offset());
    std::memcpy(p->bytes.data() + pa.page_offset(), s, chunk);
    s += chunk;
    n -= chunk;
    pa = pa + chunk;
  }
}

void Machine::read_bytes(Pa pa, void* dst, usize n) {
  auto* d = static_cast<u8*>(dst);
  while (n > 0) {
    Page* p = page(pa);
    if (p == nullptr) {
      throw std::out_of_range("read_bytes: not RAM");
    }
    usize chunk = std::min<usize>(n, kPageSize - pa.page_offset());
    std::memcpy(d, p->bytes.data() + pa.page_offset(), chunk);
    d += chunk;
    n -= chunk;
    pa = pa + chunk;
  }
}

void Machine::write64(Pa pa, u64 value) { write_bytes(pa, &value, 8); }

u64 Machine::read64(Pa pa) {
  u64 v = 0;
  read_bytes(pa, &v, 8);
  return v;
}

std::vector<u64> Machine::pages_outside(DomId dom) const {
  std::vector<u64> out;
  for (const auto& [pn, p] : pages_) {
    if (p->frame.owner() != dom) {
      out.push_back(pn);
    }
  }
  return out;
}

u64 Machine::fingerprint(const std::vector<u64>& page_numbers) const {
  // A multiply-xorshift hash over (page number, owner, bytes), eight bytes at a time (fast
  // enough to run after every fuzzer operation).
  u64 h = 0x9e3779b97f4a7c15ULL;
  auto mix = [&h](u64 v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
  };
  for (u64 pn : page_numbers) {
    auto it = pages_.find(pn);
    if (it == pages_.end()) {
      mix(~u64{0});
      continue;
    }
    const Page& p = *it->second;
    mix(pn);
    mix(static_cast<u64>(p.frame.owner()));
    for (usize off = 0; off < kPageSize; off += 8) {
      u64 w = 0;
      std::memcpy(&w, p.bytes.data() + off, 8);
      mix(w);
    }
  }
  return h;
}

std::vector<u8> Machine::copy_pages(const std::vector<u64>& page_numbers) const {
  std::vector<u8> out;
  out.reserve(page_numbers.size() * (kPageSize + 2));
  for (u64 pn : page_numbers) {
    auto it = pages_.find(pn);
    const u16 owner = it == pages_.end() ? 0xFFFF : static_cast<u16>(it->second->frame.owner());
    out.push_back(static_cast<u8>(owner));
    out.push_back(static_cast<u8>(owner >> 8));
    if (it != pages_.end()) {
      out.insert(out.end(), it->second->bytes.begin(), it->second->bytes.end());
    }
  }
  return out;
}

bool Machine::page_matches(u64 pn, const std::vector<u8>& copy) const {
  auto it = pages_.find(pn);
  const u16 owner = it == pages_.end() ? 0xFFFF : static_cast<u16>(it->second->frame.owner());
  if (copy.size() < 2 || copy[0] != static_cast<u8>(owner) || copy[1] != static_cast<u8>(owner >> 8)) {
    return false;
  }
  if (it == pages_.end()) {
    return copy.size() == 2;
  }
  return copy.size() == 2 + kPageSize && std::memcmp(copy.data() + 2, it->second->bytes.data(), kPageSize) == 0;
}

u64 Machine::fingerprint_outside(DomId dom) const { return fingerprint(pages_outside(dom)); }

u64 Machine::total_pins() const {
  u64 n = 0;
  for (const auto& [pn, p] : pages_) {
    n += p->frame.pins();
  }
  return n;
}

u64 Machine::pinned_pages() const {
  u64 n = 0;
  for (const auto& [pn, p] : pages_) {
    n += p->frame.pins() != 0 ? 1 : 0;
  }
  return n;
}

}  // namespace runhv::model
