// The trace sink (core/trace.hpp)
// SPDX-License-Identifier: MIT
#include "core/trace.hpp"

namespace runhv {

namespace trace_detail {
TraceSink* g_sink = nullptr;
}

TraceSink* set_trace_sink(TraceSink* sink) {
  return __atomic_exchange_n(&trace_detail::g_sink, sink, __ATOMIC_ACQ_REL);
}

}  // namespace runhv
