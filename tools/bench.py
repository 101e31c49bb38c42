#!/usr/bin/env python3
"""runhv benchmarks: instruction counts (callgrind on the host, QEMU -icount on the target) and,
for information, wall times.

Writes a JSON list of {"name", "value", "unit"} records. Instruction counts are the figures that
matter: they do not depend on the machine's load. With --check, exits non-zero when a regression
guard (the PASS/FAIL lines) fails. Issue 12's targets end the output, each figure beside Xen 4.17
(../shared/reference/measuring.md) and its target, PASS or MISS; a MISS never fails the run. They
are also records named target/<figure> with "target", "xen_4_17" and "result".

runstate_update/target is one mapped area update on the target: the switching yield loop with
vCPU 0's area registered (mapped VA, update flag on) minus the same loop, in the same boot, with
no area, per switch; each switch then writes exactly one area (vCPU 0 leaves or enters). See
runstate_update_target() for the phases and their cross-checks.
"""
# SPDX-License-Identifier: MIT
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

UPDATES = 20000  # measured calls per mode
MODES = ("mapped", "phys", "legacy")


def callgrind_per_call(build, mode):
    exe = os.path.join(build, "bench", "runstate_count")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=runhv_measured_update",
               f"--callgrind-out-file={out}", exe, mode, str(UPDATES)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed:\n{res.stdout}{res.stderr}")
        total = None
        with open(out) as f:
            for line in f:
                m = re.match(r"^(summary|totals):\s+(\d+)", line)
                if m:
                    total = int(m.group(2))
        if total is None:
            sys.exit(f"bench: no totals in {out}")
        return total / UPDATES


def timings(build):
    exe = os.path.join(build, "bench", "runstate_bench")
    res = subprocess.run([exe, "--benchmark_format=json", "--benchmark_min_time=0.2"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"bench: {exe} failed:\n{res.stderr}")
    data = json.loads(res.stdout)
    return {b["name"].split("/")[-1]: b["real_time"] for b in data["benchmarks"]}


# Real Xen 4.17 on the same method (../shared/reference/measuring.md), and runhv's regression
# guards (hard: --check fails on them).
XEN = {"hypercall_null": 417, "psci_version": 471, "yield_noswitch": 2136, "yield_switch": 3830,
       "context_switch": 1694}
HV_TARGETS = {"hypercall_null": 208, "context_switch": 850}

# Issue 12's targets (figure, at most, Xen 4.17): reported PASS or MISS, never an exit failure.
# Xen's figures are measuring.md's but for the image size (issue 12's "about 1 MB"); Xen was
# never measured cross-domain or per area update here.
ISSUE12_TARGETS = [
    ("hypercall_null", 100, "417"),
    ("psci_version", 110, "471"),
    ("context_switch", 350, "~1694"),
    ("context_switch/cross_domain", 450, "-"),
    ("runstate_update/target", 30, "-"),
    ("linux_boot/ratio", 1.05, "1.20-1.23"),
    ("image/bytes", 262144, "~1 MB (issue)"),
]


def launch_icount(build, root, scenario, out, extra=()):
    """Runs scenarios/`scenario` through tools/launch.py on one pCPU under -icount, its JSON
    summary to `out`; returns the summary."""
    cmd = [sys.executable, os.path.join(root, "tools", "launch.py"), os.path.join(root, "scenarios", scenario),
           "--smp", "1", "--seconds", "300", "--icount", "--quiet", "--json", out, "--build", build, *extra]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if not os.path.exists(out):
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{res.stdout}{res.stderr}")
    with open(out) as f:
        summary = json.load(f)
    summary["console_tail"] = res.stdout[-3000:]
    return summary


def hypervisor_counts(build, root, scenario="bench.dts", trace=False):
    """Boots a bench scenario under QEMU -icount shift=0,sleep=off (1 instruction = 1 ns) and
    reads the probe's `bench` record: per-operation instruction counts measured in the guest."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["--trace", os.path.join(tmp, "trace.bin")] if trace else []
        summary = launch_icount(build, root, scenario, os.path.join(tmp, "bench.json"), extra)
    recs = [r for r in summary["probe"] if r.get("scenario") == "bench"]
    if not recs or not recs[0].get("pass"):
        sys.exit(f"bench: no passing bench record from the probe: {recs}\n{summary['console_tail']}")
    r = recs[0]
    counts = {}
    for key in ("hypercall_null", "psci_version", "yield_noswitch", "yield_switch"):
        if f"{key}_ns_x1000" in r:
            counts[key] = r[f"{key}_ns_x1000"] / 1000.0
    if "yield_switch" in counts and "yield_noswitch" in counts:
        counts["context_switch"] = counts["yield_switch"] - counts["yield_noswitch"]
    counts["loop_check"] = r.get("loop_check_ns_x1000", 0) / 1000.0
    return counts


def ring_switch(build, root, scenario="bench-64-runnable.dts"):
    """A yield-ring scenario under -icount (bench-64-runnable.dts: 64 vCPUs on one pCPU; bench-
    cross-domain.dts: two domains of one vCPU): the median vCPU's ns (= instructions) per round
    over the ring's size: one yield with a switch."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = launch_icount(build, root, scenario, os.path.join(tmp, "ring.json"))
    recs = [r for r in summary["probe"] if r.get("scenario") == "yield-ring"]
    if not recs or not all(r.get("pass") for r in recs):
        sys.exit(f"bench: the yield ring did not pass: {recs[:3]}")
    rounds = sorted(r["round_ns_x1000"] / 1000.0 for r in recs)
    return rounds[len(rounds) // 2] / len(recs), len(recs)


# bench-runstate.dts's phases: (record key, areas written per switch, what is registered).
RUNSTATE_PHASES = [
    ("va1", 1, "mapped VA, vCPU 0's area, flag off"),
    ("va2", 2, "mapped VA, both areas, flag off"),
    ("va1_flag", 1, "mapped VA, vCPU 0's area, update flag on"),
    ("va2_flag", 2, "mapped VA, both areas, update flag on"),
    ("phys1", 1, "phys area (always the flag), vCPU 0's"),
    ("phys2", 2, "phys areas, both"),
]


def runstate_update_target(build, root):
    """scenarios/bench-runstate.dts under -icount (guests/probe/bench.cpp, run_bench_runstate):
    two vCPUs of one domain on one pCPU yield to each other, 3 x 20000 yields each, in phases that
    differ only in the runstate areas registered. Every switch runs two runstate changes (the
    outgoing vCPU's to runnable, the incoming one's to running), each followed by that vCPU's area
    update; with vCPU 0's area alone exactly one of them writes an area, with both areas two.
    Per area update = (yield_switch of the phase - yield_switch with no area) / areas per switch:
    what a registered area adds to one update (the update call itself, lock to unlock with
    nothing to write, runs on every switch either way and is part of context_switch). Returns
    {phase: instructions per update} and the no-area switch before and after the phases."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = launch_icount(build, root, "bench-runstate.dts", os.path.join(tmp, "runstate.json"))
    recs = [r for r in summary["probe"] if r.get("scenario") == "bench-runstate"]
    if not recs or not recs[0].get("pass"):
        sys.exit(f"bench: no passing bench-runstate record from the probe: {recs}\n{summary['console_tail']}")
    r = recs[0]
    per_update = {key: r[f"{key}_update_ns_x1000"] / 1000.0 for key, _, _ in RUNSTATE_PHASES}
    return per_update, r["none_switch_ns_x1000"] / 1000.0, r["none_again_switch_ns_x1000"] / 1000.0


def image_bytes(elf):
    """The bytes runhv.elf's loadable segments occupy once loaded (their memory size: .bss too)."""
    import struct
    with open(elf, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    total = 0
    for i in range(phnum):
        p_type, _, _, _, _, _, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            total += p_memsz
    return total


LINUX_START = re.compile(r'LINUX \{"record":"start","cpus_online":(\d+),"boottime_ns":(\d+),')


LINUX_BOOT_RUNS = 5  # each boot's command line padded differently: the median of a chaotic figure


def linux_boot_ms(build, root, hypervisor, pad=0):
    """(ms, el2): Debian's kernel with runhv's init to the init's first instruction, in virtual time
    (-icount shift=0,sleep=off; CLOCK_BOOTTIME as the init reads it at start): under runhv
    (scenarios/linux-boot.dts, 1 pCPU, 2 vCPUs) or booted by QEMU directly (2 CPUs), with the same
    kernel command line but for the UART's address. Under -icount a boot is exact but chaotic: a
    few instructions more anywhere (another build, `pad` more characters of command line) move
    every later timer interrupt, seen as +-3 % on the total; the bench reports a median. el2: under
    runhv, the instructions its pCPU had executed at EL2 by the init's `start` mark (the PMU
    counter of arch/aarch64/el2_instructions.cpp, from guest-mode entry on: runhv's own part of the
    boot, exact and not chaotic); None for the bare boot."""
    padding = f" runhv.pad={'x' * pad}" if pad else ""
    if hypervisor:
        scenario = os.path.join(root, "scenarios", "linux-boot.dts")
        with open(scenario) as f:
            text = f.read().replace('runhv.phases=busy:200"', f'runhv.phases=busy:200{padding}"')
        tmp = tempfile.NamedTemporaryFile("w", suffix=".dts", delete=False)
        tmp.write(text)
        tmp.close()
        cmd = [sys.executable, os.path.join(root, "tools", "launch.py"), tmp.name,
               "--smp", "1", "--seconds", "300", "--icount", "--build", build]
    else:
        cmd = ["qemu-system-aarch64", "-machine", "virt,gic-version=3", "-cpu", "cortex-a57", "-smp", "2", "-m", "512M",
               "-icount", "shift=0,sleep=off", "-nographic", "-monitor", "none", "-serial", "stdio", "-nic", "none",
               "-no-reboot", "-kernel", os.path.join(build, "linux", "Image"),
               "-initrd", os.path.join(build, "linux", "initramfs.cpio"),
               "-append", "console=ttyAMA0 earlycon=pl011,mmio32,0x09000000 kpti=0 runhv.phases=busy:200" + padding]
    res = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    if hypervisor:
        os.unlink(tmp.name)
    m = LINUX_START.search(res.stdout)
    if not m or int(m.group(1)) != 2:
        sys.exit(f"bench: Linux did not reach its init with 2 CPUs ({' '.join(cmd)}):\n{res.stdout[-3000:]}")
    el2 = None
    if hypervisor:
        marks = [json.loads(line.split("runhv: mark ", 1)[1]) for line in res.stdout.splitlines()
                 if line.startswith("runhv: mark ")]
        start = [mk for mk in marks if mk.get("label") == "start"]
        if not start or "el2_instructions" not in start[0]:
            sys.exit(f"bench: no EL2 instruction count at Linux's start mark ({' '.join(cmd)})")
        el2 = start[0]["el2_instructions"]
    return int(m.group(2)) / 1e6, el2


def linux_steal_error(build, root, kpti):
    """Scenario linux-steal-kpti<k>.dts (2 busy vCPUs on 1 pCPU, -icount): the largest per-CPU
    difference between Linux's /proc/stat steal and runhv's books over a window, in % of it."""
    sys.path.insert(0, os.path.join(root, "tools"))
    import linux_steal  # noqa: E402 (the comparison the tests use)
    with tempfile.TemporaryDirectory(prefix="runhv-bench-") as tmp:
        out = os.path.join(tmp, "summary.json")
        cmd = [sys.executable, os.path.join(root, "tools", "launch.py"),
               os.path.join(root, "scenarios", f"linux-steal-kpti{kpti}.dts"), "--smp", "1", "--seconds", "600",
               "--icount", "--quiet", "--json", out, "--build", build]
        subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)
        with open(out) as f:
            summary = json.load(f)
    try:
        return 100 * linux_steal.compare(summary, 1, say=lambda _: None, phases_only=True)
    except linux_steal.StealError as e:
        sys.exit(f"bench: linux-steal-kpti{kpti}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-timings", action="store_true", help="skip Google Benchmark")
    ap.add_argument("--check", action="store_true", help="fail when a target is missed")
    ap.add_argument("--no-hypervisor", action="store_true", help="skip the QEMU -icount benchmarks")
    ap.add_argument("--no-linux", action="store_true", help="skip the Linux boot benchmark")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("bench: valgrind is missing (apt-get install valgrind, or run ./runhv bench)")

    counts = {mode: callgrind_per_call(args.build, mode) for mode in MODES}
    times = {} if args.no_timings else timings(args.build)

    records = [{"name": f"runstate_update/{m}", "value": round(counts[m], 1), "unit": "instructions"}
               for m in MODES]
    records += [{"name": f"runstate_update_time/{m}", "value": round(times[m], 2), "unit": "ns"}
                for m in MODES if m in times]

    targets = [
        ("runstate_update/mapped <= 60", counts["mapped"] <= 60),
        ("runstate_update/phys <= 60", counts["phys"] <= 60),
        ("runstate_update/legacy >= 5 x mapped", counts["legacy"] >= 5 * counts["mapped"]),
    ]

    print(f"{'benchmark':<28}{'instructions':>14}{'wall ns':>10}")
    for m in MODES:
        t = f"{times[m]:.1f}" if m in times else "-"
        print(f"{'runstate_update/' + m:<28}{counts[m]:>14.1f}{t:>10}")
    print()
    for name, ok in targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")

    if not args.no_hypervisor:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        hv = hypervisor_counts(args.build, root)
        print(f"\n{'hypervisor (QEMU -icount)':<28}{'instructions':>14}{'Xen 4.17':>10}")
        for name, value in hv.items():
            if name == "loop_check":
                continue
            print(f"{name:<28}{value:>14.1f}{XEN.get(name, 0):>10}")
            records.append({"name": name, "value": round(value, 1), "unit": "instructions"})
        print(f"  (method check: a subs/b.ne loop measures {hv['loop_check']:.3f} instructions per iteration)")
        # The same context switch with both vCPUs' runstate areas registered by VA (flag on).
        for mode in ("mapped", "legacy"):
            with_areas = hypervisor_counts(args.build, root, f"bench-{mode}.dts")
            value = with_areas["context_switch"]
            records.append({"name": f"runstate_switch/{mode}", "value": round(value, 1), "unit": "instructions"})
            print(f"{'runstate_switch/' + mode:<28}{value:>14.1f}{'':>10}  (+{value - hv['context_switch']:.1f})")
            if mode == "mapped":
                mapped_added = value - hv["context_switch"]
                ok = mapped_added <= 80
                targets.append(("runstate_switch/mapped - context_switch <= 80", ok))
                print(f"  {'PASS' if ok else 'FAIL'}  mapped areas add at most 80 instructions to a context switch")
        # The same switch with the scheduling trace on (./runhv trace): what its records cost.
        traced = hypervisor_counts(args.build, root, trace=True)
        value = traced["context_switch"] - hv["context_switch"]
        records.append({"name": "trace_overhead/context_switch", "value": round(value, 1), "unit": "instructions"})
        print(f"{'trace_overhead/context_switch':<28}{value:>14.1f}{'':>10}  (the trace on, ./runhv trace)")
        # The switch with 64 runnable vCPUs queued (8 domains x 8, one pCPU): the pick is O(1).
        per_yield, ring = ring_switch(args.build, root)
        value = per_yield - hv["yield_noswitch"]
        records.append({"name": f"context_switch/{ring}_runnable", "value": round(value, 1), "unit": "instructions"})
        ok = value <= 1.05 * hv["context_switch"]
        targets.append((f"context_switch/{ring}_runnable within 5 % of context_switch", ok))
        print(f"{f'context_switch/{ring}_runnable':<28}{value:>14.1f}{'':>10}  ({value / hv['context_switch'] - 1:+.1%})")
        print(f"  {'PASS' if ok else 'FAIL'}  context_switch/{ring}_runnable within 5 % of context_switch")
        # One mapped area update on the target, net of the same switches without an area.
        per_update, none_before, none_after = runstate_update_target(args.build, root)
        target = per_update["va1_flag"]
        records.append({"name": "runstate_update/target", "value": round(target, 1), "unit": "instructions"})
        print(f"{'runstate_update/target':<28}{target:>14.1f}{'':>10}  (per area update: switches with "
              "vCPU 0's mapped area, flag on, minus none)")
        for key, areas, what in RUNSTATE_PHASES:
            records.append({"name": f"runstate_update/target_{key}", "value": round(per_update[key], 2),
                            "unit": "instructions"})
            print(f"  {'target_' + key:<26}{per_update[key]:>14.2f}{'':>10}  ({what}; {areas} per switch)")
        if target > 0:
            print(f"  (runstate_switch/mapped's +{mapped_added:.1f} per switch is {mapped_added / target:.2f} x "
                  "runstate_update/target: both vCPUs' areas, flag on)")
        for one, two in (("va1", "va2"), ("va1_flag", "va2_flag"), ("phys1", "phys2")):
            ok = abs(per_update[two] - per_update[one]) <= 0.5
            targets.append((f"runstate_update/target_{two} within 0.5 of target_{one}", ok))
            print(f"  {'PASS' if ok else 'FAIL'}  two areas per switch cost twice one ({two} vs {one})")
        ok = abs(none_after - none_before) <= 0.05
        targets.append(("bench-runstate's no-area switch the same before and after", ok))
        print(f"  {'PASS' if ok else 'FAIL'}  the no-area switch again after the phases: {none_after:.3f} "
              f"(first {none_before:.3f})")
        per_yield, _ = ring_switch(args.build, root, "bench-cross-domain.dts")
        value = per_yield - hv["yield_noswitch"]
        records.append({"name": "context_switch/cross_domain", "value": round(value, 1), "unit": "instructions"})
        print(f"{'context_switch/cross_domain':<28}{value:>14.1f}{'':>10}  (two domains of one vCPU; target <= 450)")
        loaded = image_bytes(os.path.join(args.build, "aarch64", "runhv.elf"))
        records.append({"name": "image/bytes", "value": loaded, "unit": "bytes"})
        print(f"{'image/bytes':<28}{loaded:>14}{'~1 MB':>10}  (loaded segments of runhv.elf; target <= 262144)")
        for name, limit in HV_TARGETS.items():
            if name in hv:
                ok = hv[name] <= limit
                targets.append((f"{name} <= {limit}", ok))
                print(f"  {'PASS' if ok else 'FAIL'}  {name} <= {limit} (half of Xen's {XEN[name]})")

    if not args.no_hypervisor and not args.no_linux:
        # A benchmark, not a target test: reported, never failed on (the machines are shared).
        boots = [(linux_boot_ms(args.build, root, True, pad), linux_boot_ms(args.build, root, False, pad)[0])
                 for pad in range(LINUX_BOOT_RUNS)]
        runs = [(r, b) for (r, _), b in boots]
        runhv_ms = sorted(r for r, _ in runs)[LINUX_BOOT_RUNS // 2]
        bare_ms = sorted(b for _, b in runs)[LINUX_BOOT_RUNS // 2]
        ratio = runhv_ms / bare_ms
        # runhv's own instructions over the boot's virtual time (1 instruction = 1 ns under -icount).
        shares = sorted(el2 / (r * 1e6) for (r, el2), _ in boots)
        el2_share = shares[LINUX_BOOT_RUNS // 2]
        print("\nLinux boots (runhv ms / bare ms, by command-line padding): " +
              ", ".join(f"{r:.1f}/{b:.1f}" for r, b in runs))
        print("  runhv's EL2 instructions by the init's start: " +
              ", ".join(f"{el2 / 1e6:.2f} M" for (_, el2), _ in boots))
        records += [{"name": "linux_boot/runhv_ms", "value": round(runhv_ms, 1), "unit": "ms"},
                    {"name": "linux_boot/bare_ms", "value": round(bare_ms, 1), "unit": "ms"},
                    {"name": "linux_boot/ratio", "value": round(ratio, 3), "unit": "x"},
                    {"name": "linux_boot/el2_share", "value": round(el2_share * 100, 3), "unit": "%"}]
        print(f"\n{'Linux to init (median of ' + str(LINUX_BOOT_RUNS) + ')':<28}{'runhv':>10}{'bare':>10}{'ratio':>8}  (target <= 1.05; Xen 4.17 1.20-1.23)")
        print(f"{'linux_boot':<28}{runhv_ms:>8.1f}ms{bare_ms:>8.1f}ms{ratio:>8.3f}")
        print(f"{'linux_boot/el2_share':<28}{el2_share * 100:>9.2f}%  (runhv's own instructions, EL2 PMU count, of the "
              "boot's virtual time: the rest of the ratio is the guest's)")
        print(f"\n{'Linux steal vs runhv books':<28}{'error':>10}  (largest per-CPU difference, % of a window; target <= 1)")
        for kpti in (0, 1):
            err = linux_steal_error(args.build, root, kpti)
            records.append({"name": f"linux_steal_error/kpti{kpti}", "value": round(err, 3), "unit": "%"})
            print(f"{f'linux_steal_error/kpti{kpti}':<28}{err:>9.3f}%")

    # Issue 12: each figure beside Xen 4.17 and its target; a MISS is reported, not failed.
    measured = {r["name"]: r["value"] for r in records}
    print(f"\n{'issue 12 targets':<28}{'runhv':>10}{'Xen 4.17':>15}{'target':>12}")
    for name, limit, xen in ISSUE12_TARGETS:
        value = measured.get(name)
        verdict = "not run" if value is None else "PASS" if value <= limit else "MISS"
        shown = "-" if value is None else f"{value:.3f}" if name == "linux_boot/ratio" else \
            f"{value:d}" if isinstance(value, int) else f"{value:.1f}"
        print(f"{name:<28}{shown:>10}{xen:>15}{'<= ' + format(limit, 'g'):>12}  {verdict}")
        records.append({"name": f"target/{name}", "value": value, "target": limit, "xen_4_17": xen,
                        "result": verdict})

    with open(args.out, "w") as f:
        json.dump(records, f, indent=2)
        f.write("\n")
    print(f"\nwrote {args.out}")
    if args.check and not all(ok for _, ok in targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
