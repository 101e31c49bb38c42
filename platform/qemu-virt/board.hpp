// QEMU `virt` board: the fixed physical map, used when the device tree does not say otherwise
// SPDX-License-Identifier: MIT
//
// From QEMU hw/arm/virt.c (base_memmap), as seen with QEMU 7.2. The device tree QEMU passes is
// the authority; these are the fallbacks and the things a DT lookup would only confirm.
#pragma once

#include "core/types.hpp"

namespace runhv::board {

struct Board {
  const char* name;
  Pa uart;         // PL011
  u32 uart_intid;  // its interrupt (SPI 1)
  Pa gicd;         // GIC distributor (v2 and v3)
  Pa gicc;         // GICv2 CPU interface
  Pa gich;         // GICv2 virtual interface control
  Pa gicv;         // GICv2 virtual CPU interface
  Pa gicr;         // GICv3 redistributors, 128 KiB per CPU
  Pa ram;          // start of RAM
  Pa dtb;          // where QEMU copies its DTB for an ELF image that leaves room for it
};

inline constexpr Board kQemuVirt{
    .name = "qemu-virt",
    .uart = Pa{0x0900'0000},
    .uart_intid = 33,
    .gicd = Pa{0x0800'0000},
    .gicc = Pa{0x0801'0000},
    .gich = Pa{0x0803'0000},
    .gicv = Pa{0x0804'0000},
    .gicr = Pa{0x080A'0000},
    .ram = Pa{0x4000'0000},
    .dtb = Pa{0x4000'0000},
};

inline constexpr const Board& kBoard = kQemuVirt;

}  // namespace runhv::board
