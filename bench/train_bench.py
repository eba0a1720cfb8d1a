"""Median time of one training step: Lathe's compiled train_step vs PyTorch
eager, on the same model, batch, loss (cross entropy), optimizer (SGD with
momentum 0.9) and intra-op thread count.

Lathe runs through the runtime's trainer (lathe_trainer_step: the inputs
are wrapped, not copied); PyTorch runs zero_grad, forward, loss, backward
and step. Both train the module in training mode (batch norm on batch
statistics).
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import lathe_rt  # noqa: E402
import models  # noqa: E402
from bench import median_ms  # noqa: E402

# name: (factory, input shape with the batch) — ResNet-18 at batch 8.
CASES = {
    "mlp": (models.MLP, (64, 64)),
    "lenet": (models.LeNet5, (64, 1, 28, 28)),
    "resnet18": (lambda: models.resnet18(), (8, 3, 224, 224)),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lathe", required=True)
    p.add_argument("--runtime", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--models", nargs="+", default=list(CASES))
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for name in args.models:
        factory, shape = CASES[name]
        torch.manual_seed(0)
        model = factory()
        model.train()
        x = torch.randn(*shape)
        t = torch.randint(0, 10, (shape[0],))
        onnx = os.path.join(args.work, name + "-train.onnx")
        torch.onnx.export(model, x, onnx, input_names=["x"], output_names=["y"],
                          opset_version=13, training=torch.onnx.TrainingMode.TRAINING,
                          do_constant_folding=False)
        so = os.path.join(args.work, name + "-train.so")
        t0 = time.perf_counter()
        subprocess.run([args.lathe, "compile", onnx, "-o", so, "--train", "--optimizer", "sgd",
                        "--momentum", "0.9"], check=True, stdout=subprocess.DEVNULL)
        compile_s = time.perf_counter() - t0
        ref = factory()
        ref.load_state_dict(model.state_dict())
        ref.train()
        opt = torch.optim.SGD(ref.parameters(), lr=0.01, momentum=0.9)

        def torch_step():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(ref(x), t)
            loss.backward()
            opt.step()

        for threads in args.threads:
            torch.set_num_threads(threads)
            rt = lathe_rt.Runtime(args.runtime, threads=threads)
            module = rt.load(so)
            trainer = rt.trainer(module)
            xs, ts = x.numpy(), t.numpy()
            lathe_ms = median_ms(lambda: rt.step(module, trainer, 0.01, [xs, ts]),
                                 args.repeats, args.warmup)
            torch_ms = median_ms(torch_step, args.repeats, args.warmup)
            rows.append((name, "x".join(map(str, shape)), threads, lathe_ms, torch_ms,
                         compile_s))
            print("%s threads=%d: lathe %.2f ms, torch %.2f ms" % (
                name, threads, lathe_ms[0], torch_ms[0]), file=sys.stderr)
    print("| model | input | threads | Lathe train_step ms (min) | PyTorch eager ms (min) "
          "| Lathe / PyTorch | compile s |")
    print("|---|---|---|---|---|---|---|")
    for name, shape, threads, (lm, lmin), (tm, tmin), cs in rows:
        print("| %s | %s | %d | %.2f (%.2f) | %.2f (%.2f) | %.2f | %.1f |" % (
            name, shape, threads, lm, lmin, tm, tmin, lm / tm, cs))


if __name__ == "__main__":
    main()
