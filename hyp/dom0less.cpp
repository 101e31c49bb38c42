// Domains from the boot device tree, in Xen's dom0less binding
// SPDX-License-Identifier: MIT
#include "hyp/dom0less.hpp"

#include <libfdt.h>
#include <string.h>

#include "core/format.hpp"

namespace runhv::dt {
namespace {

u64 read_cells(const fdt32_t* p, int cells) {
  u64 value = 0;
  for (int i = 0; i < cells; ++i) {
    value = (value << 32) | fdt32_ld(p + i);
  }
  return value;
}

// A property of 1 or 2 cells as a number; `fallback` when absent.
bool read_number(const void* fdt, int node, const char* name, u64 fallback, u64& value) {
  int len = 0;
  const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
  if (p == nullptr) {
    value = fallback;
    return true;
  }
  if (len != 4 && len != 8) {
    return false;
  }
  value = read_cells(p, len / 4);
  return true;
}

int cells(const void* fdt, int node, const char* name, int absent) {
  u64 v = 0;
  return read_number(fdt, node, name, static_cast<u64>(absent), v) && v <= 2 ? static_cast<int>(v) : -1;
}

bool compatible(const void* fdt, int node, const char* what) { return fdt_node_check_compatible(fdt, node, what) == 0; }

bool read_module(const void* fdt, int node, int acells, int scells, Module& m) {
  int len = 0;
  const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
  if (reg == nullptr || acells < 1 || scells < 1 || len != (acells + scells) * 4) {
    return false;
  }
  m.base = Pa(read_cells(reg, acells));
  m.size = read_cells(reg + acells, scells);
  return m.size != 0;
}

class Reader {
 public:
  Reader(const void* fdt, u32 pcpus, DomUList& out) : fdt_(fdt), pcpus_(pcpus), out_(out) {}

  void domain(int node) {
    if (out_.count == kMaxDomains) {
      static_assert(kMaxDomains == 64, "the message below");
      fail(node, "more than 64 domains (kMaxDomains, core/limits.hpp)");
      return;
    }
    DomUConfig& d = out_.domains[out_.count];
    d = DomUConfig{};
    d.name = fdt_get_name(fdt_, node, nullptr);
    u64 v = 0;
    if (!read_number(fdt_, node, "cpus", 0, v) || v < 1 || v > kMaxVcpusPerDomain) {
      static_assert(kMaxVcpusPerDomain == 8, "the message below");
      fail(node, "cpus must be 1..8 (kMaxVcpusPerDomain, core/limits.hpp)");
      return;
    }
    d.vcpus = static_cast<u32>(v);
    if (!read_number(fdt_, node, "memory", 0, v) || v == 0 || (v % 4) != 0) {
      fail(node, "memory (KiB) missing or not a whole number of 4 KiB pages");
      return;
    }
    d.memory_bytes = v * 1024;
    if (!read_number(fdt_, node, "runhv,slice-us", 1000, v) || v < 50 || v > 1'000'000) {
      fail(node, "runhv,slice-us must be 50..1000000");
      return;
    }
    d.slice_us = static_cast<u32>(v);
    if (!read_number(fdt_, node, "runhv,pv-time", 1, v)) {
      fail(node, "runhv,pv-time must be one cell");
      return;
    }
    d.pv_time = v != 0;
    d.vpl011 = fdt_getprop(fdt_, node, "vpl011", nullptr) != nullptr;
    if (!supported(node) || !enhanced(node) || !runstate_mode(node, d) || !pins(node, d) || !modules(node, d)) {
      return;
    }
    ++out_.count;
  }

  // The first problem as one line, "/chosen/<node>: <what>". The node's name comes from the
  // blob: printable ASCII is shown as it is, any other byte as \xHH (a newline or a terminal
  // escape in a name must not make the panic two lines or rewrite the console), and at most
  // kNameShown characters of it, "..." after a longer one, so that <what> always fits.
  void fail(int node, const char* what) {
    if (out_.error != nullptr) {
      return;
    }
    static constexpr usize kNameShown = 48;
    static_assert(8 + kNameShown + 3 + 2 + 96 < sizeof out_.error_text, "every <what> below fits after the name");
    char name[kNameShown + 4];
    usize n = 0;
    const char* s = fdt_get_name(fdt_, node, nullptr);
    for (; s != nullptr && *s != '\0'; ++s) {
      const auto c = static_cast<unsigned char>(*s);
      const usize need = c >= 0x20 && c < 0x7f && c != '\\' ? 1 : 4;
      if (n + need > kNameShown) {
        break;
      }
      if (need == 1) {
        name[n++] = static_cast<char>(c);
      } else {
        n += format(name + n, sizeof name - n, "\\x%02x", c);
      }
    }
    if (s != nullptr && *s != '\0') {
      name[n++] = '.';
      name[n++] = '.';
      name[n++] = '.';
    }
    name[n] = '\0';
    format(out_.error_text, sizeof out_.error_text, "/chosen/%s: %s", s == nullptr ? "(unreadable name)" : name, what);
    out_.error = out_.error_text;
  }

 private:
  bool runstate_mode(int node, DomUConfig& d) {
    const auto* mode = static_cast<const char*>(fdt_getprop(fdt_, node, "runhv,runstate-mode", nullptr));
    if (mode == nullptr || strcmp(mode, "mapped") == 0) {
      d.runstate_mode = VaPolicy::mapped;
    } else if (strcmp(mode, "legacy") == 0) {
      d.runstate_mode = VaPolicy::legacy;
    } else {
      fail(node, "runhv,runstate-mode must be \"mapped\" or \"legacy\"");
      return false;
    }
    return true;
  }

  bool pins(int node, DomUConfig& d) {
    int len = 0;
    const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt_, node, "runhv,vcpu-pins", &len));
    if (p == nullptr) {
      return true;
    }
    if (len != static_cast<int>(d.vcpus * 4)) {
      fail(node, "runhv,vcpu-pins needs one cell per vCPU");
      return false;
    }
    for (u32 i = 0; i < d.vcpus; ++i) {
      const u32 pcpu = fdt32_ld(p + i);
      if (pcpu >= pcpus_) {
        fail(node, "runhv,vcpu-pins names a pCPU the machine does not have");
        return false;
      }
      d.pins[i] = static_cast<u8>(pcpu);
    }
    d.pinned = true;
    return true;
  }

  // Xen's binding (docs/misc/arm/device-tree/booting.txt) has properties runhv does not
  // implement: refused by name rather than silently ignored.
  bool supported(int node) {
    static constexpr const char* kRefused[] = {"direct-map",     "xen,static-mem",      "xen,shared-mem",
                                               "domain-cpupool", "xen,llc-colors",      "capabilities",
                                               "passthrough",    "xen,dom0less-feature"};
    for (const char* name : kRefused) {
      if (fdt_getprop(fdt_, node, name, nullptr) != nullptr) {
        char what[96];
        format(what, sizeof what, "%s is not supported by runhv", name);
        fail(node, what);
        return false;
      }
    }
    int child = 0;
    fdt_for_each_subnode(child, fdt_, node) {
      if (compatible(fdt_, child, "multiboot,device-tree")) {
        fail(node, "a multiboot,device-tree module (device passthrough) is not supported by runhv");
        return false;
      }
    }
    return true;
  }

  // xen,enhanced: runhv gives every domain Xen's PV interfaces (hypervisor node, grant table,
  // event channels) and has no xenstore, so "enabled", "no-xenstore" and the empty value all
  // mean what runhv does anyway; any other value is refused.
  bool enhanced(int node) {
    int len = 0;
    const auto* v = static_cast<const char*>(fdt_getprop(fdt_, node, "xen,enhanced", &len));
    if (v == nullptr || len <= 1 || strcmp(v, "enabled") == 0 || strcmp(v, "no-xenstore") == 0) {
      return true;
    }
    fail(node, "xen,enhanced must be \"enabled\", \"no-xenstore\" or empty");
    return false;
  }

  bool modules(int node, DomUConfig& d) {
    const int acells = cells(fdt_, node, "#address-cells", 2);
    const int scells = cells(fdt_, node, "#size-cells", 1);
    const auto* domain_args = static_cast<const char*>(fdt_getprop(fdt_, node, "bootargs", nullptr));
    int child = 0;
    fdt_for_each_subnode(child, fdt_, node) {
      Module* m = nullptr;
      if (compatible(fdt_, child, "multiboot,kernel")) {
        m = &d.kernel;
        const auto* args = static_cast<const char*>(fdt_getprop(fdt_, child, "bootargs", nullptr));
        d.bootargs = args != nullptr ? args : (domain_args != nullptr ? domain_args : "");
      } else if (compatible(fdt_, child, "multiboot,ramdisk")) {
        m = &d.ramdisk;
      } else {
        continue;  // e.g. a partial device tree: not supported, ignored
      }
      if (!read_module(fdt_, child, acells, scells, *m)) {
        fail(node, "a module's reg does not match #address-cells/#size-cells or is empty");
        return false;
      }
    }
    if (!d.kernel.present()) {
      fail(node, "no \"multiboot,kernel\" module");
      return false;
    }
    return true;
  }

  const void* fdt_;
  u32 pcpus_;
  DomUList& out_;
};

}  // namespace

void read_domus(const void* fdt, u32 pcpus, DomUList& out) {
  out.count = 0;
  out.error = nullptr;
  const int chosen = fdt_path_offset(fdt, "/chosen");
  if (chosen < 0) {
    return;
  }
  u64 interval = 0;
  if (read_number(fdt, chosen, "runhv,stats-interval-ms", 0, interval) && interval <= 60'000) {
    out.stats_interval_ms = static_cast<u32>(interval);
  }
  u64 trace_mib = 0;
  if (read_number(fdt, chosen, "runhv,trace-mib", 0, trace_mib) && trace_mib <= 256) {
    out.trace_bytes = trace_mib << 20;
  }
  Reader reader(fdt, pcpus, out);
  int node = 0;
  fdt_for_each_subnode(node, fdt, chosen) {
    if (compatible(fdt, node, "xen,domain")) {
      reader.domain(node);
    }
  }
}

}  // namespace runhv::dt
