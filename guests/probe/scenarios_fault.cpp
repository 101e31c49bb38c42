// Probe scenario `fault`: a load, a store and a fetch at an IPA nothing backs, each taken as an
// abort at EL1 by the probe's own handler, and then the scenario finishes
// SPDX-License-Identifier: MIT
//
// The IPA is past QEMU virt's virtio-mmio transports, where runhv maps nothing for its guests
// (neither RAM nor a device region). Under runhv each access must come back as the abort Xen's
// do_trap_stage2_abort_guest injects: ESR_EL1 0x96000000 for the load and the store (EC 0x25, IL,
// ISS 0), 0x86000000 for the fetch (EC 0x21), FAR_EL1 the VA, ELR_EL1 the access (the fetch: the
// branch target). Natively (no hypervisor) nothing answers the physical address either and the
// CPU takes the same aborts as synchronous external aborts (FSC 0x10): the negative control,
// whose syndromes differ from the hypervisor's. Then the load again, kRepeats times: each one an
// abort (runhv's log lines for them stay within the domain's budget).
#include "guests/probe/console.hpp"
#include "guests/probe/exception.hpp"
#include "guests/probe/frame.hpp"
#include "guests/probe/layout.h"
#include "guests/probe/mmu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"

namespace probe {
namespace {

constexpr u64 kUnbackedIpa = 0x0a01'0000;
constexpr u64 kPage = 0x1000;
constexpr u64 kEcIabtSame = 0x21;
constexpr u64 kEcDabtSame = 0x25;
constexpr u64 kEsrDataAbort = 0x9600'0000;         // EC 0x25, IL, ISS 0
constexpr u64 kEsrInstructionAbort = 0x8600'0000;  // EC 0x21, IL, ISS 0
constexpr u64 kFscExternal = 0x10;
constexpr u64 kRepeats = 2000;

struct Taken {
  u64 esr;
  u64 far;
  u64 elr;
};
volatile unsigned taken_count = 0;
Taken taken[3] = {};
volatile u64 repeats_taken = 0;  // the repeated loads' aborts

bool on_abort(Frame& frame) {
  const u64 esr = read_esr_el1();
  const u64 ec = esr >> 26;
  if (ec != kEcDabtSame && ec != kEcIabtSame) {
    return false;  // anything else: fatal
  }
  if (taken_count < 3) {
    taken[taken_count] = Taken{esr, read_far_el1(), frame.elr};
    taken_count = taken_count + 1;
  } else {
    repeats_taken = repeats_taken + 1;
  }
  frame.elr = ec == kEcIabtSame ? frame.x[30] : frame.elr + 4;  // the fetch: back to after the BLR
  return true;
}

// Under runhv Xen's syndrome exactly; natively an external abort of the same class.
bool syndrome_ok(bool xen, u64 esr, u64 xen_esr) {
  return xen ? esr == xen_esr : (esr >> 26) == (xen_esr >> 26) && (esr & 0x3F) == kFscExternal;
}

}  // namespace

bool run_fault(const Options&, const Platform& platform) {
  const u64 data_va = PROBE_SCRATCH_VA;
  const u64 text_va = PROBE_SCRATCH_VA + kPage;
  if (!mmu::map_kernel_page(data_va, kUnbackedIpa, mmu::PageKind::device) ||
      !mmu::map_kernel_page(text_va, kUnbackedIpa, mmu::PageKind::text)) {
    Record("fault").text("error", "map_kernel_page").flag("pass", false).end();
    return false;
  }
  console::put("probe: load, store and fetch at unbacked IPA ");
  console::put_hex(kUnbackedIpa);
  console::put("\n");
  console::flush();
  set_el1_sync_hook(on_abort);
  u64 value = 0;
  u64 load_at = 0;
  u64 store_at = 0;
  asm volatile(
      "adr %[load_at], 1f\n"
      "adr %[store_at], 2f\n"
      "1: ldr %w[value], [%[va]]\n"
      "2: str %w[value], [%[va], #4]\n"
      : [value] "+r"(value), [load_at] "=&r"(load_at), [store_at] "=&r"(store_at)
      : [va] "r"(data_va)
      : "memory");
  asm volatile("blr %0" : : "r"(text_va + 8) : "x30", "memory");
  for (u64 n = 0; n < kRepeats; ++n) {
    (void)*reinterpret_cast<volatile u32*>(data_va);
  }
  set_el1_sync_hook(nullptr);

  const bool xen = platform.xen;
  const bool three = taken_count == 3;
  const bool load_ok =
      syndrome_ok(xen, taken[0].esr, kEsrDataAbort) && taken[0].far == data_va && taken[0].elr == load_at && value == 0;
  const bool store_ok = syndrome_ok(xen, taken[1].esr, kEsrDataAbort) && taken[1].far == data_va + 4 &&
                        taken[1].elr == store_at && (taken[1].esr & (u64{1} << 6)) == (xen ? 0 : u64{1} << 6);
  const bool fetch_ok = syndrome_ok(xen, taken[2].esr, kEsrInstructionAbort) && taken[2].far == text_va + 8 &&
                        taken[2].elr == text_va + 8;
  const bool pass = three && load_ok && store_ok && fetch_ok && repeats_taken == kRepeats;
  Record("fault")
      .flag("hypervisor", xen)
      .num("aborts", taken_count)
      .num("load_esr", taken[0].esr)
      .num("store_esr", taken[1].esr)
      .num("fetch_esr", taken[2].esr)
      .flag("load_ok", load_ok)
      .flag("store_ok", store_ok)
      .flag("fetch_ok", fetch_ok)
      .num("repeats_aborted", repeats_taken)
      .flag("pass", pass)
      .end();
  return pass;
}

}  // namespace probe
