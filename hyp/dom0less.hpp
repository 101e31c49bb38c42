// Domains from the boot device tree, in Xen's dom0less binding
// SPDX-License-Identifier: MIT
//
// Xen's docs/misc/arm/device-tree/booting.txt ("Creating Multiple Domains directly from Xen"):
// each child of /chosen with compatible "xen,domain" is a domain:
//   cpus = <N>;                         number of vCPUs
//   memory = <hi lo>;                   RAM in KiB (64-bit)
//   #address-cells, #size-cells         of the module `reg`s below
//   module@... { compatible = "multiboot,kernel", "multiboot,module"; reg = <addr size>;
//                bootargs = "..."; }    the kernel (an arm64 Image), placed by the loader
//   module@... { compatible = "multiboot,ramdisk", "multiboot,module"; reg = <...>; }
//   vpl011;                             an emulated SBSA UART at 0x22000000, SPI 32
// runhv adds, where Xen has nothing to say:
//   runhv,vcpu-pins = <p0 p1 ...>;      pCPU of each vCPU (absent: the scheduler places them)
//   runhv,slice-us = <1000>;            time slice of the domain's vCPUs
//   runhv,runstate-mode = "mapped";     or "legacy": how VA-registered runstate areas are kept
//   runhv,pv-time = <1>;                offer ARM DEN 0057A stolen time (default 1)
#pragma once

#include "core/limits.hpp"
#include "core/runstate_area.hpp"
#include "core/types.hpp"

namespace runhv::dt {

struct Module {
  Pa base{};
  u64 size = 0;
  [[nodiscard]] bool present() const { return size != 0; }
};

struct DomUConfig {
  const char* name = nullptr;  // node name in the blob, e.g. "domU1"
  u32 vcpus = 1;
  u64 memory_bytes = 0;
  Module kernel;
  Module ramdisk;
  const char* bootargs = "";  // the kernel module's bootargs (the domain node's as fallback)
  bool pinned = false;
  u8 pins[kMaxVcpusPerDomain] = {};
  u32 slice_us = 1000;
  VaPolicy runstate_mode = VaPolicy::mapped;
  bool pv_time = true;
  bool vpl011 = false;  // `vpl011`: the domain gets Xen's emulated UART
};

struct DomUList {
  DomUConfig domains[kMaxDomains];
  usize count = 0;
  // /chosen/runhv,stats-interval-ms: print every vCPU's statistics this often while domains
  // run (0: only at shutdown).
  u32 stats_interval_ms = 0;
  // /chosen/runhv,trace-mib: RAM for the scheduling trace (0: no trace).
  u64 trace_bytes = 0;
  // The first problem met, as "<node>: <what>"; nullptr when the list is sound.
  const char* error = nullptr;
  char error_text[160] = {};
};

// Reads every /chosen/* node compatible "xen,domain" of the flattened tree at `fdt`. Checks what
// can be checked without knowing the machine: cpus in 1..kMaxVcpusPerDomain, memory > 0 and a whole
// number of pages, a kernel module, pins per vCPU, a known runstate mode. `pcpus` bounds pins.
void read_domus(const void* fdt, u32 pcpus, DomUList& out);

}  // namespace runhv::dt
