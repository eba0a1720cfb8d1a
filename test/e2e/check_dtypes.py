"""End-to-end check of element types beyond float32: unsigned integers
(uint8 to uint64), int16, float16 and bfloat16 through `lathe compile` and
`lathe run`, on fresh random inputs.

Usage: check_dtypes.py LATHE WORK_DIR

References and tolerances, per case:
- integer arithmetic, comparisons, shifts and integer casts: NumPy's
  wrapping arithmetic (PyTorch 1.13 has no uint16/32/64), and PyTorch for
  uint8 shifts by the element width or more; exact equality.
- uint8 image normalization: PyTorch in float32; 1e-6 + 1e-6 * |torch|.
- float16 / bfloat16 networks: PyTorch computing each op in float32 and
  rounding its result to 16 bits (what Lathe and PyTorch's CPU kernels do);
  one unit in the last place of the 16-bit result, since a different f32
  summation order may round the other way.
- conversions to bfloat16: PyTorch's round-to-nearest-even; exact equality.
- QuantizeLinear: torch.quantize_per_tensor / per_channel's integers,
  exactly; DequantizeLinear: their dequantize() within 1e-6 relative.
- MatMulInteger / ConvInteger: int64 NumPy products and float64 PyTorch
  convolutions of the zero-point-shifted integers (exact there); exact
  equality. QLinearMatMul / QLinearConv: those accumulators requantized
  as ONNX Runtime does, in float32 (one multiplier
  f32(a_scale * b_scale) / y_scale, product rounded half to even);
  exact equality.
- integer pooling, reductions, arg/top-k, clip, cumsum, pad, abs and sign
  on signed and unsigned types: NumPy (PyTorch 1.13 has no unsigned types
  beyond uint8 and no integer max pooling); exact equality.
"""
import os
import sys

import numpy as np
import torch
from onnx import TensorProto as T
from onnx import defs, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
from check_onnx_ops import compile_and_run_all  # noqa: E402

ONNX_TYPE = {np.uint8: T.UINT8, np.uint16: T.UINT16, np.uint32: T.UINT32,
             np.uint64: T.UINT64, np.int16: T.INT16, np.float16: T.FLOAT16,
             np.float32: T.FLOAT, np.float64: T.DOUBLE, np.int64: T.INT64,
             np.int32: T.INT32, np.int8: T.INT8, np.bool_: T.BOOL}


def report(name, ok, detail=""):
    print("%s %s%s" % ("PASS" if ok else "FAIL", name,
                       (": " + detail) if detail else ""))
    return ok


def schema_takes(op, opset, dtype):
    """Whether |op|'s schema at |opset| takes |dtype| as its first input
    (Lathe refuses the types a schema does not allow)."""
    schema = defs.get_schema(op, opset)
    wanted = "tensor(%s)" % np.dtype(dtype).name
    param = schema.inputs[0].typeStr
    for constraint in schema.type_constraints:
        if constraint.type_param_str == param:
            return wanted in constraint.allowed_type_strs
    return param == wanted


def value_info(name, dtype, shape):
    return helper.make_tensor_value_info(name, ONNX_TYPE[dtype], shape)


def unsigned_arithmetic(lathe, work, rng):
    """Every unsigned width: wrapping +, -, *, unsigned /, %, max, min, >,
    <= and both shifts, with operands across the whole range (values with
    the top bit set are where signed code would go wrong)."""
    ok = True
    ops = [("Add", {}, np.add), ("Sub", {}, np.subtract),
           ("Mul", {}, np.multiply), ("Div", {}, np.floor_divide),
           ("Mod", {}, np.remainder), ("Max", {}, np.maximum),
           ("Min", {}, np.minimum), ("Greater", {}, np.greater),
           ("LessOrEqual", {}, np.less_equal)]
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        bits = np.dtype(dtype).itemsize * 8
        shape = [6, 7]
        a = rng.integers(0, 2**bits, shape, dtype=dtype, endpoint=False)
        b = rng.integers(1, 2**bits, shape, dtype=dtype, endpoint=False)
        a[0, :4] = [0, 2**bits - 1, 2**(bits - 1), 2**(bits - 1) - 1]
        s = rng.integers(0, bits, shape, dtype=dtype)
        nodes, outputs, want = [], [], []
        for op, attrs, ref in ops:
            nodes.append(helper.make_node(op, ["a", "b"], [op], **attrs))
            is_bool = op in ("Greater", "LessOrEqual")
            outputs.append(value_info(op, np.bool_ if is_bool else dtype,
                                      shape))
            want.append(ref(a, b))
        for direction, ref in (("LEFT", np.left_shift),
                               ("RIGHT", np.right_shift)):
            nodes.append(helper.make_node("BitShift", ["a", "s"], [direction],
                                          direction=direction))
            outputs.append(value_info(direction, dtype, shape))
            want.append(ref(a, s))
        graph = helper.make_graph(
            nodes, "g", [value_info("a", dtype, shape),
                         value_info("b", dtype, shape),
                         value_info("s", dtype, shape)], outputs)
        name = "unsigned_%s" % np.dtype(dtype).name
        # Opset 14: Add, Sub, Mul and Div take 8- and 16-bit integers since.
        got = compile_and_run_all(lathe, work, name, graph, 14, [a, b, s])
        bad = [o.name for o, g, w in zip(outputs, got, want)
               if g.dtype != w.dtype or not np.array_equal(g, w)]
        ok &= report(name, not bad, "differs in " + ", ".join(bad) if bad
                     else "%d ops exact" % len(outputs))
    return ok


def wide_shifts(lathe, work, rng):
    """uint8 shifts by the element width or more give 0, as in PyTorch."""
    a = rng.integers(0, 256, [16], dtype=np.uint8)
    s = np.arange(16, dtype=np.uint8)
    graph = helper.make_graph(
        [helper.make_node("BitShift", ["a", "s"], ["l"], direction="LEFT"),
         helper.make_node("BitShift", ["a", "s"], ["r"], direction="RIGHT")],
        "g", [value_info("a", np.uint8, [16]), value_info("s", np.uint8, [16])],
        [value_info("l", np.uint8, [16]), value_info("r", np.uint8, [16])])
    left, right = compile_and_run_all(lathe, work, "wide_shifts", graph, 13,
                                      [a, s])
    ta, ts = torch.from_numpy(a), torch.from_numpy(s)
    ok = (np.array_equal(left, (ta << ts).numpy())
          and np.array_equal(right, (ta >> ts).numpy()))
    return report("uint8 shifts by 0..15", ok)


def integer_casts(lathe, work, rng):
    """Casts that depend on signedness: unsigned values above the signed
    range widen with zeros and convert to floats as large positives."""
    u64 = rng.integers(0, 2**64, [10], dtype=np.uint64)
    u32 = rng.integers(0, 2**32, [10], dtype=np.uint32)
    i16 = rng.integers(-2**15, 2**15, [10], dtype=np.int16)
    f = rng.uniform(0, 255, [10]).astype(np.float32)
    cases = [("u64", u64, np.float64), ("u32", u32, np.int64),
             ("u32", u32, np.float32), ("i16", i16, np.float32),
             ("i16", i16, np.uint16), ("f", f, np.uint8),
             ("f", f, np.uint16)]
    inputs = {"u64": u64, "u32": u32, "i16": i16, "f": f}
    nodes, outputs, want = [], [], []
    for i, (src, x, to) in enumerate(cases):
        out = "y%d" % i
        nodes.append(helper.make_node("Cast", [src], [out], to=ONNX_TYPE[to]))
        outputs.append(value_info(out, to, [10]))
        want.append(x.astype(to))
    graph = helper.make_graph(
        nodes, "g", [value_info(k, v.dtype.type, [10])
                     for k, v in inputs.items()], outputs)
    got = compile_and_run_all(lathe, work, "integer_casts", graph, 13,
                              list(inputs.values()))
    bad = ["%s->%s" % (c[0], np.dtype(c[2]).name)
           for c, g, w in zip(cases, got, want)
           if g.dtype != w.dtype or not np.array_equal(g, w)]
    return report("casts by signedness", not bad,
                  "differs in " + ", ".join(bad) if bad else "")


def uint8_image(lathe, work, rng):
    """The usual preprocessing inside a model: uint8 pixels to normalized
    float32."""
    x = rng.integers(0, 256, [2, 3, 8, 8], dtype=np.uint8)
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    graph = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["xf"], to=T.FLOAT),
         helper.make_node("Div", ["xf", "scale"], ["x01"]),
         helper.make_node("Sub", ["x01", "mean"], ["centered"]),
         helper.make_node("Div", ["centered", "std"], ["y"])],
        "g", [value_info("x", np.uint8, [2, 3, 8, 8])],
        [value_info("y", np.float32, [2, 3, 8, 8])],
        [helper.make_tensor("scale", T.FLOAT, [], [255.0]),
         helper.make_tensor("mean", T.FLOAT, [1, 3, 1, 1], mean.ravel()),
         helper.make_tensor("std", T.FLOAT, [1, 3, 1, 1], std.ravel())])
    (got,) = compile_and_run_all(lathe, work, "uint8_image", graph, 13, [x])
    want = ((torch.from_numpy(x).float() / 255 - torch.from_numpy(mean))
            / torch.from_numpy(std)).numpy()
    err = np.abs(got - want)
    ok = got.dtype == np.float32 and bool(
        np.all(err <= 1e-6 + 1e-6 * np.abs(want)))
    return report("uint8 image normalization", ok,
                  "max abs err %.3g" % float(err.max()))


def half_ulp(x):
    """One unit in the last place of float16 |x|."""
    x = np.abs(x.astype(np.float16))
    return (np.nextafter(x, np.float16(np.inf)) - x).astype(np.float64)


def float16_mlp(lathe, work, rng):
    """Linear (Gemm) -> ReLU -> Linear (MatMul + Add) -> Softmax, weights and
    activations in float16."""
    n, d, h, c = 4, 48, 64, 10
    x = rng.standard_normal([n, d]).astype(np.float16)
    w1 = (rng.standard_normal([h, d]) / np.sqrt(d)).astype(np.float16)
    b1 = rng.standard_normal([h]).astype(np.float16)
    w2 = (rng.standard_normal([h, c]) / np.sqrt(h)).astype(np.float16)
    b2 = rng.standard_normal([c]).astype(np.float16)
    inits = [helper.make_tensor(name, T.FLOAT16, v.shape, v.tobytes(),
                                raw=True)
             for name, v in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))]
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["g"], transB=1),
         helper.make_node("Relu", ["g"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["m"]),
         helper.make_node("Add", ["m", "b2"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["p"], axis=1)],
        "g", [value_info("x", np.float16, [n, d])],
        [value_info("logits", np.float16, [n, c]),
         value_info("p", np.float16, [n, c])], inits)
    logits, p = compile_and_run_all(lathe, work, "float16_mlp", graph, 13, [x])

    def t(v):
        return torch.from_numpy(v.astype(np.float32))

    def r16(v):
        return v.half().float()
    gemm = r16(t(x) @ t(w1).T + t(b1))
    relu = r16(torch.relu(gemm))
    want_logits = r16(r16(relu @ t(w2)) + t(b2))
    want_p = r16(torch.softmax(want_logits, dim=1))
    ok = logits.dtype == np.float16 and p.dtype == np.float16
    worst = compare.Worst()
    for got, want in ((logits, want_logits.numpy()), (p, want_p.numpy())):
        # Inputs to a rounding may differ by an f32 ulp: allow the rounding
        # of |want| one step either way, plus that of the logits feeding p.
        tol = 2 * half_ulp(want) + 1e-7
        r = compare.close(got, want, 0.0, tol)
        if got.shape == want.shape:
            worst.add(float((np.abs(got.astype(np.float64) - want) / tol).max()))
        ok &= bool(r)
        if not r:
            print("  " + r.detail)
    return report("float16 MLP (Gemm, ReLU, MatMul, Softmax)", ok,
                  "max error %.2f of the allowed 2 ulp" % worst.value)


def bfloat16(lathe, work, rng):
    """f32 -> bf16 rounding and a bf16 computation, read back as f32 (NumPy
    has no bfloat16 to carry it through .npy)."""
    a = (rng.standard_normal([64]) * 100).astype(np.float32)
    b = rng.standard_normal([64]).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Cast", ["a"], ["ah"], to=T.BFLOAT16),
         helper.make_node("Cast", ["b"], ["bh"], to=T.BFLOAT16),
         helper.make_node("Mul", ["ah", "bh"], ["ph"]),
         helper.make_node("Exp", ["bh"], ["eh"]),
         helper.make_node("Cast", ["ah"], ["ra"], to=T.FLOAT),
         helper.make_node("Cast", ["ph"], ["p"], to=T.FLOAT),
         helper.make_node("Cast", ["eh"], ["e"], to=T.FLOAT)],
        "g", [value_info("a", np.float32, [64]),
              value_info("b", np.float32, [64])],
        [value_info(n, np.float32, [64]) for n in ("ra", "p", "e")])
    ra, p, e = compile_and_run_all(lathe, work, "bfloat16", graph, 13, [a, b])
    ta = torch.from_numpy(a).bfloat16()
    tb = torch.from_numpy(b).bfloat16()
    ok = np.array_equal(ra, ta.float().numpy())
    ok &= np.array_equal(p, (ta * tb).float().numpy())
    want_e = torch.exp(tb.float()).bfloat16().float().numpy()
    # exp in f32 may differ in its last f32 bit: one bf16 step at most.
    step = np.abs(want_e) * 2.0**-7
    ok &= bool(np.all(np.abs(e - want_e) <= step))
    return report("bfloat16 rounding, Mul and Exp", bool(ok))


def quantize_dequantize(lathe, work, rng):
    """QuantizeLinear / DequantizeLinear pairs as torch.ao.quantization
    exports them: per tensor to uint8 and per channel (axis 1) to int8."""
    x = (rng.standard_normal([2, 4, 5]) * 3).astype(np.float32)
    scale_c = rng.uniform(0.01, 0.05, [4]).astype(np.float32)
    zp_c = rng.integers(-10, 10, [4]).astype(np.int8)
    graph = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"]),
         helper.make_node("QuantizeLinear", ["x", "sc", "zc"], ["qc"], axis=1),
         helper.make_node("DequantizeLinear", ["qc", "sc", "zc"], ["dc"],
                          axis=1)],
        "g", [value_info("x", np.float32, [2, 4, 5])],
        [value_info("q", np.uint8, [2, 4, 5]),
         value_info("d", np.float32, [2, 4, 5]),
         value_info("qc", np.int8, [2, 4, 5]),
         value_info("dc", np.float32, [2, 4, 5])],
        [helper.make_tensor("s", T.FLOAT, [], [0.05]),
         helper.make_tensor("z", T.UINT8, [], [128]),
         helper.make_tensor("sc", T.FLOAT, [4], scale_c),
         helper.make_tensor("zc", T.INT8, [4], zp_c)])
    q, d, qc, dc = compile_and_run_all(lathe, work, "qdq", graph, 13, [x])
    tx = torch.from_numpy(x)
    tq = torch.quantize_per_tensor(tx, 0.05, 128, torch.quint8)
    tqc = torch.quantize_per_channel(
        tx, torch.from_numpy(scale_c).double(),
        torch.from_numpy(zp_c.astype(np.int64)), 1, torch.qint8)
    ok = np.array_equal(q, tq.int_repr().numpy())
    ok &= np.array_equal(qc, tqc.int_repr().numpy())
    # Dequantized values: the same products in float32 (torch multiplies
    # in float64 per channel, so allow one float32 rounding).
    for got, want in ((d, tq.dequantize()), (dc, tqc.dequantize())):
        want = want.numpy()
        ok &= bool(np.all(np.abs(got - want) <= 1e-6 * np.abs(want) + 1e-7))
    return report("QuantizeLinear / DequantizeLinear per tensor and channel",
                  bool(ok))


def shifted_conv(x, xzp, w, wzp, **kw):
    """The integer convolution of the zero-point-shifted operands (float64
    PyTorch, exact for these magnitudes) as int64."""
    conv = {3: torch.nn.functional.conv1d,
            4: torch.nn.functional.conv2d}[x.ndim]
    wzp = np.reshape(wzp, [-1] + [1] * (w.ndim - 1))
    acc = conv(torch.from_numpy(x.astype(np.float64) - xzp),
               torch.from_numpy(w.astype(np.float64) - wzp), **kw)
    return acc.numpy().astype(np.int64)


def requantized(acc, scale, y_scale, y_zp, dtype):
    """ONNX Runtime's requantization in float32."""
    multiplier = np.float32(scale) / np.float32(y_scale)
    y = np.rint(acc.astype(np.float32) * multiplier) + y_zp
    info = np.iinfo(dtype)
    return np.clip(y, info.min, info.max).astype(dtype)


def integer_quantized_ops(lathe, work, rng):
    """MatMulInteger (batched, per-row and per-column zero points),
    ConvInteger (2-D grouped with stride, padding and per-channel weight
    zero points; 1-D), QLinearMatMul (per-column b scales) and QLinearConv
    (per-channel weight scales, int32 bias, padding)."""
    u8 = lambda shape: rng.integers(0, 256, shape, dtype=np.uint8)  # noqa
    i8 = lambda shape: rng.integers(-128, 128, shape, dtype=np.int8)  # noqa
    a, bq = u8([2, 3, 5, 7]), i8([7, 4])
    a_zp, b_zp = u8([5]), i8([4])
    x, w = u8([1, 4, 7, 7]), i8([6, 2, 3, 3])
    x_zp, w_zp = np.uint8(rng.integers(0, 256)), i8([6])
    x1, w1 = u8([2, 2, 9]), u8([3, 2, 3])
    x1_zp = np.uint8(rng.integers(0, 256))
    w1_zp = np.uint8(rng.integers(0, 256))
    qa, qb = u8([3, 5]), i8([5, 4])
    qa_s = np.float32(0.02)
    qb_s = rng.uniform(0.001, 0.01, [4]).astype(np.float32)
    qa_zp, qb_zp = np.uint8(120), i8([4])
    qy_s, qy_zp = np.float32(0.05), np.uint8(100)
    cx, cw = u8([1, 3, 8, 8]), i8([4, 3, 3, 3])
    cx_s = np.float32(0.03)
    cw_s = rng.uniform(0.001, 0.004, [4]).astype(np.float32)
    cx_zp, cb = np.uint8(90), rng.integers(-2000, 2000, [4]).astype(np.int32)
    cy_s, cy_zp = np.float32(0.1), np.uint8(128)

    def tensor(name, value):
        value = np.asarray(value)
        return helper.make_tensor(name, ONNX_TYPE[value.dtype.type],
                                  list(value.shape), value.flatten().tolist())

    nodes = [
        helper.make_node("MatMulInteger", ["a", "b", "a_zp", "b_zp"], ["mm"]),
        helper.make_node("ConvInteger", ["x", "w", "x_zp", "w_zp"], ["conv"],
                         group=2, strides=[2, 1], pads=[1, 0, 1, 2]),
        helper.make_node("ConvInteger", ["x1", "w1", "x1_zp", "w1_zp"],
                         ["conv1"], pads=[1, 1], dilations=[2]),
        helper.make_node("QLinearMatMul", ["qa", "qa_s", "qa_zp", "qb", "qb_s",
                                           "qb_zp", "qy_s", "qy_zp"], ["qmm"]),
        helper.make_node("QLinearConv", ["cx", "cx_s", "cx_zp", "cw", "cw_s",
                                         "cw_zp", "cy_s", "cy_zp", "cb"],
                         ["qconv"], pads=[1, 1, 1, 1]),
    ]
    mm = np.matmul(a.astype(np.int64) - a_zp[:, None],
                   bq.astype(np.int64) - b_zp).astype(np.int32)
    # ConvInteger's asymmetric pads: top 1, left 0, bottom 1, right 2.
    conv = shifted_conv(np.pad(x, [(0, 0), (0, 0), (1, 1), (0, 2)],
                               constant_values=x_zp), x_zp, w, w_zp,
                        stride=(2, 1), groups=2).astype(np.int32)
    conv1 = shifted_conv(x1, x1_zp, w1, np.array([w1_zp]), padding=1,
                         dilation=2).astype(np.int32)
    qacc = np.matmul(qa.astype(np.int64) - qa_zp, qb.astype(np.int64) - qb_zp)
    qmm = requantized(qacc, qa_s * qb_s, qy_s, qy_zp, np.uint8)
    cacc = shifted_conv(cx, cx_zp, cw, np.zeros(4), padding=1) + \
        cb.reshape(1, 4, 1, 1)
    qconv = requantized(cacc, cx_s * cw_s.reshape(1, 4, 1, 1), cy_s, cy_zp,
                        np.uint8)
    want = {"mm": mm, "conv": conv, "conv1": conv1, "qmm": qmm,
            "qconv": qconv}
    inputs = {"a": a, "b": bq, "x": x, "w": w, "x1": x1, "w1": w1,
              "qa": qa, "qb": qb, "cx": cx, "cw": cw}
    graph = helper.make_graph(
        nodes, "g",
        [value_info(n, v.dtype.type, list(v.shape)) for n, v in inputs.items()],
        [value_info(n, v.dtype.type, list(v.shape)) for n, v in want.items()],
        [tensor("a_zp", a_zp), tensor("b_zp", b_zp), tensor("x_zp", x_zp),
         tensor("w_zp", w_zp), tensor("x1_zp", x1_zp), tensor("w1_zp", w1_zp),
         tensor("qa_s", qa_s), tensor("qb_s", qb_s), tensor("qa_zp", qa_zp),
         tensor("qb_zp", qb_zp), tensor("qy_s", qy_s), tensor("qy_zp", qy_zp),
         tensor("cx_s", cx_s), tensor("cw_s", cw_s), tensor("cx_zp", cx_zp),
         tensor("cw_zp", np.zeros(4, np.int8)), tensor("cy_s", cy_s),
         tensor("cy_zp", cy_zp), tensor("cb", cb)])
    got = compile_and_run_all(lathe, work, "integer_quantized", graph, 13,
                              list(inputs.values()))
    bad = ["%s (max |diff| %d)" % (n, np.abs(g.astype(np.int64) - v).max())
           for (n, v), g in zip(want.items(), got)
           if g.dtype != v.dtype or not np.array_equal(g, v)]
    return report("MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv",
                  not bad, "differs in " + ", ".join(bad) if bad else
                  "%d outputs exact" % len(want))


def max_pool_reference(x, kernel, strides, pads, ceil_mode=False):
    """ONNX MaxPool over N x C x spatial... with the padding at the type's
    lowest value; returns the values and ONNX's row-major indices."""
    spatial = x.ndim - 2
    lowest = np.iinfo(x.dtype).min
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[spatial + i])
                                 for i in range(spatial)]
    out = []
    for i in range(spatial):
        span = x.shape[2 + i] + pads[i] + pads[spatial + i] - kernel[i]
        n = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (n - 1) * strides[i] >= x.shape[2 + i] + pads[i]:
            n -= 1
        widths[2 + i] = (pads[i], max(pads[spatial + i],
                                      (n - 1) * strides[i] + kernel[i]
                                      - x.shape[2 + i] - pads[i]))
        out.append(n)
    padded = np.pad(x, widths, constant_values=lowest)
    flat = np.pad(np.arange(x.size).reshape(x.shape), widths,
                  constant_values=-1)
    values = np.empty(list(x.shape[:2]) + out, x.dtype)
    indices = np.empty(values.shape, np.int64)
    for pos in np.ndindex(*out):
        window = tuple(slice(p * s, p * s + k)
                       for p, s, k in zip(pos, strides, kernel))
        w = padded[(slice(None), slice(None)) + window]
        f = flat[(slice(None), slice(None)) + window]
        w = w.reshape(x.shape[0], x.shape[1], -1)
        f = f.reshape(x.shape[0], x.shape[1], -1)
        # Padding never wins: only positions inside x compete.
        best = np.where(f >= 0, w, lowest).argmax(axis=2)
        at = (slice(None), slice(None)) + pos
        values[at] = np.take_along_axis(w, best[..., None], 2)[..., 0]
        indices[at] = np.take_along_axis(f, best[..., None], 2)[..., 0]
    return values, indices


def integer_ops(lathe, work, rng):
    """Max pooling (2-D with padding, ceil mode and indices; 3-D),
    reductions, ArgMax/ArgMin, TopK, Clip, CumSum, Pad (constant and
    reflect), Abs and Sign on signed and unsigned integers across their
    whole range: unsigned values with the top bit set are where signed code
    goes wrong. Each type runs the operators whose opset-13 schema takes
    it."""
    ok = True
    for dtype in (np.uint8, np.uint32, np.uint64, np.int8, np.int32):
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, [2, 3, 7, 6], dtype=dtype,
                         endpoint=True)
        x[0, 0, 0, :3] = [info.min, info.max, info.max // 2 + 1]
        v = rng.integers(info.min, info.max, [2, 3, 3, 4, 4], dtype=dtype,
                         endpoint=True)
        small = rng.integers(0, 3, [4, 5]).astype(dtype)
        lo, hi = (10, 200) if dtype == np.uint8 else (
            (-50, 60) if info.min < 0 else (1000, 2**31))
        nodes = [
            helper.make_node("MaxPool", ["x"], ["pool", "where"],
                             kernel_shape=[3, 2], strides=[2, 2],
                             pads=[1, 0, 1, 1], ceil_mode=1),
            helper.make_node("MaxPool", ["v"], ["pool3"],
                             kernel_shape=[2, 2, 2], strides=[1, 2, 2]),
            helper.make_node("ReduceMax", ["x"], ["rmax"], axes=[1, 3]),
            helper.make_node("ReduceMin", ["x"], ["rmin"], axes=[2],
                             keepdims=0),
            helper.make_node("ReduceSum", ["x", "axes"], ["rsum"],
                             keepdims=0),
            helper.make_node("ReduceMean", ["small"], ["rmean"], axes=[1]),
            helper.make_node("ReduceProd", ["small"], ["rprod"], axes=[0]),
            helper.make_node("ArgMax", ["x"], ["amax"], axis=3),
            helper.make_node("ArgMin", ["x"], ["amin"], axis=1, keepdims=0,
                             select_last_index=1),
            helper.make_node("TopK", ["x", "k"], ["topv", "topi"], axis=2),
            helper.make_node("TopK", ["x", "k"], ["botv", "boti"], axis=3,
                             largest=0),
            helper.make_node("Clip", ["x", "lo", "hi"], ["clip"]),
            helper.make_node("CumSum", ["x", "axis1"], ["csum"]),
            helper.make_node("Pad", ["x", "pads", "fill"], ["padc"]),
            helper.make_node("Pad", ["x", "pads"], ["padr"], mode="reflect"),
            helper.make_node("Abs", ["x"], ["abs"]),
            helper.make_node("Sign", ["x"], ["sign"]),
        ]
        pool, where = max_pool_reference(x, [3, 2], [2, 2], [1, 0, 1, 1],
                                         ceil_mode=True)
        pool3, _ = max_pool_reference(v, [2, 2, 2], [1, 2, 2], [0] * 6)
        wide = np.int64 if info.min < 0 else np.uint64
        order = np.argsort(-x.astype(np.float64) if info.min < 0 else
                           ~x.astype(np.uint64), axis=2, kind="stable")
        low = np.argsort(x, axis=3, kind="stable")
        last = x.shape[1] - 1 - np.argmin(x[:, ::-1], axis=1)
        want = {
            "pool": pool, "where": where, "pool3": pool3,
            "rmax": x.max(axis=(1, 3), keepdims=True),
            "rmin": x.min(axis=2),
            "rsum": x.sum(axis=(0, 2), dtype=dtype),
            "rmean": (small.astype(wide).sum(axis=1, keepdims=True)
                      // 5).astype(dtype),
            "rprod": small.prod(axis=0, keepdims=True, dtype=dtype),
            "amax": np.argmax(x, axis=3)[..., None],
            "amin": last,
            "topv": np.take_along_axis(x, order[:, :, :3], 2),
            "topi": order[:, :, :3],
            "botv": np.take_along_axis(x, low[..., :3], 3),
            "boti": low[..., :3],
            "clip": np.clip(x, dtype(lo), dtype(hi)),
            "csum": np.cumsum(x, axis=1, dtype=dtype),
            "padc": np.pad(x, [(0, 0), (0, 0), (1, 2), (2, 0)],
                           constant_values=dtype(7)),
            "padr": np.pad(x, [(0, 0), (0, 0), (1, 2), (2, 0)],
                           mode="reflect"),
            "abs": np.abs(x) if info.min < 0 else x,
            "sign": np.sign(x).astype(dtype),
        }
        nodes = [n for n in nodes if schema_takes(n.op_type, 13, dtype)]
        want = {o: want[o] for n in nodes for o in n.output}
        outputs = [value_info(n, w.dtype.type, list(w.shape))
                   for n, w in want.items()]
        graph = helper.make_graph(
            nodes, "g",
            [value_info("x", dtype, list(x.shape)),
             value_info("v", dtype, list(v.shape)),
             value_info("small", dtype, list(small.shape))], outputs,
            [helper.make_tensor("axes", T.INT64, [2], [0, 2]),
             helper.make_tensor("k", T.INT64, [1], [3]),
             helper.make_tensor("lo", ONNX_TYPE[dtype], [], [lo]),
             helper.make_tensor("hi", ONNX_TYPE[dtype], [], [hi]),
             helper.make_tensor("axis1", T.INT64, [], [1]),
             helper.make_tensor("pads", T.INT64, [8],
                                [0, 0, 1, 2, 0, 0, 2, 0]),
             helper.make_tensor("fill", ONNX_TYPE[dtype], [], [7])])
        name = "integer_ops_%s" % np.dtype(dtype).name
        got = compile_and_run_all(lathe, work, name, graph, 13, [x, v, small])
        bad = [o.name for o, g, w in zip(outputs, got, want.values())
               if g.dtype != w.dtype or not np.array_equal(g, w)]
        ok &= report(name, not bad, "differs in " + ", ".join(bad) if bad
                     else "%d ops exact" % len(outputs))
    return ok


def main(seed):
    lathe, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(seed)
    ok = unsigned_arithmetic(lathe, work, rng)
    ok &= wide_shifts(lathe, work, rng)
    ok &= integer_casts(lathe, work, rng)
    ok &= uint8_image(lathe, work, rng)
    ok &= float16_mlp(lathe, work, rng)
    ok &= bfloat16(lathe, work, rng)
    ok &= quantize_dequantize(lathe, work, rng)
    ok &= integer_ops(lathe, work, rng)
    ok &= integer_quantized_ops(lathe, work, rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
