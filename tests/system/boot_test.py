#!/usr/bin/env python3
# Boot a runhv image under qemu-system-aarch64 and check its console output
# SPDX-License-Identifier: MIT
"""Boot a runhv image under QEMU and check what it prints on the serial console.

The image is given to QEMU with -kernel; the machine comes from --qemu-arg (one QEMU argument
each, written --qemu-arg=-smp so argparse does not take it for an option). QEMU always gets
-nographic -monitor none -serial stdio -nic none -no-reboot, and stdin is /dev/null.

Checks, all of which must hold:
  * each --expect regex matches a console line, in the order given (a regex is searched in one
    line; the line has no trailing CR/LF);
  * no console line matches a --forbid regex (default: "runhv: FATAL:"; --no-default-forbid
    drops that default);
  * QEMU exits by itself within --timeout seconds with status --exit-status (default 0).

Exit status: 0 if every check passed, 1 if one failed, 2 if the test could not run (QEMU or the
image missing). The console output is always printed, so a failing ctest shows what happened.

Example:
  boot_test.py --image build/aarch64/runhv.elf \\
      --qemu-arg=-machine --qemu-arg=virt,virtualization=on,gic-version=3 \\
      --qemu-arg=-cpu --qemu-arg=cortex-a57 --qemu-arg=-smp --qemu-arg=2 \\
      --qemu-arg=-m --qemu-arg=512M \\
      --expect='^runhv \\S+: started at EL2 on qemu-virt$'
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

DEFAULT_FORBID = r"runhv: FATAL:"
QEMU_FIXED_ARGS = ["-nographic", "-monitor", "none", "-serial", "stdio", "-nic", "none",
                   "-no-reboot"]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True, help="the image to pass to QEMU -kernel")
    parser.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-aarch64"),
                        help="QEMU binary (default: $QEMU or qemu-system-aarch64)")
    parser.add_argument("--qemu-arg", action="append", default=[], metavar="ARG",
                        help="one more QEMU argument (repeatable; write --qemu-arg=-smp)")
    parser.add_argument("--expect", action="append", default=[], metavar="REGEX",
                        help="a console line must match (repeatable; matched in order)")
    parser.add_argument("--forbid", action="append", default=[], metavar="REGEX",
                        help="no console line may match (repeatable)")
    parser.add_argument("--no-default-forbid", action="store_true",
                        help=f"do not forbid {DEFAULT_FORBID!r} lines")
    parser.add_argument("--exit-status", type=int, default=0,
                        help="QEMU's expected exit status (default 0)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds before QEMU is killed and the test fails (default 30)")
    parser.add_argument("--log", help="also write the console output to this file")
    return parser.parse_args(argv)


def fail_to_run(message):
    print(f"boot_test: ERROR: {message}", file=sys.stderr)
    sys.exit(2)


def run_qemu(command, timeout):
    """Runs QEMU; returns (exit status or None on timeout, console text, QEMU's stderr)."""
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, check=False)
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:  # run() has killed QEMU
        return None, expired.stdout or b"", expired.stderr or b""


def console_lines(raw):
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def check(lines, status, args):
    """Returns the list of failed checks (empty if all passed) and the list of passed ones."""
    failed, passed = [], []

    position = 0
    for pattern in args.expect:
        regex = re.compile(pattern)
        for index in range(position, len(lines)):
            if regex.search(lines[index]):
                passed.append(f"expect {pattern!r}: line {index + 1}: {lines[index]!r}")
                position = index + 1
                break
        else:
            failed.append(f"expect {pattern!r}: no matching line"
                          + (" after the previous match" if position else ""))

    forbid = list(args.forbid) + ([] if args.no_default_forbid else [DEFAULT_FORBID])
    for pattern in forbid:
        regex = re.compile(pattern)
        hits = [f"line {i + 1}: {line!r}" for i, line in enumerate(lines) if regex.search(line)]
        if hits:
            failed.append(f"forbid {pattern!r}: " + "; ".join(hits))
        else:
            passed.append(f"forbid {pattern!r}: no such line")

    if status is None:
        failed.append(f"QEMU did not exit within {args.timeout:g} s (killed)")
    elif status != args.exit_status:
        failed.append(f"QEMU exit status {status}, expected {args.exit_status}")
    else:
        passed.append(f"QEMU exit status {status}")
    return failed, passed


def main(argv):
    args = parse_args(argv)
    for pattern in args.expect + args.forbid:
        try:
            re.compile(pattern)
        except re.error as error:
            fail_to_run(f"bad regex {pattern!r}: {error}")

    qemu = shutil.which(args.qemu)
    if qemu is None:
        fail_to_run(f"{args.qemu} not found (install qemu-system-arm, or set QEMU=/path/to/it)")
    if not os.path.isfile(args.image):
        fail_to_run(f"image {args.image} not found (build the aarch64 target first)")

    command = [qemu] + args.qemu_arg + QEMU_FIXED_ARGS + ["-kernel", args.image]
    print("boot_test: running: " + shlex.join(command), flush=True)
    status, console, qemu_stderr = run_qemu(command, args.timeout)

    lines = console_lines(console)
    while lines and lines[-1] == "":
        lines.pop()
    print("boot_test: console output:")
    for line in lines:
        print(f"  | {line}")
    if qemu_stderr.strip():
        print("boot_test: QEMU stderr:")
        for line in qemu_stderr.decode("utf-8", errors="replace").splitlines():
            print(f"  ! {line}")
    if args.log:
        with open(args.log, "w", encoding="utf-8") as log:
            log.write("\n".join(lines) + "\n")

    failed, passed = check(lines, status, args)
    for item in passed:
        print(f"boot_test: ok:   {item}")
    for item in failed:
        print(f"boot_test: FAIL: {item}")
    print("boot_test: " + ("FAILED" if failed else "PASSED"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
