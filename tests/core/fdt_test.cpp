// The flattened-device-tree writer and the guest device tree, checked byte by byte and by dtc
// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/fdt_writer.hpp"
#include "core/guest_fdt.hpp"
#include "core/psci.hpp"

namespace runhv {
namespace {

using Bytes = std::vector<u8>;

u32 be32(const u8* p) { return (u32{p[0]} << 24) | (u32{p[1]} << 16) | (u32{p[2]} << 8) | u32{p[3]}; }
u64 be64(const u8* p) { return (u64{be32(p)} << 32) | be32(p + 4); }

// ---- An independent reader of the blobs, for the writer's own tests

struct Header {
  u32 magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version, last_comp_version, boot_cpuid_phys,
      size_dt_strings, size_dt_struct;
};

Header header(const Bytes& b) {
  const u8* p = b.data();
  return {be32(p),      be32(p + 4),  be32(p + 8),  be32(p + 12), be32(p + 16),
          be32(p + 20), be32(p + 24), be32(p + 28), be32(p + 32), be32(p + 36)};
}

// One event of the structure block: "begin name", "prop name", "end"; props carry their value.
struct Event {
  std::string kind;
  std::string name;
  Bytes value;
  u32 offset;  // of the token, in the blob
  bool operator==(const Event&) const = default;
};

// Walks the structure block, checking what the format requires as it goes.
std::vector<Event> walk(const Bytes& b) {
  const Header h = header(b);
  std::vector<Event> events;
  u32 at = h.off_dt_struct;
  const u32 end = h.off_dt_struct + h.size_dt_struct;
  auto name_at = [&](u32 off) {
    EXPECT_LT(off, h.size_dt_strings);
    return std::string(reinterpret_cast<const char*>(b.data() + h.off_dt_strings + off));
  };
  while (at < end) {
    EXPECT_EQ(0U, at % 4) << "token not 4-byte aligned";
    const u32 token = be32(b.data() + at);
    const u32 token_at = at;
    at += 4;
    if (token == fdt::kTokenBeginNode) {
      std::string name(reinterpret_cast<const char*>(b.data() + at));
      at += static_cast<u32>(name.size()) + 1;
      for (; at % 4 != 0; ++at) {
        EXPECT_EQ(0, b[at]) << "padding after node name " << name;
      }
      events.push_back({"begin", name, {}, token_at});
    } else if (token == fdt::kTokenProp) {
      const u32 len = be32(b.data() + at);
      const u32 nameoff = be32(b.data() + at + 4);
      at += 8;
      Bytes value(b.begin() + at, b.begin() + at + len);
      at += len;
      for (; at % 4 != 0; ++at) {
        EXPECT_EQ(0, b[at]) << "padding after value of " << name_at(nameoff);
      }
      events.push_back({"prop", name_at(nameoff), value, token_at});
    } else if (token == fdt::kTokenEndNode) {
      events.push_back({"end", "", {}, token_at});
    } else if (token == fdt::kTokenEnd) {
      events.push_back({"END", "", {}, token_at});
      EXPECT_EQ(end, at) << "FDT_END is not the last token";
    } else {
      ADD_FAILURE() << "unknown token " << token << " at " << token_at;
      break;
    }
  }
  return events;
}

Bytes u32s(std::initializer_list<u32> cells) {
  Bytes out;
  for (const u32 c : cells) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<u8>(c >> shift));
    }
  }
  return out;
}

Bytes str(const std::string& s) {
  Bytes out(s.begin(), s.end());
  out.push_back(0);
  return out;
}

Event begin(const std::string& n) { return {"begin", n, {}, 0}; }
Event prop(const std::string& n, Bytes v) { return {"prop", n, std::move(v), 0}; }
Event end() { return {"end", "", {}, 0}; }

std::vector<Event> without_offsets(std::vector<Event> events) {
  for (Event& e : events) {
    e.offset = 0;
  }
  return events;
}

// ---- The writer

TEST(FdtWriter, HeaderReservationsAndBlocksAreLaidOutAsVersion17) {
  u8 buf[512];
  FdtWriter w(buf, sizeof buf);
  w.add_reservation(0x1122'3344'5566'7788, 0x1000);
  w.add_reservation(0x8000'0000, 0x20'0000);
  w.begin_node("");
  w.prop_u32("a", 0x1234'5678);
  w.begin_node("node-5");  // 7 bytes with the NUL: padded to 8
  w.property("odd", "\x01\x02\x03\x04\x05", 5);
  w.end_node();
  w.end_node();
  const FdtResult r = w.finish();
  ASSERT_TRUE(r.ok()) << fdt_error_name(r.error);
  const Bytes b(buf, buf + r.size);
  const Header h = header(b);

  EXPECT_EQ(0xD00DFEEDU, h.magic);
  EXPECT_EQ(17U, h.version);
  EXPECT_EQ(16U, h.last_comp_version);
  EXPECT_EQ(0U, h.boot_cpuid_phys);
  EXPECT_EQ(r.size, h.totalsize);
  EXPECT_EQ(40U, h.off_mem_rsvmap);
  EXPECT_EQ(0U, h.off_mem_rsvmap % 8);
  // Two entries and the terminator.
  EXPECT_EQ(0x1122'3344'5566'7788U, be64(buf + 40));
  EXPECT_EQ(0x1000U, be64(buf + 48));
  EXPECT_EQ(0x8000'0000U, be64(buf + 56));
  EXPECT_EQ(0x20'0000U, be64(buf + 64));
  EXPECT_EQ(0U, be64(buf + 72));
  EXPECT_EQ(0U, be64(buf + 80));
  EXPECT_EQ(88U, h.off_dt_struct);
  EXPECT_EQ(h.off_dt_struct + h.size_dt_struct, h.off_dt_strings);
  EXPECT_EQ(h.off_dt_strings + h.size_dt_strings, h.totalsize);
  EXPECT_EQ(0U, h.off_dt_struct % 4);
  EXPECT_EQ(0U, h.off_dt_strings % 4);  // not required, but the structure block ends aligned

  // The structure block, word by word: the root's empty name is one NUL padded to 4 bytes.
  const u8* s = buf + h.off_dt_struct;
  EXPECT_EQ(fdt::kTokenBeginNode, be32(s));
  EXPECT_EQ(0U, be32(s + 4));
  EXPECT_EQ(fdt::kTokenProp, be32(s + 8));
  EXPECT_EQ(4U, be32(s + 12));
  EXPECT_EQ(0x1234'5678U, be32(s + 20));
  EXPECT_EQ(fdt::kTokenBeginNode, be32(s + 24));
  EXPECT_EQ(0, std::string(reinterpret_cast<const char*>(s + 28)).compare("node-5"));
  EXPECT_EQ(0, s[35]);
  EXPECT_EQ(fdt::kTokenProp, be32(s + 36));
  EXPECT_EQ(5U, be32(s + 40));
  EXPECT_EQ(u32s({0x0102'0304, 0x0500'0000}), Bytes(s + 48, s + 56));  // value, zero padded
  EXPECT_EQ(fdt::kTokenEndNode, be32(s + 56));
  EXPECT_EQ(fdt::kTokenEndNode, be32(s + 60));
  EXPECT_EQ(fdt::kTokenEnd, be32(s + 64));
  EXPECT_EQ(68U, h.size_dt_struct);
  EXPECT_EQ(6U, h.size_dt_strings);  // "a\0" and "odd\0"

  const std::vector<Event> expected = {
      begin(""),         prop("a", u32s({0x1234'5678})), begin("node-5"), prop("odd", {1, 2, 3, 4, 5}), end(), end(),
      {"END", "", {}, 0}};
  EXPECT_EQ(expected, without_offsets(walk(b)));
}

TEST(FdtWriter, TypedHelpersEncodeBigEndian) {
  u8 buf[1024];
  FdtWriter w(buf, sizeof buf);
  w.begin_node("");
  w.prop_empty("flag");
  w.prop_u64("big", 0x0102'0304'0506'0708);
  const u32 cells[] = {1, 0xFFFF'FFFE, 3};
  w.prop_cells("cells", cells);
  const u64 pairs[] = {0x4000'0000, 0x10'0000'0000};
  w.prop_u64s("pairs", pairs);
  w.prop_string("s", "hello");
  w.prop_string("empty-string", "");
  const char* const list[] = {"xen,xen-4.19", "xen,xen"};
  w.prop_strings("list", list);
  w.prop_reg(0x0800'0000, 0x1'0000);
  w.end_node();
  const FdtResult r = w.finish();
  ASSERT_TRUE(r.ok()) << fdt_error_name(r.error);

  const std::vector<Event> expected = {begin(""),
                                       prop("flag", {}),
                                       prop("big", {1, 2, 3, 4, 5, 6, 7, 8}),
                                       prop("cells", u32s({1, 0xFFFF'FFFE, 3})),
                                       prop("pairs", u32s({0, 0x4000'0000, 0x10, 0})),
                                       prop("s", str("hello")),
                                       prop("empty-string", {0}),
                                       prop("list", Bytes{'x', 'e', 'n', ',', 'x', 'e', 'n', '-', '4', '.', '1',
                                                          '9', 0,   'x', 'e', 'n', ',', 'x', 'e', 'n', 0}),
                                       prop("reg", u32s({0, 0x0800'0000, 0, 0x1'0000})),
                                       end(),
                                       {"END", "", {}, 0}};
  EXPECT_EQ(expected, without_offsets(walk(Bytes(buf, buf + r.size))));
}

TEST(FdtWriter, EachPropertyNameIsStoredOnceInTheStringsBlock) {
  u8 buf[4096];
  FdtWriter w(buf, sizeof buf);
  w.begin_node("");
  for (int i = 0; i < 10; ++i) {
    const std::string name = "n@" + std::to_string(i);
    w.begin_node(name.c_str());
    w.prop_string("compatible", "x");
    w.prop_reg(static_cast<u64>(i), 1);
    w.prop_empty("status-ok");
    w.end_node();
  }
  w.prop_u32("reg-names", 1);  // shares a prefix with "reg" but is a different name
  w.end_node();
  const FdtResult r = w.finish();
  ASSERT_TRUE(r.ok()) << fdt_error_name(r.error);
  const Bytes b(buf, buf + r.size);
  const Header h = header(b);

  // "compatible\0" "reg\0" "status-ok\0" "reg-names\0"
  EXPECT_EQ(11U + 4 + 10 + 10, h.size_dt_strings);
  std::map<std::string, int> seen;
  const char* strings = reinterpret_cast<const char*>(b.data() + h.off_dt_strings);
  for (u32 at = 0; at < h.size_dt_strings;) {
    const std::string name(strings + at);
    ++seen[name];
    at += static_cast<u32>(name.size()) + 1;
  }
  const std::map<std::string, int> once = {{"compatible", 1}, {"reg", 1}, {"status-ok", 1}, {"reg-names", 1}};
  EXPECT_EQ(once, seen);

  // Every "reg" property points at the same name offset, and it reads back as "reg".
  std::map<std::string, std::set<u32>> offsets;
  const std::vector<Event> events = walk(b);
  for (const Event& e : events) {
    if (e.kind == "prop") {
      offsets[e.name].insert(be32(b.data() + e.offset + 8));
    }
  }
  EXPECT_EQ(1U, offsets["reg"].size());
  EXPECT_EQ(1U, offsets["compatible"].size());
  EXPECT_EQ(10, std::count_if(events.begin(), events.end(), [](const Event& e) { return e.name == "reg"; }));
}

// A tree exercising every call, as a list of steps so a test can look between them.
std::vector<std::function<void(FdtWriter&)>> sample_steps() {
  return {
      [](FdtWriter& w) { w.add_reservation(0x4800'0000, 0x1000); },
      [](FdtWriter& w) { w.begin_node(""); },
      [](FdtWriter& w) { w.prop_u32("#address-cells", 2); },
      [](FdtWriter& w) { w.prop_u32("#size-cells", 2); },
      [](FdtWriter& w) { w.prop_string("model", "overflow sample"); },
      [](FdtWriter& w) { w.begin_node("chosen"); },
      [](FdtWriter& w) { w.prop_string("bootargs", "console=hvc0 earlycon=xenboot kpti=1 loglevel=8"); },
      [](FdtWriter& w) { w.end_node(); },
      [](FdtWriter& w) { w.begin_node("memory@40000000"); },
      [](FdtWriter& w) { w.prop_string("device_type", "memory"); },
      [](FdtWriter& w) { w.prop_reg(0x4000'0000, 0x800'0000); },
      [](FdtWriter& w) { w.end_node(); },
      [](FdtWriter& w) { w.begin_node("hypervisor"); },
      [](FdtWriter& w) {
        const char* const compatible[] = {"xen,xen-4.19", "xen,xen"};
        w.prop_strings("compatible", compatible);
      },
      [](FdtWriter& w) {
        const u32 irq[] = {1, 15, 0xF08};
        w.prop_cells("interrupts", irq);
      },
      [](FdtWriter& w) { w.prop_u64("big", 7); },
      [](FdtWriter& w) { w.prop_empty("dma-coherent"); },
      [](FdtWriter& w) { w.property("raw", "\x01\x02\x03", 3); },
      [](FdtWriter& w) { w.end_node(); },
      [](FdtWriter& w) { w.end_node(); },
  };
}

constexpr usize kGuard = 64;
constexpr u8 kGuardByte = 0xA5;

bool guards_intact(const Bytes& mem, usize size) {
  for (usize i = 0; i < kGuard; ++i) {
    if (mem[i] != kGuardByte || mem[kGuard + size + i] != kGuardByte) {
      return false;
    }
  }
  return true;
}

TEST(FdtWriter, OverflowNeverWritesOutsideTheBufferAndLaterCallsChangeNothing) {
  Bytes reference(4096);
  usize full = 0;
  {
    FdtWriter w(reference.data(), reference.size());
    for (const auto& step : sample_steps()) {
      step(w);
    }
    const FdtResult r = w.finish();
    ASSERT_TRUE(r.ok());
    full = r.size;
  }

  for (usize size = 0; size <= full + 16; ++size) {
    SCOPED_TRACE("buffer size " + std::to_string(size));
    Bytes mem(kGuard + size + kGuard, kGuardByte);
    u8* buf = mem.data() + kGuard;
    FdtWriter w(buf, size);
    Bytes at_error;
    for (const auto& step : sample_steps()) {
      const Bytes before(mem.begin(), mem.end());  // mem changes through buf
      step(w);
      if (w.error() != FdtError::none && at_error.empty()) {
        EXPECT_EQ(before, mem) << "the call that overflowed wrote something";
        at_error = mem;
      }
    }
    const FdtResult r = w.finish();
    ASSERT_TRUE(guards_intact(mem, size));
    if (size < full) {
      EXPECT_EQ(FdtError::overflow, r.error);
      EXPECT_EQ(0U, r.size);
      if (!at_error.empty()) {  // else finish() itself overflowed, writing nothing
        EXPECT_EQ(at_error, mem) << "a call after the overflow changed the buffer";
      }
    } else {
      ASSERT_TRUE(r.ok()) << fdt_error_name(r.error);
      EXPECT_EQ(full, r.size);
      EXPECT_TRUE(std::equal(buf, buf + full, reference.data()));
      // Past the blob: untouched, or the writer's leftovers zeroed.
      for (usize i = full; i < size; ++i) {
        EXPECT_TRUE(buf[i] == kGuardByte || buf[i] == 0) << "byte " << i;
      }
    }
  }
}

TEST(FdtWriter, ANullBufferIsAnOverflow) {
  FdtWriter w(nullptr, 4096);
  w.begin_node("");
  w.end_node();
  EXPECT_EQ(FdtError::overflow, w.finish().error);
}

FdtError finish_after(const std::function<void(FdtWriter&)>& calls) {
  u8 buf[1024];
  FdtWriter w(buf, sizeof buf);
  calls(w);
  return w.finish().error;
}

TEST(FdtWriter, UnbalancedNodesAreReported) {
  EXPECT_EQ(FdtError::unbalanced, finish_after([](FdtWriter& w) { w.begin_node(""); }));
  EXPECT_EQ(FdtError::unbalanced, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.begin_node("a");
              w.end_node();
            }));
  EXPECT_EQ(FdtError::unbalanced, finish_after([](FdtWriter& w) { w.end_node(); }));
  EXPECT_EQ(FdtError::unbalanced, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.end_node();
              w.end_node();
            }));
  EXPECT_EQ(FdtError::none, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.begin_node("a");
              w.begin_node("b");
              w.end_node();
              w.end_node();
              w.end_node();
            }));
}

TEST(FdtWriter, CallsOutOfOrderAreMisplaced) {
  EXPECT_EQ(FdtError::misplaced, finish_after([](FdtWriter&) {}));  // no root
  EXPECT_EQ(FdtError::misplaced, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.end_node();
              w.begin_node("");  // a second root
              w.end_node();
            }));
  EXPECT_EQ(FdtError::misplaced, finish_after([](FdtWriter& w) {
              w.prop_u32("early", 1);  // before the root
              w.begin_node("");
              w.end_node();
            }));
  EXPECT_EQ(FdtError::misplaced, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.add_reservation(0, 0x1000);  // after the structure started
              w.end_node();
            }));
  EXPECT_EQ(FdtError::misplaced, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.end_node();
              w.prop_u32("late", 1);  // after the root closed
            }));
}

TEST(FdtWriter, BadArgumentsAreRefused) {
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) { w.begin_node("named-root"); }));
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) { w.begin_node(nullptr); }));
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.begin_node("");
            }));
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.prop_u32(nullptr, 1);
            }));
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.prop_u32("", 1);
            }));
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) {
              w.begin_node("");
              w.property("p", nullptr, 4);
            }));
  EXPECT_EQ(FdtError::invalid_argument, finish_after([](FdtWriter& w) {
              w.begin_node("");
              const char* const list[] = {"a", nullptr};
              w.prop_strings("p", list);
            }));
}

TEST(FdtWriter, TheFirstErrorIsKeptAndFinishIsFinal) {
  u8 buf[256];
  FdtWriter w(buf, sizeof buf);
  w.end_node();  // unbalanced
  w.begin_node("");
  w.prop_u32(nullptr, 1);  // would be invalid_argument
  w.end_node();
  EXPECT_EQ(FdtError::unbalanced, w.finish().error);

  u8 ok[256];
  FdtWriter done(ok, sizeof ok);
  done.begin_node("");
  done.end_node();
  const FdtResult r = done.finish();
  ASSERT_TRUE(r.ok());
  const Bytes blob(ok, ok + sizeof ok);
  done.begin_node("more");
  EXPECT_EQ(FdtError::misplaced, done.error());
  EXPECT_EQ(FdtError::misplaced, done.finish().error);
  EXPECT_EQ(blob, Bytes(ok, ok + sizeof ok)) << "a call after finish() changed the blob";
}

// ---- dtc and fdtget

struct Command {
  int status = -1;  // exit status; 127: not found
  std::string out;
  std::string err;
};

Command run(const std::string& command) {
  static int counter = 0;
  const std::string err_path =
      testing::TempDir() + "fdt_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".err";
  Command c;
  FILE* pipe = popen((command + " 2>" + err_path).c_str(), "r");
  if (pipe == nullptr) {
    return c;
  }
  char chunk[4096];
  usize n = 0;
  while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0) {
    c.out.append(chunk, n);
  }
  const int status = pclose(pipe);
  c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  c.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  std::remove(err_path.c_str());
  return c;
}

// A blob in a temporary file for the lifetime of the object.
class BlobFile {
 public:
  explicit BlobFile(const Bytes& blob) {
    static int counter = 0;
    path_ = testing::TempDir() + "fdt_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".dtb";
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
  }
  ~BlobFile() { std::remove(path_.c_str()); }
  BlobFile(const BlobFile&) = delete;
  BlobFile& operator=(const BlobFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Node path -> property name -> value in one canonical spelling: cells as <0x1 0x2>, strings as
// "a", "b" (dtc writes a string list from a DTB as "a\0b"), boolean properties as "".
using Props = std::map<std::string, std::string>;
using Tree = std::map<std::string, Props>;

std::string canonical_value(const std::string& v) {
  std::vector<std::string> strings;
  std::vector<std::string> cells;
  std::string other;
  for (usize i = 0; i < v.size();) {
    if (v[i] == '"') {
      std::string current;
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
          if (v[i + 1] == '0') {
            strings.push_back(current);
            current.clear();
          } else {
            current += v.substr(i, 2);
          }
          ++i;
        } else {
          current += v[i];
        }
      }
      strings.push_back(current);
      ++i;
    } else if (v[i] == '<') {
      const usize close = v.find('>', i);
      std::istringstream in(v.substr(i + 1, close - i - 1));
      std::string cell;
      while (in >> cell) {
        std::ostringstream hex;
        hex << "0x" << std::hex << std::stoull(cell, nullptr, 0);
        cells.push_back(hex.str());
      }
      i = close + 1;
    } else if (v[i] == ' ' || v[i] == ',') {
      ++i;
    } else {
      other += v[i++];
    }
  }
  std::string out;
  for (const std::string& s : strings) {
    out += (out.empty() ? "\"" : ", \"") + s + "\"";
  }
  if (!cells.empty()) {
    out += out.empty() ? "<" : ", <";
    for (usize i = 0; i < cells.size(); ++i) {
      out += (i == 0 ? "" : " ") + cells[i];
    }
    out += ">";
  }
  return out + other;
}

Tree parse_dts(const std::string& dts) {
  Tree tree;
  std::vector<std::string> path;
  std::istringstream in(dts);
  std::string line;
  auto joined = [&] {
    std::string p;
    for (usize i = 1; i < path.size(); ++i) {
      p += "/" + path[i];
    }
    return p.empty() ? std::string("/") : p;
  };
  while (std::getline(in, line)) {
    const usize first = line.find_first_not_of(" \t");
    if (first == std::string::npos) {
      continue;
    }
    line = line.substr(first);
    if (line == "/dts-v1/;") {
      continue;
    }
    if (line.size() >= 2 && line.compare(line.size() - 2, 2, " {") == 0) {
      path.push_back(line.substr(0, line.size() - 2));
      tree[joined()];
    } else if (line == "};") {
      path.pop_back();
    } else if (line.back() == ';') {
      const usize eq = line.find(" = ");
      if (eq == std::string::npos) {
        tree[joined()][line.substr(0, line.size() - 1)] = "";
      } else {
        tree[joined()][line.substr(0, eq)] = canonical_value(line.substr(eq + 3, line.size() - eq - 4));
      }
    } else {
      ADD_FAILURE() << "unexpected dts line: " << line;
    }
  }
  return tree;
}

struct Decompiled {
  bool ran = false;
  Tree tree;
  std::vector<std::string> warnings;  // dtc's warning and error lines
};

Decompiled decompile(const Bytes& blob) {
  Decompiled d;
  const BlobFile file(blob);
  const Command c = run("dtc -I dtb -O dts " + file.path());
  if (c.status == 127) {
    ADD_FAILURE() << "dtc not found: install device-tree-compiler (apt-get install device-tree-compiler)";
    return d;
  }
  if (c.status != 0) {
    ADD_FAILURE() << "dtc failed with status " << c.status << ":\n" << c.err;
    return d;
  }
  d.ran = true;
  d.tree = parse_dts(c.out);
  std::istringstream err(c.err);
  std::string line;
  while (std::getline(err, line)) {
    if (!line.empty()) {
      d.warnings.push_back(line);
    }
  }
  return d;
}

// The one warning dtc gives on every guest tree: /hypervisor has `reg` but no unit address. Linux
// finds the node by its exact name "hypervisor" (arch/arm/xen/enlighten.c fdt_find_hyper_node),
// so it must stay without one, as in every Xen guest's tree.
void expect_only_the_hypervisor_warning(const std::vector<std::string>& warnings) {
  ASSERT_EQ(1U, warnings.size()) << testing::PrintToString(warnings);
  EXPECT_NE(std::string::npos, warnings[0].find("(unit_address_vs_reg): /hypervisor: node has a reg or ranges"))
      << warnings[0];
}

Bytes guest_blob(const GuestFdtConfig& c) {
  Bytes buf(usize{64} * 1024);
  const FdtResult r = build_guest_fdt(buf.data(), buf.size(), c);
  EXPECT_TRUE(r.ok()) << fdt_error_name(r.error);
  buf.resize(r.size);
  return buf;
}

const Props kRoot = {
    {"#address-cells", "<0x2>"},      {"#size-cells", "<0x2>"},
    {"model", R"("XENVM-4.19")"},     {"compatible", R"("xen,xenvm-4.19", "xen,xenvm")"},
    {"interrupt-parent", "<0xfde8>"},
};
const Props kCpus = {{"#address-cells", "<0x1>"}, {"#size-cells", "<0x0>"}};
Props cpu(const std::string& reg) {
  return {{"device_type", R"("cpu")"}, {"compatible", R"("arm,armv8")"}, {"enable-method", R"("psci")"}, {"reg", reg}};
}
const Props kPsci = {{"compatible", R"("arm,psci-1.0", "arm,psci-0.2")"}, {"method", R"("hvc")"}};
const Props kTimer = {
    {"compatible", R"("arm,armv8-timer")"},
    {"interrupts", "<0x1 0xd 0xf08 0x1 0xe 0xf08 0x1 0xb 0xf08 0x1 0xa 0xf08>"},
    {"interrupt-parent", "<0xfde8>"},
    {"always-on", ""},
};
const Props kHypervisor = {
    {"compatible", R"("xen,xen-4.19", "xen,xen")"},
    {"reg", "<0x0 0x38000000 0x0 0x1000000>"},
    {"interrupts", "<0x1 0xf 0xf08>"},
    {"interrupt-parent", "<0xfde8>"},
};

TEST(GuestFdt, TwoVcpusGicV3WithPvTimeDecompilesToExactlyTheExpectedTree) {
  GuestFdtConfig c;
  c.vcpus = 2;
  c.gic = GicVersion::v3;
  c.pv_time = true;
  c.ram_size = 0x1000'0000;
  c.bootargs = "console=hvc0 kpti=1";
  const Decompiled d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);

  const Tree expected = {
      {"/", kRoot},
      {"/chosen", {{"bootargs", R"("console=hvc0 kpti=1")"}}},
      {"/cpus", kCpus},
      {"/cpus/cpu@0", cpu("<0x0>")},
      {"/cpus/cpu@1", cpu("<0x1>")},
      {"/psci", kPsci},
      {"/memory@40000000", {{"device_type", R"("memory")"}, {"reg", "<0x0 0x40000000 0x0 0x10000000>"}}},
      {"/interrupt-controller@3001000",
       {{"compatible", R"("arm,gic-v3")"},
        {"#interrupt-cells", "<0x3>"},
        {"#address-cells", "<0x0>"},
        {"interrupt-controller", ""},
        // GICD 64 KiB; GICR 2 x 128 KiB
        {"reg", "<0x0 0x3001000 0x0 0x10000 0x0 0x3020000 0x0 0x40000>"},
        {"phandle", "<0xfde8>"}}},
      {"/timer", kTimer},
      {"/hypervisor", kHypervisor},
      {"/reserved-memory", {{"#address-cells", "<0x2>"}, {"#size-cells", "<0x2>"}, {"ranges", ""}}},
      {"/reserved-memory/pv-time@90a0000", {{"reg", "<0x0 0x90a0000 0x0 0x10000>"}, {"no-map", ""}}},
  };
  EXPECT_EQ(expected, d.tree);
  expect_only_the_hypervisor_warning(d.warnings);
}

TEST(GuestFdt, OneVcpuGicV2WithoutPvTimeDecompilesToExactlyTheExpectedTree) {
  GuestFdtConfig c;
  c.vcpus = 1;
  c.gic = GicVersion::v2;
  c.pv_time = false;
  c.bootargs = "console=hvc0";
  const Decompiled d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);

  const Tree expected = {
      {"/", kRoot},
      {"/chosen", {{"bootargs", R"("console=hvc0")"}}},
      {"/cpus", kCpus},
      {"/cpus/cpu@0", cpu("<0x0>")},
      {"/psci", kPsci},
      {"/memory@40000000", {{"device_type", R"("memory")"}, {"reg", "<0x0 0x40000000 0x0 0x8000000>"}}},
      {"/interrupt-controller@3001000",
       {{"compatible", R"("arm,cortex-a15-gic")"},
        {"#interrupt-cells", "<0x3>"},
        {"#address-cells", "<0x0>"},
        {"interrupt-controller", ""},
        // GICD 4 KiB, GICC 8 KiB
        {"reg", "<0x0 0x3001000 0x0 0x1000 0x0 0x3002000 0x0 0x2000>"},
        {"phandle", "<0xfde8>"}}},
      {"/timer", kTimer},
      {"/hypervisor", kHypervisor},
  };
  EXPECT_EQ(expected, d.tree);
  expect_only_the_hypervisor_warning(d.warnings);
}

TEST(GuestFdt, CpuNodesCarryTheVcpuAffinityAndTheRedistributorsCoverEveryVcpu) {
  GuestFdtConfig c;
  c.vcpus = 18;  // vCPUs 16 and 17 are in cluster 1
  const Decompiled d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);
  for (u32 i = 0; i < c.vcpus; ++i) {
    std::ostringstream node;
    node << "/cpus/cpu@" << std::hex << vcpu_affinity(i);
    std::ostringstream reg;
    reg << "<0x" << std::hex << vcpu_affinity(i) << ">";
    ASSERT_EQ(1U, d.tree.count(node.str())) << node.str();
    EXPECT_EQ(cpu(reg.str()), d.tree.at(node.str()));
  }
  EXPECT_EQ(1U, d.tree.count("/cpus/cpu@100"));
  EXPECT_EQ(1U, d.tree.count("/cpus/cpu@101"));
  EXPECT_EQ(0U, d.tree.count("/cpus/cpu@10"));
  // The vCPUs' nodes and /, /chosen, /cpus, /psci, /memory, the GIC, /timer, /hypervisor.
  EXPECT_EQ(c.vcpus + 8, d.tree.size());
  EXPECT_EQ("<0x0 0x3001000 0x0 0x10000 0x0 0x3020000 0x0 0x240000>",
            d.tree.at("/interrupt-controller@3001000").at("reg"));  // 18 x 128 KiB
  expect_only_the_hypervisor_warning(d.warnings);
}

TEST(GuestFdt, ChosenCarriesStdoutPathAndInitrdOnlyWhenConfigured) {
  GuestFdtConfig c;
  c.stdout_path = "/pl011@9000000";
  c.initrd_start = 0x4400'0000;
  c.initrd_end = 0x4412'3456;
  Decompiled d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);
  const Props chosen = {{"stdout-path", R"("/pl011@9000000")"},
                        {"linux,initrd-start", "<0x0 0x44000000>"},
                        {"linux,initrd-end", "<0x0 0x44123456>"}};
  EXPECT_EQ(chosen, d.tree.at("/chosen"));

  d = decompile(guest_blob(GuestFdtConfig{}));  // the defaults: an empty /chosen
  ASSERT_TRUE(d.ran);
  EXPECT_EQ(Props{}, d.tree.at("/chosen"));
  EXPECT_EQ(0U, d.tree.count("/reserved-memory"));
}

TEST(GuestFdt, ChosenCarriesTheRngSeedOnlyWhenGiven) {
  u8 seed[64];
  for (usize i = 0; i < sizeof seed; ++i) {
    seed[i] = static_cast<u8>(0xA0 + i);
  }
  GuestFdtConfig c;
  c.rng_seed = seed;
  c.rng_seed_len = sizeof seed;
  Decompiled d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);
  std::string cells;  // dtc shows a multiple of 4 bytes as big-endian cells
  for (usize i = 0; i < sizeof seed; i += 4) {
    char cell[16];
    std::snprintf(cell, sizeof cell, "%s0x%02x%02x%02x%02x", i == 0 ? "" : " ", seed[i], seed[i + 1], seed[i + 2],
                  seed[i + 3]);
    cells += cell;
  }
  EXPECT_EQ((Props{{"rng-seed", "<" + cells + ">"}}), d.tree.at("/chosen"));

  c.rng_seed_len = 0;  // nothing to give: no property
  d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);
  EXPECT_EQ(Props{}, d.tree.at("/chosen"));
}

TEST(GuestFdt, LibfdtToolsReadTheGuestTree) {
  if (run("fdtget --version").status == 127) {
    GTEST_SKIP() << "fdtget not installed (device-tree-compiler)";
  }
  GuestFdtConfig c;
  c.vcpus = 2;
  c.pv_time = true;
  c.bootargs = "console=hvc0";
  const BlobFile file(guest_blob(c));
  auto get = [&](const std::string& args) {
    const Command r = run("fdtget " + file.path() + " " + args);
    EXPECT_EQ(0, r.status) << args << ": " << r.err;
    return r.out;
  };
  EXPECT_EQ("xen,xen-4.19 xen,xen\n", get("/hypervisor compatible"));
  EXPECT_EQ("1 15 3848\n", get("/hypervisor interrupts"));
  EXPECT_EQ("1\n", get("/cpus/cpu@1 reg"));
  EXPECT_EQ("console=hvc0\n", get("/chosen bootargs"));
  EXPECT_EQ("0 90a0000 0 10000\n", get("-t x /reserved-memory/pv-time@90a0000 reg"));
  EXPECT_EQ("chosen\ncpus\npsci\nmemory@40000000\ninterrupt-controller@3001000\ntimer\nhypervisor\nreserved-memory\n",
            get("-l /"));
}

TEST(GuestFdt, BuildingTwiceGivesTheSameBytes) {
  GuestFdtConfig c;
  c.vcpus = 4;
  c.pv_time = true;
  c.bootargs = "console=hvc0";
  EXPECT_EQ(guest_blob(c), guest_blob(c));
}

TEST(GuestFdt, ASmallBufferIsAnOverflowAndNothingIsWrittenOutsideIt) {
  GuestFdtConfig c;
  c.vcpus = 3;
  c.pv_time = true;
  c.bootargs = "console=hvc0 kpti=0";
  const usize full = guest_blob(c).size();
  for (usize size = 0; size < full; size += 7) {
    Bytes mem(kGuard + size + kGuard, kGuardByte);
    const FdtResult r = build_guest_fdt(mem.data() + kGuard, size, c);
    EXPECT_EQ(FdtError::overflow, r.error) << size;
    ASSERT_TRUE(guards_intact(mem, size)) << size;
  }
  Bytes mem(kGuard + full + kGuard, kGuardByte);
  EXPECT_EQ(full, build_guest_fdt(mem.data() + kGuard, full, c).size);
  EXPECT_TRUE(guards_intact(mem, full));
}

TEST(GuestFdt, ConfigurationsItCannotDescribeAreRefusedWithoutWriting) {
  auto refused = [](const GuestFdtConfig& c) {
    Bytes buf(8192, kGuardByte);
    const FdtResult r = build_guest_fdt(buf.data(), buf.size(), c);
    return r.error == FdtError::invalid_argument && r.size == 0 && buf == Bytes(8192, kGuardByte);
  };
  GuestFdtConfig c;
  EXPECT_FALSE(refused(c));

  c = {};
  c.vcpus = 0;
  EXPECT_TRUE(refused(c)) << "no vCPU";
  c = {};
  c.vcpus = kMaxPsciVcpus + 1;
  EXPECT_TRUE(refused(c)) << "more vCPUs than MPIDR affinities";
  c = {};
  c.gic = GicVersion::v2;
  c.vcpus = 9;
  EXPECT_TRUE(refused(c)) << "GICv2 has 8 CPU interfaces";
  c = {};
  c.ram_size = 0;
  EXPECT_TRUE(refused(c)) << "no RAM";
  c = {};
  c.grant_table_base = c.ram_base + 0x10'0000;
  EXPECT_TRUE(refused(c)) << "grant window in RAM";
  c = {};
  c.vcpus = 200;  // 200 x 128 KiB from 0x3700'0000 runs into 0x3800'0000
  c.gicr_base = 0x3700'0000;
  EXPECT_TRUE(refused(c)) << "redistributors over the grant window";
  c = {};
  c.evtchn_ppi = 16;
  EXPECT_TRUE(refused(c)) << "PPIs are 0..15";
  c = {};
  c.evtchn_ppi = 11;
  EXPECT_TRUE(refused(c)) << "the virtual timer's PPI";
  c = {};
  c.pv_time = true;
  c.vcpus = 2;
  c.pv_time_size = 0x1000;
  EXPECT_FALSE(refused(c)) << "a page holds 64 records";
  c.vcpus = 65;
  EXPECT_TRUE(refused(c)) << "65 records do not fit a page";
  c = {};
  c.pv_time = true;
  c.pv_time_base = 0x090A'0040;
  EXPECT_TRUE(refused(c)) << "PV-time region not page aligned";
  c = {};
  c.pv_time = true;
  c.pv_time_base = c.gicd_base;
  EXPECT_TRUE(refused(c)) << "PV-time region on the GIC";
  c = {};
  c.initrd_start = 0x3000'0000;
  c.initrd_end = 0x3010'0000;
  EXPECT_TRUE(refused(c)) << "initrd outside RAM";
  c = {};
  c.gic = static_cast<GicVersion>(4);
  EXPECT_TRUE(refused(c)) << "unknown GIC version";
}

}  // namespace
}  // namespace runhv

namespace runhv {
namespace {

TEST(GuestFdt, Vpl011AddsXensSbsaUartNodeOnlyWhenOffered) {
  GuestFdtConfig c;
  c.vpl011 = true;
  const Decompiled d = decompile(guest_blob(c));
  ASSERT_TRUE(d.ran);
  const Props uart = {{"compatible", R"("arm,sbsa-uart")"},
                      {"reg", "<0x0 0x22000000 0x0 0x1000>"},
                      {"interrupts", "<0x0 0x0 0x4>"},  // SPI 0 = INTID 32, level-high
                      {"interrupt-parent", "<0xfde8>"},
                      {"current-speed", "<0x1c200>"}};  // 115200
  ASSERT_EQ(1U, d.tree.count("/sbsa-uart@22000000"));
  EXPECT_EQ(uart, d.tree.at("/sbsa-uart@22000000"));
  expect_only_the_hypervisor_warning(d.warnings);
  c.vpl011 = false;
  EXPECT_EQ(0U, decompile(guest_blob(c)).tree.count("/sbsa-uart@22000000"));
}

}  // namespace
}  // namespace runhv
