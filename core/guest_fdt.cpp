// The device tree runhv gives each guest domain: a Xen-style domU tree on QEMU virt's layout
// SPDX-License-Identifier: MIT
#include "core/guest_fdt.hpp"

#include "abi/pvtime.hpp"
#include "core/format.hpp"
#include "core/psci.hpp"

namespace runhv {

namespace {

constexpr u32 kGicV2MaxVcpus = 8;          // GICv2 has eight CPU interfaces
constexpr u64 kGicV3FramePair = 0x2'0000;  // a redistributor's RD_base + SGI_base, 64 KiB each
constexpr u32 kGicSpecSpi = 0;             // first cell of an interrupt specifier: 0 SPI, 1 PPI
constexpr u32 kGicSpecPpi = 1;
constexpr u32 kIrqTypeLevelHigh = 4;
constexpr u32 kMaxPpi = 15;

// PPI numbers of the architected timers (INTID - 16), in the arm,armv8-timer binding's order.
constexpr u32 kTimerSecurePpi = 13;     // INTID 29
constexpr u32 kTimerNonSecurePpi = 14;  // INTID 30
constexpr u32 kTimerVirtualPpi = 11;    // INTID 27
constexpr u32 kTimerHypPpi = 10;        // INTID 26

struct Range {
  u64 base;
  u64 size;
};

// The GICv3 redistributor region: one RD_base + SGI_base frame pair per vCPU.
constexpr u64 gicr_size(const GuestFdtConfig& c) { return c.gicr_stride * c.vcpus; }

constexpr bool wraps(Range r) { return r.size == 0 || r.base + r.size < r.base; }
constexpr bool overlap(Range a, Range b) { return a.base < b.base + b.size && b.base < a.base + a.size; }

bool config_ok(const GuestFdtConfig& c) {
  if (c.vcpus == 0 || c.vcpus > kMaxPsciVcpus || c.evtchn_ppi > kMaxPpi) {
    return false;
  }
  // The event-channel PPI must not be one of the timers'.
  const u32 timers[] = {kTimerSecurePpi, kTimerNonSecurePpi, kTimerVirtualPpi, kTimerHypPpi};
  for (const u32 timer : timers) {
    if (c.evtchn_ppi == timer) {
      return false;
    }
  }
  Range gic[2];
  if (c.gic == GicVersion::v3) {
    // At least RD_base + SGI_base; small enough that 4096 of them cannot wrap.
    if (c.gicr_stride < kGicV3FramePair || c.gicr_stride > (u64{1} << 51)) {
      return false;
    }
    gic[0] = {c.gicd_base, c.gicv3_gicd_size};
    gic[1] = {c.gicr_base, gicr_size(c)};
  } else if (c.gic == GicVersion::v2) {
    if (c.vcpus > kGicV2MaxVcpus) {
      return false;
    }
    gic[0] = {c.gicd_base, c.gicv2_gicd_size};
    gic[1] = {c.gicc_base, c.gicc_size};
  } else {
    return false;
  }
  // RAM, the GIC frames and the grant-table window are distinct, non-empty and do not wrap.
  const Range fixed[] = {{c.ram_base, c.ram_size}, gic[0], gic[1], {c.grant_table_base, c.grant_table_size}};
  for (usize i = 0; i < 4; ++i) {
    if (wraps(fixed[i])) {
      return false;
    }
    for (usize j = 0; j < i; ++j) {
      if (overlap(fixed[i], fixed[j])) {
        return false;
      }
    }
  }
  if (c.pv_time) {
    // The records: 64 bytes per vCPU in whole pages (stage 2 maps pages). They may lie in RAM
    // (the reserved-memory node keeps Linux off them), but not on the GIC or the grant window.
    const Range pv{c.pv_time_base, c.pv_time_size};
    if (wraps(pv) || (pv.base & kPageMask) != 0 || (pv.size & kPageMask) != 0 ||
        pv.size < u64{c.vcpus} * pvtime::kRecordSize) {
      return false;
    }
    for (usize i = 1; i < 4; ++i) {
      if (overlap(pv, fixed[i])) {
        return false;
      }
    }
  }
  return c.initrd_end <= c.initrd_start || (c.initrd_start >= c.ram_base && c.initrd_end - c.ram_base <= c.ram_size);
}

// "name@<unit in lower-case hex>" into `out`.
void unit_name(char (&out)[48], const char* name, u64 unit) {
  format(out, sizeof out, "%s@%llx", name, static_cast<unsigned long long>(unit));
}

void ppi(u32 (&spec)[3], u32 number) {
  spec[0] = kGicSpecPpi;
  spec[1] = number;
  spec[2] = kGuestFdtPpiFlags;
}

void write_chosen(FdtWriter& w, const GuestFdtConfig& c) {
  w.begin_node("chosen");
  if (c.bootargs != nullptr) {
    w.prop_string("bootargs", c.bootargs);
  }
  if (c.stdout_path != nullptr) {
    w.prop_string("stdout-path", c.stdout_path);
  }
  if (c.rng_seed != nullptr && c.rng_seed_len != 0) {
    w.property("rng-seed", c.rng_seed, c.rng_seed_len);
  }
  if (c.initrd_end > c.initrd_start) {
    w.prop_u64("linux,initrd-start", c.initrd_start);
    w.prop_u64("linux,initrd-end", c.initrd_end);
  }
  w.end_node();
}

void write_cpus(FdtWriter& w, const GuestFdtConfig& c) {
  w.begin_node("cpus");
  w.prop_u32("#address-cells", 1);
  w.prop_u32("#size-cells", 0);
  for (u32 i = 0; i < c.vcpus && w.error() == FdtError::none; ++i) {
    const u64 affinity = vcpu_affinity(i);  // Aff1:Aff0, at most 0xFF0F: one cell
    char name[48];
    unit_name(name, "cpu", affinity);
    w.begin_node(name);
    w.prop_string("device_type", "cpu");
    w.prop_string("compatible", "arm,armv8");
    w.prop_string("enable-method", "psci");
    w.prop_u32("reg", static_cast<u32>(affinity));
    w.end_node();
  }
  w.end_node();
}

void write_psci(FdtWriter& w) {
  w.begin_node("psci");
  const char* const compatible[] = {"arm,psci-1.0", "arm,psci-0.2"};
  w.prop_strings("compatible", compatible);
  w.prop_string("method", "hvc");
  w.end_node();
}

void write_memory(FdtWriter& w, const GuestFdtConfig& c) {
  char name[48];
  unit_name(name, "memory", c.ram_base);
  w.begin_node(name);
  w.prop_string("device_type", "memory");
  w.prop_reg(c.ram_base, c.ram_size);
  w.end_node();
}

void write_gic(FdtWriter& w, const GuestFdtConfig& c) {
  char name[48];
  unit_name(name, "interrupt-controller", c.gicd_base);
  w.begin_node(name);
  if (c.gic == GicVersion::v3) {
    w.prop_string("compatible", "arm,gic-v3");
  } else {
    w.prop_string("compatible", "arm,cortex-a15-gic");
  }
  w.prop_u32("#interrupt-cells", 3);
  w.prop_u32("#address-cells", 0);
  w.prop_empty("interrupt-controller");
  if (c.gic == GicVersion::v3) {
    const u64 reg[] = {c.gicd_base, c.gicv3_gicd_size, c.gicr_base, gicr_size(c)};
    w.prop_u64s("reg", reg);
  } else {
    const u64 reg[] = {c.gicd_base, c.gicv2_gicd_size, c.gicc_base, c.gicc_size};
    w.prop_u64s("reg", reg);
  }
  w.prop_u32("phandle", kGuestFdtGicPhandle);
  w.end_node();
}

void write_timer(FdtWriter& w) {
  w.begin_node("timer");
  w.prop_string("compatible", "arm,armv8-timer");
  u32 interrupts[4][3];
  ppi(interrupts[0], kTimerSecurePpi);
  ppi(interrupts[1], kTimerNonSecurePpi);
  ppi(interrupts[2], kTimerVirtualPpi);
  ppi(interrupts[3], kTimerHypPpi);
  w.prop_cells("interrupts", &interrupts[0][0], 12);
  w.prop_u32("interrupt-parent", kGuestFdtGicPhandle);
  w.prop_empty("always-on");
  w.end_node();
}

void write_uart(FdtWriter& w, const GuestFdtConfig& c) {
  char name[48];
  unit_name(name, "sbsa-uart", c.uart_base);
  w.begin_node(name);
  w.prop_string("compatible", "arm,sbsa-uart");
  w.prop_reg(c.uart_base, kGuestLayout.uart.size);
  const u32 interrupts[3] = {kGicSpecSpi, c.uart_spi, kIrqTypeLevelHigh};
  w.prop_cells("interrupts", interrupts);
  w.prop_u32("interrupt-parent", kGuestFdtGicPhandle);
  w.prop_u32("current-speed", 115200);
  w.end_node();
}

void write_hypervisor(FdtWriter& w, const GuestFdtConfig& c) {
  w.begin_node("hypervisor");
  const char* const compatible[] = {kGuestFdtXenCompatible, "xen,xen"};
  w.prop_strings("compatible", compatible);
  w.prop_reg(c.grant_table_base, c.grant_table_size);
  u32 interrupts[3];
  ppi(interrupts, c.evtchn_ppi);
  w.prop_cells("interrupts", interrupts);
  w.prop_u32("interrupt-parent", kGuestFdtGicPhandle);
  w.end_node();
}

void write_reserved_memory(FdtWriter& w, const GuestFdtConfig& c) {
  w.begin_node("reserved-memory");
  w.prop_u32("#address-cells", 2);
  w.prop_u32("#size-cells", 2);
  w.prop_empty("ranges");
  char name[48];
  unit_name(name, "pv-time", c.pv_time_base);
  w.begin_node(name);
  w.prop_reg(c.pv_time_base, c.pv_time_size);
  w.prop_empty("no-map");
  w.end_node();
  w.end_node();
}

}  // namespace

FdtResult build_guest_fdt(u8* buf, usize size, const GuestFdtConfig& c) {
  if (!config_ok(c)) {
    return {0, FdtError::invalid_argument};
  }
  FdtWriter w(buf, size);
  w.begin_node("");
  w.prop_u32("#address-cells", 2);
  w.prop_u32("#size-cells", 2);
  w.prop_string("model", kGuestFdtModel);
  const char* const compatible[] = {kGuestFdtXenVmCompatible, "xen,xenvm"};
  w.prop_strings("compatible", compatible);
  w.prop_u32("interrupt-parent", kGuestFdtGicPhandle);

  write_chosen(w, c);
  write_cpus(w, c);
  write_psci(w);
  write_memory(w, c);
  write_gic(w, c);
  write_timer(w);
  if (c.vpl011) {
    write_uart(w, c);
  }
  write_hypervisor(w, c);
  if (c.pv_time) {
    write_reserved_memory(w, c);
  }
  w.end_node();
  return w.finish();
}

}  // namespace runhv
