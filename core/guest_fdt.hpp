// The device tree runhv gives each guest domain: a Xen-style domU tree on Xen's guest layout
// SPDX-License-Identifier: MIT
//
// What build_guest_fdt() writes (for 2 vCPUs, GICv3, PV time; addresses are the defaults):
//
//   / {  #address-cells = <2>; #size-cells = <2>; model = "XENVM-4.19";
//        compatible = "xen,xenvm-4.19", "xen,xenvm"; interrupt-parent = <&gic>;
//     chosen { bootargs = "..."; [stdout-path = "..."]; [rng-seed = [64 bytes]];
//              [linux,initrd-start/-end] };
//     cpus { #address-cells = <1>; #size-cells = <0>;
//       cpu@0 { device_type = "cpu"; compatible = "arm,armv8"; enable-method = "psci"; reg = <0>; };
//       cpu@1 { ... reg = <1>; };  };
//     psci { compatible = "arm,psci-1.0", "arm,psci-0.2"; method = "hvc"; };
//     memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 SIZE>; };
//     interrupt-controller@3001000 { compatible = "arm,gic-v3"; #interrupt-cells = <3>;
//       #address-cells = <0>; interrupt-controller;
//       reg = <0 0x03001000 0 0x10000>, <0 0x03020000 0 (vcpus * 0x20000)>; phandle = <65000>; };
//     timer { compatible = "arm,armv8-timer"; always-on; interrupt-parent = <&gic>;
//       interrupts = <1 13 0xf08>, <1 14 0xf08>, <1 11 0xf08>, <1 10 0xf08>; };
//     [sbsa-uart@22000000 { compatible = "arm,sbsa-uart"; reg = <0 0x22000000 0 0x1000>;
//       interrupts = <0 0 4>; interrupt-parent = <&gic>; current-speed = <115200>; };]
//     hypervisor { compatible = "xen,xen-4.19", "xen,xen"; reg = <0 0x38000000 0 0x1000000>;
//       interrupts = <1 15 0xf08>; interrupt-parent = <&gic>; };
//     reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
//       pv-time@90a0000 { reg = <0 0x090a0000 0 0x10000>; no-map; }; };  };
//
// GICv2 instead: compatible "arm,cortex-a15-gic", reg = <GICD 0x1000>, <GICC 0x2000>.
//
// Decisions and their sources:
// - Node set, names and values follow Xen's libxl (tools/libs/light/libxl_arm.c): the model and
//   root compatible, cpu@<MPIDR affinity> nodes with "arm,armv8", the GIC phandle 65000
//   (GUEST_PHANDLE_GIC) and `#address-cells = <0>` on the GIC, interrupt-parent on the root, the
//   timer and the hypervisor node, PPI flags 0xf08 (CPU mask 0xf, level-low, as libxl writes for
//   every vGIC version; the GICv3 binding ignores the mask). PSCI lists 1.0 and 0.2 only: runhv
//   serves PSCI 1.1 through function IDs, so the 0.1 binding's cpu_on/cpu_off IDs are not needed.
// - /hypervisor: named exactly "hypervisor" (Linux's fdt_find_hyper_node compares the whole name
//   at depth 1), so dtc notes "node has a reg or ranges property, but no unit name" for it;
//   "xen,xen-4.19" (Linux needs a version after "xen,xen-"); reg[0] = the grant-table window,
//   0x3800'0000 + 16 MiB (GUEST_GNTTAB_BASE/SIZE in xen/include/public/arch-arm.h; outside RAM);
//   interrupts = the event-channel PPI 15 = INTID 31 (GUEST_EVTCHN_PPI), level-low ("Active-low
//   level-sensitive" in make_hypervisor_node, and Linux's arm/xen.txt binding example).
// - /timer: the four PPIs of the arm,armv8-timer binding in its order (secure 13, non-secure
//   physical 14, virtual 11, hypervisor 10), as QEMU virt describes them to its KVM guests (libxl
//   writes the first three); Linux at EL1 uses the virtual timer (INTID 27) only. `always-on`, as
//   QEMU virt has it: runhv saves and restores the virtual timer with the vCPU and serves
//   CPU_SUSPEND as a standby, so no state a guest can enter loses the timer; without it Linux
//   would flag the timer CLOCK_EVT_FEAT_C3STOP and want a broadcast timer.
// - The UART (only with vpl011, as Xen's dom0less `vpl011` property): Xen's make_vpl011_uart_node
//   node, an SBSA generic UART (Linux's sbsa-uart driver needs `current-speed` and uses 32-bit
//   accesses), its SPI level-high.
// - /chosen: no stdout-path by default (a Xen domU's console is hvc0); bootargs as configured;
//   rng-seed (the devicetree-spec /chosen property; Linux credits it to its crng when the
//   bootloader is trusted, Debian's default, and wipes it from the tree) when runhv has boot
//   entropy (core/guest_seed.hpp). Xen gives its domUs none; QEMU gives its guests one. No
//   kaslr-seed: guest KASLR would force KPTI on CPUs without E0PD, and KPTI is each scenario's
//   explicit choice.
// - /reserved-memory/pv-time@<base> (the name the 2025 Xen PV-time series used): the ARM DEN
//   0057A stolen-time records, 64 bytes per vCPU, `no-map`, no compatible (Linux has no binding
//   for it and needs none: it finds each record with PV_TIME_ST and memremaps it). The default
//   IPA 0x090A'0000 (64 KiB, 1024 vCPUs; core/guest_layout.hpp says why there); the node keeps
//   Linux off the range even if a configuration places it inside RAM.
// - The GICv3 redistributor region is exactly vCPUs x 128 KiB (RD_base + SGI_base frames); GICv2
//   exposes GICD (4 KiB) and an 8 KiB GICC (GICC_DIR sits at 0x1000), as Xen does.
#pragma once

#include "core/fdt_writer.hpp"
#include "core/guest_layout.hpp"
#include "core/types.hpp"

namespace runhv {

enum class GicVersion : u8 { v2 = 2, v3 = 3 };

// The Xen version runhv presents (compatible strings and model).
inline constexpr char kGuestFdtXenCompatible[] = "xen,xen-4.19";
inline constexpr char kGuestFdtXenVmCompatible[] = "xen,xenvm-4.19";
inline constexpr char kGuestFdtModel[] = "XENVM-4.19";
// The GIC's phandle (Xen's GUEST_PHANDLE_GIC).
inline constexpr u32 kGuestFdtGicPhandle = 65000;
// Interrupt specifier flags for PPIs: CPU mask 0xf in bits 15:8, IRQ_TYPE_LEVEL_LOW (8).
inline constexpr u32 kGuestFdtPpiFlags = 0xF08;

// Every address is a guest IPA. Defaults: the guest address map (core/guest_layout.hpp).
struct GuestFdtConfig {
  u32 vcpus = 1;  // 1..4096 (GICv3), 1..8 (GICv2); cpu@ reg = vcpu_affinity(i)

  const char* bootargs = nullptr;     // /chosen/bootargs; none if nullptr
  const char* stdout_path = nullptr;  // /chosen/stdout-path; none if nullptr
  u64 initrd_start = 0;               // /chosen/linux,initrd-start/-end, if initrd_end > initrd_start
  u64 initrd_end = 0;
  const u8* rng_seed = nullptr;  // /chosen/rng-seed (rng_seed_len bytes); none if nullptr
  usize rng_seed_len = 0;

  u64 ram_base = kGuestLayout.ram.base;
  u64 ram_size = 0x800'0000;  // 128 MiB; must not be 0

  GicVersion gic = GicVersion::v3;
  u64 gicd_base = kGuestLayout.gicd.base;
  u64 gicv3_gicd_size = kGuestLayout.gicd.size;  // 64 KiB
  u64 gicr_base = kGuestLayout.gicr.base;        // GICv3: one 128 KiB frame pair per vCPU from here
  u64 gicr_stride = kGuestLayout.gicr_stride;
  u64 gicv2_gicd_size = kGuestLayout.gicv2_gicd.size;  // 4 KiB
  u64 gicc_base = kGuestLayout.gicv2_gicc.base;        // GICv2: the guest's CPU interface (GICV behind it)
  u64 gicc_size = kGuestLayout.gicv2_gicc.size;        // 8 KiB

  u64 grant_table_base = kGuestLayout.grant_table.base;
  u64 grant_table_size = kGuestLayout.grant_table.size;  // 16 MiB = 4096 frames; must not be 0
  u32 evtchn_ppi = kGuestLayout.evtchn_intid - 16;       // PPI number 0..15: 15 = INTID 31

  bool vpl011 = false;                          // the emulated UART (Xen's vpl011) is offered
  u64 uart_base = kGuestLayout.uart.base;       // its 4 KiB frame
  u32 uart_spi = kGuestLayout.uart_intid - 32;  // SPI number: 0 = INTID 32

  bool pv_time = false;                          // the ARM DEN 0057A stolen-time region is offered
  u64 pv_time_base = kGuestLayout.pv_time.base;  // page aligned
  u64 pv_time_size = kGuestLayout.pv_time.size;  // page multiple, at least vcpus x 64 bytes
};

// Writes the tree into `buf` (at most `size` bytes). The result's error is invalid_argument, with
// nothing written, for a configuration it cannot describe: vCPUs out of range; a region that is
// empty or wraps; RAM, the GIC frames and the grant window overlapping; a PV-time region not
// page-aligned, too small for the vCPUs' records or on the GIC or grant window (it may lie in
// RAM); an event-channel PPI above 15 or equal to a timer's; gicr_stride below 128 KiB; an initrd
// outside RAM. The error is overflow if `size` is too small; nothing is written outside the
// buffer either way. Size: about 1.3 KiB plus the bootargs plus about 92 bytes per vCPU.
FdtResult build_guest_fdt(u8* buf, usize size, const GuestFdtConfig& c);

}  // namespace runhv
