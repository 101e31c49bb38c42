#!/usr/bin/env bash
# clang-format --dry-run over every C++ file git tracks: nonzero, with the diffs, if one differs.
# SPDX-License-Identifier: MIT
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
command -v clang-format >/dev/null || { echo "check_format: clang-format is missing (./runhv installs it)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
[ "${#files[@]}" -gt 0 ] || { echo "check_format: no C++ files tracked under $root" >&2; exit 1; }
clang-format --dry-run --Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted as .clang-format says"
