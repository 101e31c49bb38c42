// Probe stage-1 tables: kernel (TTBR1), KPTI trampoline (TTBR1), user (TTBR0) and device maps
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

extern "C" {
// TTBR1 roots, adjacent on purpose: [0] the trampoline root, [1] the kernel root. The KPTI
// switch is TTBR1 ± 4 KiB, so the trampoline needs no kernel data to find the kernel root.
extern probe::u64 probe_ttbr1_roots[2][512];
// Called by head.S with the MMU off (PC-relative code only): builds every table the probe
// needs before it knows its devices; returns the identity-map root for TTBR0.
probe::u64 early_build_tables(probe::u64 load_pa, probe::u64 dtb_pa);
}

namespace probe::mmu {

// After the MMU is on (first thing probe_main does): table pointers become kernel VAs and
// TTBR0 switches from the identity map to the user root.
void finish_boot();

u64 load_pa();
u64 dtb_pa();
u64 kernel_root_pa();
u64 tramp_root_pa();
u64 user_root_pa();
u64 idmap_root_pa();                // the boot identity map, kept for secondaries turning their MMU on
u64 virt_to_phys(const void* va);   // image addresses only
u64 user_va(const void* image_va);  // where the user region's image address is seen by EL0
const void* dtb_va();               // the DTB window (PROBE_DTB_VA + offset in its 2 MiB block)

// Maps size bytes of device memory at pa (page granular) in the kernel root; returns its VA.
// Returns 0 if the device window or the table pool is exhausted.
u64 map_device(u64 pa, u64 size);

// What map_kernel_page installs: Normal RAM read-write, read-only or read-only and executable
// (EL1 only), or device memory.
enum class PageKind : u8 { ram_rw, ram_ro, text, device };

// Maps (or re-maps, break-before-make) the 4 KiB page at `va` of the kernel root to `pa`, for
// scenarios that need a mapping the image map does not give (runstate areas across two
// non-adjacent frames, a VA moved to another frame, foreign IPAs, the PV-time page). `va` must be
// page aligned and outside the image, DTB, device and trampoline windows (PROBE_SCRATCH_VA).
// False if the table pool is exhausted.
bool map_kernel_page(u64 va, u64 pa, PageKind kind);

// Leaf (page or block) descriptors reachable from a root, and the table pages used.
unsigned count_leaves(u64 root_pa);
unsigned tables_used();

}  // namespace probe::mmu
