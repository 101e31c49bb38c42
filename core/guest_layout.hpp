// A guest's address map: one constexpr description that stage 2, the guest device tree and the
// MMIO bus all read
// SPDX-License-Identifier: MIT
//
// Xen's public Arm guest layout (abi/xen_arch_arm.hpp), so a guest built for Xen's dom0less finds
// its devices where Xen puts them, plus runhv's PV-time page:
//
//   0x0300'1000  GICv3 distributor, 64 KiB (GICv2: GICD 4 KiB here, GICC 8 KiB at 0x0300'2000)
//   0x0302'0000  GICv3 redistributors, 128 KiB a vCPU, room for 128 (16 MiB)
//   0x090A'0000  PV-time stolen-time records, 64 B a vCPU (runhv's; QEMU virt's VIRT_PVTIME)
//   0x2200'0000  PL011 (vPL011), 4 KiB, SPI 32
//   0x3800'0000  grant-table window, 16 MiB
//   0x4000'0000  RAM, up to 3 GiB
//   INTID 31     event-channel upcall (PPI 15)
//   INTID 27     virtual timer (PPI 11)
//
// The PV-time page sits in the hole Xen leaves between the redistributors and ACPI (0x2000'0000)
// and is clear of everything above; the static_asserts below keep every region apart.
#pragma once

#include "abi/xen_arch_arm.hpp"
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
    .ram = {xen::arm::kRam0Base, xen::arm::kRam0Size},
    .gicd = {xen::arm::kGicv3DistBase, xen::arm::kGicv3DistSize},
    .gicr = {xen::arm::kGicv3RedistBase, xen::arm::kGicv3RedistSize},
    .gicr_stride = xen::arm::kGicv3RedistStride,
    .gicv2_gicd = {xen::arm::kGicv2DistBase, xen::arm::kGicv2DistSize},
    .gicv2_gicc = {xen::arm::kGicv2CpuBase, xen::arm::kGicv2CpuSize},
    .uart = {xen::arm::kPl011Base, xen::arm::kPl011Size},
    .uart_intid = xen::arm::kVpl011Spi,
    .grant_table = {xen::arm::kGrantTableBase, xen::arm::kGrantTableSize},
    .pv_time = {0x090A'0000, 0x1'0000},  // runhv's: 1024 records of 64 bytes
    .evtchn_intid = xen::arm::kEventChannelPpi,
    .vtimer_intid = 27,  // PPI 11, the EL1 virtual timer (the Arm generic-timer binding)
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
