// Freestanding formatter used by the hypervisor log
// SPDX-License-Identifier: MIT
#include "core/format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace runhv {
namespace {

template <class... Args>
std::string fmt(const char* f, Args... args) {
  char buf[128];
  format(buf, sizeof buf, f, args...);
  return buf;
}

TEST(Format, IntegersInEveryBaseAndWidth) {
  EXPECT_EQ(fmt("%d %i %u", -42, 7, 42U), "-42 7 42");
  EXPECT_EQ(fmt("%x %X", 0xbeefU, 0xbeefU), "beef BEEF");
  EXPECT_EQ(fmt("%08x|%-4u|%4d", 0x1234U, 7U, -3), "00001234|7   |  -3");
  EXPECT_EQ(fmt("%llx", 0xffff000012345678ULL), "ffff000012345678");
  EXPECT_EQ(fmt("%lu %zu", 123456789012UL, static_cast<size_t>(99)), "123456789012 99");
  EXPECT_EQ(fmt("%05d", -42), "-0042");
  EXPECT_EQ(fmt("%lld", static_cast<long long>(INT64_MIN)), "-9223372036854775808");
}

TEST(Format, StringsCharsPointersAndPercent) {
  EXPECT_EQ(fmt("[%s] [%5s] [%-3s] %c%%", "ab", "cd", "e", 'z'), "[ab] [   cd] [e  ] z%");
  EXPECT_EQ(fmt("%p", reinterpret_cast<void*>(0x40200000)), "0x40200000");
  EXPECT_EQ(fmt("%s", static_cast<const char*>(nullptr)), "(null)");
}

TEST(Format, TruncatesToTheBufferAndAlwaysTerminates) {
  char buf[6];
  EXPECT_EQ(format(buf, sizeof buf, "%s", "hypervisor"), 5U);
  EXPECT_STREQ(buf, "hyper");
  char one[1] = {'x'};
  EXPECT_EQ(format(one, 1, "abc"), 0U);
  EXPECT_EQ(one[0], '\0');
}

}  // namespace
}  // namespace runhv
