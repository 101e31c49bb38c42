// The boot device tree: what the hypervisor reads from the FDT the loader left in memory
// SPDX-License-Identifier: MIT
//
// A thin reader over libfdt (read-only functions only: Debian's libfdt.a uses FP/SIMD registers
// in some of its write functions). Addresses in `reg` are taken as they are: runhv reads only
// nodes that sit directly under the root or under /cpus, so no `ranges` translation is needed.
#pragma once

#include "core/types.hpp"

namespace runhv::dt {

inline constexpr u32 kFdtMagic = 0xD00DFEED;

// True if the big-endian FDT magic is at `address` (which must be 4-byte aligned).
[[nodiscard]] bool has_magic(Pa address);

struct MemoryInfo {
  bool found = false;
  Pa base;       // lowest RAM address
  u64 size = 0;  // total over every /memory node and `reg` entry
};

struct UartInfo {
  bool found = false;
  Pa base;
  u32 intid = 0;  // its interrupt (a GIC SPI in `interrupts`), or 0: none found
};

struct GicInfo {
  u32 version = 0;  // 3 ("arm,gic-v3"), 2 ("arm,cortex-a15-gic", "arm,gic-400"), 0 = none found
  Pa dist;          // GICD
  Pa redist;        // GICv3: the first redistributor region
  u64 redist_size = 0;
};

class DeviceTree {
 public:
  explicit DeviceTree(Pa address) : blob_(reinterpret_cast<const void*>(address.raw())) {}

  // 0 if the header is sound, else a libfdt error code (negative); see error_string().
  [[nodiscard]] int check() const;
  [[nodiscard]] static const char* error_string(int error);
  [[nodiscard]] usize total_size() const;

  // Nodes /cpus/cpu@* (with device_type "cpu" when they carry one).
  [[nodiscard]] usize cpu_count() const;
  // The MPIDR affinity (`reg`) of each /cpus/cpu@* node, in tree order, into out[0..max);
  // returns how many there are (possibly more than max).
  usize cpu_mpidrs(u64* out, usize max) const;
  [[nodiscard]] MemoryInfo memory() const;
  // The interrupt controller: the first enabled node with a GIC compatible under the root.
  [[nodiscard]] GicInfo gic() const;
  // /chosen's property `name` (its bytes and their count in `len`), or nullptr without one.
  [[nodiscard]] const u8* chosen_property(const char* name, usize& len) const;
  // /psci's "method" ("smc" or "hvc"), or nullptr without one.
  [[nodiscard]] const char* psci_method() const;
  // The console UART: /chosen/stdout-path if it names an "arm,pl011", else the first enabled
  // "arm,pl011" node; its interrupt when `interrupts` is one GIC SPI (3 cells: 0, n, flags).
  [[nodiscard]] UartInfo pl011() const;

 private:
  const void* blob_;
};

}  // namespace runhv::dt
