"""End-to-end check of ONNX operators PyTorch 1.13 cannot export (so no
fixture model carries them): each graph is built with onnx.helper, compiled
with `lathe compile`, run with `lathe run` on fresh random inputs, and
compared with the PyTorch function it stands for.

Usage: check_onnx_ops.py LATHE WORK_DIR
Tolerance: |lathe - torch| <= 1e-5 + 1e-5 * |torch| (float32, short sums:
the transforms here sum at most 32 terms).
Random ops are checked statistically instead (20000 draws: mean and standard
deviation within 0.03 of the distribution's, uniform draws inside [low,
high)), and for reproducibility: two runs give identical bits.
"""
import math
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto as T
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def compile_and_run_all(lathe, work, name, graph, opset, inputs,
                        domain="", more_opsets=()):
    """Every output of |graph| run on |inputs|, as NumPy arrays; |opset| is
    the version of |domain| the graph imports, |more_opsets| (domain,
    version) pairs it imports too."""
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(domain, opset)] +
        [helper.make_opsetid(d, v) for d, v in more_opsets])
    model.ir_version = 8
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    so = os.path.join(work, name + ".so")
    subprocess.run([lathe, "compile", path, "-o", so], check=True,
                   stdout=subprocess.DEVNULL)
    args = [lathe, "run", so]
    for i, x in enumerate(inputs):
        p = os.path.join(work, "%s-in%d.npy" % (name, i))
        np.save(p, x)
        args += ["--input", p]
    outs = [os.path.join(work, "%s-out%d.npy" % (name, i))
            for i in range(len(graph.output))]
    for out in outs:
        args += ["--output", out]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return [np.load(out) for out in outs]


def compile_and_run(lathe, work, name, graph, opset, inputs):
    return compile_and_run_all(lathe, work, name, graph, opset, inputs)[0]


def run_case(lathe, work, name, graph, opset, inputs, want):
    got = compile_and_run(lathe, work, name, graph, opset, inputs)
    r = compare.close(got, want, 1e-5, 1e-5)
    print("%s %s: %s" % ("PASS" if r else "FAIL", name, r.detail))
    return bool(r)


def same_outputs(label, names, got, want):
    """True when every array of |got| equals |want|'s exactly: shape, type
    and values (no arithmetic separates them); prints one line per output."""
    ok = True
    for name, a, w in zip(names, got, want):
        same = a.shape == w.shape and a.dtype == w.dtype and \
            np.array_equal(a, w)
        print("%s %s %s: shape %s" %
              ("PASS" if same else "FAIL", label, name, a.shape))
        ok &= same
    return ok


def affine_grid_cases(lathe, work, rng):
    ok = True
    for align in (0, 1):
        for size in ([2, 1, 3, 5], [2, 1, 2, 3, 4]):
            spatial = len(size) - 2
            theta_shape = [2, spatial, spatial + 1]
            g = helper.make_graph(
                [helper.make_node("AffineGrid", ["theta", "size"], ["grid"],
                                  align_corners=align)], "g",
                [helper.make_tensor_value_info("theta", T.FLOAT, theta_shape)],
                [helper.make_tensor_value_info("grid", T.FLOAT, None)],
                [helper.make_tensor("size", T.INT64, [len(size)], size)])
            theta = rng.standard_normal(theta_shape).astype(np.float32)
            want = torch.nn.functional.affine_grid(
                torch.from_numpy(theta), size, align_corners=bool(align))
            ok &= run_case(lathe, work,
                           "affine_grid_%dd_align%d" % (spatial, align), g, 20,
                           [theta], want.numpy())
    return ok


def batchnorm_training_mode_cases(lathe, work, rng):
    """BatchNormalization with training_mode=1 in an inference build: the
    batch's statistics normalize (as torch.nn.functional.batch_norm with
    training=True), and the running statistics come out updated with
    ONNX's momentum and the biased batch variance."""
    shape, momentum = [4, 3, 5, 6], 0.8
    F = T.FLOAT
    graph = helper.make_graph(
        [helper.make_node("BatchNormalization",
                          ["x", "scale", "bias", "mean", "var"],
                          ["y", "running_mean", "running_var"],
                          training_mode=1, momentum=momentum, epsilon=1e-3)],
        "g", [helper.make_tensor_value_info(n, F, s) for n, s in (
            ("x", shape), ("scale", [3]), ("bias", [3]), ("mean", [3]),
            ("var", [3]))],
        [helper.make_tensor_value_info(n, F, None)
         for n in ("y", "running_mean", "running_var")])
    x = rng.standard_normal(shape).astype(np.float32) * 2 + 1
    scale, bias, mean = (rng.standard_normal([3]).astype(np.float32)
                         for _ in range(3))
    var = rng.uniform(0.5, 2, [3]).astype(np.float32)
    y, rm, rv = compile_and_run_all(lathe, work, "batchnorm_training", graph,
                                    15, [x, scale, bias, mean, var])
    want_y = torch.nn.functional.batch_norm(
        torch.from_numpy(x), None, None, torch.from_numpy(scale),
        torch.from_numpy(bias), training=True, eps=1e-3).numpy()
    axes = (0, 2, 3)
    want_rm = mean * momentum + x.mean(axis=axes) * (1 - momentum)
    want_rv = var * momentum + x.var(axis=axes) * (1 - momentum)
    ok = True
    for got, want in ((y, want_y), (rm, want_rm), (rv, want_rv)):
        ok &= got.shape == want.shape and bool(
            np.all(np.abs(got - want) <= 1e-5 + 1e-5 * np.abs(want)))
    print("%s batchnorm training_mode=1 (y, running mean and variance)"
          % ("PASS" if ok else "FAIL"))
    return ok


def random_cases(lathe, work):
    ok = True
    shape = [200, 100]
    cases = [
        ("random_normal", helper.make_node(
            "RandomNormal", [], ["y"], shape=shape, mean=1.5, scale=2.0,
            seed=3.0), [], 1.5, 2.0, None),
        ("random_uniform", helper.make_node(
            "RandomUniform", [], ["y"], shape=shape, low=-1.0, high=3.0),
         [], 1.0, 4.0 / np.sqrt(12.0), (-1.0, 3.0)),
        ("bernoulli", helper.make_node("Bernoulli", ["p"], ["y"], seed=5.0),
         [np.full(shape, 0.3, np.float32)], 0.3, np.sqrt(0.21), (0.0, 1.0)),
    ]
    for name, node, inputs, mean, std, bounds in cases:
        ins = [helper.make_tensor_value_info("p", T.FLOAT, shape)] if inputs \
            else []
        g = helper.make_graph([node], "g", ins,
                              [helper.make_tensor_value_info("y", T.FLOAT,
                                                             None)])
        first = compile_and_run(lathe, work, name, g, 15, inputs)
        again = compile_and_run(lathe, work, name, g, 15, inputs)
        good = (first.shape == tuple(shape) and np.array_equal(first, again)
                and abs(first.mean() - mean) < 0.03
                and abs(first.std() - std) < 0.03)
        if bounds:
            good &= bool(first.min() >= bounds[0] and first.max() <= bounds[1])
        print("%s %s: mean %.4f (want %.4f), std %.4f (want %.4f), "
              "reproducible %s" % ("PASS" if good else "FAIL", name,
                                   first.mean(), mean, first.std(), std,
                                   np.array_equal(first, again)))
        ok &= good
    return ok


def repeated_output_cases(lathe, work, rng):
    """A graph whose outputs repeat a value (Identity of an output, of an
    input) gives every output its own buffer."""
    F = T.FLOAT
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"]),
         helper.make_node("Identity", ["a"], ["b"]),
         helper.make_node("Identity", ["x"], ["c"])], "repeat",
        [helper.make_tensor_value_info("x", F, [3, 4])],
        [helper.make_tensor_value_info(n, F, [3, 4]) for n in "abc"])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = os.path.join(work, "repeat.onnx")
    onnx.save(model, path)
    so = os.path.join(work, "repeat.so")
    subprocess.run([lathe, "compile", path, "-o", so], check=True,
                   stdout=subprocess.DEVNULL)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.save(os.path.join(work, "repeat-x.npy"), x)
    outs = [os.path.join(work, "repeat-%s.npy" % n) for n in "abc"]
    args = [lathe, "run", so, "--input", os.path.join(work, "repeat-x.npy")]
    for o in outs:
        args += ["--output", o]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    a, b, c = (np.load(o) for o in outs)
    ok = (np.array_equal(a, np.maximum(x, 0)) and np.array_equal(b, a)
          and np.array_equal(c, x))
    print("%s repeated outputs" % ("PASS" if ok else "FAIL"))
    return ok


def reverse_sequence_cases(lathe, work, rng):
    """ReverseSequence, time-major and batch-major, with run-time lengths:
    each sample's first len steps flipped (torch.flip), the rest kept."""
    ok = True
    for name, shape, batch_axis, time_axis in (
            ("reverse_sequence_time", [6, 4, 3], 1, 0),
            ("reverse_sequence_batch", [3, 5, 2], 0, 1)):
        x = rng.standard_normal(shape).astype(np.float32)
        steps, batch = shape[time_axis], shape[batch_axis]
        lens = rng.integers(1, steps + 1, [batch]).astype(np.int64)
        graph = helper.make_graph(
            [helper.make_node("ReverseSequence", ["x", "lens"], ["y"],
                              batch_axis=batch_axis, time_axis=time_axis)],
            name, [helper.make_tensor_value_info("x", T.FLOAT, shape),
                   helper.make_tensor_value_info("lens", T.INT64, [batch])],
            [helper.make_tensor_value_info("y", T.FLOAT, shape)])
        want = torch.from_numpy(x).clone()
        for b_, n in enumerate(lens):
            at = [slice(None)] * 3
            at[batch_axis], at[time_axis] = b_, slice(0, int(n))
            want[tuple(at)] = torch.flip(want[tuple(at)], [0])
        ok &= run_case(lathe, work, name, graph, 13, [x, lens],
                       want.numpy().astype(np.float64))
    return ok


def as_complex_pair(y):
    """A complex tensor as ONNX's [..., 2] real/imaginary layout."""
    return torch.stack([y.real, y.imag], dim=-1).numpy().astype(np.float64)


def signal_cases(lathe, work, rng):
    """DFT (real onesided with zero padding, complex inverse on a negative
    axis, truncation) against torch.fft, and STFT with a Hann window
    against torch.stft(center=False)."""
    ok = True
    x = rng.standard_normal([2, 12, 3, 1]).astype(np.float32)
    z = rng.standard_normal([2, 5, 7, 2]).astype(np.float32)
    tz = torch.complex(torch.from_numpy(z[..., 0]), torch.from_numpy(z[..., 1]))
    cases = [
        ("dft_rfft_padded", x, {"axis": 1, "onesided": 1}, 16,
         as_complex_pair(torch.fft.rfft(torch.from_numpy(x[..., 0]), n=16,
                                        dim=1))),
        ("dft_ifft_axis", z, {"axis": -2, "inverse": 1}, None,
         as_complex_pair(torch.fft.ifft(tz, dim=2))),
        ("dft_truncated", z, {"axis": 1}, 4,
         as_complex_pair(torch.fft.fft(tz[:, :4], dim=1))),
    ]
    for name, signal, attrs, length, want in cases:
        inputs = ["x"] + (["n"] if length else [])
        init = [helper.make_tensor("n", T.INT64, [], [length])] if length \
            else []
        graph = helper.make_graph(
            [helper.make_node("DFT", inputs, ["y"], **attrs)], name,
            [helper.make_tensor_value_info("x", T.FLOAT, list(signal.shape))],
            [helper.make_tensor_value_info("y", T.FLOAT, list(want.shape))],
            init)
        ok &= run_case(lathe, work, name, graph, 17, [signal], want)
    audio = rng.standard_normal([2, 100]).astype(np.float32)
    window = torch.hann_window(32)
    spec = torch.stft(torch.from_numpy(audio), n_fft=32, hop_length=10,
                      window=window, center=False, onesided=True,
                      return_complex=True).transpose(1, 2)
    want = as_complex_pair(spec)
    graph = helper.make_graph(
        [helper.make_node("STFT", ["x", "step", "w"], ["y"])], "stft",
        [helper.make_tensor_value_info("x", T.FLOAT, [2, 100, 1]),
         helper.make_tensor_value_info("w", T.FLOAT, [32])],
        [helper.make_tensor_value_info("y", T.FLOAT, list(want.shape))],
        [helper.make_tensor("step", T.INT64, [], [10])])
    ok &= run_case(lathe, work, "stft_hann", graph, 17,
                   [audio[..., None], window.numpy()], want)
    return ok


def det_cases(lathe, work, rng):
    """Det against torch.linalg.det on batches of 5x5 matrices, among them
    one whose first pivot is zero (rows must be swapped) and a singular
    one, and on single 1x1 and 3x3 matrices. Tolerance: the error of
    elimination in float32 scales with the product of the row norms (the
    Hadamard bound on |det|), so |lathe - torch| <= 1e-5 * that bound."""
    ok = True
    batch = rng.standard_normal([3, 2, 5, 5]).astype(np.float32)
    batch[0, 0, 0, 0] = 0.0
    batch[0, 1, 3] = batch[0, 1, 1]
    for name, x in (("det_batched", batch),
                    ("det_1x1", rng.standard_normal([1, 1]).astype(np.float32)),
                    ("det_3x3", rng.standard_normal([3, 3]).astype(np.float32))):
        graph = helper.make_graph(
            [helper.make_node("Det", ["x"], ["y"])], name,
            [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info("y", T.FLOAT, list(x.shape[:-2]))])
        got = compile_and_run(lathe, work, name, graph, 13, [x])
        x64 = torch.from_numpy(x).double()
        want = torch.linalg.det(x64).numpy()
        bound = torch.linalg.norm(x64, dim=-1).prod(dim=-1).numpy()
        err = np.abs(got - want)
        case_ok = got.shape == want.shape and bool(np.all(err <= 1e-5 * bound))
        print("%s %s: max abs err %.3g (bound %.3g)" % (
            "PASS" if case_ok else "FAIL", name, float(err.max()),
            float((1e-5 * bound).min())))
        ok &= case_ok
    return ok


def roi_align_max_reference(x, rois, batch, oh, ow, ratio, scale, aligned):
    """ONNX Runtime's RoiAlign mode=max: per sample, the largest of the four
    weighted bilinear corners; per bin, the largest over its samples."""
    n, c, h, w = x.shape
    out = np.zeros([len(rois), c, oh, ow], np.float64)
    offset = 0.5 if aligned else 0.0
    for k, (x1, y1, x2, y2) in enumerate(rois.astype(np.float64)):
        sx, sy = x1 * scale - offset, y1 * scale - offset
        rw, rh = x2 * scale - offset - sx, y2 * scale - offset - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        img = x[batch[k]].astype(np.float64)
        for p in range(oh):
            for q in range(ow):
                best = np.full(c, -np.inf)
                for i in range(ratio):
                    for j in range(ratio):
                        yy = sy + rh / oh * (p + (i + 0.5) / ratio)
                        xx = sx + rw / ow * (q + (j + 0.5) / ratio)
                        if yy < -1 or yy > h or xx < -1 or xx > w:
                            best = np.maximum(best, 0.0)
                            continue
                        yy, xx = min(max(yy, 0), h - 1), min(max(xx, 0), w - 1)
                        y0, x0 = int(yy), int(xx)
                        y1_, x1_ = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
                        ly, lx = yy - y0, xx - x0
                        corners = [(1 - ly) * (1 - lx) * img[:, y0, x0],
                                   (1 - ly) * lx * img[:, y0, x1_],
                                   ly * (1 - lx) * img[:, y1_, x0],
                                   ly * lx * img[:, y1_, x1_]]
                        best = np.maximum(best, np.max(corners, axis=0))
                out[k, :, p, q] = best
    return out


def roi_align_cases(lathe, work, rng):
    """RoiAlign against torchvision.ops.roi_align (mode avg, aligned and
    not, rois partly outside the image, spatial_scale 0.5), and mode max
    against ONNX Runtime's algorithm written out in NumPy."""
    import torchvision
    ok = True
    x = rng.standard_normal([2, 3, 12, 10]).astype(np.float32)
    rois = np.array([[0, 0, 9, 11], [4.5, 2.2, 14.0, 18.0],
                     [-3.0, -2.0, 6.0, 5.0], [10.0, 12.0, 10.5, 12.2]],
                    np.float32) * 2
    batch = np.array([0, 1, 1, 0], np.int64)
    boxes = torch.cat([torch.from_numpy(batch).float()[:, None],
                       torch.from_numpy(rois)], dim=1)
    for name, mode, transform in (
            ("roi_align_avg_aligned", "avg", "half_pixel"),
            ("roi_align_avg_unaligned", "avg", "output_half_pixel"),
            ("roi_align_max", "max", "half_pixel")):
        aligned = transform == "half_pixel"
        if mode == "avg":
            want = torchvision.ops.roi_align(
                torch.from_numpy(x), boxes, (3, 4), spatial_scale=0.5,
                sampling_ratio=2, aligned=aligned).double().numpy()
        else:
            want = roi_align_max_reference(x, rois, batch, 3, 4, 2, 0.5,
                                           aligned)
        graph = helper.make_graph(
            [helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"],
                              mode=mode, output_height=3, output_width=4,
                              sampling_ratio=2, spatial_scale=0.5,
                              coordinate_transformation_mode=transform)],
            name,
            [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape)),
             helper.make_tensor_value_info("rois", T.FLOAT, [4, 4]),
             helper.make_tensor_value_info("batch", T.INT64, [4])],
            [helper.make_tensor_value_info("y", T.FLOAT, list(want.shape))])
        ok &= run_case(lathe, work, name, graph, 16, [x, rois, batch], want)
    return ok


def empty_tensor_cases(lathe, work, rng):
    """Tensors with no elements: an empty input and empty outputs cross the
    artifact boundary, and ops that make something out of nothing (a sum
    over an empty axis, a product with an empty inner dimension, a
    concatenation with an empty piece) give PyTorch's values."""
    x = np.zeros((2, 0, 3), np.float32)
    y = rng.standard_normal((2, 4, 3)).astype(np.float32)
    a = np.zeros((2, 0), np.float32)
    b = np.zeros((0, 3), np.float32)
    info = helper.make_tensor_value_info
    g = helper.make_graph(
        [helper.make_node("Concat", ["x", "y"], ["cat"], axis=1),
         helper.make_node("ReduceSum", ["x", "axis1"], ["sum"], keepdims=0),
         helper.make_node("MatMul", ["a", "b"], ["mm"]),
         helper.make_node("Relu", ["x"], ["relu"]),
         helper.make_node("Slice", ["y", "four", "four", "axis1"],
                          ["none"])], "g",
        [info("x", T.FLOAT, [2, 0, 3]), info("y", T.FLOAT, [2, 4, 3]),
         info("a", T.FLOAT, [2, 0]), info("b", T.FLOAT, [0, 3])],
        [info(n, T.FLOAT, None) for n in ("cat", "sum", "mm", "relu", "none")],
        [helper.make_tensor("axis1", T.INT64, [1], [1]),
         helper.make_tensor("four", T.INT64, [1], [4])])
    got = compile_and_run_all(lathe, work, "empty_tensors", g, 13,
                              [x, y, a, b])
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    want = [torch.cat([tx, ty], 1), tx.sum(1),
            torch.from_numpy(a) @ torch.from_numpy(b), torch.relu(tx),
            ty[:, 4:4]]
    return same_outputs("empty_tensors", ("cat", "sum", "mm", "relu", "none"),
                        got, [w.numpy() for w in want])


def optimizer_cases(lathe, work, rng):
    """Adagrad, Momentum (standard and Nesterov) and Adam of the
    ai.onnx.preview.training domain, two tensors of different shapes per
    update, float32 and float64, at the first update (T = 0) and a later one
    (T = 3, where Adam corrects its moments' bias), against ONNX's own
    reference functions. Tolerance: 1e-5 relative + 1e-6 absolute (a dozen
    element-wise operations; the reference computes the scalar rate in
    float64)."""
    from onnx.backend.test.case.node.adagrad import apply_adagrad
    from onnx.backend.test.case.node.adam import apply_adam
    from onnx.backend.test.case.node.momentum import (apply_momentum,
                                                       apply_nesterov)
    domain = "ai.onnx.preview.training"
    shapes = [(3, 4), (5,)]
    ok = True
    for np_type, onnx_type in ((np.float32, T.FLOAT), (np.float64, T.DOUBLE)):
        for t in (0, 3):
            def draw(positive=False):
                arrays = [rng.standard_normal(s).astype(np_type)
                          for s in shapes]
                return [np.abs(a) for a in arrays] if positive else arrays
            x, g, v, h = draw(), draw(), draw(), draw(positive=True)
            r = np.array(0.05, np_type)
            step = np.array(t, np.int64)
            cases = [
                ("Adagrad", dict(decay_factor=0.1, epsilon=1e-3,
                                 norm_coefficient=0.01), [x, g, h],
                 lambda i, a: apply_adagrad(r, step, x[i], g[i], h[i],
                                            a["norm_coefficient"],
                                            a["epsilon"],
                                            a["decay_factor"])),
                ("Momentum", dict(alpha=0.9, beta=0.5, mode="standard",
                                  norm_coefficient=0.01), [x, g, v],
                 lambda i, a: apply_momentum(r, step, x[i], g[i], v[i],
                                             a["norm_coefficient"],
                                             a["alpha"], a["beta"])),
                ("Momentum", dict(alpha=0.9, beta=0.5, mode="nesterov",
                                  norm_coefficient=0.01), [x, g, v],
                 lambda i, a: apply_nesterov(r, step, x[i], g[i], v[i],
                                             a["norm_coefficient"],
                                             a["alpha"], a["beta"])),
                ("Adam", dict(alpha=0.8, beta=0.95, epsilon=1e-3,
                              norm_coefficient=0.01,
                              norm_coefficient_post=0.02), [x, g, v, h],
                 lambda i, a: apply_adam(r, step, x[i], g[i], v[i], h[i],
                                         a["norm_coefficient"],
                                         a["norm_coefficient_post"],
                                         a["alpha"], a["beta"],
                                         a["epsilon"])),
            ]
            for op, attrs, runs, reference in cases:
                # X, G, then the state: one name per tensor of each run.
                names = [["in%d_%d" % (j, i) for i in range(len(shapes))]
                         for j in range(len(runs))]
                outs = ["out%d" % i for i in range(len(shapes) * (len(runs) - 1))]
                info = helper.make_tensor_value_info
                inputs = [info("R", onnx_type, []), info("T", T.INT64, [])]
                for run in names:
                    inputs += [info(n, onnx_type, s)
                               for n, s in zip(run, shapes)]
                graph = helper.make_graph(
                    [helper.make_node(op, ["R", "T"] + sum(names, []), outs,
                                      domain=domain, **attrs)], "g",
                    inputs, [info(o, onnx_type, None) for o in outs])
                feed = [r, step] + sum(runs, [])
                label = "%s_%s_%s_t%d" % (op.lower(), attrs.get("mode", ""),
                                          np.dtype(np_type).name, t)
                got = compile_and_run_all(lathe, work, label, graph, 1, feed,
                                          domain)
                want = [reference(i, attrs) for i in range(len(shapes))]
                # Outputs: every updated X, then each state in turn.
                want = [w[k] for k in range(len(runs) - 1) for w in want]
                result = compare.all_close(got, want, 1e-5, 1e-6)
                same = all(a.dtype == np_type for a in got)
                passed = same and bool(result)
                print("%s %s: %s" % ("PASS" if passed else "FAIL", label, result.detail))
                ok &= passed
    return ok


def sequence_cases(lathe, work, rng):
    """The sequence operators, positions known at compile time: split into a
    sequence, insert, erase, pick, count and concatenate or stack, against
    torch.split / torch.cat / torch.stack. Exact (no arithmetic)."""
    x = rng.standard_normal((2, 7, 3)).astype(np.float32)
    y = rng.standard_normal((2, 2, 3)).astype(np.float32)
    z = rng.standard_normal((4, 5)).astype(np.float32)
    info = helper.make_tensor_value_info
    scalar = lambda name, v: helper.make_tensor(name, T.INT64, [], [v])
    g = helper.make_graph(
        [helper.make_node("SplitToSequence", ["x", "three"], ["seq"], axis=1),
         helper.make_node("SequenceInsert", ["seq", "y", "one"], ["seq2"]),
         helper.make_node("SequenceErase", ["seq2", "minus_two"], ["seq3"]),
         helper.make_node("ConcatFromSequence", ["seq3"], ["cat"], axis=1),
         helper.make_node("SequenceAt", ["seq3", "minus_one"], ["last"]),
         helper.make_node("SequenceLength", ["seq3"], ["count"]),
         helper.make_node("SplitToSequence", ["z"], ["rows"], axis=0,
                          keepdims=0),
         helper.make_node("ConcatFromSequence", ["rows"], ["stacked"],
                          axis=-1, new_axis=1)], "g",
        [info("x", T.FLOAT, [2, 7, 3]), info("y", T.FLOAT, [2, 2, 3]),
         info("z", T.FLOAT, [4, 5])],
        [info("cat", T.FLOAT, None), info("last", T.FLOAT, None),
         info("count", T.INT64, None), info("stacked", T.FLOAT, None)],
        [scalar("three", 3), scalar("one", 1), scalar("minus_two", -2),
         scalar("minus_one", -1)])
    got = compile_and_run_all(lathe, work, "sequences", g, 11, [x, y, z])
    pieces = list(torch.split(torch.from_numpy(x), 3, 1))  # sizes 3, 3, 1
    pieces.insert(1, torch.from_numpy(y))
    del pieces[-2]
    want = [torch.cat(pieces, 1).numpy(), pieces[-1].numpy(),
            np.array(len(pieces), np.int64),
            torch.stack(list(torch.from_numpy(z)), -1).numpy()]
    return same_outputs("sequences", ("cat", "last", "count", "stacked"), got,
                        want)


def loop_cases(lathe, work, rng):
    """Scan (a reversed scan input along axis 1, a reversed scan output
    stacked along axis 1) and Loop (a compile-time trip count, the iteration
    number read in the body, a scan output), unrolled, against the same
    recurrences in PyTorch. Tolerance: 1e-5 + 1e-5 * |torch| (float32, six
    steps of a few operations)."""
    info = helper.make_tensor_value_info
    s0 = rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    body = helper.make_graph(
        [helper.make_node("Mul", ["s", "half"], ["scaled"]),
         helper.make_node("Add", ["scaled", "xt"], ["s_out"]),
         helper.make_node("Tanh", ["s_out"], ["y_t"])], "scan_body",
        [info("s", T.FLOAT, [3]), info("xt", T.FLOAT, [3])],
        [info("s_out", T.FLOAT, [3]), info("y_t", T.FLOAT, [3])],
        [helper.make_tensor("half", T.FLOAT, [], [0.5])])
    g = helper.make_graph(
        [helper.make_node("Scan", ["s0", "x"], ["s_final", "ys"], body=body,
                          num_scan_inputs=1, scan_input_axes=[1],
                          scan_input_directions=[1], scan_output_axes=[1],
                          scan_output_directions=[1])], "g",
        [info("s0", T.FLOAT, [3]), info("x", T.FLOAT, [3, 6])],
        [info("s_final", T.FLOAT, None), info("ys", T.FLOAT, None)])
    got = compile_and_run_all(lathe, work, "scan", g, 11, [s0, x])
    s, steps = torch.from_numpy(s0), []
    for t in reversed(range(6)):
        s = s * 0.5 + torch.from_numpy(x[:, t])
        steps.append(torch.tanh(s))
    want = [s, torch.stack(steps[::-1], 1)]

    y0 = rng.standard_normal(2).astype(np.float32)
    body = helper.make_graph(
        [helper.make_node("Cast", ["i"], ["fi"], to=T.FLOAT),
         helper.make_node("Mul", ["y", "two"], ["doubled"]),
         helper.make_node("Add", ["doubled", "fi"], ["y_out"]),
         helper.make_node("Mul", ["y_out", "y_out"], ["sq"]),
         helper.make_node("Identity", ["c"], ["c_out"])], "loop_body",
        [info("i", T.INT64, []), info("c", T.BOOL, []),
         info("y", T.FLOAT, [2])],
        [info("c_out", T.BOOL, []), info("y_out", T.FLOAT, [2]),
         info("sq", T.FLOAT, [2])],
        [helper.make_tensor("two", T.FLOAT, [], [2.0])])
    g = helper.make_graph(
        [helper.make_node("Loop", ["m", "", "y0"], ["y_final", "squares"],
                          body=body)], "g",
        [info("y0", T.FLOAT, [2])],
        [info("y_final", T.FLOAT, None), info("squares", T.FLOAT, None)],
        [helper.make_tensor("m", T.INT64, [], [4])])
    got += compile_and_run_all(lathe, work, "loop", g, 13, [y0])
    y, squares = torch.from_numpy(y0), []
    for i in range(4):
        y = y * 2 + i
        squares.append(y * y)
    want += [y, torch.stack(squares)]
    ok = True
    for name, a, w in zip(("scan_state", "scan_outputs", "loop_state",
                           "loop_outputs"), got, want):
        w = w.numpy()
        err = np.abs(a.astype(np.float64) - w)
        passed = a.shape == w.shape and bool(
            np.all(err <= 1e-5 + 1e-5 * np.abs(w)))
        print("%s %s: max abs err %.3g" % ("PASS" if passed else "FAIL", name,
                                           float(err.max())))
        ok &= passed
    return ok


def gradient_cases(lathe, work, rng):
    """ONNX's Gradient (ai.onnx.preview.training) against torch.autograd:
    the gradient of sum(y) for a non-scalar y = tanh(x W) * s, with respect
    to the input x, the weight W (an initializer, so a parameter) and s;
    the same with tanh(x W) held constant (zs); and of a cross-entropy loss
    (a criterion the pipeline decomposes before differentiating) with
    respect to its logits. An x that y does not depend on gets zeros.
    Tolerance: 1e-5 + 1e-5 * |torch| (float32, a few operations)."""
    info = helper.make_tensor_value_info
    training = "ai.onnx.preview.training"
    x = rng.standard_normal((4, 3)).astype(np.float32)
    w = rng.standard_normal((3, 5)).astype(np.float32)
    s = rng.standard_normal((4, 5)).astype(np.float32)
    u = rng.standard_normal((2,)).astype(np.float32)
    labels = rng.integers(0, 5, size=(4,)).astype(np.int64)
    ok = True
    for name, held in (("gradient", []), ("gradient_held", ["t"])):
        nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
                 helper.make_node("Tanh", ["h"], ["t"]),
                 helper.make_node("Mul", ["t", "s"], ["y"]),
                 helper.make_node("SoftmaxCrossEntropyLoss", ["y", "labels"],
                                  ["loss"]),
                 helper.make_node("Gradient", ["x", "w", "s", "u"] + held,
                                  ["dx", "dw", "ds", "du"], domain=training,
                                  xs=["x", "w", "s", "u"], y="y", zs=held),
                 helper.make_node("Gradient", ["y"], ["dloss"],
                                  domain=training, xs=["y"], y="loss")]
        g = helper.make_graph(
            nodes, name,
            [info("x", T.FLOAT, [4, 3]), info("s", T.FLOAT, [4, 5]),
             info("u", T.FLOAT, [2]), info("labels", T.INT64, [4])],
            [info(o, T.FLOAT, None) for o in ("dx", "dw", "ds", "du",
                                              "dloss")],
            [helper.make_tensor("w", T.FLOAT, [3, 5], w.flatten())])
        got = compile_and_run_all(lathe, work, name, g, 13,
                                  [x, s, u, labels],
                                  more_opsets=[(training, 1)])

        tx, tw, ts = (torch.from_numpy(a).requires_grad_() for a in (x, w, s))
        t = torch.tanh(tx @ tw)
        if held:
            t = t.detach()
        y = t * ts
        grads = torch.autograd.grad(y.sum(), [tx, tw, ts], allow_unused=True)
        want = [gr if gr is not None else torch.zeros_like(a)
                for gr, a in zip(grads, (tx, tw, ts))]
        want.append(torch.zeros(2))
        ty = y.detach().requires_grad_()
        loss = torch.nn.functional.cross_entropy(ty, torch.from_numpy(labels))
        want.append(torch.autograd.grad(loss, ty)[0])
        for label, a, wt in zip(("dx", "dw", "ds", "du", "dloss"), got, want):
            wt = wt.detach().numpy()
            err = np.abs(a.astype(np.float64) - wt)
            passed = a.shape == wt.shape and bool(
                np.all(err <= 1e-5 + 1e-5 * np.abs(wt)))
            print("%s %s %s: max abs err %.3g" % (
                "PASS" if passed else "FAIL", name, label, float(err.max())))
            ok &= passed
    return ok


def sequence_io_cases(lathe, work, rng):
    """A sequence input and sequence outputs through the command line:
    `lathe compile --sequence-input xs=2x3,4x3,1x3` makes the input's
    tensors inputs xs[0], xs[1], xs[2]; SequenceMap applies tanh(x) * w to
    each; ConcatFromSequence joins them; SplitToSequence cuts the join into
    rows, a sequence output that becomes outputs rows[0] ... rows[6]. The
    outputs are fed by name and compared with NumPy's float32 results at
    1e-6 * (1 + |want|) (tanh's rounding)."""
    info = helper.make_tensor_value_info
    shapes = [(2, 3), (4, 3), (1, 3)]
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    w = rng.standard_normal(3).astype(np.float32)
    body = helper.make_graph(
        [helper.make_node("Tanh", ["x"], ["t"]),
         helper.make_node("Mul", ["t", "w_in"], ["y"])], "map_body",
        [info("x", T.FLOAT, ["N", 3]), info("w_in", T.FLOAT, [3])],
        [info("y", T.FLOAT, ["N", 3])])
    seq_type = helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(T.FLOAT, ["N", 3]))
    g = helper.make_graph(
        [helper.make_node("SequenceMap", ["xs", "w"], ["mapped"], body=body),
         helper.make_node("ConcatFromSequence", ["mapped"], ["joined"],
                          axis=0),
         helper.make_node("SplitToSequence", ["joined"], ["rows"], axis=0,
                          keepdims=0)], "sequence_io",
        [helper.make_value_info("xs", seq_type), info("w", T.FLOAT, [3])],
        [info("joined", T.FLOAT, [7, 3]),
         helper.make_value_info("rows", helper.make_sequence_type_proto(
             helper.make_tensor_type_proto(T.FLOAT, [3])))])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = os.path.join(work, "sequence_io.onnx")
    onnx.save(model, path)
    so = os.path.join(work, "sequence_io.so")
    subprocess.run([lathe, "compile", path, "-o", so, "--sequence-input",
                    "xs=" + ",".join("%dx%d" % s for s in shapes)],
                   check=True, stdout=subprocess.DEVNULL)
    args = [lathe, "run", so]
    # Named inputs, in another order than the artifact's.
    for name, a in [("w", w)] + [("xs[%d]" % i, x) for i, x in
                                  enumerate(xs)]:
        p = os.path.join(work, "sequence_io-%s.npy" % name)
        np.save(p, a)
        args += ["--input", "%s=%s" % (name, p)]
    names = ["joined"] + ["rows[%d]" % i for i in range(7)]
    outs = [os.path.join(work, "sequence_io-out%d.npy" % i)
            for i in range(len(names))]
    for name, out in zip(names, outs):
        args += ["--output", "%s=%s" % (name, out)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    joined = np.concatenate([np.tanh(x) * w for x in xs])
    want = [joined] + list(joined)
    ok = True
    for name, out, wt in zip(names, outs, want):
        got = np.load(out)
        err = np.abs(got.astype(np.float64) - wt)
        passed = got.shape == wt.shape and bool(
            np.all(err <= 1e-6 * (1 + np.abs(wt))))
        print("%s sequence_io %s: max abs err %.3g" % (
            "PASS" if passed else "FAIL", name, float(err.max())))
        ok &= passed
    return ok


def optional_cases(lathe, work, rng):
    """An optional input through the command line: y = x + bias when the
    optional holds a bias, y = x * 2 when compiled with --absent-input
    bias (OptionalHasElement picks the If branch at compile time). Both
    builds are compared with NumPy exactly (one float32 operation)."""
    info = helper.make_tensor_value_info
    x = rng.standard_normal(3).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    present = helper.make_graph(
        [helper.make_node("OptionalGetElement", ["bias"], ["b"]),
         helper.make_node("Add", ["x", "b"], ["with_bias"])], "present", [],
        [info("with_bias", T.FLOAT, [3])])
    empty = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["doubled"])], "empty", [],
        [info("doubled", T.FLOAT, [3])])
    g = helper.make_graph(
        [helper.make_node("OptionalHasElement", ["bias"], ["has"]),
         helper.make_node("If", ["has"], ["y"], then_branch=present,
                          else_branch=empty)], "optional_io",
        [info("x", T.FLOAT, [3]),
         helper.make_value_info("bias", helper.make_optional_type_proto(
             helper.make_tensor_type_proto(T.FLOAT, [3])))],
        [info("y", T.FLOAT, [3])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)])
    model.ir_version = 8
    path = os.path.join(work, "optional_io.onnx")
    onnx.save(model, path)
    ok = True
    for label, extra, inputs, want in (
            ("present", [], [("x", x), ("bias", bias)], x + bias),
            ("absent", ["--absent-input", "bias"], [("x", x)], x + x)):
        so = os.path.join(work, "optional_io_%s.so" % label)
        subprocess.run([lathe, "compile", path, "-o", so] + extra,
                       check=True, stdout=subprocess.DEVNULL)
        args = [lathe, "run", so]
        for name, a in inputs:
            p = os.path.join(work, "optional_io-%s.npy" % name)
            np.save(p, a)
            args += ["--input", "%s=%s" % (name, p)]
        out = os.path.join(work, "optional_io-%s-y.npy" % label)
        subprocess.run(args + ["--output", out], check=True,
                       stdout=subprocess.DEVNULL)
        ok &= same_outputs("optional_io_" + label, ["y"], [np.load(out)],
                           [want])
    return ok


def compress_nonzero_cases(lathe, work, rng):
    """Compress of run-time data with the condition fixed at compile time
    (`--freeze-input condition=...`, along an axis, without one, and with a
    condition shorter than the axis), and NonZero of a compile-time tensor,
    against np.compress and np.nonzero, exactly (both only move values)."""
    info = helper.make_tensor_value_info
    x = rng.standard_normal((4, 5)).astype(np.float32)
    ok = True
    for name, axis, cond in (
            ("compress_axis1", 1, rng.random(5) < 0.5),
            ("compress_flat", None, rng.random(20) < 0.4),
            ("compress_short", 0, np.array([True, False, True]))):
        attrs = {} if axis is None else {"axis": axis}
        g = helper.make_graph(
            [helper.make_node("Compress", ["x", "condition"], ["y"], **attrs)],
            name, [info("x", T.FLOAT, [4, 5]),
                   info("condition", T.BOOL, [len(cond)])],
            [info("y", T.FLOAT, None)])
        model = helper.make_model(g,
                                  opset_imports=[helper.make_opsetid("", 11)])
        model.ir_version = 8
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        cond_path = os.path.join(work, name + "-condition.npy")
        np.save(cond_path, cond)
        so = os.path.join(work, name + ".so")
        subprocess.run([lathe, "compile", path, "-o", so, "--freeze-input",
                        "condition=" + cond_path], check=True,
                       stdout=subprocess.DEVNULL)
        x_path = os.path.join(work, name + "-x.npy")
        np.save(x_path, x)
        out = os.path.join(work, name + "-y.npy")
        subprocess.run([lathe, "run", so, "--input", "x=" + x_path,
                        "--output", out], check=True,
                       stdout=subprocess.DEVNULL)
        ok &= same_outputs(name, ["y"], [np.load(out)],
                           [np.compress(cond, x, axis=axis)])
    mask = (rng.random((3, 4, 2)) < 0.3).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Constant", [], ["m"], value=helper.make_tensor(
            "m_v", T.FLOAT, list(mask.shape), mask.flatten())),
         helper.make_node("NonZero", ["m"], ["where"]),
         helper.make_node("Cast", ["where"], ["where_f"], to=T.FLOAT),
         helper.make_node("ReduceSum", ["where_f"], ["total"], keepdims=0),
         helper.make_node("Add", ["total", "x"], ["y"])], "nonzero",
        [info("x", T.FLOAT, [])],
        [info("where", T.INT64, None), info("y", T.FLOAT, None)])
    x0 = np.array(rng.standard_normal(), np.float32)
    got = compile_and_run_all(lathe, work, "nonzero", g, 13, [x0])
    where = np.array(np.nonzero(mask), np.int64)
    want = [where, np.float32(where.astype(np.float32).sum()) + x0]
    ok &= same_outputs("nonzero", ["where", "y"], got, want)
    return ok


def constant_folding_cases(lathe, work, rng):
    """Element-wise arithmetic on compile-time values folds at import, in
    the operands' type: a Loop trip count computed in float as Range's
    expansion computes it (Sub, Div, Ceil, Relu, Cast), a broadcasting Add
    of int64 constants shaped [2, 1] and [1, 2], float32 Div and Round
    (halves to even). Each result must equal NumPy's exactly: one rounding
    of a correctly rounded operation leaves nothing to differ."""
    info = helper.make_tensor_value_info

    def constant(name, dtype, dims, values):
        return helper.make_node("Constant", [], [name],
                                value=helper.make_tensor(name + "_v", dtype,
                                                         dims, values))
    start, limit, delta = 2.5, 9.0, 1.5
    body = helper.make_graph(
        [helper.make_node("Add", ["y", "one"], ["y_out"]),
         helper.make_node("Identity", ["c"], ["c_out"]),
         helper.make_node("Identity", ["y_out"], ["seen"])], "body",
        [info("i", T.INT64, []), info("c", T.BOOL, []),
         info("y", T.FLOAT, [3])],
        [info("c_out", T.BOOL, []), info("y_out", T.FLOAT, [3]),
         info("seen", T.FLOAT, [3])],
        [helper.make_tensor("one", T.FLOAT, [], [1.0])])
    nodes = [constant("start", T.FLOAT, [], [start]),
             constant("limit", T.FLOAT, [], [limit]),
             constant("delta", T.FLOAT, [], [delta]),
             helper.make_node("Sub", ["limit", "start"], ["span"]),
             helper.make_node("Div", ["span", "delta"], ["steps"]),
             helper.make_node("Ceil", ["steps"], ["up"]),
             helper.make_node("Relu", ["up"], ["count"]),
             helper.make_node("Cast", ["count"], ["m"], to=T.INT64),
             helper.make_node("Loop", ["m", "", "x"], ["y", "ys"], body=body),
             constant("col", T.INT64, [2, 1], [10, 20]),
             constant("row", T.INT64, [1, 2], [1, 2]),
             helper.make_node("Add", ["col", "row"], ["grid"]),
             constant("num", T.FLOAT, [3], [1.0, 2.0, 10.0]),
             constant("den", T.FLOAT, [], [3.0]),
             helper.make_node("Div", ["num", "den"], ["third"]),
             constant("halves", T.FLOAT, [4], [0.5, 1.5, 2.5, -0.5]),
             helper.make_node("Round", ["halves"], ["rounded"])]
    outputs = ["y", "ys", "grid", "third", "rounded"]
    g = helper.make_graph(nodes, "folding", [info("x", T.FLOAT, [3])],
                          [info(o, T.FLOAT if o != "grid" else T.INT64, None)
                           for o in outputs])
    x = rng.standard_normal(3).astype(np.float32)
    got = compile_and_run_all(lathe, work, "folding", g, 13, [x])
    steps = int(np.ceil((np.float32(limit) - np.float32(start)) /
                        np.float32(delta)))
    ys = [x + np.float32(1)]
    for _ in range(steps - 1):
        ys.append(ys[-1] + np.float32(1))
    want = [ys[-1], np.stack(ys),
            np.array([[10], [20]], np.int64) + np.array([[1, 2]], np.int64),
            np.array([1.0, 2.0, 10.0], np.float32) / np.float32(3.0),
            np.round(np.array([0.5, 1.5, 2.5, -0.5], np.float32))]
    return same_outputs("folding", outputs, got, want)


def convtranspose_extended_cases(lathe, work, rng):
    """ConvTranspose whose output (output_shape, or SAME's input * stride
    with a kernel smaller than the stride) differs from the full transposed
    convolution. The reference is torch's conv_transpose cropped as the
    specification splits the padding (the smaller half in front for
    SAME_UPPER, the larger otherwise) or, when the output is larger, grown
    at the end as ONNX Runtime grows it; grown elements hold the bias alone.
    output_shape [11, 9] crops one dimension by an odd amount and grows the
    other. (ONNX Runtime 1.19 reads uninitialized memory when it grows
    a dimension whose kernel is larger than 1, so it cannot be the reference
    here; the growth at the end is what test_convtranspose_output_shape of
    the ONNX suite stores.)"""
    ok = True
    for name, spatial, attrs, stride, kernel in (
            ("convtranspose_shape_2d", 2, {"output_shape": [11, 9]}, [3, 2],
             [3, 3]),
            ("convtranspose_shape_1d", 1, {"output_shape": [12]}, [3], [2]),
            ("convtranspose_same_upper_3d", 3, {"auto_pad": "SAME_UPPER"},
             [3, 2, 3], [2, 1, 2]),
            ("convtranspose_same_lower_2d", 2, {"auto_pad": "SAME_LOWER"},
             [4, 3], [3, 2])):
        size = [4, 3, 5][:spatial]
        x = rng.standard_normal([2, 3] + size).astype(np.float32)
        w = rng.standard_normal([3, 2] + kernel).astype(np.float32)
        bias = rng.standard_normal([2]).astype(np.float32)
        full = [s * (n - 1) + k for s, n, k in zip(stride, size, kernel)]
        out = attrs.get("output_shape") or [n * s for n, s in
                                            zip(size, stride)]
        conv = {1: torch.nn.functional.conv_transpose1d,
                2: torch.nn.functional.conv_transpose2d,
                3: torch.nn.functional.conv_transpose3d}[spatial]
        y = conv(torch.from_numpy(x), torch.from_numpy(w),
                 stride=stride).numpy()
        # Output element o is element o + front of the full convolution,
        # front the padding in front (C++ division rounds toward zero).
        want = np.zeros([2, 2] + out, np.float32)
        src, dst = [slice(None)] * 2, [slice(None)] * 2
        for f, o in zip(full, out):
            total = f - o
            front = total - total // 2
            if total < 0:
                front = 0
            elif attrs.get("auto_pad") == "SAME_UPPER":
                front = total // 2
            lo, hi = max(front, 0), min(f, o + front)
            src.append(slice(lo, hi))
            dst.append(slice(lo - front, hi - front))
        want[tuple(dst)] = y[tuple(src)]
        want += bias.reshape([1, 2] + [1] * spatial)
        graph = helper.make_graph(
            [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"],
                              strides=stride, **attrs)], name,
            [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape)),
             helper.make_tensor_value_info("w", T.FLOAT, list(w.shape)),
             helper.make_tensor_value_info("b", T.FLOAT, [2])],
            [helper.make_tensor_value_info("y", T.FLOAT, list(want.shape))])
        ok &= run_case(lathe, work, name, graph, 13, [x, w, bias], want)
    return ok


def tfidf_reference(x, mode, min_gram, max_gram, max_skip, starts, pool,
                    indexes, weights):
    """TfIdfVectorizer as its specification reads, one window at a time;
    weights apply per output column, as in ONNX Runtime."""
    rows = x.reshape(-1, x.shape[-1])
    width = max(indexes) + 1
    out = np.zeros((rows.shape[0], width), np.float64)
    grams = []  # (items, pool position) for every n-gram of the pool
    for level, begin in enumerate(starts):
        n = level + 1
        end = starts[level + 1] if level + 1 < len(starts) else len(pool)
        for at in range(begin, end, n):
            grams.append((tuple(pool[at:at + n]), len(grams)))
    for r, row in enumerate(rows):
        counts = np.zeros(len(grams))
        for items, j in grams:
            n = len(items)
            if not min_gram <= n <= max_gram:
                continue
            for skip in range(max_skip + 1 if n > 1 else 1):
                step = skip + 1
                for i in range(len(row) - (n - 1) * step):
                    if tuple(row[i:i + (n - 1) * step + 1:step]) == items:
                        counts[j] += 1
        for items, j in grams:
            out[r, indexes[j]] += counts[j]
    # Weights belong to output columns, as ONNX Runtime applies them.
    w = np.array(weights[:width]) if weights is not None else np.ones(width)
    if mode == "IDF":
        out = np.minimum(out, 1.0) * w
    elif mode == "TFIDF":
        out = out * w
    return out.reshape(x.shape[:-1] + (width,))


def tfidf_cases(lathe, work, rng):
    """TfIdfVectorizer in every mode, with and without weights, over int32
    and int64 tokens, 1-D and batched, against tfidf_reference. The pool
    holds 1-, 2- and 3-grams over a small vocabulary so that fresh random
    tokens hit them; counts are small integers, so the results are exact."""
    starts = [0, 3, 9]
    pool = [1, 3, 4,  1, 2,  3, 3,  4, 0,  0, 1, 2,  2, 2, 2]
    indexes = [6, 0, 2, 1, 4, 3, 2, 7]  # two n-grams share column 2
    weights = rng.uniform(0.5, 2.0, size=len(indexes)).round(3).tolist()
    ok = True
    for name, mode, grams, skip, w, x in (
            ("tfidf_tf_1d", "TF", (1, 3), 2, None,
             rng.integers(0, 5, size=[40]).astype(np.int64)),
            ("tfidf_idf_batch", "IDF", (2, 3), 1, weights,
             rng.integers(0, 5, size=[3, 25]).astype(np.int32)),
            ("tfidf_idf_unweighted", "IDF", (1, 2), 0, None,
             rng.integers(0, 5, size=[4, 12]).astype(np.int64)),
            ("tfidf_tfidf_batch", "TFIDF", (1, 3), 3, weights,
             rng.integers(0, 5, size=[2, 30]).astype(np.int64)),
            ("tfidf_short_rows", "TF", (3, 3), 4, None,
             rng.integers(0, 5, size=[2, 4]).astype(np.int32))):
        attrs = dict(mode=mode, min_gram_length=grams[0],
                     max_gram_length=grams[1], max_skip_count=skip,
                     ngram_counts=starts, ngram_indexes=indexes,
                     pool_int64s=pool)
        if w is not None:
            attrs["weights"] = w
        elt = T.INT32 if x.dtype == np.int32 else T.INT64
        out_shape = list(x.shape[:-1]) + [max(indexes) + 1]
        graph = helper.make_graph(
            [helper.make_node("TfIdfVectorizer", ["x"], ["y"], **attrs)], name,
            [helper.make_tensor_value_info("x", elt, list(x.shape))],
            [helper.make_tensor_value_info("y", T.FLOAT, out_shape)])
        want = tfidf_reference(x, mode, grams[0], grams[1], skip, starts, pool,
                               indexes, w)
        ok &= run_case(lathe, work, name, graph, 9, [x], want)
    return ok


def folded_batch_norm_cases(lathe, work, rng):
    """Conv then BatchNormalization with every operand an initializer
    (what torch.onnx exports without its own folding): lathe-fold-batch-norm
    folds the norm into the convolution's weights; the result matches
    PyTorch's conv then batch norm, and the artifact's parameters lose the
    norm's scale, mean and variance. Covers 2-D and 3-D, with and without a
    conv bias, grouped; a conv whose output is also an output is not folded
    (and still right)."""
    ok = True
    for name, spatial, bias, groups, conv_is_output in [
            ("fold_bn_2d", 2, True, 1, False),
            ("fold_bn_2d_nobias_grouped", 2, False, 2, False),
            ("fold_bn_3d", 3, True, 1, False),
            ("fold_bn_kept", 2, True, 1, True)]:
        c_in, c_out, k = 4, 6, 3
        x = rng.standard_normal([2, c_in] + [7] * spatial).astype(np.float32)
        w = rng.standard_normal([c_out, c_in // groups] + [k] * spatial).astype(np.float32)
        b = rng.standard_normal(c_out).astype(np.float32)
        scale = rng.uniform(0.5, 2.0, c_out).astype(np.float32)
        shift = rng.standard_normal(c_out).astype(np.float32)
        mean = rng.standard_normal(c_out).astype(np.float32)
        var = rng.uniform(0.5, 2.0, c_out).astype(np.float32)
        eps = 1e-3
        inits = [helper.make_tensor(n, T.FLOAT, a.shape, a.flatten())
                 for n, a in [("w", w), ("scale", scale), ("shift", shift),
                              ("mean", mean), ("var", var)] + ([("b", b)] if bias else [])]
        nodes = [helper.make_node("Conv", ["x", "w"] + (["b"] if bias else []), ["c"],
                                  group=groups, pads=[1] * (2 * spatial)),
                 helper.make_node("BatchNormalization", ["c", "scale", "shift", "mean", "var"],
                                  ["y"], epsilon=eps)]
        outputs = [helper.make_tensor_value_info("y", T.FLOAT, None)]
        if conv_is_output:
            outputs.append(helper.make_tensor_value_info("c", T.FLOAT, None))
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape))],
            outputs, initializer=inits)
        got = compile_and_run_all(lathe, work, name, graph, 13, [x])
        conv = {2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[spatial]
        c = conv(torch.from_numpy(x), torch.from_numpy(w),
                 torch.from_numpy(b) if bias else None, padding=1, groups=groups)
        y = torch.nn.functional.batch_norm(c, torch.from_numpy(mean), torch.from_numpy(var),
                                           torch.from_numpy(scale), torch.from_numpy(shift),
                                           training=False, eps=eps)
        # Folding moves the rounding: the folded convolution sums w*s/sqrt(var)
        # products, the reference rounds the sum of w products, then scales
        # and shifts it. Both are within a few ulp of the magnitude of the
        # terms summed (|x| * |w| * |s| / sqrt(var + eps), up to ~200 here),
        # not of the result, which cancels towards zero: 4 ulp of that, on
        # top of 1e-5.
        magnitude = conv(torch.from_numpy(np.abs(x)), torch.from_numpy(np.abs(w)),
                         torch.from_numpy(np.abs(b)) if bias else None, padding=1,
                         groups=groups).numpy()
        per_channel = [c_out] + [1] * spatial
        gain = (np.abs(scale) / np.sqrt(var + eps)).reshape(per_channel)
        magnitude = (magnitude + np.abs(mean).reshape(per_channel)) * gain
        atol = 1e-5 + 4 * np.finfo(np.float32).eps * magnitude
        r = compare.close(got[0], y.numpy(), 1e-5, atol)
        print("%s %s: %s" % ("PASS" if r else "FAIL", name, r.detail))
        ok &= bool(r)
        if conv_is_output:
            rc = compare.close(got[1], c.numpy(), 1e-5, 1e-5)
            print("%s %s conv output: %s" % ("PASS" if rc else "FAIL", name, rc.detail))
            ok &= bool(rc)
        inspect = subprocess.run([lathe, "inspect", os.path.join(work, name + ".so")],
                                 capture_output=True, text=True).stdout
        params = [l for l in inspect.splitlines() if l.startswith("parameters")]
        want = (6 if bias else 5) if conv_is_output else 2
        folded = bool(params) and params[0].split()[1] == str(want)
        print("%s %s: %d parameters in the artifact (%s)" %
              ("PASS" if folded else "FAIL", name, want, params[0] if params else inspect[-200:]))
        ok &= folded
    return ok


def lp_pool_reference(x, kernel, strides, pads, p, ceil_mode):
    """ONNX's LpPool: each window's (sum of |x|^p)^(1/p) over x padded with
    zeros; in ceil mode a window that would start in the end padding is
    dropped, and one reaching past the padded input sums what it covers."""
    n = len(kernel)
    begin, end = pads[:n], pads[n:]
    sizes = []
    for i in range(n):
        span = x.shape[2 + i] + begin[i] + end[i] - kernel[i]
        out = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (out - 1) * strides[i] >= x.shape[2 + i] + begin[i]:
            out -= 1
        sizes.append(out)
    reach = [(sizes[i] - 1) * strides[i] + kernel[i] for i in range(n)]
    widths = [(0, 0), (0, 0)] + [
        (begin[i], max(end[i], reach[i] - begin[i] - x.shape[2 + i])) for i in range(n)]
    powered = np.pad(np.abs(x.astype(np.float64)) ** p, widths)
    y = np.zeros(x.shape[:2] + tuple(sizes))
    for pos in np.ndindex(*sizes):
        window = tuple(slice(pos[i] * strides[i], pos[i] * strides[i] + kernel[i])
                       for i in range(n))
        y[(Ellipsis,) + pos] = powered[(slice(None), slice(None)) + window].sum(
            axis=tuple(range(2, 2 + n)))
    return (y ** (1.0 / p)).astype(np.float32)


def lp_pool_cases(lathe, work, rng):
    """LpPool (1-D to 3-D; p 1, 2, 3; pads, strides, opset 18's ceil_mode)
    and GlobalLpPool against a NumPy reference of ONNX's definition, which
    is first checked against PyTorch's lp_pool where the two agree (no
    padding, floor mode, x >= 0: PyTorch raises x, not |x|, to p)."""
    ok = True
    x2 = np.abs(rng.standard_normal((2, 3, 7, 6))).astype(np.float32)
    for p in (1, 2, 3):
        want = torch.nn.functional.lp_pool2d(torch.from_numpy(x2), p, [3, 2], [2, 2]).numpy()
        r = compare.close(lp_pool_reference(x2, [3, 2], [2, 2], [0] * 4, p, False), want,
                          1e-5, 1e-5, what="reference p=%d" % p)
        print("%s lp_pool reference against torch, p=%d: %s" % ("PASS" if r else "FAIL", p, r.detail))
        ok &= bool(r)
    cases = [
        ("lp_pool_1d_p1", (2, 3, 9), dict(kernel_shape=[3], strides=[2], p=1), 13),
        ("lp_pool_2d_p2_pads", (2, 3, 7, 6),
         dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 2, 1], p=2), 13),
        ("lp_pool_2d_p3_same_upper", (1, 2, 5, 6),
         dict(kernel_shape=[2, 3], strides=[2, 2], auto_pad="SAME_UPPER", p=3), 13),
        ("lp_pool_3d_p2", (1, 2, 4, 5, 3), dict(kernel_shape=[2, 2, 2], p=2), 13),
        ("lp_pool_2d_ceil", (2, 2, 7, 8),
         dict(kernel_shape=[3, 3], strides=[2, 3], pads=[0, 1, 1, 0], ceil_mode=1, p=2), 18),
    ]
    for name, shape, attrs, opset in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        n = len(shape) - 2
        kernel = attrs["kernel_shape"]
        strides = attrs.get("strides", [1] * n)
        pads = attrs.get("pads", [0] * 2 * n)
        if attrs.get("auto_pad") == "SAME_UPPER":
            total = [max((-(-shape[2 + i] // strides[i]) - 1) * strides[i] + kernel[i] - shape[2 + i], 0)
                     for i in range(n)]
            pads = [t // 2 for t in total] + [t - t // 2 for t in total]
        want = lp_pool_reference(x, kernel, strides, pads, attrs["p"], attrs.get("ceil_mode", 0))
        graph = helper.make_graph(
            [helper.make_node("LpPool", ["x"], ["y"], **attrs)], name,
            [helper.make_tensor_value_info("x", T.FLOAT, list(shape))],
            [helper.make_tensor_value_info("y", T.FLOAT, list(want.shape))])
        ok &= run_case(lathe, work, name, graph, opset, [x], want)
    for p in (1, 2, 3):
        x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
        want = (np.abs(x.astype(np.float64)) ** p).sum(axis=(2, 3), keepdims=True) ** (1 / p)
        graph = helper.make_graph(
            [helper.make_node("GlobalLpPool", ["x"], ["y"], p=p)], "global_lp",
            [helper.make_tensor_value_info("x", T.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info("y", T.FLOAT, [2, 3, 1, 1])])
        ok &= run_case(lathe, work, "global_lp_pool_p%d" % p, graph, 13, [x],
                       want.astype(np.float32))
    return ok


def ceil_window_cases(lathe, work, rng):
    """Rounded up (ceil_mode), a pooling window larger than the padded
    input still gives one output when it starts inside, over what it covers
    (ONNX's output-size formula; found by the differential test)."""
    ok = True
    x = rng.standard_normal((1, 2, 1, 3)).astype(np.float32)
    cover = [x[..., 0:2], x[..., 2:3]]  # Windows of width 2, stride 2.
    for op, attrs, reduce_ in [
            ("MaxPool", {}, np.max), ("AveragePool", {}, np.mean),
            ("LpPool", {"p": 2}, lambda v, axis, keepdims: np.sqrt(
                (v.astype(np.float64) ** 2).sum(axis=axis, keepdims=keepdims)))]:
        want = np.concatenate([reduce_(c, axis=(2, 3), keepdims=True) for c in cover],
                              axis=3).astype(np.float32)
        graph = helper.make_graph(
            [helper.make_node(op, ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                              ceil_mode=1, **attrs)], "ceil",
            [helper.make_tensor_value_info("x", T.FLOAT, [1, 2, 1, 3])],
            [helper.make_tensor_value_info("y", T.FLOAT, [1, 2, 1, 2])])
        ok &= run_case(lathe, work, "ceil_window_" + op.lower(), graph, 18, [x], want)
        # Rounded down, the same window leaves the height empty.
        graph = helper.make_graph(
            [helper.make_node(op, ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], **attrs)],
            "floor", [helper.make_tensor_value_info("x", T.FLOAT, [1, 2, 1, 3])],
            [helper.make_tensor_value_info("y", T.FLOAT, [1, 2, 0, 1])])
        ok &= run_case(lathe, work, "floor_window_" + op.lower(), graph, 18, [x],
                       np.zeros((1, 2, 0, 1), np.float32))
    return ok


def approximated_math_cases(lathe, work, rng):
    """The CPU target computes f32 tanh, exp, expm1, log, log1p and erf with
    polynomial approximations (lathe-approximate-math). Every activation
    built on them, over every float magnitude (a fixed sweep from 1e-40 to
    200 of both signs, and fresh log-uniform draws), stays within 4 ulp of
    the exact value (float64), where that value is a normal float; a
    subnormal result may flush to zero (it is then within FLT_MIN). NaN,
    infinities and signed zeros come out as the exact function's."""
    selu_a, selu_g = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    exact = {
        "Tanh": np.tanh, "Exp": np.exp, "Log": np.log,
        "Erf": np.vectorize(lambda v: math.erf(v) if np.isfinite(v) else
                            (v if np.isnan(v) else math.copysign(1.0, v))),
        "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "Softplus": lambda v: np.logaddexp(0, v),
        "Elu": lambda v: np.where(v > 0, v, np.expm1(v)),
        "Selu": lambda v: selu_g * np.where(v > 0, v, selu_a * np.expm1(v))}
    sweep = np.logspace(-40, np.log10(200), 3000)
    draws = np.exp(rng.uniform(np.log(1e-40), np.log(200), 3000)) * \
        rng.choice([-1, 1], 3000)
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 88.7, -87.5, -103.0,
                1e-45, -1e-45, 1e-39]
    x = np.concatenate([sweep, -sweep, draws, specials]).astype(np.float32)
    names = list(exact)
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], [op.lower()]) for op in names],
        "approximated_math", [helper.make_tensor_value_info("x", T.FLOAT, [len(x)])],
        [helper.make_tensor_value_info(op.lower(), T.FLOAT, [len(x)]) for op in names])
    got = compile_and_run_all(lathe, work, "approximated_math", graph, 13, [x])
    tiny = np.finfo(np.float32).tiny
    ok = True
    x64 = x.astype(np.float64)
    for op, g in zip(names, got):
        with np.errstate(all="ignore"):
            want = np.asarray(exact[op](x64), np.float64)
            want32 = want.astype(np.float32)
        g64 = g.astype(np.float64)
        finite = np.isfinite(want32)
        # Outside the finite range: the same NaN / infinity, bit for bit in
        # sign. Zeros keep their sign.
        special = ~finite | (want == 0)
        same = np.where(np.isnan(want32[special]), np.isnan(g[special]),
                        (g[special] == want32[special]) &
                        (np.signbit(g[special]) == np.signbit(want32[special])))
        ulp = np.spacing(np.abs(want32[finite])).astype(np.float64)
        normal = np.abs(want[finite]) >= tiny
        err = np.abs(g64[finite] - want[finite])
        bound = np.where(normal, 4 * ulp, tiny)
        worst = int(np.argmax(err / bound))
        good = bool(same.all()) and bool((err <= bound).all())
        print("%s approximated %s: max %.2f ulp (of normal results) at x=%g, "
              "%d specials%s" % (
                  "PASS" if good else "FAIL", op,
                  float(np.max(np.where(normal, err / ulp, 0))),
                  x[finite][worst], int(special.sum()),
                  "" if same.all() else ", wrong at x=%s" % x[special][~same][:5]))
        ok &= good
    return ok


def main(seed):
    lathe, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(seed)
    ok = affine_grid_cases(lathe, work, rng)
    ok &= random_cases(lathe, work)
    ok &= repeated_output_cases(lathe, work, rng)
    ok &= batchnorm_training_mode_cases(lathe, work, rng)
    ok &= reverse_sequence_cases(lathe, work, rng)
    ok &= signal_cases(lathe, work, rng)
    ok &= det_cases(lathe, work, rng)
    ok &= roi_align_cases(lathe, work, rng)
    ok &= empty_tensor_cases(lathe, work, rng)
    ok &= optimizer_cases(lathe, work, rng)
    ok &= sequence_cases(lathe, work, rng)
    ok &= loop_cases(lathe, work, rng)
    ok &= tfidf_cases(lathe, work, rng)
    ok &= convtranspose_extended_cases(lathe, work, rng)
    ok &= constant_folding_cases(lathe, work, rng)
    ok &= gradient_cases(lathe, work, rng)
    ok &= sequence_io_cases(lathe, work, rng)
    ok &= optional_cases(lathe, work, rng)
    ok &= compress_nonzero_cases(lathe, work, rng)
    ok &= folded_batch_norm_cases(lathe, work, rng)
    ok &= lp_pool_cases(lathe, work, rng)
    ok &= ceil_window_cases(lathe, work, rng)
    ok &= approximated_math_cases(lathe, work, rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
