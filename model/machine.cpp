// model::Machine — a sparse host-physical memory for tests, fuzzing and benchmarks
// SPDX-License-Identifier: MIT
#include "model/machine.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace runhv::model {
namespace {

constexpr usize kMaxPages = usize{1} << 18;      // 1 GiB of RAM pages (the file is sparse)
constexpr usize kMaxIndexSpan = usize{1} << 24;  // page numbers from the lowest to the highest page

u8* map_view(int fd) {
  void* p = ::mmap(nullptr, kMaxPages * kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (p == MAP_FAILED) {
    throw std::runtime_error("Machine: mmap of the RAM file failed");
  }
  return static_cast<u8*>(p);
}

}  // namespace

Machine::Machine() {
  fd_ = ::memfd_create("runhv-machine", MFD_CLOEXEC);
  if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(kMaxPages * kPageSize)) != 0) {
    throw std::runtime_error("Machine: cannot create the RAM file (memfd_create)");
  }
  model_view_ = map_view(fd_);
  hv_view_ = map_view(fd_);
  frames_.reserve(kMaxPages);
  written_list_.reserve(1024);
}

Machine::~Machine() {
  ::munmap(hv_view_, kMaxPages * kPageSize);
  ::munmap(model_view_, kMaxPages * kPageSize);
  ::close(fd_);
}

u32 Machine::slot(Pa pa) const {
  const u64 pn = pa.page_number();
  if (pn < first_pn_ || pn - first_pn_ >= slot_of_.size()) {
    return kNone;
  }
  return slot_of_[pn - first_pn_];
}

void Machine::mark_written(u32 s) {
  if (written_[s] == 0) {
    written_[s] = 1;
    written_list_.push_back(s);
  }
}

void Machine::add_ram(Pa pa, DomId owner) {
  if (pa.page_offset() != 0) {
    throw std::invalid_argument("add_ram: unaligned page");
  }
  next_alloc_ = std::max(next_alloc_, pa.raw() + kPageSize);
  if (u32 s = slot(pa); s != kNone) {
    (void)frames_[s].assign(owner);
    return;
  }
  const u64 pn = pa.page_number();
  const usize s = page_numbers_.size();
  if (s == kMaxPages) {
    throw std::runtime_error("add_ram: the model holds at most 1 GiB of RAM pages");
  }
  if (slot_of_.empty()) {
    first_pn_ = pn;
  } else if (pn < first_pn_) {
    if (first_pn_ - pn + slot_of_.size() > kMaxIndexSpan) {
      throw std::runtime_error("add_ram: pages too far apart for the model's index");
    }
    slot_of_.insert(slot_of_.begin(), first_pn_ - pn, kNone);
    first_pn_ = pn;
  }
  if (pn - first_pn_ >= slot_of_.size()) {
    if (pn - first_pn_ >= kMaxIndexSpan) {
      throw std::runtime_error("add_ram: pages too far apart for the model's index");
    }
    slot_of_.resize(pn - first_pn_ + 1, kNone);
  }
  slot_of_[pn - first_pn_] = static_cast<u32>(s);
  page_numbers_.push_back(pn);
  frames_.emplace_back();
  hv_writable_.push_back(1);
  written_.push_back(0);
  std::memset(model_bytes(static_cast<u32>(s)), 0, kPageSize);  // the slot may have been used before a restore()
  mark_written(static_cast<u32>(s));
  (void)frames_[s].assign(owner);
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
  while (is_mmio(Pa(next_alloc_)) || slot(Pa(next_alloc_)) != kNone) {
    next_alloc_ += kPageSize;
  }
  Pa pa(next_alloc_);
  add_ram(pa, owner);
  return pa;
}

Frame* Machine::frame(Pa pa) {
  const u32 s = is_mmio(pa) ? kNone : slot(pa);
  return s != kNone ? &frames_[s] : nullptr;
}

u8* Machine::map(Pa pa) {
  const u32 s = is_mmio(pa) ? kNone : slot(pa);
  return s != kNone ? hv_bytes(s) : nullptr;
}

bool Machine::read_descriptor(Pa pa, u64& value) {
  __atomic_fetch_add(&descriptor_reads_, 1, __ATOMIC_RELAXED);  // walks may run on several threads
  const u32 s = is_mmio(pa) ? kNone : slot(pa);
  if (s == kNone || (pa.raw() & 7) != 0) {
    return false;
  }
  std::memcpy(&value, model_bytes(s) + pa.page_offset(), 8);
  return true;
}

void Machine::write_bytes(Pa pa, const void* src, usize n) {
  const auto* from = static_cast<const u8*>(src);
  while (n > 0) {
    const u32 s = is_mmio(pa) ? kNone : slot(pa);
    if (s == kNone) {
      throw std::out_of_range("write_bytes: not RAM");
    }
    usize chunk = std::min<usize>(n, kPageSize - pa.page_offset());
    mark_written(s);
    std::memcpy(model_bytes(s) + pa.page_offset(), from, chunk);
    from += chunk;
    n -= chunk;
    pa = pa + chunk;
  }
}

void Machine::read_bytes(Pa pa, void* dst, usize n) {
  auto* to = static_cast<u8*>(dst);
  while (n > 0) {
    const u32 s = is_mmio(pa) ? kNone : slot(pa);
    if (s == kNone) {
      throw std::out_of_range("read_bytes: not RAM");
    }
    usize chunk = std::min<usize>(n, kPageSize - pa.page_offset());
    std::memcpy(to, model_bytes(s) + pa.page_offset(), chunk);
    to += chunk;
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

void Machine::set_hypervisor_writable(Pa pa, bool writable) {
  const u32 s = slot(pa);
  if (s == kNone) {
    throw std::out_of_range("set_hypervisor_writable: not RAM");
  }
  if (writable) {
    mark_written(s);
  }
  if ((hv_writable_[s] != 0) == writable) {
    return;
  }
  if (::mprotect(hv_bytes(s), kPageSize, writable ? PROT_READ | PROT_WRITE : PROT_READ) != 0) {
    throw std::runtime_error("set_hypervisor_writable: mprotect failed");
  }
  hv_writable_[s] = writable ? 1 : 0;
}

bool Machine::hypervisor_writable(Pa pa) const {
  const u32 s = slot(pa);
  return s != kNone && hv_writable_[s] != 0;
}

bool Machine::hypervisor_page_index(const void* p, usize& index) const {
  const auto at = reinterpret_cast<uintptr_t>(p), base = reinterpret_cast<uintptr_t>(hv_view_);
  if (at < base || (at - base) / kPageSize >= page_numbers_.size()) {
    return false;
  }
  index = (at - base) / kPageSize;
  return true;
}

void Machine::snapshot() {
  const usize n = page_numbers_.size();
  snap_.pages = n;
  snap_.bytes.assign(model_view_, model_view_ + n * kPageSize);
  snap_.frames.assign(frames_.begin(), frames_.end());
  snap_.hv_writable = hv_writable_;
  snap_.next_alloc = next_alloc_;
  snap_.taken = true;
  for (u32 s : written_list_) {
    written_[s] = 0;
  }
  written_list_.clear();
  for (usize s = 0; s < n; ++s) {
    if (hv_writable_[s] != 0) {
      mark_written(static_cast<u32>(s));  // the hypervisor may write it at any time
    }
  }
}

void Machine::restore() {
  if (!snap_.taken) {
    throw std::logic_error("Machine::restore without a snapshot");
  }
  const usize n = snap_.pages;
  for (usize s = n; s < page_numbers_.size(); ++s) {  // pages added since: forgotten
    set_hypervisor_writable(Pa(page_numbers_[s] << kPageShift), true);
    slot_of_[page_numbers_[s] - first_pn_] = kNone;
  }
  page_numbers_.resize(n);
  frames_.resize(n);
  hv_writable_.resize(n);
  written_.resize(n);
  for (u32 s : written_list_) {
    if (s < n) {
      std::memcpy(model_bytes(s), snap_.bytes.data() + usize{s} * kPageSize, kPageSize);
      written_[s] = 0;
    }
  }
  written_list_.clear();
  for (usize s = 0; s < n; ++s) {
    frames_[s] = snap_.frames[s];
    set_hypervisor_writable(page_address(s), snap_.hv_writable[s] != 0);
  }
  next_alloc_ = snap_.next_alloc;
}

std::vector<u64> Machine::pages_outside(DomId dom) const {
  std::vector<u64> out;
  for (usize s = 0; s < page_numbers_.size(); ++s) {
    if (frames_[s].owner() != dom) {
      out.push_back(page_numbers_[s]);
    }
  }
  return out;
}

u64 Machine::fingerprint(const std::vector<u64>& page_numbers) const {
  // A multiply-xorshift hash over (page number, owner, bytes), eight bytes at a time.
  u64 h = 0x9e3779b97f4a7c15ULL;
  auto mix = [&h](u64 v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
  };
  for (u64 pn : page_numbers) {
    const u32 s = slot(Pa(pn << kPageShift));
    if (s == kNone) {
      mix(~u64{0});
      continue;
    }
    mix(pn);
    mix(static_cast<u64>(frames_[s].owner()));
    for (usize off = 0; off < kPageSize; off += 8) {
      u64 w = 0;
      std::memcpy(&w, model_bytes(s) + off, 8);
      mix(w);
    }
  }
  return h;
}

std::vector<u8> Machine::copy_pages(const std::vector<u64>& page_numbers) const {
  std::vector<u8> out;
  out.reserve(page_numbers.size() * (kPageSize + 2));
  for (u64 pn : page_numbers) {
    const u32 s = slot(Pa(pn << kPageShift));
    const u16 owner = s == kNone ? 0xFFFF : static_cast<u16>(frames_[s].owner());
    out.push_back(static_cast<u8>(owner));
    out.push_back(static_cast<u8>(owner >> 8));
    if (s != kNone) {
      out.insert(out.end(), model_bytes(s), model_bytes(s) + kPageSize);
    }
  }
  return out;
}

bool Machine::page_matches(u64 pn, const std::vector<u8>& copy) const {
  const u32 s = slot(Pa(pn << kPageShift));
  const u16 owner = s == kNone ? 0xFFFF : static_cast<u16>(frames_[s].owner());
  if (copy.size() < 2 || copy[0] != static_cast<u8>(owner) || copy[1] != static_cast<u8>(owner >> 8)) {
    return false;
  }
  if (s == kNone) {
    return copy.size() == 2;
  }
  return copy.size() == 2 + kPageSize && std::memcmp(copy.data() + 2, model_bytes(s), kPageSize) == 0;
}

u64 Machine::fingerprint_outside(DomId dom) const { return fingerprint(pages_outside(dom)); }

u64 Machine::total_pins() const {
  u64 n = 0;
  const Frame* f = frames_.data();
  for (usize i = 0, end = frames_.size(); i < end; ++i) {  // (an index loop: the fuzzers call it after every step)
    n += f[i].pins();
  }
  return n;
}

u64 Machine::pinned_pages() const {
  u64 n = 0;
  for (const Frame& f : frames_) {
    n += f.pins() != 0 ? 1 : 0;
  }
  return n;
}

}  // namespace runhv::model
