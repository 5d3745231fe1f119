#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by the repository's .clang-format.
# Exits 77 (CTest's skip) where it cannot judge: not a git checkout, or no clang-format 14 (the
# version the tree is formatted with; other versions break lines differently).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check-format: not a git checkout; skipped"
  exit 77
fi
if ! command -v clang-format >/dev/null ||
  ! clang-format --version | grep -q 'version 14\.'; then
  echo "check-format: clang-format 14 not found; skipped"
  exit 77
fi
git ls-files -z '*.cc' '*.h' '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run -Werror
echo "check-format: every tracked C++ file follows .clang-format"
