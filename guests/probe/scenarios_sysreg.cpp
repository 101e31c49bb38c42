// Probe scenario `sysregs`: debug, OS-lock and PMU registers as the guest sees them, then a
// register no one emulates
// SPDX-License-Identifier: MIT
//
// Natively (EL1 on bare QEMU) the registers are the CPU's: MDSCR_EL1 and DBGBVR0_EL1 read back
// what was written and PMCR_EL0 shows the PMU. Under runhv every one of these accesses traps and
// is emulated as Xen does (read as zero, writes ignored; OSLSR_EL1 reads 0x8), which the record
// shows. Then the scenario reads and writes CNTP_CTL_EL0, which runhv traps and does not emulate:
// each access is an undefined instruction taken at EL1 (ESR_EL1 0x02000000: EC 0, IL, ISS 0, as
// Xen's do_sysreg injects), ELR_EL1 the access itself, and the scenario goes on past it; natively
// both accesses just work. Under a hypervisor an HVC with an immediate that is neither a Xen
// hypercall's nor SMCCC's is an undefined instruction too, returning after the HVC.
#include "guests/probe/console.hpp"
#include "guests/probe/exception.hpp"
#include "guests/probe/frame.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/scenarios.hpp"

namespace probe {
namespace {

constexpr u64 kMdscrPattern = u64{1} << 12;  // MDSCR_EL1.TDCC: harmless, EL0 has no DCC use here
constexpr u64 kDbgbvrPattern = 0x1234'5000;
constexpr u64 kEsrUndefined = 0x0200'0000;  // EC 0x00, IL 1, ISS 0

volatile u64 undefs = 0;
volatile u64 undef_esr[3] = {};
volatile u64 undef_elr[3] = {};
volatile bool step_over = true;  // ELR_EL1 at the access (MSR/MRS), or already past it (HVC)

bool on_undefined(Frame& frame) {
  const u64 esr = read_esr_el1();
  if ((esr >> 26) != 0 || undefs >= 3) {
    return false;  // anything else: fatal
  }
  undef_esr[undefs] = esr;
  undef_elr[undefs] = frame.elr;
  undefs = undefs + 1;
  frame.elr += step_over ? 4 : 0;
  return true;
}

// Under a hypervisor, HVC #0x1234 (neither a Xen hypercall nor SMCCC): Xen 4.11+ injects an
// undefined instruction, ELR_EL1 the instruction after the HVC (its return address); x0 unchanged.
bool hvc_other_immediate() {
  const u64 before = undefs;
  step_over = false;
  u64 x0 = 0x5EED;
  u64 after_hvc = 0;
  asm volatile(
      "mov x0, %[x0]\n"
      "adr %[after], 1f\n"
      "hvc #0x1234\n"
      "1: mov %[x0], x0\n"
      : [x0] "+r"(x0), [after] "=&r"(after_hvc)::"x0", "memory");
  step_over = true;
  const bool ok =
      undefs == before + 1 && undef_esr[before] == kEsrUndefined && undef_elr[before] == after_hvc && x0 == 0x5EED;
  Record("sysregs_hvc")
      .num("undefs", undefs - before)
      .num("esr", undef_esr[before])
      .flag("elr_after_hvc", undef_elr[before] == after_hvc)
      .num("x0", x0)
      .flag("pass", ok)
      .end();
  return ok;
}

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
  console::put("probe: reading and writing CNTP_CTL_EL0\n");
  console::flush();
  set_el1_sync_hook(on_undefined);
  u64 cntp_ctl = 0;
  u64 read_at = 0;
  u64 write_at = 0;
  asm volatile(
      "adr %[read_at], 1f\n"
      "adr %[write_at], 2f\n"
      "1: mrs %[ctl], cntp_ctl_el0\n"
      "2: msr cntp_ctl_el0, %[ctl]\n"  // what was read: natively nothing changes
      : [ctl] "+r"(cntp_ctl), [read_at] "=&r"(read_at), [write_at] "=&r"(write_at)::"memory");
  const bool at_access = undef_elr[0] == read_at && undef_elr[1] == write_at;
  const bool undefined = undefs == 2 && undef_esr[0] == kEsrUndefined && undef_esr[1] == kEsrUndefined && at_access;
  const bool pass = platform.xen ? undefined : undefs == 0;
  const u64 cntp_undefs = undefs;
  const bool hvc_ok = !platform.xen || hvc_other_immediate();
  set_el1_sync_hook(nullptr);
  Record("sysregs_cntp")
      .flag("hypervisor", platform.xen)
      .num("cntp_ctl", cntp_ctl)
      .num("undefs", cntp_undefs)
      .num("read_esr", undef_esr[0])
      .num("write_esr", undef_esr[1])
      .flag("elr_at_access", at_access)
      .flag("pass", pass)
      .end();
  return pass && hvc_ok;
}

}  // namespace probe
