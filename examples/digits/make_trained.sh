#!/usr/bin/env bash
# Regenerates the shipped trained example from the shipped digits:
#   lenet-digits-trained.onnx  lenet-digits.onnx trained by `lathe train`
#                              (seeded, so the same on the same machine) and
#                              exported for inference by `lathe export`;
#   samples.npy                the first 12 validation images, f32 12x1x8x8;
#   samples-labels.txt         their digits.
# Usage: examples/digits/make_trained.sh [path/to/lathe]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lathe=${1:-$here/../../build/tools/lathe}
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
"$lathe" train "$here/lenet-digits.onnx" \
  --data "$here/digits-train.npz" --val "$here/digits-val.npz" \
  --optimizer adam --lr 3e-3 --epochs 30 --batch-size 32 \
  --lr-schedule cosine --seed 1 --checkpoint "$run"
"$lathe" export "$run" -o "$here/lenet-digits-trained.onnx"
/usr/bin/python3 - "$here" <<'PY'
import sys, numpy as np
here = sys.argv[1]
val = np.load(here + "/digits-val.npz")
np.save(here + "/samples.npy", val["x"][:12].astype(np.float32))
open(here + "/samples-labels.txt", "w").write(" ".join(str(int(t)) for t in val["target"][:12]) + "\n")
PY
