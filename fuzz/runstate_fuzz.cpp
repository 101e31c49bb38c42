// libFuzzer target: guest memory, page tables and runstate hypercalls driven by the input
// SPDX-License-Identifier: MIT
//
// One machine (a guest domain with KPTI-style kernel and trampoline roots, a neighbour domain,
// hypervisor pages, MMIO) is built once and restored before each input, which then plays a
// sequence of operations: registrations by VA and IPA in any context, updates, unregistration,
// remaps, arbitrary writes into guest RAM (page tables included), pages given up, hypercalls
// with arbitrary arguments, registration races. Checked throughout (abort = finding):
//   - the hypervisor writes no page but those its areas are at: every other page, the guest's
//     page tables and read-only pages included, is read-only in the hypervisor's view of the
//     machine, so a stray write faults at the store (while an area's place cannot be worked out,
//     e.g. after the guest scribbled its tables, that widens to the guest's writable RAM);
//   - where a registration's place can be worked out from the model's own tables, its result
//     is the one the translation calls for (0, -EFAULT, -EACCES, -EINVAL), and after every step
//     the area holds the vCPU's record at the address the model walked;
//   - no frame outside the guest changes owner; pin counts equal what the areas hold; after
//     teardown, zero; the runstate invariant sum(time[]) == state_entry_time - created.
#include <fuzzer/FuzzedDataProvider.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "core/evtchn_call.hpp"
#include "core/pte.hpp"
#include "core/vcpu_op.hpp"
#include "core/xen_version.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;
using xen::Errno;
using xen::error;

constexpr u64 kMmio = 0x0900'0000;
constexpr u32 kVcpus = 3;
constexpr u32 kDataPages = 8;
constexpr u64 kRamBytes = u64{256} << 10;  // small, so that random addresses hit it often
constexpr u64 kNeighbourIpa = 0x8000'0000, kXenIpa = 0x8000'1000, kReadOnlyIpa = 0x8000'2000;
constexpr u32 kAreaBytes = sizeof(vcpu_runstate_info);

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "runstate_fuzz: invariant broken: %s\n", what);
  std::abort();
}

// The harness's own bookkeeping (checks, protection) carries no coverage: it would only add
// features that guide nothing, and time.
#define RUNHV_NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))

// An EL1 context as the fuzzer made it: `root` is the upper-half root it installs, and
// `regular` says the model can walk it (no register was scrambled).
struct Context {
  mmu::Stage1Regs regs;
  Ipa root;
  bool regular = false;
};

// Where the model puts an area: its host bytes (one or two runs), or why it cannot be written.
struct Place {
  enum Kind : u8 { none, at, refused, unknown } kind = none;
  Pa pa[2]{};
  u32 len0 = 0;  // bytes at pa[0]; the rest of `len` at pa[1]
  u32 len = kAreaBytes;
  long rc = 0;  // for refused: the error the translation calls for
};

struct World;
World* g_world = nullptr;
struct sigaction g_previous_segv;

// SIGSEGV: a write into a page the hypervisor's view has read-only. Opened when the step may
// write it; otherwise a finding, reported by the previous handler (ASan's: the faulting store's
// stack) when the store is retried.
void on_write_fault(int sig, siginfo_t* info, void* uc);

struct World {
  model::Machine machine;
  GuestSpace guest;
  RunstateDomain dom;
  VcpuRunstate vcpus[kVcpus];
  Ipa kernel_root, trampoline_root;
  std::vector<Ipa> data;  // data pages mapped at kernel_va(page * 4 KiB)
  model::GuestPageAllocator pristine_pages;
  u64 now = 0;
  bool tables_scribbled = false;
  // The model's view of each vCPU's areas and whether the active one holds its record.
  Place va_place[kVcpus], phys_place[kVcpus], written[kVcpus];
  bool verified[kVcpus] = {};
  std::vector<Pa> data_pages;  // host pages the fuzzer maps as data (the rest of guest RAM: tables)
  Pa read_only_page;           // host page behind kReadOnlyIpa
  Pa neighbour_page;           // host page of domain 2 behind kNeighbourIpa
  Place pending;               // where the step about to run may write besides the areas' places
  // RUNHV_FUZZ_TRACE=1: print each operation (to see what led to a finding).
  const bool trace = std::getenv("RUNHV_FUZZ_TRACE") != nullptr;
  // RUNHV_FUZZ_PLANT_STRAY_WRITE=neighbour|table: each registration by VA also writes a byte of
  // the neighbour's page or of the guest's kernel root table through the hypervisor's view, as
  // a broken core would (the checks' own test).
  const char* const plant_stray_write = std::getenv("RUNHV_FUZZ_PLANT_STRAY_WRITE");

  static GuestSpace::Options options() {
    GuestSpace::Options o;
    o.ram_bytes = kRamBytes;
    return o;
  }

  World() : guest(init_machine(machine), options()), pristine_pages(Ipa(0), 0) {
    kernel_root = guest.s1().root(model::Half::upper);
    trampoline_root = guest.s1().new_root(model::Half::upper);
    for (u32 i = 0; i < kDataPages; ++i) {
      data.push_back(guest.map_kernel(u64{i} * kPageSize));
    }
    const Ipa trampoline_data = guest.alloc();
    guest.s1().map(trampoline_root, GuestSpace::kernel_va(0), trampoline_data, kPageSize);
    for (Ipa d : data) {
      data_pages.push_back(guest.pa(d));
    }
    data_pages.push_back(guest.pa(trampoline_data));
    // Hostile stage-2 mappings: the neighbour's page, a hypervisor page, MMIO, read-only RAM.
    neighbour_page = machine.alloc(xen::domid(2));
    guest.s2().map(Ipa(kNeighbourIpa), neighbour_page, kPageSize);
    guest.s2().map(Ipa(kXenIpa), machine.alloc(DomId::xen), kPageSize);
    guest.s2().map(Ipa(kMmio), Pa(kMmio), kPageSize, {}, true);
    read_only_page = machine.alloc(guest.dom());
    guest.s2().map(Ipa(kReadOnlyIpa), read_only_page, kPageSize, model::S2Perms{true, false, false});
    for (u64 i = 0; i < 4; ++i) {  // kernel VAs pointing at each of them
      const u64 ipas[] = {kNeighbourIpa, kXenIpa, kMmio, kReadOnlyIpa};
      guest.s1().map(GuestSpace::kernel_va(0x10'0000 + i * kPageSize), Ipa(ipas[i]), kPageSize);
    }
    pristine_pages = guest.pages();
    for (usize i = 0; i < machine.ram_pages(); ++i) {
      machine.set_hypervisor_writable(machine.page_address(i), false);
    }
    machine.snapshot();
    g_world = this;
    struct sigaction sa = {};
    sa.sa_sigaction = on_write_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous_segv);
  }

  static model::Machine& init_machine(model::Machine& m) {
    m.add_mmio(Pa(kMmio), 0x1'0000);
    return m;
  }

  // Back to the state right after construction, for the next input.
  void reset(FuzzedDataProvider& in) {
    for (auto& v : vcpus) {
      std::destroy_at(&v);  // (the areas were released by teardown())
      std::construct_at(&v);
    }
    machine.restore();  // every page read-only again
    n_opened = 0;
    guest.pages() = pristine_pages;
    guest.s1().use_root(model::Half::upper, kernel_root);
    dom = RunstateDomain{};
    dom.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
    dom.va_policy = in.ConsumeBool() ? VaPolicy::legacy : VaPolicy::mapped;
    dom.update_flag = in.ConsumeBool();
    shared_info = xen::shared_info{};
    evtchn_init(evtchn, guest.dom(), kVcpus, &shared_info, &dom.log_budget);
    evtchn_dir.d = &evtchn;
    for (u32 i = 0; i < kVcpus; ++i) {
      vcpus[i].area.init(&dom, i);
      vcpus[i].account.reset(0);
      vcpus[i].el1 = guest.s1_regs();
      va_place[i] = phys_place[i] = written[i] = Place{};
      verified[i] = true;
    }
    now = 0;
    tables_scribbled = false;
  }

  // ---------------------------------------------------------------- the model's translation

  // Host address of a stage-2 IPA, or nullopt; `writable` false for the read-only page.
  std::optional<Pa> s2(Ipa ipa, bool& writable) {
    writable = ipa.page_base() != Ipa(kReadOnlyIpa);
    return guest.s2().lookup(ipa);
  }

  // Walks `va` for a write in context `c` from the model's own tables, as the Arm ARM has it for
  // 4 KiB pages: a level-3 page descriptor with AF set and AP[2] clear, then stage 2.
  Place place_page(const Context& c, Va va, bool write) {
    Place p;
    if (!c.regular || tables_scribbled) {
      p.kind = Place::unknown;
      return p;
    }
    p.kind = Place::refused;
    p.rc = error(Errno::efault);
    const u64 top = va.raw() >> 48;
    if (top != 0 && top != 0xFFFF) {
      return p;
    }
    const Ipa root = top == 0 ? guest.s1().root(model::Half::lower) : c.root;
    const std::optional<Ipa> entry = guest.s1().entry_ipa(root, va, 3);
    if (!entry) {
      return p;
    }
    const u64 desc = machine.read64(guest.pa(*entry));
    if (trace) {
      std::fprintf(stderr, "  model: va 0x%llx entry at ipa 0x%llx desc 0x%llx\n",
                   static_cast<unsigned long long>(va.raw()), static_cast<unsigned long long>(entry->raw()),
                   static_cast<unsigned long long>(desc));
    }
    if ((desc & pte::TYPE_MASK) != pte::TYPE_PAGE || (desc & pte::AF) == 0 || (write && (desc & pte::s1::AP_RO) != 0)) {
      return p;
    }
    const Ipa ipa((desc & pte::OA_MASK) | va.page_offset());
    bool writable = true;
    const std::optional<Pa> pa = s2(ipa, writable);
    if (trace) {
      std::fprintf(stderr, "  model: ipa 0x%llx -> %s 0x%llx\n", static_cast<unsigned long long>(ipa.raw()),
                   pa ? "pa" : "none", static_cast<unsigned long long>(pa ? pa->raw() : 0));
    }
    if (!pa) {
      return p;
    }
    if (write && !writable) {
      p.rc = error(Errno::eacces);
      return p;
    }
    const Frame* f = machine.frame(*pa);
    if (f == nullptr || f->owner() != guest.dom() || f->released()) {
      p.rc = error(Errno::einval);
      return p;
    }
    p.kind = Place::at;
    p.rc = 0;
    p.pa[0] = *pa;
    return p;
  }

  // The place of `len` bytes at `va` (at most a page): one or two pages, the first refusal wins.
  Place place_range(const Context& c, Va va, u32 len, bool write) {
    const Va last = va + (len - 1);
    Place p = place_page(c, va, write);
    if (p.kind != Place::at) {
      return p;
    }
    p.len = p.len0 = len;
    if (last.page_number() != va.page_number()) {
      const Place second = place_page(c, last.page_base(), write);
      if (second.kind != Place::at) {
        return second;
      }
      p.len0 = static_cast<u32>(kPageSize - va.page_offset());
      p.pa[1] = second.pa[0];
    }
    return p;
  }
  // The place of a runstate area at `va`.
  Place place_va(const Context& c, Va va) { return place_range(c, va, kAreaBytes, true); }

  Place place_phys(Ipa ipa) {
    Place p;
    if ((ipa.raw() & 7) != 0 || ipa.page_offset() + kAreaBytes > kPageSize) {
      p.kind = Place::refused;
      p.rc = error(Errno::enxio);
      return p;
    }
    bool writable = true;
    const std::optional<Pa> pa = s2(ipa, writable);
    p.kind = Place::refused;
    if (!pa) {
      p.rc = error(Errno::einval);  // a phys area that does not translate: -EINVAL (Xen)
      return p;
    }
    if (!writable) {
      p.rc = error(Errno::eacces);
      return p;
    }
    const Frame* f = machine.frame(*pa);
    if (f == nullptr || f->owner() != guest.dom() || f->released()) {
      p.rc = error(Errno::einval);
      return p;
    }
    p.kind = Place::at;
    p.pa[0] = *pa;
    p.len0 = kAreaBytes;
    return p;
  }

  // Reads the u64 at `va` through the model's tables (nullopt when it cannot tell).
  std::optional<u64> read_va(const Context& c, Va va) {
    const Place p = place_page(c, va, false);
    if (p.kind != Place::at || va.page_offset() > kPageSize - 8) {
      return std::nullopt;
    }
    return machine.read64(p.pa[0]);
  }

  // ---------------------------------------------------------------- what may be written

  // Sets what the step about to run may write: the pages of each vCPU's active area and of
  // `next`, or, with `broad` or while some place cannot be worked out, every page of the guest's
  // that stage 2 lets it write. Pages are read-only in the hypervisor's view until written:
  // on_write_fault opens a page the step may write and reports any other; here the pages
  // opened earlier that the step may not write are closed again.
  RUNHV_NO_COVERAGE void protect(bool broad, const Place& next = Place{}) {
    pending = next;
    n_allowed = 0;
    broad_step = broad;
    const auto allow = [&](const Place& p) {
      broad_step = broad_step || p.kind == Place::unknown;
      if (p.kind == Place::at) {
        allowed[n_allowed++] = p.pa[0].page_base();
        allowed[n_allowed++] = (p.len0 < p.len ? p.pa[1] : p.pa[0]).page_base();
      }
    };
    for (u32 i = 0; i < kVcpus; ++i) {
      // The active area only: a phys area while there is one, else the VA area.
      if (phys_place[i].kind != Place::none) {
        allow(phys_place[i]);
      } else {
        allow(dom.va_policy == VaPolicy::mapped ? va_place[i] : written[i]);
      }
    }
    allow(pending);
    for (usize k = 0; k < n_opened;) {
      if (may_write(opened[k])) {
        ++k;
      } else {
        machine.set_hypervisor_writable(machine.page_address(opened[k]), false);
        opened[k] = opened[--n_opened];
      }
    }
  }

  [[nodiscard]] RUNHV_NO_COVERAGE bool may_write(usize index) const {
    const Pa page = machine.page_address(index);
    if (machine.frame_at(index).owner() != guest.dom() || page == read_only_page) {
      return false;
    }
    for (usize k = 0; k < n_allowed; ++k) {
      if (allowed[k] == page) {
        return true;
      }
    }
    return broad_step;
  }

  // A write into a read-only page of the hypervisor's view: opened if the step may write it.
  RUNHV_NO_COVERAGE bool open_for_write(const void* at) {
    usize index = 0;
    if (!machine.hypervisor_page_index(at, index) || !may_write(index) || n_opened == kMaxOpened) {
      return false;
    }
    machine.set_hypervisor_writable(machine.page_address(index), true);
    opened[n_opened++] = index;
    return true;
  }

  static constexpr usize kMaxOpened = 128;
  Pa allowed[2 * (kVcpus + 1)];
  usize n_allowed = 0;
  bool broad_step = false;
  usize opened[kMaxOpened] = {};  // page indices writable in the hypervisor's view
  usize n_opened = 0;

  // ---------------------------------------------------------------- picking inputs

  Context context(FuzzedDataProvider& in) {
    Context c;
    c.root = in.ConsumeBool() ? trampoline_root : kernel_root;
    guest.s1().use_root(model::Half::upper, c.root);
    c.regs = guest.s1_regs();
    guest.s1().use_root(model::Half::upper, kernel_root);
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
        c.regs.tcr |= mmu::tcr::EPD1;
        break;
      case 1:
        c.regs.tcr = in.ConsumeIntegral<u64>();
        break;
      case 2:
        c.regs.ttbr1 = in.ConsumeIntegral<u64>();
        break;
      case 3:
        c.regs.sctlr = 0;
        break;
      default:
        c.regular = true;
        break;
    }
    return c;
  }

  Va pick_va(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 4)) {
      case 0:
        return Va(in.ConsumeIntegral<u64>());
      case 1:
        return Va(0);
      case 2:
        return GuestSpace::kernel_va(0x10'0000 + in.ConsumeIntegralInRange<u64>(0, 4 * kPageSize));
      default:
        return GuestSpace::kernel_va(in.ConsumeIntegralInRange<u64>(0, kDataPages * kPageSize + 64));
    }
  }

  Ipa pick_ipa(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 0:
        return Ipa(in.ConsumeIntegral<u64>());
      case 1:
        return Ipa(kNeighbourIpa + in.ConsumeIntegralInRange<u64>(0, 3 * kPageSize));
      case 2:
        return Ipa(xen::kPhysAreaUnregister);
      default:
        return Ipa(GuestSpace::kRamBase + in.ConsumeIntegralInRange<u64>(0, kRamBytes + 64));
    }
  }

  // ---------------------------------------------------------------- checks

  RUNHV_NO_COVERAGE u64 pins_held() const {
    u64 n = 0;
    for (const auto& v : vcpus) {
      n += v.area.pinned_frames();
    }
    return n;
  }

  RUNHV_NO_COVERAGE void check_runstate() const {
    for (const auto& v : vcpus) {
      const auto& r = v.account.info();
      if (r.time[0] + r.time[1] + r.time[2] + r.time[3] != r.state_entry_time - v.account.created()) {
        finding("runstate times do not add up");
      }
    }
  }

  // The 48 bytes a guest reads for `info` (Xen's struct vcpu_runstate_info, update flag clear).
  static void record_bytes(const vcpu_runstate_info& info, u8 out[kAreaBytes]) {
    const u64 words[6] = {static_cast<u32>(info.state),
                          info.state_entry_time & ~xen::kRunstateUpdate,
                          info.time[0],
                          info.time[1],
                          info.time[2],
                          info.time[3]};
    std::memcpy(out, words, kAreaBytes);
  }

  void read_place(const Place& p, u8 out[kAreaBytes]) {
    machine.read_bytes(p.pa[0], out, p.len0);
    if (p.len0 < kAreaBytes) {
      machine.read_bytes(p.pa[1], out + p.len0, kAreaBytes - p.len0);
    }
  }

  // Whether [pa, pa+n) overlaps the bytes of `w`.
  RUNHV_NO_COVERAGE static bool hits(const Place& w, Pa pa, u32 n) {
    const auto in = [&](Pa base, u32 len) { return len != 0 && base < pa + n && pa < base + len; };
    return w.kind == Place::at && (in(w.pa[0], w.len0) || in(w.pa[1], w.len - w.len0));
  }
  RUNHV_NO_COVERAGE static bool overlaps(const Place& a, const Place& b) {
    return b.kind == Place::at && (hits(a, b.pa[0], b.len0) || hits(a, b.pa[1], b.len - b.len0));
  }

  // vCPU v's area was just written at `p`: the areas it overlaps (all, if `p` is unknown) no
  // longer hold their records.
  RUNHV_NO_COVERAGE void wrote(u32 v, const Place& p) {
    note_write(p);
    written[v] = p;
    verified[v] = p.kind == Place::at;
    for (u32 o = 0; o < kVcpus; ++o) {
      if (o != v && (p.kind == Place::unknown || overlaps(written[o], p))) {
        verified[o] = false;
      }
    }
  }

  // The model's view of the update or registration write: phys area if any, else the VA area
  // (mapped: where it was translated; legacy: `legacy`, translated before the write).
  void model_write(u32 v, const Place* legacy) {
    if (phys_place[v].kind != Place::none) {
      wrote(v, phys_place[v]);
    } else if (vcpus[v].area.va_registered()) {
      if (dom.va_policy == VaPolicy::mapped) {
        wrote(v, va_place[v]);
      } else {
        wrote(v, legacy != nullptr ? *legacy : Place{Place::unknown});
      }
    } else {
      written[v] = Place{};
      verified[v] = false;
    }
  }

  RUNHV_NO_COVERAGE void check_contents() {
    for (u32 v = 0; v < kVcpus; ++v) {
      if (!verified[v] || written[v].kind != Place::at) {
        continue;
      }
      u8 want[kAreaBytes], got[kAreaBytes];
      record_bytes(vcpus[v].account.info(), want);
      read_place(written[v], got);
      if (std::memcmp(want, got, kAreaBytes) != 0) {
        std::fprintf(stderr, "runstate_fuzz: vCPU %u's area at 0x%llx+%u:", v,
                     static_cast<unsigned long long>(written[v].pa[0].raw()), written[v].len0);
        for (u32 k = 0; k < kAreaBytes; k += 8) {
          u64 a = 0, b = 0;
          std::memcpy(&a, want + k, 8);
          std::memcpy(&b, got + k, 8);
          std::fprintf(stderr, " %llx/%llx", static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
        }
        std::fprintf(stderr, " (want/got)\n");
        finding("the runstate area does not hold the vCPU's record where the model walked it");
      }
    }
  }

  // ---------------------------------------------------------------- operations

  void expect_rc(long rc, const Place& p) {
    if (trace) {
      std::fprintf(stderr, "  result %ld; model: kind %d rc %ld at 0x%llx+%u / 0x%llx\n", rc, p.kind, p.rc,
                   static_cast<unsigned long long>(p.pa[0].raw()), p.len0,
                   static_cast<unsigned long long>(p.pa[1].raw()));
    }
    if (p.kind == Place::unknown) {
      return;
    }
    if (rc != p.rc) {
      std::fprintf(stderr, "runstate_fuzz: result %ld, the model's translation calls for %ld\n", rc, p.rc);
      finding("a registration's result differs from what the translation calls for");
    }
  }

  // `p`: where the model put the area before the call (the call's own write may change the tables).
  void register_va(u32 v, Va va, Place p, long rc) {
    if (dom.va_policy == VaPolicy::legacy && p.kind != Place::unknown) {
      p.rc = 0;  // legacy stores the VA; the first write may fail like any later one
    }
    expect_rc(rc, p);
    if (rc == 0) {
      va_place[v] = dom.va_policy == VaPolicy::mapped ? p : Place{};
      if (va_place[v].kind == Place::refused) {
        va_place[v].kind = Place::unknown;  // accepted where the model refused: found by expect_rc
      }
      if (va != Va(0)) {
        model_write(v, &p);
      } else if (phys_place[v].kind == Place::none) {
        written[v] = Place{};  // nothing registered, nothing written
        verified[v] = false;
      }
    }
  }

  void register_phys(u32 v, const Place& p, long rc) {
    expect_rc(rc, p);
    if (rc == 0) {
      phys_place[v] = p;
      if (p.kind != Place::none) {
        model_write(v, nullptr);
      } else {
        // The VA area is active again, written from the next update on.
        written[v] = dom.va_policy == VaPolicy::mapped ? va_place[v] : Place{};
        verified[v] = false;
      }
    }
  }

  void step(FuzzedDataProvider& in) {
    const u32 v = in.ConsumeIntegralInRange<u32>(0, kVcpus - 1);
    VcpuRunstate& vc = vcpus[v];
    const int op = in.ConsumeIntegralInRange(0, 12);
    if (trace) {
      std::fprintf(stderr, "op %d on vcpu %u\n", op, v);
    }
    switch (op) {
      case 0: {
        const Context c = context(in);
        const Va va = pick_va(in);
        if (trace) {
          std::fprintf(stderr, "  register_va 0x%llx in root 0x%llx (regular %d)\n",
                       static_cast<unsigned long long>(va.raw()), static_cast<unsigned long long>(c.root.raw()),
                       c.regular);
        }
        const Place p = va == Va(0) ? Place{} : place_va(c, va);
        protect(false, p);
        if (plant_stray_write != nullptr) {
          ++*machine.map(std::strcmp(plant_stray_write, "table") == 0 ? guest.pa(kernel_root) : neighbour_page);
        }
        register_va(v, va, p, vc.register_va(c.regs, va));
        break;
      }
      case 1: {
        const Ipa ipa = pick_ipa(in);
        const Place p = ipa.raw() == xen::kPhysAreaUnregister ? Place{} : place_phys(ipa);
        protect(false, p);
        register_phys(v, p, vc.register_phys(ipa));
        break;
      }
      case 2:
      case 3: {
        const Context c = context(in);
        vc.el1 = c.regs;
        now += in.ConsumeIntegralInRange<u64>(0, 1'000'000);
        const auto next = static_cast<RunstateState>(in.ConsumeIntegralInRange(0, 3));
        const bool legacy_walk =
            phys_place[v].kind == Place::none && vc.area.va_registered() && dom.va_policy == VaPolicy::legacy;
        const Place legacy = legacy_walk ? place_va(c, vc.area.va()) : Place{Place::unknown};
        protect(false, legacy_walk ? legacy : Place{});
        vc.change(next, now);
        model_write(v, &legacy);
        break;
      }
      case 4: {  // the guest remaps one of its data VAs to some IPA
        if (tables_scribbled) {
          break;  // the builder would follow whatever the guest wrote into its tables
        }
        const u64 page = in.ConsumeIntegralInRange<u64>(0, kDataPages - 1);
        guest.s1().unmap(GuestSpace::kernel_va(page * kPageSize), kPageSize);
        const Ipa to = pick_ipa(in).page_base();
        const model::S1Attrs attrs{.read_only = in.ConsumeBool(), .af = in.ConsumeBool()};
        if (trace) {
          std::fprintf(stderr, "  remap kernel_va(0x%llx) to 0x%llx read_only %d af %d\n",
                       static_cast<unsigned long long>(page * kPageSize), static_cast<unsigned long long>(to.raw()),
                       attrs.read_only, attrs.af);
        }
        guest.s1().map(GuestSpace::kernel_va(page * kPageSize), to, kPageSize, attrs);
        break;
      }
      case 5: {  // the guest writes anything anywhere in its own RAM, its page tables included
        const u64 off = in.ConsumeIntegralInRange<u64>(0, kRamBytes - 8) & ~u64{7};
        const Pa pa = guest.pa(Ipa(GuestSpace::kRamBase + off));
        if (machine.frame(pa)->owner() == guest.dom()) {
          machine.write64(pa, in.ConsumeIntegral<u64>());
          tables_scribbled = true;
          clobbered(pa, 8);
        }
        break;
      }
      case 6: {  // the guest gives a data page back
        Frame* f = machine.frame(guest.pa(data[in.ConsumeIntegralInRange<u64>(0, kDataPages - 1)]));
        if (f->owner() == guest.dom() && !f->released()) {
          f->release();
        }
        break;
      }
      case 7:
        (void)runstate_vm_assist(dom, in.ConsumeIntegralInRange<u32>(0, 2), in.ConsumeIntegralInRange<u32>(4, 6));
        break;
      case 8:
        hypercall(in, v);
        break;
      case 9:  // a registration racing a release (the area lock held) on another pCPU
        if (vc.area.try_lock()) {
          const Context c = context(in);
          const Va before = vc.area.va();
          const u32 pinned = vc.area.pinned_frames();
          protect(false);
          // Refused as bad input, or told to restart; never registered under a running update.
          if (vc.register_va(c.regs, pick_va(in)) == 0 || vc.area.va() != before || vc.area.pinned_frames() != pinned) {
            finding("registration went ahead while the area lock was held");
          }
          vc.area.unlock();
        }
        break;
      case 12:
        hypercall_by_number(in, v);
        break;
      case 10:
        protect(false);
        vc.area.release();
        va_place[v] = phys_place[v] = written[v] = Place{};
        verified[v] = false;
        break;
      default:
        if (tables_scribbled) {
          break;
        }
        guest.s1().unmap(GuestSpace::kernel_va(in.ConsumeIntegralInRange<u64>(0, kDataPages - 1) * kPageSize),
                         kPageSize);
        break;
    }
    if (machine.total_pins() != pins_held()) {
      finding("frame pins differ from what the areas hold");
    }
    check_runstate();
    check_contents();
  }

  // The hypervisor wrote at `p`: if that may have been a page table, the model's builders can no
  // longer be trusted with the tables (as after the guest's own scribbles).
  void note_write(const Place& p) {
    const auto data_page = [this](Pa page) {
      for (Pa d : data_pages) {
        if (d == page.page_base()) {
          return true;
        }
      }
      return false;
    };
    if (p.kind == Place::unknown ||
        (p.kind == Place::at && (!data_page(p.pa[0]) || (p.len0 < p.len && !data_page(p.pa[1]))))) {
      tables_scribbled = true;
    }
  }

  // The guest wrote [pa, pa+n): an area there no longer holds its record.
  RUNHV_NO_COVERAGE void clobbered(Pa pa, u32 n) {
    for (u32 v = 0; v < kVcpus; ++v) {
      if (hits(written[v], pa, n)) {
        verified[v] = false;
      }
    }
  }

  // A vcpu_op with arbitrary arguments; the argument struct in a data page.
  void hypercall(FuzzedDataProvider& in, u32 v) {
    const u64 value = in.ConsumeBool() ? pick_va(in).raw() : pick_ipa(in).raw();
    const Pa arg_pa = guest.pa(data[0]) + 512;
    if (machine.frame(arg_pa)->owner() == guest.dom()) {
      machine.write64(arg_pa, value);
      clobbered(arg_pa, 8);
    }
    VcpuRunstate* const all[kVcpus] = {&vcpus[0], &vcpus[1], &vcpus[2]};
    RunstateVcpus d{&dom, all, kVcpus};
    const Va arg = in.ConsumeBool() ? GuestSpace::kernel_va(512) : pick_va(in);
    const Context c = context(in);
    const u32 cmd = in.ConsumeIntegralInRange<u32>(0, 16);
    const u32 target = in.ConsumeIntegralInRange<u32>(0, kVcpus + 1);
    const auto op = static_cast<xen::VcpuOp>(cmd);
    const bool served = op == xen::VcpuOp::get_runstate_info || op == xen::VcpuOp::register_runstate_memory_area ||
                        op == xen::VcpuOp::register_runstate_phys_area;
    protect(served && op == xen::VcpuOp::get_runstate_info);  // (the snapshot goes wherever `arg` is)
    // The argument as the model reads it (registrations): nullopt when it cannot tell.
    const Place arg_place = place_page(c, arg, false);
    const std::optional<u64> addr = read_va(c, arg);
    // Where the registration puts the area, worked out before the call writes it.
    Place next;
    if (addr && op == xen::VcpuOp::register_runstate_memory_area && *addr != 0) {
      next = place_va(c, Va(*addr));
    } else if (addr && op == xen::VcpuOp::register_runstate_phys_area && *addr != xen::kPhysAreaUnregister) {
      next = place_phys(Ipa(*addr));
    }
    if (served && target < kVcpus && op != xen::VcpuOp::get_runstate_info && addr) {
      protect(false, next);
    } else if (served && target < kVcpus && op != xen::VcpuOp::get_runstate_info) {
      protect(true);
    }
    const long rc = runstate_vcpu_op(d, v, c.regs, cmd, target, arg, now);
    if (trace) {
      std::fprintf(stderr, "  vcpu_op %u on vcpu %u arg 0x%llx (holding 0x%llx) in root 0x%llx (regular %d): %ld\n",
                   cmd, target, static_cast<unsigned long long>(arg.raw()), static_cast<unsigned long long>(value),
                   static_cast<unsigned long long>(c.root.raw()), c.regular, rc);
    }
    if (!served || target >= kVcpus) {
      if (rc != (served ? error(Errno::enoent) : error(Errno::enosys))) {
        finding("vcpu_op: wrong result for an unserved sub-op or a vCPU that does not exist");
      }
      return;
    }
    if (op == xen::VcpuOp::get_runstate_info) {
      if (rc == 0) {
        for (bool& ok : verified) {
          ok = false;  // the snapshot may have landed on any area
        }
        note_write(Place{Place::unknown});
      }
      return;
    }
    if (arg_place.kind == Place::refused && rc != error(Errno::efault)) {
      finding("vcpu_op read its argument where the translation does not allow it");
    }
    if (rc == error(Errno::efault) && !addr) {
      return;
    }
    if (op == xen::VcpuOp::register_runstate_memory_area) {
      if (!addr) {
        if (rc == 0) {
          va_place[target] = Place{Place::unknown};
          if (phys_place[target].kind != Place::none) {
            // The phys area stays active. The model cannot tell a registration (the phys area
            // written again with the record it should hold) from an unregistration (VA 0:
            // nothing written): the area holds the record if it did before, and the areas it
            // overlaps may have been overwritten.
            const bool held = verified[target];
            wrote(target, phys_place[target]);
            verified[target] = held && verified[target];
          } else {
            model_write(target, nullptr);
          }
        }
      } else {
        register_va(target, Va(*addr), next, rc);
      }
    } else if (!addr) {
      if (rc == 0) {
        phys_place[target] = Place{Place::unknown};
        model_write(target, nullptr);
      }
    } else {
      register_phys(target, next, rc);
    }
  }

  // A hypercall with a random number and arguments, to the portable handlers (the others need
  // the hypervisor proper): xen_version, vm_assist, vcpu_op, event_channel_op. What they write
  // into guest memory must land where the model's translation of the argument puts it.
  void hypercall_by_number(FuzzedDataProvider& in, u32 v) {
    const u64 number = in.ConsumeBool() ? in.ConsumeIntegralInRange<u64>(0, 40) : in.ConsumeIntegral<u64>();
    const u64 cmd = in.ConsumeBool() ? in.ConsumeIntegralInRange<u64>(0, 16) : in.ConsumeIntegral<u64>();
    const Va arg =
        in.ConsumeBool() ? GuestSpace::kernel_va(in.ConsumeIntegralInRange<u64>(0, 8 * kPageSize)) : pick_va(in);
    const Context c = context(in);
    if (trace) {
      std::fprintf(stderr, "  hypercall %llu cmd %llu arg 0x%llx in root 0x%llx (regular %d)\n",
                   static_cast<unsigned long long>(number), static_cast<unsigned long long>(cmd),
                   static_cast<unsigned long long>(arg.raw()), static_cast<unsigned long long>(c.root.raw()),
                   c.regular);
    }
    const GuestCall call{dom.space, c.regs, dom.log_budget, 1, v};
    switch (static_cast<xen::Hypercall>(number)) {
      case xen::Hypercall::xen_version: {
        const auto sub = static_cast<u32>(cmd);
        const u32 len = sub == 1 ? 16 : 8;
        const Place out = place_range(c, arg, len, true);
        const Place partial = copied_before_fault(c, arg, len, out);
        protect(false, out.kind == Place::refused ? partial : out);
        const std::optional<u64> features = read_va(c, arg);
        const Place in_arg = place_range(c, arg, 8, false);
        const long rc = xen_version_op(call, cmd, arg.raw());
        // What the call may have written: its answer, or (-EFAULT, a copy out that failed after
        // its first page) part of it; get_features writes only once it read the argument. This
        // holds also when the model cannot tell the result.
        if (rc == 0) {
          hypercall_wrote(out);
        } else if (rc == error(Errno::efault) && (sub == 1 || (sub == 6 && in_arg.kind != Place::refused))) {
          hypercall_wrote(partial);
        }
        long want = error(Errno::enosys);
        if (sub == 0) {
          want = kXenVersion;
        } else if (sub == 7) {
          want = static_cast<long>(kPageSize);
        } else if (sub == 1 || sub == 6) {
          if (out.kind == Place::unknown || in_arg.kind == Place::unknown ||
              (sub == 6 && !features && in_arg.kind == Place::at)) {
            break;  // the model cannot tell the result
          }
          want = (sub == 6 && in_arg.kind != Place::at)         ? error(Errno::efault)
                 : (sub == 6 && (*features & 0xFFFF'FFFF) != 0) ? error(Errno::einval)
                 : out.kind == Place::at                        ? 0
                                                                : error(Errno::efault);
        }
        if (rc != want) {
          std::fprintf(stderr, "runstate_fuzz: xen_version(%llu) returned %ld, the model says %ld\n",
                       static_cast<unsigned long long>(cmd), rc, want);
          finding("xen_version's result differs from the model's");
        }
        break;
      }
      case xen::Hypercall::event_channel_op: {
        const EvtchnOpInfo info = evtchn_op_info(static_cast<u32>(cmd));
        const Place in_arg = info.size != 0 ? place_range(c, arg, static_cast<u32>(info.size), false) : Place{};
        const Place out = info.copy_back ? place_range(c, arg, static_cast<u32>(info.size), true) : Place{};
        const Place partial = info.copy_back ? copied_before_fault(c, arg, static_cast<u32>(info.size), out) : Place{};
        protect(false, out.kind == Place::refused ? partial : out);
        Upcall up;
        long op_rc = error(Errno::enosys);  // the operation's own result, if it ran
        const long rc = evtchn_guest_op(call, static_cast<u32>(cmd), arg, [this, &up, &op_rc, cmd](void* a) {
          op_rc = evtchn_op(evtchn_dir, evtchn, static_cast<u32>(cmd), a, up);
          return op_rc;
        });
        if ((info.size == 0 && rc != error(Errno::enosys)) ||
            (in_arg.kind == Place::refused && rc != error(Errno::efault))) {
          finding("event_channel_op: -ENOSYS / -EFAULT expected");
        }
        if (info.copy_back && op_rc == 0) {  // the argument was copied back, maybe in part (rc -EFAULT)
          hypercall_wrote(rc == 0 ? out : partial);
        }
        break;
      }
      case xen::Hypercall::vm_assist:
        (void)runstate_vm_assist(dom, static_cast<u32>(cmd), static_cast<u32>(in.ConsumeIntegralInRange<u64>(0, 6)));
        break;
      default:
        break;  // vcpu_op: op 8; the rest are the hypervisor's own
    }
  }

  // What a copy of `len` bytes to `va` has written when it fails: copy_to_guest goes page by
  // page, so when only a later page refuses, the run on the first page; unknown when the model
  // cannot tell `out` (where the whole copy goes), nothing else.
  Place copied_before_fault(const Context& c, Va va, u32 len, const Place& out) {
    if (out.kind == Place::unknown) {
      return out;
    }
    if (out.kind != Place::refused || (va + (len - 1)).page_number() == va.page_number()) {
      return Place{};
    }
    Place first = place_page(c, va, true);
    if (first.kind != Place::at) {
      return Place{};
    }
    first.len = first.len0 = static_cast<u32>(kPageSize - va.page_offset());
    return first;
  }

  // A hypercall wrote its answer at `out` (unknown: anywhere the guest may write).
  void hypercall_wrote(const Place& out) {
    note_write(out);
    if (out.kind == Place::unknown) {
      for (bool& ok : verified) {
        ok = false;
      }
    } else if (out.kind == Place::at) {
      clobbered(out.pa[0], out.len0);
      if (out.len0 < out.len) {
        clobbered(out.pa[1], out.len - out.len0);
      }
    }
  }

  // The domain's event channels (ports only: the hypervisor keeps shared_info in its own memory).
  struct OneDomain final : EvtchnDirectory {
    EvtchnDomain* d = nullptr;
    EvtchnDomain* find(DomId id) override { return id == d->id ? d : nullptr; }
  };
  EvtchnDomain evtchn;
  xen::shared_info shared_info{};
  OneDomain evtchn_dir;

  // Runs one operation; the model's builders refuse some requests (exhausted guest RAM, an IPA
  // outside the domain's RAM): those are harness limits, not hypervisor behaviour.
  void checked_step(FuzzedDataProvider& in) {
    try {
      step(in);
    } catch (const std::exception&) {
    }
  }

  // The pages outside the guest when the input began still have their owners at its end.
  RUNHV_NO_COVERAGE void record_owners() {
    outside.clear();
    for (usize i = 0; i < machine.ram_pages(); ++i) {
      if (machine.frame_at(i).owner() != guest.dom()) {
        outside.emplace_back(i, machine.frame_at(i).owner());
      }
    }
  }
  RUNHV_NO_COVERAGE void check_owners() const {
    for (const auto& [i, owner] : outside) {
      if (machine.frame_at(i).owner() != owner) {
        finding("a frame outside the guest changed owner");
      }
    }
  }

  void teardown() {
    protect(false);
    for (auto& v : vcpus) {
      v.area.release();
    }
    if (machine.total_pins() != 0) {
      finding("pins left after teardown");
    }
    check_owners();
  }

  std::vector<std::pair<usize, DomId>> outside;  // (page index, owner) when the input began
};

void on_write_fault(int /*sig*/, siginfo_t* info, void* /*uc*/) {
  if (info->si_code == SEGV_ACCERR && g_world != nullptr && g_world->open_for_write(info->si_addr)) {
    return;
  }
  static const char kMsg[] = "runstate_fuzz: invariant broken: the hypervisor wrote a page it must not write\n";
  (void)!write(2, kMsg, sizeof kMsg - 1);
  sigaction(SIGSEGV, &g_previous_segv, nullptr);
}

}  // namespace
}  // namespace runhv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static runhv::World w;
  FuzzedDataProvider in(data, size);
  w.reset(in);
  w.record_owners();
  for (int op = 0; op < 256 && in.remaining_bytes() > 0; ++op) {
    w.checked_step(in);
  }
  w.teardown();
  return 0;
}
