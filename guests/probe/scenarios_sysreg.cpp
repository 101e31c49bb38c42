// Probe scenario `sysregs`: debug, OS-lock and PMU registers as the guest sees them, then a
// register no one emulates
// SPDX-License-Identifier: MIT
//
// Natively (EL1 on bare QEMU) the registers are the CPU's: MDSCR_EL1 and DBGBVR0_EL1 read back
// what was written and PMCR_EL0 shows the PMU. Under runhv every one of these accesses traps and
// is emulated as Xen does (read as zero, writes ignored; OSLSR_EL1 reads 0x8), which the record
// shows. Then the scenario reads CNTP_CTL_EL0, which runhv traps and does not emulate: the domain
// is stopped there with a line naming the register; natively the read just works.
#include "guests/probe/console.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"

namespace probe {
namespace {

constexpr u64 kMdscrPattern = u64{1} << 12;  // MDSCR_EL1.TDCC: harmless, EL0 has no DCC use here
constexpr u64 kDbgbvrPattern = 0x1234'5000;

}  // namespace

bool run_sysregs(const Options&, const Platform& platform) {
  u64 mdscr = 0;
  u64 oslsr = 0;
  u64 dbgbvr0 = 0;
  u64 pmcr = 0;
  asm volatile(
      "msr oslar_el1, xzr\n"  // unlock the OS lock, as Linux does at boot
      "msr mdscr_el1, %[mdscr_in]\n"
      "msr dbgbvr0_el1, %[bvr_in]\n"
      "isb\n"
      "mrs %[mdscr], mdscr_el1\n"
      "mrs %[oslsr], oslsr_el1\n"
      "mrs %[bvr], dbgbvr0_el1\n"
      "mrs %[pmcr], pmcr_el0\n"
      "msr pmuserenr_el0, xzr\n"
      "msr mdscr_el1, xzr\n"
      "msr dbgbvr0_el1, xzr\n"
      "isb"
      : [mdscr] "=&r"(mdscr), [oslsr] "=&r"(oslsr), [bvr] "=&r"(dbgbvr0), [pmcr] "=&r"(pmcr)
      : [mdscr_in] "r"(kMdscrPattern), [bvr_in] "r"(kDbgbvrPattern)
      : "memory");
  const bool emulated = mdscr == 0 && dbgbvr0 == 0 && pmcr == 0 && oslsr == 0x8;
  const bool native = mdscr == kMdscrPattern && dbgbvr0 == kDbgbvrPattern;
  Record("sysregs")
      .flag("hypervisor", platform.xen)
      .num("mdscr_readback", mdscr)
      .num("dbgbvr0_readback", dbgbvr0)
      .num("oslsr", oslsr)
      .num("pmcr", pmcr)
      .flag("pass", platform.xen ? emulated : native)
      .end();
  console::put("probe: reading CNTP_CTL_EL0\n");
  console::flush();
  u64 cntp_ctl = 0;
  asm volatile("mrs %0, cntp_ctl_el0" : "=r"(cntp_ctl)::"memory");
  // Only reached where the read is allowed (natively).
  Record("sysregs_cntp").flag("hypervisor", platform.xen).num("cntp_ctl", cntp_ctl).flag("pass", !platform.xen).end();
  return !platform.xen;
}

}  // namespace probe
