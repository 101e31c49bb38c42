// The dom0less reader (hyp/dom0less.cpp over the host's libfdt): its error line
// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/fdt_writer.hpp"
#include "hyp/dom0less.hpp"

namespace runhv {
namespace {

// A boot tree whose /chosen has one "xen,domain" node called `name` with no cpus: the reader's
// first problem is about that node.
std::vector<u8> tree_with_domain(const char* name) {
  std::vector<u8> buf(4096);
  FdtWriter w(buf.data(), buf.size());
  w.begin_node("");
  w.begin_node("chosen");
  w.begin_node(name);
  w.prop_string("compatible", "xen,domain");
  w.prop_u32("memory", 65536);
  w.end_node();
  w.end_node();
  w.end_node();
  const FdtResult r = w.finish();
  EXPECT_TRUE(r.ok());
  buf.resize(r.size);
  return buf;
}

std::string error_of(const std::vector<u8>& blob) {
  static dt::DomUList out;
  dt::read_domus(blob.data(), 1, out);
  EXPECT_NE(out.error, nullptr);
  return out.error != nullptr ? out.error : "";
}

TEST(Dom0lessError, NamesTheNodeByPath) {
  EXPECT_EQ(error_of(tree_with_domain("domU1")),
            "/chosen/domU1: cpus must be 1..8 (kMaxVcpusPerDomain, core/limits.hpp)");
}

// A corrupted or hostile blob's node name with a newline, an escape and a high byte: the line
// stays one line of printable ASCII, the bytes shown escaped.
TEST(Dom0lessError, UnprintableBytesOfTheNameAreEscaped) {
  const std::string e = error_of(tree_with_domain("dom\nU\x1b[2J\xe1\\"));
  EXPECT_EQ(e, "/chosen/dom\\x0aU\\x1b[2J\\xe1\\x5c: cpus must be 1..8 (kMaxVcpusPerDomain, core/limits.hpp)");
  for (const char c : e) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(static_cast<unsigned char>(c));
  }
}

// A name longer than the line: cut, marked, and the problem still said in full.
TEST(Dom0lessError, ALongNameIsCutAndTheProblemStillSaid) {
  const std::string name(300, 'd');
  const std::string e = error_of(tree_with_domain(name.c_str()));
  EXPECT_EQ(e, "/chosen/" + std::string(48, 'd') + "...: cpus must be 1..8 (kMaxVcpusPerDomain, core/limits.hpp)");
  // All escapes: the cut falls between two of them, never inside one.
  const std::string escaped = error_of(tree_with_domain(std::string(100, '\n').c_str()));
  std::string want = "/chosen/";
  for (int i = 0; i < 12; ++i) {
    want += "\\x0a";
  }
  EXPECT_EQ(escaped, want + "...: cpus must be 1..8 (kMaxVcpusPerDomain, core/limits.hpp)");
}

}  // namespace
}  // namespace runhv
