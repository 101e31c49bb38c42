// Hypervisor log: formatted lines to a sink the platform (UART) or a test installs
// SPDX-License-Identifier: MIT
#include "core/log.hpp"

#include "core/format.hpp"

namespace runhv {
namespace {
LogSink* g_sink = nullptr;
}  // namespace

LogSink* set_log_sink(LogSink* sink) {
  LogSink* old = g_sink;
  g_sink = sink;
  return old;
}

void logf(const char* fmt, ...) {
  LogSink* sink = g_sink;
  if (sink == nullptr) {
    return;
  }
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  usize n = vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  sink->line(buf, n);
}

}  // namespace runhv
