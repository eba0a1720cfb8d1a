#!/usr/bin/env bash
# Configures (once) and builds Lathe into build/ with Ninja and ccache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LATHE_BUILD_DIR:-$root/build}
# CI builds with warnings as errors; a local build only shows them.
werror=OFF
[[ ${CI:-} == true ]] && werror=ON
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DLATHE_WERROR=$werror
fi
cmake --build "$build" "$@"
