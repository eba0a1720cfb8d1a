"""Training end to end: gradients and optimizer steps against PyTorch, the
digits example's accuracy, exact resumption, refused corrupt checkpoints,
and export.

Usage: check_train.py LATHE RUNTIME_LIBRARY EXAMPLES_DIR WORK_DIR
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lathe_rt  # noqa: E402

FAILED = []
PASSED = []

# Gradients and parameters are compared at this tolerance (float32 sums in
# a different order than PyTorch's).
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-5
# After 100 optimizer steps, the largest relative difference allowed.
OPT_RTOL = 1e-3


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail else ""))


def randomize_stats(model, gen):
    """Running statistics unlike their defaults (so the exporter keeps them
    as their own initializers)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d) or isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.Tanh(),
                                 nn.Linear(32, 16), nn.GELU(), nn.Linear(16, 5))

    def forward(self, x):
        return self.net(x)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(6, 16, 5, stride=1), nn.ReLU(),
            nn.AvgPool2d(2), nn.Conv2d(16, 8, 3, padding=1, groups=2),
            nn.AdaptiveAvgPool2d(1))
        self.c = nn.Sequential(nn.Flatten(), nn.Linear(8, 10), nn.LogSoftmax(1))

    def forward(self, x):
        return self.c(self.f(x))


class SeqClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 12, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(24, 3)

    def forward(self, tokens):
        out, _ = self.lstm(self.emb(tokens))
        return self.fc(out[:, -1, :])


def export(model, example, path, name="x"):
    """Exports as for training: batch norms stay themselves (PyTorch folds
    them into convolutions in eval-mode exports); recurrent weights are
    exported pre-packed as their own initializers."""
    has_bn = any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in model.modules())
    mode = torch.onnx.TrainingMode.TRAINING if has_bn else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, example, path, input_names=[name],
                      output_names=["y"], opset_version=13, training=mode,
                      do_constant_folding=not has_bn)
    model.eval()


def compile_train(lathe, onnx, so, *flags):
    subprocess.run([lathe, "compile", onnx, "-o", so, "--train", *flags],
                   check=True, stdout=subprocess.DEVNULL)


def gradient_cases(lathe, rt, work, gen):
    cases = [
        ("mlp", Mlp(), lambda: torch.randn(6, 12, generator=gen), "cross_entropy",
         lambda: torch.randint(0, 5, (6,), generator=gen), "x"),
        ("lenet", LeNet(), lambda: torch.randn(4, 1, 28, 28, generator=gen), "nll",
         lambda: torch.randint(0, 10, (4,), generator=gen), "x"),
        ("lstm", SeqClassifier(), lambda: torch.randint(0, 20, (3, 7), generator=gen),
         "cross_entropy", lambda: torch.randint(0, 3, (3,), generator=gen), "tokens"),
    ]
    for name, model, make_x, loss, make_t, input_name in cases:
        randomize_stats(model, gen)
        model.eval()
        x = make_x()
        onnx = os.path.join(work, name + ".onnx")
        so = os.path.join(work, name + ".so")
        export(model, x, onnx, input_name)
        compile_train(lathe, onnx, so, "--gradient", "--loss", loss)
        module = rt.load(so)
        names = rt.output_names(module, "gradient")
        for trial in range(2):
            x, t = make_x(), make_t()
            outs = dict(zip(names, rt.run(module, "gradient", [x.numpy(), t.numpy()])))
            model.train()
            model.zero_grad()
            y = model(x)
            ref = (nn.functional.cross_entropy(y, t) if loss == "cross_entropy"
                   else nn.functional.nll_loss(y, t))
            ref.backward()
            model.eval()
            worst = ""
            ok = np.allclose(outs["loss"], ref.item(), rtol=GRAD_RTOL, atol=GRAD_ATOL)
            if not ok:
                worst = "loss %g vs %g" % (outs["loss"], ref.item())
            params = dict(model.named_parameters())
            checked = 0
            for key, value in outs.items():
                if not key.startswith("grad:"):
                    continue
                p = params.get(key[5:])
                if p is None:
                    continue  # An exporter-renamed parameter (LSTM weights).
                checked += 1
                if not np.allclose(value, p.grad.numpy(), rtol=GRAD_RTOL, atol=GRAD_ATOL):
                    ok = False
                    worst = "%s: max |diff| %g" % (key, np.abs(value - p.grad.numpy()).max())
            # LSTM weights are exported re-packed: compare their norms.
            if name == "lstm":
                ref_norm = np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.lstm.parameters()))
                got = [v for k, v in outs.items() if k.startswith("grad:")
                       and k[5:] not in params]
                got_norm = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in got))
                if not np.isclose(got_norm, ref_norm, rtol=1e-4):
                    ok = False
                    worst = "LSTM gradient norm %g vs %g" % (got_norm, ref_norm)
            check("gradient %s #%d (%d of %d parameters by name)" % (name, trial, checked, len(params)), ok, worst)


def optimizer_cases(lathe, rt, work, gen):
    configs = [
        ("sgd", ["--optimizer", "sgd"], lambda p: torch.optim.SGD(p, lr=0.05)),
        ("sgd-momentum-nesterov-wd",
         ["--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--weight-decay", "1e-3"],
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
        ("sgd-dampening", ["--optimizer", "sgd", "--momentum", "0.8", "--dampening", "0.3"],
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3)),
        ("adam", ["--optimizer", "adam"], lambda p: torch.optim.Adam(p, lr=0.05)),
        ("adam-amsgrad-wd", ["--optimizer", "adam", "--amsgrad", "--weight-decay", "0.01"],
         lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.01)),
        ("adamw", ["--optimizer", "adamw"], lambda p: torch.optim.AdamW(p, lr=0.05)),
        ("rmsprop-centered-momentum",
         ["--optimizer", "rmsprop", "--centered", "--momentum", "0.5"],
         lambda p: torch.optim.RMSprop(p, lr=0.05, centered=True, momentum=0.5)),
        ("adagrad", ["--optimizer", "adagrad", "--lr-decay", "0.01"],
         lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01)),
        ("adadelta", ["--optimizer", "adadelta"], lambda p: torch.optim.Adadelta(p, lr=0.05)),
        ("adamax", ["--optimizer", "adamax"], lambda p: torch.optim.Adamax(p, lr=0.05)),
        ("sgd-clip-norm", ["--optimizer", "sgd", "--clip-grad-norm", "0.5"],
         lambda p: torch.optim.SGD(p, lr=0.05)),
    ]
    base = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 4))
    xs = torch.randn(100, 8, 10, generator=gen)
    ts = torch.randint(0, 4, (100, 8), generator=gen)
    onnx = os.path.join(work, "opt.onnx")
    export(base, xs[0], onnx)
    for name, flags, make in configs:
        so = os.path.join(work, "opt-%s.so" % name)
        compile_train(lathe, onnx, so, *flags)
        module = rt.load(so)
        trainer = rt.trainer(module)
        ref = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 4))
        ref.load_state_dict(base.state_dict())
        opt = make(ref.parameters())
        worst_loss = 0.0
        for i in range(100):
            loss = rt.step(module, trainer, 0.05, [xs[i].numpy(), ts[i].numpy()])[0]
            opt.zero_grad()
            r = nn.functional.cross_entropy(ref(xs[i]), ts[i])
            r.backward()
            if "clip-norm" in name:
                torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
            opt.step()
            worst_loss = max(worst_loss, abs(float(loss) - r.item()) / max(abs(r.item()), 1e-6))
        got = rt.params(module, trainer)
        worst = 0.0
        for key, p in ref.state_dict().items():
            d = np.abs(got[key] - p.numpy()).max() / max(np.abs(p.numpy()).max(), 1e-6)
            worst = max(worst, d)
        check("optimizer %s, 100 steps" % name, worst < OPT_RTOL and worst_loss < OPT_RTOL,
              "max relative difference: parameters %.2e, losses %.2e" % (worst, worst_loss))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for key, v in header.items():
        if key == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[key] = body[b:e]
    return out, header.get("__metadata__", {})


def cli_cases(lathe, examples, work):
    digits = os.path.join(examples, "digits")
    common = [lathe, "train", os.path.join(digits, "lenet-digits.onnx"),
              "--data", os.path.join(digits, "digits-train.npz"),
              "--val", os.path.join(digits, "digits-val.npz"),
              "--optimizer", "adam", "--lr", "3e-3", "--batch-size", "32",
              "--lr-schedule", "cosine", "--seed", "1"]
    run = os.path.join(work, "digits")
    shutil.rmtree(run, ignore_errors=True)
    r = subprocess.run(common + ["--epochs", "30", "--checkpoint", run, "--logdir", run],
                       capture_output=True, text=True)
    last = [l for l in r.stderr.splitlines() if l.startswith("epoch 30/30")]
    acc = float(last[0].split("val_acc ")[1].split("%")[0]) if last else 0.0
    check("digits LeNet reaches >= 97% validation accuracy", r.returncode == 0 and acc >= 97.0,
          "%.2f%%" % acc if last else r.stderr[-500:])

    # Resume-exactness: 2 epochs straight = 60 steps, stop, new process, rest.
    straight, split = os.path.join(work, "straight"), os.path.join(work, "split")
    for d in (straight, split):
        shutil.rmtree(d, ignore_errors=True)
    short = [c for c in common]
    subprocess.run(short + ["--epochs", "2", "--checkpoint", straight, "--logdir", straight],
                   check=True, capture_output=True)
    subprocess.run(short + ["--epochs", "2", "--checkpoint", split, "--logdir", split,
                            "--max-steps", "60"], check=True, capture_output=True)
    subprocess.run(short + ["--epochs", "2", "--resume", split, "--logdir", split],
                   check=True, capture_output=True)
    a, _ = read_safetensors(os.path.join(straight, "checkpoint.safetensors"))
    b, _ = read_safetensors(os.path.join(split, "checkpoint.safetensors"))
    la = open(os.path.join(straight, "steps.csv")).read()
    lb = open(os.path.join(split, "steps.csv")).read()
    check("resume: parameters and optimizer state bit for bit", a == b and len(a) > 0,
          "%d tensors" % len(a))
    check("resume: per-step losses identical", la == lb, "%d steps" % (la.count("\n") - 1))

    # A damaged checkpoint is refused and the run does not start.
    ckpt = os.path.join(split, "checkpoint.safetensors")
    good = open(ckpt, "rb").read()
    for what, data in [("truncated", good[:len(good) // 2]),
                       ("corrupted", good[:-10] + bytes([good[-10] ^ 0xFF]) + good[-9:])]:
        with open(ckpt, "wb") as f:
            f.write(data)
        r = subprocess.run(short + ["--epochs", "3", "--resume", split],
                           capture_output=True, text=True)
        check("resume refuses a %s checkpoint" % what,
              r.returncode != 0 and "not a valid checkpoint" in r.stderr,
              r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")
    with open(ckpt, "wb") as f:
        f.write(good)

    # Export: the trained values land in the ONNX initializers.
    out = os.path.join(work, "trained.onnx")
    r = subprocess.run([lathe, "export", run, "-o", out], capture_output=True, text=True)
    import onnx
    from onnx import numpy_helper
    ok = r.returncode == 0
    tensors, _ = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
    if ok:
        for init in onnx.load(out).graph.initializer:
            if init.name in tensors:
                ok &= numpy_helper.to_array(init).tobytes() == tensors[init.name]
    check("export writes the trained parameters into the ONNX model", ok, r.stderr.strip())


def main():
    lathe, library, examples, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
    rt = lathe_rt.Runtime(library)
    gradient_cases(lathe, rt, work, gen)
    optimizer_cases(lathe, rt, work, gen)
    cli_cases(lathe, examples, work)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
