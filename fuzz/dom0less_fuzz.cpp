// libFuzzer target: the dom0less scenario reader (hyp/dom0less.cpp over the host's libfdt)
// SPDX-License-Identifier: MIT
//
// Each input writes a boot device tree (core/fdt_writer) with up to ten /chosen nodes in Xen's
// dom0less binding, each property present or not, well or badly formed, then maybe corrupts
// bytes of the blob. The reader must never crash, and it reports at most one problem, as one
// line naming its node. For a tree that was not corrupted the outcome is worked out here from
// the binding (hyp/dom0less.hpp, Xen's booting.txt) and must match: which domains are accepted,
// what each one says, and which node and property the first problem is about.
#include <fuzzer/FuzzedDataProvider.h>
#include <libfdt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/fdt_writer.hpp"
#include "hyp/dom0less.hpp"

namespace runhv {
namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "dom0less_fuzz: %s\n", what);
  std::abort();
}

// What the binding says about one domain node: accepted with this configuration, or the
// property its first problem is about.
struct Expected {
  std::string name;
  std::string problem;  // a word of the error line; empty when accepted
  dt::DomUConfig config;
  std::string bootargs;
};

struct Generator {
  FuzzedDataProvider& in;
  FdtWriter& w;
  u32 pcpus;

  // A number property of 1 or 2 cells, or of a length the reader refuses; `value` is what a
  // well-formed one says (nullopt-like: `present` false when absent).
  bool number(const char* name, u64 value, bool& present, bool& well_formed) {
    present = in.ConsumeIntegralInRange(0, 5) != 0;
    well_formed = true;
    if (!present) {
      return true;
    }
    switch (in.ConsumeIntegralInRange(0, 4)) {
      case 0:
        w.prop_u64(name, value);
        return true;
      case 1: {
        const u8 junk[3] = {1, 2, 3};
        w.property(name, junk, in.ConsumeIntegralInRange<usize>(0, 3));
        well_formed = false;
        return false;
      }
      default:
        w.prop_u32(name, static_cast<u32>(value));
        return true;
    }
  }

  u64 small_or_any(u64 lo, u64 hi) {
    return in.ConsumeBool() ? in.ConsumeIntegralInRange<u64>(lo, hi) : in.ConsumeIntegral<u32>();
  }

  Expected domain(u32 index) {
    Expected e;
    e.name = "domU" + std::to_string(index);
    w.begin_node(e.name.c_str());
    w.prop_string("compatible", "xen,domain");
    auto fail = [&e](const char* what) {
      if (e.problem.empty()) {
        e.problem = what;
      }
    };
    bool present = false, ok = false;

    const u64 cpus = small_or_any(0, 10);
    number("cpus", cpus, present, ok);
    if (!present || !ok || cpus < 1 || cpus > kMaxVcpusPerDomain) {
      fail("cpus");
    }
    e.config.vcpus = static_cast<u32>(cpus);

    const u64 kib = in.ConsumeBool() ? in.ConsumeIntegralInRange<u64>(0, 64) * 4 : in.ConsumeIntegral<u32>();
    number("memory", kib, present, ok);
    if (!present || !ok || kib == 0 || kib % 4 != 0) {
      fail("memory");
    }
    e.config.memory_bytes = kib * 1024;

    const u64 slice = in.ConsumeBool() ? in.ConsumeIntegralInRange<u64>(40, 2'000'000) : in.ConsumeIntegral<u32>();
    number("runhv,slice-us", slice, present, ok);
    const u64 slice_is = present ? slice : 1000;
    if (!ok || slice_is < 50 || slice_is > 1'000'000) {
      fail("slice-us");
    }
    e.config.slice_us = static_cast<u32>(slice_is);

    const u64 pv = in.ConsumeIntegralInRange<u64>(0, 2);
    number("runhv,pv-time", pv, present, ok);
    if (!ok) {
      fail("pv-time");
    }
    e.config.pv_time = present ? pv != 0 : true;

    e.config.vpl011 = in.ConsumeBool();
    if (e.config.vpl011) {
      w.prop_empty("vpl011");
    }

    // Xen's properties runhv refuses by name, a passthrough device tree among the modules, and
    // xen,enhanced ("enabled", "no-xenstore" or empty: what runhv does anyway).
    const char* const refused[] = {"direct-map",     "xen,static-mem", "xen,shared-mem", "domain-cpupool",
                                   "xen,llc-colors", "capabilities",   "passthrough",    "xen,dom0less-feature"};
    if (in.ConsumeIntegralInRange(0, 11) == 0) {
      const char* name = refused[in.ConsumeIntegralInRange<usize>(0, 7)];
      w.prop_empty(name);
      fail(name);
    }
    const bool device_tree = in.ConsumeIntegralInRange(0, 9) == 0;
    if (device_tree) {
      fail("multiboot,device-tree");
    }
    const char* enhanced[] = {nullptr, "enabled", "no-xenstore", "", "disabled"};
    if (const char* e_value = enhanced[in.ConsumeIntegralInRange(0, 4)]; e_value != nullptr) {
      w.prop_string("xen,enhanced", e_value);
      if (std::strcmp(e_value, "disabled") == 0) {
        fail("xen,enhanced");
      }
    }

    const char* modes[] = {nullptr, "mapped", "legacy", "Mapped", ""};
    const char* mode = modes[in.ConsumeIntegralInRange(0, 4)];
    if (mode != nullptr) {
      w.prop_string("runhv,runstate-mode", mode);
    }
    if (mode != nullptr && std::strcmp(mode, "mapped") != 0 && std::strcmp(mode, "legacy") != 0) {
      fail("runstate-mode");
    }
    e.config.runstate_mode = mode != nullptr && std::strcmp(mode, "legacy") == 0 ? VaPolicy::legacy : VaPolicy::mapped;

    if (in.ConsumeBool()) {
      const u32 count = in.ConsumeBool() && cpus <= 16 ? static_cast<u32>(cpus) : in.ConsumeIntegralInRange<u32>(0, 9);
      std::vector<u32> pins(count);
      bool beyond = false;
      for (u32 i = 0; i < count; ++i) {
        pins[i] = in.ConsumeIntegralInRange<u32>(0, pcpus + 1);
        beyond = beyond || pins[i] >= pcpus;
        if (i < kMaxVcpusPerDomain) {
          e.config.pins[i] = static_cast<u8>(pins[i]);
        }
      }
      w.prop_cells("runhv,vcpu-pins", pins.data(), pins.size());
      if (count != cpus || beyond) {
        fail("vcpu-pins");
      }
      e.config.pinned = true;
    }

    // Modules: the cell counts, then kernel, ramdisk or other children with some `reg`.
    int acells = 2, scells = 1;
    if (in.ConsumeBool()) {
      acells = in.ConsumeIntegralInRange(0, 3);
      w.prop_u32("#address-cells", static_cast<u32>(acells));
    }
    if (in.ConsumeBool()) {
      scells = in.ConsumeIntegralInRange(0, 3);
      w.prop_u32("#size-cells", static_cast<u32>(scells));
    }
    const bool domain_args = in.ConsumeBool();
    if (domain_args) {
      w.prop_string("bootargs", "console=hvc0");
    }
    bool kernel = false, bad_module = false;
    const u32 modules = in.ConsumeIntegralInRange<u32>(0, 3);
    for (u32 m = 0; m < modules; ++m) {
      const u32 kind = in.ConsumeIntegralInRange<u32>(0, 2);  // kernel, ramdisk, other
      w.begin_node(("module@" + std::to_string(m)).c_str());
      const char* const kernel_compat[] = {"multiboot,kernel", "multiboot,module"};
      const char* const ramdisk_compat[] = {"multiboot,ramdisk", "multiboot,module"};
      const char* const other_compat[] = {"multiboot,xsm-policy", "multiboot,module"};
      w.prop_strings("compatible", kind == 0 ? kernel_compat : (kind == 1 ? ramdisk_compat : other_compat));
      const u64 base = in.ConsumeIntegralInRange<u64>(0, 0xFFFF'FFFF) << 12;
      const u64 size =
          in.ConsumeBool() ? in.ConsumeIntegralInRange<u64>(1, 1 << 24) : in.ConsumeIntegralInRange<u64>(0, 1);
      const int cells = in.ConsumeIntegralInRange(0, 5) != 0 ? acells + scells : in.ConsumeIntegralInRange(0, 5);
      std::vector<u32> reg(static_cast<usize>(cells));
      for (int i = 0; i < cells; ++i) {
        // address in the first acells cells, size in the rest (big-endian cell order)
        const bool is_size = i >= acells;
        const int from_end = is_size ? cells - 1 - i : acells - 1 - i;
        const u64 v = is_size ? size : base;
        reg[static_cast<usize>(i)] = from_end < 2 ? static_cast<u32>(v >> (32 * from_end)) : 0;
      }
      const bool reg_written = in.ConsumeIntegralInRange(0, 7) != 0;
      if (reg_written) {
        w.prop_cells("reg", reg.data(), reg.size());
      }
      const bool args = in.ConsumeBool();
      if (args) {
        w.prop_string("bootargs", "root=/dev/ram0");
      }
      w.end_node();
      if (kind == 2) {
        continue;  // not a module the reader looks at
      }
      // What the reader gets from this reg: the cells as the binding reads them.
      const bool readable = acells >= 1 && acells <= 2 && scells >= 1 && scells <= 2 && reg_written &&
                            reg.size() == static_cast<usize>(acells + scells);
      u64 got_base = 0, got_size = 0;
      for (int i = 0; readable && i < acells + scells; ++i) {
        u64& v = i < acells ? got_base : got_size;
        v = (v << 32) | reg[static_cast<usize>(i)];
      }
      if (!bad_module && (!readable || got_size == 0)) {
        bad_module = true;
      }
      dt::Module& mod = kind == 0 ? e.config.kernel : e.config.ramdisk;
      mod.base = Pa(got_base);
      mod.size = got_size;
      if (kind == 0) {
        kernel = true;
        e.bootargs = args ? "root=/dev/ram0" : (domain_args ? "console=hvc0" : "");
      }
    }
    if (device_tree) {
      w.begin_node("passthrough-dtb");
      const char* const dt_compat[] = {"multiboot,device-tree", "multiboot,module"};
      w.prop_strings("compatible", dt_compat);
      w.end_node();
    }
    if (bad_module) {
      fail("reg");
    } else if (!kernel) {
      fail("multiboot,kernel");
    }
    w.end_node();
    return e;
  }
};

// The reader's view of a domain against the binding's.
void compare(const dt::DomUConfig& got, const Expected& want) {
  const dt::DomUConfig& c = want.config;
  if (got.name == nullptr || want.name != got.name) {
    finding("an accepted domain has another name than its node");
  }
  bool same = got.vcpus == c.vcpus && got.memory_bytes == c.memory_bytes && got.slice_us == c.slice_us &&
              got.pv_time == c.pv_time && got.vpl011 == c.vpl011 && got.runstate_mode == c.runstate_mode &&
              got.pinned == c.pinned && got.kernel.base == c.kernel.base && got.kernel.size == c.kernel.size &&
              got.ramdisk.base == c.ramdisk.base && got.ramdisk.size == c.ramdisk.size && want.bootargs == got.bootargs;
  for (u32 i = 0; same && c.pinned && i < c.vcpus; ++i) {
    same = got.pins[i] == c.pins[i];
  }
  if (!same) {
    std::fprintf(stderr, "dom0less_fuzz: %s: vcpus %u/%u memory %llu/%llu slice %u/%u kernel %llx+%llx/%llx+%llx\n",
                 want.name.c_str(), got.vcpus, c.vcpus, static_cast<unsigned long long>(got.memory_bytes),
                 static_cast<unsigned long long>(c.memory_bytes), got.slice_us, c.slice_us,
                 static_cast<unsigned long long>(got.kernel.base.raw()),
                 static_cast<unsigned long long>(got.kernel.size), static_cast<unsigned long long>(c.kernel.base.raw()),
                 static_cast<unsigned long long>(c.kernel.size));
    finding("an accepted domain's configuration differs from what its node says");
  }
}

// Whatever the blob, at most one problem, as one line naming a /chosen node: printable ASCII
// only (a node's name is the blob's, escaped by the reader), and shorter than its buffer (a line
// that fills it was cut, and the problem it was to say may be lost).
void check_error_line(const dt::DomUList& out) {
  if (out.error == nullptr) {
    return;
  }
  const usize n = std::strlen(out.error);
  bool printable = true;
  for (usize i = 0; i < n; ++i) {
    printable = printable && out.error[i] >= 0x20 && out.error[i] < 0x7f;
  }
  if (n == 0 || n + 1 >= sizeof out.error_text || std::strncmp(out.error, "/chosen/", 8) != 0 || !printable) {
    std::fprintf(stderr, "dom0less_fuzz: error line of %zu bytes:", n);
    for (usize i = 0; i < n; ++i) {
      std::fprintf(stderr, " %02x", static_cast<unsigned char>(out.error[i]));
    }
    std::fprintf(stderr, "\n");
    finding("the reader's error is not one line naming a /chosen node");
  }
}

}  // namespace
}  // namespace runhv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace runhv;
  FuzzedDataProvider in(data, size);
  const u32 pcpus = in.ConsumeIntegralInRange<u32>(1, 8);
  std::vector<u8> buf(16 * 1024);
  FdtWriter w(buf.data(), buf.size());
  w.begin_node("");
  w.begin_node("chosen");
  if (in.ConsumeBool()) {
    w.prop_u32("runhv,stats-interval-ms", in.ConsumeIntegral<u32>());
  }
  Generator g{in, w, pcpus};
  std::vector<Expected> want;
  const u32 domains = in.ConsumeIntegralInRange<u32>(0, 10);
  for (u32 i = 0; i < domains; ++i) {
    if (in.ConsumeIntegralInRange(0, 9) == 0) {
      w.begin_node(("other" + std::to_string(i)).c_str());  // not "xen,domain": ignored
      w.prop_string("compatible", "xen,other");
      w.end_node();
      continue;
    }
    want.push_back(g.domain(i));
  }
  w.end_node();
  w.end_node();
  const FdtResult r = w.finish();
  if (!r.ok()) {
    return 0;  // the generator's tree did not fit the buffer
  }
  buf.resize(r.size);
  const usize corruptions = in.ConsumeIntegralInRange<usize>(0, 2) == 0 ? in.ConsumeIntegralInRange<usize>(1, 8) : 0;
  for (usize i = 0; i < corruptions && in.remaining_bytes() > 0; ++i) {
    buf[in.ConsumeIntegralInRange<usize>(0, buf.size() - 1)] = in.ConsumeIntegral<u8>();
  }
  // As the hypervisor: a blob whose header is unsound is refused before the reader sees it (and a
  // header that claims more bytes than there are is the loader's problem, not the reader's).
  if (fdt_check_header(buf.data()) != 0 || fdt_totalsize(buf.data()) > buf.size()) {
    return 0;
  }
  static dt::DomUList out;
  dt::read_domus(buf.data(), pcpus, out);
  check_error_line(out);
  if (out.count > kMaxDomains) {
    finding("more domains than kMaxDomains");
  }
  if (corruptions != 0) {
    return 0;
  }
  // The binding's outcome: domains accepted in order (at most 8), the first problem reported.
  std::string first_problem, first_node;
  usize accepted = 0;
  for (const Expected& e : want) {
    std::string problem = e.problem;
    if (accepted == kMaxDomains) {
      problem = "more than 8";
    }
    if (!problem.empty()) {
      if (first_problem.empty()) {
        first_problem = problem;
        first_node = e.name;
      }
      continue;
    }
    if (accepted >= out.count) {
      finding("a domain the binding accepts was not read");
    }
    compare(out.domains[accepted], e);
    ++accepted;
  }
  if (accepted != out.count) {
    finding("the reader accepted a domain the binding refuses");
  }
  if (first_problem.empty() != (out.error == nullptr)) {
    std::fprintf(stderr, "dom0less_fuzz: error '%s', the binding's problem '%s' (%s)\n",
                 out.error != nullptr ? out.error : "(none)", first_problem.c_str(), first_node.c_str());
    finding("the reader's verdict differs from the binding's");
  }
  if (out.error != nullptr && (std::strstr(out.error, first_problem.c_str()) == nullptr ||
                               std::strncmp(out.error + 8, first_node.c_str(), first_node.size()) != 0 ||
                               out.error[8 + first_node.size()] != ':')) {
    std::fprintf(stderr, "dom0less_fuzz: error '%s', the binding's problem '%s' at %s\n", out.error,
                 first_problem.c_str(), first_node.c_str());
    finding("the reader's error names another node or property than the binding's first problem");
  }
  return 0;
}
