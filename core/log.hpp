// Hypervisor log: formatted lines to a sink the platform (UART) or a test installs
// SPDX-License-Identifier: MIT
#pragma once

#include "core/types.hpp"

namespace runhv {

class LogSink {
 public:
  // Receives one complete line without its trailing newline.
  virtual void line(const char* text, usize len) = 0;

 protected:
  LogSink() = default;
  ~LogSink() = default;
  LogSink(const LogSink&) = default;
  LogSink& operator=(const LogSink&) = default;
};

// Installs the sink; nullptr drops log lines. Returns the previous sink.
LogSink* set_log_sink(LogSink* sink);

// Formats one line (core/format.hpp conversions; at most 255 characters) and sends it to the sink.
[[gnu::format(printf, 1, 2)]] void logf(const char* fmt, ...);

// What a guest may make the hypervisor log: a guest that hammers bad hypercalls must not flood
// the console (Xen rate-limits guest-triggered messages too). Each domain has a budget: its
// first kFirst lines are logged, then one line per kEvery refused ones saying how many went
// unlogged. Counting, not timing, keeps runs reproducible.
struct LogBudget {
  static constexpr u64 kFirst = 64;
  static constexpr u64 kEvery = 1024;
  u64 lines = 0;  // guest-triggered lines asked for so far
};
[[gnu::format(printf, 2, 3)]] void guest_logf(LogBudget& budget, const char* fmt, ...);

}  // namespace runhv
