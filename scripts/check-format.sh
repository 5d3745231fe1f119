#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by the repository's .clang-format.
# Exits 77 (CTest's skip) where it cannot judge: not the top of a git checkout (e.g. a tarball
# unpacked inside another repository), or no clang-format 14 (the version the tree is formatted
# with; other versions break lines differently).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(git rev-parse --show-toplevel 2>/dev/null || true)
if [ -z "$top" ] || [ "$(cd "$top" && pwd -P)" != "$(pwd -P)" ]; then
  echo "check-format: not the top of a git checkout; skipped"
  exit 77
fi
fmt=""
for c in clang-format-14 clang-format; do
  if command -v "$c" >/dev/null && "$c" --version | grep -q 'version 14\.'; then
    fmt=$c
    break
  fi
done
if [ -z "$fmt" ]; then
  echo "check-format: clang-format 14 not found; skipped"
  exit 77
fi
files=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] && files+=("$f")
done < <(git ls-files -z '*.cc' '*.h' '*.cpp' '*.hpp')
if [ "${#files[@]}" -eq 0 ]; then
  echo "check-format: no tracked C++ files; skipped"
  exit 77
fi
"$fmt" --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} tracked C++ files follow .clang-format"
