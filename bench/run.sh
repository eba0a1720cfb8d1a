#!/usr/bin/env bash
# Benchmark: median latency of Lathe, ONNX Runtime and PyTorch on the same
# models, thread counts and machine. Not a test. Usage: bench/run.sh [args
# for bench.py, e.g. --models resnet18 --threads 1 2 --repeats 50; or
# --train first for the training-step benchmark, train_bench.py]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" --target lathe
venv="$root/build/py-venv"
"$root/scripts/python-env.sh" "$venv"
if [[ ${1:-} == --train ]]; then
  shift
  "$root/scripts/build.sh" --target lathe_runtime
  exec "$venv/bin/python" "$root/bench/train_bench.py" \
    --lathe "$root/build/tools/lathe" \
    --runtime "$root/build/runtime/liblathe_runtime.so" \
    --work "$root/build/bench-train" "$@"
fi
exec "$venv/bin/python" "$root/bench/bench.py" --lathe "$root/build/tools/lathe" \
  --work "$root/build/bench" "$@"
