#!/usr/bin/env python3
# Run a scenario through tools/launch.py and check its JSON summary and console
# SPDX-License-Identifier: MIT
"""Run tools/launch.py on a scenario, then assert on what it collected.

    launch_check.py --launch tools/launch.py --build BUILD --scenario S.dts --smp N
                    --check NAME [--check NAME ...] [--timeout SECONDS]

Checks (what a user of `./runhv run` sees: runhv's `runhv: stats {...}` lines per vCPU, the
guests' `PROBE {...}` records, console lines, QEMU's exit status):
  exit0         QEMU exited by itself with status 0 and "runhv: all domains down, powering off"
  probes_pass   every domain's every PROBE record has "pass": true (at least one per domain)
  fair          each vCPU was runnable 30%..70% of its life (running+runnable+blocked+offline)
  pinned        each vCPU's stats "pcpu" is its pin from the scenario (runhv,vcpu-pins)
  sleep         d1's sleep record passes; d1v0 was blocked >= 50% of its life, blocked and woke
                at least 10 times
  fault         d1's fault record passes (a load, a store and a fetch at an IPA nothing backs, each
                taken as Xen's abort); runhv logged one line for each naming d1v0, the IPA and the
                pc; d1 and d2 (busy) stopped by themselves, d2's record passes
  sysregs       d1's debug/PMU registers read as zero (OSLSR 0x8), its CNTP_CTL_EL0 read and
                write each taken as an undefined instruction with one line naming the register;
                d1 and d2 stopped by themselves, d2's record passes
  last_update_exact  a vCPU that went offline before its domain stopped: the values the guest
                read in its area equal runhv's record at shutdown, field for field
  stopped       every domain of the scenario printed "runhv: dN stopped (...)" after its stats
  linux_input   two 1-vCPU Linux domains (linux-input.dts): the launcher types a line once both
                wait for input; d1 (the focus) reads exactly it, d2's first read times out with
                none (the negative control); after Ctrl-A x3 ("runhv: console input to d2") the
                next line, with one lone Ctrl-A in it, is d2's second read, exactly
  hypercalls    d1's hypercalls record passes; runhv logged the refusals (unknown hypercall, no
                such vcpu, bad argument pointer) and counted the errors in d1v0's stats; d1
                stopped with SCHEDOP_shutdown's reason (poweroff)
Runstate checks (issue 4; the probe's runstate scenarios print one record per CPU with "cpu" and
"pinned_pages"):
  runstate_pinned    every such record's "pinned_pages" equals the pinned_pages of runhv's final
                     stats line for that domain and vCPU (what its remaining registrations hold)
  runstate_exact     every record with "checks" passes with stale == 0 and inconsistent == 0;
                     runhv counted no walk failure for any vCPU and logged none; each checking
                     vCPU's area_updates >= 2 x the switches it observed, and the last values
                     it read are not beyond runhv's final totals
  legacy_reproduced  d1 is in legacy mode: d1v0 counted walk failures and runhv logged
                     "d1v0: Failed to walk page-table va 0x..."; d1's CPU 0 record saw stale
                     areas; so did d1v1, which runs its own EL0 task under KPTI
  update_flag        d1's reader record (cpu 1) accepted no torn value and raced the writer at
                     least once (a retry); retries caused by the flag are reported
  update_flag_off    the control run without VMASST_TYPE_runstate_update_flag: the reader never met
                     the flag and counted no flag retry (torn reads it accepted are reported); its
                     fake-writer control caught the torn record (both update-flag checks assert the
                     control, that the reader saw its writer runnable and its runnable time grow)
  pv_time            d1's pv-time record passes: revision 0, exact samples, no mismatch
  no_walk_failures   runhv counted no walk failure (a runstate update it could not write) for any
                     vCPU and logged none
  steal              d1's steal record passes: the CNTVCT gaps its EL0 loop saw (interrupts
                     masked) equal the area's runnable + offline and PV time's stolen time over the
                     same windows within 3 %, the rest the area's running time; the windows were
                     contended (gaps >= 10 %); runhv's own totals are not below what the guest read
  steal_legacy       the negative control: d1 (legacy mode, KPTI) reports that its area disagrees
                     with its gaps while PV time agrees, and runhv counted walk failures for d1v0
  mmio_hostile       every domain's mmio-hostile record passes (each access served or aborted as
                     documented, Xen's syndrome, registers unchanged); each domain's injected-abort
                     log lines within its budget; no domain stopped but by its own poweroff
  storm              the SMP storm (scenarios/storm.dts, tools/storm_report.py): every vCPU's
                     record passes (0 torn reads, 0 guest-visible errors, vcpu_info registered
                     once), every domain powered off by itself, the teardowns released exactly
                     the pins the guests' last registrations hold and the machine's pins are 0
                     at the end; runhv retried stage-2 faults and switched vCPUs (the totals)
  hostile            d1's hostile record passes (exact error codes, the random hypercalls all
                     answered, every random SMCCC call NOT_SUPPORTED with its registers kept) and
                     every record of d2 passes; no runhv panic line; runhv's lines for d1 stay
                     within its log budget (64, then one per 1024 refusals, plus a few fixed)
  el0_a32            d1's el0-a32 record passes under runhv (its T32 task's r4 is 3: every trapped
                     WFI stepped over exactly) and d1v0 blocked at least twice (the WFIs trapped)
Liveness: stop_reason:D:TEXT  "runhv: dD stopped (TEXT)" was printed; stopped_after:D:E  dD stopped
after dE; log:LINE  the console has exactly LINE; waiting_for_input  the launcher ended the run on
runhv's "only console input can wake one" line (no time-out) and d1 was not stopped.
Linux checks: linux_up:D:CPUS:KPTI  domain D is the stock kernel, up on CPUS vCPUs, KPTI on (1) or
off (0) or as the kernel chose (any), init done, powered off; steal_source:D:area|pvtime|nopvtime  what it set up for steal time.
linux_crng:D:1|0  d D's crng was ready when its init started and was seeded at 0.000000 (1: runhv
gave it a /chosen/rng-seed), or neither (0: runhv said it had no entropy).
Linux steal-time checks (issue 9): linux_steal, steal_share:D:P:LO:HI, steal_at_most:D:P:N,
steal_lost:D, see tools/linux_steal.py.
Linux checks:
  linux_vulns_as_bare  the same kernel and init booted by QEMU directly (no hypervisor, the -cpu
                     model tools/launch.py gives runhv, the kernel command line d1 reported)
                     report the same /sys/devices/system/cpu/vulnerabilities as d1 does under
                     runhv: what runhv's SMCCC workaround answers make the guest conclude
Trace checks (the run gets --trace): trace  runhv's scheduling trace replayed per vCPU equals its
final stats line to the nanosecond, leaving out any one runstate record makes it differ (the
control), and the timeline is drawn as SVG and PNG; trace_marks:KIND[,KIND]  the trace holds
records of those kinds (area_update, walk_failure, event).
Exit status: 0 all checks passed, 1 a check failed, 2 the test could not run.
"""
import argparse
import codecs
import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import linux_steal  # noqa: E402 (tools/linux_steal.py, shared with bench and demo)
import trace_timeline as runhv_trace  # noqa: E402 (tools/trace_timeline.py, what ./runhv trace runs)
import storm_report  # noqa: E402 (tools/storm_report.py, shared with ./runhv soak)


def fail(msg):
    print(f"launch_check: FAIL: {msg}")
    sys.exit(1)


def linux_domain_ok(lines, dom, cpus, kpti=False):
    """What the stock kernel itself printed as dom0less domain `dom` with `cpus` vCPUs."""
    mine = [x[len(f"[d{dom}] "):] for x in lines if x.startswith(f"[d{dom}] ")]
    bad = [x for x in mine if re.search(r"BUG:|WARNING:|Oops|Call trace|Kernel panic", x)]
    if bad:
        fail(f"d{dom}: the Linux guest reported trouble: {bad[:3]}")
    needles = ["] Xen 4.19 support found", "] xen:events: Using 2-level ABI",
               "] xen:grant_table: Grant tables using version 1 layout"]
    needles += [f"] Xen: initializing cpu{c}" for c in range(cpus)]
    needles += [f"] GICv3: CPU{c}: found redistributor {c} region 0:0x{0x3020000 + c * 0x20000:016x}"
                for c in range(cpus)]
    if kpti is not None:  # None: the kernel's own choice (no kpti= on its command line)
        needles.append("] CPU features: detected: Kernel page table isolation (KPTI)" if kpti else
                       "] CPU features: kernel page table isolation forced OFF by kpti command line option")
    for needle in needles:
        if not any(needle in x for x in mine):
            fail(f"d{dom}: no kernel line with {needle!r}")
    start = [x for x in mine if x.startswith('LINUX {"record":"start",')]
    if not start or json.loads(start[0][len("LINUX "):])["cpus_online"] != cpus:
        fail(f"d{dom}: the init did not see {cpus} CPUs online: {start}")
    if 'LINUX {"record":"end","pass":true}' not in mine:
        fail(f"d{dom}: the init did not finish its phases")
    if f"runhv: d{dom} stopped (poweroff)" not in lines:
        fail(f"d{dom}: Linux did not power off through SCHEDOP_shutdown(poweroff)")
    print(f"launch_check: d{dom}: Linux up on {cpus} vCPUs{' with KPTI' if kpti else ''}, init done, powered off")


# What the launcher types for a check (launch.py --input-after REGEX TEXT; TEXT in Python escapes).
INPUT_LINE1 = "hello d1, from the operator's terminal"
INPUT_LINE2 = r"for d2 \x01 after the switch"  # a lone Ctrl-A is input like any other byte
INPUT_SCRIPTS = {
    "linux_input": [
        (r'^\[d1\] LINUX \{"record":"input-wait","phase":0,', ""),
        (r'^\[d2\] LINUX \{"record":"input-wait","phase":0,', INPUT_LINE1 + r"\r"),
        (r'^\[d1\] LINUX \{"record":"input","phase":0,', ""),
        (r'^\[d2\] LINUX \{"record":"input-wait","phase":1,', r"\x01\x01\x01" + INPUT_LINE2 + r"\r"),
    ],
}


def linux_records(lines, dom, record):
    prefix = f'[d{dom}] LINUX {{"record":"{record}",'
    return [json.loads(x[len(f"[d{dom}] LINUX "):]) for x in lines if x.startswith(prefix)]


def check_linux_input(summary, lines):
    linux_domain_ok(lines, 1, 1)
    linux_domain_ok(lines, 2, 1)
    line2 = codecs.decode(INPUT_LINE2, "unicode_escape")
    want = {1: [(0, INPUT_LINE1)], 2: [(0, None), (1, line2)]}
    for dom, reads in want.items():
        got = [(r["phase"], r["line"]) for r in linux_records(lines, dom, "input")]
        print(f"launch_check: d{dom} read {got}")
        if got != reads:
            fail(f"d{dom}: read {got}, expected {reads}")
        for r in linux_records(lines, dom, "input"):
            if r["timed_out"] != (r["line"] is None):
                fail(f"d{dom}: input record {r}: timed_out does not match the line")
    if summary.get("input", {}).get("unsent"):
        fail(f"the launcher did not type everything: {summary['input']}")
    first = "runhv: console input to d1 (Ctrl-A three times to switch)"
    second = "runhv: console input to d2 (Ctrl-A three times to switch)"
    if first not in lines or second not in lines:
        fail(f"no {first!r} then {second!r} line")
    got1 = next(i for i, x in enumerate(lines) if x.startswith('[d1] LINUX {"record":"input",'))
    if not lines.index(first) < got1 < lines.index(second):
        fail("the focus did not stay on d1 until its line was read, then move to d2")
    if any("console input:" in x and "dropped" in x for x in lines):
        fail("runhv dropped input")


def steal_source(lines, stats, dom, source):
    """What domain `dom`'s Linux set up for steal time: "area" (it registered a runstate area on
    every vCPU, which runhv kept updating without a walk failure), "pvtime" (it found PV time) or
    "nopvtime" (it did not). With kpti=1 Linux 6.1 still registers the areas but reads its steal
    from PV time only (linux_steal_legacy_exact_xen417_lost shows both)."""
    pv = any(x.startswith(f"[d{dom}] ") and "arm-pv: using stolen time PV" in x for x in lines)
    mine = [r for (d, _), r in stats.items() if d == dom]
    if not mine:
        fail(f"d{dom}: no stats lines")
    areas = [r["area_updates"] > 0 and r["walk_failures"] == 0 for r in mine]
    ok = {"area": all(areas), "pvtime": pv, "nopvtime": not pv}[source]
    if not ok:
        fail(f"d{dom}: not {source}: runstate areas live {areas}, PV time found {pv}")
    print(f"launch_check: d{dom}: {source} (runstate areas live {areas}, PV time found {pv})")


def linux_crng(lines, dom, seeded):
    """d`dom`'s kernel had its crng ready when its init started (the init's getrandom with
    GRND_NONBLOCK answered) and logged "crng init done" before its clocks ran (the bootloader seed
    credited in early boot) -- or, unseeded, neither: runhv had no entropy to give it."""
    start = linux_records(lines, dom, "start")
    if not start or "crng_ready" not in start[0]:
        fail(f"d{dom}: no start record with crng_ready from the init")
    early = any(x.startswith(f"[d{dom}] [    0.000000] random: crng init done") for x in lines)
    entropy = [x for x in lines if x.startswith("runhv: entropy: ")]
    print(f"launch_check: d{dom}: crng ready at init {start[0]['crng_ready']}, crng init done at 0.000000 {early}; "
          f"{entropy}")
    if start[0]["crng_ready"] != seeded or early != seeded:
        fail(f"d{dom}: crng ready at init {start[0]['crng_ready']}, init done at 0.000000 {early}: "
             f"expected {seeded} for both")
    if len(entropy) != 1 or entropy[0].startswith("runhv: entropy: none") == seeded:
        fail(f"runhv's entropy line does not say {'some' if seeded else 'none'}: {entropy}")


def linux_record(lines, kind):
    """The init's LINUX {"record": kind, ...} in `lines` (without a domain prefix), or None."""
    for x in lines:
        if x.startswith(f'LINUX {{"record":"{kind}"'):
            return json.loads(x[len("LINUX "):])
    return None


def launch_cpu_model(launch):
    """The -cpu model tools/launch.py runs runhv on."""
    spec = importlib.util.spec_from_file_location("runhv_launch", launch)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    board = mod.board_args(1, 512)
    return board[board.index("-cpu") + 1]


def linux_vulns_as_bare(lines, launch, build, dom=1):
    """d`dom`'s CPU vulnerability verdicts equal those of the same kernel booted bare on the same CPU."""
    mine = [x[len(f"[d{dom}] "):] for x in lines if x.startswith(f"[d{dom}] ")]
    under = linux_record(mine, "vulnerabilities")
    start = linux_record(mine, "start")
    if not under or not start or len(under) < 3:
        fail(f"d{dom}: no vulnerabilities record from the init: {under}")
    cmdline = " ".join(t for t in start["cmdline"].split() if not t.startswith("earlycon="))
    cpu = launch_cpu_model(launch)
    cmd = ["qemu-system-aarch64", "-machine", "virt,gic-version=3", "-cpu", cpu, "-smp", str(start["cpus_online"]),
           "-m", "512M", "-nographic", "-monitor", "none", "-serial", "stdio", "-nic", "none", "-no-reboot",
           "-kernel", os.path.join(build, "linux", "Image"), "-initrd", os.path.join(build, "linux", "initramfs.cpio"),
           "-append", cmdline]
    try:
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                             timeout=180)
    except subprocess.TimeoutExpired:
        fail(f"the bare boot did not finish in 180 s: {' '.join(cmd)}")
    bare = linux_record(res.stdout.splitlines(), "vulnerabilities")
    if not bare:
        fail(f"the bare boot printed no vulnerabilities record ({' '.join(cmd)}):\n{res.stdout[-2000:]}")
    differ = {k: (under.get(k), bare.get(k)) for k in sorted(set(under) | set(bare)) if under.get(k) != bare.get(k)}
    if differ:
        fail(f"d{dom} under runhv vs bare {cpu}: " + "; ".join(f"{k}: {u!r} vs {b!r}" for k, (u, b) in differ.items()))
    print(f"launch_check: d{dom}: the same {len(under) - 1} vulnerability verdicts as bare {cpu}, "
          f"spectre_v2 {under.get('spectre_v2')!r}, spec_store_bypass {under.get('spec_store_bypass')!r}")


def neighbour_passed(probes):
    """d2, the domain sharing the pCPU with a misbehaving d1, finished its scenario."""
    d2 = [p for p in probes if p["domain"] == 2]
    if not d2 or not all(p.get("pass") is True for p in d2):
        fail(f"d2 (the neighbour) did not finish its scenario: {d2}")


def stopped_by_themselves(lines, doms):
    for d in doms:
        if not any(re.match(rf"^runhv: d{d} stopped \((SYSTEM_OFF|poweroff|shutdown.*)\)$", x) for x in lines):
            fail(f"d{d} did not stop by itself")


def check_fault(probes, lines):
    recs = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "fault"]
    print(f"launch_check: d1 fault: {recs}")
    # ESR_EL1 as Xen's inject_abt64_exception: EC 0x25 / 0x21, IL, ISS 0 (natively: FSC 0x10).
    want = {"hypervisor": True, "aborts": 3, "load_esr": 0x96000000, "store_esr": 0x96000000,
            "fetch_esr": 0x86000000, "repeats_aborted": 2000, "pass": True}
    if not recs or any(recs[0].get(k) != v for k, v in want.items()):
        fail(f"d1: no fault record with Xen's aborts: {recs}")
    injected = [x for x in lines if re.match(r"^runhv: d1v0: .* abort injected$", x)]
    for kind, ec, what in (("read", "0x24", "data"), ("write", "0x24", "data"), ("fetch", "0x20", "instruction")):
        pat = re.compile(rf"^runhv: d1v0: {what} abort \({kind}, unmapped IPA\) at IPA 0xa010[0-9a-f]{{3}}, "
                         rf"FAR 0x[0-9a-f]+, pc 0x[0-9a-f]+, ESR_EL2 0x[0-9a-f]+ \(EC {ec}\): {what} abort injected$")
        if not injected[:3] or not any(pat.match(x) for x in injected[:3]):
            fail(f"no line for d1v0's first {kind} at the unbacked IPA: {injected[:3]}")
    # 2003 aborts, logged through d1's budget (core/log.hpp): its first 64 lines, then a count.
    if len(injected) != 64:
        fail(f"{len(injected)} abort lines for d1's 2003 aborts, not the budget's 64")
    if not any(re.match(r"^runhv: \(\d+ more guest-triggered messages not logged\)$", x) for x in lines):
        fail("no 'not logged' line for d1's aborts past the budget")
    neighbour_passed(probes)
    stopped_by_themselves(lines, (1, 2))


def check_sysregs(probes, lines):
    recs = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "sysregs"]
    if not recs:
        fail("d1: no sysregs record")
    r = recs[0]
    print(f"launch_check: d1 sysregs: {r}")
    # Natively MDSCR_EL1 and DBGBVR0_EL1 read back what was written (probe_native_sysregs).
    if (r["mdscr_readback"], r["dbgbvr0_readback"], r["oslsr"], r["pmcr"]) != (0, 0, 8, 0) or not r["pass"]:
        fail(f"d1: debug/PMU registers not emulated as zero (OSLSR 0x8): {r}")
    cntp = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "sysregs_cntp"]
    print(f"launch_check: d1 sysregs_cntp: {cntp}")
    # ESR_EL1 as Xen's inject_undef64_exception: EC 0, IL, ISS 0; ELR_EL1 each access.
    want = {"hypervisor": True, "undefs": 2, "read_esr": 0x02000000, "write_esr": 0x02000000,
            "elr_at_access": True, "pass": True}
    if not cntp or any(cntp[0].get(k) != v for k, v in want.items()):
        fail(f"d1: CNTP_CTL_EL0 accesses not taken as undefined instructions: {cntp}")
    for access in ("read of", "write to"):
        pat = re.compile(r"^runhv: d1v0: system register access \(EC 0x18, ESR_EL2 0x[0-9a-f]+\) at pc 0x[0-9a-f]+: "
                         rf"{access} S3_3_C14_C2_1: undefined instruction injected$")
        if sum(1 for x in lines if pat.match(x)) != 1:
            fail(f"not one line naming the refused CNTP_CTL_EL0 {access.split()[0]}")
    # HVC #0x1234: Xen's "Invalid HVC imm", an undefined instruction returning after the HVC.
    hvc = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "sysregs_hvc"]
    print(f"launch_check: d1 sysregs_hvc: {hvc}")
    want = {"undefs": 1, "esr": 0x02000000, "elr_after_hvc": True, "x0": 0x5EED, "pass": True}
    if not hvc or any(hvc[0].get(k) != v for k, v in want.items()):
        fail(f"d1: HVC #0x1234 not taken as an undefined instruction after the HVC: {hvc}")
    pat = re.compile(r"^runhv: d1v0: HVC #0x1234 at pc 0x[0-9a-f]+ \(ESR_EL2 0x[0-9a-f]+\): invalid immediate, "
                     r"undefined instruction injected$")
    if sum(1 for x in lines if pat.match(x)) != 1:
        fail("not one line naming the invalid HVC immediate")
    neighbour_passed(probes)
    stopped_by_themselves(lines, (1, 2))


def vcpus(summary):
    for dom, recs in summary["domains"].items():
        for rec in recs:
            yield dom, rec


def life(rec):
    return rec["running_ns"] + rec["runnable_ns"] + rec["blocked_ns"] + rec["offline_ns"]


def scenario_pins(dts):
    """{domain number: [pins]} from the scenario source, in domU order."""
    text = open(dts).read()
    pins, n = {}, 0
    for m in re.finditer(r"(domU\w*)\s*\{(.*?)\n\t\t\};", text, re.S):
        n += 1
        p = re.search(r"runhv,vcpu-pins\s*=\s*<([^>]*)>", m.group(2))
        if p:
            pins[n] = [int(x, 0) for x in p.group(1).split()]
    return pins


def domains_in(dts):
    return len(re.findall(r'compatible\s*=\s*"xen,domain"', open(dts).read()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--launch", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60, help="launch.py's limit")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--check", action="append", default=[])
    ap.add_argument("--icount", action="store_true", help="pass --icount to launch.py (instruction-exact time)")
    ap.add_argument("--load", action="append", default=[], metavar="FILE@ADDR", help="pass --load to launch.py")
    ap.add_argument("--mem", type=int, help="pass --mem (MiB) to launch.py")
    args = ap.parse_args()

    for f in (args.launch, args.scenario, os.path.join(args.build, "aarch64", "runhv.elf")):
        if not os.path.exists(f):
            print(f"launch_check: ERROR: {f} missing")
            sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="runhv-check-") as tmp:
        out_json = os.path.join(tmp, "summary.json")
        cmd = [sys.executable, args.launch, args.scenario, "--smp", str(args.smp), "--seconds",
               str(args.seconds), "--json", out_json, "--build", args.build] + (["--icount"] if args.icount else [])
        for spec in args.load:
            cmd += ["--load", spec]
        if args.mem:
            cmd += ["--mem", str(args.mem)]
        traced = any(c == "trace" or c.startswith("trace_marks:") for c in args.check)
        args.trace_file = os.path.join(tmp, "trace.bin") if traced else None
        args.tmp = tmp
        if traced:
            cmd += ["--trace", args.trace_file]
        for check in args.check:
            for regex, text in INPUT_SCRIPTS.get(check, []):
                cmd += ["--input-after", regex, text]
        try:
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  errors="replace", timeout=args.timeout)
        except subprocess.TimeoutExpired as e:
            print(e.stdout or "")
            fail(f"launch.py did not finish in {args.timeout} s")
        if not os.path.exists(out_json):
            print(done.stdout)
            print(done.stderr, file=sys.stderr)
            print("launch_check: ERROR: launch.py wrote no summary")
            sys.exit(2)
        with open(out_json) as f:
            summary = json.load(f)
        # The checks run inside the temporary directory's life: the trace file is in it.
        sys.exit(verdict_then_output(args, summary, done))


def verdict_then_output(args, summary, done):
    # The verdict and the checks' log come first, the console after them: a CI excerpt that shows
    # only the head of a failed test's output still says which check failed and why.
    log = io.StringIO()
    status = 0
    with contextlib.redirect_stdout(log):
        try:
            run_checks(args, summary, done.stdout.splitlines())
        except SystemExit as e:
            status = e.code
        except Exception:  # a check that broke still reports, with the output it had to read
            print(f"launch_check: FAIL: the check raised\n{traceback.format_exc()}")
            status = 1
    verdict = [x for x in log.getvalue().splitlines() if "FAIL" in x]
    print("\n".join(verdict) if verdict else "launch_check: all checks passed")
    print(log.getvalue())
    print(done.stdout)
    print(done.stderr, file=sys.stderr)
    print(verdict[0] if verdict else "launch_check: all checks passed")
    return status


def run_checks(args, summary, lines):
    ndom = domains_in(args.scenario)
    probes = summary["probe"]

    for check in args.check:
        if check == "exit0":
            if summary["exit"] != 0 or summary["timed_out"]:
                fail(f"QEMU exit {summary['exit']}, timed out {summary['timed_out']}")
            if "runhv: all domains down, powering off" not in lines:
                fail("no 'all domains down' line")
        elif check == "probes_pass":
            for d in range(1, ndom + 1):
                recs = [p for p in probes if p["domain"] == d]
                if not recs:
                    fail(f"d{d}: no PROBE record")
                for r in recs:
                    if r.get("pass") is not True:
                        fail(f"d{d}: PROBE record does not pass: {r}")
        elif check == "fair":
            if len(list(vcpus(summary))) != ndom:
                fail(f"expected {ndom} stats lines, got {summary['domains']}")
            for dom, r in vcpus(summary):
                share = r["runnable_ns"] / life(r)
                print(f"launch_check: {dom}v{r['vcpu']}: runnable {share:.1%} of {life(r) / 1e9:.3f} s, "
                      f"{r['switches']} switches")
                if not 0.30 <= share <= 0.70:
                    fail(f"{dom}v{r['vcpu']}: runnable {share:.1%} of its life, not 30%..70%")
                if r["switches"] < 10:
                    fail(f"{dom}v{r['vcpu']}: only {r['switches']} switches: no time sharing")
        elif check == "pinned":
            pins = scenario_pins(args.scenario)
            if not pins:
                fail("the scenario pins nothing")
            seen = 0
            for dom, r in vcpus(summary):
                want = pins[r["domain"]][r["vcpu"]]
                print(f"launch_check: {dom}v{r['vcpu']}: pcpu {r['pcpu']}, pinned to {want}, "
                      f"running {r['running_ns'] / 1e6:.0f} ms")
                if r["pcpu"] != want:
                    fail(f"{dom}v{r['vcpu']} ran on pCPU {r['pcpu']}, pinned to {want}")
                if r["running_ns"] == 0:
                    fail(f"{dom}v{r['vcpu']} never ran")
                seen += 1
            if seen != sum(len(p) for p in pins.values()):
                fail(f"{seen} vCPUs in the stats, {sum(len(p) for p in pins.values())} pinned")
        elif check == "sleep":
            recs = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "sleep"]
            if not recs or recs[0].get("pass") is not True:
                fail(f"d1: no passing sleep record: {recs}")
            r = summary["domains"]["d1"][0]
            share = r["blocked_ns"] / life(r)
            print(f"launch_check: d1v0: blocked {share:.1%}, blocks {r['blocks']}, wakes {r['wakes']}")
            if share < 0.5 or r["blocks"] < 10 or r["wakes"] < 10:
                fail(f"d1v0: blocked {share:.1%} of its life, {r['blocks']} blocks, {r['wakes']} wakes")
        elif check == "fault":
            check_fault(probes, lines)
        elif check == "sysregs":
            check_sysregs(probes, lines)
        elif check == "linux_boot":
            linux_domain_ok(lines, 1, 2)
        elif check == "linux_vulns_as_bare":
            linux_vulns_as_bare(lines, args.launch, args.build)
        elif check == "linux_smp4":
            linux_domain_ok(lines, 1, 4)
        elif check == "linux_kpti":
            linux_domain_ok(lines, 1, 2, kpti=True)
        elif check == "linux_crash":
            if not any(x.startswith("[d1] ") and "Kernel panic - not syncing: Attempted to kill init!" in x
                       for x in lines):
                fail("d1's kernel did not panic")
            if "runhv: d1 stopped (reboot)" not in lines:
                fail("d1 was not stopped with the reason its kernel gave (reboot, after panic=-1)")
            neighbour_passed(probes)
            if "runhv: d2 stopped (poweroff)" not in lines:
                fail("d2 did not finish by itself")
        elif check == "linux_input":
            check_linux_input(summary, lines)
        elif check == "linux_mixed":
            linux_domain_ok(lines, 1, 2)
            linux_domain_ok(lines, 2, 2, kpti=True)
            d3 = [p for p in probes if p["domain"] == 3]
            if not d3 or not all(p.get("pass") is True for p in d3):
                fail(f"d3 (the probe) did not pass next to the Linux domains: {d3}")
        elif check == "hypercalls":
            recs = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "hypercalls"]
            if not recs or recs[0].get("pass") is not True:
                fail(f"d1: no passing hypercalls record: {recs}")
            for needle in ("d1v0: unknown hypercall 99", "no such vcpu", "bad argument pointer"):
                if not any(needle in x for x in lines):
                    fail(f"no log line with {needle!r}")
            r = summary["domains"]["d1"][0]
            if r["hypercall_errors"] < 9:
                fail(f"d1v0: only {r['hypercall_errors']} hypercall errors counted")
            # The 16 KiB console_io write: in 512-byte pieces (31 continuations), every line whole.
            big = [x for x in lines if x.startswith("[d1] probe: console piece ")]
            want = [f"[d1] probe: console piece {n:03} " + "".join(chr(97 + (k + n) % 26) for k in range(25, 127))
                    for n in range(128)]
            print(f"launch_check: hypercalls: 16 KiB console write: {len(big)} lines, "
                  f"{r['hypercall_restarts']} continuations")
            if big != want:
                fail(f"the 16 KiB console write came out as {len(big)} lines, not the 128 written")
            if r["hypercall_restarts"] < 31:
                fail(f"d1v0: {r['hypercall_restarts']} continuations: the 16 KiB write was not done in pieces")
            if "runhv: d1 stopped (poweroff)" not in lines:
                fail("d1 did not stop through SCHEDOP_shutdown(poweroff)")
        elif check == "last_update_exact":
            rows = [r for r in summary.get("vcpus", []) if "last_update_agrees" in r]
            if not rows:
                fail("no vCPU reported its area after its last update")
            for r in rows:
                print(f"launch_check: d{r['domain']}v{r['vcpu']}: last update runhv {r['last_update']['runhv']}")
                print(f"launch_check: d{r['domain']}v{r['vcpu']}: last update guest {r['last_update']['guest']}")
                if not r["last_update_agrees"]:
                    fail(f"d{r['domain']}v{r['vcpu']}: the guest's area after the last update differs from runhv's record")
        elif check == "stopped":
            for d in range(1, ndom + 1):
                idx = [i for i, x in enumerate(lines) if re.match(rf"^runhv: d{d} stopped \(.+\)$", x)]
                st = [i for i, x in enumerate(lines) if x.startswith(f'runhv: stats {{"domain":{d},')]
                if not idx or not st or max(st) > idx[0]:
                    fail(f"d{d}: no stats lines followed by 'runhv: d{d} stopped (...)'")
        elif check.startswith("stop_reason:"):
            _, d, reason = check.split(":", 2)
            if f"runhv: d{d} stopped ({reason})" not in lines:
                fail(f"d{d}: no 'runhv: d{d} stopped ({reason})' line")
        elif check.startswith("stopped_after:"):
            _, d, e = check.split(":")
            at = {x: next((i for i, l in enumerate(lines) if l.startswith(f"runhv: d{x} stopped (")), None) for x in (d, e)}
            if at[d] is None or at[e] is None or at[d] < at[e]:
                fail(f"d{d} did not stop after d{e}: {at}")
        elif check == "waiting_for_input":
            if not summary.get("waiting_for_input") or summary["timed_out"]:
                fail(f"the launcher did not end on runhv's waiting-for-input line (timed out {summary['timed_out']})")
            if any(x.startswith("runhv: d1 stopped") for x in lines):
                fail("d1 was stopped, though console input could still wake it")
        elif check.startswith("log:"):
            text = check.split(":", 1)[1]
            if text not in lines:
                fail(f"no line '{text}'")
        elif check.startswith("linux_up:"):
            _, d, cpus, kpti = check.split(":")
            linux_domain_ok(lines, int(d), int(cpus), kpti=None if kpti == "any" else kpti == "1")
        elif check.startswith("linux_crng:"):
            _, d, want = check.split(":")
            linux_crng(lines, int(d), want == "1")
        elif check.startswith("steal_source:"):
            _, d, source = check.split(":")
            steal_source(lines, final_stats(summary), int(d), source)
        elif check == "linux_steal" or check.startswith(("steal_share:", "steal_at_most:", "steal_lost:")):
            try:
                linux_steal.run(check, summary, args.check)
            except linux_steal.StealError as e:
                fail(str(e))
        elif check == "spread":
            per = {}
            for (_, _), r in final_stats(summary).items():
                per[r["pcpu"]] = per.get(r["pcpu"], 0) + 1
            print(f"launch_check: spread: vCPUs per pCPU {dict(sorted(per.items()))}")
            if len(per) != args.smp or max(per.values()) - min(per.values()) > 1:
                fail(f"the vCPUs are not spread over the {args.smp} pCPUs: {per}")
        elif check == "scale_fair":
            check_scale_fair(summary, ndom)
        elif check == "trace":
            check_trace(args, summary)
        elif check.startswith("trace_marks:"):
            check_trace_marks(args, check.split(":", 1)[1].split(","))
        elif check in RUNSTATE_CHECKS:
            RUNSTATE_CHECKS[check](summary, probes, lines)
        else:
            print(f"launch_check: ERROR: unknown check {check}")
            sys.exit(2)
        print(f"launch_check: {check} ok")


# ---------------------------------------------------------------- scale

def check_scale_fair(summary, ndom):
    """Every domain's vCPUs busy: over the longest stretch of progress rounds in which no vCPU
    blocked or went offline, each vCPU's running time is its pCPU's fair share (1 / the vCPUs
    homed there) within 5 %, and every guest's busy loop got work done comparable with its
    pCPU's others. Run under -icount: a host that stalls a QEMU thread would charge the stall
    to whichever vCPU was running."""
    stats = final_stats(summary)
    if len({d for d, _ in stats}) != ndom:
        fail(f"{len({d for d, _ in stats})} of {ndom} domains printed their figures")
    rounds = []
    for rec in summary.get("progress", []):
        if not rounds or (rec["domain"], rec["vcpu"]) in rounds[-1]:
            rounds.append({})
        rounds[-1][(rec["domain"], rec["vcpu"])] = rec
    rounds = [r for r in rounds if len(r) == len(stats)]
    busy = [all(v["state"] in (0, 1) for v in r.values()) for r in rounds]
    best = (0, 0)
    for i in range(len(rounds)):
        j = i
        while j + 1 < len(rounds) and busy[j + 1] and all(
                rounds[j + 1][k]["blocked_ns"] == rounds[i][k]["blocked_ns"] and
                rounds[j + 1][k]["offline_ns"] == rounds[i][k]["offline_ns"] for k in rounds[i]):
            j += 1
        if busy[i] and j - i > best[1] - best[0]:
            best = (i, j)
    if best[1] - best[0] < 2:
        fail(f"no stretch of 3 progress rounds with every vCPU busy ({len(rounds)} rounds)")
    a, b = rounds[best[0]], rounds[best[1]]
    per_pcpu = {}
    for (d, v), r in stats.items():
        per_pcpu[r["pcpu"]] = per_pcpu.get(r["pcpu"], 0) + 1
    worst = 0.0
    for k in a:
        life = sum(b[k][f"{s}_ns"] - a[k][f"{s}_ns"] for s in ("running", "runnable", "blocked", "offline"))
        share = (b[k]["running_ns"] - a[k]["running_ns"]) / life
        fair = 1.0 / per_pcpu[stats[k]["pcpu"]]
        worst = max(worst, abs(share / fair - 1))
        if abs(share / fair - 1) > 0.05:
            fail(f"d{k[0]}v{k[1]} on pCPU {stats[k]['pcpu']}: running {share:.2%} of {life / 1e6:.0f} ms, fair {fair:.2%}")
    print(f"launch_check: scale: {len(a)} vCPUs on {len(per_pcpu)} pCPUs, rounds {best[0]}..{best[1]} "
          f"({life / 1e6:.0f} ms): every running share within {worst:.1%} of fair")
    # The guests' side: every busy loop made progress comparable with its pCPU's other vCPUs
    # (no vCPU starved). Only roughly: under -icount's round robin of pCPUs the instructions a
    # vCPU executes per nanosecond of virtual time vary from slice to slice (seen: +-15 %).
    work = {}
    for p in summary["probe"]:
        if p.get("scenario") == "busy" and p.get("pass"):
            work.setdefault(stats[(p["domain"], p["cpu"])]["pcpu"], []).append((p["iterations"], p["domain"], p["cpu"]))
    if sum(len(x) for x in work.values()) != len(stats):
        fail(f"{sum(len(x) for x in work.values())} passing busy records for {len(stats)} vCPUs")
    for pcpu, xs in work.items():
        median = sorted(x[0] for x in xs)[len(xs) // 2]
        for n, d, v in xs:
            if not 0.5 <= n / median <= 2:
                fail(f"d{d}v{v} on pCPU {pcpu}: {n} iterations, its pCPU's median {median}: starved or favoured")
    print("launch_check: scale: every busy loop's iterations within 0.5..2x of its pCPU's median")


# ---------------------------------------------------------------- trace checks

def check_trace(args, summary):
    try:
        recs = runhv_trace.read_trace(args.trace_file)
        status = summary.get("trace")
        if status is None or status["dropped"] or status["write_failed"] or status["records"] != len(recs):
            fail(f"the trace is incomplete: runhv reported {status}, the file holds {len(recs)} records")
        vcpus = runhv_trace.replay(recs)
        if runhv_trace.compare(vcpus, summary, say=lambda x: print(f"launch_check: trace: {x}")) != 0:
            fail("the trace's totals differ from runhv's books")
        if len(vcpus) != len(final_stats(summary)):
            fail(f"{len(vcpus)} vCPUs in the trace, {len(final_stats(summary))} in the stats")
        # The control: a change its vCPU kept for a while (its next record is later) must count.
        changes, lasting, last = 0, [], {}
        for t, dom, vcpu, kind, *_ in recs:
            if kind in (runhv_trace.RUNSTATE, runhv_trace.TOTALS):
                nth, t0 = last.pop((dom, vcpu), (None, None))
                if nth is not None and t > t0:
                    lasting.append(nth)
            if kind == runhv_trace.RUNSTATE:
                changes += 1
                last[(dom, vcpu)] = (changes, t)
        if not lasting:
            fail("no runstate change lasted: nothing to check")
        for nth in sorted({lasting[0], lasting[len(lasting) // 2], lasting[-1]}):
            if runhv_trace.compare(runhv_trace.replay(recs, drop=nth), summary, say=lambda _: None) == 0:
                fail(f"the totals still equal the books without runstate record {nth} of {changes}: the check cannot fail")
    except runhv_trace.TraceError as e:
        fail(str(e))
    # Drawn as ./runhv trace draws it (the tool finds the interpreter python3-matplotlib serves).
    summary_file = os.path.join(args.tmp, "summary-for-trace.json")
    with open(summary_file, "w") as f:
        json.dump(summary, f)
    prefix = os.path.join(args.tmp, "timeline")
    drawn = subprocess.run([sys.executable, runhv_trace.__file__, args.trace_file, "--summary", summary_file,
                            "--out", prefix], capture_output=True, text=True)
    print("\n".join(f"launch_check: {x}" for x in drawn.stdout.splitlines()[-2:]))
    if drawn.returncode != 0:
        fail(f"tools/trace_timeline.py failed: {drawn.stdout[-500:]} {drawn.stderr[-500:]}")
    files = [prefix + ".svg", prefix + ".png"]
    with open(files[1], "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            fail(f"{files[1]} is no PNG")
    with open(files[0]) as f:
        if "<svg" not in f.read(4096):
            fail(f"{files[0]} is no SVG")
    print(f"launch_check: trace: {len(recs)} records, {changes} runstate changes over {len(vcpus)} vCPUs; "
          f"dropping any of 3 sampled changes breaks the equality; timeline drawn")


def check_trace_marks(args, kinds):
    names = {"area_update": runhv_trace.AREA_UPDATE, "walk_failure": runhv_trace.WALK_FAILURE,
             "event": runhv_trace.EVENT}
    recs = runhv_trace.read_trace(args.trace_file)
    for kind in kinds:
        n = sum(1 for r in recs if r[3] == names[kind])
        print(f"launch_check: trace: {n} {kind} records")
        if n == 0:
            fail(f"the trace holds no {kind} record")


# ---------------------------------------------------------------- runstate checks (issue 4)
def final_stats(summary):
    """{(domain, vcpu): the last stats line runhv printed for it}."""
    out = {}
    for _, r in vcpus(summary):
        out[(r["domain"], r["vcpu"])] = r
    return out


def check_runstate_pinned(summary, probes, lines):
    stats = final_stats(summary)
    recs = [p for p in probes if "pinned_pages" in p and "cpu" in p]
    if not recs:
        fail("no PROBE record carries pinned_pages")
    for p in recs:
        st = stats.get((p["domain"], p["cpu"]))
        if st is None:
            fail(f"d{p['domain']}v{p['cpu']}: no stats line")
        print(f"launch_check: d{p['domain']}v{p['cpu']}: pinned_pages {st['pinned_pages']}, "
              f"the guest's registrations hold {p['pinned_pages']}")
        if st["pinned_pages"] != p["pinned_pages"]:
            fail(f"d{p['domain']}v{p['cpu']}: runhv holds {st['pinned_pages']} pinned pages, "
                 f"the guest's registrations account for {p['pinned_pages']}")


def check_runstate_exact(summary, probes, lines):
    stats = final_stats(summary)
    recs = [p for p in probes if "checks" in p and "cpu" in p]
    if not recs:
        fail("no runstate checking record")
    for p in recs:
        who = f"d{p['domain']}v{p['cpu']}"
        st = stats.get((p["domain"], p["cpu"]))
        if st is None:
            fail(f"{who}: no stats line")
        print(f"launch_check: {who}: {p['checks']} checks, {p['descheduled']} switches seen, "
              f"stale {p['stale']}, inconsistent {p['inconsistent']}; runhv: {st['area_updates']} updates, "
              f"{st['walk_failures']} walk failures")
        if p.get("pass") is not True or p["stale"] != 0 or p["inconsistent"] != 0:
            fail(f"{who}: record does not pass: {p}")
        if st["area_updates"] < 2 * p["descheduled"]:
            fail(f"{who}: {st['area_updates']} area updates for {p['descheduled']} observed switches")
        for k in ("running", "runnable", "blocked", "offline"):
            if p[f"last_{k}_ns"] > st[f"{k}_ns"]:
                fail(f"{who}: the guest read {k} {p[f'last_{k}_ns']} ns, runhv's total is {st[f'{k}_ns']}")
    for (d, v), st in stats.items():
        if st["walk_failures"] != 0:
            fail(f"d{d}v{v}: {st['walk_failures']} walk failures")
    if any("Failed to walk page-table" in x for x in lines):
        fail("runhv logged a walk failure")


def check_legacy_reproduced(summary, probes, lines):
    stats = final_stats(summary)
    v0, v1 = stats.get((1, 0)), stats.get((1, 1))
    if v0 is None or v0.get("walk_failures", 0) == 0:
        fail(f"d1v0 counted no walk failure: {v0}")
    pat = re.compile(r"^runhv: d1v0: Failed to walk page-table va 0x[0-9a-f]+ \(failure \d+\)$")
    logged = [x for x in lines if pat.match(x)]
    if not logged:
        fail("no 'd1v0: Failed to walk page-table va 0x...' line")
    r0 = [p for p in probes if p["domain"] == 1 and p.get("cpu") == 0]
    if not r0 or r0[0].get("stale", 0) == 0 or r0[0].get("pass") is not True:
        fail(f"d1 CPU 0 did not see stale areas: {r0}")
    print(f"launch_check: d1v0: {v0['walk_failures']} walk failures ({len(logged)} log lines), "
          f"the guest saw {r0[0]['stale']} stale areas in {r0[0]['checks']} checks")
    if v1 is not None:
        # vCPU 1 runs its own EL0 task under KPTI too: the same failure, seen the same way.
        r1 = [p for p in probes if p["domain"] == 1 and p.get("cpu") == 1]
        if v1["walk_failures"] == 0 or not r1 or r1[0].get("pass") is not True or r1[0]["stale"] == 0:
            fail(f"d1v1 (EL0 under KPTI) did not reproduce the failure: {v1}, {r1}")
        print(f"launch_check: d1v1: {v1['walk_failures']} walk failures, the guest saw {r1[0]['stale']} stale "
              f"areas in {r1[0]['checks']} checks")


def check_update_flag(summary, probes, lines):
    r = [p for p in probes if p["domain"] == 1 and p.get("cpu") == 1 and "reads" in p]
    if not r or r[0].get("pass") is not True:
        fail(f"d1: no passing reader record: {r}")
    r = r[0]
    print(f"launch_check: reader: {r['reads']} reads, {r['updates_seen']} updates seen, "
          f"{r['retries']} retries ({r['flag_retries']} with the flag set), {r['torn']} torn")
    reader_control(r)
    if r["torn"] != 0:
        fail(f"the reader accepted {r['torn']} torn values")
    # The reader must have raced the writer (retries); meeting the flag itself needs both QEMU
    # vCPU threads on host cores at once, which a loaded 2-core host rarely gives: reported only.
    if r["retries"] + r["flag_retries"] + r.get("flag_seen", 0) == 0:
        fail("the reader never raced an update")


def reader_control(r):
    print(f"launch_check: reader saw the writer runnable {r['seen_runnable']} times, its runnable time "
          f"{r['first_runnable_ns']} -> {r['last_runnable_ns']} ns; control: plain writer {r['control_plain_torn']} "
          f"torn of {r['control_plain_reads']} reads, flag writer {r['control_flag_torn']} torn, "
          f"{r['control_flag_retries']} flag retries")
    if r["seen_runnable"] == 0 or r["last_runnable_ns"] <= r["first_runnable_ns"]:
        fail("the reader never saw its writer runnable, or its runnable time did not grow")
    if not r["control_ok"] or r["control_plain_torn"] == 0 or r["control_flag_torn"] != 0:
        fail(f"the reader's torn test failed its control: {r}")


def check_update_flag_off(summary, probes, lines):
    r = [p for p in probes if p["domain"] == 1 and p.get("cpu") == 1 and "reads" in p]
    if not r or r[0].get("pass") is not True or r[0]["update_flag"] != 0:
        fail(f"d1: no passing reader record without the flag: {r}")
    r = r[0]
    print(f"launch_check: reader without the flag: {r['reads']} reads, {r['updates_seen']} updates seen, "
          f"{r['retries']} retries ({r['flag_retries']} with the flag set, flag seen {r['flag_seen']} times), "
          f"{r['torn']} torn accepted")
    reader_control(r)
    if r["flag_retries"] != 0 or r["flag_seen"] != 0:
        fail("runhv set XEN_RUNSTATE_UPDATE in an area of a domain that never enabled it")


def check_pv_time(summary, probes, lines):
    r = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "pv-time"]
    if not r or r[0].get("pass") is not True:
        fail(f"d1: no passing pv-time record: {r}")
    r = r[0]
    print(f"launch_check: pv-time: {r['samples']} samples, {r['exact']} exact, {r['within_one_update']} "
          f"within one update, {r['between_updates']} between two, {r['mismatch']} outside, stolen {r['stolen_ns']} ns")
    if r["mismatch"] != 0 or r["revision"] != 0 or r["attributes"] != 0:
        fail(f"pv-time record: {r}")


def check_no_walk_failures(summary, probes, lines):
    for (d, v), st in final_stats(summary).items():
        if st["walk_failures"] != 0:
            fail(f"d{d}v{v}: {st['walk_failures']} walk failures")
    if any("Failed to walk page-table" in x or "runstate area update failed" in x for x in lines):
        fail("runhv logged a failed runstate update")


def steal_record(probes, name):
    r = [p for p in probes if p["domain"] == 1 and p.get("scenario") == name]
    if not r:
        fail(f"d1: no {name} record")
    r = r[0]
    print(f"launch_check: {name}: {r['windows']} windows, {r['window_ns'] / 1e6:.3f} ms; {r['gaps']} gaps over "
          f"{r['threshold_ns']} ns (threshold), {r['gap_ns'] / 1e6:.3f} ms ({r['steal_percent']} %); area stolen "
          f"{r['area_stolen_ns'] / 1e6:.3f} ms, PV time {r['pv_stolen_ns'] / 1e6:.3f} ms; running: guest "
          f"{r['guest_running_ns'] / 1e6:.3f} ms, area {r['area_running_ns'] / 1e6:.3f} ms")
    if r.get("pass") is not True:
        fail(f"{name} record does not pass: {r}")
    # Under -icount the offset CNTPCT - CNTVCT is measured exactly.
    if not r["contended"] or not r["pv_agrees"] or r["cntvoff_bound_ticks"] != 0 or r["cntvoff_ticks"] != 0:
        fail(f"{name}: {r}")
    return r


def check_steal(summary, probes, lines):
    r = steal_record(probes, "steal")
    if not (r["area_agrees"] and r["running_agrees"]):
        fail(f"steal: the area disagrees with the guest's gaps: {r}")
    for k in ("area", "pv", "running"):
        print(f"launch_check: steal: {k} off by {r[f'{k}_diff_ns']} ns = {r[f'{k}_diff_ns'] / r['gap_ns']:.3%} of the gaps")
    st = final_stats(summary)[(1, 0)]
    if st["runnable_ns"] + st["offline_ns"] < r["area_stolen_ns"]:
        fail(f"d1v0: runhv's runnable + offline {st['runnable_ns'] + st['offline_ns']} below what the guest read")
    check_no_walk_failures(summary, probes, lines)


def check_steal_legacy(summary, probes, lines):
    r = steal_record(probes, "steal-legacy")
    if r["area_agrees"]:
        fail(f"steal-legacy: the area agreed with the gaps in legacy mode under KPTI: the check cannot fail? {r}")
    st = final_stats(summary)[(1, 0)]
    print(f"launch_check: steal-legacy: area off by {r['area_diff_ns']} ns, PV time by {r['pv_diff_ns']} ns; "
          f"runhv: {st['walk_failures']} walk failures")
    if st["walk_failures"] == 0:
        fail("d1v0: no walk failure counted, yet the area missed the switches")


def check_hostile(summary, probes, lines):
    r = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "hostile"]
    if not r or r[0].get("pass") is not True:
        fail(f"d1: no passing hostile record: {r}")
    r = r[0]
    print(f"launch_check: hostile: {r['random_calls']} random calls ({r['random_skipped']} skipped), "
          f"ok {r['random_ok']}, ENOSYS {r['random_enosys']}, EFAULT {r['random_efault']}, "
          f"EINVAL {r['random_einval']}, ENOENT {r['random_enoent']}, other {r['random_other_errno']}")
    print(f"launch_check: hostile: {r['smccc_calls']} random SMCCC calls over HVC #0 / SMC ({r['smccc_skipped']} "
          f"served IDs skipped, {r['smccc_smc_other_imm']} SMC #imm != 0): NOT_SUPPORTED {r['smccc_not_supported']}, "
          f"bad {r['smccc_bad']}")
    neighbour_passed(probes)
    if any(re.match(r"^runhv: .*(panic|PANIC|FATAL)", x) for x in lines):
        fail("runhv panicked")
    # The storm's log: d1's guest-triggered lines go through its budget (core/log.hpp: the first 64,
    # then one per 1024), plus the handful every domain gets (build, stats, teardown, stop).
    events = r["random_calls"] + r["smccc_calls"] + 64
    cap = 64 + events // 1024 + 10
    logged = [x for x in lines if x.startswith(("runhv: d1", "runhv: (")) and not x.startswith("runhv: d1 (domU")]
    print(f"launch_check: hostile: {len(logged)} runhv lines for d1 (cap {cap}, for about {events} refused calls)")
    if len(logged) > cap:
        fail(f"{len(logged)} runhv lines for d1's storm, more than the budget's {cap}: {logged[64:80]}")


def check_mmio_hostile(summary, probes, lines):
    """Every domain's mmio-hostile record passes; runhv logged each domain's injected aborts within
    its budget (core/log.hpp: the first 64 lines, then one per 1024) and stopped no domain."""
    LOG_FIRST, LOG_EVERY = 64, 1024
    recs = [p for p in probes if p.get("scenario") == "mmio-hostile"]
    doms = {p["domain"] for p in probes}
    if not recs or {p["domain"] for p in recs} != doms or any(p.get("pass") is not True for p in recs):
        fail(f"not every domain has a passing mmio-hostile record: {recs}")
    summaries = 0
    for r in recs:
        d = r["domain"]
        logged = [x for x in lines if re.match(rf"^runhv: d{d}v\d+: .* data abort injected$", x)]
        print(f"launch_check: d{d}: {r['accesses']} accesses, {r['aborts_taken']} aborts taken, "
              f"{len(logged)} lines logged")
        if not logged or len(logged) > LOG_FIRST:
            fail(f"d{d}: {len(logged)} data-abort lines logged for {r['aborts_taken']} aborts (budget {LOG_FIRST})")
        summaries += max(0, r["aborts_taken"] - LOG_FIRST) // LOG_EVERY
    got = sum(1 for x in lines if re.match(r"^runhv: \(\d+ more guest-triggered messages not logged\)$", x))
    if got > summaries:
        fail(f"{got} 'not logged' summary lines, the budget allows {summaries}")
    if any(re.match(r"^runhv: d\d+ stopped \((?!poweroff)", x) for x in lines):
        fail("a domain was stopped by something other than its own poweroff")


def check_el0_a32(summary, probes, lines):
    r = [p for p in probes if p["domain"] == 1 and p.get("scenario") == "el0-a32"]
    if not r or r[0].get("hypervisor") is not True or r[0].get("r4") != 3 or r[0].get("pass") is not True:
        fail(f"d1: no passing el0-a32 record under the hypervisor: {r}")
    st = final_stats(summary)[(1, 0)]
    print(f"launch_check: el0_a32: r4 = {r[0]['r4']}, {r[0]['irqs_from_a32']} ticks taken at AArch32 EL0; "
          f"d1v0 blocked {st['blocks']} times")
    if st["blocks"] < 2:
        fail(f"d1v0 blocked {st['blocks']} times: the two WFIs did not both trap to runhv")


def check_storm(summary, probes, lines):
    problems, totals = storm_report.evaluate(summary, lines)
    for line in storm_report.describe(totals):
        print(f"launch_check: storm: {line}")
    if problems:
        fail("storm: " + "; ".join(problems[:5]))
    if totals["switches"] < 1000 or totals["stage2_fault_retries"] == 0:
        fail(f"storm: too tame to prove anything (switches {totals['switches']}, stage-2 retries "
             f"{totals['stage2_fault_retries']})")


RUNSTATE_CHECKS = {
    "runstate_pinned": check_runstate_pinned,
    "runstate_exact": check_runstate_exact,
    "legacy_reproduced": check_legacy_reproduced,
    "update_flag": check_update_flag,
    "update_flag_off": check_update_flag_off,
    "pv_time": check_pv_time,
    "no_walk_failures": check_no_walk_failures,
    "steal": check_steal,
    "steal_legacy": check_steal_legacy,
    "hostile": check_hostile,
    "mmio_hostile": check_mmio_hostile,
    "el0_a32": check_el0_a32,
    "storm": check_storm,
}


if __name__ == "__main__":
    main()
