#!/usr/bin/env python3
"""Writes the Linux guest's initramfs: a newc cpio with /init and the directories it mounts on.

    mkinitramfs.py --init build/linux/init --out build/linux/initramfs.cpio

Entries: /dev, /dev/console (character device 5:1, which the kernel opens for init's stdio),
/proc, /sys, /init (mode 0755). The archive is written directly in the kernel's newc format
(Documentation/driver-api/early-userspace/buffer-format.rst), so no device node is ever created on
the build machine and the output is the same bytes on every run.
"""
# SPDX-License-Identifier: MIT
import argparse
import stat


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    name_bytes = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_bytes), 0]
    header = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = header + name_bytes
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", required=True, help="the static init executable")
    ap.add_argument("--out", required=True, help="the cpio archive to write")
    args = ap.parse_args()
    with open(args.init, "rb") as f:
        init = f.read()
    parts = [
        entry(1, "dev", stat.S_IFDIR | 0o755),
        entry(2, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)),
        entry(3, "proc", stat.S_IFDIR | 0o755),
        entry(4, "sys", stat.S_IFDIR | 0o755),
        entry(5, "init", stat.S_IFREG | 0o755, init),
        entry(0, "TRAILER!!!", 0),
    ]
    blob = b"".join(parts)
    blob += b"\0" * (-len(blob) % 512)
    with open(args.out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
