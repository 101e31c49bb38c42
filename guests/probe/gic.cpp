// Probe interrupt controller: GICv3 CPU interface (system registers), GICD/GICR set-up
// SPDX-License-Identifier: MIT
#include "guests/probe/gic.hpp"

#include "abi/xen_arch_arm.hpp"
#include "guests/probe/console.hpp"
#include "guests/probe/mmu.hpp"

namespace probe::gic {
namespace {

constexpr u64 kGicdCtlr = 0x0000;
constexpr u32 kGicdCtlrRwp = u32{1} << 31;
constexpr u32 kGicdCtlrAre = 1 << 4;   // ARE (ARE_NS in the non-secure view)
constexpr u32 kGicdCtlrGrp1 = 1 << 1;  // EnableGrp1 (EnableGrp1NS / Grp1A)
constexpr u64 kGicdSize = 0x10000;
constexpr u64 kGicrFrame = 0x20000;  // RD_base + SGI_base (GICv3 without VLPIs)
constexpr u64 kGicrWaker = 0x0014;
constexpr u32 kWakerProcessorSleep = 1 << 1;
constexpr u32 kWakerChildrenAsleep = 1 << 2;
constexpr u64 kGicrTyper = 0x0008;
constexpr u64 kTyperLast = 1 << 4;
constexpr u64 kSgiBase = 0x10000;
constexpr u64 kGicrIgroupr0 = kSgiBase + 0x0080;
constexpr u64 kGicrIsenabler0 = kSgiBase + 0x0100;
constexpr u64 kGicrIcenabler0 = kSgiBase + 0x0180;
constexpr u64 kGicrCtlr = 0x0000;
constexpr u32 kGicrCtlrRwp = 1 << 3;
constexpr u64 kGicrIpriorityr = kSgiBase + 0x0400;
constexpr u64 kGicrIgrpmodr0 = kSgiBase + 0x0d00;

volatile u32& reg32(u64 base, u64 offset) { return *reinterpret_cast<volatile u32*>(base + offset); }
volatile u64& reg64(u64 base, u64 offset) { return *reinterpret_cast<volatile u64*>(base + offset); }

bool fail(const char* why) {
  console::put("probe: gic: ");
  console::put(why);
  console::put("\n");
  return false;
}

// The redistributor frame whose GICR_TYPER affinity is this CPU's MPIDR affinity.
u64 find_redistributor(u64 gicr_va, u64 frames) {
  const u64 mpidr = read_mpidr_el1();
  const u64 affinity = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
  for (u64 i = 0; i < frames; ++i) {
    const u64 frame = gicr_va + i * kGicrFrame;
    const u64 typer = reg64(frame, kGicrTyper);
    if ((typer >> 32) == affinity) {
      return frame;
    }
    if ((typer & kTyperLast) != 0) {
      break;
    }
  }
  return 0;
}

u64 gicr_va = 0;  // the redistributor frames mapped by init_native (CPU 0)
u64 gicr_frames = 0;

// The PPIs the probe takes: its timer, and under Xen the event-channel upcall.
u32 ppis(const Platform& platform, unsigned timer_intid) {
  return (u32{1} << timer_intid) | (platform.xen ? u32{1} << runhv::xen::arm::kEventChannelPpi : 0);
}

// This CPU's redistributor: awake, the PPIs in `mask` enabled as Group 1.
bool init_redistributor(u32 mask) {
  const u64 rd = find_redistributor(gicr_va, gicr_frames);
  if (rd == 0) {
    return fail("no redistributor for this CPU");
  }
  reg32(rd, kGicrWaker) = reg32(rd, kGicrWaker) & ~kWakerProcessorSleep;
  while ((reg32(rd, kGicrWaker) & kWakerChildrenAsleep) != 0) {
  }
  reg32(rd, kGicrIgroupr0) = reg32(rd, kGicrIgroupr0) | mask;  // Group 1 (non-secure)
  reg32(rd, kGicrIgrpmodr0) = reg32(rd, kGicrIgrpmodr0) & ~mask;
  for (unsigned intid = 16; intid < 32; ++intid) {
    if ((mask & (u32{1} << intid)) != 0) {
      *reinterpret_cast<volatile u8*>(rd + kGicrIpriorityr + intid) = 0x80;
    }
  }
  reg32(rd, kGicrIsenabler0) = mask;
  return true;
}

// The distributor and this CPU's redistributor, natively and under a hypervisor's vGIC alike.
bool init_distributor(const Platform& platform, u32 mask) {
  if (platform.gicd_pa == 0 || platform.gicr_pa == 0) {
    return fail("no arm,gic-v3 node with GICD and GICR");
  }
  const u64 gicd = mmu::map_device(platform.gicd_pa, kGicdSize);
  u64 frames = platform.gicr_size / kGicrFrame;
  if (frames > platform.cpus && platform.cpus != 0) {
    frames = platform.cpus;  // only as many frames as CPUs are ever looked at
  }
  const u64 gicr = mmu::map_device(platform.gicr_pa, frames * kGicrFrame);
  if (gicd == 0 || gicr == 0 || frames == 0) {
    return fail("cannot map GICD/GICR");
  }
  gicr_va = gicr;
  gicr_frames = frames;

  reg32(gicd, kGicdCtlr) = reg32(gicd, kGicdCtlr) | kGicdCtlrAre | kGicdCtlrGrp1;
  while ((reg32(gicd, kGicdCtlr) & kGicdCtlrRwp) != 0) {
  }
  return init_redistributor(mask);
}

void init_cpu_interface() {
  write_icc_pmr_el1(0xff);
  write_icc_bpr1_el1(0);
  write_icc_ctlr_el1(read_icc_ctlr_el1() & ~u64{2});  // EOImode 0: EOIR also deactivates
  write_icc_igrpen1_el1(1);
  isb();
}

void enable_system_registers() {
  write_icc_sre_el1(read_icc_sre_el1() | 1);  // system-register interface
  isb();
}

}  // namespace

bool init(const Platform& platform, unsigned intid) {
  enable_system_registers();
  if (!init_distributor(platform, ppis(platform, intid))) {
    return false;
  }
  init_cpu_interface();
  return true;
}

bool init_secondary(const Platform& platform, unsigned intid) {
  enable_system_registers();
  if (!init_redistributor(ppis(platform, intid))) {
    return false;
  }
  init_cpu_interface();
  return true;
}

bool set_private_enabled(u32 mask, bool enabled) {
  const u64 rd = find_redistributor(gicr_va, gicr_frames);
  if (rd == 0) {
    return fail("no redistributor for this CPU");
  }
  if (enabled) {
    reg32(rd, kGicrIgroupr0) = reg32(rd, kGicrIgroupr0) | mask;  // Group 1 (non-secure), as init's
    reg32(rd, kGicrIgrpmodr0) = reg32(rd, kGicrIgrpmodr0) & ~mask;
    reg32(rd, kGicrIsenabler0) = mask;
    return true;
  }
  reg32(rd, kGicrIcenabler0) = mask;
  while ((reg32(rd, kGicrCtlr) & kGicrCtlrRwp) != 0) {
  }
  return true;
}

bool set_private_priority(unsigned intid, u8 priority) {
  const u64 rd = find_redistributor(gicr_va, gicr_frames);
  if (rd == 0 || intid >= 32) {
    return fail("no redistributor for this CPU");
  }
  *reinterpret_cast<volatile u8*>(rd + kGicrIpriorityr + intid) = priority;
  return true;
}

void send_sgi_to_self(unsigned sgi) {
  const u64 mpidr = read_mpidr_el1();
  const u64 aff0 = mpidr & 0xff;
  const u64 value = (u64{1} << (aff0 % 16)) | (((mpidr >> 8) & 0xff) << 16) | (u64{sgi & 0xf} << 24) |
                    (((mpidr >> 16) & 0xff) << 32) | ((aff0 / 16) << 44) | (((mpidr >> 32) & 0xff) << 48);
  write_icc_sgi1r_el1(value);
  isb();
}

u32 acknowledge() {
  const u32 intid = static_cast<u32>(read_icc_iar1_el1() & 0xffffff);
  asm volatile("dsb sy" ::: "memory");
  return intid;
}

void end(u32 intid) {
  write_icc_eoir1_el1(intid);
  isb();
}

}  // namespace probe::gic
