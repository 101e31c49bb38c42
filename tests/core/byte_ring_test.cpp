// A fixed-capacity FIFO of bytes: push what fits, drain in order across the wrap, partial takers
// SPDX-License-Identifier: MIT
#include "core/byte_ring.hpp"

#include <gtest/gtest.h>

#include <string>

namespace runhv {
namespace {

// Takes at most `limit` bytes per call (what a device FIFO has room for), recording them.
struct Taker {
  usize limit;
  std::string got;
  int calls = 0;
  usize operator()(const char* run, usize n) {
    ++calls;
    const usize k = n < limit ? n : limit;
    got.append(run, k);
    limit -= k;
    return k;
  }
};

TEST(ByteRing, PushTakesWhatFits) {
  ByteRing<8> r;
  EXPECT_EQ(r.size(), 0U);
  EXPECT_EQ(r.push("abcde", 5), 5U);
  EXPECT_EQ(r.push("fghij", 5), 3U);
  EXPECT_EQ(r.size(), 8U);
  EXPECT_EQ(r.space(), 0U);
  EXPECT_EQ(r.push("k", 1), 0U);
  Taker t{100, {}};
  EXPECT_EQ(r.drain(t), 8U);
  EXPECT_EQ(t.got, "abcdefgh");
  EXPECT_EQ(r.size(), 0U);
}

TEST(ByteRing, DrainStopsAtAPartialTakeAndResumesInOrder) {
  ByteRing<8> r;
  r.push("0123456", 7);
  Taker a{3, {}};
  EXPECT_EQ(r.drain(a), 3U);
  EXPECT_EQ(a.got, "012");
  EXPECT_EQ(a.calls, 1);
  r.push("789ab", 5);  // wraps: 3456789a, 'b' does not fit
  EXPECT_EQ(r.size(), 8U);
  Taker none{0, {}};
  EXPECT_EQ(r.drain(none), 0U);
  EXPECT_EQ(r.size(), 8U);
  Taker b{100, {}};
  EXPECT_EQ(r.drain(b), 8U);
  EXPECT_EQ(b.got, "3456789a");
  EXPECT_EQ(b.calls, 2);  // two contiguous runs across the wrap
}

TEST(ByteRing, EveryByteValueSurvives) {
  ByteRing<300> r;
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all += static_cast<char>(c);
  }
  EXPECT_EQ(r.push(all.data(), all.size()), 256U);
  Taker t{1000, {}};
  r.drain(t);
  EXPECT_EQ(t.got, all);
}

TEST(ByteRing, AnOverEagerTakerIsClamped) {
  ByteRing<4> r;
  r.push("xy", 2);
  EXPECT_EQ(r.drain([](const char*, usize) { return usize{99}; }), 2U);
  EXPECT_EQ(r.size(), 0U);
}

}  // namespace
}  // namespace runhv
