// The frame table: a Frame (owner, pins) per 4 KiB of host RAM; the target's GuestMemory
// SPDX-License-Identifier: MIT
#include "hyp/frame_table.hpp"

#include <new>

namespace runhv::hyp {

void FrameTable::init(Pa ram_base, u64 ram_size, void* storage) {
  base_ = ram_base;
  size_ = ram_size & ~kPageMask;
  frames_ = static_cast<Frame*>(storage);
  for (u64 i = 0; i < (size_ >> kPageShift); ++i) {
    new (&frames_[i]) Frame();
  }
}

bool FrameTable::assign(Pa base, u64 size, DomId owner) {
  for (u64 off = 0; off < size; off += kPageSize) {
    Frame* f = frame(base + off);
    if (f == nullptr || !f->assign(owner)) {
      return false;
    }
  }
  return true;
}

void FrameTable::release(Pa base, u64 size, DomId owner) {
  for (u64 off = 0; off < size; off += kPageSize) {
    if (Frame* f = frame(base + off); f != nullptr && f->owner() == owner) {
      f->release();
    }
  }
}

bool FrameTable::all_free(Pa base, u64 size) {
  for (u64 off = 0; off < size; off += kPageSize) {
    const Frame* f = frame(base + off);
    if (f == nullptr || f->owner() != DomId::invalid || f->pins() != 0) {
      return false;
    }
  }
  return true;
}

u64 FrameTable::count(DomId owner) const {
  u64 n = 0;
  for (u64 i = 0; i < (size_ >> kPageShift); ++i) {
    n += frames_[i].owner() == owner ? 1 : 0;
  }
  return n;
}

u64 FrameTable::pinned() const {
  u64 n = 0;
  for (u64 i = 0; i < (size_ >> kPageShift); ++i) {
    n += frames_[i].pins() != 0 ? 1 : 0;
  }
  return n;
}

Frame* FrameTable::frame(Pa pa) { return is_ram(pa) ? &frames_[(pa.raw() - base_.raw()) >> kPageShift] : nullptr; }

u8* FrameTable::map(Pa pa) { return is_ram(pa) ? reinterpret_cast<u8*>(pa.page_base().raw()) : nullptr; }

bool FrameTable::read_descriptor(Pa pa, u64& value) {
  if (!is_ram(pa) || (pa.raw() & 7) != 0) {
    return false;
  }
  value = __atomic_load_n(reinterpret_cast<const u64*>(pa.raw()), __ATOMIC_RELAXED);
  return true;
}

namespace {
constinit FrameTable g_table;
}  // namespace

FrameTable& frame_table() { return g_table; }

}  // namespace runhv::hyp
