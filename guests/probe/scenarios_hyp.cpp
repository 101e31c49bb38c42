// Probe scenarios about the hypervisor itself: sleeping in WFI, liveness, hypercall error paths
// SPDX-License-Identifier: MIT
#include <string.h>

#include "abi/xen_arch_arm.hpp"
#include "guests/probe/console.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/layout.h"
#include "guests/probe/mmu.hpp"
#include "guests/probe/percpu.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

constexpr u32 kSleepHz = 50;  // 20 ms per sleep
constexpr u64 kSleeps = 10;

}  // namespace

bool run_sleep(const Options& options, const Platform& platform) {
  // Ten sleeps of one timer period each, in WFI at EL1 with interrupts unmasked: under a
  // hypervisor each WFI traps and the vCPU blocks until its virtual timer fires.
  const u64 start_ticks = timer::ticks();
  const u64 start = timer::now();
  u64 wfis = 0;
  timer::start(kSleepHz);
  while (timer::ticks() - start_ticks < kSleeps) {
    irqs_on();
    wfi();
    irqs_off();
    ++wfis;
  }
  timer::stop();
  const u64 elapsed_ms = (timer::now() - start) * 1000 / timer::frequency();
  const u64 expected_ms = kSleeps * 1000 / kSleepHz;
  // Each tick ends one sleep: never early, and within a few periods of the total.
  const bool pass = elapsed_ms + 1 >= expected_ms && elapsed_ms <= expected_ms * 3 && wfis >= kSleeps;
  Record("sleep")
      .num("kpti", options.kpti ? 1 : 0)
      .flag("hypervisor", platform.xen)
      .num("sleeps", kSleeps)
      .num("sleep_ms", 1000 / kSleepHz)
      .num("elapsed_ms", elapsed_ms)
      .num("wfi", wfis)
      .num("timer_irqs", counters().timer_irqs)
      .flag("pass", pass)
      .end();
  return pass;
}

// down-last / cpu-off-last / block-forever: the domain's only vCPU goes down (VCPUOP_down of
// itself, PSCI CPU_OFF) or blocks with no timer armed (SCHEDOP_block, interrupts and timer off).
// Nothing can bring it back: runhv must stop the domain and say why, not leave a silent hang. The
// record comes first (nothing returns); what happened is runhv's to print.
bool run_liveness(const Options&, const Platform& platform, const char* name) {
  if (!platform.xen) {
    Record(name).flag("hypervisor", false).text("error", "no hypervisor").flag("pass", false).end();
    return false;
  }
  constexpr u64 kVcpuOpDown = 2;
  constexpr u64 kSchedOpBlock = 1;
  timer::stop();
  irqs_off();
  Record(name).flag("hypervisor", true).flag("pass", true).end();
  console::flush();
  long rc = 0;
  if (strcmp(name, "down-last") == 0) {
    rc = xen::hypercall(xen::kVcpuOp, kVcpuOpDown, 0, 0);
  } else if (strcmp(name, "cpu-off-last") == 0) {
    rc = static_cast<long>(smccc::hvc(smccc::kPsciCpuOff));
  } else {
    rc = xen::hypercall(xen::kSchedOp, kSchedOpBlock, 0);
  }
  // Only reached when the domain was left running (or woken).
  Record(name).text("error", "returned").num("rc", static_cast<u64>(rc)).flag("pass", false).end();
  return false;
}

namespace {

struct Check {
  const char* name;
  long expected;
  long got;
};

long runstate_area_for(u32 vcpu, u64 arg) {
  return xen::hypercall(xen::kVcpuOp, xen::kVcpuOpRegisterRunstateMemoryArea, vcpu, arg);
}

// HVMOP_{get,set}_param of parameter `index` of domain `domid`; *value gets what came back.
long hvm_param(xen::abi::HvmOp op, u16 domid, xen::abi::HvmParam index, u64* value = nullptr) {
  static xen::abi::xen_hvm_param arg;
  arg = {domid, 0, static_cast<u32>(index), 0xDEAD};
  const long rc = xen::hypercall(xen::kHvmOp, xen::v(op), reinterpret_cast<u64>(&arg));
  if (value != nullptr) {
    *value = arg.value;
  }
  return rc;
}

// 16 KiB of console text in one console_io write: 128 lines of 127 characters, numbered.
constexpr u64 kBigLines = 128;
constexpr u64 kBigLine = 128;
char big_write[kBigLines * kBigLine];

long console_big_write() {
  for (u64 l = 0; l < kBigLines; ++l) {
    char* line = big_write + l * kBigLine;
    const char head[] = "probe: console piece ";
    u64 n = 0;
    for (; head[n] != 0; ++n) {
      line[n] = head[n];
    }
    line[n++] = static_cast<char>('0' + l / 100);
    line[n++] = static_cast<char>('0' + l / 10 % 10);
    line[n++] = static_cast<char>('0' + l % 10);
    line[n++] = ' ';
    for (; n < kBigLine - 1; ++n) {
      line[n] = static_cast<char>('a' + (n + l) % 26);
    }
    line[kBigLine - 1] = '\n';
  }
  console::flush();
  return xen::hypercall(xen::kConsoleIo, xen::kConsoleIoWrite, sizeof big_write, reinterpret_cast<u64>(big_write));
}

}  // namespace

bool run_hypercalls(const Options&, const Platform& platform) {
  if (!platform.xen) {
    Record("hypercalls").flag("hypervisor", false).text("error", "no hypervisor").flag("pass", false).end();
    return false;
  }
  static u64 area_arg;  // a valid argument struct: addr.v = 0 (unregister)
  static xen::FeatureInfo features;
  area_arg = 0;
  // Mapped nowhere: past the device window the probe uses.
  constexpr u64 kUnmappedVa = 0xffff'8000'c000'0000;

  features.submap_idx = 1;
  const long bad_submap = xen::hypercall(xen::kXenVersion, xen::kXenVerGetFeatures, reinterpret_cast<u64>(&features));
  features.submap_idx = 0;
  const long good_submap = xen::hypercall(xen::kXenVersion, xen::kXenVerGetFeatures, reinterpret_cast<u64>(&features));

  using xen::abi::HvmOp;
  using xen::abi::HvmParam;
  u64 store_pfn = ~u64{0};
  u64 console_pfn = ~u64{0};
  const long get_store_pfn = hvm_param(HvmOp::get_param, xen::kDomidSelf, HvmParam::store_pfn, &store_pfn);
  const long get_console_pfn = hvm_param(HvmOp::get_param, xen::kDomidSelf, HvmParam::console_pfn, &console_pfn);

  const Check checks[] = {
      {"unknown_hypercall", -xen::kEnosys, xen::hypercall(99, 0)},
      {"unknown_sched_op", -xen::kEnosys, xen::hypercall(xen::kSchedOp, 99, 0)},
      {"unknown_xen_version", -xen::kEnosys, xen::hypercall(xen::kXenVersion, 99, 0)},
      {"vcpu_op_bad_vcpu", -xen::kEnoent, runstate_area_for(99, reinterpret_cast<u64>(&area_arg))},
      {"vcpu_op_null_arg", -xen::kEfault, runstate_area_for(0, 0)},
      {"vcpu_op_unmapped_arg", -xen::kEfault, runstate_area_for(0, kUnmappedVa)},
      {"console_unmapped_buffer", -xen::kEfault,
       xen::hypercall(xen::kConsoleIo, xen::kConsoleIoWrite, 16, kUnmappedVa)},
      {"console_16k_write", 0, console_big_write()},
      {"get_features_bad_submap", -xen::kEinval, bad_submap},
      {"get_features", 0, good_submap},
      {"vm_assist_bad_type", -xen::kEinval, xen::hypercall(xen::kVmAssist, 0, 3)},
      {"vcpu_op_valid_unregister", 0, runstate_area_for(0, reinterpret_cast<u64>(&area_arg))},
      // As Xen's Arm do_hvm_op answers a domU without xenstore or PV console (values 0).
      {"hvm_get_store_pfn", 0, get_store_pfn},
      {"hvm_get_console_pfn", 0, get_console_pfn},
      {"hvm_get_unknown_param", -xen::kEinval, hvm_param(HvmOp::get_param, xen::kDomidSelf, static_cast<HvmParam>(3))},
      {"hvm_set_store_pfn", -xen::kEperm, hvm_param(HvmOp::set_param, xen::kDomidSelf, HvmParam::store_pfn)},
      {"hvm_get_monitor_ring", -xen::kEperm, hvm_param(HvmOp::get_param, xen::kDomidSelf, HvmParam::monitor_ring_pfn)},
      {"hvm_get_no_such_domain", -xen::err(xen::abi::Errno::esrch),
       hvm_param(HvmOp::get_param, 99, HvmParam::store_pfn)},
      {"hvm_unknown_op", -xen::kEnosys, xen::hypercall(xen::kHvmOp, 7, 0)},
  };
  bool pass = true;
  Record r("hypercalls");
  r.flag("hypervisor", true);
  for (const Check& c : checks) {
    r.num(c.name, static_cast<u64>(-c.got));  // as a positive errno (0 on success)
    pass = pass && c.got == c.expected;
  }
  // vcpu_op is_up/up on this one-vCPU domain, and SCHEDOP_block ended by the virtual timer
  // (5 ms ahead; interrupts stay masked here: the pending timer wakes the block all the same).
  constexpr u64 kVcpuOpUp = 1;
  constexpr u64 kVcpuOpIsUp = 3;
  constexpr u64 kSchedOpBlock = 1;
  const long is_up = xen::hypercall(xen::kVcpuOp, kVcpuOpIsUp, 0, 0);
  const long is_up_bad_vcpu = xen::hypercall(xen::kVcpuOp, kVcpuOpIsUp, 7, 0);
  const long up_while_up = xen::hypercall(xen::kVcpuOp, kVcpuOpUp, 0, 0);
  write_cntv_cval_el0(timer::now() + timer::frequency() / 200);
  write_cntv_ctl_el0(1);
  isb();
  const u64 t0 = timer::now();
  const long blocked = xen::hypercall(xen::kSchedOp, kSchedOpBlock, 0);
  const u64 blocked_us = (timer::now() - t0) * 1'000'000 / timer::frequency();
  write_cntv_ctl_el0(0);
  isb();
  const bool vcpu_ops_ok = is_up == 1 && is_up_bad_vcpu == -xen::kEnoent && up_while_up == -xen::kEinval;
  const bool block_ok = blocked == 0 && blocked_us >= 4000;
  r.num("vcpu_is_up", static_cast<u64>(is_up))
      .num("vcpu_is_up_bad_vcpu", static_cast<u64>(-is_up_bad_vcpu))
      .num("vcpu_up_while_up", static_cast<u64>(-up_while_up))
      .num("sched_block", static_cast<u64>(-blocked))
      .num("sched_block_us", blocked_us);
  pass = pass && vcpu_ops_ok && block_ok;
  // XENFEAT_auto_translated_physmap (2) and XENFEAT_runstate_phys_area (18).
  const bool features_ok = (features.submap & (1U << 2)) != 0 && (features.submap & (1U << 18)) != 0;
  r.num("features", features.submap).flag("features_ok", features_ok);
  pass = pass && features_ok;
  // The parameters came back as 0 (they went in as 0xDEAD).
  r.num("hvm_store_pfn", store_pfn).num("hvm_console_pfn", console_pfn);
  pass = pass && store_pfn == 0 && console_pfn == 0;
  // SMCCC over HVC #0: x1..x17 come back as they went in, and a workaround call behaves as
  // ARCH_FEATURES said: 0 (a no-op) where not affected (1 / NOT_REQUIRED), -1 where not supported.
  using runhv::smccc::Fn;
  const auto fid = [](Fn f) { return static_cast<u32>(f); };
  const smccc::Preserved version = smccc::hvc_checking_registers(fid(Fn::version), 0);
  bool smccc_ok = version.kept && version.x0 == 0x10001;
  const Fn workarounds[] = {Fn::arch_workaround_1, Fn::arch_workaround_2, Fn::arch_workaround_3};
  const char* const names[] = {"smccc_wa1", "smccc_wa2", "smccc_wa3"};
  for (u32 i = 0; i < 3; ++i) {
    const smccc::Preserved feature = smccc::hvc_checking_registers(fid(Fn::arch_features), fid(workarounds[i]));
    const smccc::Preserved call = smccc::hvc_checking_registers(fid(workarounds[i]), 1);
    const auto answer = static_cast<i64>(feature.x0);
    const bool unaffected = answer == 1 || answer == -2;
    const bool consistent = (unaffected && call.x0 == 0) || (answer == -1 && static_cast<i64>(call.x0) == -1);
    r.num(names[i], static_cast<u64>(answer + 2));  // 0: NOT_REQUIRED, 1: NOT_SUPPORTED, 3: UNAFFECTED
    smccc_ok = smccc_ok && feature.kept && call.kept && consistent;
  }
  r.flag("smccc_registers_and_workarounds_ok", smccc_ok);
  pass = pass && smccc_ok;
  // SMC is answered as HVC #0 is (PSCI 1.1), and SMC #1 gets NOT_SUPPORTED; the domain goes on.
  const u64 smc_version = smccc::smc(smccc::kPsciVersion);
  const u64 smc_other = smccc::smc<1>(smccc::kPsciVersion);
  const bool smc_ok = smc_version == 0x10001 && static_cast<i64>(smc_other) == -1;
  r.num("smc_psci_version", smc_version).flag("smc_ok", smc_ok);
  pass = pass && smc_ok;
  r.flag("pass", pass).end();
  return pass;
}

}  // namespace probe

namespace probe {
namespace {

// Pages of the probe's own RAM handed to the hypervisor: vcpu_info inside one, and one that
// the shared_info page replaces (as Linux gives a page of its RAM for shared_info).
alignas(4096) xen::VcpuInfo vcpu_info_page[4096 / sizeof(xen::VcpuInfo)];
alignas(4096) volatile u64 shared_info_page[512];

// `mfn_high` is added to the page's gfn: bits above the IPA space that a shift would drop.
long register_vcpu_info(u64 offset, u64 mfn_high = 0) {
  static xen::RegisterVcpuInfo arg;
  arg.mfn = (mmu::virt_to_phys(vcpu_info_page) >> 12) + mfn_high;
  arg.offset = static_cast<u32>(offset);
  return xen::hypercall(xen::kVcpuOp, xen::kVcpuOpRegisterVcpuInfo, 0, reinterpret_cast<u64>(&arg));
}

long add_to_physmap(u16 domid, u32 space, u64 gpfn, u64 idx = 0) {
  static xen::AddToPhysmap arg;
  arg = {domid, 0, space, idx, gpfn};
  return xen::hypercall(xen::kMemoryOp, xen::kXenMemAddToPhysmap, reinterpret_cast<u64>(&arg));
}

long grant_table_op(xen::abi::GnttabOp op, void* arg, u64 count = 1) {
  return xen::hypercall(xen::kGrantTableOp, xen::v(op), reinterpret_cast<u64>(arg), count);
}

// The grant table as Linux sets it up: query_size, set_version(1), frames mapped into the
// window the device tree names (0x3800_0000); a frame keeps its contents when it moves.
bool grant_table_checks(Record& r) {
  using xen::abi::GnttabOp;
  constexpr u64 kWindowGpfn = runhv::xen::arm::kGrantTableBase >> 12;
  static xen::abi::gnttab_query_size q;
  q = {};
  q.dom = xen::kDomidSelf;
  const long query = grant_table_op(GnttabOp::query_size, &q);
  const u32 frames_before = q.nr_frames;
  const u32 max_frames = q.max_nr_frames;
  static xen::abi::gnttab_set_version sv;
  sv.version = 2;
  const long set_v2 = grant_table_op(GnttabOp::set_version, &sv);
  sv.version = 3;
  const long set_v3 = grant_table_op(GnttabOp::set_version, &sv);
  sv.version = 1;
  const long set_v1 = grant_table_op(GnttabOp::set_version, &sv);
  const long bad_count = grant_table_op(GnttabOp::query_size, &q, 2);
  q = {};
  q.dom = 99;
  grant_table_op(GnttabOp::query_size, &q);
  const auto bad_domain_status = static_cast<i64>(q.status);
  const long map0 = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, kWindowGpfn, 0);
  const long map1 = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, kWindowGpfn + 1, 1);
  const long beyond = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, kWindowGpfn + 2, max_frames);
  const long status_frame =
      add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, kWindowGpfn + 2, xen::abi::kMapIdxGrantTableStatus);
  q = {};
  q.dom = xen::kDomidSelf;
  grant_table_op(GnttabOp::query_size, &q);
  const u32 frames_after = q.nr_frames;
  // Frame 0: write through the window, move it, read it where it went.
  const u64 va0 = PROBE_SCRATCH_VA + 20 * 4096;
  const u64 va_moved = PROBE_SCRATCH_VA + 21 * 4096;
  bool kept = mmu::map_kernel_page(va0, kWindowGpfn << 12, mmu::PageKind::ram_rw);
  if (kept) {
    *reinterpret_cast<volatile u64*>(va0) = 0x6772'616e'7430ULL;
  }
  const long moved = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, kWindowGpfn + 5, 0);
  kept = kept && mmu::map_kernel_page(va_moved, (kWindowGpfn + 5) << 12, mmu::PageKind::ram_rw) &&
         *reinterpret_cast<volatile u64*>(va_moved) == 0x6772'616e'7430ULL;
  // Frame 0 moved through 64 windows of 2 MiB each above 4 GiB, one after the other: every move
  // succeeds (the tables of the window it left are freed), and it still holds what was written.
  long moves_failed = 0;
  for (u64 k = 0; k < 64; ++k) {
    const u64 gpfn = (u64{0x1'0000'0000} >> 12) + k * 512 + k;
    moves_failed += add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, gpfn, 0) != 0 ? 1 : 0;
  }
  const long moved_back = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, kWindowGpfn + 6, 0);
  const u64 va_back = PROBE_SCRATCH_VA + 22 * 4096;
  const bool kept_after_moves = mmu::map_kernel_page(va_back, (kWindowGpfn + 6) << 12, mmu::PageKind::ram_rw) &&
                                *reinterpret_cast<volatile u64*>(va_back) == 0x6772'616e'7430ULL;
  r.num("gnttab_query_size", static_cast<u64>(-query))
      .num("gnttab_nr_frames", frames_before)
      .num("gnttab_max_nr_frames", max_frames)
      .num("gnttab_set_version_2", static_cast<u64>(-set_v2))
      .num("gnttab_set_version_3", static_cast<u64>(-set_v3))
      .num("gnttab_set_version_1", static_cast<u64>(-set_v1))
      .num("gnttab_version", sv.version)
      .num("gnttab_bad_count", static_cast<u64>(-bad_count))
      .num("gnttab_bad_domain_status", static_cast<u64>(-bad_domain_status))
      .num("gnttab_map_frame0", static_cast<u64>(-map0))
      .num("gnttab_map_frame1", static_cast<u64>(-map1))
      .num("gnttab_map_beyond", static_cast<u64>(-beyond))
      .num("gnttab_map_status_frame", static_cast<u64>(-status_frame))
      .num("gnttab_nr_frames_after", frames_after)
      .num("gnttab_move_frame0", static_cast<u64>(-moved))
      .flag("gnttab_frame_kept", kept)
      .num("gnttab_64_moves_failed", static_cast<u64>(moves_failed))
      .num("gnttab_moved_back", static_cast<u64>(-moved_back))
      .flag("gnttab_kept_after_moves", kept_after_moves);
  return query == 0 && frames_before == 1 && max_frames >= 4 && set_v2 == -xen::kEnosys && set_v3 == -xen::kEinval &&
         set_v1 == 0 && sv.version == 1 && bad_count == -xen::kEinval && bad_domain_status == -2 && map0 == 0 &&
         map1 == 0 && beyond == -xen::kEinval && status_frame == -xen::kEinval && frames_after == 2 && moved == 0 &&
         kept && moves_failed == 0 && moved_back == 0 && kept_after_moves;
}

long evtchn_op(xen::abi::EvtchnOp op, void* arg) {
  return xen::hypercall(xen::kEventChannelOp, xen::v(op), reinterpret_cast<u64>(arg));
}

bool pending_in_shared_info(u32 port) {
  // shared_info.evtchn_pending starts at byte 48: u64 word 6.
  return ((shared_info_page[6 + port / 64] >> (port % 64)) & 1) != 0;
}

// Event channels once shared_info is mapped: a loopback interdomain pair and an IPI port, each
// send seen as the port's pending bit in shared_info and as an upcall; Xen's refusals.
bool event_channel_checks(Record& r, volatile xen::VcpuInfo& info) {
  using xen::abi::EvtchnOp;
  // What a guest's upcall handler does first: the next event finds the upcall flag clear.
  info.evtchn_upcall_pending = 0;
  info.evtchn_pending_sel = 0;
  asm volatile("dsb ish" ::: "memory");
  const u64 irqs_before = counters().event_irqs;
  static xen::abi::evtchn_alloc_unbound unbound;
  unbound = {xen::kDomidSelf, xen::kDomidSelf, 0};
  const long alloc = evtchn_op(EvtchnOp::alloc_unbound, &unbound);
  static xen::abi::evtchn_bind_interdomain inter;
  inter = {xen::kDomidSelf, 0, unbound.port, 0};
  const long bind = evtchn_op(EvtchnOp::bind_interdomain, &inter);
  static xen::abi::evtchn_send send;
  send.port = inter.local_port;
  const long sent = evtchn_op(EvtchnOp::send, &send);  // to its peer, unbound.port
  asm volatile("dsb ish" ::: "memory");
  const bool peer_pending = pending_in_shared_info(unbound.port);
  static xen::abi::evtchn_bind_ipi ipi;
  ipi = {0, 0};
  const long bind_ipi = evtchn_op(EvtchnOp::bind_ipi, &ipi);
  send.port = ipi.port;
  const long sent_ipi = evtchn_op(EvtchnOp::send, &send);
  asm volatile("dsb ish" ::: "memory");
  const bool ipi_pending = pending_in_shared_info(ipi.port);
  const u64 start = timer::now();
  while (counters().event_irqs == irqs_before && timer::now() - start < timer::frequency() / 10) {
    irqs_on();
    isb();
    irqs_off();
  }
  const u64 upcalls = counters().event_irqs - irqs_before;
  const bool upcall_flag = info.evtchn_upcall_pending == 1 && info.evtchn_pending_sel != 0;
  static xen::abi::evtchn_close close;
  close.port = inter.local_port;
  const long closed = evtchn_op(EvtchnOp::close, &close);
  static xen::abi::evtchn_status status;
  status = {};
  status.dom = xen::kDomidSelf;
  status.port = unbound.port;
  const long stat = evtchn_op(EvtchnOp::status, &status);
  send.port = 4000;
  const long bad_port = evtchn_op(EvtchnOp::send, &send);
  static u8 fifo[16];
  const long fifo_refused = evtchn_op(EvtchnOp::init_control, fifo);
  const long unknown = xen::hypercall(xen::kEventChannelOp, 99, 0);
  constexpr long kEopnotsupp = 95;
  r.num("evtchn_alloc_unbound", static_cast<u64>(-alloc))
      .num("evtchn_bind_interdomain", static_cast<u64>(-bind))
      .num("evtchn_send", static_cast<u64>(-sent))
      .flag("evtchn_peer_pending", peer_pending)
      .num("evtchn_bind_ipi", static_cast<u64>(-bind_ipi))
      .num("evtchn_send_ipi", static_cast<u64>(-sent_ipi))
      .flag("evtchn_ipi_pending", ipi_pending)
      .num("evtchn_upcalls", upcalls)
      .flag("evtchn_upcall_flag", upcall_flag)
      .num("evtchn_close", static_cast<u64>(-closed))
      .num("evtchn_status_after_close", status.status)
      .num("evtchn_bad_port", static_cast<u64>(-bad_port))
      .num("evtchn_init_control", static_cast<u64>(-fifo_refused))
      .num("evtchn_unknown_op", static_cast<u64>(-unknown));
  return alloc == 0 && bind == 0 && inter.local_port != unbound.port && sent == 0 && peer_pending && bind_ipi == 0 &&
         sent_ipi == 0 && ipi_pending && upcalls >= 1 && upcall_flag && closed == 0 && stat == 0 &&
         status.status == static_cast<u32>(xen::abi::EvtchnStat::unbound) && bad_port == -xen::kEinval &&
         fifo_refused == -kEopnotsupp && unknown == -xen::kEnosys;
}

}  // namespace

bool run_events(const Options&, const Platform& platform) {
  if (!platform.xen) {
    Record("events").flag("hypervisor", false).text("error", "no hypervisor").flag("pass", false).end();
    return false;
  }
  // vcpu_info: refused across a page and beyond it, accepted at offset 64, then busy.
  const long crossing = register_vcpu_info(4096 - 16);
  const long beyond = register_vcpu_info(4096);
  const long wrapping = register_vcpu_info(64, u64{1} << 52);  // (gfn << 12) wraps to the page
  const u64 irqs_before = counters().event_irqs;
  const long registered = register_vcpu_info(64);
  // The upcall: Xen marks events pending in the new vcpu_info and raises the event interrupt.
  const u64 start = timer::now();
  while (counters().event_irqs == irqs_before && timer::now() - start < timer::frequency() / 10) {
    irqs_on();
    isb();
    irqs_off();
  }
  const auto* info = reinterpret_cast<const volatile xen::VcpuInfo*>(reinterpret_cast<const u8*>(vcpu_info_page) + 64);
  const bool upcall = info->evtchn_upcall_pending == 1 && info->evtchn_pending_sel == ~u64{0};
  const u64 event_irqs = counters().event_irqs - irqs_before;
  const long again = register_vcpu_info(128);

  // shared_info replaces the page at its gpfn: the guest sees the hypervisor's zeroed page.
  shared_info_page[100] = 0x5a5a'5a5a'5a5a'5a5aULL;
  asm volatile("dsb ish" ::: "memory");
  const u64 gpfn = mmu::virt_to_phys(const_cast<u64*>(shared_info_page)) >> 12;
  const long other_domain = add_to_physmap(5, xen::kMapSpaceSharedInfo, gpfn);  // none: Xen's lookup fails
  const long grant_table = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceGrantTable, gpfn, 0x7fff'ffff);
  const long mapped = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceSharedInfo, gpfn);
  const long mapped_again = add_to_physmap(xen::kDomidSelf, xen::kMapSpaceSharedInfo, gpfn + 1);
  asm volatile("dsb ish" ::: "memory");
  isb();
  const u64 seen = shared_info_page[100];
  shared_info_page[101] = 42;  // writable
  const bool shared_ok = mapped == 0 && seen == 0 && shared_info_page[101] == 42;

  Record r("events");
  const bool grants_ok = grant_table_checks(r);
  const bool events_ok =
      shared_ok &&
      event_channel_checks(r, *reinterpret_cast<volatile xen::VcpuInfo*>(reinterpret_cast<u8*>(vcpu_info_page) + 64));
  const bool pass = crossing == -xen::kEnxio && beyond == -xen::kEinval && wrapping == -xen::kEinval &&
                    registered == 0 && upcall && event_irqs >= 1 && again == -xen::kEbusy &&
                    other_domain == -xen::kEsrch && grant_table == -xen::kEinval && mapped_again == -xen::kEbusy &&
                    shared_ok && grants_ok && events_ok;
  r.flag("hypervisor", true)
      .num("vcpu_info_crossing", static_cast<u64>(-crossing))
      .num("vcpu_info_beyond_page", static_cast<u64>(-beyond))
      .num("vcpu_info_gfn_wrapping", static_cast<u64>(-wrapping))
      .num("vcpu_info", static_cast<u64>(-registered))
      .flag("upcall_pending", upcall)
      .num("event_irqs", event_irqs)
      .num("vcpu_info_again", static_cast<u64>(-again))
      .num("shared_info_other_domain", static_cast<u64>(-other_domain))
      .num("shared_info_grant_space", static_cast<u64>(-grant_table))
      .num("shared_info", static_cast<u64>(-mapped))
      .num("shared_info_again", static_cast<u64>(-mapped_again))
      .flag("shared_info_replaced_ram_page", shared_ok)
      .flag("pass", pass)
      .end();
  return pass;
}

}  // namespace probe
