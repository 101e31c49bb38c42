#!/usr/bin/env python3
# One-command debugging: a scenario under QEMU's gdbstub and gdb-multiarch with every symbol loaded
# SPDX-License-Identifier: MIT
"""Boots a scenario stopped before runhv's first instruction, with QEMU's gdbstub on a free local
port, and starts gdb-multiarch on it with runhv's symbols and those of every guest ELF the
scenario loads (the probe: build/aarch64/guests/probe.elf):

    debug.py SCENARIO.dts --build BUILD [--smp N] [--batch]

The console goes to BUILD/debug/NAME.log. Breakpoints are QEMU's: they stop at any exception
level, so `break hyp_main` stops at EL2 and `break probe_main` in the guest (EL1). `--batch`
runs exactly that and prints where each stop was (pc, symbol, exception level from CPSR): the
check that the set-up works.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def guest_elves(scenario, build):
    """The ELF beside each runhv,file image the scenario names (probe.bin -> probe.elf)."""
    with open(scenario) as f:
        names = set(re.findall(r'runhv,file\s*=\s*"([^"]+)"', f.read()))
    out = []
    for name in sorted(names):
        elf = os.path.join(build, "aarch64", "guests", os.path.splitext(os.path.basename(name))[0] + ".elf")
        if os.path.exists(elf):
            out.append(elf)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--build", required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--batch", action="store_true", help="break at hyp_main, then in the guest; print both stops")
    args = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    image = os.path.join(args.build, "aarch64", "runhv.elf")
    name = os.path.splitext(os.path.basename(args.scenario))[0]
    os.makedirs(os.path.join(args.build, "debug"), exist_ok=True)
    log = os.path.join(args.build, "debug", f"{name}.log")
    port = free_port()
    elves = guest_elves(args.scenario, args.build)

    with open(log, "w") as console, tempfile.TemporaryDirectory(prefix="runhv-debug-") as tmp:
        qemu = subprocess.Popen([sys.executable, os.path.join(root, "tools", "launch.py"), args.scenario,
                                 "--build", args.build, "--smp", str(args.smp), "--seconds", "86400",
                                 "--gdb", str(port)], stdin=subprocess.DEVNULL, stdout=console,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for _ in range(200):  # the stub listens once QEMU is up
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if qemu.poll() is not None:
                    sys.exit(f"debug: the launch failed: see {log}")
                time.sleep(0.05)
            script = os.path.join(tmp, "runhv.gdb")
            with open(script, "w") as f:
                f.write("set pagination off\nset confirm off\nset architecture aarch64\n")
                f.write(f"file {image}\n")
                for elf in elves:
                    f.write(f"add-symbol-file {elf}\n")
                f.write(f"target remote 127.0.0.1:{port}\n")
                stop = ('printf "debug: stopped at pc 0x%lx, EL%d\\n", $pc, ($cpsr >> 2) & 3\n'
                        'info symbol $pc\n')
                if args.batch:
                    f.write("break hyp_main\ncontinue\n" + stop)
                    if elves:
                        f.write("break probe_main\ncontinue\n" + stop)
                    f.write("kill\nquit\n")
                else:
                    f.write(f'echo runhv: stopped before its first instruction; console in {log}\\n'
                            'echo try: break hyp_main / break probe_main / continue / info registers\\n\n')
            cmd = ["gdb-multiarch", "-q", "-nx", "-x", script] + (["-batch"] if args.batch else [])
            status = subprocess.call(cmd)
        finally:
            if qemu.poll() is None:
                os.killpg(qemu.pid, 15)
            qemu.wait()
    sys.exit(status)


if __name__ == "__main__":
    main()
