#!/usr/bin/env bash
# Installs what metarec needs from Debian's packages, builds it, and runs the main job on the
# built-in synthetic dataset. Idempotent: packages already present are not fetched again.
#   scripts/setup.sh              install, build, run the main job
#   scripts/setup.sh --deps-only  install the packages only
#   scripts/setup.sh --no-run     install and build
#   add --references to also install python3-torch and python3-numpy for the PyTorch
#   references in perf/ (docs/pytorch-references.md); the build and the tests do not need them
set -euo pipefail
cd "$(dirname "$0")/.."

deps_only=0
run_job=1
references=0
for arg in "$@"; do
  case "$arg" in
    --deps-only) deps_only=1 ;;
    --no-run) run_job=0 ;;
    --references) references=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

packages=(
  g++ cmake make pkg-config
  libeigen3-dev libopenblas-dev
  nlohmann-json3-dev libcli11-dev libfast-float-dev libsqlite3-dev libxgboost-dev gnuplot-nox
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
)
[ "$references" -eq 1 ] && packages+=(python3-numpy python3-torch)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  echo "setup.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$deps_only" -eq 1 ] && exit 0

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
[ "$run_job" -eq 1 ] || exit 0

echo
echo "== metarec auto: select an algorithm for the built-in synthetic data, verify, tune, train, save =="
./build/metarec auto --budget 2m -o build/auto.model
