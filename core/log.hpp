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

}  // namespace runhv
