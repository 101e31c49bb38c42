#!/usr/bin/env python3
# ./runhv run --console d2: the terminal (a real pty) shows d2 alone, types into d2, detaches on Ctrl-]
# SPDX-License-Identifier: MIT
"""Runs tools/launch.py on scenarios/linux-input.dts (two Linux domains reading lines from their
vPL011s) with --console d2 under a pseudo-terminal, as an operator's terminal, and checks what the
guests themselves report: d2's second read returns the line typed at the terminal; while attached
no d1 line reaches the terminal; after Ctrl-] (detach) d1's lines do, and the run goes on until a
second Ctrl-] stops it."""
import argparse
import os
import pty
import select
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--launch", required=True)
ap.add_argument("--build", required=True)
ap.add_argument("--scenario", required=True)
args = ap.parse_args()

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, args.launch, args.scenario, "--smp", "1", "--console", "d2",
                              "--seconds", "100", "--build", args.build])
out = bytearray()


def wait_for(needle, seconds):
    end = time.time() + seconds
    while needle not in out and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out.extend(data)
    return needle in out


def fail(msg):
    sys.stdout.write(out.decode(errors="replace"))
    print(f"\nconsole_attach_check: FAIL: {msg}")
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass
    sys.exit(1)


LINE = b"typed at the terminal into d2"
if not wait_for(b"launch: attached to d2's console", 60):
    fail("never attached to d2")
if not wait_for(b'LINUX {"record":"input-wait","phase":1,', 60):
    fail("d2 never waited for its second line")
os.write(fd, LINE + b"\r")
if not wait_for(b'LINUX {"record":"input","phase":1,"line":"' + LINE + b'","timed_out":false}', 30):
    fail("d2 did not read the typed line")
attached_part = bytes(out)
if b"[d1] " in attached_part:
    fail("d1's console reached the terminal while attached to d2")
os.write(fd, b"\x1d")
if not wait_for(b"launch: detached from d2", 10):
    fail("Ctrl-] did not detach")
if not wait_for(b'[d1] LINUX {"record":"input","phase":0', 40):
    fail("after detaching, d1's lines did not show")
os.write(fd, b"\x1d")
if not wait_for(b"launch: qemu exit", 30):
    fail("the second Ctrl-] did not stop the run")
os.waitpid(pid, 0)
print(f"console_attach_check: ok: attached to d2 ({len(attached_part)} bytes, no d1 line), d2 read "
      f"{LINE.decode()!r}; detached: d1 shown; stopped")
