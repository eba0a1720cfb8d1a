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
import compare  # noqa: E402
import lathe_rt  # noqa: E402

FAILED = []
PASSED = []

# Gradients and parameters are compared at this tolerance (float32 sums in
# a different order than PyTorch's).
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-5
# After 100 optimizer steps of a float64 model on both sides, the largest
# relative difference allowed (float64 rounding only; in float32, rounding
# differences amplified by ill-conditioned updates such as centered
# RMSprop's sqrt(E[g^2] - E[g]^2) would hide the semantics).
OPT_RTOL = 1e-9


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


def export_batched(model, example, path):
    """Exports with a symbolic batch dimension (what `lathe train` sets)."""
    torch.onnx.export(model, example, path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=13)


def checkpoint_difference(run, model):
    """Largest difference, relative to each parameter's largest magnitude,
    between a float64 checkpoint in |run| and |model|'s parameters: NaN or
    inf when a value is not finite or a parameter is missing."""
    got, _ = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
    worst = compare.Worst()
    for k, p in model.state_dict().items():
        value = (np.frombuffer(got[k], dtype=np.float64).reshape(p.shape) if k in got
                 and len(got[k]) == 8 * p.numel() else None)
        worst.add(compare.relative_difference(value, p))
    return worst.value


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


def export_training(model, example, path):
    """Exports |model| in training mode (batch norms and dropouts stay)."""
    model.train()
    torch.onnx.export(model, example, path, input_names=["x"], output_names=["y"],
                      opset_version=13, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False)


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
            r = compare.scalar_close(outs.get("loss"), ref.item(), GRAD_RTOL, GRAD_ATOL)
            ok = bool(r)
            if not ok:
                worst = "loss: " + r.detail
            params = dict(model.named_parameters())
            checked = 0
            for key, value in outs.items():
                if not key.startswith("grad:"):
                    continue
                p = params.get(key[5:])
                if p is None:
                    continue  # An exporter-renamed parameter (LSTM weights).
                checked += 1
                r = compare.close(value, p.grad, GRAD_RTOL, GRAD_ATOL, what=key)
                if not r:
                    ok = False
                    worst = r.detail
            # LSTM weights are exported re-packed: compare their norms.
            if name == "lstm":
                ref_norm = np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.lstm.parameters()))
                got = [v for k, v in outs.items() if k.startswith("grad:")
                       and k[5:] not in params]
                got_norm = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in got))
                if not compare.scalar_close(got_norm, ref_norm, 1e-4):
                    ok = False
                    worst = "LSTM gradient norm %g vs %g" % (got_norm, ref_norm)
            check("gradient %s #%d (%d of %d parameters by name)" % (name, trial, checked, len(params)), ok, worst)


def resnet_case(lathe, rt, work, gen):
    """ResNet-18 (torchvision, 10 classes, batch norm in training mode) in
    float64 at 2 x 3 x 32 x 32: every parameter's gradient against autograd.
    The reference uses the float32-rounded epsilon and momentum the ONNX
    file holds (with 1 x 1 maps and batch 2 in layer4, the gradient is
    sensitive to epsilon's last bits)."""
    import torchvision
    torch.manual_seed(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
    model = torchvision.models.resnet18(weights=None, num_classes=10).double()
    x = torch.randn(2, 3, 32, 32, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 10, (2,), generator=gen)
    onnx = os.path.join(work, "resnet18.onnx")
    so = os.path.join(work, "resnet18.so")
    export_training(model, x, onnx)
    compile_train(lathe, onnx, so, "--gradient")
    module = rt.load(so)
    outs = dict(zip(rt.output_names(module, "gradient"),
                    rt.run(module, "gradient", [x.numpy(), t.numpy()])))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps = float(np.float32(m.eps))
            m.momentum = float(np.float32(m.momentum))
    model.zero_grad()
    ref = nn.functional.cross_entropy(model(x), t)
    ref.backward()
    worst, checked = compare.Worst(), 0
    for name, p in model.named_parameters():
        g = outs.get("grad:" + name)
        if g is None:
            continue
        checked += 1
        worst.add(compare.relative_difference(g, p.grad))
    params = len(list(model.parameters()))
    loss = compare.scalar_close(outs.get("loss"), ref.item(), 0.0, 1e-10)
    check("gradient resnet18 (float64, %d of %d parameters)" % (checked, params),
          checked == params and worst.within(1e-8) and loss,
          "max |diff| / max |grad| per parameter %.1e; loss %s" % (worst.value, loss.detail))


def dropout_cases(lathe, rt, work, gen):
    """Dropout: the identity in forward/eval_step; in gradient/train_step
    x * keep / (1 - p) with keep drawn per step, and the gradient through
    the same mask."""
    p = 0.3
    model = nn.Sequential(nn.Linear(10, 32), nn.Dropout(p))
    x = torch.randn(64, 10, generator=gen)
    onnx = os.path.join(work, "dropout.onnx")
    so = os.path.join(work, "dropout.so")
    export_training(model, x, onnx)
    compile_train(lathe, onnx, so, "--gradient", "--loss", "mse", "--seed", "7")
    module = rt.load(so)
    t = torch.randn(64, 32, generator=gen)
    lin = model[0](x).detach()
    (y,) = rt.run(module, "forward", [x.numpy()])
    r = compare.close(y, lin, 1e-5, 1e-6)
    check("dropout: forward is the identity", r, r.detail)
    names = rt.output_names(module, "gradient")
    outs = dict(zip(names, rt.run(module, "gradient", [x.numpy(), t.numpy()])))
    y = outs["y"]
    keep = y != 0
    frac = 1.0 - keep.mean()
    scaled = np.where(keep, lin.numpy() / (1 - p), 0.0)
    r = compare.close(y, scaled, 1e-5, 1e-6)
    check("dropout: gradient drops ~p of the elements and scales the rest",
          compare.within(abs(frac - p), 0.05) and r, "dropped %.3f; %s" % (frac, r.detail))
    # The reference gradient through the same mask.
    model.zero_grad()
    mask = torch.from_numpy(keep.astype(np.float32))
    ref = nn.functional.mse_loss(model[0](x) * mask / (1 - p), t)
    ref.backward()
    ok = bool(compare.scalar_close(outs.get("loss"), ref.item(), GRAD_RTOL, GRAD_ATOL))
    grads = {k[5:]: v for k, v in outs.items() if k.startswith("grad:")}
    for name, param in model.named_parameters():
        ok &= bool(compare.close(grads.get(name), param.grad, GRAD_RTOL, GRAD_ATOL, what=name))
    check("dropout: loss and gradients through the mask match autograd", ok)
    # A trainer's step 1 draws what gradient drew; step 2 draws anew.
    trainer = rt.trainer(module)
    again = dict(zip(names, rt.trainer_run(module, trainer, "gradient", [x.numpy(), t.numpy()])))
    loss1 = rt.step(module, trainer, 0.0, [x.numpy(), t.numpy()])
    second = dict(zip(names, rt.trainer_run(module, trainer, "gradient", [x.numpy(), t.numpy()])))
    check("dropout: masks are a function of the step (same step, same mask; next step, new mask)",
          np.array_equal(again["y"], y) and float(loss1[0]) == float(outs["loss"])
          and not np.array_equal(second["y"] != 0, keep))
    # Another seed draws other masks.
    so2 = os.path.join(work, "dropout-seed.so")
    compile_train(lathe, onnx, so2, "--gradient", "--loss", "mse", "--seed", "8")
    other = rt.run(rt.load(so2), "gradient", [x.numpy(), t.numpy()])
    check("dropout: --seed picks the masks", not np.array_equal(other[names.index("y")] != 0, keep))
    (e,) = [v for k, v in zip(rt.output_names(module, "eval_step"),
                              rt.run(module, "eval_step", [x.numpy(), t.numpy()])) if k == "y"]
    r = compare.close(e, lin, 1e-5, 1e-6)
    check("dropout: eval_step is the identity", r, r.detail)


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
        ("sgd-clip-value", ["--optimizer", "sgd", "--clip-grad-value", "0.02"],
         lambda p: torch.optim.SGD(p, lr=0.05)),
        ("rmsprop-wd", ["--optimizer", "rmsprop", "--weight-decay", "0.01", "--alpha", "0.9"],
         lambda p: torch.optim.RMSprop(p, lr=0.05, alpha=0.9, weight_decay=0.01)),
        ("adagrad-init-wd", ["--optimizer", "adagrad", "--initial-accumulator", "0.1",
                             "--weight-decay", "0.01"],
         lambda p: torch.optim.Adagrad(p, lr=0.05, initial_accumulator_value=0.1,
                                       weight_decay=0.01)),
        ("adamax-wd", ["--optimizer", "adamax", "--weight-decay", "0.01"],
         lambda p: torch.optim.Adamax(p, lr=0.05, weight_decay=0.01)),
        ("adamw-amsgrad-maximize", ["--optimizer", "adamw", "--amsgrad", "--maximize"],
         lambda p: torch.optim.AdamW(p, lr=0.05, amsgrad=True, maximize=True)),
    ]
    base = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 4)).double()
    xs = torch.randn(100, 8, 10, generator=gen, dtype=torch.float64)
    ts = torch.randint(0, 4, (100, 8), generator=gen)
    onnx = os.path.join(work, "opt.onnx")
    export(base, xs[0], onnx)
    for name, flags, make in configs:
        so = os.path.join(work, "opt-%s.so" % name)
        compile_train(lathe, onnx, so, *flags)
        module = rt.load(so)
        trainer = rt.trainer(module)
        ref = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 4)).double()
        ref.load_state_dict(base.state_dict())
        opt = make(ref.parameters())
        worst_loss = compare.Worst()
        for i in range(100):
            loss = rt.step(module, trainer, 0.05, [xs[i].numpy(), ts[i].numpy()])[0]
            opt.zero_grad()
            r = nn.functional.cross_entropy(ref(xs[i]), ts[i])
            r.backward()
            if "clip-norm" in name:
                torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
            if "clip-value" in name:
                torch.nn.utils.clip_grad_value_(ref.parameters(), 0.02)
            opt.step()
            worst_loss.add(compare.relative_difference(float(loss), r.item(), floor=1e-6))
        got = rt.params(module, trainer)
        worst = compare.Worst()
        for key, p in ref.state_dict().items():
            worst.add(compare.relative_difference(got.get(key), p, floor=1e-6))
        check("optimizer %s, 100 steps" % name, worst.within(OPT_RTOL) and worst_loss.within(OPT_RTOL),
              "max relative difference: parameters %.2e, losses %.2e" % (worst.value, worst_loss.value))


def momentum_cycle_cases(lathe, work, gen):
    """onecycle and cyclic cycle the momentum (SGD, RMSprop) or beta1 (Adam)
    as torch's cycle_momentum=True: `lathe train` in float64 against
    torch.optim with its scheduler, parameters after every step's update."""
    n, batch, epochs = 48, 8, 3
    total = n // batch * epochs
    x = torch.randn(n, 6, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 3, (n,), generator=gen)
    base = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    onnx = os.path.join(work, "cycle.onnx")
    export_batched(base, x[:2], onnx)
    data = os.path.join(work, "cycle.npz")
    np.savez(data, x=x.numpy(), target=t.numpy())
    S = torch.optim.lr_scheduler
    configs = [
        ("sgd-nesterov-onecycle", ["--optimizer", "sgd", "--nesterov", "--momentum", "0.9",
                                   "--lr-schedule", "onecycle", "--lr", "0.2",
                                   "--pct-start", "0.4"],
         lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.9, nesterov=True),
         lambda o: S.OneCycleLR(o, 0.2, total_steps=total, pct_start=0.4)),
        ("adam-onecycle-momentum-range",
         ["--optimizer", "adam", "--lr-schedule", "onecycle", "--lr", "0.05",
          "--base-momentum", "0.7", "--max-momentum", "0.9"],
         lambda p: torch.optim.Adam(p, lr=0.05),
         lambda o: S.OneCycleLR(o, 0.05, total_steps=total, base_momentum=0.7,
                                max_momentum=0.9)),
        ("sgd-cyclic", ["--optimizer", "sgd", "--lr-schedule", "cyclic", "--lr", "0.01",
                        "--max-lr", "0.2", "--step-size-up", "4"],
         lambda p: torch.optim.SGD(p, lr=0.01),
         lambda o: S.CyclicLR(o, 0.01, 0.2, step_size_up=4)),
        ("rmsprop-cyclic", ["--optimizer", "rmsprop", "--lr-schedule", "cyclic", "--lr", "0.001",
                            "--max-lr", "0.01", "--step-size-up", "5"],
         lambda p: torch.optim.RMSprop(p, lr=0.001),
         lambda o: S.CyclicLR(o, 0.001, 0.01, step_size_up=5)),
    ]
    for name, flags, make_opt, make_sched in configs:
        run = os.path.join(work, "cycle-" + name)
        shutil.rmtree(run, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--batch-size", str(batch),
                            "--epochs", str(epochs), "--no-shuffle", "--checkpoint", run,
                            *flags], capture_output=True, text=True)
        ref = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
        ref.load_state_dict(base.state_dict())
        opt = make_opt(ref.parameters())
        sched = make_sched(opt)
        for _ in range(epochs):
            for b in range(0, n, batch):
                opt.zero_grad()
                nn.functional.cross_entropy(ref(x[b:b + batch]), t[b:b + batch]).backward()
                opt.step()
                sched.step()
        ok, detail = r.returncode == 0, r.stderr[-300:]
        if ok:
            worst = checkpoint_difference(run, ref)
            ok = compare.within(worst, OPT_RTOL)
            detail = "max relative difference %.1e" % worst
        check("%s cycles the momentum as torch for %d steps" % (name, total), ok, detail)
    r = subprocess.run([lathe, "train", onnx, "--data", data, "--optimizer", "adagrad",
                        "--lr-schedule", "onecycle"], capture_output=True, text=True)
    check("onecycle with adagrad (no momentum to cycle) is refused",
          r.returncode == 1 and "--no-cycle-momentum" in r.stderr, r.stderr.strip()[-200:])


def _crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _masked(data):
    c = _crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(buf, i):
    """The protocol buffer varint at buf[i]: (value, next index)."""
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i


def _fields(buf):
    """(field number, wire type, value) of a protocol buffer message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v = struct.unpack("<d", buf[i:i + 8])[0]
            i += 8
        elif wire == 5:
            v = struct.unpack("<f", buf[i:i + 4])[0]
            i += 4
        elif wire == 2:
            n, i = _varint(buf, i)
            v = buf[i:i + n]
            i += n
        else:
            raise ValueError("wire type %d" % wire)
        yield field, wire, v


def read_events(path):
    """TensorBoard scalars {tag: [(step, value)]} of a TFRecord event file,
    checking every CRC; None and the reason if the file is malformed."""
    data = open(path, "rb").read()
    scalars, i, version = {}, 0, None
    while i < len(data):
        header = data[i:i + 8]
        if len(header) < 8 or struct.unpack("<I", data[i + 8:i + 12])[0] != _masked(header):
            return None, "bad length CRC at byte %d" % i
        (n,) = struct.unpack("<Q", header)
        event = data[i + 12:i + 12 + n]
        if struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] != _masked(event):
            return None, "bad data CRC at byte %d" % i
        i += 16 + n
        step = 0
        for field, _, v in _fields(event):
            if field == 2:
                step = v
            elif field == 3:
                version = v
            elif field == 5:
                for f, _, value in _fields(v):
                    if f != 1:
                        continue
                    parts = {ff: vv for ff, _, vv in _fields(value)}
                    scalars.setdefault(parts[1].decode(), []).append((step, parts[2]))
    if version != b"brain.Event:2":
        return None, "no file_version event"
    return scalars, ""


def schedule_cases(lathe, work, gen):
    """Every LR schedule of lathe train against torch.optim.lr_scheduler,
    step by step (steps.csv logs the learning rate of every step)."""
    n, batch, epochs = 48, 16, 12
    per_epoch = n // batch
    total = per_epoch * epochs
    data = os.path.join(work, "sched.npz")
    np.savez(data, x=torch.randn(n, 6, generator=gen).numpy(),
             target=torch.randint(0, 3, (n,), generator=gen).numpy())
    onnx = os.path.join(work, "sched.onnx")
    export_batched(nn.Linear(6, 3), torch.zeros(2, 6), onnx)
    S = torch.optim.lr_scheduler
    configs = [
        ("step", ["--lr", "0.1", "--step-size", "3", "--gamma", "0.5"], False,
         lambda o: S.StepLR(o, 3, 0.5)),
        ("multistep", ["--lr", "0.1", "--milestones", "2,5,9", "--gamma", "0.3"], False,
         lambda o: S.MultiStepLR(o, [2, 5, 9], 0.3)),
        ("exponential", ["--lr", "0.1", "--gamma", "0.8"], False,
         lambda o: S.ExponentialLR(o, 0.8)),
        ("cosine", ["--lr", "0.1", "--t-max", "12", "--eta-min", "1e-4"], False,
         lambda o: S.CosineAnnealingLR(o, 12, 1e-4)),
        ("cosine_restarts", ["--lr", "0.1", "--t0", "3", "--t-mult", "2", "--eta-min", "1e-4"],
         False, lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2, 1e-4)),
        ("onecycle", ["--lr", "0.1", "--pct-start", "0.25"], True,
         lambda o: S.OneCycleLR(o, 0.1, total_steps=total, pct_start=0.25,
                                cycle_momentum=False)),
        ("cyclic", ["--lr", "0.01", "--max-lr", "0.1", "--step-size-up", "4"], True,
         lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, cycle_momentum=False)),
        ("plateau", ["--lr", "0.1", "--patience", "1", "--factor", "0.5"], False,
         lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=1)),
    ]
    for name, flags, per_batch, make in configs:
        run = os.path.join(work, "sched-" + name)
        shutil.rmtree(run, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--val", data,
                            "--batch-size", str(batch), "--epochs", str(epochs),
                            "--lr-schedule", name, "--logdir", run, *flags],
                           capture_output=True, text=True)
        if r.returncode != 0:
            check("schedule %s follows torch" % name, False, r.stderr[-300:])
            continue
        rows = [l.split(",") for l in open(os.path.join(run, "steps.csv")).read().split()[1:]]
        got = [float(row[1]) for row in rows]
        val = [float(l.split(",")[4]) for l in
               open(os.path.join(run, "metrics.csv")).read().split()[1:]]
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=float(flags[1]))
        sched = make(opt)
        want = []
        for e in range(epochs):
            for b in range(per_epoch):
                want.append(opt.param_groups[0]["lr"])
                if per_batch:
                    opt.step()
                    sched.step()
            if not per_batch:
                opt.step()
                sched.step(val[e]) if name == "plateau" else sched.step()
        worst = max(abs(a - b) / b for a, b in zip(got, want))
        check("schedule %s follows torch.optim.lr_scheduler for %d steps" % (name, total),
              len(got) == total and worst < 1e-12, "max relative difference %.1e" % worst)
        # The same run's TensorBoard file: valid records, the logged values.
        files = [f for f in os.listdir(run) if f.startswith("events.out.tfevents.")]
        scalars, why = read_events(os.path.join(run, files[0])) if len(files) == 1 else (None, "%d files" % len(files))
        ok = scalars is not None
        if ok:
            loss = [float(row[2]) for row in rows]
            logged = scalars.get("step/loss", [])
            ok = ([s for s, _ in logged] == list(range(1, total + 1))
                  and all(abs(v - l) <= 1e-6 * max(1.0, abs(l)) for (_, v), l in zip(logged, loss))
                  and len(scalars.get("epoch/val_loss", [])) == epochs)
            why = "tags: " + ", ".join(sorted(scalars))
        if name == "step":
            check("TensorBoard event file: CRCs, per-step loss and per-epoch scalars", ok, why)


def write_idx(path, array):
    """An MNIST-style IDX file (big-endian)."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C,
             np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}
    with open(path, "wb") as f:
        f.write(bytes([0, 0, codes[array.dtype], array.ndim]))
        f.write(struct.pack(">%dI" % array.ndim, *array.shape))
        f.write(array.astype(array.dtype.newbyteorder(">")).tobytes())


def data_cases(lathe, work, gen):
    """--keep-last against PyTorch (DataLoader drop_last=False), in float64;
    .npy and IDX data files; clear errors for bad data."""
    n, batch, epochs = 40, 16, 2
    x = torch.randn(n, 5, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 3, (n,), generator=gen)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()
    onnx = os.path.join(work, "tail.onnx")
    export_batched(model, x[:2], onnx)
    np.save(os.path.join(work, "tail-x.npy"), x.numpy())
    np.save(os.path.join(work, "tail-t.npy"), t.numpy())
    run = os.path.join(work, "tail")
    shutil.rmtree(run, ignore_errors=True)
    r = subprocess.run([lathe, "train", onnx, "--data",
                        "%s,target=%s" % (os.path.join(work, "tail-x.npy"),
                                          os.path.join(work, "tail-t.npy")),
                        "--batch-size", str(batch), "--epochs", str(epochs), "--keep-last",
                        "--no-shuffle", "--optimizer", "sgd", "--momentum", "0.9",
                        "--lr", "0.1", "--checkpoint", run, "--logdir", run],
                       capture_output=True, text=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(epochs):
        for b in range(0, n, batch):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[b:b + batch]), t[b:b + batch])
            loss.backward()
            opt.step()
            losses.append(loss.item())
    ok = r.returncode == 0
    detail = r.stderr[-300:]
    if ok:
        worst = checkpoint_difference(run, model)
        logged = [float(l.split(",")[2]) for l in open(os.path.join(run, "steps.csv")).read().split()[1:]]
        ok = (len(losses) == 6 and compare.within(worst, OPT_RTOL)
              and compare.close(logged, losses, 1e-8, 0.0))
        detail = "%d steps (2 full + 1 partial per epoch), max relative difference %.1e" % (
            len(logged), worst)
    check("--keep-last trains the partial batch as PyTorch's drop_last=False", ok, detail)


def kill_cases(lathe, work, gen):
    """SIGKILL at random moments of a run that checkpoints every epoch
    (3 steps): the checkpoint on disk is always complete, so that a resume
    from it succeeds."""
    import random
    import signal
    import time
    n = 48
    data = os.path.join(work, "kill.npz")
    np.savez(data, x=torch.randn(n, 6, generator=gen).numpy(),
             target=torch.randint(0, 3, (n,), generator=gen).numpy())
    onnx = os.path.join(work, "kill.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 64), nn.ReLU(), nn.Linear(64, 3)),
                   torch.zeros(2, 6), onnx)
    run = os.path.join(work, "kill")
    shutil.rmtree(run, ignore_errors=True)
    base = [lathe, "train", onnx, "--data", data, "--batch-size", "16", "--checkpoint", run]
    rnd = random.Random(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
    kills, bad = 0, []
    for i in range(6):
        ckpt = os.path.join(run, "checkpoint.safetensors")
        # Resume from the previous kill's checkpoint when there is one.
        args = base + ["--epochs", "1000000"] + (["--resume", run] if os.path.exists(ckpt) else [])
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Past the compile (about 1 s), into the checkpoint writes.
        time.sleep(1.5 + rnd.uniform(0, 1.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        if not os.path.exists(ckpt):
            bad.append("kill %d: no checkpoint" % i)
            continue
        r = subprocess.run(base + ["--epochs", "1000000", "--resume", run, "--max-steps", "1"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            bad.append("kill %d: %s" % (i, r.stderr.strip().splitlines()[-1]))
    check("SIGKILL during training never leaves a broken checkpoint (%d kills)" % kills,
          not bad, "; ".join(bad))
    # A killed write's temporary file (of a process that is gone) is removed
    # by the next run in that folder; a running process's is left alone.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = os.path.join(run, "checkpoint.safetensors.tmp.%d" % dead.pid)
    live = os.path.join(run, "checkpoint.safetensors.tmp.%d" % os.getpid())
    for f in (stale, live):
        open(f, "wb").write(b"partial")
    r = subprocess.run(base + ["--epochs", "1000000", "--resume", run, "--max-steps", "1"],
                       capture_output=True, text=True)
    check("a later run removes killed writes' temporary files, not a live process's",
          r.returncode == 0 and not os.path.exists(stale) and os.path.exists(live),
          r.stderr.strip()[-200:])
    os.remove(live)
    # Without --checkpoint the run's compiled steps live in a temporary
    # folder that is gone when it ends.
    tmp = os.path.join(work, "kill-tmpdir")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    r = subprocess.run([lathe, "train", onnx, "--data", data, "--batch-size", "16", "--epochs", "1"],
                       capture_output=True, text=True, env=dict(os.environ, TMPDIR=tmp))
    check("lathe train without --checkpoint leaves no temporary folder",
          r.returncode == 0 and os.listdir(tmp) == [], str(os.listdir(tmp)) + r.stderr[-200:])


def idx_cases(lathe, examples, work):
    digits = os.path.join(examples, "digits")
    train = np.load(os.path.join(digits, "digits-train.npz"))
    images = os.path.join(work, "train-images-idx3-ubyte")
    labels = os.path.join(work, "train-labels-idx1-ubyte")
    write_idx(images, train["x"].reshape(-1, 8, 8))
    write_idx(labels, train["target"].astype(np.uint8))
    common = [lathe, "train", os.path.join(digits, "lenet-digits.onnx"), "--epochs", "1",
              "--batch-size", "64", "--seed", "3"]
    runs = {}
    for what, data in [("npz", os.path.join(digits, "digits-train.npz")),
                       ("idx", "%s,%s" % (images, labels))]:
        d = os.path.join(work, "idx-" + what)
        shutil.rmtree(d, ignore_errors=True)
        r = subprocess.run(common + ["--data", data, "--logdir", d], capture_output=True, text=True)
        runs[what] = open(os.path.join(d, "steps.csv")).read() if r.returncode == 0 else r.stderr
    check("IDX image and label files train exactly as the same data in .npz",
          runs["idx"] == runs["npz"] and runs["npz"].count("\n") == 1497 // 64 + 1)
    # A truncated IDX file and a file too many are refused by name.
    bad = os.path.join(work, "bad-idx3-ubyte")
    with open(images, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[:-7])
    for what, spec, expect in [
            ("truncated IDX file", "%s,%s" % (bad, labels), "header announces"),
            ("extra data file", "%s,%s,%s" % (images, labels, labels), "more files than"),
            ("unknown array name", "pixels=%s,%s" % (images, labels), "'pixels' is not a model input")]:
        r = subprocess.run(common + ["--data", spec], capture_output=True, text=True)
        check("lathe train refuses a %s" % what, r.returncode != 0 and expect in r.stderr,
              r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")


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
    # The export is an inference model: it compiles without --train (its
    # dropout and training-mode nodes set to inference) and classifies the
    # validation set as the trained model did.
    val = np.load(os.path.join(digits, "digits-val.npz"))
    xs = os.path.join(work, "val-x.npy")
    np.save(xs, val["x"].astype(np.float32))
    so = os.path.join(work, "trained.so")
    r = subprocess.run([lathe, "compile", out, "-o", so, "--input-shape",
                        "x=%dx1x8x8" % len(val["x"])], capture_output=True, text=True)
    acc = 0.0
    if r.returncode == 0:
        logits = os.path.join(work, "val-logits.npy")
        r = subprocess.run([lathe, "run", so, "--input", xs, "--output", logits],
                           capture_output=True, text=True)
        if r.returncode == 0:
            acc = 100.0 * float((np.load(logits).argmax(1) == val["target"]).mean())
    check("the exported model compiles for inference and keeps its accuracy", acc >= 97.0,
          "%.2f%%" % acc if r.returncode == 0 else r.stderr.strip()[-300:])
    # Compiled for inference, the training-mode graph is refused by name.
    r = subprocess.run([lathe, "compile", os.path.join(digits, "lenet-digits.onnx"),
                        "--input-shape", "x=1x1x8x8", "-o",
                        os.path.join(work, "refused.so")], capture_output=True, text=True)
    check("an inference build refuses a training-mode Dropout, naming the node",
          r.returncode != 0 and "training_mode=true" in r.stderr and "Dropout" in r.stderr,
          r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")


def main():
    lathe, library, examples, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
    rt = lathe_rt.Runtime(library)
    gradient_cases(lathe, rt, work, gen)
    dropout_cases(lathe, rt, work, gen)
    resnet_case(lathe, rt, work, gen)
    optimizer_cases(lathe, rt, work, gen)
    schedule_cases(lathe, work, gen)
    momentum_cycle_cases(lathe, work, gen)
    data_cases(lathe, work, gen)
    idx_cases(lathe, examples, work)
    kill_cases(lathe, work, gen)
    cli_cases(lathe, examples, work)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
