#!/usr/bin/env bash
# Install what is missing, build Lathe, and run every test (lit, unit, e2e).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "${LATHE_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)" "$@"
