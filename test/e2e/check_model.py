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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def main(seed):
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
    worst = compare.Worst()
    rng = np.random.default_rng(seed)  # fresh inputs on every run
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
        r = compare.close(got, want, args.rtol, args.atol, what="y")
        if not r:
            print("FAIL %s run %d: %s" % (args.model, run, r.detail))
            return 1
        worst.add(r.error)
    print("PASS %s: %d random inputs, max abs err %.3g (rtol %g, atol %g)"
          % (args.model, args.runs, worst.value, args.rtol, args.atol))
    return 0


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
