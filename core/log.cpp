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

namespace {

void vlogf(const char* fmt, va_list ap) {
  LogSink* sink = g_sink;
  if (sink == nullptr) {
    return;
  }
  char buf[256];
  usize n = vformat(buf, sizeof buf, fmt, ap);
  sink->line(buf, n);
}

}  // namespace

void guest_logf(LogBudget& budget, const char* fmt, ...) {
  const u64 seen = __atomic_add_fetch(&budget.lines, 1, __ATOMIC_RELAXED);
  if (seen > LogBudget::kFirst) {
    if ((seen - LogBudget::kFirst) % LogBudget::kEvery == 0) {
      logf("(%llu more guest-triggered messages not logged)", static_cast<unsigned long long>(LogBudget::kEvery));
    }
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vlogf(fmt, ap);
  va_end(ap);
}

void logf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlogf(fmt, ap);
  va_end(ap);
}

}  // namespace runhv
