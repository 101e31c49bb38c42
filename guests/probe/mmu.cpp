// Probe stage-1 tables: built with the MMU off from the load address, extended after boot
// SPDX-License-Identifier: MIT
//
// Everything reachable from early_build_tables runs before the MMU is on, at the physical load
// address: it may only use PC-relative addressing (which GCC's small code model does for
// globals and functions; no function pointers, no initialised pointers in data). Tables are
// addressed through va_minus_pa, 0 until finish_boot().
#include "guests/probe/mmu.hpp"

#include "core/pte.hpp"
#include "guests/probe/layout.h"

extern "C" {
alignas(4096) probe::u64 probe_ttbr1_roots[2][512];
// Section boundaries from probe.ld (page aligned).
extern char _text[], __text_end[], __tramp_start[], __rodata_start[], __user_start[], __user_text_end[], __user_end[],
    __data_start[], _end[];
}

namespace probe::mmu {
namespace {

constexpr u64 kPage = 4096;
constexpr unsigned kPoolPages = 24;

namespace pte = runhv::pte;

// MAIR_EL1 indices (head.S): 0 Device-nGnRE, 1 Normal write-back.
constexpr u64 kAttrDevice = pte::s1::attrindx(0);
constexpr u64 kAttrNormal = pte::s1::attrindx(1);

constexpr u64 kNormal = kAttrNormal | pte::SH_INNER | pte::AF;
constexpr u64 kKernelText = kNormal | pte::s1::AP_RO_EL1 | pte::s1::UXN;
constexpr u64 kKernelRo = kNormal | pte::s1::AP_RO_EL1 | pte::s1::UXN | pte::s1::PXN;
constexpr u64 kKernelRw = kNormal | pte::s1::AP_RW_EL1 | pte::s1::UXN | pte::s1::PXN;
constexpr u64 kUserText = kNormal | pte::s1::AP_RO_ALL | pte::s1::PXN;
constexpr u64 kUserData = kNormal | pte::s1::AP_RW_ALL | pte::s1::UXN | pte::s1::PXN;
constexpr u64 kDevice = kAttrDevice | pte::AF | pte::s1::AP_RW_EL1 | pte::s1::UXN | pte::s1::PXN;
constexpr u64 kIdmap = kNormal | pte::s1::AP_RW_EL1 | pte::s1::UXN;  // EL1-executable, for the MMU switch-on

struct State {
  i64 va_minus_pa;  // 0 while the MMU is off
  u64 load_pa;
  u64 dtb_pa;
  u64 user_root_pa;
  u64 idmap_root_pa;
  u64 next_device_va_offset;
  unsigned pool_used;
};

State state;
alignas(4096) u64 pool[kPoolPages][512];

u64* table_at(u64 pa) { return reinterpret_cast<u64*>(pa + static_cast<u64>(state.va_minus_pa)); }
u64 pa_of(const void* p) { return reinterpret_cast<u64>(p) - static_cast<u64>(state.va_minus_pa); }

u64* alloc_table() {
  if (state.pool_used == kPoolPages) {
    return nullptr;
  }
  return pool[state.pool_used++];  // .bss: already zero
}

unsigned index_at(u64 va, unsigned level) { return static_cast<unsigned>((va >> (39 - 9 * level)) & 511); }

// Installs a leaf for va at level (3: 4 KiB page, 2: 2 MiB block, 1: 1 GiB block).
bool map_leaf(u64* root, u64 va, u64 pa, u64 attrs, unsigned level) {
  u64* table = root;
  for (unsigned at = 0; at < level; ++at) {
    u64& entry = table[index_at(va, at)];
    if ((entry & pte::VALID) == 0) {
      u64* next = alloc_table();
      if (next == nullptr) {
        return false;
      }
      entry = pa_of(next) | pte::TYPE_TABLE;
    }
    table = table_at(entry & pte::OA_MASK);
  }
  table[index_at(va, level)] = pa | attrs | (level == 3 ? pte::TYPE_PAGE : pte::TYPE_BLOCK);
  return true;
}

bool in(u64 pa, const char* begin, const char* end) {
  return pa >= reinterpret_cast<u64>(begin) && pa < reinterpret_cast<u64>(end);
}

u64 image_attrs(u64 pa) {
  if (in(pa, _text, __text_end)) {
    return kKernelText;
  }
  if (in(pa, __rodata_start, __user_start)) {
    return kKernelRo;
  }
  return kKernelRw;  // the user region too: the kernel reads the tasks' counters
}

unsigned count_leaves_at(u64 table_pa, unsigned level) {
  const u64* table = table_at(table_pa);
  unsigned leaves = 0;
  for (unsigned i = 0; i < 512; ++i) {
    const u64 entry = table[i];
    if ((entry & pte::VALID) == 0) {
      continue;
    }
    if (level < 3 && (entry & pte::TYPE_MASK) == pte::TYPE_TABLE) {
      leaves += count_leaves_at(entry & pte::OA_MASK, level + 1);
    } else {
      ++leaves;
    }
  }
  return leaves;
}

}  // namespace

void finish_boot() {
  state.va_minus_pa = static_cast<i64>(PROBE_KIMAGE_VA - state.load_pa);
  write_ttbr0_el1(state.user_root_pa);
  isb();
  flush_tlb();
}

u64 load_pa() { return state.load_pa; }
u64 dtb_pa() { return state.dtb_pa; }
u64 tramp_root_pa() { return pa_of(probe_ttbr1_roots[0]); }
u64 kernel_root_pa() { return pa_of(probe_ttbr1_roots[1]); }
u64 user_root_pa() { return state.user_root_pa; }
u64 idmap_root_pa() { return state.idmap_root_pa; }
u64 virt_to_phys(const void* va) { return pa_of(va); }
u64 user_va(const void* image_va) {
  return PROBE_USER_VA + (reinterpret_cast<u64>(image_va) - reinterpret_cast<u64>(__user_start));
}
const void* dtb_va() { return reinterpret_cast<const void*>(PROBE_DTB_VA + (state.dtb_pa & ((u64{2} << 20) - 1))); }

u64 map_device(u64 pa, u64 size) {
  const u64 first = pa & ~(kPage - 1);
  const u64 last = (pa + size + kPage - 1) & ~(kPage - 1);
  if (state.next_device_va_offset + (last - first) > (u64{1} << 30)) {
    return 0;
  }
  const u64 va = PROBE_DEV_VA + state.next_device_va_offset;
  for (u64 at = first; at < last; at += kPage) {
    if (!map_leaf(probe_ttbr1_roots[1], va + (at - first), at, kDevice, 3)) {
      return 0;
    }
  }
  state.next_device_va_offset += last - first + kPage;  // one guard page between devices
  flush_tlb();
  return va + (pa - first);
}

bool map_kernel_page(u64 va, u64 pa, PageKind kind) {
  u64 attrs = kKernelRw;
  if (kind == PageKind::ram_ro) {
    attrs = kKernelRo;
  } else if (kind == PageKind::text) {
    attrs = kKernelText;
  } else if (kind == PageKind::device) {
    attrs = kDevice;
  }
  // Tables down to level 3 (created as needed), then break before make: an existing leaf goes
  // invalid and out of the TLB before the new one is written.
  u64* table = probe_ttbr1_roots[1];
  for (unsigned at = 0; at < 3; ++at) {
    u64& entry = table[index_at(va, at)];
    if ((entry & pte::VALID) == 0) {
      u64* next = alloc_table();
      if (next == nullptr) {
        return false;
      }
      entry = pa_of(next) | pte::TYPE_TABLE;
    }
    table = table_at(entry & pte::OA_MASK);
  }
  u64& leaf = table[index_at(va, 3)];
  if ((leaf & pte::VALID) != 0) {
    leaf = 0;
    flush_tlb();
  }
  leaf = (pa & pte::OA_MASK) | attrs | pte::TYPE_PAGE;
  flush_tlb();
  return true;
}

unsigned count_leaves(u64 root_pa) { return count_leaves_at(root_pa, 0); }
unsigned tables_used() { return state.pool_used; }

}  // namespace probe::mmu

using namespace probe;
using namespace probe::mmu;

extern "C" u64 early_build_tables(u64 load_pa, u64 dtb_pa) {
  state.load_pa = load_pa;
  state.dtb_pa = dtb_pa;
  u64* const tramp_root = probe_ttbr1_roots[0];
  u64* const kernel_root = probe_ttbr1_roots[1];

  // The image, page by page, at PROBE_KIMAGE_VA + its offset.
  const u64 image_pa = reinterpret_cast<u64>(_text);  // == load_pa: this runs at the PA
  for (u64 pa = image_pa; pa < reinterpret_cast<u64>(_end); pa += kPage) {
    map_leaf(kernel_root, PROBE_KIMAGE_VA + (pa - image_pa), pa, image_attrs(pa), 3);
  }

  // The trampoline page at its alias, in the kernel root; the trampoline root shares that
  // top-level entry (and so the tables below it), and has no other.
  const u64 tramp_pa = reinterpret_cast<u64>(__tramp_start);
  map_leaf(kernel_root, PROBE_TRAMP_VA, tramp_pa, kKernelText, 3);
  tramp_root[index_at(PROBE_TRAMP_VA, 0)] = kernel_root[index_at(PROBE_TRAMP_VA, 0)];

  // The device tree: the 2 MiB block holding its start and the next (a DTB is at most 2 MiB).
  const u64 dtb_block = dtb_pa & ~((u64{2} << 20) - 1);
  map_leaf(kernel_root, PROBE_DTB_VA, dtb_block, kKernelRo, 2);
  map_leaf(kernel_root, PROBE_DTB_VA + (u64{2} << 20), dtb_block + (u64{2} << 20), kKernelRo, 2);

  // The user region, at PROBE_USER_VA in a root of its own (TTBR0 once the kernel runs high).
  u64* const user_root = alloc_table();
  state.user_root_pa = pa_of(user_root);
  const u64 user_pa = reinterpret_cast<u64>(__user_start);
  for (u64 pa = user_pa; pa < reinterpret_cast<u64>(__user_end); pa += kPage) {
    const u64 attrs = pa < reinterpret_cast<u64>(__user_text_end) ? kUserText : kUserData;
    map_leaf(user_root, PROBE_USER_VA + (pa - user_pa), pa, attrs, 3);
  }

  // The identity map for switching the MMU on: the 1 GiB holding the image. Kept for good:
  // secondary CPUs turn their MMU on with it too (head.S probe_secondary_entry).
  u64* const idmap_root = alloc_table();
  map_leaf(idmap_root, load_pa & ~((u64{1} << 30) - 1), load_pa & ~((u64{1} << 30) - 1), kIdmap, 1);
  state.idmap_root_pa = pa_of(idmap_root);
  return state.idmap_root_pa;
}
