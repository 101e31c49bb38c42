// GIC register access: volatile loads and stores of a device register at base + offset
// SPDX-License-Identifier: MIT
//
// The GIC frames are identity mapped as Device-nGnRE by the EL2 MMU (mmu_el2), so a register's
// address is its physical address. Device accesses to one peripheral stay in program order.
#pragma once

#include "core/types.hpp"

namespace runhv::arch::gicv3 {

inline u32 mmio_read32(Pa base, u64 offset) { return *reinterpret_cast<const volatile u32*>(base.raw() + offset); }
inline u64 mmio_read64(Pa base, u64 offset) { return *reinterpret_cast<const volatile u64*>(base.raw() + offset); }
inline void mmio_write32(Pa base, u64 offset, u32 value) {
  *reinterpret_cast<volatile u32*>(base.raw() + offset) = value;
}
inline void mmio_write64(Pa base, u64 offset, u64 value) {
  *reinterpret_cast<volatile u64*>(base.raw() + offset) = value;
}
inline void mmio_write8(Pa base, u64 offset, u8 value) { *reinterpret_cast<volatile u8*>(base.raw() + offset) = value; }

}  // namespace runhv::arch::gicv3
