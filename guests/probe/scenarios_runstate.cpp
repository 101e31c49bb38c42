// Probe runstate-area scenarios (issue 4): KPTI with VA areas, legacy mode, page-crossing areas,
// registration for another vCPU, remapping, phys areas, the update flag, PV time, hostile input
// SPDX-License-Identifier: MIT
//
// Every scenario prints one PROBE record per CPU it used, with "cpu" and "pinned_pages" (the
// pages runhv must still hold for that vCPU's registrations when the domain shuts down: the
// launch check compares them with runhv's stats). See README.md for the fields.
#include "abi/pvtime.hpp"
#include "abi/smccc.hpp"
#include "abi/xen_arch_arm.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/layout.h"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/runstate.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/smp.hpp"
#include "guests/probe/tasks.hpp"
#include "guests/probe/timer.hpp"
#include "guests/probe/user.hpp"

namespace probe {
namespace {

using namespace runstate;

constexpr u64 kPage = 4096;
constexpr u64 kGraceSeconds = 10;  // how much longer than the run CPU 0 waits for a secondary
constexpr u64 kMinChecksPerSecond = 15;
constexpr u64 kYields = 30;  // per phase of the EL1 scenarios (each yield: out and in again)

// The areas: per-CPU kernel data, as Linux's per-CPU xen_runstate.
alignas(64) Info areas[kMaxCpus];
Checker checkers[kMaxCpus];
long self_register[kMaxCpus];
// Frames for the areas that need a mapping of their own (page-cross, remap, phys, hostile).
alignas(4096) u8 frames[4][kPage];

u64 deadline = 0;
u64 go = 0;  // CPU 0 -> a waiting secondary: 1 its area is registered, 2 registration failed

bool deadline_passed() { return timer::now() >= deadline; }
void tick_check(PerCpu& self) { check(checkers[self.index]); }
u64 period_ticks() { return timer::frequency() / kTickHz; }
u64 va_of(const void* p) { return reinterpret_cast<u64>(p); }
u64 min_checks(const Options& o) { return o.seconds * kMinChecksPerSecond; }

bool no_hypervisor(const char* name) {
  Record(name).flag("hypervisor", false).text("error", "no hypervisor").flag("pass", false).end();
  return false;
}

void yield() { xen::hypercall(xen::kSchedOp, xen::kSchedOpYield, 0); }

// EL1 on a secondary: its area registered (by itself, arg 1, or by CPU 0, arg 0: wait for
// `go`), then busy until the deadline with its tick checking the area.
void secondary_checking(PerCpu& self) {
  const u32 i = self.index;
  bool registered = false;
  if (self.arg == 1) {
    self_register[i] = register_va(i, va_of(&areas[i]));
    registered = self_register[i] == 0;
  } else {
    u64 g = 0;
    while ((g = load_acquire(go)) == 0 && !deadline_passed()) {
    }
    registered = g == 1;
  }
  Checker& c = checkers[i];
  c.area = &areas[i];
  c.vcpu = i;
  c.period_ticks = period_ticks();
  c.active = registered;
  self.tick_hook = tick_check;
  const u64 start = timer::now();
  timer::start(kTickHz);
  if (self.arg == 1) {
    // kpti-va / kpti-legacy: like CPU 0, a spinning EL0 task with the kernel unmapped (KPTI as
    // the options say), on this CPU's own user stack; the tick checks the area at EL1.
    tasks::reset();
    tasks::spawn(user_spinner, 0, user::stack_top(static_cast<int>(i < user::kStacks - 1 ? i + 1 : user::kStacks - 1)));
    tasks::run(deadline_passed);
  } else {
    irqs_on();
    while (!deadline_passed()) {
      for (unsigned n = 0; n < 1024; ++n) {
        self.spins = self.spins + 1;
      }
    }
    irqs_off();
  }
  timer::stop();
  self.tick_hook = nullptr;
  self.elapsed_ticks = timer::now() - start;
}

// CPU 0: one spinning EL0 task (KPTI as options say) until the deadline; its tick checks
// checkers[0] when active.
void el0_busy_checking() {
  user_spins = 0;
  tasks::reset();
  tasks::spawn(user_spinner, 0, user::stack_top(0));
  this_cpu().tick_hook = tick_check;
  timer::start(kTickHz);
  tasks::run(deadline_passed);
  timer::stop();
  this_cpu().tick_hook = nullptr;
}

bool wait_secondaries(unsigned from, unsigned cpus, const Options& o) {
  bool all = true;
  for (unsigned i = from; i < cpus; ++i) {
    all = all && probe_cpus[i].cpu_on_status == 0 &&
          smp::wait_done(i, (o.seconds + kGraceSeconds) * timer::frequency(), false);
  }
  return all;
}

bool kpti_path_ok(const Options& o, unsigned cpu = 0) {
  const Counters& k = probe_cpus[cpu].counters;
  return k.el0_entries > 0 && k.el0_entries_bad == 0 &&
         (o.kpti ? k.el0_entries_trampoline == k.el0_entries : k.el0_entries_direct == k.el0_entries);
}

enum class Kpti : u8 { va, legacy, page_cross };

}  // namespace

// kpti-va, kpti-legacy, page-cross: areas registered by kernel VA from EL1, checked at every
// tick while CPU 0 spends its time in an EL0 task with the kernel unmapped (KPTI).
bool run_kpti_areas(const Options& o, const Platform& p, const char* name, int mode_number) {
  const auto mode = static_cast<Kpti>(mode_number);
  if (!p.xen) {
    return no_hypervisor(name);
  }
  const long flag = o.update_flag ? enable_update_flag() : 0;
  u64 area_va = va_of(&areas[0]);
  bool mapped = true;
  u64 pinned0 = 1;
  if (mode == Kpti::page_cross) {
    // Two VA-adjacent pages on frames that are not adjacent (and in reverse order); the area
    // starts 24 bytes before the first page ends: state, state_entry_time and time[0] in one
    // frame, time[1..3] in the other.
    mapped = mmu::map_kernel_page(PROBE_SCRATCH_VA, mmu::virt_to_phys(frames[2]), mmu::PageKind::ram_rw) &&
             mmu::map_kernel_page(PROBE_SCRATCH_VA + kPage, mmu::virt_to_phys(frames[0]), mmu::PageKind::ram_rw);
    area_va = PROBE_SCRATCH_VA + kPage - 24;
    pinned0 = 2;
  }
  self_register[0] = mapped ? register_va(0, area_va) : -1;
  const unsigned cpus = mode == Kpti::page_cross ? 1 : smp::count();
  deadline = timer::now() + o.seconds * timer::frequency();
  for (unsigned i = 1; i < cpus; ++i) {
    probe_cpus[i].work_fn = secondary_checking;
    smp::start(i, Work::function, 1, 0);
  }
  Checker& c = checkers[0];
  c.area = reinterpret_cast<const volatile void*>(area_va);
  c.vcpu = 0;
  c.period_ticks = period_ticks();
  c.active = self_register[0] == 0;
  el0_busy_checking();
  const bool secondaries = wait_secondaries(1, cpus, o);

  // page-cross: the two halves read through the frames' own (image) mappings agree with the
  // last update: one consistent record, not older than the hypervisor's.
  bool halves = true;
  if (mode == Kpti::page_cross) {
    Info truth{};
    const long got = get_info(0, truth);
    Info h{};
    const auto* first = reinterpret_cast<const volatile u64*>(frames[2] + kPage - 24);
    const auto* second = reinterpret_cast<const volatile u64*>(frames[0]);
    h.state = static_cast<u32>(first[0]);
    h.state_entry_time = first[1];
    h.time[0] = first[2];
    h.time[1] = second[0];
    h.time[2] = second[1];
    h.time[3] = second[2];
    halves = got == 0 && base(h) == c.first_base && h.state_entry_time >= truth.state_entry_time && h.state == kRunning;
  }

  bool pass = secondaries;
  for (unsigned i = 0; i < cpus; ++i) {
    Record r(name);
    // Every vCPU of kpti-va / kpti-legacy runs an EL0 task (page-cross has vCPU 0 only).
    r.num("cpu", i).num("vcpus", cpus).num("kpti", o.kpti ? 1 : 0).num("el", 0);
    r.num("update_flag", o.update_flag ? 1 : 0).num("vm_assist", static_cast<u64>(-flag));
    r.num("register", static_cast<u64>(-self_register[i]));
    const bool exact = add(r, checkers[i], min_checks(o) / (cpus > 1 ? 2 : 1));
    bool ok = self_register[i] == 0 && flag == 0;
    r.num("el0_entries", probe_cpus[i].counters.el0_entries)
        .num("el0_entries_trampoline", probe_cpus[i].counters.el0_entries_trampoline)
        .flag("kpti_path", kpti_path_ok(o, i));
    ok = ok && kpti_path_ok(o, i);
    if (i > 0 && secondaries) {
      // This vCPU is offline now (PSCI CPU_OFF): its area's last update was that transition,
      // and nothing changes it before the domain stops. The launcher compares these values
      // with runhv's own record at shutdown (stats "area_*"): they must be equal.
      Info last{};
      ReadCounts counts{};
      read(&areas[i], last, counts);
      r.num("final_state", last.state)
          .num("final_state_entry_time", last.state_entry_time)
          .num("final_running_ns", last.time[kRunning])
          .num("final_runnable_ns", last.time[kRunnable])
          .num("final_blocked_ns", last.time[kBlocked])
          .num("final_offline_ns", last.time[kOffline]);
    }
    if (mode == Kpti::page_cross) {
      r.num("area_offset_in_page", area_va & (kPage - 1)).flag("halves_exact", halves);
      ok = ok && halves;
    }
    if (mode == Kpti::legacy) {
      // The seed's bug: updates made while EL0 runs are lost, the guest reads stale areas.
      // The guest's clock still holds it to account: a stale area is an old but complete record,
      // never one from the future or with time[] out of step with state_entry_time.
      const Checker& k = checkers[i];
      ok = ok && k.stale > 0 && k.inconsistent == 0 && k.checks >= min_checks(o) / 4 && k.future == 0 &&
           k.clock_mismatch == 0 && k.born_late == 0;
    } else {
      ok = ok && exact;
    }
    // Legacy mode pins nothing: the VA is translated at every update.
    r.num("pinned_pages", mode == Kpti::legacy ? 0 : (i == 0 ? pinned0 : 1)).flag("pass", ok).end();
    pass = pass && ok;
  }
  return pass;
}

// remote-register: vCPU 0 registers vCPU 1's area (in its own context, from EL1), vCPU 1 checks
// it at EL1 from its tick; vCPU 0 spends the run in an EL0 task.
bool run_remote_register(const Options& o, const Platform& p) {
  constexpr const char* kName = "remote-register";
  if (!p.xen) {
    return no_hypervisor(kName);
  }
  if (smp::count() < 2) {
    Record(kName).text("error", "needs 2 vCPUs").flag("pass", false).end();
    return false;
  }
  const long flag = o.update_flag ? enable_update_flag() : 0;
  deadline = timer::now() + o.seconds * timer::frequency();
  go = 0;
  probe_cpus[1].work_fn = secondary_checking;
  const bool started = smp::start(1, Work::function, 0, 0);
  while (started && load_acquire(probe_cpus[1].online) == 0 && !deadline_passed()) {
  }
  // vCPU 1 is up and running its loop: its area is registered under it.
  const long remote = register_va(1, va_of(&areas[1]));
  store_release(go, remote == 0 ? u64{1} : u64{2});
  checkers[0].active = false;
  el0_busy_checking();
  const bool done = started && wait_secondaries(1, 2, o);

  Record r0(kName);
  r0.num("cpu", 0).num("vm_assist", static_cast<u64>(-flag)).num("register_for_vcpu1", static_cast<u64>(-remote));
  const bool ok0 = flag == 0 && remote == 0 && done;
  r0.num("pinned_pages", 0).flag("pass", ok0).end();
  Record r1(kName);
  r1.num("cpu", 1).num("el", 1).num("registered_by", 0);
  const bool ok1 = add(r1, checkers[1], min_checks(o) / 2) && done;
  r1.num("pinned_pages", 1).flag("pass", ok1).end();
  return ok0 && ok1;
}

namespace {

// After `yields` yields (each a switch out and in with a busy neighbour), is the area at `area`
// one consistent record with creation time `first_base`, saying running, as new as the
// hypervisor's own? `switched` counts the yields after which the record had moved.
struct Exact {
  bool exact;
  bool older;  // state_entry_time older than the hypervisor's record
  u64 switched;
};
Exact yield_and_compare(const volatile void* area, u64 first_base, u64 yields) {
  Exact e{true, false, 0};
  Info before{};
  get_info(0, before);
  for (u64 n = 0; n < yields; ++n) {
    yield();
    Info truth{};
    const long got = get_info(0, truth);
    Info seen{};
    ReadCounts counts{};
    read(area, seen, counts);
    if (truth.state_entry_time != before.state_entry_time) {
      ++e.switched;
    }
    before = truth;
    e.older = e.older || seen.state_entry_time < truth.state_entry_time;
    e.exact = e.exact && got == 0 && seen.state == kRunning && base(seen) == first_base &&
              seen.state_entry_time >= truth.state_entry_time;
  }
  return e;
}

u64 first_base_of(const volatile void* area) {
  Info seen{};
  ReadCounts counts{};
  read(area, seen, counts);
  return base(seen);
}

constexpr u64 kSentinel = 0x5e57'1e5e'57a1'e000;

}  // namespace

// remap: the area's VA moves to another frame after registration. runhv keeps updating the old
// frame (the documented limit of translating at registration), until the guest registers again.
bool run_remap(const Options& o, const Platform& p) {
  constexpr const char* kName = "remap";
  if (!p.xen) {
    return no_hypervisor(kName);
  }
  const long flag = o.update_flag ? enable_update_flag() : 0;
  constexpr u64 kOffset = 64;
  const u64 va = PROBE_SCRATCH_VA + 2 * kPage;
  u8* const old_frame = frames[1];
  u8* const new_frame = frames[3];
  const auto* area = reinterpret_cast<const volatile void*>(va + kOffset);
  const auto* old_alias = reinterpret_cast<const volatile void*>(old_frame + kOffset);
  const auto* new_alias = reinterpret_cast<volatile u64*>(new_frame + kOffset);

  const bool mapped = mmu::map_kernel_page(va, mmu::virt_to_phys(old_frame), mmu::PageKind::ram_rw);
  const long first = mapped ? register_va(0, va + kOffset) : -1;
  const u64 created = first_base_of(old_alias);
  const Exact a = yield_and_compare(old_alias, created, kYields);

  // The guest moves the VA to the new frame (which holds a sentinel).
  auto* fill = reinterpret_cast<volatile u64*>(new_frame + kOffset);
  for (unsigned w = 0; w < 6; ++w) {
    fill[w] = kSentinel + w;
  }
  const bool remapped = mmu::map_kernel_page(va, mmu::virt_to_phys(new_frame), mmu::PageKind::ram_rw);
  const Exact b = yield_and_compare(old_alias, created, kYields);
  bool untouched = true;
  const auto* through_va = reinterpret_cast<const volatile u64*>(va + kOffset);
  for (unsigned w = 0; w < 6; ++w) {
    untouched = untouched && new_alias[w] == kSentinel + w && through_va[w] == kSentinel + w;
  }

  // Registering again moves the updates to the new frame; the old one is left as it was.
  const long again = register_va(0, va + kOffset);
  const Exact c = yield_and_compare(area, created, kYields);
  Info truth{};
  get_info(0, truth);
  Info old_seen{};
  ReadCounts counts{};
  read(old_alias, old_seen, counts);
  const bool old_frozen = old_seen.state_entry_time < truth.state_entry_time && base(old_seen) == created;

  const bool pass = flag == 0 && mapped && remapped && first == 0 && again == 0 && a.exact && a.switched > 0 &&
                    b.exact && b.switched > 0 && untouched && c.exact && c.switched > 0 && old_frozen;
  Record(kName)
      .num("cpu", 0)
      .num("vm_assist", static_cast<u64>(-flag))
      .num("register", static_cast<u64>(-first))
      .flag("old_frame_exact_before_remap", a.exact)
      .num("switches_before_remap", a.switched)
      .flag("old_frame_exact_after_remap", b.exact)
      .num("switches_after_remap", b.switched)
      .flag("new_frame_untouched", untouched)
      .num("register_again", static_cast<u64>(-again))
      .flag("new_frame_exact_after_reregister", c.exact)
      .num("switches_after_reregister", c.switched)
      .flag("old_frame_frozen", old_frozen)
      .num("pinned_pages", 1)
      .flag("pass", pass)
      .end();
  return pass;
}

namespace {

struct PhysRound {
  long registered;
  Checker checker;
  bool va_area_frozen;  // a VA area registered as well is not updated while the phys one is
};

PhysRound phys_round(u64 ipa, const volatile void* alias) {
  PhysRound round{};
  round.registered = register_phys(0, ipa);
  Checker& c = round.checker;
  c.area = alias;
  c.vcpu = 0;
  c.active = round.registered == 0;
  check(c);
  for (u64 n = 0; n < kYields; ++n) {
    yield();
    check(c);
  }
  Info truth{};
  get_info(0, truth);
  Info va_seen{};
  ReadCounts counts{};
  read(&areas[0], va_seen, counts);
  round.va_area_frozen = va_seen.state_entry_time < truth.state_entry_time;
  return round;
}

}  // namespace

// phys: VCPUOP_register_runstate_phys_area, without the update flag then with it (runhv writes
// phys areas with the flag protocol either way); misaligned and page-crossing addresses refused.
bool run_phys(const Options&, const Platform& p) {
  constexpr const char* kName = "phys";
  if (!p.xen) {
    return no_hypervisor(kName);
  }
  constexpr u64 kOffset = 128;
  const u64 page_ipa = mmu::virt_to_phys(frames[0]);
  const long misaligned = register_phys(0, page_ipa + kOffset + 4);
  const long crossing = register_phys(0, page_ipa + kPage - 24);
  const long va_area = register_va(0, va_of(&areas[0]));

  const PhysRound plain = phys_round(page_ipa + kOffset, frames[0] + kOffset);
  const long unregister_plain = register_phys(0, kPhysUnregister);
  const long flag = enable_update_flag();
  const PhysRound flagged = phys_round(page_ipa + kOffset, frames[0] + kOffset);
  const long unregister = register_phys(0, kPhysUnregister);
  const long unregister_va = register_va(0, 0);

  Record r(kName);
  r.num("cpu", 0)
      .num("misaligned", static_cast<u64>(-misaligned))
      .num("crossing", static_cast<u64>(-crossing))
      .num("va_area", static_cast<u64>(-va_area))
      .num("register_without_flag", static_cast<u64>(-plain.registered));
  const bool plain_ok = add(r, plain.checker, kYields);
  r.flag("without_flag_exact", plain_ok).flag("va_area_frozen_without_flag", plain.va_area_frozen);
  r.num("unregister_without_flag", static_cast<u64>(-unregister_plain))
      .num("vm_assist", static_cast<u64>(-flag))
      .num("register_with_flag", static_cast<u64>(-flagged.registered))
      .num("with_flag_checks", flagged.checker.checks)
      .num("with_flag_stale", flagged.checker.stale)
      .num("with_flag_inconsistent", flagged.checker.inconsistent)
      .num("with_flag_descheduled", flagged.checker.descheduled);
  const Checker& fc = flagged.checker;
  r.num("with_flag_future", fc.future).num("with_flag_clock_mismatch", fc.clock_mismatch);
  const bool flagged_ok = fc.checks >= kYields && fc.stale == 0 && fc.not_running == 0 && fc.inconsistent == 0 &&
                          fc.not_advanced == 0 && fc.info_errors == 0 && fc.descheduled > 0 && fc.future == 0 &&
                          fc.clock_mismatch == 0 && fc.born_late == 0;
  r.flag("with_flag_exact", flagged_ok).flag("va_area_frozen_with_flag", flagged.va_area_frozen);
  r.num("unregister", static_cast<u64>(-unregister)).num("unregister_va", static_cast<u64>(-unregister_va));
  const bool pass = misaligned == -xen::kEnxio && crossing == -xen::kEnxio && va_area == 0 && plain.registered == 0 &&
                    plain_ok && plain.va_area_frozen && unregister_plain == 0 && flag == 0 && flagged.registered == 0 &&
                    flagged_ok && flagged.va_area_frozen && unregister == 0 && unregister_va == 0;
  r.num("pinned_pages", 0).flag("pass", pass).end();
  return pass;
}

namespace {

// update-flag, CPU 1: reads vCPU 0's area with the reader loop until the deadline.
struct ReaderResult {
  ReadCounts counts;
  u64 torn;     // accepted values whose time[] does not match their state_entry_time
  u64 updates;  // distinct state_entry_time values seen
  u64 running;
  u64 runnable;
  u64 other_state;
  u64 samples;    // single loads of state_entry_time between reader-loop batches
  u64 flag_seen;  // ... that found XEN_RUNSTATE_UPDATE set
};
ReaderResult reader;
u64 reader_first_runnable = 0;  // time[runnable] of the writer's area at the reader's first read
u64 reader_last_runnable = 0;   // ... and at its last

// The reader's negative control, before the real run: CPU 0 writes a fake area in guest memory
// the two ways runhv may, and holds each write half done until CPU 1's reader has met it. As a
// plain writer (no flag) it stores a new state_entry_time, then waits for 100 accepted reads
// before it stores the matching time[]: every one of those reads is torn, and the reader's torn
// test must count them. With the flag protocol it holds XEN_RUNSTATE_UPDATE set until the reader
// loop has retried 100 times on it: no read may be accepted torn, and the retries are counted as
// flag retries. This shows the reader's figures can fail and tell the two protocols apart.
struct FakeControl {
  Info area;
  u64 phase;  // CPU 0 -> 1: 1 plain write half done, 2 flag write in progress, 3 over
  u64 accepted;
  ReadCounts counts;  // the reader's, polled by CPU 0 (read() stores them at its barriers)
  u64 plain_torn;
  u64 flag_torn;
  u64 flag_retries;
  bool timed_out;
};
alignas(64) FakeControl fake;
constexpr u64 kControlReads = 100;
constexpr u64 kFakeCreated = 1'000'000;

template <typename Pred>
bool wait_until(Pred done) {
  while (!done()) {
    if (deadline_passed()) {
      return false;
    }
  }
  return true;
}

void fake_write_body(u64 entry, u64 running) {
  volatile u64* w = reinterpret_cast<volatile u64*>(&fake.area);
  w[0] = static_cast<u64>(kRunning);
  w[2] = running;
  w[3] = entry - kFakeCreated - running;  // runnable: the rest, so base() == kFakeCreated
  w[4] = 0;
  w[5] = 0;
}

// CPU 0's part.
void fake_writer() {
  volatile u64* w = reinterpret_cast<volatile u64*>(&fake.area);
  fake_write_body(kFakeCreated + 3000, 1000);
  w[1] = kFakeCreated + 3000;
  asm volatile("dmb ish" ::: "memory");
  // Plain: entry first, body later.
  w[1] = kFakeCreated + 9000;
  store_release(fake.phase, u64{1});
  bool ok = wait_until([] { return load_acquire(fake.accepted) >= kControlReads; });
  fake_write_body(kFakeCreated + 9000, 5000);
  asm volatile("dmb ish" ::: "memory");
  // Flag protocol, held until the reader has retried on it.
  const u64 retried = load_acquire(fake.counts.flag_retries);
  w[1] = (kFakeCreated + 20000) | kUpdateFlag;
  asm volatile("dmb ishst" ::: "memory");
  store_release(fake.phase, u64{2});
  ok = ok && wait_until([retried] { return load_acquire(fake.counts.flag_retries) >= retried + kControlReads; });
  fake_write_body(kFakeCreated + 20000, 8000);
  asm volatile("dmb ishst" ::: "memory");
  w[1] = kFakeCreated + 20000;
  asm volatile("dmb ish" ::: "memory");
  fake.timed_out = !ok;
  store_release(fake.phase, u64{3});
}

// CPU 1's part: every accepted read is classified by the record it claims to be (its
// state_entry_time): the plain writer's half-done one, or the flag writer's.
void fake_reader() {
  Info seen{};
  if (!wait_until([] { return load_acquire(fake.phase) >= 1; })) {
    return;
  }
  while (seen.state_entry_time != kFakeCreated + 20000 && !deadline_passed()) {
    read(&fake.area, seen, fake.counts);
    const bool torn = base(seen) != kFakeCreated;
    if (seen.state_entry_time == kFakeCreated + 9000) {
      fake.plain_torn += torn ? 1 : 0;
      store_release(fake.accepted, fake.accepted + 1);
    } else if (seen.state_entry_time == kFakeCreated + 20000) {
      fake.flag_torn += torn ? 1 : 0;
    }
  }
  fake.flag_retries = fake.counts.flag_retries;
}

void reader_loop(PerCpu&) {
  fake_reader();
  while (load_acquire(fake.phase) != 3 && !deadline_passed()) {
  }
  Info seen{};
  read(&areas[0], seen, reader.counts);
  const u64 created = base(seen);
  reader_first_runnable = seen.time[kRunnable];
  u64 last = seen.state_entry_time;
  while (!deadline_passed()) {
    for (unsigned n = 0; n < 64; ++n) {
      read(&areas[0], seen, reader.counts);
      if (base(seen) != created) {
        ++reader.torn;
      }
      if (seen.state_entry_time != last) {
        ++reader.updates;
        last = seen.state_entry_time;
      }
      reader_last_runnable = seen.time[kRunnable];
      if (seen.state == kRunning) {
        ++reader.running;
      } else if (seen.state == kRunnable) {
        ++reader.runnable;
      } else {
        ++reader.other_state;
      }
    }
    // A tight sampler of the flag word alone: the densest look at the update window.
    const auto* entry = reinterpret_cast<const volatile u64*>(&areas[0].state_entry_time);
    for (unsigned n = 0; n < 256; ++n) {
      ++reader.samples;
      if ((*entry & kUpdateFlag) != 0) {
        ++reader.flag_seen;
      }
    }
  }
}

}  // namespace

// update-flag: vCPU 1 (another pCPU) spins reading vCPU 0's area while vCPU 0 is switched in and
// out on its pCPU (EL0 task, a busy neighbour domain there): no torn value may be accepted.
bool run_update_flag(const Options& o, const Platform& p) {
  constexpr const char* kName = "update-flag";
  if (!p.xen) {
    return no_hypervisor(kName);
  }
  if (smp::count() < 2) {
    Record(kName).text("error", "needs 2 vCPUs").flag("pass", false).end();
    return false;
  }
  const long flag = o.update_flag ? enable_update_flag() : 0;
  self_register[0] = register_va(0, va_of(&areas[0]));
  deadline = timer::now() + o.seconds * timer::frequency();
  probe_cpus[1].work_fn = reader_loop;
  smp::start(1, Work::function, 0, 0);
  fake_writer();
  Checker& c = checkers[0];
  c.area = &areas[0];
  c.vcpu = 0;
  c.period_ticks = period_ticks();
  c.active = self_register[0] == 0;
  el0_busy_checking();
  const bool done = wait_secondaries(1, 2, o);

  Record r0(kName);
  r0.num("cpu", 0).num("update_flag", o.update_flag ? 1 : 0).num("vm_assist", static_cast<u64>(-flag));
  r0.num("register", static_cast<u64>(-self_register[0]));
  const bool ok0 = add(r0, c, min_checks(o) / 2) && flag == 0 && self_register[0] == 0 && kpti_path_ok(o);
  r0.num("pinned_pages", 1).flag("pass", ok0).end();

  Record r1(kName);
  r1.num("cpu", 1)
      .num("reader_of", 0)
      .num("update_flag", o.update_flag ? 1 : 0)
      .num("reads", reader.counts.reads)
      .num("retries", reader.counts.retries)
      .num("flag_retries", reader.counts.flag_retries)
      .num("torn", reader.torn)
      .num("updates_seen", reader.updates)
      .num("seen_running", reader.running)
      .num("seen_runnable", reader.runnable)
      .num("seen_other", reader.other_state)
      .num("flag_samples", reader.samples)
      .num("flag_seen", reader.flag_seen)
      .num("first_runnable_ns", reader_first_runnable)
      .num("last_runnable_ns", reader_last_runnable)
      .flag("runnable_grew", reader_last_runnable > reader_first_runnable)
      .num("control_plain_torn", fake.plain_torn)
      .num("control_plain_reads", fake.accepted)
      .num("control_flag_torn", fake.flag_torn)
      .num("control_flag_retries", fake.flag_retries)
      .flag("control_timed_out", fake.timed_out);
  // The control: the plain writer's half-done record was caught as torn on every read, the flag
  // protocol's never, and the reader's retries on it were counted as flag retries.
  const bool control =
      !fake.timed_out && fake.plain_torn >= kControlReads && fake.flag_torn == 0 && fake.flag_retries >= kControlReads;
  r1.flag("control_ok", control);
  // The reader watched the writer being switched out: it saw it runnable, and its runnable time
  // grew while it watched. Without the flag the reader loop cannot catch every torn copy: only
  // the flagged run asserts torn == 0; without it runhv never sets the flag, so no read met it.
  const bool ok1 = done && control && reader.counts.reads > 1000 && reader.updates >= 10 && reader.other_state == 0 &&
                   reader.runnable > 0 && reader_last_runnable > reader_first_runnable &&
                   (o.update_flag ? reader.torn == 0 : reader.flag_seen == 0 && reader.counts.flag_retries == 0);
  r1.num("pinned_pages", 0).flag("pass", ok1).end();
  return ok0 && ok1;
}

namespace {

constexpr u32 kSmcccVersion = static_cast<u32>(runhv::smccc::Fn::version);
constexpr u32 kSmcccArchFeatures = static_cast<u32>(runhv::smccc::Fn::arch_features);
constexpr u32 kPvTimeFeatures = static_cast<u32>(runhv::pvtime::Fn::features);
constexpr u32 kPvTimeSt = static_cast<u32>(runhv::pvtime::Fn::st);

using runhv::pvtime::StolenTime;

// PV time discovered the way Linux does it, the record mapped read-only.
struct PvTime {
  i64 version;
  i64 arch_features;
  i64 st_feature;
  i64 ipa;
  bool discovered;
  const volatile StolenTime* record;  // nullptr if not discovered or not mapped
};
PvTime discover_pv_time() {
  PvTime pv{};
  pv.version = static_cast<i64>(smccc::hvc(kSmcccVersion));
  pv.arch_features = static_cast<i64>(smccc::hvc(kSmcccArchFeatures, kPvTimeFeatures));
  pv.st_feature = static_cast<i64>(smccc::hvc(kPvTimeFeatures, kPvTimeSt));
  pv.ipa = static_cast<i64>(smccc::hvc(kPvTimeSt));
  pv.discovered =
      pv.version >= 0x10001 && pv.arch_features == 0 && pv.st_feature == 0 && pv.ipa > 0 && (pv.ipa & 63) == 0;
  const u64 page_va = PROBE_SCRATCH_VA + 4 * kPage;
  const auto ipa = static_cast<u64>(pv.ipa);
  if (pv.discovered && mmu::map_kernel_page(page_va, ipa & ~(kPage - 1), mmu::PageKind::ram_ro)) {
    pv.record = reinterpret_cast<const volatile StolenTime*>(page_va + (ipa & (kPage - 1)));
  }
  return pv;
}

}  // namespace

// pv-time: ARM DEN 0057A discovered the way Linux does; stolen_time against runnable + offline
// of the runstate area read between two reads of it: equal to both, to one of them (a switch
// between the reads), or between them (two or more); outside them is a mismatch.
bool run_pv_time(const Options& o, const Platform& p) {
  constexpr const char* kName = "pv-time";
  if (!p.xen) {
    return no_hypervisor(kName);
  }
  const PvTime pv = discover_pv_time();
  const i64 version = pv.version;
  const i64 arch_features = pv.arch_features;
  const i64 st_feature = pv.st_feature;
  const i64 ipa = pv.ipa;
  const bool discovered = pv.discovered;
  const bool mapped = pv.record != nullptr;
  const auto* rec = pv.record;

  const long flag = o.update_flag ? enable_update_flag() : 0;
  const long reg = register_va(0, va_of(&areas[0]));
  u64 exact = 0;
  u64 within_one = 0;
  u64 between = 0;
  u64 mismatch = 0;
  u64 max_diff = 0;
  u64 revision = ~u64{0};
  u64 attributes = ~u64{0};
  u64 last_stolen = 0;
  u64 last_area_stolen = 0;
  if (mapped && reg == 0) {
    revision = rec->revision;
    attributes = rec->attributes;
    for (u64 n = 0; n < 4 * kYields; ++n) {
      yield();
      const u64 s1 = rec->stolen_time;
      asm volatile("dmb ishld" ::: "memory");
      Info seen{};
      ReadCounts counts{};
      read(&areas[0], seen, counts);
      asm volatile("dmb ishld" ::: "memory");
      const u64 s2 = rec->stolen_time;
      const u64 a = stolen(seen);
      // Both records follow the same books and change only while this vCPU is switched out, so
      // the area's value read between s1 and s2 lies in [s1, s2]. Strictly inside: the host held
      // QEMU off long enough for two switches between the reads (real time only).
      if (a == s1 && a == s2) {
        ++exact;
      } else if (a == s1 || a == s2) {
        ++within_one;
      } else if (s1 < a && a < s2) {
        ++between;
      } else {
        ++mismatch;
      }
      const u64 diff = a > s2 ? a - s2 : s2 - a;
      max_diff = diff > max_diff ? diff : max_diff;
      last_stolen = s2;
      last_area_stolen = a;
    }
  }
  const bool pass = discovered && mapped && flag == 0 && reg == 0 && revision == 0 && attributes == 0 && exact > 0 &&
                    mismatch == 0 && last_stolen > 0;
  Record(kName)
      .num("cpu", 0)
      .num("smccc_version", static_cast<u64>(version))
      .num("arch_features_pv_time", static_cast<u64>(-arch_features))
      .num("pv_time_features_st", static_cast<u64>(-st_feature))
      .num("stolen_time_ipa", static_cast<u64>(ipa))
      .num("revision", revision)
      .num("attributes", attributes)
      .num("register", static_cast<u64>(-reg))
      .num("samples", exact + within_one + between + mismatch)
      .num("exact", exact)
      .num("within_one_update", within_one)
      .num("between_updates", between)
      .num("mismatch", mismatch)
      .num("max_diff_ns", max_diff)
      .num("stolen_ns", last_stolen)
      .num("area_stolen_ns", last_area_stolen)
      .num("pinned_pages", 1)
      .flag("pass", pass)
      .end();
  return pass;
}

namespace {

u64 rng_state = 0x9e37'79b9'7f4a'7c15;
u64 rnd() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

alignas(4096) u64 scratch[512];  // a valid argument buffer for random calls, random contents

struct Case {
  const char* name;
  long expected;
  long got;
};

// Hypercall numbers worth hitting often: those runhv serves, and a few it does not.
constexpr u64 kNumbers[] = {12, 17, 18, 21, 24, 29, 32, 34, 38, 0, 1, 48};

u64 random_arg() {
  switch (rnd() % 7) {
    case 0:
      return rnd();
    case 1:
      return rnd() % 16;
    case 2:
      return va_of(scratch) + (rnd() % 4000);
    case 3:
      return 0xffff'8000'c000'0000 + (rnd() % 0x1000'0000);  // unmapped kernel VAs
    case 4:
      return 0;
    case 5:
      return ~u64{0};
    default:
      return static_cast<u64>(static_cast<u32>(rnd()));
  }
}

struct Storm {
  u64 calls;
  u64 skipped;
  u64 ok;
  u64 positive;
  u64 enosys;
  u64 efault;
  u64 einval;
  u64 enoent;
  u64 other_errno;
  u64 bad;  // not 0, not a plausible result, not -1..-133
};

Storm storm(u64 count) {
  Storm s{};
  while (s.calls < count) {
    for (u64& w : scratch) {
      if ((rnd() & 7) == 0) {
        w = rnd();
      }
    }
    const u64 pick = rnd();
    const u64 nr = (pick & 3) != 0 ? kNumbers[(pick >> 2) % (sizeof kNumbers / sizeof kNumbers[0])]
                                   : ((pick & 4) != 0 ? (pick >> 3) % 64 : rnd());
    const u64 a0 = random_arg();
    const u64 a1 = random_arg();
    const u64 a2 = random_arg();
    // What would legitimately stop or stall this domain: sched_op yield/block/shutdown/poll/
    // remote_shutdown (Xen's cmd is an int), vcpu_op down of itself, and console writes (garbage).
    const u32 cmd = static_cast<u32>(a0);
    if ((nr == xen::kSchedOp && cmd <= 5) || (nr == xen::kVcpuOp && cmd == 2 && a1 == 0) ||
        (nr == xen::kConsoleIo && cmd == xen::kConsoleIoWrite)) {
      ++s.skipped;
      continue;
    }
    ++s.calls;
    const long rc = xen::hypercall(nr, a0, a1, a2);
    if (rc == 0) {
      ++s.ok;
    } else if (rc > 0 && rc <= 0x7fffffff) {
      ++s.positive;
    } else if (rc == -xen::kEnosys) {
      ++s.enosys;
    } else if (rc == -xen::kEfault) {
      ++s.efault;
    } else if (rc == -xen::kEinval) {
      ++s.einval;
    } else if (rc == -xen::kEnoent) {
      ++s.enoent;
    } else if (rc < 0 && rc >= -133) {
      ++s.other_errno;
    } else {
      ++s.bad;
    }
  }
  return s;
}

// Random SMCCC calls: function IDs no owner serves here (everything but the Arm architecture
// calls, PSCI's and the standard hypervisor calls' first 64 functions) over HVC #0 and SMC #0
// must get NOT_SUPPORTED (-1, DEN 0028) with x1..x17 as they went in; SMC with another
// immediate is no SMCCC call and gets -1 too. The served IDs are skipped: some stop the domain.
struct SmcccStorm {
  u64 calls;
  u64 skipped;
  u64 not_supported;
  u64 smc_other_imm;
  u64 bad;  // another answer, or a register changed
};

bool served_owner_range(u32 fid) {
  const u32 owner = runhv::smccc::owner(fid);
  return runhv::smccc::is_fast_call(fid) &&
         (owner == runhv::smccc::kOwnerArch ||
          ((owner == runhv::smccc::kOwnerStandard || owner == runhv::smccc::kOwnerStandardHyp) &&
           (fid & 0xFFFF) < 0x40));
}

SmcccStorm smccc_storm(u64 count) {
  SmcccStorm s{};
  while (s.calls < count) {
    const u64 pick = rnd();
    // Half fully random, half fast calls of a random owner with a small function number (near
    // the served ones: PSCI's owner, PV time's, the vendor hypervisor's).
    const u32 fid = (pick & 1) != 0
                        ? static_cast<u32>(rnd())
                        : 0x8000'0000U | (static_cast<u32>(pick >> 8) & 0x4000'0000U) |
                              ((static_cast<u32>(pick >> 16) % 64) << 24) | static_cast<u32>((pick >> 32) % 0x80);
    if (served_owner_range(fid)) {
      ++s.skipped;
      continue;
    }
    ++s.calls;
    smccc::Preserved p{};
    switch ((pick >> 40) % 4) {
      case 0:
      case 1:
        p = smccc::hvc_checking_registers(fid, rnd());
        break;
      case 2:
        p = smccc::smc_checking_registers<0>(fid, rnd());
        break;
      default:
        p = (pick & 2) != 0 ? smccc::smc_checking_registers<1>(fid, rnd())
                            : smccc::smc_checking_registers<0xffff>(fid, rnd());
        s.smc_other_imm += 1;
        break;
    }
    if (static_cast<i64>(p.x0) == runhv::smccc::kNotSupported && p.kept) {
      ++s.not_supported;
    } else {
      ++s.bad;
    }
  }
  return s;
}

using xen::kEacces;

}  // namespace

// hostile: areas at MMIO, outside the domain's RAM, on a read-only stage-2 page, misaligned,
// for vCPUs that do not exist; then random hypercalls. Exact error codes; the domain survives;
// its registrations are all dropped at the end (pinned pages back to 0).
bool run_hostile(const Options& o, const Platform& p) {
  constexpr const char* kName = "hostile";
  if (!p.xen) {
    return no_hypervisor(kName);
  }
  constexpr u64 kGicdIpa = runhv::xen::arm::kGicv3DistBase;  // the guest's GIC distributor, not RAM
  constexpr u64 kPastRamIpa = 0x4200'0000;  // just past this domain's 32 MiB: the next domain's RAM on the host
  constexpr u64 kFarIpa = 0x6000'0000;      // machine RAM runhv uses for itself, not mapped for a guest
  constexpr u64 kPvTimeIpa = 0x090A'0000;   // mapped read-only in stage 2
  constexpr u64 kUnmappedVa = 0xffff'8000'c000'0000;
  const u64 gicd_va = mmu::map_device(kGicdIpa, kPage);
  const u64 past_va = PROBE_SCRATCH_VA + 8 * kPage;
  const u64 far_va = PROBE_SCRATCH_VA + 9 * kPage;
  const u64 pv_va = PROBE_SCRATCH_VA + 10 * kPage;
  const bool mapped = gicd_va != 0 && mmu::map_kernel_page(past_va, kPastRamIpa, mmu::PageKind::ram_rw) &&
                      mmu::map_kernel_page(far_va, kFarIpa, mmu::PageKind::ram_rw) &&
                      mmu::map_kernel_page(pv_va, kPvTimeIpa, mmu::PageKind::ram_rw);
  const u64 own_ipa = mmu::virt_to_phys(frames[0]);
  static const u64 read_only_word = 1;  // .rodata: no stage-1 write permission

  const Case cases[] = {
      {"va_mmio", -xen::kEfault, register_va(0, gicd_va)},  // runhv maps no MMIO for a guest
      {"va_past_ram", -xen::kEfault, register_va(0, past_va)},
      {"va_far_ipa", -xen::kEfault, register_va(0, far_va)},
      {"va_stage2_read_only", -kEacces, register_va(0, pv_va + 64)},
      {"va_unmapped", -xen::kEfault, register_va(0, kUnmappedVa)},
      {"va_stage1_read_only", -xen::kEfault, register_va(0, va_of(&read_only_word))},
      {"va_vcpu_1", -xen::kEnoent, register_va(1, va_of(&areas[0]))},
      {"va_vcpu_99", -xen::kEnoent, register_va(99, va_of(&areas[0]))},
      {"va_vcpu_minus_1", -xen::kEnoent, register_va(0xffff'ffff, va_of(&areas[0]))},
      {"va_null_argument", -xen::kEfault, xen::hypercall(xen::kVcpuOp, kVcpuOpRegisterVa, 0, 0)},
      {"phys_mmio", -xen::kEinval, register_phys(0, kGicdIpa)},
      {"phys_past_ram", -xen::kEinval, register_phys(0, kPastRamIpa)},
      {"phys_far_ipa", -xen::kEinval, register_phys(0, kFarIpa)},
      {"phys_stage2_read_only", -kEacces, register_phys(0, kPvTimeIpa + 64)},
      {"phys_misaligned", -xen::kEnxio, register_phys(0, own_ipa + 4)},
      {"phys_crossing", -xen::kEnxio, register_phys(0, own_ipa + kPage - 8)},
      {"phys_vcpu_7", -xen::kEnoent, register_phys(7, own_ipa)},
      {"get_info_vcpu_1", -xen::kEnoent, get_info(1, areas[1])},
  };
  bool cases_ok = mapped;
  Record r(kName);
  r.num("cpu", 0);
  for (const Case& c : cases) {
    r.num(c.name, static_cast<u64>(-c.got));
    cases_ok = cases_ok && c.got == c.expected;
  }
  r.flag("cases_ok", cases_ok);

  rng_state ^= 0x5eed;  // fixed: a failure reproduces
  const Storm s = storm(o.hypercalls);
  const SmcccStorm sm = smccc_storm(o.hypercalls);
  // Whatever the storm registered is dropped; then one honest area must be exact.
  const long drop_phys = register_phys(0, kPhysUnregister);
  const long drop_va = register_va(0, 0);
  const long honest = register_va(0, va_of(&areas[0]));
  const long flag = enable_update_flag();
  const u64 created = first_base_of(&areas[0]);
  const Exact e = yield_and_compare(&areas[0], created, kYields);
  const long unregister = register_va(0, 0);

  r.num("random_calls", s.calls)
      .num("random_skipped", s.skipped)
      .num("random_ok", s.ok)
      .num("random_positive", s.positive)
      .num("random_enosys", s.enosys)
      .num("random_efault", s.efault)
      .num("random_einval", s.einval)
      .num("random_enoent", s.enoent)
      .num("random_other_errno", s.other_errno)
      .num("random_bad", s.bad)
      .num("smccc_calls", sm.calls)
      .num("smccc_skipped", sm.skipped)
      .num("smccc_not_supported", sm.not_supported)
      .num("smccc_smc_other_imm", sm.smc_other_imm)
      .num("smccc_bad", sm.bad)
      .num("drop_phys", static_cast<u64>(-drop_phys))
      .num("drop_va", static_cast<u64>(-drop_va))
      .num("honest_register", static_cast<u64>(-honest))
      .flag("honest_exact", e.exact)
      .num("honest_switches", e.switched)
      .num("unregister", static_cast<u64>(-unregister));
  const bool pass = cases_ok && s.bad == 0 && s.calls == o.hypercalls && sm.bad == 0 && sm.calls == o.hypercalls &&
                    sm.not_supported == sm.calls && drop_phys == 0 && drop_va == 0 && honest == 0 && flag == 0 &&
                    e.exact && e.switched > 0 && unregister == 0;
  r.num("pinned_pages", 0).flag("pass", pass).end();
  return pass;
}

namespace {

// steal / steal-legacy: the guest's own count of the time it did not run, from EL0.
constexpr u64 kStealWindows = 10;
constexpr u64 kStealWindowHz = 20;        // each window 1/20 s of the guest's clock (50 ms)
constexpr u64 kCalibrationHz = 1000;      // the calibration window: 1 ms
constexpr u64 kThresholdIterations = 64;  // a gap: a CNTVCT step over 64 loop iterations
constexpr u64 kMinThresholdTicks = 8;     // ... and over 8 counter ticks
constexpr u64 kTolerancePercent = 3;

u64 absdiff(u64 a, u64 b) { return a > b ? a - b : b - a; }
// a and b agree within kTolerancePercent of the larger.
bool agree(u64 a, u64 b) { return absdiff(a, b) * 100 <= kTolerancePercent * (a > b ? a : b); }

struct Sample {
  Info area;
  u64 pv;  // PV-time stolen_time
  u64 at;  // CNTVCT right after both were read
};

// Reads the area and the PV-time record between two CNTVCT reads at most `threshold` apart: no
// switch happened across the read, so both are what runhv had written before `at` and nothing
// later. A longer pair is read again; with `count`, its time (and the step from `prev`, when
// over the threshold) goes to *gap_ticks / *gaps: time inside the window.
Sample bracketed(const volatile void* area, const volatile StolenTime* pv, u64 threshold, u64 prev, bool count,
                 u64& gap_ticks, u64& gaps) {
  Sample out{};
  ReadCounts counts{};
  for (;;) {
    isb();
    const u64 t0 = read_cntvct_el0();
    if (count && t0 - prev > threshold) {
      gap_ticks += t0 - prev;
      ++gaps;
    }
    read(area, out.area, counts);
    out.pv = pv->stolen_time;
    isb();
    const u64 t1 = read_cntvct_el0();
    if (t1 - t0 <= threshold) {
      out.at = t1;
      return out;
    }
    if (count) {
      gap_ticks += t1 - t0;
      ++gaps;
    }
    prev = t1;
  }
}

// What the area had accounted as running up to `at` (the vCPU running then).
u64 running_until(const Sample& s) {
  const u64 entry = s.area.state_entry_time;
  const u64 now = guest_ns(s.at);
  return s.area.time[kRunning] + (s.area.state == kRunning && now > entry ? now - entry : 0);
}

// One EL0 window with interrupts masked: the gaps user_gap_spinner saw, from `start` to `end`.
struct Window {
  Sample start;
  Sample end;
  u64 gaps;
  u64 gap_ticks;
  u64 max_gap;
  u64 min_gap;
  u64 iterations;
};

Window gap_window(const volatile void* area, const volatile StolenTime* pv, u64 threshold, u64 length) {
  Window w{};
  u64 unused_ticks = 0;
  u64 unused_gaps = 0;
  tasks::reset();
  tasks::spawn(user_gap_spinner, 0, user::stack_top(0), true);
  user_gap_window = user::GapWindow{};
  user_gap_window.threshold = threshold;
  user_gap_window.length = length;
  w.start = bracketed(area, pv, threshold, 0, false, unused_ticks, unused_gaps);
  user_gap_window.start = w.start.at;
  tasks::run(nullptr);
  const user::GapWindow& u = user_gap_window;
  w.gaps = u.gaps;
  w.gap_ticks = u.gap_ticks;
  w.max_gap = u.max_gap;
  w.min_gap = u.min_gap;
  w.iterations = u.iterations;
  w.end = bracketed(area, pv, threshold, u.last, true, w.gap_ticks, w.gaps);
  return w;
}

}  // namespace

// steal: one vCPU sharing its pCPU with a busy neighbour spends windows in an EL0 loop that
// reads CNTVCT with interrupts masked (KPTI as the options say, the area registered by kernel
// VA). The steps of CNTVCT larger than a threshold are time the loop did not run; the only thing
// that can take a CPU away from EL0 with interrupts masked is the hypervisor, so their sum is the
// time the vCPU was not running, which runhv must have booked as runnable + offline (the area's
// and the PV-time record's stolen time over the same window) within 3 %, and the rest as running.
// `legacy` (steal-legacy, run in runhv's legacy mode): the negative control. The area cannot be
// updated while EL0 runs with the kernel unmapped, so it must disagree with the guest's clock
// while PV time still agrees: the check tells a wrong area from a right one.
bool run_steal(const Options& o, const Platform& p, bool legacy) {
  const char* name = legacy ? "steal-legacy" : "steal";
  if (!p.xen) {
    return no_hypervisor(name);
  }
  const PvTime pv = discover_pv_time();
  const long flag = o.update_flag ? enable_update_flag() : 0;
  const long reg = register_va(0, va_of(&areas[0]));
  const Clock& k = init_clock();
  constexpr u64 kCntkctlEl0Vcten = u64{1} << 1;  // EL0 may read CNTVCT
  write_cntkctl_el1(read_cntkctl_el1() | kCntkctlEl0Vcten);
  isb();
  irqs_off();
  timer::stop();

  Window total{};
  u64 window_ticks = 0;
  u64 area_stolen = 0;
  u64 pv_stolen = 0;
  u64 area_running = 0;
  u64 not_running = 0;
  u64 threshold = 0;
  u64 calibration_iterations = 0;
  u64 calibration_ticks = 0;
  u64 max_window_diff_ns = 0;
  Checker c{};
  c.vcpu = 0;
  const bool ready = pv.record != nullptr && reg == 0 && flag == 0;
  if (ready) {
    // The threshold, from the loop's own speed: a 1 ms window with no threshold at all (every
    // step counts); its mean step is an upper bound of one iteration (gaps only lengthen it).
    const Window cal = gap_window(&areas[0], pv.record, ~u64{0}, timer::frequency() / kCalibrationHz);
    calibration_iterations = cal.iterations;
    calibration_ticks = cal.end.at - cal.start.at;
    const u64 per_iteration_x64 = kThresholdIterations * calibration_ticks / (cal.iterations != 0 ? cal.iterations : 1);
    threshold = per_iteration_x64 > kMinThresholdTicks ? per_iteration_x64 : kMinThresholdTicks;
    c.first_seen_ns = guest_ns(this_cpu().first_cntvct);
    for (u64 n = 0; n < kStealWindows; ++n) {
      const Window w = gap_window(&areas[0], pv.record, threshold, timer::frequency() / kStealWindowHz);
      const Sample* both[2] = {&w.start, &w.end};
      for (const Sample* s : both) {
        clock_check(c, s->area, guest_ns(s->at));
        not_running += s->area.state == kRunning ? 0 : 1;
      }
      window_ticks += w.end.at - w.start.at;
      total.gaps += w.gaps;
      total.gap_ticks += w.gap_ticks;
      total.iterations += w.iterations;
      total.max_gap = w.max_gap > total.max_gap ? w.max_gap : total.max_gap;
      total.min_gap = n == 0 || w.min_gap < total.min_gap ? w.min_gap : total.min_gap;
      const u64 a = stolen(w.end.area) - stolen(w.start.area);
      area_stolen += a;
      pv_stolen += w.end.pv - w.start.pv;
      area_running += running_until(w.end) - running_until(w.start);
      const u64 diff = absdiff(ticks_to_ns(w.gap_ticks), a);
      max_window_diff_ns = diff > max_window_diff_ns ? diff : max_window_diff_ns;
    }
  }
  irqs_on();
  const u64 window_ns = ticks_to_ns(window_ticks);
  const u64 gap_ns = ticks_to_ns(total.gap_ticks);
  const u64 guest_running = window_ns - gap_ns;
  const bool area_agrees = agree(gap_ns, area_stolen);
  const bool pv_agrees = agree(gap_ns, pv_stolen);
  const bool running_agrees = agree(guest_running, area_running);
  // The neighbour really took the pCPU: at least a tenth of the windows, else 0 == 0 proves nothing.
  const bool contended = gap_ns * 10 >= window_ns && total.gaps >= kStealWindows;
  bool pass = ready && contended && pv_agrees && kpti_path_ok(o) && k.offset_bound <= kMaxClockBoundTicks;
  pass = pass && (legacy ? !area_agrees : area_agrees && running_agrees && not_running == 0);

  Record r(name);
  r.num("cpu", 0).num("kpti", o.kpti ? 1 : 0).num("el", 0).num("update_flag", o.update_flag ? 1 : 0);
  r.num("vm_assist", static_cast<u64>(-flag)).num("register", static_cast<u64>(-reg));
  r.flag("pv_time", pv.record != nullptr);
  r.num("calibration_iterations", calibration_iterations)
      .num("calibration_ticks", calibration_ticks)
      .num("threshold_ticks", threshold)
      .num("threshold_ns", ticks_to_ns(threshold))
      .num("windows", kStealWindows)
      .num("iterations", total.iterations)
      .num("window_ns", window_ns)
      .num("gaps", total.gaps)
      .num("gap_ns", gap_ns)
      .num("max_gap_ns", ticks_to_ns(total.max_gap))
      .num("min_gap_ns", total.gaps != 0 ? ticks_to_ns(total.min_gap) : 0)
      .num("steal_percent", window_ns != 0 ? gap_ns * 100 / window_ns : 0)
      .num("area_stolen_ns", area_stolen)
      .num("pv_stolen_ns", pv_stolen)
      .num("guest_running_ns", guest_running)
      .num("area_running_ns", area_running)
      .num("area_diff_ns", absdiff(gap_ns, area_stolen))
      .num("pv_diff_ns", absdiff(gap_ns, pv_stolen))
      .num("running_diff_ns", absdiff(guest_running, area_running))
      .num("max_window_diff_ns", max_window_diff_ns)
      .num("tolerance_percent", kTolerancePercent)
      .flag("area_agrees", area_agrees)
      .flag("pv_agrees", pv_agrees)
      .flag("running_agrees", running_agrees)
      .flag("contended", contended)
      .num("not_running", not_running);
  pass = add_clock(r, c) && pass;
  r.num("el0_entries", probe_cpus[0].counters.el0_entries)
      .num("el0_entries_trampoline", probe_cpus[0].counters.el0_entries_trampoline)
      .flag("kpti_path", kpti_path_ok(o));
  r.num("pinned_pages", legacy ? 0 : 1).flag("pass", pass).end();
  return pass;
}

}  // namespace probe
