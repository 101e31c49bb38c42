// GICv3 distributor (GICD): affinity routing on, Group 1 non-secure, every SPI off
// SPDX-License-Identifier: MIT
#include "arch/aarch64/gicv3_dist.hpp"

#include "arch/aarch64/gicv3_mmio.hpp"

namespace runhv::arch::gicv3 {
namespace {

// Register offsets (GICv3 architecture specification, IHI 0069, 12.9).
constexpr u64 kCtlr = 0x0000;        // GICD_CTLR
constexpr u64 kTyper = 0x0004;       // GICD_TYPER
constexpr u64 kIgroupr = 0x0080;     // GICD_IGROUPR<n>: 1 bit per INTID, 1 = Group 1
constexpr u64 kIsenabler = 0x0100;   // GICD_ISENABLER<n>: write 1 to enable
constexpr u64 kIcenabler = 0x0180;   // GICD_ICENABLER<n>: write 1 to disable
constexpr u64 kIcpendr = 0x0280;     // GICD_ICPENDR<n>: write 1 to clear pending
constexpr u64 kIpriorityr = 0x0400;  // GICD_IPRIORITYR<n>: 1 byte per INTID
constexpr u64 kIcfgr = 0x0C00;       // GICD_ICFGR<n>: 2 bits per INTID, bit 1 set = edge
constexpr u64 kIrouter = 0x6000;     // GICD_IROUTER<n>: 8 bytes per INTID (SPIs only)
constexpr u64 kPidr2 = 0xFFE8;       // GICD_PIDR2

// GICD_CTLR, as the non-secure side (or the only side, with DS = 1) sees it.
constexpr u32 kCtlrEnableGrp1 = u32{1} << 1;  // EnableGrp1 (DS = 1) / EnableGrp1A (DS = 0)
constexpr u32 kCtlrAre = u32{1} << 4;         // ARE (DS = 1) / ARE_NS: affinity routing on
constexpr u32 kCtlrRwp = u32{1} << 31;        // RWP: a register write is still in flight

constexpr u8 kDefaultPriority = 0xA0;

void wait_rwp(Pa gicd) {
  while ((mmio_read32(gicd, kCtlr) & kCtlrRwp) != 0) {
  }
}

}  // namespace

u32 dist_lines(Pa gicd) {
  const u32 lines = 32 * (static_cast<u32>(bits(mmio_read32(gicd, kTyper), 4, 0)) + 1);
  return lines > 1020 ? 1020 : lines;
}

bool dist_enable_spi(Pa gicd, u32 intid) {
  if (intid < kFirstSpi || intid >= dist_lines(gicd)) {
    return false;
  }
  const u64 cfg = kIcfgr + intid / 16 * 4;
  mmio_write32(gicd, cfg, mmio_read32(gicd, cfg) & ~(u32{2} << (2 * (intid % 16))));
  mmio_write32(gicd, kIsenabler + intid / 32 * 4, u32{1} << (intid % 32));
  return true;
}

bool dist_init(Pa gicd, u64 boot_mpidr) {
  const u32 arch_rev = static_cast<u32>(bits(mmio_read32(gicd, kPidr2), 7, 4));
  if (arch_rev != 3 && arch_rev != 4) {
    return false;
  }
  // Groups off before ARE changes (changing ARE with a group enabled is UNPREDICTABLE).
  mmio_write32(gicd, kCtlr, 0);
  wait_rwp(gicd);
  const u32 lines = dist_lines(gicd);
  for (u32 id = kFirstSpi; id < lines; id += 32) {
    mmio_write32(gicd, kIcenabler + id / 8, ~u32{0});
    mmio_write32(gicd, kIcpendr + id / 8, ~u32{0});
    mmio_write32(gicd, kIgroupr + id / 8, ~u32{0});
  }
  for (u32 id = kFirstSpi; id < lines; ++id) {
    mmio_write8(gicd, kIpriorityr + id, kDefaultPriority);
  }
  wait_rwp(gicd);
  mmio_write32(gicd, kCtlr, kCtlrAre);
  wait_rwp(gicd);
  // IROUTER: Aff3 in [39:32], Aff2..Aff0 in [23:0], Interrupt_Routing_Mode (bit 31) = 0.
  for (u32 id = kFirstSpi; id < lines; ++id) {
    mmio_write64(gicd, kIrouter + 8 * u64{id}, boot_mpidr & 0xFF00FFFFFFULL);
  }
  mmio_write32(gicd, kCtlr, kCtlrAre | kCtlrEnableGrp1);
  wait_rwp(gicd);
  return true;
}

}  // namespace runhv::arch::gicv3
