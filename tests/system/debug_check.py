#!/usr/bin/env python3
# ./runhv debug works: gdb-multiarch on QEMU's gdbstub stops in runhv at EL2, then in the guest at EL1
# SPDX-License-Identifier: MIT
"""debug_check.py --build BUILD SCENARIO: runs tools/debug.py --batch and asserts, from what gdb
read out of QEMU's CPU (pc, CPSR), that the first stop is hyp_main at EL2 and the second the
probe's probe_main at EL1."""
import argparse
import os
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("scenario")
args = ap.parse_args()
tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "debug.py")
try:
    done = subprocess.run([sys.executable, tool, args.scenario, "--build", args.build, "--batch"],
                          capture_output=True, text=True, timeout=120)
except subprocess.TimeoutExpired:
    sys.exit("debug_check: FAIL: gdb did not finish in 120 s")
out = done.stdout + done.stderr
stops = re.findall(r"^debug: stopped at pc (0x[0-9a-f]+), EL(\d)\n(\S+) in section", out, re.M)
print(out)
want = [("hyp_main", "2"), ("probe_main", "1")]
got = [(sym, el) for _, el, sym in stops]
if got != want:
    sys.exit(f"debug_check: FAIL: stops {got}, want {want}")
print(f"debug_check: ok: {got}")
