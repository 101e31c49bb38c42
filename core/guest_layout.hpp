// A guest's address map: one constexpr description that stage 2, the guest device tree and the
// MMIO bus all read
// SPDX-License-Identifier: MIT
//
// Xen's public Arm guest layout (xen/include/public/arch-arm.h, GUEST_*), so a guest built for
// Xen's dom0less finds its devices where Xen puts them, plus runhv's PV-time page:
//
//   0x0300'1000  GICv3 distributor, 64 KiB            GUEST_GICV3_GICD_BASE/SIZE
//                (GICv2: GICD 4 KiB here, GICC 8 KiB at 0x0300'2000: GUEST_GICD/GICC_*)
//   0x0302'0000  GICv3 redistributors, 128 KiB a vCPU, room for 128 (16 MiB)
//                                                     GUEST_GICV3_GICR0_BASE/SIZE
//   0x090A'0000  PV-time stolen-time records, 64 B a vCPU (runhv; QEMU virt's VIRT_PVTIME)
//   0x2200'0000  PL011 (vPL011), 4 KiB, SPI 32        GUEST_PL011_BASE/SIZE, GUEST_VPL011_SPI
//   0x3800'0000  grant-table window, 16 MiB           GUEST_GNTTAB_BASE/SIZE
//   0x4000'0000  RAM, up to 3 GiB                     GUEST_RAM0_BASE/SIZE
//   INTID 31     event-channel upcall (PPI 15)        GUEST_EVTCHN_PPI
//   INTID 27     virtual timer (PPI 11)
//
// The PV-time page sits in the hole Xen leaves between the redistributors and ACPI (0x2000'0000)
// and is clear of everything above; the static_asserts below keep every region apart.
#pragma once

#include "core/types.hpp"

namespace runhv {

struct GuestRegion {
  u64 base;
  u64 size;
  [[nodiscard]] constexpr u64 end() const { return base + size; }
  [[nodiscard]] constexpr bool contains(u64 ipa, u64 bytes = 1) const {
    return ipa >= base && bytes <= size && ipa - base <= size - bytes;
  }
  [[nodiscard]] constexpr bool overlaps(const GuestRegion& o) const { return base < o.end() && o.base < end(); }
};

struct GuestLayout {
  GuestRegion ram;
  GuestRegion gicd;        // GICv3 distributor
  GuestRegion gicr;        // GICv3 redistributors: gicr_stride per vCPU from gicr.base
  u64 gicr_stride;         // RD_base + SGI_base frames
  GuestRegion gicv2_gicd;  // GICv2 distributor (the same base: a guest has one GIC)
  GuestRegion gicv2_gicc;  // GICv2 CPU interface
  GuestRegion uart;        // vPL011
  u32 uart_intid;
  GuestRegion grant_table;
  GuestRegion pv_time;
  u32 evtchn_intid;
  u32 vtimer_intid;
};

inline constexpr GuestLayout kGuestLayout{
    .ram = {0x4000'0000, 0xC000'0000},
    .gicd = {0x0300'1000, 0x1'0000},
    .gicr = {0x0302'0000, 0x100'0000},
    .gicr_stride = 0x2'0000,
    .gicv2_gicd = {0x0300'1000, 0x1000},
    .gicv2_gicc = {0x0300'2000, 0x2000},
    .uart = {0x2200'0000, 0x1000},
    .uart_intid = 32,
    .grant_table = {0x3800'0000, 0x100'0000},
    .pv_time = {0x090A'0000, 0x1'0000},
    .evtchn_intid = 31,
    .vtimer_intid = 27,
};

constexpr bool guest_regions_apart(const GuestLayout& l) {
  const GuestRegion apart[] = {l.ram, l.gicd, l.gicr, l.uart, l.grant_table, l.pv_time};
  for (const GuestRegion& a : apart) {
    for (const GuestRegion& b : apart) {
      if (&a != &b && a.overlaps(b)) {
        return false;
      }
    }
  }
  return !l.gicv2_gicc.overlaps(l.gicr) && !l.gicv2_gicc.overlaps(l.ram);
}
static_assert(guest_regions_apart(kGuestLayout), "guest regions overlap");
static_assert(kGuestLayout.gicr.size / kGuestLayout.gicr_stride == 128);
static_assert(kGuestLayout.evtchn_intid >= 16 && kGuestLayout.evtchn_intid < 32);
static_assert(kGuestLayout.vtimer_intid >= 16 && kGuestLayout.vtimer_intid < 32);

}  // namespace runhv
