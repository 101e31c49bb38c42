#!/usr/bin/env python3
"""Checks the include arrows of the tree: they only point down.

    core/      includes only core/ and abi/          (portable, freestanding, host-tested)
    abi/       includes only core/types.hpp and abi/ (the guest-visible interfaces)
    arch/      includes no hyp/                      (the architecture, behind arch/arch.hpp)
    platform/  includes no hyp/ and no arch/
    hyp/       includes from arch/ only arch/arch.hpp (the seam)
    guests/    include no hypervisor code: the ABI (abi/) and freestanding core headers only

Prints every violation as FILE:LINE: what and exits 1 if there is any.
"""
# SPDX-License-Identifier: MIT
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')

RULES = {
    "core": lambda inc: inc.startswith(("core/", "abi/")),
    "abi": lambda inc: inc.startswith("abi/") or inc == "core/types.hpp",
    "arch": lambda inc: not inc.startswith("hyp/"),
    "platform": lambda inc: not inc.startswith(("hyp/", "arch/")),
    "hyp": lambda inc: not inc.startswith("arch/") or inc == "arch/arch.hpp",
    "guests": lambda inc: not inc.startswith(("hyp/", "arch/", "platform/")),
}


def check(root):
    bad = 0
    checked = 0
    for top, allowed in RULES.items():
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if not name.endswith((".hpp", ".cpp", ".h", ".S")):
                    continue
                path = os.path.join(dirpath, name)
                checked += 1
                with open(path, encoding="utf-8") as f:
                    for n, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m and "/" in m.group(1) and not allowed(m.group(1)):
                            print(f"{os.path.relpath(path, root)}:{n}: {top}/ must not include {m.group(1)}")
                            bad += 1
    if checked == 0:
        sys.exit("check_layering: no source files found under " + root)
    print(f"check_layering: {checked} files, {bad} layering violations")
    return bad


def self_test():
    """The check itself: a tree with one arrow pointing up must be caught, a clean one not."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("arch/aarch64", "hyp", "core"):
            os.makedirs(os.path.join(tmp, d))
        with open(os.path.join(tmp, "hyp/ok.cpp"), "w") as f:
            f.write('#include "arch/arch.hpp"\n#include "core/types.hpp"\n')
        if check(tmp) != 0:
            sys.exit("check_layering: self-test: a clean tree was refused")
        with open(os.path.join(tmp, "arch/aarch64/bad.cpp"), "w") as f:
            f.write('#include "hyp/domain.hpp"\n')
        with open(os.path.join(tmp, "hyp/bad.cpp"), "w") as f:
            f.write('#include "arch/aarch64/sysreg.hpp"\n')
        if check(tmp) != 2:
            sys.exit("check_layering: self-test: the two violations were not both caught")
    print("check_layering: self-test ok")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.exit(1 if check(root) else 0)


if __name__ == "__main__":
    main()
