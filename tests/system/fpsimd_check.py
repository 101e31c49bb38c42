#!/usr/bin/env python3
# Check that a runhv image contains no FP/SIMD/SVE instructions (those registers are the guests')
# SPDX-License-Identifier: MIT
"""Disassemble an aarch64 ELF and fail if any instruction touches FP/SIMD/SVE state.

runhv is compiled with -mgeneral-regs-only, but prebuilt code it links (libfdt.a, libgcc.a) is
not: this catches such code being pulled into the image. An instruction is flagged when its
mnemonic is a floating-point one (f*, scvtf, ucvtf), when an operand names a vector, FP or SVE
register (v0, q1, d2, s3, h4, b5, z6, p7) or when it reads or writes FPCR/FPSR.

Functions named with --allow (by symbol) are the exception: runhv's vCPU context switch saves
and restores the guests' FP/SIMD registers in arch/aarch64/fpsimd.S, the one file assembled with
FP/SIMD enabled. An allowed symbol that is missing from the image is an error too, so the list
cannot go stale.

Exit status: 0 clean, 1 FP/SIMD instructions found, 2 cannot run (objdump or image missing).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

# "  40200000:\td2800000 \tmov\tx0, #0x0" -> address, mnemonic, operands
INSN = re.compile(r"^\s*([0-9a-f]+):\s+[0-9a-f]{8}\s+(\S+)\s*(.*)$")
FP_REGISTER = re.compile(r"\b(?:[vqdshbz]\d{1,2}|p\d{1,2}(?:/[mz])?)\b")
FP_MNEMONIC = re.compile(r"^(?:f[a-z0-9]+|[su]cvtf)(?:\.|$)")
FP_SYSREG = re.compile(r"\b(?:fpcr|fpsr|zcr_el[12])\b", re.IGNORECASE)
SYMBOL = re.compile(r"^([0-9a-f]+) <(.+)>:$")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True)
    parser.add_argument("--objdump", default="aarch64-linux-gnu-objdump")
    parser.add_argument("--allow", action="append", default=[], metavar="SYMBOL",
                        help="a function whose FP/SIMD instructions are expected (repeatable)")
    args = parser.parse_args(argv)
    allowed = set(args.allow)

    objdump = shutil.which(args.objdump)
    if objdump is None:
        print(f"fpsimd_check: ERROR: {args.objdump} not found", file=sys.stderr)
        return 2
    if not os.path.isfile(args.image):
        print(f"fpsimd_check: ERROR: image {args.image} not found", file=sys.stderr)
        return 2

    listing = subprocess.run([objdump, "-d", args.image], stdout=subprocess.PIPE, check=True,
                             text=True).stdout
    function = "?"
    hits = []
    count = 0
    allowed_hits = {name: 0 for name in allowed}
    for line in listing.splitlines():
        symbol = SYMBOL.match(line)
        if symbol:
            function = symbol.group(2)
            continue
        insn = INSN.match(line)
        if not insn:
            continue
        count += 1
        address, mnemonic, operands = insn.groups()
        if mnemonic.startswith("."):  # .word and friends: literal pools, not instructions
            continue
        # Drop comments and branch targets ("40201c00 <hyp_main+0x10>").
        operands = re.sub(r"(?:\b[0-9a-f]+ )?<[^>]*>", "", operands.split("//")[0])
        if (FP_MNEMONIC.match(mnemonic) or FP_REGISTER.search(operands)
                or FP_SYSREG.search(operands)):
            if function in allowed:
                allowed_hits[function] += 1
                continue
            hits.append(f"  {address} <{function}>: {mnemonic} {operands}".rstrip())

    if count == 0:
        print(f"fpsimd_check: ERROR: no instructions disassembled from {args.image}")
        return 2
    missing = sorted(name for name, n in allowed_hits.items() if n == 0)
    if missing:
        print("fpsimd_check: FAIL: allowed functions with no FP/SIMD instruction (or absent): "
              + ", ".join(missing))
        return 1
    if hits:
        print(f"fpsimd_check: FAIL: {len(hits)} FP/SIMD instructions in {args.image}:")
        print("\n".join(hits))
        return 1
    allowed_text = "".join(f", {n} in {name} (allowed)" for name, n in sorted(allowed_hits.items()))
    print(f"fpsimd_check: PASSED: {count} instructions, none touches FP/SIMD/SVE state"
          f" outside the allowed functions{allowed_text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
