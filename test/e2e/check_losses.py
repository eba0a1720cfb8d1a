"""Every torch.nn criterion of `lathe compile --train --loss`, against PyTorch,
and `lathe train` with criteria of several inputs (ctc) and none (triplet).

Usage: check_losses.py LATHE RUNTIME_LIBRARY WORK_DIR

Each case is a model y_i = f(x_i * s) (f: identity, log_softmax or sigmoid;
s a scalar parameter equal to 1) on fresh random inputs, compiled with
`--train --gradient --gradient-inputs` and the criterion's options. The
`gradient` entry point's loss and its gradients with respect to the inputs
are compared with torch.nn.functional's loss and autograd (float64
reference, float32 Lathe): |lathe - torch| <= ATOL + RTOL |torch|.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

import compare
import lathe_rt

RTOL, ATOL = 2e-4, 2e-5


def model(path, shapes, head):
    """ONNX model: inputs x0.. of |shapes|, outputs y_i = head(x_i * s)."""
    nodes, inputs, outputs = [], [], []
    s = numpy_helper.from_array(np.array(1.0, np.float32), "s")
    for i, shape in enumerate(shapes):
        x, scaled, y = "x%d" % i, "scaled%d" % i, "y%d" % i
        inputs.append(helper.make_tensor_value_info(x, TensorProto.FLOAT, shape))
        nodes.append(helper.make_node("Mul", [x, "s"], [scaled if head else y]))
        if head == "log_softmax":
            nodes.append(helper.make_node("LogSoftmax", [scaled], [y], axis=len(shape) - 1))
        elif head == "log_softmax1":
            nodes.append(helper.make_node("LogSoftmax", [scaled], [y], axis=1))
        elif head == "sigmoid":
            nodes.append(helper.make_node("Sigmoid", [scaled], [y]))
        outputs.append(helper.make_tensor_value_info(y, TensorProto.FLOAT, shape))
    graph = helper.make_graph(nodes, "criterion", inputs, outputs, [s])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def head_torch(head, x):
    if head == "log_softmax":
        return F.log_softmax(x, dim=-1)
    if head == "log_softmax1":
        return F.log_softmax(x, dim=1)
    if head == "sigmoid":
        return torch.sigmoid(x)
    return x


SEED = compare.seed()
rng = np.random.default_rng(SEED)


def normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def signs(*shape):
    return rng.choice([-1.0, 1.0], shape).astype(np.float32)


def classes(n, *shape):
    return rng.integers(0, n, shape).astype(np.int64)


def probabilities(*shape):
    # Some exact zeros, never a whole row of them (0 / 0 would make the
    # reference itself NaN).
    keep = rng.random(shape) > 0.2
    first = np.zeros(shape, bool)
    first[..., 0] = True
    keep |= first & ~keep.any(-1, keepdims=True)
    p = (rng.random(shape) + 0.01) * keep
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


def multilabel_targets(n, c):
    t = np.full((n, c), -1, np.int64)
    for row in range(n):
        k = rng.integers(0, c)
        t[row, :k] = rng.permutation(c)[:k]
        t[row, k + 1:] = rng.integers(0, c, c - k - 1)  # ignored after the -1
    return t


W5 = [0.5, 1.0, 2.0, 0.25, 1.5]


def ctc_targets(blank, lengths, s, c):
    labels = [k for k in range(c) if k != blank]
    t = rng.choice(labels, (len(lengths), s)).astype(np.int64)
    return t


# (name, flags, head, input shapes, make inputs, make targets, torch loss)
CASES = []


def case(name, flags, head, shapes, make_x, make_t, ref):
    CASES.append((name, flags, head, shapes, make_x, make_t, ref))


def tt(a):
    return torch.from_numpy(np.asarray(a))


N, C = 6, 5
case("cross_entropy_weight_smoothing_ignore",
     ["--loss", "cross_entropy", "--class-weight", ",".join(map(str, W5)),
      "--label-smoothing", "0.15", "--ignore-index", "2"], None, [(N, C)],
     lambda: [normal(N, C) * 2], lambda: [classes(C, N)],
     lambda y, t: F.cross_entropy(y[0], tt(t[0]), weight=tt(W5).double(),
                                  ignore_index=2, label_smoothing=0.15))
case("cross_entropy_sum_spatial",
     ["--loss", "cross_entropy", "--reduction", "sum", "--label-smoothing", "0.3"],
     None, [(3, 4, 2, 3)], lambda: [normal(3, 4, 2, 3)], lambda: [classes(4, 3, 2, 3)],
     lambda y, t: F.cross_entropy(y[0], tt(t[0]), reduction="sum", label_smoothing=0.3))
case("cross_entropy_spatial_weight_mean",
     ["--loss", "cross_entropy", "--class-weight", "1,0.5,3,2", "--label-smoothing", "0.1",
      "--ignore-index", "0"],
     None, [(3, 4, 2, 3)], lambda: [normal(3, 4, 2, 3)], lambda: [classes(4, 3, 2, 3)],
     lambda y, t: F.cross_entropy(y[0], tt(t[0]), weight=tt([1, 0.5, 3, 2]).double(),
                                  ignore_index=0, label_smoothing=0.1))
case("nll_weight_ignore", ["--loss", "nll", "--class-weight", ",".join(map(str, W5)),
                           "--ignore-index", "1"],
     "log_softmax", [(N, C)], lambda: [normal(N, C)], lambda: [classes(C, N)],
     lambda y, t: F.nll_loss(y[0], tt(t[0]), weight=tt(W5).double(), ignore_index=1))
case("mse", ["--loss", "mse"], None, [(N, 3)], lambda: [normal(N, 3)], lambda: [normal(N, 3)],
     lambda y, t: F.mse_loss(y[0], tt(t[0]).double()))
case("l1_sum", ["--loss", "l1", "--reduction", "sum"], None, [(N, 3)], lambda: [normal(N, 3)],
     lambda: [normal(N, 3)], lambda y, t: F.l1_loss(y[0], tt(t[0]).double(), reduction="sum"))
case("smooth_l1_beta", ["--loss", "smooth_l1", "--beta", "0.5"], None, [(N, 4)],
     lambda: [normal(N, 4)], lambda: [normal(N, 4)],
     lambda y, t: F.smooth_l1_loss(y[0], tt(t[0]).double(), beta=0.5))
case("huber_delta", ["--loss", "huber", "--delta", "0.8"], None, [(N, 4)],
     lambda: [normal(N, 4) * 2], lambda: [normal(N, 4)],
     lambda y, t: F.huber_loss(y[0], tt(t[0]).double(), delta=0.8))
case("soft_margin", ["--loss", "soft_margin"], None, [(N, 4)], lambda: [normal(N, 4) * 3],
     lambda: [signs(N, 4)], lambda y, t: F.soft_margin_loss(y[0], tt(t[0]).double()))
case("kl_div_batchmean", ["--loss", "kl_div", "--reduction", "batchmean"], "log_softmax",
     [(N, C)], lambda: [normal(N, C)], lambda: [probabilities(N, C)],
     lambda y, t: F.kl_div(y[0], tt(t[0]).double(), reduction="batchmean"))
case("kl_div_log_target", ["--loss", "kl_div", "--log-target", "--reduction", "sum"],
     "log_softmax", [(N, C)], lambda: [normal(N, C)],
     lambda: [np.log(probabilities(N, C) + 0.01).astype(np.float32)],
     lambda y, t: F.kl_div(y[0], tt(t[0]).double(), reduction="sum", log_target=True))
case("poisson_nll_full", ["--loss", "poisson_nll", "--full"], None, [(N, 4)],
     lambda: [normal(N, 4)], lambda: [rng.poisson(2.0, (N, 4)).astype(np.float32)],
     lambda y, t: F.poisson_nll_loss(y[0], tt(t[0]).double(), full=True))
case("poisson_nll_rate_eps", ["--loss", "poisson_nll", "--no-log-input", "--loss-eps", "0.01"],
     None, [(N, 4)], lambda: [rng.random((N, 4)).astype(np.float32) * 3 + 0.05],
     lambda: [rng.poisson(1.5, (N, 4)).astype(np.float32)],
     lambda y, t: F.poisson_nll_loss(y[0], tt(t[0]).double(), log_input=False, eps=0.01))
case("hinge_embedding", ["--loss", "hinge_embedding", "--margin", "0.7"], None, [(N, 4)],
     lambda: [normal(N, 4)], lambda: [signs(N, 4)],
     lambda y, t: F.hinge_embedding_loss(y[0], tt(t[0]).double(), margin=0.7))
case("bce_weight", ["--loss", "bce", "--class-weight", "0.5,2,1"], "sigmoid", [(N, 3)],
     lambda: [normal(N, 3) * 3], lambda: [rng.random((N, 3)).astype(np.float32)],
     lambda y, t: F.binary_cross_entropy(y[0], tt(t[0]).double(), weight=tt([0.5, 2, 1]).double()))
case("bce_with_logits_pos_weight", ["--loss", "bce_with_logits", "--pos-weight", "2.5",
                                    "--class-weight", "1,3,0.5", "--reduction", "sum"],
     None, [(N, 3)], lambda: [normal(N, 3) * 4], lambda: [rng.random((N, 3)).astype(np.float32)],
     lambda y, t: F.binary_cross_entropy_with_logits(
         y[0], tt(t[0]).double(), weight=tt([1, 3, 0.5]).double(),
         pos_weight=torch.full((3,), 2.5, dtype=torch.float64), reduction="sum"))
case("multilabel_soft_margin_weight",
     ["--loss", "multilabel_soft_margin", "--class-weight", ",".join(map(str, W5))],
     None, [(N, C)], lambda: [normal(N, C) * 2], lambda: [(rng.random((N, C)) > 0.5).astype(np.float32)],
     lambda y, t: F.multilabel_soft_margin_loss(y[0], tt(t[0]).double(), weight=tt(W5).double()))
case("multi_margin", ["--loss", "multi_margin"], None, [(N, C)], lambda: [normal(N, C)],
     lambda: [classes(C, N)], lambda y, t: F.multi_margin_loss(y[0], tt(t[0])))
case("multi_margin_p2_weight", ["--loss", "multi_margin", "--p", "2", "--margin", "0.6",
                                "--class-weight", ",".join(map(str, W5)), "--reduction", "sum"],
     None, [(N, C)], lambda: [normal(N, C)], lambda: [classes(C, N)],
     lambda y, t: F.multi_margin_loss(y[0], tt(t[0]), p=2, margin=0.6,
                                      weight=tt(W5).double(), reduction="sum"))
case("multilabel_margin", ["--loss", "multilabel_margin"], None, [(N, C)],
     lambda: [normal(N, C)], lambda: [multilabel_targets(N, C)],
     lambda y, t: F.multilabel_margin_loss(y[0], tt(t[0])))
case("margin_ranking", ["--loss", "margin_ranking", "--margin", "0.3"], None, [(N,), (N,)],
     lambda: [normal(N), normal(N)], lambda: [signs(N)],
     lambda y, t: F.margin_ranking_loss(y[0], y[1], tt(t[0]).double(), margin=0.3))
case("cosine_embedding", ["--loss", "cosine_embedding", "--margin", "0.2"], None,
     [(N, 4), (N, 4)], lambda: [normal(N, 4), normal(N, 4)], lambda: [signs(N)],
     lambda y, t: F.cosine_embedding_loss(y[0], y[1], tt(t[0]).double(), margin=0.2))
case("triplet_margin", ["--loss", "triplet_margin"], None, [(N, 4)] * 3,
     lambda: [normal(N, 4), normal(N, 4), normal(N, 4)], lambda: [],
     lambda y, t: F.triplet_margin_loss(y[0], y[1], y[2]))
case("triplet_margin_p1_swap", ["--loss", "triplet_margin", "--p", "1", "--swap",
                                "--margin", "2", "--reduction", "sum"], None, [(N, 4)] * 3,
     lambda: [normal(N, 4), normal(N, 4), normal(N, 4)], lambda: [],
     lambda y, t: F.triplet_margin_loss(y[0], y[1], y[2], p=1, swap=True, margin=2.0,
                                        reduction="sum"))
case("triplet_margin_p3_eps", ["--loss", "triplet_margin", "--p", "3", "--loss-eps", "0.01"],
     None, [(N, 4)] * 3, lambda: [normal(N, 4), normal(N, 4), normal(N, 4)], lambda: [],
     lambda y, t: F.triplet_margin_loss(y[0], y[1], y[2], p=3, eps=0.01))

T, B, K = 12, 3, 5
case("ctc_mean", ["--loss", "ctc", "--target-length", "4"], "log_softmax", [(T, B, K)],
     lambda: [normal(T, B, K)],
     lambda: [ctc_targets(0, [4, 2, 3], 4, K), np.array([12, 9, 6], np.int64),
              np.array([4, 2, 0], np.int64)],
     lambda y, t: F.ctc_loss(y[0], tt(t[0]), tt(t[1]), tt(t[2])))
case("ctc_sum_blank_last", ["--loss", "ctc", "--blank", "4", "--reduction", "sum"],
     "log_softmax", [(T, B, K)], lambda: [normal(T, B, K)],
     lambda: [ctc_targets(4, [5, 3, 12], T, K), np.array([12, 11, 12], np.int64),
              np.array([5, 3, 1], np.int64)],
     lambda y, t: F.ctc_loss(y[0], tt(t[0]), tt(t[1]), tt(t[2]), blank=4, reduction="sum"))
# Sample 2 repeats one label 4 times: it needs 7 steps and has 5.
case("ctc_zero_infinity", ["--loss", "ctc", "--zero-infinity", "--target-length", "4"],
     "log_softmax", [(T, B, K)], lambda: [normal(T, B, K)],
     lambda: [np.array([[1, 2, 3, 4], [2, 2, 1, 1], [3, 3, 3, 3]], np.int64),
              np.array([12, 10, 5], np.int64), np.array([4, 4, 4], np.int64)],
     lambda y, t: F.ctc_loss(y[0], tt(t[0]), tt(t[1]), tt(t[2]), zero_infinity=True))


def run_case(lathe, rt, work, name, flags, head, shapes, make_x, make_t, ref):
    onnx_path = os.path.join(work, name + ".onnx")
    so = os.path.join(work, name + ".so")
    model(onnx_path, shapes, head)
    r = subprocess.run([lathe, "compile", onnx_path, "-o", so, "--train", "--gradient",
                        "--gradient-inputs", *flags], capture_output=True, text=True)
    if r.returncode:
        return False, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "compile failed"
    module = rt.load(so)
    names = rt.output_names(module, "gradient")
    worst = compare.Worst()
    for _ in range(2):
        xs, ts = make_x(), make_t()
        outs = dict(zip(names, rt.run(module, "gradient", xs + ts)))
        xt = [torch.from_numpy(x.astype(np.float64)).requires_grad_() for x in xs]
        loss = ref([head_torch(head, x) for x in xt], ts)
        loss.backward()
        pairs = [("loss", outs.get("loss"), loss.detach().numpy())]
        pairs += [("grad:x%d" % i, outs.get("grad:x%d" % i), x.grad.numpy())
                  for i, x in enumerate(xt)]
        for what, got, want in pairs:
            r = compare.close(got, want, RTOL, ATOL, what=what)
            if not r:
                return False, r.detail
            worst.add(compare.relative_difference(got, want, floor=1e-6))
    return True, "loss %.6g, worst relative error %.2g" % (float(loss), worst.value)


def linear_model(path, in_shape, features, classes, transpose):
    """x (N x [T x] F) -> x W, time-major with log_softmax when |transpose|
    (a CTC head: T x N x C)."""
    w = numpy_helper.from_array(
        (rng.standard_normal((features, classes)) * 0.3).astype(np.float32), "W")
    nodes = [helper.make_node("MatMul", ["x", "W"], ["z" if transpose else "y"])]
    out_shape = list(in_shape[:-1]) + [classes]
    if transpose:
        nodes += [helper.make_node("Transpose", ["z"], ["zt"], perm=[1, 0, 2]),
                  helper.make_node("LogSoftmax", ["zt"], ["y"], axis=2)]
        out_shape = [out_shape[1], out_shape[0], classes]
    graph = helper.make_graph(
        nodes, "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], [w])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def train_cases(lathe, work):
    """`lathe train` with a criterion of several inputs (ctc: target and both
    lengths from the data file) and with none (triplet_margin on three
    outputs of one model): the data plumbing works and the loss falls."""
    results = []
    # CTC: 64 sequences of 8 steps; feature k > 0 marks label k at even steps.
    samples, steps, feats, classes, length = 64, 8, 4, 4, 3
    targets = rng.integers(1, classes, (samples, length))
    target_lengths = rng.integers(1, length + 1, samples)
    input_lengths = rng.integers(6, steps + 1, samples)
    x = rng.standard_normal((samples, steps, feats)).astype(np.float32) * 0.1
    x[:, :, 0] = 1.0  # a bias feature, for the blank
    for n in range(samples):
        for k in range(target_lengths[n]):
            x[n, 2 * k, targets[n, k]] += 1.0
    data = os.path.join(work, "ctc.npz")
    np.savez(data, x=x, target=targets, input_lengths=input_lengths,
             target_lengths=target_lengths)
    onnx_path = os.path.join(work, "ctc-model.onnx")
    linear_model(onnx_path, [8, steps, feats], feats, classes, transpose=True)
    results.append(("train ctc", onnx_path, data,
                    ["--loss", "ctc", "--target-length", str(length), "--batch-size", "8"]))
    # Triplet: anchors near their positives after one shared projection.
    trip = os.path.join(work, "triplet.onnx")
    w = numpy_helper.from_array((rng.standard_normal((6, 4)) * 0.5).astype(np.float32), "W")
    names = ["a", "p", "n"]
    graph = helper.make_graph(
        [helper.make_node("MatMul", [k, "W"], ["y" + k]) for k in names], "triplet",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, [8, 6]) for k in names],
        [helper.make_tensor_value_info("y" + k, TensorProto.FLOAT, [8, 4]) for k in names], [w])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, trip)
    a = rng.standard_normal((64, 6)).astype(np.float32)
    data = os.path.join(work, "triplet.npz")
    np.savez(data, a=a, p=a + 0.1 * rng.standard_normal((64, 6)).astype(np.float32),
             n=rng.standard_normal((64, 6)).astype(np.float32))
    results.append(("train triplet_margin", trip, data,
                    ["--loss", "triplet_margin", "--margin", "5", "--batch-size", "8"]))
    checks = []
    for name, model_path, data, flags in results:
        log = os.path.join(work, name.replace(" ", "-"))
        r = subprocess.run([lathe, "train", model_path, "--data", data, "--optimizer", "adam",
                            "--lr", "0.05", "--epochs", "15", "--logdir", log, *flags],
                           capture_output=True, text=True)
        if r.returncode:
            checks.append((name, False, r.stderr.strip().splitlines()[-1]))
            continue
        rows = [line.split(",") for line in open(os.path.join(log, "metrics.csv"))][1:]
        first, last = float(rows[0][2]), float(rows[-1][2])
        checks.append((name, last < 0.5 * first,
                       "mean loss of epoch 1 %.4g, of epoch %d %.4g" % (first, len(rows), last)))
    return checks


def main():
    lathe, library, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    rt = lathe_rt.Runtime(library)
    passed = failed = 0
    for c in CASES:
        ok, detail = run_case(lathe, rt, work, *c)
        print("%s %s: %s" % ("ok  " if ok else "FAIL", c[0], detail), flush=True)
        passed += ok
        failed += not ok
    for name, ok, detail in train_cases(lathe, work):
        print("%s %s: %s" % ("ok  " if ok else "FAIL", name, detail), flush=True)
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        compare.print_failed_seed(SEED)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
