// runstate_demo: the portable core on the machine model, one KPTI guest mapped, one legacy
// SPDX-License-Identifier: MIT
//
// A host-side simulation, not the hypervisor: two domains of two vCPUs share one simulated
// physical CPU under a round-robin scheduler with 1 ms slices. Both guests are KPTI-shaped: they
// register their runstate areas at kernel virtual addresses while in the kernel, then spend
// most of their time in EL0 with TTBR1 pointing at a trampoline table that does not map kernel
// data. Domain 1 uses runhv's `mapped` registration, domain 2 Xen's `legacy` one. Every context
// switch goes through the real core code (RunstateAccount, RunstateArea, the walker); each time
// a vCPU is scheduled, its guest reads its area as Linux would and counts a stale read when the
// area does not show the switch that just happened.
#include <cstdio>
#include <random>

#include "core/log.hpp"
#include "core/vcpu_op.hpp"
#include "model/tables.hpp"

namespace runhv {
namespace {

using model::GuestSpace;
constexpr u64 kMs = 1'000'000;

struct Guest {
  Guest(model::Machine& m, u16 id, VaPolicy policy) : space(m, options(id)) {
    dom.space = DomainSpace{space.dom(), &m, space.s2_regs()};
    dom.va_policy = policy;
    dom.update_flag = true;  // Linux enables VMASST_TYPE_runstate_update_flag
    kernel_root = space.s1().root(model::Half::upper);
    trampoline_root = space.s1().new_root(model::Half::upper);
    space.s1().map(trampoline_root, GuestSpace::kernel_va(0), space.alloc(), kPageSize);
    kernel_ctx = space.s1_regs();
    space.s1().use_root(model::Half::upper, trampoline_root);
    user_ctx = space.s1_regs();
    space.s1().use_root(model::Half::upper, kernel_root);
    for (u32 v = 0; v < 2; ++v) {
      area_ipa[v] = space.map_kernel(0x10'0000 + v * kPageSize);
      vcpus[v].area.init(&dom, v);
      vcpus[v].account.reset(0);
      vcpus[v].el1 = kernel_ctx;
      long rc = vcpus[v].register_va(kernel_ctx, GuestSpace::kernel_va(0x10'0000 + v * kPageSize));
      if (rc != 0) {
        std::fprintf(stderr, "registration failed: %ld\n", rc);
      }
    }
  }
  static GuestSpace::Options options(u16 id) {
    GuestSpace::Options o;
    o.dom = xen::domid(id);
    o.ram_bytes = u64{2} << 20;
    return o;
  }
  vcpu_runstate_info read_area(u32 v) {
    vcpu_runstate_info r{};
    space.machine().read_bytes(space.pa(area_ipa[v]), &r, sizeof r);
    return r;
  }

  GuestSpace space;
  RunstateDomain dom;
  VcpuRunstate vcpus[2];
  Ipa area_ipa[2];
  Ipa kernel_root, trampoline_root;
  mmu::Stage1Regs kernel_ctx, user_ctx;
  u64 stale[2] = {0, 0};
};

void print_table(Guest* guests[2], u64 now) {
  std::printf(
      "t=%llu ms (times in ms)\ndom mode   vcpu running runnable blocked offline steal%% updates walkfail stale\n",
      static_cast<unsigned long long>(now / kMs));
  for (int d = 0; d < 2; ++d) {
    for (u32 v = 0; v < 2; ++v) {
      auto& vc = guests[d]->vcpus[v];
      auto s = vc.account.snapshot(now);
      auto ms = [](u64 ns) { return static_cast<double>(ns) / kMs; };
      std::printf("d%d  %-6s v%u   %7.0f %8.0f %7.0f %7.0f %6.1f %7llu %8llu %5llu\n", d + 1,
                  d == 0 ? "mapped" : "legacy", v, ms(s.time[0]), ms(s.time[1]), ms(s.time[2]), ms(s.time[3]),
                  100.0 * static_cast<double>(vc.account.stolen(now)) / static_cast<double>(now),
                  static_cast<unsigned long long>(vc.area.updates()),
                  static_cast<unsigned long long>(vc.area.walk_failures()),
                  static_cast<unsigned long long>(guests[d]->stale[v]));
    }
  }
  std::printf("\n");
}

class StdoutLog final : public LogSink {
 public:
  void line(const char* text, usize len) override { std::printf("  (runhv) %.*s\n", static_cast<int>(len), text); }
};

int run() {
  StdoutLog log;
  set_log_sink(&log);
  model::Machine machine;
  Guest mapped(machine, 1, VaPolicy::mapped);
  Guest legacy(machine, 2, VaPolicy::legacy);
  Guest* guests[2] = {&mapped, &legacy};
  std::mt19937_64 rng(7);

  // Bring every vCPU up: runnable from 1 ms.
  u64 now = kMs;
  for (auto* g : guests) {
    for (auto& vc : g->vcpus) {
      vc.change(RunstateState::runnable, now);
    }
  }
  u64 blocked_until[4] = {0, 0, 0, 0};
  int next = 0;
  for (int slice = 0; now < 1000 * kMs; ++slice) {
    // Round robin over the four vCPUs, skipping blocked ones whose wake-up has not come.
    int pick = -1;
    for (int i = 0; i < 4; ++i) {
      int c = (next + i) % 4;
      if (blocked_until[c] <= now) {
        pick = c;
        break;
      }
    }
    if (pick < 0) {
      now += kMs / 4;  // idle
      continue;
    }
    next = (pick + 1) % 4;
    Guest& g = *guests[pick / 2];
    const u32 v = static_cast<u32>(pick % 2);
    VcpuRunstate& vc = g.vcpus[v];
    if (vc.account.state() == RunstateState::blocked) {
      vc.change(RunstateState::runnable, blocked_until[pick]);  // woken by its timer
    }
    vc.change(RunstateState::running, now);  // switch in (the vCPU was interrupted in EL0)
    // The guest returns to its kernel and reads the area, as Linux's steal clock does.
    auto seen = g.read_area(v);
    if (seen.state != static_cast<i32>(RunstateState::running) || seen.state_entry_time != now) {
      ++g.stale[v];
    }
    now += kMs;
    // Where the slice ends: usually in user code (kernel unmapped), sometimes in the kernel.
    const bool in_user = rng() % 10 != 0;
    vc.el1 = in_user ? g.user_ctx : g.kernel_ctx;
    if (rng() % 8 == 0) {  // WFI: blocks for a while
      vc.change(RunstateState::blocked, now);
      blocked_until[pick] = now + (1 + rng() % 5) * kMs;
    } else {
      vc.change(RunstateState::runnable, now);
    }
    if (now % (250 * kMs) == 0) {
      print_table(guests, now);
    }
  }
  std::printf(
      "Summary: with `mapped` registration the KPTI guest\n"
      "  never saw a stale area (%llu stale reads);\n"
      "with Xen's `legacy` translation every update made while the vCPU was in\n"
      "  user mode failed to walk, and the guest read %llu stale areas.\n",
      static_cast<unsigned long long>(mapped.stale[0] + mapped.stale[1]),
      static_cast<unsigned long long>(legacy.stale[0] + legacy.stale[1]));
  // Exit status for the test: the mapped guest never stale, the legacy guest stale.
  return mapped.stale[0] + mapped.stale[1] == 0 && legacy.stale[0] + legacy.stale[1] > 0 ? 0 : 1;
}

}  // namespace
}  // namespace runhv

int main() { return runhv::run(); }
