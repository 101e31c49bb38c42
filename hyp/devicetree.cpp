// The boot device tree: what the hypervisor reads from the FDT the loader left in memory
// SPDX-License-Identifier: MIT
#include "hyp/devicetree.hpp"

#include <libfdt.h>
#include <string.h>

namespace runhv::dt {
namespace {

// Reads a number of `cells` 32-bit big-endian cells (1 or 2 are meaningful).
u64 read_cells(const fdt32_t* p, int cells) {
  u64 value = 0;
  for (int i = 0; i < cells; ++i) {
    value = (value << 32) | fdt32_ld(p + i);
  }
  return value;
}

// #address-cells / #size-cells of `node`, or the DT spec default (2 / 1) when absent. Not
// fdt_address_cells(): its object file also holds fdt_appendprop_addrrange, which drags the
// read-write half of libfdt (FP/SIMD code) into the image.
int cells_property(const void* fdt, int node, const char* name, int absent) {
  int len = 0;
  const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
  if (p == nullptr) {
    return absent;
  }
  if (len != static_cast<int>(sizeof(fdt32_t))) {
    return -1;
  }
  return static_cast<int>(fdt32_ld(p));
}
int address_cells(const void* fdt, int node) { return cells_property(fdt, node, "#address-cells", 2); }
int size_cells(const void* fdt, int node) { return cells_property(fdt, node, "#size-cells", 1); }

bool is_enabled(const void* fdt, int node) {
  int len = 0;
  const auto* status = static_cast<const char*>(fdt_getprop(fdt, node, "status", &len));
  return status == nullptr || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

// The first `reg` address of `node`, using its parent's #address-cells.
bool first_reg_address(const void* fdt, int node, u64& address) {
  const int parent = fdt_parent_offset(fdt, node);
  const int cells = parent < 0 ? 2 : address_cells(fdt, parent);
  int len = 0;
  const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
  if (reg == nullptr || cells < 1 || cells > 2 || len < cells * static_cast<int>(sizeof(fdt32_t))) {
    return false;
  }
  address = read_cells(reg, cells);
  return true;
}

// INTID of `node`'s first interrupt if it is a GIC SPI (<0 n flags>: 32 + n), else 0.
u32 first_spi(const void* fdt, int node) {
  int len = 0;
  const auto* irq = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "interrupts", &len));
  if (irq == nullptr || len < 3 * static_cast<int>(sizeof(fdt32_t)) || fdt32_ld(irq) != 0 || fdt32_ld(irq + 1) >= 988) {
    return 0;
  }
  return 32 + fdt32_ld(irq + 1);
}

}  // namespace

bool has_magic(Pa address) {
  const auto* p = reinterpret_cast<const volatile u32*>(address.raw());
  return __builtin_bswap32(*p) == kFdtMagic;
}

int DeviceTree::check() const { return fdt_check_header(blob_); }

const char* DeviceTree::error_string(int error) { return fdt_strerror(error); }

usize DeviceTree::total_size() const { return fdt_totalsize(blob_); }

usize DeviceTree::cpu_count() const {
  const int cpus = fdt_path_offset(blob_, "/cpus");
  if (cpus < 0) {
    return 0;
  }
  usize count = 0;
  int node = 0;
  fdt_for_each_subnode(node, blob_, cpus) {
    const char* name = fdt_get_name(blob_, node, nullptr);
    if (name == nullptr || strncmp(name, "cpu@", 4) != 0) {
      continue;
    }
    int len = 0;
    const auto* type = static_cast<const char*>(fdt_getprop(blob_, node, "device_type", &len));
    if (type == nullptr || strcmp(type, "cpu") == 0) {
      ++count;
    }
  }
  return count;
}

usize DeviceTree::cpu_mpidrs(u64* out, usize max) const {
  const int cpus = fdt_path_offset(blob_, "/cpus");
  if (cpus < 0) {
    return 0;
  }
  const int cells = address_cells(blob_, cpus);
  usize count = 0;
  int node = 0;
  fdt_for_each_subnode(node, blob_, cpus) {
    const char* name = fdt_get_name(blob_, node, nullptr);
    if (name == nullptr || strncmp(name, "cpu@", 4) != 0) {
      continue;
    }
    int len = 0;
    const auto* type = static_cast<const char*>(fdt_getprop(blob_, node, "device_type", &len));
    if (type != nullptr && strcmp(type, "cpu") != 0) {
      continue;
    }
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, "reg", &len));
    if (count < max) {
      out[count] = (reg != nullptr && cells >= 1 && cells <= 2 && len >= cells * static_cast<int>(sizeof(fdt32_t)))
                       ? read_cells(reg, cells)
                       : ~u64{0};
    }
    ++count;
  }
  return count;
}

GicInfo DeviceTree::gic() const {
  GicInfo info;
  struct Kind {
    const char* compatible;
    u32 version;
  };
  static constexpr Kind kKinds[] = {{"arm,gic-v3", 3}, {"arm,cortex-a15-gic", 2}, {"arm,gic-400", 2}};
  const int ac = address_cells(blob_, 0);
  const int sc = size_cells(blob_, 0);
  if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
    return info;
  }
  for (const Kind& kind : kKinds) {
    for (int node = fdt_node_offset_by_compatible(blob_, -1, kind.compatible); node >= 0;
         node = fdt_node_offset_by_compatible(blob_, node, kind.compatible)) {
      if (!is_enabled(blob_, node) || fdt_parent_offset(blob_, node) != 0) {
        continue;
      }
      int len = 0;
      const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, "reg", &len));
      const int entry = ac + sc;
      if (reg == nullptr || len < 2 * entry * static_cast<int>(sizeof(fdt32_t))) {
        continue;
      }
      info.version = kind.version;
      info.dist = Pa{read_cells(reg, ac)};
      info.redist = Pa{read_cells(reg + entry, ac)};
      info.redist_size = read_cells(reg + entry + ac, sc);
      return info;
    }
  }
  return info;
}

const u8* DeviceTree::chosen_property(const char* name, usize& len) const {
  len = 0;
  const int chosen = fdt_path_offset(blob_, "/chosen");
  int n = 0;
  const void* value = chosen >= 0 ? fdt_getprop(blob_, chosen, name, &n) : nullptr;
  if (value == nullptr || n <= 0) {
    return nullptr;
  }
  len = static_cast<usize>(n);
  return static_cast<const u8*>(value);
}

const char* DeviceTree::psci_method() const {
  const int node = fdt_path_offset(blob_, "/psci");
  if (node < 0) {
    return nullptr;
  }
  int len = 0;
  const auto* method = static_cast<const char*>(fdt_getprop(blob_, node, "method", &len));
  return method != nullptr && len > 0 && strnlen(method, static_cast<usize>(len)) < static_cast<usize>(len) ? method
                                                                                                            : nullptr;
}

MemoryInfo DeviceTree::memory() const {
  MemoryInfo info;
  const int root_address_cells = address_cells(blob_, 0);
  const int root_size_cells = size_cells(blob_, 0);
  if (root_address_cells < 1 || root_address_cells > 2 || root_size_cells < 1 || root_size_cells > 2) {
    return info;
  }
  const int entry_cells = root_address_cells + root_size_cells;
  for (int node = fdt_node_offset_by_prop_value(blob_, -1, "device_type", "memory", 7); node >= 0;
       node = fdt_node_offset_by_prop_value(blob_, node, "device_type", "memory", 7)) {
    if (!is_enabled(blob_, node)) {
      continue;
    }
    int len = 0;
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(blob_, node, "reg", &len));
    if (reg == nullptr || len <= 0) {
      continue;
    }
    const int entries = len / (entry_cells * static_cast<int>(sizeof(fdt32_t)));
    for (int i = 0; i < entries; ++i) {
      const fdt32_t* entry = reg + i * entry_cells;
      const u64 base = read_cells(entry, root_address_cells);
      const u64 size = read_cells(entry + root_address_cells, root_size_cells);
      if (size == 0) {
        continue;
      }
      if (!info.found || base < info.base.raw()) {
        info.base = Pa{base};
      }
      info.size += size;
      info.found = true;
    }
  }
  return info;
}

UartInfo DeviceTree::pl011() const {
  UartInfo info;
  int node = -1;
  const int chosen = fdt_path_offset(blob_, "/chosen");
  if (chosen >= 0) {
    int len = 0;
    const auto* path = static_cast<const char*>(fdt_getprop(blob_, chosen, "stdout-path", &len));
    if (path != nullptr && len > 0) {
      // "path-or-alias[:options]"
      usize name_len = strnlen(path, static_cast<usize>(len));
      if (const auto* colon = static_cast<const char*>(memchr(path, ':', name_len))) {
        name_len = static_cast<usize>(colon - path);
      }
      node = fdt_path_offset_namelen(blob_, path, static_cast<int>(name_len));
      if (node >= 0 && fdt_node_check_compatible(blob_, node, "arm,pl011") != 0) {
        node = -1;
      }
    }
  }
  if (node < 0) {
    for (node = fdt_node_offset_by_compatible(blob_, -1, "arm,pl011"); node >= 0;
         node = fdt_node_offset_by_compatible(blob_, node, "arm,pl011")) {
      if (is_enabled(blob_, node)) {
        break;
      }
    }
  }
  u64 address = 0;
  if (node >= 0 && is_enabled(blob_, node) && first_reg_address(blob_, node, address)) {
    info.found = true;
    info.base = Pa{address};
    info.intid = first_spi(blob_, node);
  }
  return info;
}

}  // namespace runhv::dt
