#!/usr/bin/env python3
"""runhv benchmarks: instruction counts (callgrind) and, for information, wall times.

Writes a JSON list of {"name", "value", "unit"} records. Instruction counts are the figures that
matter: they do not depend on the machine's load. With --check, exits non-zero when a target is
missed.
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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-timings", action="store_true", help="skip Google Benchmark")
    ap.add_argument("--check", action="store_true", help="fail when a target is missed")
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

    with open(args.out, "w") as f:
        json.dump(records, f, indent=2)
        f.write("\n")
    print(f"\nwrote {args.out}")
    if args.check and not all(ok for _, ok in targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
