// BLAKE2s against RFC 7693 and an independent implementation's digests (Python's hashlib), and
// the guests' seeds drawn from it: distinct per draw and domain, a function of the pool only
// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "core/blake2s.hpp"
#include "core/guest_seed.hpp"

namespace runhv {
namespace {

std::string hex(const u8* p, usize n) {
  std::string s;
  for (usize i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", p[i]);
    s += b;
  }
  return s;
}

std::vector<u8> range(usize n) {
  std::vector<u8> v(n);
  for (usize i = 0; i < n; ++i) {
    v[i] = static_cast<u8>(i);
  }
  return v;
}

std::string digest(const std::vector<u8>& msg, usize out_len = 32, const std::vector<u8>& key = {}, usize chunk = 0) {
  Blake2s h(out_len, key.empty() ? nullptr : key.data(), key.size());
  if (chunk == 0) {
    h.update(msg.data(), msg.size());
  } else {
    for (usize at = 0; at < msg.size(); at += chunk) {
      h.update(msg.data() + at, msg.size() - at < chunk ? msg.size() - at : chunk);
    }
  }
  u8 out[32];
  h.final(out);
  return hex(out, out_len);
}

TEST(Blake2s, MatchesRfc7693AndTheReferenceKnownAnswers) {
  // RFC 7693 Appendix B: BLAKE2s-256("abc").
  EXPECT_EQ("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", digest(std::vector<u8>{'a', 'b', 'c'}));
  // The BLAKE2 reference's keyed known answer for the empty message (key 00..1f).
  EXPECT_EQ("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49", digest({}, 32, range(32)));
}

TEST(Blake2s, MatchesHashlibAcrossBlockEdgesKeysAndLengths) {
  // hashlib.blake2s(...).hexdigest() of each case.
  EXPECT_EQ("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9", digest({}));
  EXPECT_EQ("56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e", digest(range(64)));
  EXPECT_EQ("8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4", digest(range(64), 32, range(32)));
  EXPECT_EQ("3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd", digest(range(255), 32, range(32)));
  EXPECT_EQ("399d3e92ccfcedcdde9bf4c2be14cf8c", digest(range(65), 16));
  EXPECT_EQ("8a598b6c353f80828a44668da0f6d0a082f9bf5e", digest({'a', 'b', 'c'}, 20, {'k'}));
  // Fed in pieces that straddle the block edges: the same digest.
  for (usize chunk : {1U, 7U, 63U, 64U, 65U}) {
    EXPECT_EQ("3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd",
              digest(range(255), 32, range(32), chunk))
        << chunk;
  }
}

TEST(SeedPool, WithoutEntropyDrawsNothing) {
  SeedPool pool;
  u8 out[kGuestRngSeedBytes];
  for (u8& b : out) {
    b = 0x5A;
  }
  pool.absorb("rng-seed", "x", 0);  // an empty property is no entropy
  EXPECT_FALSE(pool.has_entropy());
  EXPECT_FALSE(pool.draw(1, out));
  for (u8 b : out) {
    EXPECT_EQ(0x5A, b);
  }
}

TEST(SeedPool, EveryDrawDiffersAcrossDomainsAndRepeatsAndPools) {
  const u8 firmware[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  SeedPool pool;
  pool.absorb("rng-seed", firmware, sizeof firmware);
  ASSERT_TRUE(pool.has_entropy());
  EXPECT_EQ(32U, pool.absorbed_bytes());
  std::set<std::string> seen;
  u8 out[kGuestRngSeedBytes];
  for (u32 domain = 1; domain <= 8; ++domain) {
    ASSERT_TRUE(pool.draw(domain, out));
    EXPECT_TRUE(seen.insert(hex(out, 32)).second);       // first half
    EXPECT_TRUE(seen.insert(hex(out + 32, 32)).second);  // second half: not a copy of the first
  }
  ASSERT_TRUE(pool.draw(1, out));  // domain 1 again (a rebuilt domain): a new seed
  EXPECT_TRUE(seen.insert(hex(out, 32)).second);

  // One bit more of firmware entropy: an unrelated first seed.
  u8 other_firmware[32];
  std::copy(firmware, firmware + 32, other_firmware);
  other_firmware[31] ^= 1;
  SeedPool other;
  other.absorb("rng-seed", other_firmware, sizeof other_firmware);
  ASSERT_TRUE(other.draw(1, out));
  EXPECT_TRUE(seen.insert(hex(out, 32)).second);
}

TEST(SeedPool, TheSameFirmwareSeedGivesTheSameGuestSeeds) {
  // Deterministic in the pool alone (what a test of the derivation relies on), and the label
  // counts: the same bytes under another source name give another pool.
  const u8 firmware[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  SeedPool a;
  SeedPool b;
  SeedPool c;
  a.absorb("rng-seed", firmware, sizeof firmware);
  b.absorb("rng-seed", firmware, sizeof firmware);
  c.absorb("kaslr-seed", firmware, sizeof firmware);
  u8 x[kGuestRngSeedBytes];
  u8 y[kGuestRngSeedBytes];
  u8 z[kGuestRngSeedBytes];
  ASSERT_TRUE(a.draw(3, x));
  ASSERT_TRUE(b.draw(3, y));
  ASSERT_TRUE(c.draw(3, z));
  EXPECT_EQ(hex(x, sizeof x), hex(y, sizeof y));
  EXPECT_NE(hex(x, sizeof x), hex(z, sizeof z));
}

}  // namespace
}  // namespace runhv
