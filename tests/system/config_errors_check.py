#!/usr/bin/env python3
# A broken scenario: tools/launch.py (./runhv run) exits non-zero with one line saying what and where
# SPDX-License-Identifier: MIT
"""Each case is scenarios/one-busy.dts with one thing broken. The launcher must exit non-zero and
its standard error must be exactly one line, `launch: error: ...`, containing the expected words
(the node or file and what is wrong). The unbroken scenario is the control: it exits 0 with no
error line."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--launch", required=True)
ap.add_argument("--build", required=True)
ap.add_argument("--scenario", required=True, help="a good one-domain scenario to break")
args = ap.parse_args()
with open(args.scenario) as f:
    good = f.read()

CASES = [
    ("no vCPU", lambda s: re.sub(r"cpus = <\d+>;", "cpus = <0>;", s), ["/chosen/domU1", "cpus"]),
    ("memory not in pages", lambda s: re.sub(r"memory = <[^>]*>;", "memory = <0x0 0x8001>;", s),
     ["/chosen/domU1", "memory"]),
    ("unknown runstate mode", lambda s: s.replace('cpus =', 'runhv,runstate-mode = "sometimes";\n\t\t\tcpus =', 1),
     ["/chosen/domU1", "runhv,runstate-mode"]),
    ("image missing", lambda s: s.replace('runhv,file = "probe.bin"', 'runhv,file = "no-such-image.bin"'),
     ["no-such-image.bin", "not found"]),
    ("no kernel file", lambda s: re.sub(r'\s*runhv,file = "[^"]*";', "", s), ["runhv,file"]),
    ("syntax error", lambda s: s.replace("cpus = <", "cpus = <<", 1), ["dtc", ".dts:"]),
    ("Xen's direct-map", lambda s: s.replace("cpus =", "direct-map;\n\t\t\tcpus =", 1),
     ["/chosen/domU1", "direct-map", "not supported"]),
    ("Xen's static memory", lambda s: s.replace("cpus =", "xen,static-mem = <0x0 0x60000000 0x0 0x1000000>;\n\t\t\tcpus =", 1),
     ["/chosen/domU1", "xen,static-mem", "not supported"]),
    ("device passthrough", lambda s: s.replace("module@1 {", 'module@2 {\n\t\t\t\tcompatible = "multiboot,device-tree", "multiboot,module";\n\t\t\t\treg = <0x0 0x75000000 0x0 0x1000>;\n\t\t\t};\n\t\t\tmodule@1 {', 1),
     ["/chosen/domU1", "passthrough", "not supported"]),
    ("xen,enhanced of another kind", lambda s: s.replace("cpus =", 'xen,enhanced = "sometimes";\n\t\t\tcpus =', 1),
     ["/chosen/domU1", "xen,enhanced"]),
]

failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for name, breaks, words in [("the control", lambda s: s, [])] + CASES:
        path = os.path.join(tmp, "broken.dts")
        with open(path, "w") as f:
            f.write(breaks(good))
        res = subprocess.run([sys.executable, args.launch, path, "--smp", "1", "--seconds", "60", "--quiet",
                              "--build", args.build], capture_output=True, text=True, timeout=120)
        errors = [x for x in res.stderr.splitlines() if x.strip()]
        if not words:
            ok = res.returncode == 0 and not errors
        else:
            ok = (res.returncode != 0 and len(errors) == 1 and errors[0].startswith("launch: error: ")
                  and all(w in errors[0] for w in words))
        print(f"config_errors_check: {'ok  ' if ok else 'FAIL'} {name}: exit {res.returncode}, stderr {errors}")
        failed += 0 if ok else 1
sys.exit(1 if failed else 0)
