// Device-tree reading with libfdt's read-only API
// SPDX-License-Identifier: MIT
#include "guests/probe/devicetree.hpp"

#include <libfdt.h>
#include <string.h>

namespace probe {
namespace {

int cells_of(const void* fdt, int node, const char* name, int fallback) {
  int len = 0;
  const auto* prop = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
  return prop != nullptr && len == 4 ? static_cast<int>(fdt32_to_cpu(*prop)) : fallback;
}

u64 read_cells(const fdt32_t* cells, int count) {
  u64 value = 0;
  for (int i = 0; i < count; ++i) {
    value = (value << 32) | fdt32_to_cpu(cells[i]);
  }
  return value;
}

// reg entry `index` of node (address, size) with its parent's #address-cells / #size-cells.
bool reg_entry(const void* fdt, int node, int index, u64& address, u64& size) {
  const int parent = fdt_parent_offset(fdt, node);
  const int ac = cells_of(fdt, parent < 0 ? 0 : parent, "#address-cells", 2);
  const int sc = cells_of(fdt, parent < 0 ? 0 : parent, "#size-cells", 1);
  int len = 0;
  const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
  const int stride = (ac + sc) * 4;
  if (reg == nullptr || stride == 0 || len < stride * (index + 1)) {
    return false;
  }
  reg += (ac + sc) * index;
  address = read_cells(reg, ac);
  size = read_cells(reg + ac, sc);
  return true;
}

bool status_okay(const void* fdt, int node) {
  const char* status = static_cast<const char*>(fdt_getprop(fdt, node, "status", nullptr));
  return status == nullptr || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

int find_compatible(const void* fdt, const char* compatible) {
  int node = fdt_node_offset_by_compatible(fdt, -1, compatible);
  while (node >= 0 && !status_okay(fdt, node)) {
    node = fdt_node_offset_by_compatible(fdt, node, compatible);
  }
  return node;
}

}  // namespace

bool read_device_tree(const void* fdt, Platform& out) {
  if (fdt_check_header(fdt) != 0) {
    return false;
  }
  const int memory = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof "memory");
  if (memory >= 0) {
    reg_entry(fdt, memory, 0, out.mem_base, out.mem_size);
  }

  const int chosen = fdt_path_offset(fdt, "/chosen");
  if (chosen >= 0) {
    const char* args = static_cast<const char*>(fdt_getprop(fdt, chosen, "bootargs", nullptr));
    if (args != nullptr) {
      out.bootargs = args;
    }
  }

  const int cpus = fdt_path_offset(fdt, "/cpus");
  if (cpus >= 0) {
    int node = 0;
    fdt_for_each_subnode(node, fdt, cpus) {
      const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", nullptr));
      if (type != nullptr && strcmp(type, "cpu") == 0) {
        u64 reg = 0;
        u64 unused = 0;
        if (out.cpus < kMaxCpus && reg_entry(fdt, node, 0, reg, unused)) {
          out.cpu_mpidr[out.cpus] = reg;
        }
        ++out.cpus;
      }
    }
  }

  const int hypervisor = fdt_path_offset(fdt, "/hypervisor");
  out.xen = hypervisor >= 0 && fdt_node_check_compatible(fdt, hypervisor, "xen,xen") == 0;

  u64 size = 0;
  const int uart = find_compatible(fdt, "arm,pl011");
  if (uart >= 0) {
    reg_entry(fdt, uart, 0, out.uart_pa, size);
  }
  const int gic = find_compatible(fdt, "arm,gic-v3");
  if (gic >= 0 && reg_entry(fdt, gic, 0, out.gicd_pa, size)) {
    reg_entry(fdt, gic, 1, out.gicr_pa, out.gicr_size);
  }

  const int timer = find_compatible(fdt, "arm,armv8-timer");
  if (timer >= 0) {
    int len = 0;
    const auto* irqs = static_cast<const fdt32_t*>(fdt_getprop(fdt, timer, "interrupts", &len));
    // Entries <type number flags>: secure phys, non-secure phys, virtual, hypervisor.
    if (irqs != nullptr && len >= 9 * 4 && fdt32_to_cpu(irqs[6]) == 1) {
      out.timer_intid = 16 + fdt32_to_cpu(irqs[7]);
    }
  }

  static const char* const kPsci[] = {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"};
  for (const char* compatible : kPsci) {
    const int psci = find_compatible(fdt, compatible);
    if (psci < 0) {
      continue;
    }
    const char* method = static_cast<const char*>(fdt_getprop(fdt, psci, "method", nullptr));
    if (method != nullptr && strcmp(method, "hvc") == 0) {
      out.psci = PsciMethod::hvc;
    } else if (method != nullptr && strcmp(method, "smc") == 0) {
      out.psci = PsciMethod::smc;
    }
    break;
  }
  return true;
}

}  // namespace probe
