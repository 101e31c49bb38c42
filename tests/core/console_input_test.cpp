// The operator's console input: the focus, Xen's Ctrl-A x3 switch, held switch codes, retirement
// SPDX-License-Identifier: MIT
#include "core/console_input.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace runhv {
namespace {

constexpr char kA = ConsoleInput::kSwitchCode;

// Feeds `text` as the receive path does: what each domain got, and the focus after each switch.
struct Fed {
  std::map<u16, std::string> got;
  std::vector<u16> switches;
  [[nodiscard]] std::string to(u16 domain) const {
    const auto it = got.find(domain);
    return it == got.end() ? std::string() : it->second;
  }
};

Fed feed(ConsoleInput& in, const std::string& text) {
  Fed out;
  for (const char c : text) {
    const ConsoleInput::Step s = in.feed(c);
    if (s.switched) {
      EXPECT_EQ(s.n, 0U);
      out.switches.push_back(in.focus());
    }
    if (s.n != 0) {
      out.got[in.focus()].append(s.bytes, s.n);
    }
  }
  return out;
}

TEST(ConsoleInput, NoDomainNoFocus) {
  ConsoleInput in;
  EXPECT_EQ(in.focus(), 0);
  EXPECT_FALSE(in.focus_retired());
  const Fed f = feed(in, std::string("ab") + kA + kA + kA);
  EXPECT_EQ(f.switches, std::vector<u16>{0});
  EXPECT_EQ(f.to(0), "ab");  // the caller drops bytes for domain 0
}

TEST(ConsoleInput, FirstAddedHasTheFocusAndGetsEveryByte) {
  ConsoleInput in;
  ASSERT_TRUE(in.add(2));
  ASSERT_TRUE(in.add(3));
  EXPECT_EQ(in.focus(), 2);
  const Fed f = feed(in, "hello\r");
  EXPECT_EQ(f.to(2), "hello\r");
  EXPECT_EQ(f.got.count(3), 0U);
  EXPECT_TRUE(f.switches.empty());
}

TEST(ConsoleInput, AddRefusesBadDuplicateAndTooMany) {
  ConsoleInput in;
  EXPECT_FALSE(in.add(0));
  EXPECT_FALSE(in.add(kMaxDomains + 1));
  for (u16 d = 1; d <= kMaxDomains; ++d) {
    EXPECT_TRUE(in.add(d));
  }
  EXPECT_FALSE(in.add(1));
  EXPECT_EQ(in.focus(), 1);
}

TEST(ConsoleInput, ThreeSwitchCodesMoveTheFocusAndAreEaten) {
  ConsoleInput in;
  in.add(1);
  in.add(4);
  in.add(6);
  const Fed f = feed(in, std::string("a") + kA + kA + kA + "b" + kA + kA + kA + "c" + kA + kA + kA + "d");
  EXPECT_EQ(f.switches, (std::vector<u16>{4, 6, 1}));  // round the ring
  EXPECT_EQ(f.to(1), "ad");
  EXPECT_EQ(f.to(4), "b");
  EXPECT_EQ(f.to(6), "c");
}

TEST(ConsoleInput, FewerThanThreeSwitchCodesAreDeliveredBeforeTheNextByte) {
  ConsoleInput in;
  in.add(1);
  in.add(2);
  Fed f = feed(in, std::string(1, kA) + "x" + kA + kA + "y");
  EXPECT_TRUE(f.switches.empty());
  EXPECT_EQ(f.to(1), std::string(1, kA) + "x" + kA + kA + "y");
  // Five in a row: the first three switch, the other two go to the new focus with the next byte.
  f = feed(in, std::string(5, kA) + "z");
  EXPECT_EQ(f.switches, std::vector<u16>{2});
  EXPECT_EQ(f.to(2), std::string(2, kA) + "z");
  // Six in a row: two switches, nothing delivered.
  f = feed(in, std::string(6, kA));
  EXPECT_EQ(f.switches, (std::vector<u16>{1, 2}));
  EXPECT_TRUE(f.to(1).empty() && f.to(2).empty());
}

TEST(ConsoleInput, OneDomainSwitchKeepsTheFocus) {
  ConsoleInput in;
  in.add(5);
  const Fed f = feed(in, std::string(3, kA) + "k");
  EXPECT_EQ(f.switches, std::vector<u16>{5});
  EXPECT_EQ(f.to(5), "k");
}

TEST(ConsoleInput, RetiredDomainsAreSkippedButKeepTheFocusTheyHave) {
  ConsoleInput in;
  in.add(1);
  in.add(2);
  in.add(3);
  in.retire(1);
  EXPECT_EQ(in.focus(), 1);
  EXPECT_TRUE(in.focus_retired());
  in.retire(2);
  Fed f = feed(in, std::string(3, kA));
  EXPECT_EQ(f.switches, std::vector<u16>{3});
  EXPECT_FALSE(in.focus_retired());
  in.retire(3);
  f = feed(in, std::string(3, kA) + "q");  // nobody left to switch to: the focus stays
  EXPECT_EQ(f.switches, std::vector<u16>{3});
  EXPECT_TRUE(in.focus_retired());
  EXPECT_EQ(f.to(3), "q");
  in.retire(7);  // not taking input: nothing changes
  EXPECT_EQ(in.focus(), 3);
}

TEST(ConsoleInput, EveryByteValueIsPassedThrough) {
  ConsoleInput in;
  in.add(1);
  std::string all;
  for (int c = 0; c < 256; ++c) {
    if (static_cast<char>(c) != kA) {
      all += static_cast<char>(c);
    }
  }
  const Fed f = feed(in, all);
  EXPECT_EQ(f.to(1), all);
  EXPECT_TRUE(f.switches.empty());
}

}  // namespace
}  // namespace runhv
