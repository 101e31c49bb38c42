// libFuzzer target: the Xen hypercall table (core/hypercall_table.hpp) over model::Machine
// SPDX-License-Identifier: MIT
//
// Each input plays hypercalls through the table the hypervisor runs: a number (mostly a served
// one) and six arguments, each a pointer into the caller's data pages, into a page it must not
// reach (the neighbour's, the hypervisor's, MMIO, read-only RAM, nothing), a small number or
// anything; the data pages get arbitrary bytes between calls. The host (XenHost) is a model
// domain: its grant table, shared_info, event channels (core/evtchn) and a stage 2 of the pages
// add_to_physmap placed, with a budget of stage-2 tables. vcpu_op is not played (runstate_fuzz
// plays it; vCPU up/down are the hypervisor's scheduler). Checked after every call (abort =
// finding):
//   - the result is 0, XENVER_version's or XENVER_pagesize's value, or an error the handlers
//     return; -ERESTART only with the console write's registers moved on (then re-executed);
//   - nothing outside the caller's data pages was written: every other page is read-only in the
//     hypervisor's view, so such a write faults at the store;
//   - the physmap lock is not held after a call and held around every stage-2 change;
//   - each grant frame's recorded place holds that frame in the model's stage 2, and back; the
//     shared_info flag says whether shared_info is in it; nr_frames covers every mapped frame;
//   - no frame is pinned.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "core/hypercall_table.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;
using xen::Errno;
using xen::error;

constexpr u64 kMmio = 0x0900'0000;
constexpr u32 kDataPages = 4;
constexpr u64 kRamBytes = u64{128} << 10;
constexpr u64 kNeighbourIpa = 0x8000'0000, kXenIpa = 0x8000'1000, kReadOnlyIpa = 0x8000'2000;
constexpr u64 kHostileVa = 0x10'0000;  // kernel VAs of the four pages above, then unmapped
constexpr u64 kNeighbour = 2;          // the other domain that exists

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "hypercall_fuzz: invariant broken: %s\n", what);
  std::abort();
}

struct World;

class ModelHost final : public XenHost {
 public:
  using Caller = World;
  explicit ModelHost(World& w) : w_(w) {}
  [[nodiscard]] GuestCall call() const;
  long vcpu_op(const u64* a);
  void evtchn_done();

  bool domain_exists(u16 domid) override { return domid == kNeighbour; }
  void sched_yield() override;
  void sched_block() override;
  void sched_shutdown(const char* reason) override;
  void console_write(const char* bytes, usize n) override;
  void console_continue(u64 count, u64 buffer) override;
  long evtchn_run(u32 cmd, void* arg) override;
  GrantTable& grant() override;
  u64& shared_info_place() override;
  RunstateDomain& runstate() override;
  void physmap_lock() override;
  void physmap_unlock() override;
  bool physmap_map(Ipa ipa, PhysmapPage page) override;
  void physmap_unmap(Ipa ipa) override;

 private:
  World& w_;
  Upcall up_{};
};

struct World final : EvtchnDirectory {
  model::Machine machine;
  GuestSpace guest;
  std::vector<Pa> data_pages;
  // The caller's domain.
  RunstateDomain dom;
  GrantTable grant;
  u64 shared_info_place = 0;
  xen::shared_info shared{};
  EvtchnDomain evtchn;
  // The model's stage 2 of the pages add_to_physmap placed (gpfn -> page), its lock and how many
  // more 2 MiB regions it may get tables for.
  std::map<u64, PhysmapPage> placed;
  std::map<u64, bool> regions;
  u32 tables_left = 0;
  bool locked = false;
  // What the scheduler and the console were asked.
  u64 yields = 0, blocks = 0, console_bytes = 0;
  bool shut_down = false;
  u64 regs[6] = {};        // the argument registers, as console_continue moves them
  bool continued = false;  // console_continue was called by this call
  const bool trace = std::getenv("RUNHV_FUZZ_TRACE") != nullptr;

  static GuestSpace::Options options() {
    GuestSpace::Options o;
    o.ram_bytes = kRamBytes;
    return o;
  }

  World() : guest(init_machine(machine), options()) {
    for (u32 i = 0; i < kDataPages; ++i) {
      data_pages.push_back(guest.pa(guest.map_kernel(u64{i} * kPageSize)));
    }
    guest.s2().map(Ipa(kNeighbourIpa), machine.alloc(xen::domid(kNeighbour)), kPageSize);
    guest.s2().map(Ipa(kXenIpa), machine.alloc(DomId::xen), kPageSize);
    guest.s2().map(Ipa(kMmio), Pa(kMmio), kPageSize, {}, true);
    guest.s2().map(Ipa(kReadOnlyIpa), machine.alloc(guest.dom()), kPageSize, model::S2Perms{true, false, false});
    const u64 ipas[] = {kNeighbourIpa, kXenIpa, kMmio, kReadOnlyIpa};
    for (u64 i = 0; i < 4; ++i) {
      guest.s1().map(GuestSpace::kernel_va(kHostileVa + i * kPageSize), Ipa(ipas[i]), kPageSize);
    }
    // Only the data pages may be written by a hypercall; tables, the rest of RAM and every other
    // domain's or the hypervisor's page fault when written through the hypervisor's view.
    for (usize i = 0; i < machine.ram_pages(); ++i) {
      machine.set_hypervisor_writable(machine.page_address(i), false);
    }
    for (Pa p : data_pages) {
      machine.set_hypervisor_writable(p, true);
    }
    machine.snapshot();
  }

  static model::Machine& init_machine(model::Machine& m) {
    m.add_mmio(Pa(kMmio), 0x1'0000);
    return m;
  }

  EvtchnDomain* find(DomId id) override { return id == guest.dom() ? &evtchn : nullptr; }

  void reset(FuzzedDataProvider& in) {
    machine.restore();
    dom = RunstateDomain{};
    dom.space = DomainSpace{guest.dom(), &machine, guest.s2_regs()};
    grant = GrantTable{};
    shared_info_place = 0;
    shared = xen::shared_info{};
    evtchn_init(evtchn, guest.dom(), 1, &shared, &dom.log_budget);
    evtchn.max_port = 1023;
    placed.clear();
    regions.clear();
    tables_left = in.ConsumeIntegralInRange<u32>(0, 6);
    locked = false;
    yields = blocks = console_bytes = 0;
    shut_down = false;
  }

  // An argument as a guest might pass it.
  u64 argument(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1:
      case 2:  // into the data pages
        return GuestSpace::kernel_va(data_offset(in)).raw();
      case 3:  // a page it must not reach, or nothing
        return GuestSpace::kernel_va(kHostileVa).raw() + in.ConsumeIntegralInRange<u64>(0, 5 * kPageSize);
      case 4:
        return in.ConsumeIntegralInRange<u64>(0, 8);
      case 5:
        return in.ConsumeBool() ? static_cast<u64>(DomId::self) : kNeighbour;
      default:
        return in.ConsumeIntegral<u64>();
    }
  }

  u64 number(FuzzedDataProvider& in) {
    const xen::Hypercall served[] = {xen::Hypercall::memory_op,        xen::Hypercall::xen_version,
                                     xen::Hypercall::console_io,       xen::Hypercall::grant_table_op,
                                     xen::Hypercall::vm_assist,        xen::Hypercall::sched_op,
                                     xen::Hypercall::event_channel_op, xen::Hypercall::hvm_op};
    u64 n = in.ConsumeIntegralInRange(0, 9) < 9 ? static_cast<u64>(served[in.ConsumeIntegralInRange<usize>(0, 7)])
                                                : in.ConsumeIntegral<u64>();
    return n == static_cast<u64>(xen::Hypercall::vcpu_op) ? n + 1 : n;
  }

  // Where a pointer argument or a scribble lands in the data pages: mostly one of a few 8-byte
  // aligned slots at the start of a page (so that they meet), else just below a page's end or
  // anywhere.
  static u64 data_offset(FuzzedDataProvider& in) {
    const u64 page = in.ConsumeIntegralInRange<u64>(0, kDataPages - 1) * kPageSize;
    switch (in.ConsumeIntegralInRange(0, 5)) {
      case 0:  // just below a page's end: copies that end there or run into the next page
        return page + kPageSize - in.ConsumeIntegralInRange<u64>(1, 32);
      case 1:
        return in.ConsumeIntegralInRange<u64>(0, kDataPages * kPageSize - 1);
      default:
        return page + in.ConsumeIntegralInRange<u64>(0, 7) * 8;
    }
  }

  // A guest's structure fields into a data page (through the model's own view): each 2, 4 or 8
  // bytes of a small number, DOMID_SELF, a domain id, or anything.
  void scribble(FuzzedDataProvider& in) {
    u64 at = data_offset(in);
    for (u32 fields = in.ConsumeIntegralInRange<u32>(1, 6); fields > 0; --fields) {
      const usize width = usize{2} << in.ConsumeIntegralInRange(0, 2);
      u64 value;
      switch (in.ConsumeIntegralInRange(0, 4)) {
        case 0:
          value = static_cast<u64>(DomId::self);
          break;
        case 1:
          value = in.ConsumeBool() ? static_cast<u64>(guest.dom()) : kNeighbour;
          break;
        case 2:
          value = in.ConsumeIntegral<u64>();
          break;
        default:
          value = in.ConsumeIntegralInRange<u64>(0, 40);
          break;
      }
      if (at + width > kDataPages * kPageSize) {
        return;
      }
      const Pa page = data_pages[at / kPageSize];
      const u64 off = at % kPageSize;
      const usize first = width < kPageSize - off ? width : static_cast<usize>(kPageSize - off);
      machine.write_bytes(Pa(page.raw() + off), &value, first);
      if (first < width) {
        machine.write_bytes(data_pages[at / kPageSize + 1], reinterpret_cast<const u8*>(&value) + first, width - first);
      }
      at += width;
    }
  }

  static bool known_error(long rc) {
    const Errno errs[] = {Errno::eperm, Errno::enoent, Errno::esrch,  Errno::einval,     Errno::enomem, Errno::efault,
                          Errno::ebusy, Errno::eexist, Errno::enospc, Errno::eopnotsupp, Errno::enosys};
    for (Errno e : errs) {
      if (rc == error(e)) {
        return true;
      }
    }
    return false;
  }

  void check_result(u64 n, long rc) const {
    if (rc == 0 || known_error(rc)) {
      return;
    }
    if (n == static_cast<u64>(xen::Hypercall::xen_version)) {
      const auto cmd = static_cast<xen::XenVer>(static_cast<u32>(regs[0]));
      if ((cmd == xen::XenVer::version && rc == kXenVersion) ||
          (cmd == xen::XenVer::pagesize && rc == static_cast<long>(kPageSize))) {
        return;
      }
    }
    std::fprintf(stderr, "hypercall_fuzz: hypercall %llu returned %ld\n", static_cast<unsigned long long>(n), rc);
    finding("a result that is neither 0, a documented value nor an error the handlers return");
  }

  void check_model() const {
    if (locked) {
      finding("the physmap lock is held after the call");
    }
    if (grant.frames_used == 0 || grant.frames_used > GrantTable::kFrames) {
      finding("nr_frames out of range");
    }
    u32 shared_places = 0;
    for (const auto& [gpfn, page] : placed) {
      if (page.kind == PhysmapPage::shared_info) {
        ++shared_places;
        if (shared_info_place != gpfn + 1) {
          finding("shared_info in the stage 2 is not where its place says");
        }
      } else if (page.frame >= GrantTable::kFrames || grant.frame_place[page.frame] != gpfn + 1) {
        finding("a grant frame in the stage 2 is not where its table says");
      } else if (page.frame >= grant.frames_used) {
        finding("a mapped grant frame above nr_frames");
      }
    }
    if (shared_places > 1 || (shared_places == 1) != (shared_info_place != 0)) {
      finding("shared_info's flag and the stage 2 disagree");
    }
    for (u32 i = 0; i < GrantTable::kFrames; ++i) {
      if (grant.frame_place[i] == 0) {
        continue;
      }
      const auto it = placed.find(grant.frame_place[i] - 1);
      if (it == placed.end() || it->second.kind != PhysmapPage::grant_frame || it->second.frame != i) {
        finding("a grant frame's recorded place does not hold it");
      }
    }
    if (machine.total_pins() != 0) {
      finding("a frame is pinned after a hypercall");
    }
  }

  void call(FuzzedDataProvider& in) {
    const u64 n = number(in);
    for (u64& r : regs) {
      r = argument(in);
    }
    long rc;
    for (int piece = 0;; ++piece) {
      continued = false;
      rc = xen_hypercall<ModelHost>(*this, n, regs);
      if (rc != error(Errno::erestart)) {
        break;
      }
      if (!continued || n != static_cast<u64>(xen::Hypercall::console_io)) {
        finding("-ERESTART that is not the console write's continuation");
      }
      if (piece > 64) {  // more than 32 KiB: enough of that input
        rc = 0;
        break;
      }
    }
    if (trace) {
      std::fprintf(stderr, "hypercall %llu (%llx %llx %llx) = %ld\n", static_cast<unsigned long long>(n),
                   static_cast<unsigned long long>(regs[0]), static_cast<unsigned long long>(regs[1]),
                   static_cast<unsigned long long>(regs[2]), rc);
    }
    check_result(n, rc);
    check_model();
  }

  void run(FuzzedDataProvider& in) {
    reset(in);
    for (int step = 0; step < 128 && in.remaining_bytes() > 0 && !shut_down; ++step) {
      if (in.ConsumeBool()) {
        scribble(in);
      } else {
        call(in);
      }
    }
  }
};

GuestCall ModelHost::call() const {
  return GuestCall{w_.dom.space, w_.guest.s1_regs(), w_.dom.log_budget, static_cast<unsigned>(w_.guest.dom()), 0};
}
long ModelHost::vcpu_op(const u64* /*a*/) { finding("vcpu_op is not played here (runstate_fuzz plays it)"); }
void ModelHost::evtchn_done() {
  if (up_.raise && (up_.domain != w_.guest.dom() || up_.vcpu != 0)) {
    finding("an upcall for a vCPU that does not exist");
  }
}
void ModelHost::sched_yield() { ++w_.yields; }
void ModelHost::sched_block() { ++w_.blocks; }
void ModelHost::sched_shutdown(const char* /*reason*/) { w_.shut_down = true; }
void ModelHost::console_write(const char* /*bytes*/, usize n) { w_.console_bytes += n; }
void ModelHost::console_continue(u64 count, u64 buffer) {
  w_.regs[1] = count;
  w_.regs[2] = buffer;
  w_.continued = true;
}
long ModelHost::evtchn_run(u32 cmd, void* arg) { return evtchn_op(w_, w_.evtchn, cmd, arg, up_); }
GrantTable& ModelHost::grant() { return w_.grant; }
u64& ModelHost::shared_info_place() { return w_.shared_info_place; }
RunstateDomain& ModelHost::runstate() { return w_.dom; }
void ModelHost::physmap_lock() {
  if (w_.locked) {
    finding("the physmap lock taken twice");
  }
  w_.locked = true;
}
void ModelHost::physmap_unlock() {
  if (!w_.locked) {
    finding("the physmap lock released while not held");
  }
  w_.locked = false;
}
bool ModelHost::physmap_map(Ipa ipa, PhysmapPage page) {
  if (!w_.locked) {
    finding("a stage-2 change without the physmap lock");
  }
  const u64 region = ipa.raw() >> 21;
  if (w_.regions.find(region) == w_.regions.end()) {  // a new table for this 2 MiB
    if (w_.tables_left == 0) {
      return false;
    }
    --w_.tables_left;
    w_.regions[region] = true;
  }
  w_.placed[ipa.page_number()] = page;
  return true;
}
void ModelHost::physmap_unmap(Ipa ipa) {
  if (!w_.locked) {
    finding("a stage-2 change without the physmap lock");
  }
  const auto it = w_.placed.find(ipa.page_number());
  if (it == w_.placed.end() || it->second.kind != PhysmapPage::grant_frame) {
    finding("add_to_physmap unmapped a place that holds no grant frame");
  }
  w_.placed.erase(it);
}

}  // namespace
}  // namespace runhv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static runhv::World* w = new runhv::World();
  FuzzedDataProvider in(data, size);
  w->run(in);
  return 0;
}
