// The trace: one buffer of records per pCPU in hypervisor RAM, each pushed by the pCPU that made
// the record (interrupts masked); never written out while guests run
// SPDX-License-Identifier: MIT
//
// The launcher copies the buffers out at power-off with QEMU's monitor, so no channel from the
// machine to the host is opened that a guest could also use (semihosting would let any EL1 write
// host files). A full buffer drops and counts further records; tools/trace_timeline.py then refuses to
// compare totals.
#include "hyp/trace.hpp"

#include "arch/arch.hpp"
#include "core/format.hpp"
#include "core/limits.hpp"
#include "core/trace.hpp"
#include "hyp/console.hpp"
#include "hyp/console_input.hpp"

namespace runhv::hyp {
namespace {

constexpr char kAck = 0x06;
constexpr u64 kAckTimeoutNs = 20'000'000'000;  // the launcher answers within this

TraceRing g_rings[kMaxPcpus] = {};
TraceRecord* g_base[kMaxPcpus] = {};
u32 g_pcpus = 0;

class PcpuRings final : public TraceSink {
 public:
  void record(const TraceRecord& r) override { g_rings[arch::this_cpu_index()].push(r); }
};

PcpuRings g_sink;

}  // namespace

void trace_start(BootRam& ram, u64 bytes, u32 pcpus) {
  u64 per = bytes / pcpus / sizeof(TraceRecord);
  u32 records = 1;
  while (records * 2ULL <= per && records < (1U << 30)) {
    records *= 2;
  }
  const Pa at = ram.take(u64{records} * sizeof(TraceRecord) * pcpus, kPageSize);
  if (per == 0 || at.raw() == 0) {
    console::print("runhv: trace: no %lu bytes of RAM for the trace; tracing off\n", bytes);
    return;
  }
  for (u32 p = 0; p < pcpus; ++p) {
    g_base[p] = reinterpret_cast<TraceRecord*>(at.raw()) + u64{p} * records;
    g_rings[p] = TraceRing(g_base[p], records);
  }
  g_pcpus = pcpus;
  set_trace_sink(&g_sink);
  console::print("runhv: trace: on, %u records per pCPU at 0x%lx\n", records, at.raw());
}

void trace_finish() {
  if (g_pcpus == 0) {
    return;
  }
  set_trace_sink(nullptr);
  char line[640];
  usize n = format(line, sizeof line, "runhv: trace {\"record_bytes\":%zu,\"parts\":[", sizeof(TraceRecord));
  u64 records = 0;
  u64 dropped = 0;
  for (u32 p = 0; p < g_pcpus; ++p) {
    records += g_rings[p].size();
    dropped += g_rings[p].dropped();
    n += format(line + n, sizeof line - n, "%s{\"pcpu\":%u,\"pa\":%lu,\"records\":%u}", p == 0 ? "" : ",", p,
                reinterpret_cast<u64>(g_base[p]), g_rings[p].size());
  }
  n += format(line + n, sizeof line - n, "],\"records\":%lu,\"dropped\":%lu}\n", records, dropped);
  console::write(line, n);
  if (!console_input_wait_for(kAck, kAckTimeoutNs)) {
    console::print("runhv: trace: no acknowledgement from the launcher; powering off without it\n");
  }
}

}  // namespace runhv::hyp
