"""End-to-end check: export a PyTorch model to ONNX, compile it with
`lathe compile`, run it with `lathe run` on fresh random inputs, and compare
with PyTorch's output.

Usage: check_model.py LATHE WORK_DIR MODEL [--rtol R] [--atol A] [--runs N]
Tolerance: float32 on both sides with different summation orders, so the
default is |lathe - torch| <= atol + rtol * |torch| with rtol = atol = 1e-4
(deep models pass their own looser value, stated at the call site).
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
import models  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("lathe")
    p.add_argument("work")
    p.add_argument("model")
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    onnx_path = models.export(args.model, args.work)
    factory = models.MODELS[args.model][0]
    model = factory().eval()
    model.load_state_dict(torch.load(os.path.join(args.work, args.model + ".pt")))

    so = os.path.join(args.work, args.model + ".so")
    subprocess.run([args.lathe, "compile", onnx_path, "-o", so], check=True)
    worst = 0.0
    rng = np.random.default_rng()  # fresh inputs on every run
    for run in range(args.runs):
        x = models.example_input(args.model, rng)
        xin = os.path.join(args.work, "%s-in%d.npy" % (args.model, run))
        yout = os.path.join(args.work, "%s-out%d.npy" % (args.model, run))
        np.save(xin, x)
        subprocess.run([args.lathe, "run", so, "--input", "x=" + xin,
                        "--output", "y=" + yout], check=True,
                       stdout=subprocess.DEVNULL)
        got = np.load(yout)
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        if got.shape != want.shape:
            print("FAIL %s: shape %s, expected %s" % (args.model, got.shape,
                                                      want.shape))
            return 1
        err = np.abs(got.astype(np.float64) - want)
        bound = args.atol + args.rtol * np.abs(want)
        if not np.all(np.isfinite(got)) or np.any(err > bound):
            i = np.unravel_index(np.argmax(err - bound), err.shape)
            print("FAIL %s run %d: at %s lathe %r torch %r (max abs err %.3g)"
                  % (args.model, run, i, got[i], want[i], err.max()))
            return 1
        worst = max(worst, float(err.max()))
    print("PASS %s: %d random inputs, max abs err %.3g (rtol %g, atol %g)"
          % (args.model, args.runs, worst, args.rtol, args.atol))
    return 0


if __name__ == "__main__":
    sys.exit(main())
