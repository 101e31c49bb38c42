// Probe scenario `isolation`: every EL1/EL0 register a guest can set, written with this domain's
// values and read back after other domains ran on the same pCPU
// SPDX-License-Identifier: MIT
//
// Two domains run it on one pCPU with different probe.seed= parities, so each writes values the
// other never writes. A round writes every register, yields (SCHEDOP_yield) and reads every
// register again; a round counts as interleaved when VCPUOP_get_runstate_info shows this vCPU
// was runnable meanwhile (another vCPU had the pCPU). What a read must give:
//   own     switched with the vCPU: what this vCPU read right after its own write (the CPU's
//           truth, after masking of unimplemented bits)
//   raz     trapped and emulated as Xen does (RAZ/WI) under a hypervisor; natively the CPU keeps
//           the value, so there it is an `own` register (the record counts how many did)
//   oslsr   OSLSR_EL1 after a write to OSLAR_EL1: 0x8 under a hypervisor (Xen's value)
// Before its first write the domain also reads the registers whose reset value is architectural
// or runhv's (0; 0x8 for OSLSR under a hypervisor): a register another domain set would show.
// Each round also fills q0-q31, FPSR and FPCR with values of this domain and round, yields one to
// three times in the same asm block (nothing of the probe's own code runs in between) and stores
// them: every one must hold what it held right after the fill (runhv switches FP/SIMD lazily).
#include "guests/probe/console.hpp"
#include "guests/probe/hypercall.hpp"
#include "guests/probe/report.hpp"
#include "guests/probe/runstate.hpp"
#include "guests/probe/scenarios.hpp"
#include "guests/probe/timer.hpp"

namespace probe {
namespace {

enum class Expect : u8 { own, raz, oslsr };

struct Reg {
  const char* name;
  void (*write)(u64);  // nullptr: read-only, its value follows the others' (CCSIDR_EL1)
  u64 (*read)();
  Expect expect;
  u64 pattern[2];   // [seed & 1]
  u64 mask;         // the bits compared
  bool reset_zero;  // reads 0 before this domain wrote anything
};

// clang-format off
#define PROBE_MSR(reg) [](u64 v) { asm volatile("msr " #reg ", %0\n isb" : : "r"(v) : "memory"); }
#define PROBE_MRS(reg) []() { u64 v; asm volatile("isb\n mrs %0, " #reg : "=r"(v)::"memory"); return v; }
#define PROBE_REG(reg, expect, a, b, mask, reset_zero) \
  Reg{#reg, PROBE_MSR(reg), PROBE_MRS(reg), Expect::expect, {a, b}, mask, reset_zero}
// A register with a SET/CLR pair: clear every bit, then set the pattern.
#define PROBE_SETCLR(set, clr, a, b)                                                          \
  Reg{#set, [](u64 v) { asm volatile("msr " #clr ", %0\n msr " #set ", %1\n isb"            \
                                     : : "r"(~u64{0}), "r"(v) : "memory"); },                 \
      PROBE_MRS(set), Expect::raz, {a, b}, ~u64{0}, false}
// clang-format on

constexpr u64 kAll = ~u64{0};

const Reg kRegs[] = {
    // Switched with the vCPU (arch/aarch64/vcpu_context.cpp, fpsimd.S, the world switch, ICH_VMCR).
    PROBE_REG(tpidr_el0, own, 0x1111'2222'3333'4444, 0x5555'6666'7777'8888, kAll, true),
    PROBE_REG(tpidrro_el0, own, 0x0A0B'0C0D'0E0F'1011, 0x2122'2324'2526'2728, kAll, true),
    PROBE_REG(contextidr_el1, own, 0x1234, 0x5678, kAll, true),
    PROBE_REG(afsr0_el1, own, 0x11, 0x22, kAll, true),
    PROBE_REG(afsr1_el1, own, 0x33, 0x44, kAll, true),
    PROBE_REG(amair_el1, own, 0x55, 0x66, kAll, true),
    PROBE_REG(csselr_el1, own, 0x2, 0x1, kAll, true),  // L2 / L1 instruction cache
    Reg{"ccsidr_el1", nullptr, PROBE_MRS(ccsidr_el1), Expect::own, {0, 0}, kAll, false},
    PROBE_REG(far_el1, own, 0xFFFF'0000'DEAD'0000, 0x0000'0000'BEEF'0008, kAll, true),
    PROBE_REG(esr_el1, own, 0x9600'0045, 0x9200'0010, kAll, true),
    PROBE_REG(par_el1, own, 0x4000'0000, 0x0000'0000'8123'4000, kAll, false),
    PROBE_REG(elr_el1, own, 0xFFFF'8000'0800'1234, 0x0000'0000'4000'5678, kAll, false),
    PROBE_REG(spsr_el1, own, 0x3C5, 0x345, kAll, false),
    PROBE_REG(sp_el0, own, 0xFFFF'8000'0900'0000, 0x0000'0000'4100'0000, kAll, false),
    PROBE_REG(cntkctl_el1, own, 0x3, 0x300, kAll, false),
    PROBE_REG(cntv_cval_el0, own, 0x12'3456'7890, 0x77'7777'7777, kAll, true),
    PROBE_REG(cntv_ctl_el0, own, 0x2, 0x0, 0x3, false),  // disabled either way; ISTATUS not compared
    PROBE_REG(fpcr, own, u64{3} << 22, u64{3} << 24, kAll, false),
    PROBE_REG(icc_pmr_el1, own, 0xF0, 0xE0, kAll, false),
    PROBE_REG(icc_bpr1_el1, own, 0x3, 0x5, kAll, false),
    PROBE_REG(icc_ctlr_el1, own, 0x2, 0x1, 0x3, false),  // EOImode / CBPR
    PROBE_REG(icc_igrpen1_el1, own, 0x0, 0x1, kAll, false),
    PROBE_REG(icc_ap1r0_el1, own, u64{1} << 31, 0x1, kAll, true),  // interrupts stay masked meanwhile
    // IMPLEMENTATION DEFINED (Cortex-A57): constant on QEMU; passing as `own` means no leak.
    PROBE_REG(actlr_el1, own, 0x1, 0x2, kAll, false),
    PROBE_REG(s3_1_c11_c0_2, own, 0x1, 0x2, kAll, false),  // L2CTLR_EL1
    PROBE_REG(s3_1_c11_c0_3, own, 0x1, 0x2, kAll, false),  // L2ECTLR_EL1
    PROBE_REG(s3_1_c15_c2_0, own, 0x1, 0x2, kAll, false),  // CPUACTLR_EL1
    PROBE_REG(s3_1_c15_c2_1, own, 0x1, 0x2, kAll, false),  // CPUECTLR_EL1
    // Debug (MDCR_EL2.TDA, TDOSA): RAZ/WI. Breakpoints and watchpoints stay disabled (E = 0).
    PROBE_REG(mdscr_el1, raz, u64{1} << 12, (u64{1} << 12) | (u64{1} << 15), kAll, true),
    PROBE_REG(dbgbvr0_el1, raz, 0x1234'5000, 0xFFFF'8000'1234'0000, kAll, true),
    PROBE_REG(dbgbcr0_el1, raz, 0x1E0, 0x1E6, kAll, true),
    PROBE_REG(dbgbvr5_el1, raz, 0x4321'0000, 0xFFFF'8000'4321'0000, kAll, true),
    PROBE_REG(dbgwvr0_el1, raz, 0x1000'0000, 0x2000'0000, kAll, true),
    PROBE_REG(dbgwcr0_el1, raz, 0x1FF8, 0x1E8, kAll, true),
    PROBE_REG(dbgwvr3_el1, raz, 0x3000'0000, 0x4000'0000, kAll, true),
    PROBE_REG(mdccint_el1, raz, u64{1} << 29, u64{1} << 30, kAll, true),
    PROBE_REG(osdlr_el1, raz, 0x1, 0x0, kAll, true),
    Reg{"oslsr_el1", PROBE_MSR(oslar_el1), PROBE_MRS(oslsr_el1), Expect::oslsr, {1, 0}, kAll, false},
    // PMU (MDCR_EL2.TPM, TPMCR): RAZ/WI. Counting stays off (PMCR_EL0.E = 0).
    PROBE_REG(pmcr_el0, raz, 0x8, 0x40, kAll, true),
    PROBE_REG(pmselr_el0, raz, 0x3, 0x1F, kAll, true),
    PROBE_SETCLR(pmcntenset_el0, pmcntenclr_el0, 0x1, u64{1} << 31),
    PROBE_SETCLR(pmintenset_el1, pmintenclr_el1, 0x2, u64{1} << 31),
    PROBE_SETCLR(pmovsset_el0, pmovsclr_el0, 0x4, u64{1} << 31),
    PROBE_REG(pmuserenr_el0, raz, 0xF, 0x1, kAll, true),
    PROBE_REG(pmccntr_el0, raz, 0x1'2345'6789, 0x9'8765'4321, kAll, true),
    PROBE_REG(pmccfiltr_el0, raz, u64{1} << 31, u64{1} << 30, kAll, true),
    PROBE_REG(pmevtyper0_el0, raz, 0x11, 0x8, kAll, true),
    PROBE_REG(pmevcntr0_el0, raz, 0x1234, 0x5678, kAll, true),
};
constexpr unsigned kRegCount = sizeof(kRegs) / sizeof(kRegs[0]);
constexpr unsigned kMaxReports = 8;  // console lines about mismatches
constexpr u64 kMinInterleaved = 10;

u64 expected_own[kRegCount];

bool trapped(const Reg& r, bool xen) { return xen && r.expect != Expect::own; }

u64 want(const Reg& r, unsigned i, bool xen) {
  if (!trapped(r, xen)) {
    return expected_own[i];
  }
  return r.expect == Expect::oslsr ? 0x8 : 0;
}

void report(const char* when, const Reg& r, u64 got, u64 expected, unsigned& reports) {
  if (reports++ < kMaxReports) {
    console::put("probe: isolation: ");
    console::put(when);
    console::put(": ");
    console::put(r.name);
    console::put(" read ");
    console::put_hex(got);
    console::put(", expected ");
    console::put_hex(expected);
    console::put("\n");
  }
}

// q0-q31 (low half first), FPSR and FPCR: what the round loads, what they held at once (the
// CPU's truth for FPSR/FPCR, after masking of unimplemented bits), and what they held after the
// yields.
struct alignas(16) FpRegs {
  u64 q[32][2];
  u64 fpsr, fpcr;
};
static_assert(sizeof(FpRegs) == 528);

FpRegs fp_in, fp_kept, fp_out;

FpRegs fp_pattern(u64 seed, u64 round) {
  FpRegs r{};
  for (u64 i = 0; i < 32; ++i) {
    r.q[i][0] = (seed << 56) | (round << 8) | i;
    r.q[i][1] = ~r.q[i][0] ^ (i << 40);
  }
  // FPSR: IOC..IXC, IDC, QC; FPCR: RMode, FZ, DN.
  r.fpsr = ((round * 7 + seed) & 0x9F) | ((round & 1) << 27);
  r.fpcr = (((round + seed) & 3) << 22) | ((seed & 1) << 24) | (((round >> 2) & 1) << 25);
  return r;
}

// Loads `in`, stores the registers into `kept`, makes `yields` SCHEDOP_yield calls, stores them
// into `out`, and sets FPCR back to 0 (the probe's own).
void fp_fill_yield_read(const FpRegs* in, FpRegs* kept, FpRegs* out, u64 yields) {
#define PROBE_FP_PAIRS(op, base)                                                                                     \
#op " q0, q1, [" #base ", #0]\n" #op " q2, q3, [" #base ", #32]\n" #op " q4, q5, [" #base ", #64]\n" #op           \
      " q6, q7, [" #base ", #96]\n" #op " q8, q9, [" #base ", #128]\n" #op " q10, q11, [" #base ", #160]\n" #op      \
      " q12, q13, [" #base ", #192]\n" #op " q14, q15, [" #base ", #224]\n" #op " q16, q17, [" #base ", #256]\n" #op \
      " q18, q19, [" #base ", #288]\n" #op " q20, q21, [" #base ", #320]\n" #op " q22, q23, [" #base ", #352]\n" #op \
      " q24, q25, [" #base ", #384]\n" #op " q26, q27, [" #base ", #416]\n" #op " q28, q29, [" #base ", #448]\n" #op \
      " q30, q31, [" #base ", #480]\n"
  asm volatile(
      ".arch_extension fp\n .arch_extension simd\n"
      PROBE_FP_PAIRS(ldp, %[in])
      "ldr x9, [%[in], #512]\n ldr x10, [%[in], #520]\n msr fpsr, x9\n msr fpcr, x10\n"
      PROBE_FP_PAIRS(stp, %[kept])
      "mrs x9, fpsr\n mrs x10, fpcr\n str x9, [%[kept], #512]\n str x10, [%[kept], #520]\n"
      "cbz %[n], 2f\n"
      "1: mov x16, %[op]\n mov x0, %[yield]\n mov x1, xzr\n mov x2, xzr\n hvc #0xEA1\n"
      "subs %[n], %[n], #1\n b.ne 1b\n"
      "2:\n"
      PROBE_FP_PAIRS(stp, %[out])
      "mrs x9, fpsr\n mrs x10, fpcr\n str x9, [%[out], #512]\n str x10, [%[out], #520]\n"
      "msr fpcr, xzr\n"
      : [n] "+r"(yields)
      : [in] "r"(in), [kept] "r"(kept), [out] "r"(out), [op] "r"(xen::kSchedOp), [yield] "r"(xen::kSchedOpYield)
      : "x0", "x1", "x2", "x3", "x4", "x9", "x10", "x16", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8",
        "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
        "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory");
#undef PROBE_FP_PAIRS
}

// Registers of `out` that differ from `kept` (q halves count one each), and a line for the first.
u64 fp_mismatches(unsigned& reports) {
  u64 n = 0;
  for (unsigned i = 0; i < 32; ++i) {
    for (unsigned h = 0; h < 2; ++h) {
      if (fp_out.q[i][h] != fp_kept.q[i][h]) {
        ++n;
        if (n == 1 && reports++ < kMaxReports) {
          console::put("probe: isolation: after a yield: q");
          console::put_hex(i);
          console::put(h == 0 ? " low" : " high");
          console::put(" read ");
          console::put_hex(fp_out.q[i][h]);
          console::put(", expected ");
          console::put_hex(fp_kept.q[i][h]);
          console::put("\n");
        }
      }
    }
  }
  n += fp_out.fpsr != fp_kept.fpsr ? 1 : 0;
  n += fp_out.fpcr != fp_kept.fpcr ? 1 : 0;
  return n;
}

u64 runnable_ns() {
  runstate::Info info{};
  return runstate::get_info(0, info) == 0 ? info.time[runstate::kRunnable] : 0;
}

}  // namespace

bool run_isolation(const Options& options, const Platform& platform) {
  const bool xen = platform.xen;
  const unsigned side = static_cast<unsigned>(options.seed & 1);
  unsigned reports = 0;

  // Before this domain wrote anything.
  u64 reset_mismatches = 0;
  for (const Reg& r : kRegs) {
    const bool checked = xen ? (r.reset_zero || r.expect == Expect::oslsr) : (r.reset_zero && r.expect == Expect::own);
    if (!checked) {
      continue;
    }
    const u64 expected = r.expect == Expect::oslsr ? 0x8 : 0;
    const u64 got = r.read() & r.mask;
    if (got != expected) {
      ++reset_mismatches;
      report("at reset", r, got, expected, reports);
    }
  }

  // Each round: write every register, note what the CPU kept, yield, read them all again.
  u64 rounds = 0;
  u64 interleaved = 0;
  u64 mismatches = 0;
  u64 retained = 0;  // trapped-class registers that kept what was written (natively: the CPU's own)
  u64 fp_interleaved = 0;
  u64 fp_mismatch_count = 0;
  const u64 end = timer::now() + options.seconds * timer::frequency();
  do {
    for (const Reg& r : kRegs) {
      if (r.write != nullptr) {
        r.write(r.pattern[side]);
      }
    }
    retained = 0;
    for (unsigned i = 0; i < kRegCount; ++i) {
      expected_own[i] = kRegs[i].read() & kRegs[i].mask;
      const u64 pattern = kRegs[i].pattern[side] & kRegs[i].mask;
      if (kRegs[i].expect == Expect::raz && pattern != 0 && expected_own[i] == pattern) {
        ++retained;
      }
    }
    const u64 runnable_before = xen ? runnable_ns() : 0;
    if (xen) {
      xen::hypercall(xen::kSchedOp, xen::kSchedOpYield, 0);
    }
    for (unsigned i = 0; i < kRegCount; ++i) {
      const u64 got = kRegs[i].read() & kRegs[i].mask;
      const u64 expected = want(kRegs[i], i, xen);
      if (got != expected) {
        ++mismatches;
        report("after a yield", kRegs[i], got, expected, reports);
      }
    }
    if (xen && runnable_ns() > runnable_before) {
      ++interleaved;
    }

    fp_in = fp_pattern(options.seed, rounds);
    const u64 fp_runnable_before = xen ? runnable_ns() : 0;
    fp_fill_yield_read(&fp_in, &fp_kept, &fp_out, xen ? 1 + rounds % 3 : 0);
    fp_mismatch_count += fp_mismatches(reports);
    if (xen && runnable_ns() > fp_runnable_before) {
      ++fp_interleaved;
    }
    ++rounds;
  } while (timer::now() < end);

  // The probe's own settings back (its GIC interface; the others it does not rely on here).
  write_icc_pmr_el1(0xff);
  write_icc_bpr1_el1(0);
  write_icc_ctlr_el1(read_icc_ctlr_el1() & ~u64{3});  // EOImode 0, CBPR 0 (gic.cpp's)
  asm volatile("msr icc_ap1r0_el1, xzr\n isb" ::: "memory");
  write_icc_igrpen1_el1(1);

  const bool pass = reset_mismatches == 0 && mismatches == 0 && fp_mismatch_count == 0 &&
                    (!xen || (interleaved >= kMinInterleaved && fp_interleaved >= kMinInterleaved && retained == 0));
  Record("isolation")
      .flag("hypervisor", xen)
      .num("seed", options.seed)
      .num("registers", kRegCount)
      .num("rounds", rounds)
      .num("interleaved", interleaved)
      .num("fp_interleaved", fp_interleaved)
      .num("fp_mismatches", fp_mismatch_count)
      .num("reset_mismatches", reset_mismatches)
      .num("mismatches", mismatches)
      .num("trapped_retained", retained)
      .flag("pass", pass)
      .end();
  return pass;
}

}  // namespace probe
