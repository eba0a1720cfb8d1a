#!/usr/bin/env bash
# Quick start: install what is missing, build Lathe, then compile the shipped
# digits classifier (a LeNet-5 trained by `lathe train` on the shipped 8x8
# digits, examples/digits/make_trained.sh) to a native shared object and
# run it on twelve validation images, printing its predictions beside the
# true digits.
# It installs only what building and running models needs (no test
# references such as PyTorch: scripts/test.sh adds those).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
# A fresh build folder leaves the tests out; one that has them keeps them.
[[ -f ${LATHE_BUILD_DIR:-$root/build}/build.ninja ]] || export LATHE_TESTS=OFF
"$root/scripts/build.sh"
lathe="$root/build/tools/lathe"
digits="$root/examples/digits"
out="$root/build/example"
mkdir -p "$out"
set -x
"$lathe" inspect "$digits/lenet-digits-trained.onnx" --input-shape x=12x1x8x8
"$lathe" compile "$digits/lenet-digits-trained.onnx" --input-shape x=12x1x8x8 \
  -o "$out/digits.so"
"$lathe" run "$out/digits.so" --input x="$digits/samples.npy" --classes
set +x
echo "true digits: $(cat "$digits/samples-labels.txt")"
