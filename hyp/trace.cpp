// The trace: one ring per pCPU, each record pushed by the pCPU that made it (interrupts masked),
// written out to the host file when half full and at power-off
// SPDX-License-Identifier: MIT
//
// File: a 16-byte header ("RUNHVTR1", u32 record size, u32 pCPUs), then TraceRecords in the order
// each ring wrote them out (runs of one pCPU at a time; the reader sorts by time).
#include "hyp/trace.hpp"

#include "arch/arch.hpp"
#include "core/log.hpp"
#include "core/sched.hpp"
#include "core/trace.hpp"
#include "hyp/console.hpp"
#include "platform/qemu-virt/semihosting.hpp"

namespace runhv::hyp {
namespace {

constexpr u32 kRecordsPerPcpu = 1024;  // 16 KiB per pCPU, written out at half full

struct FileHeader {
  char magic[8];
  u32 record_size;
  u32 pcpus;
};

struct PcpuTrace {
  TraceRecord storage[kRecordsPerPcpu];
  TraceRing ring{storage, kRecordsPerPcpu};
};
PcpuTrace g_pcpu[kMaxPcpus];  // whole before the sink is installed: no initialisation to race
SpinLock g_file_lock;         // after any scheduler lock: the sink is called under them
long g_file = -1;             // written under g_file_lock
u64 g_written = 0;
bool g_write_failed = false;

void write_out(TraceRing& ring) {
  g_file_lock.lock();
  while (ring.size() > 0) {
    u32 n = 0;
    const TraceRecord* run = ring.run(n);
    if (!g_write_failed && !semihosting::write(g_file, run, n * sizeof(TraceRecord))) {
      g_write_failed = true;
    }
    g_written += g_write_failed ? 0 : n;
    ring.take(n);
  }
  g_file_lock.unlock();
}

class PcpuRings final : public TraceSink {
 public:
  void record(const TraceRecord& r) override {
    TraceRing& ring = g_pcpu[arch::this_cpu_index()].ring;
    ring.push(r);
    if (ring.size() >= kRecordsPerPcpu / 2) {
      write_out(ring);
    }
  }
};

PcpuRings g_sink;

usize length(const char* s) {
  usize n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

}  // namespace

void trace_start(const char* path) {
  g_file_lock.lock();
  g_file = semihosting::open_for_write(path, length(path));
  g_file_lock.unlock();
  if (g_file < 0) {
    console::print("runhv: trace: cannot open %s on the host; tracing off\n", path);
    return;
  }
  const FileHeader h{{'R', 'U', 'N', 'H', 'V', 'T', 'R', '1'}, sizeof(TraceRecord), kMaxPcpus};
  if (!semihosting::write(g_file, &h, sizeof h)) {
    console::print("runhv: trace: cannot write %s; tracing off\n", path);
    semihosting::close(g_file);
    g_file = -1;
    return;
  }
  set_trace_sink(&g_sink);
  console::print("runhv: trace: to %s (%u records per pCPU ring)\n", path, kRecordsPerPcpu);
}

void trace_finish() {
  if (g_file < 0) {
    return;
  }
  set_trace_sink(nullptr);
  u64 dropped = 0;
  for (PcpuTrace& p : g_pcpu) {
    write_out(p.ring);
    dropped += p.ring.dropped();
  }
  semihosting::close(g_file);
  g_file = -1;
  console::print("runhv: trace {\"records\":%lu,\"dropped\":%lu,\"write_failed\":%s}\n", g_written, dropped,
                 g_write_failed ? "true" : "false");
}

}  // namespace runhv::hyp
