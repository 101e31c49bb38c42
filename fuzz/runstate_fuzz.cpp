// libFuzzer target: guest memory, page tables and runstate hypercalls driven by the input
// SPDX-License-Identifier: MIT
//
// Each input builds a machine (a guest domain with KPTI-style kernel and trampoline roots, a
// neighbour domain, hypervisor pages, MMIO) and then plays a sequence of operations chosen by
// the input: registrations by VA and IPA in any context, updates, unregistration, remaps,
// arbitrary writes into guest RAM (page tables included), pages given up, hypercalls with
// arbitrary arguments, registration races. Checked throughout (abort = finding):
//   - no byte outside the guest's RAM changes (model fingerprint);
//   - the frames' pin counts equal what the areas hold; after teardown, zero;
//   - the runstate invariant sum(time[]) == state_entry_time - created.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <vector>

#include "core/vcpu_op.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;

constexpr u64 kMmio = 0x0900'0000;
constexpr u32 kVcpus = 3;
constexpr u32 kDataPages = 8;

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "runstate_fuzz: invariant broken: %s\n", what);
  std::abort();
}

struct World {
  model::Machine machine;
  GuestSpace guest;
  RunstateDomain dom;
  VcpuRunstate vcpus[kVcpus];
  Ipa kernel_root, trampoline_root;
  std::vector<Ipa> data;  // data pages mapped at kernel_va(page * 4 KiB)
  u64 now = 0;

  static GuestSpace::Options options() {
    GuestSpace::Options o;
    o.ram_bytes = u64{256} << 10;  // small, so that random addresses hit it often
    return o;
  }

  explicit World(FuzzedDataProvider& in) : guest(init_machine(machine), options()) {
    dom.space = DomainSpace{guest.dom(), &machine, {}};
    dom.va_policy = in.ConsumeBool() ? VaPolicy::legacy : VaPolicy::mapped;
    dom.update_flag = in.ConsumeBool();
    for (u32 i = 0; i < kVcpus; ++i) {
      vcpus[i].area.init(&dom, i);
      vcpus[i].account.reset(0);
    }
    kernel_root = guest.s1().root(model::Half::upper);
    trampoline_root = guest.s1().new_root(model::Half::upper);
    for (u32 i = 0; i < kDataPages; ++i) {
      data.push_back(guest.map_kernel(u64{i} * kPageSize));
    }
    guest.s1().map(trampoline_root, GuestSpace::kernel_va(0), guest.alloc(), kPageSize);
    // Hostile stage-2 mappings: the neighbour's page, a hypervisor page, MMIO, read-only RAM.
    guest.s2().map(Ipa(0x8000'0000), machine.alloc(xen::domid(2)), kPageSize);
    guest.s2().map(Ipa(0x8000'1000), machine.alloc(DomId::xen), kPageSize);
    guest.s2().map(Ipa(kMmio), Pa(kMmio), kPageSize, {}, true);
    guest.s2().map(Ipa(0x8000'2000), machine.alloc(guest.dom()), kPageSize, model::S2Perms{true, false, false});
    for (u64 i = 0; i < 4; ++i) {  // kernel VAs pointing at each of them
      const u64 ipas[] = {0x8000'0000, 0x8000'1000, kMmio, 0x8000'2000};
      guest.s1().map(GuestSpace::kernel_va(0x10'0000 + i * kPageSize), Ipa(ipas[i]), kPageSize);
    }
    dom.space.s2 = guest.s2_regs();
  }

  static model::Machine& init_machine(model::Machine& m) {
    m.add_mmio(Pa(kMmio), 0x1'0000);
    return m;
  }

  mmu::Stage1Regs context(FuzzedDataProvider& in) {
    guest.s1().use_root(model::Half::upper, in.ConsumeBool() ? trampoline_root : kernel_root);
    mmu::Stage1Regs r = guest.s1_regs();
    guest.s1().use_root(model::Half::upper, kernel_root);
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
        r.tcr |= mmu::tcr::EPD1;
        break;
      case 1:
        r.tcr = in.ConsumeIntegral<u64>();
        break;
      case 2:
        r.ttbr1 = in.ConsumeIntegral<u64>();
        break;
      case 3:
        r.sctlr = 0;
        break;
      default:
        break;
    }
    return r;
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
        return Ipa(0x8000'0000 + in.ConsumeIntegralInRange<u64>(0, 3 * kPageSize));
      case 2:
        return Ipa(xen::kPhysAreaUnregister);
      default:
        return Ipa(GuestSpace::kRamBase + in.ConsumeIntegralInRange<u64>(0, (u64{256} << 10) + 64));
    }
  }

  u64 pins_held() const {
    u64 n = 0;
    for (const auto& v : vcpus) {
      n += v.area.pinned_frames();
    }
    return n;
  }

  void check_runstate() const {
    for (const auto& v : vcpus) {
      const auto& r = v.account.info();
      if (r.time[0] + r.time[1] + r.time[2] + r.time[3] != r.state_entry_time - v.account.created()) {
        finding("runstate times do not add up");
      }
    }
  }

  void step(FuzzedDataProvider& in) {
    const u32 v = in.ConsumeIntegralInRange<u32>(0, kVcpus - 1);
    VcpuRunstate& vc = vcpus[v];
    const int op = in.ConsumeIntegralInRange(0, 11);
    if (trace) {
      std::fprintf(stderr, "op %d on vcpu %u\n", op, v);
    }
    switch (op) {
      case 0: {
        auto ctx = context(in);
        (void)vc.register_va(ctx, pick_va(in));
        break;
      }
      case 1:
        (void)vc.register_phys(pick_ipa(in));
        break;
      case 2:
      case 3:
        vc.el1 = context(in);
        now += in.ConsumeIntegralInRange<u64>(0, 1'000'000);
        vc.change(static_cast<RunstateState>(in.ConsumeIntegralInRange(0, 3)), now);
        break;
      case 4: {  // the guest remaps one of its data VAs to some IPA
        if (tables_scribbled) {
          break;  // the builder would follow whatever the guest wrote into its tables
        }
        const u64 page = in.ConsumeIntegralInRange<u64>(0, kDataPages - 1);
        guest.s1().unmap(GuestSpace::kernel_va(page * kPageSize), kPageSize);
        guest.s1().map(GuestSpace::kernel_va(page * kPageSize), pick_ipa(in).page_base(), kPageSize,
                       model::S1Attrs{.read_only = in.ConsumeBool(), .af = in.ConsumeBool()});
        break;
      }
      case 5: {  // the guest writes anything anywhere in its own RAM, its page tables included
        const u64 off = in.ConsumeIntegralInRange<u64>(0, (u64{256} << 10) - 8) & ~u64{7};
        Pa pa = guest.pa(Ipa(GuestSpace::kRamBase + off));
        if (machine.frame(pa)->owner() == guest.dom()) {
          machine.write64(pa, in.ConsumeIntegral<u64>());
          tables_scribbled = true;
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
      case 8: {  // a hypercall with arbitrary arguments; the argument struct in a data page
        const u64 value = in.ConsumeBool() ? pick_va(in).raw() : pick_ipa(in).raw();
        if (machine.frame(guest.pa(data[0]))->owner() == guest.dom()) {
          machine.write64(guest.pa(data[0]) + 512, value);
        }
        VcpuRunstate* const all[kVcpus] = {&vcpus[0], &vcpus[1], &vcpus[2]};
        RunstateVcpus d{&dom, all, kVcpus};
        const Va arg = in.ConsumeBool() ? GuestSpace::kernel_va(512) : pick_va(in);
        auto ctx = context(in);
        (void)runstate_vcpu_op(d, v, ctx, in.ConsumeIntegralInRange<u32>(0, 16),
                               in.ConsumeIntegralInRange<u32>(0, kVcpus + 1), arg, now);
        break;
      }
      case 9:  // a registration racing an update on another pCPU
        if (vc.area.try_lock()) {
          auto ctx = context(in);
          const Va before = vc.area.va();
          const u32 pinned = vc.area.pinned_frames();
          // Refused as bad input, or told to restart; never registered under a running update.
          if (vc.register_va(ctx, pick_va(in)) == 0 || vc.area.va() != before || vc.area.pinned_frames() != pinned) {
            finding("registration went ahead during an update in progress");
          }
          vc.area.unlock();
        }
        break;
      case 10:
        vc.area.release();
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
  }

  // Runs one operation and checks that it changed no page that was outside the guest's RAM
  // when it began. (A page the guest gives up stays its own while pinned, and may be written
  // until the last pin goes; from the next operation on it is outside and must stay as it is.)
  void checked_step(FuzzedDataProvider& in) {
    const std::vector<u64> outside = machine.pages_outside(guest.dom());
    for (u64 pn : outside) {  // pages that just left the guest join the reference copy
      if (reference.count(pn) == 0) {
        reference.emplace(pn, machine.copy_pages({pn}));
      }
    }
    try {
      step(in);
    } catch (const std::exception&) {
      // The model's builders refuse some requests (exhausted guest RAM, an IPA outside the
      // domain's RAM); those are test-harness limits, not hypervisor behaviour.
    }
    for (u64 pn : outside) {
      if (!machine.page_matches(pn, reference[pn])) {
        finding("a byte outside the guest's RAM changed");
      }
    }
  }

  std::map<u64, std::vector<u8>> reference;  // page number -> owner and bytes, once outside
  bool tables_scribbled = false;
  // RUNHV_FUZZ_TRACE=1: print each operation (to see what led to a finding).
  const bool trace = std::getenv("RUNHV_FUZZ_TRACE") != nullptr;
};

}  // namespace
}  // namespace runhv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  runhv::World w(in);
  for (int op = 0; op < 256 && in.remaining_bytes() > 0; ++op) {
    w.checked_step(in);
  }
  const auto outside = w.machine.pages_outside(w.guest.dom());
  const auto before = w.machine.fingerprint(outside);
  for (auto& v : w.vcpus) {
    v.area.release();
  }
  if (w.machine.total_pins() != 0) {
    runhv::finding("pins left after teardown");
  }
  if (w.machine.fingerprint(outside) != before) {
    runhv::finding("teardown wrote outside the guest's RAM");
  }
  return 0;
}
