#!/usr/bin/env bash
# Configures (once) and builds Lathe into build/ with Ninja and ccache.
# LATHE_TESTS=OFF builds the compiler, runtime and tools without the tests
# (and without the test packages); a later LATHE_TESTS=ON (test.sh) turns
# them on in the same build folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LATHE_BUILD_DIR:-$root/build}
# CI builds with warnings as errors; a local build only shows them.
werror=OFF
[[ ${CI:-} == true ]] && werror=ON
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DLATHE_WERROR=$werror -DLATHE_TESTS="${LATHE_TESTS:-ON}"
elif [[ -n ${LATHE_TESTS:-} ]] &&
  ! grep -qx "LATHE_TESTS:BOOL=$LATHE_TESTS" "$build/CMakeCache.txt"; then
  cmake "$build" -DLATHE_TESTS="$LATHE_TESTS"
fi
cmake --build "$build" "$@"
