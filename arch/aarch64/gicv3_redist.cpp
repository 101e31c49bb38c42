// GICv3 redistributor (GICR): find this CPU's frame, wake it, set up its SGIs and PPIs
// SPDX-License-Identifier: MIT
#include "arch/aarch64/gicv3_redist.hpp"

#include "arch/aarch64/gicv3_mmio.hpp"

namespace runhv::arch::gicv3 {
namespace {

// RD_base registers (IHI 0069, 12.10).
constexpr u64 kCtlr = 0x0000;   // GICR_CTLR
constexpr u64 kTyper = 0x0008;  // GICR_TYPER (64-bit)
constexpr u64 kWaker = 0x0014;  // GICR_WAKER
// SGI_base registers, at RD_base + 64 KiB (IHI 0069, 12.11).
constexpr u64 kSgiBase = 0x1'0000;
constexpr u64 kIgroupr0 = kSgiBase + 0x0080;    // 1 bit per INTID 0-31, 1 = Group 1
constexpr u64 kIsenabler0 = kSgiBase + 0x0100;  // write 1 to enable
constexpr u64 kIcenabler0 = kSgiBase + 0x0180;  // write 1 to disable
constexpr u64 kIcpendr0 = kSgiBase + 0x0280;    // write 1 to clear pending
constexpr u64 kIpriorityr = kSgiBase + 0x0400;  // 1 byte per INTID 0-31
constexpr u64 kIgrpmodr0 = kSgiBase + 0x0D00;   // with IGROUPR0: 0 = Group 1 non-secure

// GICR_CTLR.
constexpr u32 kCtlrRwp = u32{1} << 3;  // RWP: an ICENABLER0 write is still in flight
// GICR_TYPER.
constexpr u64 kTyperVlpis = u64{1} << 1;  // VLPIS: GICv4 frames follow (4 x 64 KiB per CPU)
constexpr u64 kTyperLast = u64{1} << 4;   // Last: the final redistributor of this region
// GICR_WAKER.
constexpr u32 kWakerProcessorSleep = u32{1} << 1;  // ProcessorSleep: 1 = the CPU interface sleeps
constexpr u32 kWakerChildrenAsleep = u32{1} << 2;  // ChildrenAsleep: 1 = still quiescent

constexpr u64 kFrames64k = u64{64} << 10;

}  // namespace

Pa redist_find(Pa gicr, u64 size, u64 mpidr) {
  // GICR_TYPER.Affinity, bits [63:32], holds Aff3.Aff2.Aff1.Aff0.
  const u64 want = (bits(mpidr, 39, 32) << 24) | bits(mpidr, 23, 0);
  for (u64 offset = 0; offset < size;) {
    const Pa rd{gicr.raw() + offset};
    const u64 typer = mmio_read64(rd, kTyper);
    if ((typer >> 32) == want) {
      return rd;
    }
    if ((typer & kTyperLast) != 0) {
      break;
    }
    offset += ((typer & kTyperVlpis) != 0 ? 4 : 2) * kFrames64k;
  }
  return Pa{0};
}

void redist_init(Pa rd) {
  mmio_write32(rd, kWaker, mmio_read32(rd, kWaker) & ~kWakerProcessorSleep);
  while ((mmio_read32(rd, kWaker) & kWakerChildrenAsleep) != 0) {
  }
  mmio_write32(rd, kIcenabler0, ~u32{0});
  while ((mmio_read32(rd, kCtlr) & kCtlrRwp) != 0) {
  }
  mmio_write32(rd, kIcpendr0, ~u32{0});
  mmio_write32(rd, kIgroupr0, ~u32{0});
  mmio_write32(rd, kIgrpmodr0, 0);
  for (u32 id = 0; id < 32; ++id) {
    mmio_write8(rd, kIpriorityr + id, kPriority);
  }
  mmio_write32(rd, kIsenabler0,
               (u32{1} << kSgiIpi) | (u32{1} << kIntidHypTimer) | (u32{1} << kIntidVirtualTimer) |
                   (u32{1} << kIntidMaintenance));
}

}  // namespace runhv::arch::gicv3
