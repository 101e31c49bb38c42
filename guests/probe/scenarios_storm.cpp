// Probe storm scenario (issue 10): every vCPU of the domain, at once and at random, registers,
// unregisters and re-registers its own and its siblings' runstate areas (by VA and by IPA) and
// vcpu_infos, asks for their runstate, and moves grant frames over a window page that they all
// keep reading; the other domains' vCPUs are switched in and out on the same pCPUs. After every
// hypercall (each return to the kernel) a vCPU checks its own areas against its own clock. vCPU 0
// also takes its siblings down and brings them back where they were.
// SPDX-License-Identifier: MIT
//
// What must hold, whatever the interleaving:
//   - every hypercall answers what Xen answers for it (0; -EBUSY for a second vcpu_info): any
//     other result is a transient error that reached the guest;
//   - every record in every area of the vCPU's own (two VA slots, two phys slots) is whole:
//     state_entry_time - sum(time[]) is the domain's creation time (a torn record breaks it), and
//     state_entry_time is not later than the vCPU's own clock;
//   - a record from get_runstate_info accounts exactly the vCPU's life up to a moment between
//     the clock readings around the call: creation + sum(time[]) lies in that bracket;
//   - the window page always reads as one of the two grant frames (it is remapped, break before
//     make, under the readers: a fault there must not stop the domain);
//   - each vcpu_info is registered exactly once, by whichever sibling got there first.
// At the end vCPU 0 leaves one VA registration per vCPU (so pinned_pages is 1 for each; the launch
// check holds runhv's pins to it, and the machine's to 0 once every domain is down).
#include "abi/xen_arch_arm.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/layout.h"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/runstate.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/smp.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

using namespace runstate;

constexpr const char* kName = "storm";
constexpr u64 kPage = 4096;
constexpr u64 kGraceSeconds = 30;  // how much longer than the storm vCPU 0 waits for a sibling
constexpr u64 kMinOps = 100;       // a storm, however slow the host runs it (no throughput threshold)
constexpr u64 kWindowGpfn = runhv::xen::arm::kGrantTableBase >> 12;
constexpr u64 kWindowVa = PROBE_SCRATCH_VA + 40 * kPage;
constexpr u64 kSignature[2] = {0x6772'616e'7430'0000ULL, 0x6772'616e'7431'0000ULL};

// Each vCPU's areas: two VA slots and two phys slots (registered by anyone, read by their owner).
struct alignas(64) Slots {
  Info va[2];
  Info phys[2];
};
Slots slots[kMaxCpus];
alignas(64) xen::VcpuInfo infos[kMaxCpus];
u64 info_winners[kMaxCpus];  // successful register_vcpu_info calls for each vCPU, by anyone

struct alignas(64) Counts {
  u64 ops;
  u64 reg_va;
  u64 reg_phys;
  u64 unreg_va;
  u64 unreg_phys;
  u64 info_won;
  u64 info_busy;
  u64 get_info;
  u64 moves;  // add_to_physmap of a grant frame over the window
  u64 yields;
  u64 down_ups;  // vCPU 0: siblings taken down and brought back
  u64 window_reads;
  u64 checks;  // own-area records read
  // What must stay 0:
  u64 errors;  // a hypercall result Xen would not give (a transient error)
  u64 torn;
  u64 future;
  u64 info_outside;  // get_runstate_info's record outside the call's own-clock bracket
  u64 info_not_running;
  u64 window_wrong;
  i64 first_error;
  u64 first_error_op;
};
Counts counts[kMaxCpus];

u64 deadline = 0;
u32 arrived = 0;     // vCPUs that reached the storm
u64 created_ns = 0;  // the domain's creation time (all its vCPUs are created at one moment)
unsigned ncpus = 1;

u64 rng_next(u64& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

u64 phys_of(const void* p) { return mmu::virt_to_phys(p); }

void expect(Counts& c, u64 op, long rc, long want, long also = 0) {
  if (rc == want || rc == also) {
    return;
  }
  if (c.errors++ == 0) {
    c.first_error = rc;
    c.first_error_op = op;
  }
}

long add_to_physmap(u64 idx, u64 gpfn) {
  xen::AddToPhysmap arg{xen::kDomidSelf, 0, xen::kMapSpaceGrantTable, idx, gpfn};
  return xen::hypercall(xen::kMemoryOp, xen::kXenMemAddToPhysmap, reinterpret_cast<u64>(&arg));
}

long register_vcpu_info(u32 vcpu) {
  const u64 pa = phys_of(&infos[vcpu]);
  xen::RegisterVcpuInfo arg{};
  arg.mfn = pa >> 12;
  arg.offset = static_cast<u32>(pa & (kPage - 1));
  return xen::hypercall(xen::kVcpuOp, xen::kVcpuOpRegisterVcpuInfo, vcpu, reinterpret_cast<u64>(&arg));
}

// The vCPU's own areas, each read with the update-flag protocol and checked against its clock.
void check_own(Counts& c, u32 self) {
  const Info* all[4] = {&slots[self].va[0], &slots[self].va[1], &slots[self].phys[0], &slots[self].phys[1]};
  for (const Info* area : all) {
    Info seen{};
    ReadCounts rc{};
    read(area, seen, rc);
    const u64 now = now_ns();  // after the read: nothing the area shows can be later
    if (seen.state_entry_time == 0 && sum(seen) == 0) {
      continue;  // never registered yet
    }
    ++c.checks;
    c.torn += base(seen) != created_ns ? 1 : 0;
    c.future += seen.state_entry_time > now ? 1 : 0;
  }
}

void get_info_checked(Counts& c, u32 self, u32 target) {
  const u64 bound = ticks_to_ns(clock().offset_bound) + 1;
  Info snap{};
  const u64 before = now_ns();
  const long rc = get_info(target, snap);
  const u64 after = now_ns();
  ++c.get_info;
  expect(c, 8, rc, 0);
  if (rc != 0) {
    return;
  }
  // The hypervisor's "now" for the snapshot is created + sum(time[]): within the call.
  const u64 at = created_ns + sum(snap);
  c.info_outside += (at + bound < before || at > after || snap.state_entry_time > at) ? 1 : 0;
  // Its own record says running — or offline: vCPU 0 may take it down while it is in the call.
  c.info_not_running +=
      (target == self && snap.state != static_cast<u32>(kRunning) && snap.state != static_cast<u32>(kOffline)) ? 1 : 0;
}

void storm(PerCpu& self) {
  const u32 me = self.index;
  Counts& c = counts[me];
  // All together first: every vCPU registers every vCPU's vcpu_info, in the same order.
  __atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
  while (load_acquire(arrived) < ncpus && timer::now() < deadline) {
  }
  for (u32 t = 0; t < ncpus; ++t) {
    const long rc = register_vcpu_info(t);
    expect(c, 7, rc, 0, -xen::kEbusy);
    if (rc == 0) {
      __atomic_add_fetch(&info_winners[t], 1, __ATOMIC_ACQ_REL);
      ++c.info_won;
    } else {
      ++c.info_busy;
    }
  }
  u64 s = 0x9e37'79b9'7f4a'7c15ULL ^ (u64{me + 1} * 0xbf58'476d'1ce4'e5b9ULL) ^ read_cntvct_el0();
  const auto* window = reinterpret_cast<const volatile u64*>(kWindowVa);
  while (timer::now() < deadline) {
    const u64 r = rng_next(s);
    const auto target = static_cast<u32>((r >> 8) % ncpus);
    const unsigned slot = (r >> 16) & 1;
    const u64 op = r % 16;
    switch (op) {
      case 0:
      case 1:
      case 2:
      case 13: {
        const u32 t = op == 13 ? me : target;
        expect(c, op, register_va(t, reinterpret_cast<u64>(&slots[t].va[slot])), 0);
        ++c.reg_va;
        break;
      }
      case 3:
      case 4:
      case 14: {
        const u32 t = op == 14 ? me : target;
        expect(c, op, register_phys(t, phys_of(&slots[t].phys[slot])), 0);
        ++c.reg_phys;
        break;
      }
      case 5:
        expect(c, op, register_va(target, 0), 0);
        ++c.unreg_va;
        break;
      case 6:
        expect(c, op, register_phys(target, kPhysUnregister), 0);
        ++c.unreg_phys;
        break;
      case 7: {
        // Contended until someone won; after that only now and then (-EBUSY, a log line each).
        if (load_acquire(info_winners[target]) != 0 && (r >> 24) % 32 != 0) {
          get_info_checked(c, me, target);
          break;
        }
        const long rc = register_vcpu_info(target);
        expect(c, op, rc, 0, -xen::kEbusy);
        if (rc == 0) {
          __atomic_add_fetch(&info_winners[target], 1, __ATOMIC_ACQ_REL);
          ++c.info_won;
        } else {
          ++c.info_busy;
        }
        break;
      }
      case 8:
      case 9:
      case 10:
        get_info_checked(c, me, target);
        break;
      case 11:
        expect(c, op, add_to_physmap(slot, kWindowGpfn), 0);
        ++c.moves;
        break;
      case 12:
        if (me == 0 && ncpus > 1) {
          // vCPU 0 takes a sibling down and brings it back where it was (VCPUOP_down, _up):
          // the sibling's pCPU switches it out, then in again, mid-storm.
          const u32 t = 1 + static_cast<u32>((r >> 8) % (ncpus - 1));
          if (load_acquire(probe_cpus[t].online) != 0 && load_acquire(probe_cpus[t].done) == 0) {
            expect(c, op, xen::hypercall(xen::kVcpuOp, xen::v(runhv::xen::VcpuOp::down), t), 0);
            expect(c, op, xen::hypercall(xen::kVcpuOp, xen::v(runhv::xen::VcpuOp::up), t), 0);
            ++c.down_ups;
          }
          break;
        }
        [[fallthrough]];
      default:
        smp::yield();
        ++c.yields;
        break;
    }
    ++c.ops;
    const u64 w = *window;
    ++c.window_reads;
    c.window_wrong += (w != kSignature[0] && w != kSignature[1]) ? 1 : 0;
    check_own(c, me);
  }
}

void storm_on_secondary(PerCpu& self) {
  (void)init_clock();
  storm(self);
}

// Grant frames 0 and 1 signed through mappings of their own, then frame 0 over the window.
bool set_up_window() {
  bool ok = true;
  for (u64 f = 0; f < 2; ++f) {
    const u64 va = kWindowVa + (f + 1) * kPage;
    ok = ok && add_to_physmap(f, kWindowGpfn + 1 + f) == 0 &&
         mmu::map_kernel_page(va, (kWindowGpfn + 1 + f) << 12, mmu::PageKind::ram_rw);
    if (ok) {
      *reinterpret_cast<volatile u64*>(va) = kSignature[f];
    }
  }
  return ok && add_to_physmap(0, kWindowGpfn) == 0 &&
         mmu::map_kernel_page(kWindowVa, kWindowGpfn << 12, mmu::PageKind::ram_rw) &&
         *reinterpret_cast<const volatile u64*>(kWindowVa) == kSignature[0];
}

}  // namespace

bool run_storm(const Options& o, const Platform& p) {
  if (!p.xen) {
    Record(kName).flag("hypervisor", false).text("error", "no hypervisor").flag("pass", false).end();
    return false;
  }
  ncpus = smp::count();
  (void)init_clock();
  const long flag = enable_update_flag();
  // The domain's creation time, from vCPU 0's own first record.
  const long first = register_va(0, reinterpret_cast<u64>(&slots[0].va[0]));
  Info seen{};
  ReadCounts rc{};
  read(&slots[0].va[0], seen, rc);
  created_ns = base(seen);
  const bool window = set_up_window();
  deadline = timer::now() + o.seconds * timer::frequency();
  bool started = true;
  for (unsigned i = 1; i < ncpus; ++i) {
    probe_cpus[i].work_fn = storm_on_secondary;
    started = smp::start(i, Work::function, 0, 0) && started;
  }
  storm(this_cpu());
  bool done = started;
  for (unsigned i = 1; i < ncpus; ++i) {
    done = done && smp::wait_done(i, (o.seconds + kGraceSeconds) * timer::frequency(), true);
  }
  // One VA registration per vCPU left standing, nothing else.
  long final_rc = 0;
  for (u32 t = 0; t < ncpus; ++t) {
    final_rc |= register_phys(t, kPhysUnregister);
    final_rc |= register_va(t, reinterpret_cast<u64>(&slots[t].va[0]));
  }
  bool pass = done && flag == 0 && first == 0 && window && final_rc == 0;
  for (unsigned i = 0; i < ncpus; ++i) {
    const Counts& c = counts[i];
    const u64 winners = load_acquire(info_winners[i]);
    const bool ok = c.errors == 0 && c.torn == 0 && c.future == 0 && c.info_outside == 0 && c.info_not_running == 0 &&
                    c.window_wrong == 0 && winners == 1 && c.checks > 0 && c.ops >= kMinOps;
    Record r(kName);
    r.num("cpu", i).num("vcpus", ncpus).num("seconds", o.seconds);
    if (i == 0) {
      r.num("vm_assist", static_cast<u64>(-flag))
          .num("register", static_cast<u64>(-first))
          .flag("window", window)
          .flag("secondaries_done", done)
          .num("final_register", static_cast<u64>(-final_rc))
          .num("created_ns", created_ns);
    }
    r.num("ops", c.ops)
        .num("register_va", c.reg_va)
        .num("register_phys", c.reg_phys)
        .num("unregister_va", c.unreg_va)
        .num("unregister_phys", c.unreg_phys)
        .num("vcpu_info_won", c.info_won)
        .num("vcpu_info_busy", c.info_busy)
        .num("vcpu_info_registrations", winners)
        .num("get_runstate_info", c.get_info)
        .num("window_moves", c.moves)
        .num("window_reads", c.window_reads)
        .num("yields", c.yields)
        .num("sibling_down_ups", c.down_ups)
        .num("area_checks", c.checks)
        .num("errors", c.errors)
        .num("first_error", static_cast<u64>(-c.first_error))
        .num("first_error_op", c.first_error_op)
        .num("torn", c.torn)
        .num("future", c.future)
        .num("info_outside_call", c.info_outside)
        .num("info_not_running", c.info_not_running)
        .num("window_wrong", c.window_wrong)
        .num("pinned_pages", 1)
        .flag("pass", ok && pass)
        .end();
    pass = pass && ok;
  }
  return pass;
}

}  // namespace probe
