// Stage-2 tables of one domain: the portable writer (see core/stage2_table.hpp)
// SPDX-License-Identifier: MIT
//
// Freestanding. Level-1 entries are only ever tables (no 1 GiB blocks); level-2 entries are
// 2 MiB blocks or level-3 tables. Every entry is written with a single 64-bit store, so a
// walker on another CPU sees the old value, zero, or the new value, never a mix. A new table is
// complete (and, when live, synced) before the entry that links it is written.
#include "core/stage2_table.hpp"

namespace runhv::mmu {
namespace {

using stage2::kEntries;

constexpr bool is_valid(u64 d) { return (d & pte::VALID) != 0; }
constexpr bool is_table(u64 d) { return (d & pte::TYPE_MASK) == pte::TYPE_TABLE; }
constexpr u64 page_index(u64 ipa) { return (ipa >> kPageShift) % kEntries; }

u64 load(const u64* e) { return __atomic_load_n(e, __ATOMIC_RELAXED); }
void store(u64* e, u64 v) { __atomic_store_n(e, v, __ATOMIC_RELEASE); }

bool page_args_ok(Ipa ipa, Pa pa) {
  return ((ipa.raw() | pa.raw()) & kPageMask) == 0 && ipa.raw() < stage2::kIpaLimit && pa.raw() < stage2::kPaLimit;
}

}  // namespace

Stage2Table::Stage2Table(GuestMemory& mem, Stage2Tlb& tlb, const Stage2Pool& pool) : mem_(mem), tlb_(tlb), pool_(pool) {
  bool ok = (pool.root.raw() & (stage2::kRootBytes - 1)) == 0;
  for (u64 off = 0; off < stage2::kRootBytes; off += kPageSize) {
    ok = ok && mem_.map(pool.root + off) != nullptr;
  }
  for (const Pa p : pool.l2) {
    ok = ok && p.page_offset() == 0 && mem_.map(p) != nullptr;
  }
  for (const Pa p : pool.l3) {
    ok = ok && p.page_offset() == 0 && mem_.map(p) != nullptr;
  }
  usable_ = ok;
  if (ok) {
    for (u64 off = 0; off < stage2::kRootBytes; off += kPageSize) {
      zero(pool.root + off);
    }
  }
}

u64* Stage2Table::slot(Pa table, u64 index) const {
  const Pa at = table + index * 8;
  return reinterpret_cast<u64*>(mem_.map(at) + at.page_offset());
}

u64* Stage2Table::l1_entry(u64 ipa) const { return slot(pool_.root, ipa / stage2::kL1Span); }

u64* Stage2Table::l2_entry(u64 l1e, u64 ipa) const { return slot(Pa(l1e & pte::OA_MASK), (ipa / kBlock) % kEntries); }

void Stage2Table::zero(Pa table) const {
  auto* t = reinterpret_cast<u64*>(mem_.map(table));
  for (unsigned i = 0; i < kEntries; ++i) {
    store(&t[i], 0);
  }
}

// The lowest free table of a pool (the caller checked that one is free).
template <unsigned kN>
unsigned take_lowest(u32& taken) {
  unsigned i = 0;
  while ((taken & (u32{1} << i)) != 0 && i + 1 < kN) {
    ++i;
  }
  taken |= u32{1} << i;
  return i;
}

Pa Stage2Table::take_l2() {
  const Pa t = pool_.l2[take_lowest<kMaxL2>(l2_taken_)];
  ++l2_used_;
  zero(t);
  return t;
}

Pa Stage2Table::take_l3() {
  ++l3_used_;
  return pool_.l3[take_lowest<kMaxL3>(l3_taken_)];
}

bool Stage2Table::all_invalid(Pa table) const {
  const auto* t = reinterpret_cast<const u64*>(mem_.map(table));
  for (unsigned i = 0; i < kEntries; ++i) {
    if (is_valid(load(&t[i]))) {
      return false;
    }
  }
  return true;
}

void Stage2Table::reclaim(u64 in) {
  u64* l1 = l1_entry(in);
  const u64 l1e = load(l1);
  u64* e2 = l2_entry(l1e, in);
  const Pa l3(load(e2) & pte::OA_MASK);
  if (!all_invalid(l3)) {
    return;
  }
  // The level-3 table maps nothing any more: unlinked (the walk caches dropped for its range by
  // the invalidation) and back to the pool; then its level-2 table, if that maps nothing either.
  replace_live(e2, 0, Ipa(in));
  for (unsigned i = 0; i < kMaxL3; ++i) {
    if (pool_.l3[i] == l3) {
      l3_taken_ &= ~(u32{1} << i);
      --l3_used_;
    }
  }
  const Pa l2(l1e & pte::OA_MASK);
  if (!all_invalid(l2)) {
    return;
  }
  replace_live(l1, 0, Ipa(in));
  for (unsigned i = 0; i < kMaxL2; ++i) {
    if (pool_.l2[i] == l2) {
      l2_taken_ &= ~(u32{1} << i);
      --l2_used_;
    }
  }
}

void Stage2Table::replace_live(u64* e, u64 value, Ipa ipa) {
  const u64 cur = load(e);
  if (cur == value) {
    return;
  }
  if (live_ && is_valid(cur)) {
    store(e, 0);
    tlb_.invalidate_ipa(vmid_, ipa);
    if (!is_valid(value)) {
      return;
    }
  }
  store(e, value);
}

bool Stage2Table::map_ram(Ipa ipa, Pa pa, u64 size) {
  const Locked held(lock_);
  const u64 in = ipa.raw();
  if (!usable_ || ((in | pa.raw() | size) & (kBlock - 1)) != 0 || size > stage2::kIpaLimit ||
      in > stage2::kIpaLimit - size || size > stage2::kPaLimit || pa.raw() > stage2::kPaLimit - size) {
    return false;
  }
  // Check everything first: a missing level-2 table per GiB touched, no level-3 table in the way.
  unsigned need_l2 = 0;
  for (u64 off = 0; off < size; off += kBlock) {
    const u64 at = in + off;
    const u64 l1e = load(l1_entry(at));
    if (!is_valid(l1e)) {
      need_l2 += (off == 0 || at % stage2::kL1Span == 0) ? 1 : 0;
    } else if (is_table(load(l2_entry(l1e, at)))) {
      return false;  // single pages there: mapping a block would lose them
    }
  }
  if (need_l2 > kMaxL2 - l2_used_) {
    return false;
  }
  // Fill empty entries; break live blocks that change, then invalidate the VMID once for all.
  bool broken = false;
  bool changed = false;
  for (u64 off = 0; off < size; off += kBlock) {
    const u64 at = in + off;
    u64* l1 = l1_entry(at);
    if (!is_valid(load(l1))) {
      store(l1, take_l2().raw() | pte::TYPE_TABLE);  // an empty table: nothing to sync first
    }
    u64* e = l2_entry(load(l1), at);
    const u64 want = (pa.raw() + off) | stage2::kRamBlock;
    const u64 cur = load(e);
    if (cur == want) {
      continue;
    }
    changed = true;
    if (live_ && is_valid(cur)) {
      store(e, 0);
      broken = true;
    } else {
      store(e, want);
    }
  }
  if (broken) {
    tlb_.invalidate_vmid(vmid_);
    for (u64 off = 0; off < size; off += kBlock) {
      u64* e = l2_entry(load(l1_entry(in + off)), in + off);
      store(e, (pa.raw() + off) | stage2::kRamBlock);
    }
  }
  if (live_ && changed) {
    tlb_.sync();
  }
  return true;
}

bool Stage2Table::map_page_ro(Ipa ipa, Pa pa) {
  const Locked held(lock_);
  if (!usable_ || !page_args_ok(ipa, pa)) {
    return false;
  }
  const u64 in = ipa.raw();
  u64* l1 = l1_entry(in);
  const u64 l1e = load(l1);
  const u64 l2e = is_valid(l1e) ? load(l2_entry(l1e, in)) : 0;
  if (is_valid(l2e) && !is_table(l2e)) {
    return false;  // a 2 MiB block is there
  }
  const bool need_l2 = !is_valid(l1e);
  const bool need_l3 = !is_valid(l2e);
  if ((need_l2 && l2_used_ == kMaxL2) || (need_l3 && l3_used_ == kMaxL3)) {
    return false;
  }
  if (need_l2) {
    store(l1, take_l2().raw() | pte::TYPE_TABLE);
  }
  u64* e2 = l2_entry(load(l1), in);
  if (need_l3) {
    const Pa t = take_l3();
    zero(t);
    *slot(t, page_index(in)) = pa.raw() | stage2::kRoPage;
    if (live_) {
      tlb_.sync();
    }
    store(e2, t.raw() | pte::TYPE_TABLE);
  } else {
    replace_live(slot(Pa(l2e & pte::OA_MASK), page_index(in)), pa.raw() | stage2::kRoPage, ipa);
  }
  if (live_) {
    tlb_.sync();
  }
  return true;
}

bool Stage2Table::replace_page(Ipa ipa, Pa pa, Pa& old) {
  const Locked held(lock_);
  old = Pa{0};
  if (!usable_ || !page_args_ok(ipa, pa)) {
    return false;
  }
  const u64 in = ipa.raw();
  const u64 leaf = pa.raw() | stage2::kRwPage;
  u64* l1 = l1_entry(in);
  const u64 l1e = load(l1);
  const u64 l2e = is_valid(l1e) ? load(l2_entry(l1e, in)) : 0;
  const bool need_l2 = !is_valid(l1e);
  const bool need_l3 = !is_table(l2e);
  if ((need_l2 && l2_used_ == kMaxL2) || (need_l3 && l3_used_ == kMaxL3)) {
    return false;
  }
  if (need_l2) {
    store(l1, take_l2().raw() | pte::TYPE_TABLE);
  }
  u64* e2 = l2_entry(load(l1), in);
  if (!need_l3) {
    u64* e3 = slot(Pa(l2e & pte::OA_MASK), page_index(in));
    const u64 cur = load(e3);
    if (is_valid(cur)) {
      old = Pa(cur & pte::OA_MASK);
    }
    replace_live(e3, leaf, ipa);
  } else {
    // A new level-3 table: the block's pages (or nothing), with `pa` in its slot already, so one
    // break-before-make of the level-2 entry does the whole change.
    const Pa t = take_l3();
    auto* pages = reinterpret_cast<u64*>(mem_.map(t));
    if (is_valid(l2e)) {
      const u64 base = l2e & pte::OA_MASK & ~(kBlock - 1);
      const u64 attrs = (l2e & pte::LEAF_ATTR_MASK) | pte::TYPE_PAGE;
      for (unsigned i = 0; i < kEntries; ++i) {
        store(&pages[i], (base + i * kPageSize) | attrs);
      }
      old = Pa(base + page_index(in) * kPageSize);
    } else {
      zero(t);
    }
    store(&pages[page_index(in)], leaf);
    if (live_) {
      tlb_.sync();
    }
    replace_live(e2, t.raw() | pte::TYPE_TABLE, ipa);
  }
  if (live_) {
    tlb_.sync();
  }
  return true;
}

bool Stage2Table::unmap_page(Ipa ipa, Pa& old) {
  const Locked held(lock_);
  old = Pa{0};
  const u64 in = ipa.raw();
  if (!usable_ || ipa.page_offset() != 0 || in >= stage2::kIpaLimit) {
    return false;
  }
  const u64 l1e = load(l1_entry(in));
  if (!is_valid(l1e)) {
    return true;
  }
  u64* e2 = l2_entry(l1e, in);
  const u64 l2e = load(e2);
  if (!is_valid(l2e)) {
    return true;
  }
  if (is_table(l2e)) {
    u64* e3 = slot(Pa(l2e & pte::OA_MASK), page_index(in));
    const u64 cur = load(e3);
    if (!is_valid(cur)) {
      return true;
    }
    old = Pa(cur & pte::OA_MASK);
    replace_live(e3, 0, ipa);
    reclaim(in);
  } else {
    if (l3_used_ == kMaxL3) {
      return false;
    }
    const Pa t = take_l3();
    auto* pages = reinterpret_cast<u64*>(mem_.map(t));
    const u64 base = l2e & pte::OA_MASK & ~(kBlock - 1);
    const u64 attrs = (l2e & pte::LEAF_ATTR_MASK) | pte::TYPE_PAGE;
    for (unsigned i = 0; i < kEntries; ++i) {
      store(&pages[i], i == page_index(in) ? 0 : (base + i * kPageSize) | attrs);
    }
    old = Pa(base + page_index(in) * kPageSize);
    if (live_) {
      tlb_.sync();
    }
    replace_live(e2, t.raw() | pte::TYPE_TABLE, ipa);
  }
  if (live_) {
    tlb_.sync();
  }
  return true;
}

Stage2Regs Stage2Table::regs(u16 vmid) {
  const Locked held(lock_);
  vmid_ = vmid;
  live_ = true;
  return {.vtcr = stage2::kVtcr, .vttbr = pool_.root.raw() | (u64{vmid} << 48)};
}

}  // namespace runhv::mmu
