// Probe scenario `mmio-hostile`: random loads and stores of every width, offset and alignment to
// every emulated device region, and accesses without a syndrome, against their documented results
// SPDX-License-Identifier: MIT
//
// The regions (Xen's guest layout: vGICv3 distributor and this vCPU's redistributor frames, the
// vPL011) are mapped as Normal memory at PROBE_SCRATCH_VA, so a misaligned access reaches the
// hypervisor instead of faulting at stage 1. What each access must give (GICv3 IHI 0069 access
// sizes, Xen's vgic-v3.c / vpl011.c, runhv's core/vgic.hpp and core/vpl011.hpp):
//   - misaligned for its width: a data abort taken at EL1, ESR_EL1 0x96000000 (EC 0x25, IL, ISS 0:
//     Xen's inject_dabt_exception), FAR_EL1 the address, ELR_EL1 the instruction;
//   - vPL011: 8/16/32-bit served anywhere, 64-bit and a read of UARTICR (0x044) abort;
//   - vGIC: 32-bit served anywhere (reserved space RAZ/WI), 16-bit never, 8-bit only in
//     IPRIORITYR, ITARGETSR and C/SPENDSGIR, 64-bit in IROUTER and GICR_TYPER (and reserved
//     space; not asserted elsewhere) but never on a 32-bit register;
//   - load/store pair, pre-index writeback, sign-extending post-index, post-index with Rn == Rt,
//     SIMD register: no syndrome (ISV 0), a data abort; a post-indexed LDR/STR is decoded and
//     emulated, base register moved, as Xen 4.17+ does;
//   - DC CIVAC on a device register: ignored.
// Writes are made only where an abort is expected, and a snapshot of every aligned 32-bit register
// of the mapped pages before and after shows nothing changed; a few reads have known values.
#include "abi/xen_arch_arm.hpp"
#include "guests/probe/console.hpp"
#include "guests/probe/exception.hpp"
#include "guests/probe/frame.hpp"
#include "guests/probe/layout.h"
#include "guests/probe/mmu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"

namespace probe {
namespace {

namespace layout = runhv::xen::arm;

constexpr u64 kPage = 0x1000;
constexpr u64 kEsrDataAbortEl1 = 0x9600'0000;  // EC 0x25, IL 1, ISS 0
constexpr unsigned kMaxReports = 8;

enum class Device : u8 { gicd, gicr_rd, gicr_sgi, uart };

// One mapped 4 KiB page of a device: its offset from the device's frame base (GICD, RD_base,
// SGI_base, UART) and where the probe sees it.
struct Window {
  const char* name;
  Device device;
  u64 pa;
  u64 frame_offset;
  u64 va = 0;
};

Window windows[] = {
    {"gicd", Device::gicd, layout::kGicv3DistBase, 0x0000},
    {"gicd", Device::gicd, layout::kGicv3DistBase + 0x6000, 0x6000},  // IROUTER
    {"gicd", Device::gicd, layout::kGicv3DistBase + 0xF000, 0xF000},  // SGI registers, IDs
    {"gicr", Device::gicr_rd, layout::kGicv3RedistBase, 0x0000},
    {"gicr", Device::gicr_rd, layout::kGicv3RedistBase + 0xF000, 0xF000},
    {"gicr-sgi", Device::gicr_sgi, layout::kGicv3RedistBase + 0x1'0000, 0x0000},
    {"uart", Device::uart, layout::kPl011Base, 0x0000},
};
constexpr unsigned kWindows = sizeof(windows) / sizeof(windows[0]);

// ---- The expected outcome of one access: served, aborted, or not asserted.
enum class Want : u8 { served, abort, either };

bool in(u64 off, u64 first, u64 end) { return off >= first && off < end; }

Want gic_want(Device d, u64 off, u8 bytes) {
  if (bytes == 4) {
    return Want::served;
  }
  if (bytes == 2) {
    return Want::abort;
  }
  if (bytes == 1) {
    const bool byte_reg = d == Device::gicd ? in(off, 0x400, 0xC00) || in(off, 0xF10, 0xF30)
                                            : d == Device::gicr_sgi && in(off, 0x400, 0x420);
    return byte_reg ? Want::served : Want::abort;
  }
  // 64-bit, aligned.
  switch (d) {
    case Device::gicd:
      if (in(off, 0x6000 + 8 * 32, 0x6000 + 8 * 1020)) {
        return Want::served;  // IROUTER<n>
      }
      return in(off, 0x0, 0x10) || in(off, 0x80, 0xD00) || in(off, 0xFFD0, 0x10000) ? Want::abort : Want::either;
    case Device::gicr_rd:
      if (off == 0x8) {
        return Want::served;  // GICR_TYPER
      }
      return off == 0x0 || off == 0x10 || in(off, 0xFFD0, 0x10000) ? Want::abort : Want::either;
    case Device::gicr_sgi:
      return (in(off, 0x80, 0x400) && (off & 0x7F) == 0) || in(off, 0x400, 0x420) || off == 0xC00 ? Want::abort
                                                                                                  : Want::either;
    case Device::uart:
      break;
  }
  return Want::either;
}

Want want(const Window& w, u64 page_off, u8 bytes, bool write) {
  if (page_off % bytes != 0) {
    return Want::abort;
  }
  const u64 off = w.frame_offset + page_off;
  if (w.device == Device::uart) {
    return bytes == 8 || (!write && (off & ~u64{3}) == 0x44) ? Want::abort : Want::served;
  }
  return gic_want(w.device, off, bytes);
}

// ---- Accesses, and the handler of the aborts they provoke.
volatile u64 aborts_taken = 0;
volatile u64 last_esr = 0;
volatile u64 last_far = 0;
volatile u64 bad_aborts = 0;  // an abort with another syndrome, or none where one was taken

bool on_abort(Frame& frame) {
  const u64 esr = read_esr_el1();
  if ((esr >> 26) != 0x25) {
    return false;  // not a data abort: fatal
  }
  last_esr = esr;
  last_far = read_far_el1();
  aborts_taken = aborts_taken + 1;
  frame.elr += 4;
  return true;
}

// clang-format off
u64 load(u64 va, u8 bytes) {
  u64 v = 0;
  switch (bytes) {
    case 1: asm volatile("ldrb %w0, [%1]" : "+r"(v) : "r"(va) : "memory"); break;
    case 2: asm volatile("ldrh %w0, [%1]" : "+r"(v) : "r"(va) : "memory"); break;
    case 4: asm volatile("ldr %w0, [%1]" : "+r"(v) : "r"(va) : "memory"); break;
    default: asm volatile("ldr %0, [%1]" : "+r"(v) : "r"(va) : "memory"); break;
  }
  return v;
}

void store(u64 va, u8 bytes, u64 v) {
  switch (bytes) {
    case 1: asm volatile("strb %w0, [%1]" : : "r"(v), "r"(va) : "memory"); break;
    case 2: asm volatile("strh %w0, [%1]" : : "r"(v), "r"(va) : "memory"); break;
    case 4: asm volatile("str %w0, [%1]" : : "r"(v), "r"(va) : "memory"); break;
    default: asm volatile("str %0, [%1]" : : "r"(v), "r"(va) : "memory"); break;
  }
}

// Accesses the hypervisor gets no syndrome for.
void no_syndrome(u64 va, unsigned kind) {
  u64 a = 0x1111;
  u64 b = 0x2222;
  u64 p = va;
  switch (kind) {
    case 0: asm volatile("ldp %w0, %w1, [%2]" : "+r"(a), "+r"(b) : "r"(va) : "memory"); break;
    case 1: asm volatile("stp %w0, %w1, [%2]" : : "r"(a), "r"(b), "r"(va) : "memory"); break;
    case 2: asm volatile("ldrsw %0, [%1], #4" : "+r"(a), "+r"(p) : : "memory"); break;
    case 3: asm volatile("str %w0, [%1, #4]!" : "+r"(a), "+r"(p) : : "memory"); break;
    case 4: asm volatile("ldr s0, [%0]" : : "r"(va) : "v0", "memory"); break;
    case 5: asm volatile("ldp %0, %1, [%2]" : "+r"(a), "+r"(b) : "r"(va) : "memory"); break;
    default:  // ldr w1, [x1], #4: post-index with Rn == Rt, which Xen does not decode
      asm volatile("mov x1, %0\n .inst 0xb8404421" : : "r"(va) : "x1", "memory"); break;
  }
}

// Post-indexed LDR/STR, which Xen 4.17+ decodes and emulates: the value and the base's writeback.
u64 load_post_indexed(u64& base) {
  u64 v = 0;
  asm volatile("ldr %w0, [%1], #4" : "=r"(v), "+r"(base) : : "memory");
  return v;
}
void store_post_indexed(u64& base, u64 v) { asm volatile("str %w1, [%0], #-8" : "+r"(base) : "r"(v) : "memory"); }
// clang-format on
constexpr unsigned kNoSyndromeKinds = 7;

u64 rng_state = 0;
u64 next_random() {  // xorshift64
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

// Every aligned 32-bit register of the mapped pages, folded (the UART's data register is skipped:
// a read takes input).
u64 snapshot() {
  u64 sum = 0;
  for (const Window& w : windows) {
    for (u64 off = 0; off < kPage; off += 4) {
      if (w.device == Device::uart && (off == 0 || off == 0x44)) {
        continue;
      }
      sum = (sum * 0x100'0000'01B3) ^ (load(w.va + off, 4) + off);
    }
  }
  return sum;
}

struct Tally {
  u64 accesses = 0;
  u64 aborts = 0;
  u64 mismatches = 0;
  unsigned reports = 0;
};

// One access; checks whether it aborted as expected and, if so, with Xen's syndrome and address.
void check(Tally& t, const Window& w, u64 page_off, u8 bytes, bool write, Want expected) {
  const u64 va = w.va + page_off;
  const u64 before = aborts_taken;
  if (write) {
    store(va, bytes, next_random());
  } else {
    (void)load(va, bytes);
  }
  ++t.accesses;
  const bool aborted = aborts_taken != before;
  t.aborts += aborted ? 1 : 0;
  const bool syndrome_ok = !aborted || (last_esr == kEsrDataAbortEl1 && last_far == va);
  const bool outcome_ok = expected == Want::either || aborted == (expected == Want::abort);
  if (!syndrome_ok || !outcome_ok) {
    ++t.mismatches;
    if (t.reports++ < kMaxReports) {
      console::put("probe: mmio: ");
      console::put(w.name);
      console::put(write ? " write " : " read ");
      console::put_dec(bytes);
      console::put(" bytes at frame offset ");
      console::put_hex(w.frame_offset + page_off);
      console::put(aborted ? ": aborted, esr " : ": served, esr ");
      console::put_hex(aborted ? last_esr : 0);
      console::put("\n");
    }
  }
}

// Known values: (window, page offset, expected 32-bit read).
struct Known {
  unsigned window;
  u64 page_off;
  u32 value;
};
constexpr Known kKnown[] = {
    {2, 0xFE8, 0x30},  // GICD_PIDR2: ArchRev 3 (Xen's value)
    {4, 0xFE8, 0x30},  // GICR_PIDR2
    {0, 0x010, 0},     // GICD reserved (STATUSR not implemented): RAZ
    {0, 0x820, 0},     // ITARGETSR8: RES0 with affinity routing
    {0, 0xD04, 0},     // IGRPMODR1: RAZ/WI with DS = 1
    {0, 0xF10, 0},     // CPENDSGIR0: RAZ/WI with affinity routing
    {6, 0xFE0, 0},     // UARTPeriphID0: RAZ (Xen's vpl011)
};

}  // namespace

bool run_mmio_hostile(const Options& options, const Platform& platform) {
  if (!platform.xen) {
    Record("mmio-hostile").flag("hypervisor", false).text("error", "needs a hypervisor").flag("pass", false).end();
    return false;
  }
  for (unsigned i = 0; i < kWindows; ++i) {
    windows[i].va = PROBE_SCRATCH_VA + i * kPage;
    if (!mmu::map_kernel_page(windows[i].va, windows[i].pa, mmu::PageKind::ram_rw)) {
      Record("mmio-hostile").text("error", "map_kernel_page").flag("pass", false).end();
      return false;
    }
  }
  set_el1_sync_hook(on_abort);
  rng_state = 0x9E37'79B9'7F4A'7C15ULL ^ (options.seed * 0x1234'5678'9ABCULL);

  Tally t;
  u64 known_mismatches = 0;
  for (const Known& k : kKnown) {
    const u64 before = aborts_taken;
    const u64 got = load(windows[k.window].va + k.page_off, 4);
    if (got != k.value || aborts_taken != before) {
      ++known_mismatches;
    }
  }
  const u64 before_state = snapshot();

  // Random accesses: every width, any offset and alignment in the page. Writes only where an abort
  // is expected (anything else may legitimately change a register).
  const u64 total = options.iterations;
  for (u64 n = 0; n < total; ++n) {
    const Window& w = windows[next_random() % kWindows];
    const u8 bytes = static_cast<u8>(1U << (next_random() % 4));
    const u64 page_off = next_random() % (kPage - bytes + 1);
    const bool write = (next_random() & 1) != 0;
    const Want expected = want(w, page_off, bytes, write);
    if (write && expected != Want::abort) {
      continue;
    }
    check(t, w, page_off, bytes, write, expected);
  }
  // No syndrome: each kind at an aligned register of each window.
  u64 no_syndrome_mismatches = 0;
  for (const Window& w : windows) {
    for (unsigned kind = 0; kind < kNoSyndromeKinds; ++kind) {
      const u64 va = w.va + 0x10;
      const u64 before = aborts_taken;
      no_syndrome(va, kind);
      const bool ok = aborts_taken == before + 1 && last_esr == kEsrDataAbortEl1 &&
                      (last_far == va || (kind == 3 && last_far == va + 4));
      no_syndrome_mismatches += ok ? 0 : 1;
    }
    // Post-indexed: +0x10 is RAZ/WI in every window (GICD reserved and IROUTER2, GICR_STATUSR and
    // reserved space, the UART's reserved word): served, the base moved.
    u64 base = w.va + 0x10;
    u64 before_pi = aborts_taken;
    const u64 loaded = load_post_indexed(base);
    no_syndrome_mismatches += aborts_taken == before_pi && loaded == 0 && base == w.va + 0x14 ? 0 : 1;
    base = w.va + 0x10;
    store_post_indexed(base, ~u64{0});
    no_syndrome_mismatches += aborts_taken == before_pi && base == w.va + 0x08 ? 0 : 1;
    // Cache maintenance by VA on the device: ignored.
    const u64 before = aborts_taken;
    asm volatile("dc civac, %0" : : "r"(w.va + 0x10) : "memory");
    no_syndrome_mismatches += aborts_taken == before ? 0 : 1;
  }
  u64 pidr2_at = windows[2].va + 0xFE8;
  const u64 before_pidr2 = aborts_taken;
  const bool post_indexed_known =
      load_post_indexed(pidr2_at) == 0x30 && pidr2_at == windows[2].va + 0xFEC && aborts_taken == before_pidr2;
  no_syndrome_mismatches += post_indexed_known ? 0 : 1;
  const u64 after_state = snapshot();
  set_el1_sync_hook(nullptr);

  const bool unchanged = before_state == after_state;
  const bool pass = t.mismatches == 0 && known_mismatches == 0 && no_syndrome_mismatches == 0 && unchanged &&
                    t.aborts > 0 && t.accesses > 0;
  Record("mmio-hostile")
      .flag("hypervisor", true)
      .num("seed", options.seed)
      .num("accesses", t.accesses)
      .num("aborts", t.aborts)
      .num("mismatches", t.mismatches)
      .num("known_mismatches", known_mismatches)
      .num("no_syndrome_mismatches", no_syndrome_mismatches)
      .num("aborts_taken", aborts_taken)
      .flag("registers_unchanged", unchanged)
      .flag("pass", pass)
      .end();
  return pass;
}

}  // namespace probe
