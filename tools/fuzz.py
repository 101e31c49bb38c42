#!/usr/bin/env python3
"""runhv fuzzing: runs every libFuzzer target for a while and prints inputs/s and coverage.

Each target starts from its kept corpus (fuzz/corpus/<target>) and the build tree's corpus
(build/fuzz-corpus/<target>, where new inputs go), under ASan + UBSan. Inputs/s is given per
second of wall time (what libFuzzer reports) and per second of CPU time the fuzzer used (the
same figure on an idle machine; on a shared one the wall figure drops with the load).
"""
# SPDX-License-Identifier: MIT
import argparse
import os
import re
import resource
import subprocess
import sys
import time

TARGETS = ("runstate", "mmio", "dom0less", "evtchn", "hypercall")


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(build, root, target, seconds):
    corpus = os.path.join(build, "fuzz-corpus", target)
    os.makedirs(corpus, exist_ok=True)
    log = os.path.join(build, f"fuzz-{target}.log")
    cmd = [os.path.join(build, "fuzz", f"{target}_fuzz"), f"-max_total_time={seconds}", "-print_final_stats=1",
           f"-artifact_prefix={os.path.join(build, target)}-",
           corpus, os.path.join(root, "fuzz", "corpus", target)]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    with open(log, "w") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode
    cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
    text = open(log, errors="replace").read()
    if rc != 0:
        tail = "\n".join(text.splitlines()[-40:])
        sys.exit(f"fuzz: {target}_fuzz found a problem (exit {rc}; log {log}):\n{tail}")
    units = int(re.search(r"stat::number_of_executed_units:\s*(\d+)", text).group(1))
    done = re.findall(r"#\d+\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)", text)
    cov, ft, corp = done[-1] if done else ("?", "?", "?")
    return units, wall, cpu, cov, ft, corp


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--seconds", type=int, default=300)
    p.add_argument("targets", nargs="*", default=list(TARGETS))
    a = p.parse_args()
    rows = []
    for t in a.targets:
        print(f"    {t}_fuzz: {a.seconds} s ...", flush=True)
        rows.append((t, *run(a.build, a.root, t, a.seconds)))
    print(f"    {'target':<10} {'inputs':>10} {'inputs/s':>9} {'per CPU s':>10} {'edges':>6} {'features':>9} {'corpus':>7}")
    for t, units, wall, cpu, cov, ft, corp in rows:
        print(f"    {t:<10} {units:>10} {units / wall:>9.0f} {units / cpu if cpu else 0:>10.0f} {cov:>6} {ft:>9} {corp:>7}")


if __name__ == "__main__":
    main()
