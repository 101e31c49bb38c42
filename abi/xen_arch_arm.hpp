// Xen's Arm guest memory map and interrupts (the GUEST_* values of xen/include/public/arch-arm.h)
// SPDX-License-Identifier: MIT
//
// Where a Xen guest on Arm finds its devices when it does not read them from the device tree.
// core/guest_layout.hpp builds runhv's guest address map from these.
#pragma once

#include "core/types.hpp"

namespace runhv::xen::arm {

// vGICv2 (GUEST_GICD_*, GUEST_GICC_*) and vGICv3 (GUEST_GICV3_*): one of them per guest.
inline constexpr u64 kGicv2DistBase = 0x0300'1000;
inline constexpr u64 kGicv2DistSize = 0x1000;
inline constexpr u64 kGicv2CpuBase = 0x0300'2000;
inline constexpr u64 kGicv2CpuSize = 0x2000;
inline constexpr u64 kGicv3DistBase = 0x0300'1000;
inline constexpr u64 kGicv3DistSize = 0x1'0000;
inline constexpr u64 kGicv3RedistBase = 0x0302'0000;  // vCPUs 0..127
inline constexpr u64 kGicv3RedistSize = 0x100'0000;
inline constexpr u64 kGicv3RedistStride = 0x2'0000;  // RD_base + SGI_base

inline constexpr u64 kPl011Base = 0x2200'0000;  // the vPL011
inline constexpr u64 kPl011Size = 0x1000;
inline constexpr u32 kVpl011Spi = 32;  // GUEST_VPL011_SPI: INTID 32

inline constexpr u64 kGrantTableBase = 0x3800'0000;  // 4096 frames the guest maps its grant table in
inline constexpr u64 kGrantTableSize = 0x100'0000;

inline constexpr u64 kRam0Base = 0x4000'0000;  // 3 GiB of low RAM at 1 GiB
inline constexpr u64 kRam0Size = 0xC000'0000;

inline constexpr u32 kEventChannelPpi = 31;  // GUEST_EVTCHN_PPI: the upcall, as an INTID

}  // namespace runhv::xen::arm
