#!/usr/bin/env bash
# Install what is missing (the test packages included), build Lathe with
# its tests, and run every test (lit, unit, e2e, deployment, conformance),
# then the fuzzers and sanitizer builds (scripts/sanitize.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --tests
LATHE_TESTS=ON "$root/scripts/build.sh"
# ONNX Runtime, the differential test's reference (PyPI).
"$root/scripts/python-env.sh"
(cd "${LATHE_BUILD_DIR:-$root/build}" && ctest --output-on-failure -j "$(nproc)" "$@")
# Fuzzing, ASan/UBSan and TSan, in build trees of their own.
"$root/scripts/sanitize.sh"
