#!/usr/bin/env python3
# Check where each EL2 exception vector of a runhv image goes (FIQ and SError from a guest included)
# SPDX-License-Identifier: MIT
"""Disassemble runhv's EL2 vector table (el2_vectors) and check every entry's first branch.

A guest's FIQ or SError cannot be raised under QEMU virt (QEMU models no physical SError, and no
Group 0 interrupt reaches a guest), so what the image does with one is checked here instead: the
lower-EL entries (8-15; 12-15 are for an AArch32 EL1, which HCR_EL2.RW rules out, and are routed
the same way) must branch to the world switch's exit for their kind, and the FIQ and SError exits
must call the handlers that stop the domain (runhv_guest_fiq, runhv_guest_serror, which end in
hyp::on_guest_fatal); the EL2 entries (0-7) go to exception_common.

Exit status: 0 as expected, 1 an entry goes elsewhere, 2 cannot run (objdump or image missing).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

INSN = re.compile(r"^\s*([0-9a-f]+):\s+[0-9a-f]{8}\s+(\S+)\s*(.*)$")
SYMBOL = re.compile(r"^([0-9a-f]+) <(.+)>:$")
KINDS = ["sync", "irq", "fiq", "serror"]
EXIT_CALLS = {"guest_sync_exit": "runhv_guest_sync", "guest_irq_exit": "runhv_guest_irq",
              "guest_fiq_exit": "runhv_guest_fiq", "guest_serror_exit": "runhv_guest_serror"}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True)
    parser.add_argument("--objdump", default="aarch64-linux-gnu-objdump")
    args = parser.parse_args(argv)
    objdump = shutil.which(args.objdump)
    if objdump is None or not os.path.isfile(args.image):
        print(f"vectors_check: ERROR: {args.objdump} or {args.image} missing", file=sys.stderr)
        return 2
    listing = subprocess.run([objdump, "-d", "-C", args.image], stdout=subprocess.PIPE, check=True, text=True).stdout
    insns = {}    # address -> (function, mnemonic, operands)
    symbols = {}  # name -> address
    function = "?"
    for line in listing.splitlines():
        if m := SYMBOL.match(line):
            function = m.group(2)
            symbols[function] = int(m.group(1), 16)
        elif m := INSN.match(line):
            insns[int(m.group(1), 16)] = (function, m.group(2), m.group(3))
    if "el2_vectors" not in symbols:
        print("vectors_check: FAIL: no el2_vectors in the image")
        return 1
    base = symbols["el2_vectors"]
    problems = []
    for i in range(16):
        entry = base + i * 0x80
        # The entry's first branch (an EL2 entry saves two registers first).
        branch = next((insns[a] for a in range(entry, entry + 0x80, 4) if a in insns and insns[a][1] == "b"), None)
        target = re.search(r"<(.+)>", branch[2]).group(1) if branch else None
        want = "exception_common" if i < 8 else f"guest_{KINDS[i % 4]}_exit"
        print(f"vectors_check: entry {i:2} ({'EL2' if i < 8 else 'lower EL'} {KINDS[i % 4]}): b {target}")
        if target != want:
            problems.append(f"entry {i} branches to {target}, not {want}")
    for exit_name, handler in EXIT_CALLS.items():
        calls = [ops for (fn, mn, ops) in insns.values() if fn == exit_name and mn == "bl"]
        print(f"vectors_check: {exit_name} calls {calls}")
        if not any(f"<{handler}>" in ops for ops in calls):
            problems.append(f"{exit_name} does not call {handler}")
    # ... and those two stop the domain: arch's fatal(), whose end is hyp::on_guest_fatal.
    for handler in ("runhv_guest_fiq", "runhv_guest_serror"):
        calls = [ops for (fn, mn, ops) in insns.values() if fn == handler and mn in ("b", "bl")]
        if not any("fatal(runhv::arch::VcpuState&" in ops for ops in calls):
            problems.append(f"{handler} does not end in fatal(): {calls}")
    fatal = [ops for (fn, mn, ops) in insns.values() if fn.startswith("runhv::arch::(anonymous namespace)::fatal(")
             and mn in ("b", "bl")]
    if not any("runhv::hyp::on_guest_fatal(" in ops for ops in fatal):
        problems.append(f"fatal() does not call hyp::on_guest_fatal: {fatal}")
    for p in problems:
        print(f"vectors_check: FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
