#!/usr/bin/env bash
# Installs, idempotently, the Debian packages Lathe needs to build (compile
# and run models); with --tests, also those its tests need.
# Usage: install-deps.sh [--tests]
set -euo pipefail
packages=(
  cmake ninja-build ccache g++ pkg-config
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libprotobuf-dev protobuf-compiler libonnx-dev
  libcli11-dev zlib1g-dev
)
if [[ ${1:-} == --tests ]]; then
  packages+=(
    catch2
    # Test references only: the compiler and runtime never use Python.
    python3 python3-numpy python3-torch python3-torchvision python3-onnx
    # ONNX Runtime comes from PyPI into a virtual environment
    # (scripts/python-env.sh).
    python3-venv
    libopenblas0 libonnx-testdata
    # An AArch64 cross-compiled artifact is linked and run under user-mode
    # emulation.
    qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    # The Debian packages' dependencies (dpkg-shlibdeps).
    dpkg-dev
    # Fuzzing and sanitizers (scripts/sanitize.sh).
    clang-22 libfuzzer-22-dev libclang-rt-22-dev
    # Data-parallel training under mpirun (Open MPI, loaded at run time).
    openmpi-bin
  )
elif [[ -n ${1:-} ]]; then
  echo "usage: $0 [--tests]" >&2
  exit 2
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "lathe: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -eq 0 ]] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
