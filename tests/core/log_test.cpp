// The hypervisor log: a domain's guest-triggered lines are bounded
// SPDX-License-Identifier: MIT
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace runhv {
namespace {

class Lines final : public LogSink {
 public:
  Lines() { previous_ = set_log_sink(this); }
  ~Lines() { set_log_sink(previous_); }
  Lines(const Lines&) = delete;
  Lines& operator=(const Lines&) = delete;
  void line(const char* text, usize len) override { all.emplace_back(text, len); }
  std::vector<std::string> all;

 private:
  LogSink* previous_;
};

TEST(GuestLog, FirstLinesAreLoggedThenOnlyASummaryPerThousandOrSo) {
  Lines lines;
  LogBudget budget;
  const u64 total = LogBudget::kFirst + 3 * LogBudget::kEvery + 5;
  for (u64 i = 0; i < total; ++i) {
    guest_logf(budget, "d1v0: bad hypercall %llu", static_cast<unsigned long long>(i));
  }
  ASSERT_EQ(lines.all.size(), LogBudget::kFirst + 3);
  EXPECT_EQ(lines.all.front(), "d1v0: bad hypercall 0");
  EXPECT_EQ(lines.all[LogBudget::kFirst - 1], "d1v0: bad hypercall 63");
  EXPECT_EQ(lines.all.back(), "(1024 more guest-triggered messages not logged)");
}

TEST(GuestLog, EachDomainHasItsOwnBudget) {
  Lines lines;
  LogBudget noisy;
  LogBudget quiet;
  for (u64 i = 0; i < 10 * LogBudget::kFirst; ++i) {
    guest_logf(noisy, "d1v0: noise");
  }
  guest_logf(quiet, "d2v0: the one line that matters");
  EXPECT_EQ(lines.all.back(), "d2v0: the one line that matters");
}

TEST(GuestLog, HypervisorLinesAreNeverBudgeted) {
  Lines lines;
  for (int i = 0; i < 1000; ++i) {
    logf("runhv: line %d", i);
  }
  EXPECT_EQ(lines.all.size(), 1000U);
}

}  // namespace
}  // namespace runhv
