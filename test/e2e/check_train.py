"""Training end to end: gradients and optimizer steps against PyTorch, the
digits example's accuracy, exact resumption, refused corrupt checkpoints,
and export.

Usage: check_train.py LATHE RUNTIME_LIBRARY EXAMPLES_DIR WORK_DIR
"""
import copy
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import zipfile

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
# differences amplified by ill-conditioned updates would hide the
# semantics). Centered RMSprop's sqrt(E[g^2] - E[g]^2) amplifies even
# float64's: up to 1e-12 seen, so it is allowed 1e-9.
OPT_RTOL = 1e-12
OPT_RTOL_CENTERED = 1e-9
# Whole `lathe train` runs against a torch loop (more steps, schedules,
# plateau reductions): 1e-12 has been exceeded (1.4e-12) by rounding alone.
RUN_RTOL = 1e-9


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


def random_class_data(work, name, n, gen):
    """WORK/NAME.npz with |n| samples: x, 6 normal float32 features; target,
    a class of 3 (drawn in that order from |gen|). Returns its path."""
    data = os.path.join(work, name + ".npz")
    np.savez(data, x=torch.randn(n, 6, generator=gen).numpy(),
             target=torch.randint(0, 3, (n,), generator=gen).numpy())
    return data


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
        ("sgd-clip-norm-inf", ["--optimizer", "sgd", "--clip-grad-norm", "0.05",
                               "--clip-norm-type", "inf"],
         lambda p: torch.optim.SGD(p, lr=0.05)),
        ("sgd-clip-norm-1", ["--optimizer", "sgd", "--clip-grad-norm", "0.3",
                             "--clip-norm-type", "1"],
         lambda p: torch.optim.SGD(p, lr=0.05)),
        ("sgd-clip-value", ["--optimizer", "sgd", "--clip-grad-value", "0.02"],
         lambda p: torch.optim.SGD(p, lr=0.05)),
        ("adam-betas-eps", ["--optimizer", "adam", "--beta1", "0.8", "--beta2", "0.99",
                            "--eps", "1e-3"],
         lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-3)),
        ("adadelta-rho-eps", ["--optimizer", "adadelta", "--rho", "0.7", "--eps", "1e-4"],
         lambda p: torch.optim.Adadelta(p, lr=0.05, rho=0.7, eps=1e-4)),
        ("rmsprop-eps", ["--optimizer", "rmsprop", "--eps", "1e-3"],
         lambda p: torch.optim.RMSprop(p, lr=0.05, eps=1e-3)),
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
        ("rprop", ["--optimizer", "rprop"], lambda p: torch.optim.Rprop(p, lr=0.05)),
        # (Not with maximize: the rising loss saturates the tanh, and the
        # signs of the vanishing gradients left are rounding's.)
        ("rprop-etas-sizes",
         ["--optimizer", "rprop", "--eta-minus", "0.3", "--eta-plus", "1.5",
          "--step-size-min", "1e-3", "--step-size-max", "0.2"],
         lambda p: torch.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
        ("asgd", ["--optimizer", "asgd"], lambda p: torch.optim.ASGD(p, lr=0.05)),
        ("asgd-averaging-wd",
         ["--optimizer", "asgd", "--lambd", "1e-2", "--alpha", "0.6", "--asgd-t0", "40",
          "--weight-decay", "1e-3"],
         lambda p: torch.optim.ASGD(p, lr=0.05, lambd=1e-2, alpha=0.6, t0=40, weight_decay=1e-3)),
    ]
    # ASGD keeps eta and mu as tensors of the default dtype; float64 makes
    # them the exact values Lathe computes.
    torch.set_default_dtype(torch.float64)
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
            if "--clip-grad-norm" in flags:
                norm_type = (float(flags[flags.index("--clip-norm-type") + 1])
                             if "--clip-norm-type" in flags else 2.0)
                torch.nn.utils.clip_grad_norm_(
                    ref.parameters(), float(flags[flags.index("--clip-grad-norm") + 1]),
                    norm_type=norm_type)
            if "--clip-grad-value" in flags:
                torch.nn.utils.clip_grad_value_(
                    ref.parameters(), float(flags[flags.index("--clip-grad-value") + 1]))
            opt.step()
            worst_loss.add(compare.relative_difference(float(loss), r.item(), floor=1e-6))
        got = rt.params(module, trainer)
        worst = compare.Worst()
        for key, p in ref.state_dict().items():
            worst.add(compare.relative_difference(got.get(key), p, floor=1e-6))
        # The optimizer's own state beside the parameters: ASGD's averages
        # (what export --averaged writes), Rprop's step sizes.
        state = rt.state(module, trainer)
        names = dict(zip([id(p) for p in ref.parameters()], [k for k, _ in ref.named_parameters()]))
        for p, st in opt.state.items():
            for buffer in ("ax", "step_size", "prev"):
                if buffer in st:
                    key = names[id(p)] + "." + buffer
                    worst.add(compare.relative_difference(state.get(key), st[buffer], floor=1e-6))
        rtol = OPT_RTOL_CENTERED if "--centered" in flags else OPT_RTOL
        check("optimizer %s, 100 steps" % name, worst.within(rtol) and worst_loss.within(rtol),
              "max relative difference: parameters %.2e, losses %.2e" % (worst.value, worst_loss.value))
    torch.set_default_dtype(torch.float32)


class EmbeddingBag(nn.Module):
    """Two sparse embedding tables: |tok| gathered twice (duplicate rows
    within a batch), |out| once; most rows go untouched in a step."""

    def __init__(self, rows=30, classes=7):
        super().__init__()
        self.tok = nn.Embedding(rows, classes, sparse=True)
        self.out = nn.Embedding(rows, classes, sparse=True)

    def forward(self, x):
        return self.tok(x[:, :2]).sum(1) + self.tok(x[:, 2]) + self.out(x[:, 2])


class TiedEmbedding(nn.Module):
    """An embedding table that is also the output projection (sliced and
    transposed): one parameter read by a gather and by a matmul."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 7)

    def forward(self, x):
        return self.emb(x[:, 0]) @ self.emb.weight[:7].t()


def tied_weight_case(lathe, rt, work, gen):
    """A parameter that an exporter's unfolded graph reshapes (Slice,
    Transpose) is trained, not frozen at its file value: 20 Adam steps in
    float64 against torch, through both of its uses."""
    torch.set_default_dtype(torch.float64)
    base = TiedEmbedding()
    xs = torch.randint(0, 30, (20, 8, 3), generator=gen)
    ts = torch.randint(0, 7, (20, 8), generator=gen)
    onnx = os.path.join(work, "tied.onnx")
    export_training(base, xs[0], onnx)  # Unfolded: the Slice reads the table.
    so = os.path.join(work, "tied.so")
    compile_train(lathe, onnx, so, "--optimizer", "adam")
    module = rt.load(so)
    trainer = rt.trainer(module)
    ref = TiedEmbedding()
    ref.load_state_dict(base.state_dict())
    opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    worst = compare.Worst()
    for i in range(20):
        loss = rt.step(module, trainer, 0.05, [xs[i].numpy(), ts[i].numpy()])[0]
        opt.zero_grad()
        r = nn.functional.cross_entropy(ref(xs[i]), ts[i])
        r.backward()
        opt.step()
        worst.add(compare.relative_difference(float(loss), r.item(), floor=1e-6))
    worst.add(compare.relative_difference(rt.params(module, trainer).get("emb.weight"),
                                          ref.emb.weight, floor=1e-6))
    check("a tied (sliced, transposed) parameter trains as torch's, 20 steps",
          worst.within(OPT_RTOL), "max relative difference %.2e" % worst.value)
    torch.set_default_dtype(torch.float32)


def sparse_adam_cases(lathe, rt, work, gen):
    """SparseAdam against torch.optim.SparseAdam on nn.Embedding(sparse=True)
    tables in float64, 100 steps: parameters, losses and both moments (the
    rows a batch does not touch keep their moments and values); a run saved
    after 50 steps and resumed ends bit for bit as the uninterrupted one;
    beta1 cycled by onecycle through `lathe train`; dense parameters are
    refused with torch's message."""
    torch.set_default_dtype(torch.float64)
    base = EmbeddingBag().double()
    xs = torch.randint(0, 30, (100, 8, 3), generator=gen)
    ts = torch.randint(0, 7, (100, 8), generator=gen)
    onnx = os.path.join(work, "sparse.onnx")
    export(base, xs[0], onnx)

    def clip_sparse(params, max_norm):
        # clip_grad_norm_'s arithmetic on the coalesced gradients (torch
        # 1.13's own leaves sparse gradients unscaled).
        grads = [p.grad.coalesce() for p in params]
        total = torch.norm(torch.stack([torch.norm(g._values()) for g in grads]))
        coef = min(max_norm / (float(total) + 1e-6), 1.0)
        for p, g in zip(params, grads):
            p.grad = torch.sparse_coo_tensor(g._indices(), g._values() * coef, g.size())

    configs = [
        ("sparse_adam", ["--optimizer", "sparse_adam"], dict(lr=0.05), None),
        ("sparse_adam-betas-eps-maximize",
         ["--optimizer", "sparse_adam", "--beta1", "0.8", "--beta2", "0.99", "--eps", "1e-3",
          "--maximize"],
         dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3, maximize=True), None),
        ("sparse_adam-clip-norm", ["--optimizer", "sparse_adam", "--clip-grad-norm", "0.5"],
         dict(lr=0.05), 0.5),
    ]
    for name, flags, kwargs, clip in configs:
        so = os.path.join(work, "opt-%s.so" % name)
        compile_train(lathe, onnx, so, *flags)
        module = rt.load(so)
        trainer = rt.trainer(module)
        ref = EmbeddingBag().double()
        ref.load_state_dict(base.state_dict())
        opt = torch.optim.SparseAdam(list(ref.parameters()), **kwargs)
        worst_loss = compare.Worst()
        half = os.path.join(work, "sparse-half.safetensors")
        for i in range(100):
            loss = rt.step(module, trainer, 0.05, [xs[i].numpy(), ts[i].numpy()])[0]
            opt.zero_grad()
            r = nn.functional.cross_entropy(ref(xs[i]), ts[i])
            r.backward()
            if clip:
                clip_sparse(list(ref.parameters()), clip)
            opt.step()
            worst_loss.add(compare.relative_difference(float(loss), r.item(), floor=1e-6))
            if i == 49:
                rt.save(trainer, half)
        got = rt.params(module, trainer)
        state = rt.state(module, trainer)
        worst = compare.Worst()
        for key, p in ref.named_parameters():
            worst.add(compare.relative_difference(got.get(key), p, floor=1e-6))
            for buffer in ("exp_avg", "exp_avg_sq"):
                worst.add(compare.relative_difference(state.get(key + "." + buffer),
                                                      opt.state[p][buffer], floor=1e-6))
        check("optimizer %s, 100 steps" % name, worst.within(OPT_RTOL) and
              worst_loss.within(OPT_RTOL),
              "max relative difference: parameters and moments %.2e, losses %.2e"
              % (worst.value, worst_loss.value))
        resumed = rt.trainer(module)
        status = rt.load_checkpoint(resumed, half)
        for i in range(50, 100):
            rt.step(module, resumed, 0.05, [xs[i].numpy(), ts[i].numpy()])
        again = rt.params(module, resumed)
        check("%s resumed after 50 steps ends bit for bit as the uninterrupted run" % name,
              status == 0 and all(again[k].tobytes() == got[k].tobytes() for k in got))

    # onecycle cycles SparseAdam's beta1, as torch's (it has betas).
    n, batch, epochs = 48, 8, 2
    x = torch.randint(0, 30, (n, 3), generator=gen)
    t = torch.randint(0, 7, (n,), generator=gen)
    batched = os.path.join(work, "sparse-batched.onnx")
    export_batched(base, x[:2], batched)
    data = os.path.join(work, "sparse.npz")
    np.savez(data, x=x.numpy(), target=t.numpy())
    run = os.path.join(work, "sparse-onecycle")
    shutil.rmtree(run, ignore_errors=True)
    r = subprocess.run([lathe, "train", batched, "--data", data, "--batch-size", str(batch),
                        "--epochs", str(epochs), "--no-shuffle", "--checkpoint", run,
                        "--optimizer", "sparse_adam", "--lr-schedule", "onecycle", "--lr",
                        "0.05"], capture_output=True, text=True)
    ref = copy.deepcopy(base)
    opt = torch.optim.SparseAdam(list(ref.parameters()), lr=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.05, total_steps=n // batch * epochs)
    check("sparse_adam-onecycle cycles beta1 as torch",
          *run_matches_torch(r, run, ref, opt, sched, x, t, batch, epochs))

    # A table that is also read densely (tied to an output projection).
    tied = os.path.join(work, "sparse-tied.onnx")
    export_training(TiedEmbedding(), xs[0], tied)
    for model, said in ((tied, "'emb.weight' is read by"), (onnx, None)):
        r = subprocess.run([lathe, "compile", model, "-o", os.path.join(work, "refused.so"),
                            "--train", "--optimizer", "sparse_adam", "--weight-decay",
                            "0" if said else "0.1"], capture_output=True, text=True)
        want = ("SparseAdam does not support dense gradients, please consider Adam instead"
                if said else "option 'weight-decay' is not an option")
        check("sparse_adam refuses %s" % ("a densely read table" if said else "weight decay"),
              r.returncode != 0 and want in r.stderr and (not said or said in r.stderr),
              r.stderr.strip()[-300:])
    torch.set_default_dtype(torch.float32)


def run_matches_torch(r, run, ref, opt, sched, x, t, batch, epochs):
    """Trains |ref| as `lathe train --no-shuffle` did in |run| (|r| its
    process): cross entropy, |opt| and |sched| stepped per batch. (ok,
    detail): the run's checkpoint within RUN_RTOL of |ref|."""
    for _ in range(epochs):
        for b in range(0, len(x), batch):
            opt.zero_grad()
            nn.functional.cross_entropy(ref(x[b:b + batch]), t[b:b + batch]).backward()
            opt.step()
            sched.step()
    if r.returncode != 0:
        return False, r.stderr[-300:]
    worst = checkpoint_difference(run, ref)
    return compare.within(worst, RUN_RTOL), "max relative difference %.1e" % worst


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
        check("%s cycles the momentum as torch for %d steps" % (name, total),
              *run_matches_torch(r, run, ref, opt, make_sched(opt), x, t, batch, epochs))
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


def nudged_copy(model, rng):
    """A copy of |model| (no draw from torch's generator) with every weight
    of every parameter moved by -1, 0 or +1 ulp, drawn from |rng|:
    roundings everywhere, as another implementation's, to measure how far a
    trajectory carries them."""
    copied = copy.deepcopy(model)
    with torch.no_grad():
        for p in copied.parameters():
            v = p.view(-1).numpy()
            way = rng.integers(-1, 2, v.shape)
            v[:] = np.where(way == 0, v, np.nextafter(v, np.where(way > 0, np.inf, -np.inf)))
    return copied


def lbfgs_ulp_spread(base, search, kwargs, xs, ts):
    """The largest relative difference between torch's LBFGS parameters and
    losses over 8 steps from |base| and from |base| with every weight moved
    by a random ulp (three draws): the trajectory's own amplification of
    roundings. One weight moved alone underestimates it: Lathe's gradients
    round differently in every element (over 120 draws, Lathe's difference
    from torch stayed within 20x of this spread, and within 1e-12 where
    it passed 5x)."""
    def trajectory(model):
        opt = torch.optim.LBFGS(model.parameters(),
                                line_search_fn=None if search == "none" else search, **kwargs)
        losses = []
        for i in range(8):
            def closure():
                opt.zero_grad()
                r = nn.functional.cross_entropy(model(xs[i]), ts[i])
                r.backward()
                return r
            losses.append(opt.step(closure).item())
        return model.state_dict(), losses
    want, want_losses = trajectory(copy.deepcopy(base))
    spread = compare.Worst()
    for draw in range(3):
        nudged, losses = trajectory(nudged_copy(base, np.random.default_rng(draw)))
        for key in want:
            spread.add(compare.relative_difference(nudged[key].numpy(), want[key], floor=1e-6))
        for got, loss in zip(losses, want_losses):
            spread.add(compare.relative_difference(got, loss, floor=1e-6))
    return spread.value


def lbfgs_cases(lathe, rt, work, gen):
    """LBFGS against torch.optim.LBFGS in float64: a convex (linear) and a
    non-convex (tanh MLP) model, with and without the strong-Wolfe line
    search, 8 steps each: the parameters, the losses and the number of
    closure evaluations; a run saved after 4 steps and resumed in a new
    trainer ends bit for bit where the uninterrupted one does."""
    xs = torch.randn(10, 64, 10, generator=gen, dtype=torch.float64)
    ts = torch.randint(0, 4, (10, 64), generator=gen)
    models = {
        "convex": lambda: nn.Linear(10, 4).double(),
        "non-convex": lambda: nn.Sequential(nn.Linear(10, 16), nn.Tanh(),
                                            nn.Linear(16, 4)).double(),
    }
    # Three iterations a step: LBFGS amplifies rounding as it nears each
    # batch's optimum (torch against itself, one start perturbed by an
    # ulp, differs by 1e-7 after 10 steps of 20 iterations), and the two
    # sides' gradients round differently. Over 100 steps the trajectory is
    # chaotic: torch against itself with one weight moved by an ulp ends
    # 2e2 apart (non-convex, no line search, max_iter 1), 3e-3 (convex, no
    # line search, max_iter 2), so 1e-12 can only hold over a few steps.
    configs = [
        ("convex", "none", ["--max-iter", "3"], dict(lr=1, max_iter=3)),
        ("convex", "strong_wolfe", ["--max-iter", "3", "--history-size", "2"],
         dict(lr=1, max_iter=3, history_size=2)),
        ("non-convex", "none", ["--max-iter", "3", "--history-size", "2"],
         dict(lr=0.5, max_iter=3, history_size=2)),
        ("non-convex", "strong_wolfe", ["--max-iter", "4", "--max-eval", "6"],
         dict(lr=1, max_iter=4, max_eval=6)),
    ]
    for model_name, search, flags, kwargs in configs:
        name = "lbfgs %s %s" % (model_name, search)
        base = models[model_name]()
        onnx = os.path.join(work, "lbfgs-%s.onnx" % model_name)
        export(base, xs[0], onnx)
        so = os.path.join(work, "lbfgs-%s-%s.so" % (model_name, search))
        compile_train(lathe, onnx, so, "--optimizer", "lbfgs", "--line-search", search,
                      *flags)
        lr = kwargs["lr"]
        module = rt.load(so)
        trainer = rt.trainer(module)
        ref = models[model_name]()
        ref.load_state_dict(base.state_dict())
        opt = torch.optim.LBFGS(ref.parameters(),
                                line_search_fn=None if search == "none" else search, **kwargs)
        worst_loss = compare.Worst()
        for i in range(8):
            loss = rt.step(module, trainer, lr, [xs[i].numpy(), ts[i].numpy()])[0]

            def closure():
                opt.zero_grad()
                r = nn.functional.cross_entropy(ref(xs[i]), ts[i])
                r.backward()
                return r
            r = opt.step(closure)
            worst_loss.add(compare.relative_difference(float(loss), r.item(), floor=1e-6))
            if i == 3:
                half = os.path.join(work, "lbfgs-half.safetensors")
                rt.save(trainer, half)
        got = rt.params(module, trainer)
        worst = compare.Worst()
        for key, p in ref.state_dict().items():
            worst.add(compare.relative_difference(got.get(key), p, floor=1e-6))
        evals = int(rt.state(module, trainer)["lbfgs.scalars"][4])
        want_evals = opt.state[next(iter(ref.parameters()))]["func_evals"]
        # torch against itself, every weight moved by a random ulp: how far
        # this trajectory carries roundings. Lathe's gradients round
        # differently from torch's, so it is held to 1e-12 or to ten times
        # that spread, whichever is larger (some draws amplify roundings to
        # 1e-11 within these 8 steps).
        spread = lbfgs_ulp_spread(base, search, kwargs, xs, ts)
        bound = max(OPT_RTOL, 10 * spread)
        check("optimizer %s, 8 steps" % name,
              worst.within(bound) and worst_loss.within(bound) and evals == want_evals,
              "max relative difference: parameters %.2e, losses %.2e (bound %.1e; torch "
              "against itself after random ulps: %.1e); %d evaluations (torch %d)"
              % (worst.value, worst_loss.value, bound, spread, evals, want_evals))
        # Resumed after step 4 in a new trainer.
        resumed = rt.trainer(module)
        status = rt.load_checkpoint(resumed, half)
        for i in range(4, 8):
            rt.step(module, resumed, lr, [xs[i].numpy(), ts[i].numpy()])
        again = rt.params(module, resumed)
        check("%s resumed after 4 steps ends bit for bit as the uninterrupted run" % name,
              status == 0 and all(again[k].tobytes() == got[k].tobytes() for k in got))


def schedule_cases(lathe, work, gen):
    """Every LR schedule of lathe train against torch.optim.lr_scheduler,
    step by step (steps.csv logs the learning rate of every step)."""
    n, batch, epochs = 48, 16, 12
    per_epoch = n // batch
    total = per_epoch * epochs
    data = random_class_data(work, "sched", n, gen)
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
        ("linear", ["--lr", "0.1", "--start-factor", "0.25", "--end-factor", "0.9",
                    "--total-iters", "4"], False,
         lambda o: S.LinearLR(o, 0.25, 0.9, 4)),
        ("constant_factor", ["--lr", "0.1", "--factor", "0.5", "--total-iters", "3"], False,
         lambda o: S.ConstantLR(o, 0.5, 3)),
        ("polynomial", ["--lr", "0.1", "--total-iters", "8", "--power", "2"], False,
         lambda o: S.PolynomialLR(o, 8, 2.0)),
        ("lambda", ["--lr", "0.1", "--lr-lambda", "epoch < 3 ? (epoch+1)/3 : 0.9^(epoch-3)"],
         False, lambda o: S.LambdaLR(o, lambda e: (e + 1) / 3 if e < 3 else 0.9 ** (e - 3))),
        ("multiplicative", ["--lr", "0.1", "--lr-lambda", "0.95 - 0.01 * (epoch % 3)"], False,
         lambda o: S.MultiplicativeLR(o, lambda e: 0.95 - 0.01 * (e % 3))),
        ("sequential+warmup", ["--lr", "0.1", "--schedules",
                               "linear(start-factor=0.1, total-iters=3); cosine(t-max=9)",
                               "--milestones", "3"], False,
         lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=3),
                                      S.CosineAnnealingLR(o, 9)], [3])),
        ("sequential+three", ["--lr", "0.1", "--schedules",
                              "constant_factor(factor=0.2 total_iters=5); "
                              "cosine(t-max=4 eta-min=1e-3); "
                              "multiplicative(lr-lambda='0.8 + 0.05*(epoch//2)')",
                              "--milestones", "3,8"], False,
         lambda o: S.SequentialLR(o, [S.ConstantLR(o, 0.2, 5), S.CosineAnnealingLR(o, 4, 1e-3),
                                      S.MultiplicativeLR(o, lambda e: 0.8 + 0.05 * (e // 2))],
                                  [3, 8])),
        ("chained", ["--lr", "0.1", "--schedules",
                     "constant_factor(factor=0.5, total-iters=2); exponential(gamma=0.9); "
                     "multistep(milestones=4,7 gamma=0.5); "
                     "lambda(lr-lambda=\"max(0.5, 1 - epoch/20)\")"], False,
         lambda o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 2), S.ExponentialLR(o, 0.9),
                                       S.MultiStepLR(o, [4, 7], 0.5),
                                       S.LambdaLR(o, lambda e: max(0.5, 1 - e / 20))])),
    ]  # plateau: plateau_cases, driven by the reference's own losses.
    resumed = ("linear", "lambda", "multiplicative", "sequential+three", "chained")
    for label, flags, per_batch, make in configs:
        name = label.split("+")[0]
        run = os.path.join(work, "sched-" + label)
        shutil.rmtree(run, ignore_errors=True)
        args = [lathe, "train", onnx, "--data", data, "--val", data,
                "--batch-size", str(batch), "--epochs", str(epochs),
                "--lr-schedule", name, *flags]
        r = subprocess.run(args + ["--logdir", run], capture_output=True, text=True)
        if r.returncode != 0:
            check("schedule %s follows torch" % label, False, r.stderr[-300:])
            continue
        steps_csv = open(os.path.join(run, "steps.csv")).read()
        rows = [l.split(",") for l in steps_csv.split()[1:]]
        if label in resumed:
            # Stopped mid-epoch and resumed: the same steps, bit for bit.
            half = os.path.join(work, "sched-half-" + label)
            shutil.rmtree(half, ignore_errors=True)
            a = subprocess.run(args + ["--logdir", half, "--checkpoint", half,
                                       "--max-steps", str(total // 2 + 1)],
                               capture_output=True, text=True)
            b = subprocess.run(args + ["--logdir", half, "--checkpoint", half,
                                       "--resume", half], capture_output=True, text=True)
            again = open(os.path.join(half, "steps.csv")).read() if a.returncode == 0 else ""
            check("schedule %s resumed mid-run gives the same steps bit for bit" % label,
                  a.returncode == 0 and b.returncode == 0 and again == steps_csv,
                  "" if a.returncode == 0 and b.returncode == 0 else (a.stderr + b.stderr)[-300:])
        got = [float(row[1]) for row in rows]
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
                sched.step()
        same = compare.close(got, want, 1e-12, 0.0, what="learning rates")
        check("schedule %s follows torch.optim.lr_scheduler for %d steps" % (label, total),
              len(want) == total and same, same.detail)
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


def plateau_cases(lathe, work, gen):
    """ReduceLROnPlateau, on the validation loss and (without --val) on the
    training loss, against torch's scheduler driven by torch's own losses:
    a float64 model trained by both sides on the same batches in the same
    order. The data make the monitored loss stall or rise, so that the
    reference reduces the learning rate at least twice (checked, so the
    comparison cannot pass vacuously)."""
    n, batch, epochs = 48, 16, 12
    x = torch.randn(n, 6, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 3, (n,), generator=gen)
    base = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    onnx = os.path.join(work, "plateau.onnx")
    export_batched(base, x[:2], onnx)
    data = os.path.join(work, "plateau-train.npz")
    np.savez(data, x=x.numpy(), target=t.numpy())
    # Validation on the training inputs with every label moved on by one:
    # the better the model fits its training labels, the worse it does here.
    val = os.path.join(work, "plateau-val.npz")
    np.savez(val, x=x.numpy(), target=((t + 1) % 3).numpy())
    configs = [
        ("validation loss", ["--val", val, "--lr", "0.5", "--patience", "1", "--factor", "0.5"],
         0.5, 1, 0.5, True),
        # Random labels at a learning rate far too high to settle: the
        # training loss stalls and bounces (3 to 5 reductions in 12 epochs).
        ("training loss", ["--lr", "10", "--patience", "0", "--factor", "0.7"], 10.0, 0, 0.7, False),
    ]
    for what, flags, lr, patience, factor, on_val in configs:
        run = os.path.join(work, "plateau-" + what.split()[0])
        shutil.rmtree(run, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--batch-size", str(batch),
                            "--epochs", str(epochs), "--no-shuffle", "--optimizer", "sgd",
                            "--lr-schedule", "plateau", "--checkpoint", run, "--logdir", run,
                            *flags], capture_output=True, text=True)
        def reference(rng):
            ref = nudged_copy(base, rng) if rng else copy.deepcopy(base)
            opt = torch.optim.SGD(ref.parameters(), lr=lr)
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=factor,
                                                               patience=patience)
            want = []
            for _ in range(epochs):
                losses = []
                for b in range(0, n, batch):
                    want.append(opt.param_groups[0]["lr"])
                    opt.zero_grad()
                    loss = nn.functional.cross_entropy(ref(x[b:b + batch]), t[b:b + batch])
                    loss.backward()
                    opt.step()
                    losses.append(loss.item())
                if on_val:
                    with torch.no_grad():
                        metric = nn.functional.cross_entropy(ref(x), (t + 1) % 3).item()
                else:
                    metric = sum(losses) / len(losses)
                sched.step(metric)
            return ref, want

        ref, want = reference(None)
        # lr 10 on random labels is chaotic: torch against itself with every
        # weight moved by a random ulp drifts 1e-9 in 36 steps on some
        # draws (one weight alone underestimates it: a CI draw differed by
        # 1.6e-9 where that spread was 0), so the parameters are held to
        # RUN_RTOL or ten times the spread of three such draws whose
        # learning rates are all the same as the reference's.
        spread = compare.Worst()
        for draw in range(3):
            nudged, nudged_want = reference(np.random.default_rng(draw))
            if nudged_want != want:
                continue
            for key, p in ref.state_dict().items():
                spread.add(compare.relative_difference(nudged.state_dict()[key].numpy(), p))
        bound = max(RUN_RTOL, 10 * spread.value)
        reductions = sum(1 for a, b in zip(want, want[1:]) if b < a)
        ok, detail = r.returncode == 0, r.stderr[-300:]
        if ok:
            rows = [l.split(",") for l in open(os.path.join(run, "steps.csv")).read().split()[1:]]
            got = [float(row[1]) for row in rows]
            same = compare.close(got, want, 1e-12, 0.0, what="learning rates")
            worst = checkpoint_difference(run, ref)
            ok = reductions >= 2 and same and compare.within(worst, bound)
            detail = ("%d reductions in the reference; %s; parameters max relative difference "
                      "%.1e (bound %.1e; torch against itself after random ulps: %.1e)"
                      % (reductions, same.detail, worst, bound, spread.value))
        check("plateau on the %s reduces the learning rate as torch's ReduceLROnPlateau "
              "(%d steps)" % (what, len(want)), ok, detail)


def val_split_case(lathe, work, gen):
    """--val-split F holds out round(F n) samples, chosen by the seed, and
    validates on exactly those. With lr 0 and batches of 1, each step's
    loss names the training sample it came from; the validation loss must
    be the mean over the samples no step used."""
    n = 40
    x = torch.randn(n, 5, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 3, (n,), generator=gen)
    model = nn.Sequential(nn.Linear(5, 3)).double()
    onnx = os.path.join(work, "split.onnx")
    export_batched(model, x[:2], onnx)
    data = os.path.join(work, "split.npz")
    np.savez(data, x=x.numpy(), target=t.numpy())
    with torch.no_grad():
        per_sample = nn.functional.cross_entropy(model(x), t, reduction="none").numpy()
    splits = {}
    for seed in ("4", "5"):
        run = os.path.join(work, "split-%s" % seed)
        shutil.rmtree(run, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--val-split", "0.25",
                            "--batch-size", "1", "--epochs", "1", "--optimizer", "sgd",
                            "--lr", "0", "--seed", seed, "--logdir", run],
                           capture_output=True, text=True)
        if r.returncode != 0:
            check("--val-split holds out a seeded fraction", False, r.stderr[-300:])
            return
        losses = [float(l.split(",")[2]) for l in
                  open(os.path.join(run, "steps.csv")).read().split()[1:]]
        used = []
        for loss in losses:
            match = np.flatnonzero(np.abs(per_sample - loss) <= 1e-7 * max(1.0, abs(loss)))
            used.append(int(match[0]) if len(match) == 1 else -1)
        held = sorted(set(range(n)) - set(used))
        metrics = open(os.path.join(run, "metrics.csv")).read().split()[1:]
        val_loss = float(metrics[0].split(",")[4]) if metrics else math.nan
        splits[seed] = held
        ok = (len(losses) == 30 and -1 not in used and len(set(used)) == 30
              and len(held) == 10 and "30 training samples, 10 validation" in r.stderr
              # metrics.csv prints the loss with 6 decimals.
              and compare.scalar_close(val_loss, per_sample[held].mean(), 1e-12, 6e-7))
        check("--val-split 0.25 (seed %s) trains on 30 samples and validates on the other 10"
              % seed, ok, "steps %d, samples identified %d, held out %d, val_loss %r vs %r" % (
                  len(losses), len(set(used) - {-1}), len(held), val_loss,
                  float(per_sample[held].mean()) if held else math.nan))
    check("--val-split: another seed holds out other samples", splits.get("4") != splits.get("5"))


def interrupt_cases(lathe, work, gen):
    """Ctrl-C (SIGINT) and SIGTERM during training: the run saves a
    checkpoint of the last finished step and exits with 130; resuming
    from it continues at the next step."""
    import signal
    import time
    n = 64
    data = random_class_data(work, "interrupt", n, gen)
    onnx = os.path.join(work, "interrupt.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3)),
                   torch.zeros(2, 6), onnx)
    for sig in (signal.SIGINT, signal.SIGTERM):
        run = os.path.join(work, "interrupt-%s" % sig.name)
        shutil.rmtree(run, ignore_errors=True)
        args = [lathe, "train", onnx, "--data", data, "--batch-size", "8",
                "--epochs", "1000000", "--checkpoint", run, "--logdir", run]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        steps = os.path.join(run, "steps.csv")
        deadline = time.time() + 60
        # Past the compile, into the steps (and past the first epoch's save).
        while time.time() < deadline and p.poll() is None:
            if os.path.exists(steps) and open(steps).read().count("\n") > 20:
                break
            time.sleep(0.05)
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        logged = open(steps).read().split()[1:] if os.path.exists(steps) else []
        said = [l for l in err.splitlines() if l.startswith("interrupted after step ")]
        step = int(said[0].split()[3].rstrip(";")) if said else -1
        ckpt = os.path.join(run, "checkpoint.safetensors")
        _, meta = read_safetensors(ckpt) if os.path.exists(ckpt) else ({}, {})
        ok = (p.returncode == 130 and step == len(logged) and step > 0
              and meta.get("lathe.step") == str(step))
        check("%s saves the checkpoint of the last step and exits with 130" % sig.name, ok,
              "exit %s, said %r, %d steps logged, checkpoint step %s" % (
                  p.returncode, said[:1], len(logged), meta.get("lathe.step")))
        r = subprocess.run(args + ["--resume", run, "--max-steps", "1"],
                           capture_output=True, text=True)
        logged = open(steps).read().split()[1:] if os.path.exists(steps) else []
        check("a run interrupted by %s resumes at the next step" % sig.name,
              r.returncode == 0 and logged and logged[-1].split(",")[0] == str(step + 1),
              r.stderr[-300:])


def refusal_cases(lathe, work, gen):
    """A checkpoint of another model, optimizer or seed is refused on
    --resume, naming what differs, and left as it was."""
    n = 32
    data = random_class_data(work, "refuse", n, gen)
    onnx = os.path.join(work, "refuse.onnx")
    other = os.path.join(work, "refuse-other.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)), torch.zeros(2, 6), onnx)
    # The same parameter names and shapes, another function.
    export_batched(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), torch.zeros(2, 6), other)
    run = os.path.join(work, "refuse")
    shutil.rmtree(run, ignore_errors=True)
    base = ["--data", data, "--batch-size", "8", "--checkpoint", run]
    r = subprocess.run([lathe, "train", onnx, *base, "--epochs", "1", "--optimizer", "adam",
                        "--seed", "3"], capture_output=True, text=True)
    ckpt = os.path.join(run, "checkpoint.safetensors")
    before = open(ckpt, "rb").read() if r.returncode == 0 else b""
    for what, model, flags, needle in [
            ("another optimizer (adamw for adam)", onnx, ["--optimizer", "adamw", "--seed", "3"],
             "was trained with --optimizer adam, not adamw"),
            ("another optimizer (sgd for adam)", onnx, ["--optimizer", "sgd", "--seed", "3"],
             "this model and optimizer have"),
            ("another seed", onnx, ["--optimizer", "adam", "--seed", "4"],
             "was trained with --seed 3, not 4"),
            ("another model", other, ["--optimizer", "adam", "--seed", "3"],
             "was trained from another model")]:
        r2 = subprocess.run([lathe, "train", model, *base, "--epochs", "2", "--resume", run, *flags],
                            capture_output=True, text=True)
        after = open(ckpt, "rb").read() if os.path.exists(ckpt) else b""
        check("resume refuses a checkpoint of %s, leaving it intact" % what,
              r.returncode == 0 and r2.returncode != 0 and needle in r2.stderr
              and after == before and len(before) > 0,
              r2.stderr.strip().splitlines()[-1] if r2.stderr.strip() else r.stderr[-200:])


def class_label_refusals(lathe, work, gen):
    """Class targets outside the model's classes (torch's "Target 3 is out
    of bounds") are refused before training, naming the sample; the
    ignore-index is a valid target."""
    onnx = os.path.join(work, "labels.onnx")
    export_batched(nn.Linear(6, 3), torch.zeros(2, 6), onnx)
    x = torch.randn(16, 6, generator=gen).numpy()
    for what, labels, flags, said in [
            ("a label equal to the class count", [0, 1, 2, 3], [],
             "holds class 3 at sample 3; the model has 3 classes (0 to 2, or ignore-index -100)"),
            ("a negative label", [0, -1, 2, 1], [], "holds class -1 at sample 1"),
            ("a label in the validation data", [0, 1, 2, 1], ["--val", "bad"],
             "the validation data: 'target' holds class 7 at sample 0"),
            ("the ignore-index", [0, 5, 2, 1], ["--ignore-index", "5"], None)]:
        t = np.array((labels * 4)[:16], dtype=np.int64)
        data = os.path.join(work, "labels.npz")
        np.savez(data, x=x, target=t)
        if "--val" in flags:
            bad = os.path.join(work, "labels-val.npz")
            np.savez(bad, x=x[:8], target=np.full(8, 7, dtype=np.int64))
            flags = ["--val", bad]
        run = os.path.join(work, "labels-run")
        shutil.rmtree(run, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--batch-size", "4",
                            "--epochs", "1", "--checkpoint", run, *flags],
                           capture_output=True, text=True)
        if said:
            check("train refuses %s, before writing anything" % what,
                  r.returncode != 0 and said in r.stderr and not os.path.exists(run),
                  r.stderr.strip()[-300:])
        else:
            check("train takes %s as a target" % what, r.returncode == 0, r.stderr[-300:])


def hyperparameter_refusals(lathe, work, gen):
    """Hyperparameters torch refuses are refused before training, with a
    message naming the option, and nothing is written."""
    data = random_class_data(work, "refuse-hyper", 16, gen)
    onnx = os.path.join(work, "refuse-hyper.onnx")
    export_batched(nn.Linear(6, 3), torch.zeros(2, 6), onnx)
    cases = [
        (["--lr", "-0.1"], "--lr: must not be negative"),
        (["--optimizer", "adam", "--beta1", "1"], "option 'beta1' must be in [0, 1) for adam (got 1)"),
        (["--optimizer", "adamw", "--beta2", "-0.5"], "option 'beta2' must be in [0, 1) for adamw (got -0.5)"),
        (["--optimizer", "rprop", "--eta-plus", "0.9"], "option 'eta-plus' must be above 1 for rprop (got 0.9)"),
        (["--optimizer", "rprop", "--eta-minus", "1"], "option 'eta-minus' must be in (0, 1) for rprop (got 1)"),
        (["--optimizer", "asgd", "--lambd", "-1"], "--lambd: must not be negative"),
        (["--optimizer", "sgd", "--nesterov"], "option 'nesterov' needs a positive 'momentum'"),
        (["--lr-schedule", "lambda", "--lr-lambda", "0.9^(epoch"],
         "option 'lr-lambda': column 11: expected ')' in \"0.9^(epoch\""),
        (["--lr-schedule", "sequential", "--schedules", "linear; cosine"],
         "lr-schedule sequential: 2 schedules need 1 milestones (option 'milestones'), not 0"),
    ]
    for flags, said in cases:
        run = os.path.join(work, "refuse-hyper-run")
        shutil.rmtree(run, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--checkpoint", run, *flags],
                           capture_output=True, text=True)
        check("train %s is refused naming the option" % " ".join(flags),
              r.returncode != 0 and said in r.stderr and not os.path.exists(run),
              r.stderr.strip()[-300:])


def export_model_case(lathe, work, gen):
    """lathe export --model: the checkpoint's recorded ONNX path is gone
    (the run folder or the model moved); without --model the export says
    so, with it the trained values land in the named model."""
    n = 32
    data = random_class_data(work, "moved", n, gen)
    first = os.path.join(work, "moved-first.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3)), torch.zeros(2, 6), first)
    run = os.path.join(work, "moved")
    shutil.rmtree(run, ignore_errors=True)
    r = subprocess.run([lathe, "train", first, "--data", data, "--batch-size", "8", "--epochs", "2",
                        "--checkpoint", run], capture_output=True, text=True)
    moved = os.path.join(work, "moved-later.onnx")
    if os.path.exists(first):
        os.replace(first, moved)
    out = os.path.join(work, "moved-trained.onnx")
    if os.path.exists(out):
        os.remove(out)
    r1 = subprocess.run([lathe, "export", run, "-o", out], capture_output=True, text=True)
    check("export names a checkpoint's model that no longer exists, and suggests --model",
          r.returncode == 0 and r1.returncode != 0 and "moved-first.onnx" in r1.stderr
          and "--model" in r1.stderr
          and not os.path.exists(out), r1.stderr.strip()[-300:])
    r2 = subprocess.run([lathe, "export", run, "-o", out, "--model", moved],
                        capture_output=True, text=True)
    ok = r2.returncode == 0
    detail = r2.stderr.strip()[-300:]
    if ok:
        import onnx as onnx_lib
        from onnx import numpy_helper
        tensors, _ = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
        inits = {i.name: numpy_helper.to_array(i).tobytes() for i in onnx_lib.load(out).graph.initializer}
        names = [k for k in tensors if k in inits]
        ok = len(names) == 4 and all(inits[k] == tensors[k] for k in names)
        detail = "%d parameters written bit for bit" % len(names)
    check("export --model writes the trained parameters into the named model", ok, detail)
    # --averaged: ASGD's averages, not the last parameters; refused for a
    # run whose optimizer keeps none.
    r3 = subprocess.run([lathe, "export", run, "-o", out, "--model", moved, "--averaged"],
                        capture_output=True, text=True)
    check("export --averaged of an SGD run is refused, naming asgd",
          r3.returncode != 0 and "asgd" in r3.stderr, r3.stderr.strip()[-300:])
    asgd = os.path.join(work, "moved-asgd")
    shutil.rmtree(asgd, ignore_errors=True)
    r4 = subprocess.run([lathe, "train", moved, "--data", data, "--batch-size", "8", "--epochs", "3",
                         "--optimizer", "asgd", "--asgd-t0", "4", "--lr", "0.1",
                         "--checkpoint", asgd], capture_output=True, text=True)
    averaged = os.path.join(work, "moved-averaged.onnx")
    r5 = subprocess.run([lathe, "export", asgd, "-o", averaged, "--averaged"],
                        capture_output=True, text=True)
    ok = r4.returncode == 0 and r5.returncode == 0
    detail = (r4.stderr + r5.stderr).strip()[-300:]
    if ok:
        import onnx as onnx_lib
        from onnx import numpy_helper
        tensors, _ = read_safetensors(os.path.join(asgd, "checkpoint.safetensors"))
        inits = {i.name: numpy_helper.to_array(i).tobytes()
                 for i in onnx_lib.load(averaged).graph.initializer}
        names = [k for k in inits if k + ".ax" in tensors]
        ok = (len(names) == 4 and all(inits[k] == tensors[k + ".ax"] for k in names)
              and any(tensors[k + ".ax"] != tensors[k] for k in names))
        detail = "%d averaged parameters written bit for bit" % len(names)
    check("export --averaged writes ASGD's averaged parameters", ok, detail)


def moved_folder_case(lathe, work, gen):
    """A run folder moves with its model (another path, as on another
    machine): export finds the model through the path recorded relative
    to the folder, and --resume continues to the parameters of a run that
    never moved, bit for bit. A model gone from both recorded places, or
    replaced by another, is named in the error."""
    n = 32
    project = os.path.join(work, "project-here")
    there = os.path.join(work, "project-there")
    for d in (project, there):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(project)
    data = random_class_data(project, "data", n, gen)
    model = os.path.join(project, "model.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3)), torch.zeros(2, 6), model)
    common = ["--batch-size", "8", "--optimizer", "adam", "--lr", "0.01"]
    straight = os.path.join(work, "moved-straight")
    shutil.rmtree(straight, ignore_errors=True)
    r0 = subprocess.run([lathe, "train", model, "--data", data, "--epochs", "3",
                         "--checkpoint", straight] + common, capture_output=True, text=True)
    # Relative arguments, from the project folder, as a user types them.
    r1 = subprocess.run([lathe, "train", "model.onnx", "--data", "data.npz", "--epochs", "3",
                         "--max-steps", "8", "--checkpoint", "runs/m"] + common,
                        capture_output=True, text=True, cwd=project)
    before = os.path.join(work, "moved-before.onnx")
    r2 = subprocess.run([lathe, "export", os.path.join(project, "runs", "m"), "-o", before],
                        capture_output=True, text=True)
    shutil.move(project, there)
    run = os.path.join(there, "runs", "m")
    after = os.path.join(work, "moved-after.onnx")
    r3 = subprocess.run([lathe, "export", run, "-o", after], capture_output=True, text=True)
    ok = all(r.returncode == 0 for r in (r0, r1, r2, r3))
    check("a moved run folder exports without --model (the model found beside it)",
          ok and open(before, "rb").read() == open(after, "rb").read(),
          "".join(r.stderr for r in (r0, r1, r2, r3)).strip()[-400:])
    r4 = subprocess.run([lathe, "train", os.path.join(there, "model.onnx"), "--data",
                         os.path.join(there, "data.npz"), "--epochs", "3", "--resume", run] + common,
                        capture_output=True, text=True)
    moved_params, _ = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
    straight_params, _ = read_safetensors(os.path.join(straight, "checkpoint.safetensors"))
    names = list(straight_params)
    check("a moved run folder resumes to the parameters of a run that never moved, bit for bit",
          r4.returncode == 0 and "resumed from" in r4.stderr and names and
          all(moved_params.get(k) == straight_params[k] for k in names),
          r4.stderr.strip()[-400:])
    # Only the run folder is copied on; the model stays behind, renamed.
    shutil.rmtree(os.path.join(work, "moved-elsewhere"), ignore_errors=True)
    elsewhere = os.path.join(work, "moved-elsewhere", "runs", "m")
    shutil.copytree(run, elsewhere)
    os.replace(os.path.join(there, "model.onnx"), os.path.join(there, "renamed.onnx"))
    out = os.path.join(work, "moved-missing.onnx")
    for f in (out, out + ".other"):
        if os.path.exists(f):
            os.remove(f)
    r5 = subprocess.run([lathe, "export", elsewhere, "-o", out], capture_output=True, text=True)
    check("export of a folder whose model is gone names the places tried and --model",
          r5.returncode != 0 and r5.stderr.count("does not exist") == 2 and
          "--model" in r5.stderr and not os.path.exists(out), r5.stderr.strip()[-400:])
    r6 = subprocess.run([lathe, "export", elsewhere, "-o", out, "--model",
                         os.path.join(there, "renamed.onnx")], capture_output=True, text=True)
    check("export --model of the copied folder writes the trained model",
          r6.returncode == 0 and os.path.exists(out), r6.stderr.strip()[-400:])
    # Another model where the record points.
    export_batched(nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)), torch.zeros(2, 6),
                   os.path.join(there, "model.onnx"))
    r7 = subprocess.run([lathe, "export", run, "-o", out + ".other"], capture_output=True,
                        text=True)
    check("export refuses another model at the recorded place (its content differs)",
          r7.returncode != 0 and "content differs" in r7.stderr and
          not os.path.exists(out + ".other"), r7.stderr.strip()[-400:])


def resume_within_epoch_case(lathe, work, gen):
    """A run stopped within an epoch and resumed reports that epoch's loss
    and accuracy over all its steps, as a run never stopped does (the
    checkpoint keeps the epoch's tally), and a plateau schedule without
    validation, which observes that loss, ends on the same parameters."""
    data = random_class_data(work, "within", 32, gen)
    model = os.path.join(work, "within.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)), torch.zeros(2, 6), model)
    common = [model, "--data", data, "--batch-size", "8", "--epochs", "6", "--optimizer", "sgd",
              "--lr", "3", "--lr-schedule", "plateau", "--patience", "0", "--factor", "0.5"]
    runs = {}
    for name in ("within-straight", "within-stopped"):
        for d in (name, name + "-log"):
            shutil.rmtree(os.path.join(work, d), ignore_errors=True)
        runs[name] = (os.path.join(work, name), os.path.join(work, name + "-log"))
    straight, stopped = runs["within-straight"], runs["within-stopped"]
    r0 = subprocess.run([lathe, "train"] + common + ["--checkpoint", straight[0], "--logdir", straight[1]],
                        capture_output=True, text=True)
    # 4 steps per epoch: the stop falls after the first step of epoch 3.
    r1 = subprocess.run([lathe, "train"] + common + ["--checkpoint", stopped[0], "--logdir", stopped[1],
                                                     "--max-steps", "9"], capture_output=True, text=True)
    r2 = subprocess.run([lathe, "train"] + common + ["--resume", stopped[0], "--logdir", stopped[1]],
                        capture_output=True, text=True)

    def epochs(log):
        with open(os.path.join(log, "metrics.csv")) as f:
            return [",".join(line.split(",")[:4]) for line in f.read().splitlines()[1:]]
    ran = all(r.returncode == 0 for r in (r0, r1, r2))
    detail = "".join(r.stderr for r in (r0, r1, r2)).strip()[-400:]
    ok = False
    if ran:
        detail = "straight %s; resumed %s" % (epochs(straight[1]), epochs(stopped[1]))
        ok = len(epochs(straight[1])) == 6 and epochs(straight[1]) == epochs(stopped[1])
    check("a run resumed within an epoch logs every epoch's loss, lr and accuracy as a run never stopped",
          ok, detail)
    a, _ = read_safetensors(os.path.join(straight[0], "checkpoint.safetensors")) if ran else ({}, {})
    b, _ = read_safetensors(os.path.join(stopped[0], "checkpoint.safetensors")) if ran else ({}, {})
    check("plateau without validation, resumed within an epoch, ends on the same parameters bit for bit",
          ran and a and a == b, detail)


def trainer_api_cases(lathe, rt, work, gen):
    """The trainer's C calls through ctypes: save and load (bit-exact,
    refusing another build's checkpoint), set_hyper (a momentum changed
    mid-run, as changing torch's param_groups; lr and step refused)."""
    base = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    xs = torch.randn(12, 4, 5, generator=gen, dtype=torch.float64)
    ts = torch.randint(0, 3, (12, 4), generator=gen)
    onnx = os.path.join(work, "api.onnx")
    export(base, xs[0], onnx)
    so = os.path.join(work, "api-sgd.so")
    compile_train(lathe, onnx, so, "--optimizer", "sgd", "--momentum", "0.9", "--momentum-hyper")
    module = rt.load(so)
    trainer = rt.trainer(module)
    batch = lambda i: [xs[i].numpy(), ts[i].numpy()]  # noqa: E731
    failed_without = True
    try:
        rt.step(module, trainer, 0.1, batch(0))
        failed_without = False
    except RuntimeError as e:
        failed_without = "momentum" in str(e)
    check("a step whose hyperparameter was never set fails, naming it", failed_without)
    refused = []
    for name in ("lr", "step"):
        try:
            rt.set_hyper(trainer, name, 0.5)
        except RuntimeError as e:
            refused.append(str(e))
    check("set_hyper refuses lr and step", len(refused) == 2, "; ".join(refused))
    try:
        rt.set_hyper(trainer, "momentun", 0.5)
        typo = ""
    except RuntimeError as e:
        typo = str(e)
    check("set_hyper refuses a name the build's steps do not take", "momentun" in typo, typo)
    ref = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    ref.load_state_dict(base.state_dict())
    opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    rt.set_hyper(trainer, "momentum", 0.9)
    for i in range(12):
        if i == 6:
            rt.set_hyper(trainer, "momentum", 0.5)
            opt.param_groups[0]["momentum"] = 0.5
        rt.step(module, trainer, 0.1, batch(i))
        opt.zero_grad()
        nn.functional.cross_entropy(ref(xs[i]), ts[i]).backward()
        opt.step()
    got = rt.params(module, trainer)
    worst = compare.Worst()
    for key, p in ref.state_dict().items():
        worst.add(compare.relative_difference(got.get(key), p))
    check("set_hyper changes the momentum from the next step on, as torch's param_groups",
          worst.within(RUN_RTOL), "max relative difference %.1e" % worst.value)
    # save, then load into a fresh trainer: the same parameters, state and
    # step count, so that both continue identically.
    path = os.path.join(work, "api.safetensors")
    rt.save(trainer, path)
    other = rt.trainer(module)
    status = rt.load_checkpoint(other, path)
    same = status == 0 and rt.lib.lathe_trainer_steps(other) == rt.lib.lathe_trainer_steps(trainer)
    a, b = rt.params(module, trainer), rt.params(module, other)
    same = same and all(compare.bits_equal(a[k], b[k]) for k in a)
    rt.set_hyper(other, "momentum", 0.5)
    rt.step(module, trainer, 0.1, batch(0))
    rt.step(module, other, 0.1, batch(0))
    a, b = rt.params(module, trainer), rt.params(module, other)
    same = same and all(compare.bits_equal(a[k], b[k]) for k in a)
    check("save and load round-trip a trainer bit for bit (the next step included)", same,
          "status %d" % status)
    adam = os.path.join(work, "api-adam.so")
    compile_train(lathe, onnx, adam, "--optimizer", "adam")
    adam_trainer = rt.trainer(rt.load(adam))
    status = rt.load_checkpoint(adam_trainer, path)
    check("load refuses the checkpoint of another build (SGD's state into Adam's)",
          status != 0 and "not a valid checkpoint" in rt.error(), rt.error())
    # The metadata (the step count here; epoch, batch and options in a run's
    # checkpoint) is under a checksum too: one digit changed is refused.
    with open(path, "rb") as f:
        blob = f.read()
    steps = rt.lib.lathe_trainer_steps(trainer) - 1  # (as saved)
    was = b'"lathe.step":"%d"' % steps
    now = b'"lathe.step":"%d"' % (steps + 1 if (steps + 1) % 10 else steps - 1)
    tampered = os.path.join(work, "api-tampered.safetensors")
    with open(tampered, "wb") as f:
        f.write(blob.replace(was, now))
    status = rt.load_checkpoint(rt.trainer(module), tampered)
    check("load refuses a checkpoint whose metadata was changed",
          was in blob and len(was) == len(now) and status != 0
          and "checksum mismatch in its metadata" in rt.error(), rt.error())


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
        ok = (len(losses) == 6 and compare.within(worst, RUN_RTOL)
              and compare.close(logged, losses, 1e-8, 0.0))
        detail = "%d steps (2 full + 1 partial per epoch), max relative difference %.1e" % (
            len(logged), worst)
    check("--keep-last trains the partial batch as PyTorch's drop_last=False", ok, detail)

    # numpy.savez_compressed data trains exactly as numpy.savez data; a
    # corrupted compressed member is one clear error.
    plain, packed = os.path.join(work, "plain.npz"), os.path.join(work, "packed.npz")
    np.savez(plain, x=x.numpy(), target=t.numpy())
    np.savez_compressed(packed, x=x.numpy(), target=t.numpy())
    outs = {}
    for name, data in (("plain", plain), ("packed", packed)):
        folder = os.path.join(work, "npz-" + name)
        shutil.rmtree(folder, ignore_errors=True)
        r = subprocess.run([lathe, "train", onnx, "--data", data, "--batch-size", str(batch),
                            "--epochs", "2", "--optimizer", "adam", "--checkpoint", folder],
                           capture_output=True, text=True)
        outs[name] = (r, read_safetensors(os.path.join(folder, "checkpoint.safetensors"))[0]
                      if r.returncode == 0 else {})
    check("numpy.savez_compressed data trains as numpy.savez data, bit for bit",
          outs["plain"][1] and outs["plain"][1] == outs["packed"][1],
          outs["plain"][0].stderr[-300:] + outs["packed"][0].stderr[-300:])
    with open(packed, "rb") as f:
        raw = bytearray(f.read())
    with zipfile.ZipFile(packed) as z:
        info = z.getinfo("x.npy")
    # A byte in the middle of x's deflated data.
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    raw[at] ^= 0x5A
    broken = os.path.join(work, "broken.npz")
    with open(broken, "wb") as f:
        f.write(raw)
    r = subprocess.run([lathe, "train", onnx, "--data", broken, "--batch-size", str(batch),
                        "--epochs", "1"], capture_output=True, text=True)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    check("a corrupted savez_compressed member is one clear error naming it",
          r.returncode != 0 and len(lines) == 1 and "broken.npz" in r.stderr and
          "x.npy" in r.stderr and ("CRC-32" in r.stderr or "deflate" in r.stderr), r.stderr)


def kill_cases(lathe, work, gen):
    """SIGKILL at random moments of a run that checkpoints every epoch
    (3 steps): the checkpoint on disk is always complete, so that a resume
    from it succeeds, and its step never goes back (nothing is lost beyond
    the last checkpoint). LATHE_KILLS kills (30 by default; a long run:
    LATHE_KILLS=300)."""
    import json
    import random
    import signal
    import time
    n = 48
    data = random_class_data(work, "kill", n, gen)
    onnx = os.path.join(work, "kill.onnx")
    export_batched(nn.Sequential(nn.Linear(6, 64), nn.ReLU(), nn.Linear(64, 3)),
                   torch.zeros(2, 6), onnx)
    run = os.path.join(work, "kill")
    shutil.rmtree(run, ignore_errors=True)
    base = [lathe, "train", onnx, "--data", data, "--batch-size", "16", "--checkpoint", run]
    rnd = random.Random(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
    kills, bad, last_step = 0, [], -1

    def saved_step(path):
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            return int(json.loads(f.read(size))["__metadata__"]["lathe.step"])

    for i in range(int(os.environ.get("LATHE_KILLS", "30"))):
        ckpt = os.path.join(run, "checkpoint.safetensors")
        # Resume from the previous kill's checkpoint when there is one.
        args = base + ["--epochs", "1000000"] + (["--resume", run] if os.path.exists(ckpt) else [])
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Past the compile, into the checkpoint writes: once this run has
        # written a checkpoint (however long a loaded machine takes to
        # compile), then at a random moment within the next second.
        started = os.path.getmtime(ckpt) if os.path.exists(ckpt) else None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(ckpt) and os.path.getmtime(ckpt) != started:
                break
            time.sleep(0.01)
        time.sleep(rnd.uniform(0, 1.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        if not os.path.exists(ckpt):
            bad.append("kill %d: no checkpoint" % i)
            continue
        step = saved_step(ckpt)
        if step < last_step:
            bad.append("kill %d: the checkpoint went back from step %d to %d"
                       % (i, last_step, step))
        last_step = step
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


def main(seed):
    lathe, library, examples, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(seed)
    rt = lathe_rt.Runtime(library)
    cases = [
        (gradient_cases, (lathe, rt, work, gen)),
        (dropout_cases, (lathe, rt, work, gen)),
        (resnet_case, (lathe, rt, work, gen)),
        (optimizer_cases, (lathe, rt, work, gen)),
        (tied_weight_case, (lathe, rt, work, gen)),
        (sparse_adam_cases, (lathe, rt, work, gen)),
        (lbfgs_cases, (lathe, rt, work, gen)),
        (schedule_cases, (lathe, work, gen)),
        (momentum_cycle_cases, (lathe, work, gen)),
        (data_cases, (lathe, work, gen)),
        (idx_cases, (lathe, examples, work)),
        (kill_cases, (lathe, work, gen)),
        (plateau_cases, (lathe, work, gen)),
        (val_split_case, (lathe, work, gen)),
        (interrupt_cases, (lathe, work, gen)),
        (refusal_cases, (lathe, work, gen)),
        (hyperparameter_refusals, (lathe, work, gen)),
        (class_label_refusals, (lathe, work, gen)),
        (export_model_case, (lathe, work, gen)),
        (moved_folder_case, (lathe, work, gen)),
        (resume_within_epoch_case, (lathe, work, gen)),
        (trainer_api_cases, (lathe, rt, work, gen)),
        (cli_cases, (lathe, examples, work)),
    ]
    # While developing: CHECK_TRAIN_ONLY=schedule_cases,optimizer_cases runs
    # only those (CI runs them all).
    only = [c for c in os.environ.get("CHECK_TRAIN_ONLY", "").split(",") if c]
    for case, args in cases:
        if not only or case.__name__ in only:
            case(*args)
    for name in FAILED:
        print("failed: " + name)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
