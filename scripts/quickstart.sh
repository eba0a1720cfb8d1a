#!/usr/bin/env bash
# Quick start: install what is missing, build Lathe, compile the shipped
# LeNet-5 example to a native shared object and run it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
lathe="$root/build/tools/lathe"
out="$root/build/example"
mkdir -p "$out"
set -x
"$lathe" inspect "$root/examples/lenet/lenet.onnx"
"$lathe" compile "$root/examples/lenet/lenet.onnx" -o "$out/lenet.so"
"$lathe" run "$out/lenet.so" --input x="$root/examples/lenet/digits.npy" \
  --output y="$out/logits.npy"
"$lathe" run "$out/lenet.so" --input x="$root/examples/lenet/digits.npy"
