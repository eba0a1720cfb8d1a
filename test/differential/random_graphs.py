"""Random small ONNX graphs for differential testing (NNSmith-style): valid
chains of operators with random shapes and attributes, built one node at a
time. Every node is checked by ONNX's shape inference (strict) as it is
added; a node that ONNX refuses, or that makes a tensor empty or larger than
MAX_ELEMENTS, is dropped and another is drawn.

The graphs are float32 throughout (integer operands are constants), their
values kept where float32 arithmetic in a different order agrees to the
differential test's tolerance: weights scaled by their fan-in, logarithms,
roots and quotients kept away from their poles, exponentials of bounded
values, and comparisons (ArgMax) of exact inputs only.
"""
import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper, shape_inference

MAX_ELEMENTS = 4096
OPSETS = [13, 14, 15, 16, 17]


class Graph:
    def __init__(self, rng, opset):
        self.rng, self.opset = rng, opset
        self.nodes, self.inputs, self.inits = [], [], []
        self.shapes = {}  # Float tensors: name -> shape.
        self.exact = set()  # Tensors whose values are inputs, unchanged.
        self.counter = 0

    def name(self, prefix):
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def add_input(self, shape):
        name = self.name("x")
        self.inputs.append(helper.make_tensor_value_info(name, T.FLOAT, list(shape)))
        self.shapes[name] = tuple(shape)
        self.exact.add(name)
        return name

    def const(self, value, prefix="c"):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def ints(self, values):
        return self.const(np.array(values, dtype=np.int64), "i")

    def weight(self, shape, fan_in):
        return self.const((self.rng.standard_normal(shape) / np.sqrt(max(fan_in, 1)))
                          .astype(np.float32), "w")

    def floats(self, shape, lo=-1.0, hi=1.0):
        return self.const(self.rng.uniform(lo, hi, shape).astype(np.float32), "f")

    def node(self, op, inputs, outputs=1, **attrs):
        names = [self.name("t") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, **attrs))
        return names if outputs > 1 else names[0]

    def mark(self):
        """The graph as it stands, to roll back to when a node is refused."""
        return len(self.nodes), len(self.inputs), len(self.inits), self.counter, set(self.shapes)

    def rollback(self, mark):
        nodes, inputs, inits, self.counter, names = mark
        del self.nodes[nodes:], self.inputs[inputs:], self.inits[inits:]
        for name in set(self.shapes) - names:
            del self.shapes[name]
            self.exact.discard(name)

    def model(self, outputs):
        graph = helper.make_graph(
            self.nodes, "random", self.inputs,
            [helper.make_tensor_value_info(o, T.FLOAT, self.shapes.get(o)) for o in outputs],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8
        return model

    def infer(self, fresh):
        """The shapes of the float tensors in |fresh| (ONNX's inference);
        None when ONNX refuses the graph or a shape is not concrete."""
        try:
            inferred = shape_inference.infer_shapes(self.model(fresh), strict_mode=True)
        except Exception:  # noqa: BLE001 - onnx raises several kinds.
            return None
        known = {}
        for info in list(inferred.graph.value_info) + list(inferred.graph.output):
            t = info.type.tensor_type
            if info.name in fresh and t.elem_type == T.FLOAT and t.HasField("shape"):
                dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
                known[info.name] = tuple(dims)
        shapes = []
        for name in fresh:
            shape = known.get(name)
            if shape is None or any(d <= 0 for d in shape) or int(np.prod(shape)) > MAX_ELEMENTS:
                return None
            shapes.append(shape)
        return shapes


def broadcastable(rng, shape):
    """A shape that broadcasts to |shape|: leading dimensions dropped, some
    set to 1."""
    keep = int(rng.integers(0, len(shape) + 1))
    out = list(shape[len(shape) - keep:])
    return tuple(1 if rng.random() < 0.3 else d for d in out)


def axis_of(rng, rank):
    """An axis in [-rank, rank)."""
    a = int(rng.integers(0, rank))
    return a - rank if rng.random() < 0.3 else a


# Operator generators: gen(g, x, shape) adds nodes reading |x| and returns
# the float tensors made, or None when the operator does not apply.

def unary(op):
    return lambda g, x, s: [g.node(op, [x])]


def unary_with(op, make):
    return lambda g, x, s: [g.node(op, [x], **make(g.rng))]


def exp_bounded(g, x, s):
    return [g.node("Exp", [g.node("Tanh", [x])])]


def positive(g, x, floor):
    """|x| + floor: an operand kept away from a pole."""
    return g.node("Add", [g.node("Abs", [x]), g.const(np.float32(floor))])


def log_of(g, x, s):
    return [g.node("Log", [positive(g, x, 1.0)])]


def sqrt_of(g, x, s):
    return [g.node("Sqrt", [positive(g, x, 0.5)])]


def reciprocal_of(g, x, s):
    return [g.node("Reciprocal", [positive(g, x, 0.5)])]


def pow_of(g, x, s):
    e = float(g.rng.choice([0.5, 2.0, 3.0, -1.0, 1.5]))
    return [g.node("Pow", [positive(g, x, 0.5), g.const(np.float32(e))])]


def clip(g, x, s):
    lo = float(g.rng.uniform(-1, 0))
    hi = float(g.rng.uniform(0, 1))
    ins = [x, g.const(np.float32(lo)) if g.rng.random() < 0.8 else ""]
    if g.rng.random() < 0.8:
        ins.append(g.const(np.float32(hi)))
    return [g.node("Clip", ins)]


def softmax(op):
    return lambda g, x, s: [g.node(op, [x], axis=axis_of(g.rng, len(s)))]


def other_operand(g, s):
    """A second operand broadcasting with |s|: a tensor of the graph of a
    compatible shape, a fresh graph input or a constant."""
    rng = g.rng
    if rng.random() < 0.4:
        known = list(g.shapes.items())
        for i in rng.permutation(len(known))[:8]:
            name, shape = known[i]
            try:
                if np.broadcast_shapes(tuple(shape), s) == s:
                    return name
            except ValueError:
                pass
    shape = broadcastable(rng, s)
    return g.add_input(shape) if rng.random() < 0.3 else g.floats(shape)


def binary(op):
    def gen(g, x, s):
        y = other_operand(g, s)
        return [g.node(op, [y, x] if g.rng.random() < 0.3 else [x, y])]
    return gen


def divide(g, x, s):
    return [g.node("Div", [x, positive(g, other_operand(g, s), 0.5)])]


def variadic(op):
    def gen(g, x, s):
        return [g.node(op, [x] + [other_operand(g, s)
                                  for _ in range(int(g.rng.integers(1, 3)))])]
    return gen


def prelu(g, x, s):
    return [g.node("PRelu", [x, g.floats(broadcastable(g.rng, s), 0, 0.5)])]


def where(g, x, s):
    y, z = other_operand(g, s), other_operand(g, s)
    cond = g.node(str(g.rng.choice(["Greater", "Less"])), [x, y])
    return [g.node("Where", [cond, x, z])]


def matmul(g, x, s):
    k, n = s[-1], int(g.rng.integers(1, 9))
    if len(s) >= 3 and g.rng.random() < 0.3:
        return [g.node("MatMul", [x, g.weight((s[-3], k, n), k)])]
    return [g.node("MatMul", [x, g.weight((k, n), k)])]


def gemm(g, x, s):
    if len(s) != 2:
        return None
    rng = g.rng
    ta, tb = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    m, k = (s[1], s[0]) if ta else s
    n = int(rng.integers(1, 9))
    ins = [x, g.weight((n, k) if tb else (k, n), k)]
    if rng.random() < 0.7:
        ins.append(g.floats([(n,), (1, n), (m, 1), (m, n), ()][int(rng.integers(0, 5))]))
    return [g.node("Gemm", ins, transA=ta, transB=tb, alpha=float(rng.uniform(0.5, 1.5)),
                   beta=float(rng.uniform(0.5, 1.5)))]


def window(g, s, max_kernel=3):
    """kernel, strides, dilations and pads for the spatial dims of |s|."""
    rng = g.rng
    spatial = len(s) - 2
    kernel = [int(rng.integers(1, max_kernel + 1)) for _ in range(spatial)]
    strides = [int(rng.choice([1, 1, 2])) for _ in range(spatial)]
    dilations = [int(rng.choice([1, 1, 2])) for _ in range(spatial)]
    pads = ([int(rng.integers(0, k)) for k in kernel] +
            [int(rng.integers(0, k)) for k in kernel])
    return kernel, strides, dilations, pads


def auto_pad(rng, attrs, pads, s=None, kernel=None, dilations=None):
    """Explicit |pads| mostly, else an auto_pad mode. VALID only where
    every dilated kernel fits the input: for one that does not, ONNX's
    formula gives an empty output, and ONNX Runtime one element."""
    modes = ["NOTSET"] * 5 + ["SAME_UPPER", "SAME_LOWER"]
    if s is None or all(d * (k - 1) + 1 <= n for n, k, d in zip(s[2:], kernel, dilations)):
        modes.append("VALID")
    mode = str(rng.choice(modes))
    if mode == "NOTSET":
        attrs["pads"] = pads
    else:
        attrs["auto_pad"] = mode
    return attrs


def reaches_past_padding(s, kernel, strides, pads):
    """Whether, in ceil mode, the last window of some spatial dimension
    reaches past the padded input."""
    n = len(kernel)
    for i in range(n):
        padded = s[2 + i] + pads[i] + pads[n + i]
        out = -(-(padded - kernel[i]) // strides[i]) + 1
        if (out - 1) * strides[i] >= s[2 + i] + pads[i]:
            out -= 1
        if (out - 1) * strides[i] + kernel[i] > padded:
            return True
    return False


def windows_fit(s, kernel, dilations, pads, ceil_mode):
    """Whether ONNX's output size is at least 1 in every spatial dimension
    (ONNX's shape inference says 1 where a window larger than the padded
    input leaves the dimension empty, as ONNX Runtime and Lathe make it)."""
    n = len(kernel)
    for i in range(n):
        span = s[2 + i] + pads[i] + pads[n + i] - (dilations[i] * (kernel[i] - 1) + 1)
        if span < 0 and not ceil_mode:
            return False
    return True


def windows_see_input(s, kernel, strides, dilations, pads, ceil_mode):
    """Whether every pooling window covers at least one input element: a
    window of padding alone has no maximum or average (ONNX Runtime gives
    the lowest float, or divides by zero)."""
    n = len(kernel)
    for i in range(n):
        size = s[2 + i]
        span = size + pads[i] + pads[n + i] - (dilations[i] * (kernel[i] - 1) + 1)
        out = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        for o in range(out):
            start = o * strides[i] - pads[i]
            if not any(0 <= start + j * dilations[i] < size for j in range(kernel[i])):
                return False
    return True


def conv(g, x, s):
    if not 3 <= len(s) <= 5:
        return None
    rng = g.rng
    c = s[1]
    groups = [d for d in range(1, c + 1) if c % d == 0]
    group = int(rng.choice(groups)) if rng.random() < 0.4 else 1
    m = group * int(rng.integers(1, 4))
    kernel, strides, dilations, pads = window(g, s)
    ins = [x, g.weight((m, c // group, *kernel), c // group * int(np.prod(kernel)))]
    if rng.random() < 0.6:
        ins.append(g.floats((m,)))
    attrs = auto_pad(rng, dict(kernel_shape=kernel, strides=strides, group=group), pads, s,
                     kernel, dilations)
    if attrs.get("auto_pad", "NOTSET") in ("NOTSET", "VALID"):
        attrs["dilations"] = dilations
    return [g.node("Conv", ins, **attrs)]


def conv_transpose(g, x, s):
    if not 3 <= len(s) <= 4:
        return None
    rng = g.rng
    c = s[1]
    group = int(rng.choice([d for d in range(1, c + 1) if c % d == 0])) if rng.random() < 0.3 else 1
    m = int(rng.integers(1, 4))
    kernel, strides, dilations, pads = window(g, s)
    ins = [x, g.weight((c, m, *kernel), c // group * int(np.prod(kernel)))]
    if rng.random() < 0.5:
        ins.append(g.floats((m * group,)))
    attrs = dict(kernel_shape=kernel, strides=strides, group=group, dilations=dilations,
                 pads=pads)
    if rng.random() < 0.3:
        attrs["output_padding"] = [int(rng.integers(0, st)) for st in strides]
    return [g.node("ConvTranspose", ins, **attrs)]


def last_window_inside(s, kernel, strides, dilations, pads):
    """Whether, rounding the output size up, the last window of every
    spatial dimension still starts inside the input or its left padding.
    Where one would start in the right padding, ONNX's text (and PyTorch)
    drop it but ONNX Runtime 1.19 keeps it: ceil_mode is left out there."""
    n = len(kernel)
    for i in range(n):
        span = s[2 + i] + pads[i] + pads[n + i] - (dilations[i] * (kernel[i] - 1) + 1)
        out = -(-span // strides[i]) + 1
        if (out - 1) * strides[i] >= s[2 + i] + pads[i]:
            return False
    return True


def pool(op):
    def gen(g, x, s):
        if not 3 <= len(s) <= 5:
            return None
        rng = g.rng
        kernel, strides, dilations, pads = window(g, s)
        if op != "MaxPool":
            dilations = [1] * len(kernel)
        ceil = int(rng.random() < 0.5 and
                   last_window_inside(s, kernel, strides, dilations, pads))
        if not windows_see_input(s, kernel, strides, dilations, pads, ceil):
            pads = [0] * len(pads)
        if not windows_fit(s, kernel, dilations, pads, ceil):
            return None
        attrs = auto_pad(rng, dict(kernel_shape=kernel, strides=strides), pads, s, kernel,
                         dilations)
        if "pads" not in attrs:
            ceil = 0
            dilations = [1] * len(kernel)
        if op == "MaxPool":
            if attrs.get("auto_pad", "NOTSET") in ("NOTSET", "VALID"):
                attrs["dilations"] = dilations
            attrs["ceil_mode"] = ceil
            if rng.random() < 0.2:
                attrs["storage_order"] = 0
        elif op == "AveragePool":
            attrs["ceil_mode"] = ceil
            # A ceil-mode window reaching past the padded input: PyTorch
            # (and Lathe) count what it covers, ONNX Runtime the whole
            # kernel; with count_include_pad only.
            attrs["count_include_pad"] = int(
                rng.random() < 0.5 and
                not (ceil and reaches_past_padding(s, kernel, strides, pads)))
        else:  # LpPool
            attrs["p"] = int(rng.choice([1, 2, 3]))
        return [g.node(op, [x], **attrs)]
    return gen


def global_pool(op):
    return lambda g, x, s: [g.node(op, [x])] if len(s) >= 3 else None


def batch_norm(g, x, s):
    if len(s) < 2:
        return None
    c = (s[1],)
    return [g.node("BatchNormalization",
                   [x, g.floats(c, 0.5, 1.5), g.floats(c), g.floats(c),
                    g.floats(c, 0.5, 2.0)], epsilon=float(g.rng.choice([1e-5, 1e-3])))]


def instance_norm(g, x, s):
    if len(s) < 3:
        return None
    c = (s[1],)
    return [g.node("InstanceNormalization", [x, g.floats(c, 0.5, 1.5), g.floats(c)],
                   epsilon=1e-3)]


def layer_norm(g, x, s):
    if g.opset < 17:
        return None
    axis = axis_of(g.rng, len(s))
    tail = s[axis:] if axis >= 0 else s[len(s) + axis:]
    ins = [x, g.floats(tail, 0.5, 1.5)]
    if g.rng.random() < 0.6:
        ins.append(g.floats(tail))
    return [g.node("LayerNormalization", ins, axis=axis, epsilon=1e-3)]


def lrn(g, x, s):
    if len(s) != 4:  # ONNX Runtime's LRN takes 4-D inputs only.
        return None
    rng = g.rng
    return [g.node("LRN", [x], size=int(rng.choice([1, 3, 5])),
                   alpha=float(rng.uniform(1e-4, 1e-2)), beta=float(rng.uniform(0.5, 0.9)),
                   bias=float(rng.uniform(1, 2)))]


def reduce(op):
    def gen(g, x, s):
        rng = g.rng
        rank = len(s)
        axes = sorted({axis_of(rng, rank) % rank for _ in range(int(rng.integers(1, rank + 1)))})
        axes = [a - rank if rng.random() < 0.3 else a for a in axes]
        keepdims = int(rng.integers(0, 2))
        if op == "ReduceProd" and np.prod([s[a] for a in axes]) > 8:
            return None
        source = x
        if op in ("ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare", "ReduceProd"):
            source = g.node("Tanh", [x])  # Bounded terms.
        if rng.random() < 0.15:
            axes = None  # Every axis.
        if op == "ReduceSum":
            ins = [source] + ([g.ints(axes)] if axes is not None else [])
            return [g.node(op, ins, keepdims=keepdims)]
        attrs = dict(keepdims=keepdims)
        if axes is not None:
            attrs["axes"] = axes
        return [g.node(op, [source], **attrs)]
    return gen


def arg_reduce(op):
    def gen(g, x, s):
        if x not in g.exact:
            return None  # Near-ties of computed values could flip.
        index = g.node(op, [x], axis=axis_of(g.rng, len(s)), keepdims=int(g.rng.integers(0, 2)),
                       select_last_index=int(g.rng.integers(0, 2)))
        return [g.node("Cast", [index], to=T.FLOAT)]
    return gen


def transpose(g, x, s):
    if g.rng.random() < 0.2:
        return [g.node("Transpose", [x])]
    return [g.node("Transpose", [x], perm=[int(p) for p in g.rng.permutation(len(s))])]


def reshape(g, x, s):
    rng = g.rng
    n = int(np.prod(s))
    dims = []
    rest = n
    for _ in range(int(rng.integers(0, 4))):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = int(rng.choice(divisors))
        dims.append(d)
        rest //= d
    dims.append(rest)
    rng.shuffle(dims)
    if rng.random() < 0.4:
        dims[int(rng.integers(0, len(dims)))] = -1
    for i in range(min(len(dims), len(s))):
        if dims[i] == s[i] and rng.random() < 0.3:
            dims[i] = 0  # Copied from the input.
    return [g.node("Reshape", [x, g.ints(dims)])]


def flatten(g, x, s):
    return [g.node("Flatten", [x], axis=int(g.rng.integers(-len(s), len(s) + 1)))]


def squeeze(g, x, s):
    ones = [i for i, d in enumerate(s) if d == 1]
    if not ones or len(s) < 2:
        return None
    pick = sorted(set(int(a) for a in g.rng.choice(ones, int(g.rng.integers(1, len(ones) + 1)))))
    if len(pick) == len(s):
        pick = pick[1:]
    if not pick:
        return None
    return [g.node("Squeeze", [x, g.ints(pick)])]


def unsqueeze(g, x, s):
    if len(s) >= 5:
        return None
    out_rank = len(s) + int(g.rng.integers(1, 3))
    axes = [int(a) for a in g.rng.choice(out_rank, out_rank - len(s), replace=False)]
    return [g.node("Unsqueeze", [x, g.ints([a - out_rank if g.rng.random() < 0.3 else a
                                            for a in axes])])]


def concat(g, x, s):
    axis = axis_of(g.rng, len(s))
    parts = [x]
    for name, shape in g.shapes.items():
        if (len(shape) == len(s) and name != x and
                all(a == b for i, (a, b) in enumerate(zip(shape, s)) if i != axis % len(s))):
            parts.append(name)
    if len(parts) == 1 or g.rng.random() < 0.3:
        parts.append(g.node("Neg", [x]))
    g.rng.shuffle(parts)
    return [g.node("Concat", parts[:4], axis=axis)]


def split(g, x, s):
    axes = [a for a, d in enumerate(s) if d >= 2]
    if not axes:
        return None
    axis = int(g.rng.choice(axes))
    d = s[axis]
    if g.rng.random() < 0.5:
        cut = sorted(int(c) for c in g.rng.choice(np.arange(1, d), min(d - 1, 2), replace=False))
        sizes = np.diff([0] + cut + [d]).tolist()
        return g.node("Split", [x, g.ints(sizes)], outputs=len(sizes), axis=axis)
    parts = [p for p in (2, 3) if d % p == 0]
    if not parts:
        return None
    return g.node("Split", [x], outputs=int(g.rng.choice(parts)), axis=axis)


def slice_(g, x, s):
    rng = g.rng
    rank = len(s)
    axes = [int(a) for a in rng.permutation(rank)[:int(rng.integers(1, rank + 1))]]
    starts, ends, steps = [], [], []
    for a in axes:
        d = s[a]
        step = int(rng.choice([1, 1, 2, -1, -2]))
        lo, hi = sorted(int(v) for v in rng.integers(0, d + 1, 2))
        if step > 0:
            start, end = lo, max(hi, lo + 1)
        else:
            start, end = max(hi - 1, 0), lo - 1 if lo > 0 else -d - 5
        if rng.random() < 0.3:
            start -= d  # Negative: counted from the end.
        if rng.random() < 0.2 and step > 0:
            end = 2 ** 62  # Past the end: clamped.
        starts.append(start)
        ends.append(end)
        steps.append(step)
    axes = [a - rank if rng.random() < 0.3 else a for a in axes]
    return [g.node("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])]


def pad(g, x, s):
    rng = g.rng
    mode = str(rng.choice(["constant", "reflect", "edge"]))
    limit = (lambda d: d - 1) if mode == "reflect" else (lambda d: 2)
    pads = [int(rng.integers(0, min(limit(d), 2) + 1)) for d in s] * 2
    ins = [x, g.ints(pads)]
    if mode == "constant" and rng.random() < 0.5:
        ins.append(g.const(np.float32(rng.uniform(-1, 1))))
    return [g.node("Pad", ins, mode=mode)]


def tile(g, x, s):
    return [g.node("Tile", [x, g.ints([int(g.rng.choice([1, 1, 2, 3])) for _ in s])])]


def expand(g, x, s):
    rng = g.rng
    target = [int(rng.integers(1, 4)) if d == 1 else d for d in s]
    lead = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 2)))]
    return [g.node("Expand", [x, g.ints(lead + target)])]


def gather(g, x, s):
    rng = g.rng
    axis = axis_of(rng, len(s))
    d = s[axis]
    shape = tuple(int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3))))
    idx = rng.integers(-d, d, shape)
    return [g.node("Gather", [x, g.ints(idx)], axis=axis)]


def gather_elements(g, x, s):
    rng = g.rng
    axis = axis_of(rng, len(s))
    d = s[axis]
    shape = list(s)
    shape[axis] = int(rng.integers(1, d + 2))
    return [g.node("GatherElements", [x, g.ints(rng.integers(-d, d, shape))], axis=axis)]


def depth_to_space(g, x, s):
    if len(s) != 4:
        return None
    b = int(g.rng.choice([2, 3]))
    if s[1] % (b * b):
        return None
    return [g.node("DepthToSpace", [x], blocksize=b, mode=str(g.rng.choice(["DCR", "CRD"])))]


def space_to_depth(g, x, s):
    if len(s) != 4:
        return None
    b = int(g.rng.choice([2, 3]))
    if s[2] % b or s[3] % b:
        return None
    return [g.node("SpaceToDepth", [x], blocksize=b)]


def cumsum(g, x, s):
    return [g.node("CumSum", [x, g.ints(np.int64(axis_of(g.rng, len(s))))],
                   exclusive=int(g.rng.integers(0, 2)), reverse=int(g.rng.integers(0, 2)))]


def trilu(g, x, s):
    if len(s) < 2:
        return None
    ins = [x]
    if g.rng.random() < 0.6:
        ins.append(g.ints(np.int64(g.rng.integers(-2, 3))))
    return [g.node("Trilu", ins, upper=int(g.rng.integers(0, 2)))]


def resize(g, x, s):
    if len(s) != 4:
        return None
    rng = g.rng
    mode = str(rng.choice(["nearest", "linear", "cubic"]))
    ctm = str(rng.choice(["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]))
    attrs = dict(mode=mode, coordinate_transformation_mode=ctm)
    if mode == "nearest":
        attrs["nearest_mode"] = str(rng.choice(["round_prefer_floor", "round_prefer_ceil",
                                                "floor", "ceil"]))
    if mode == "cubic":
        attrs["cubic_coeff_a"] = float(rng.choice([-0.75, -0.5]))
        attrs["exclude_outside"] = int(rng.integers(0, 2))
    scales = [1.0, 1.0] + [float(rng.choice([0.5, 1.5, 2.0, 3.0])) for _ in range(2)]
    # With scales, ONNX's reference takes length_resized as in * scale,
    # fractional or not, where ONNX Runtime takes the output's length:
    # they agree where in * scale is whole.
    whole = all(float(d * c).is_integer() for d, c in zip(s[2:], scales[2:]))
    if rng.random() < 0.5 and (whole or ctm not in ("align_corners", "pytorch_half_pixel")):
        return [g.node("Resize", [x, "", g.const(np.array(scales, np.float32))], **attrs)]
    sizes = list(s[:2]) + [int(rng.integers(1, 2 * d + 2)) for d in s[2:]]
    return [g.node("Resize", [x, "", "", g.ints(sizes)], **attrs)]


def rand_alpha(lo, hi, name="alpha"):
    return lambda rng: {name: float(rng.uniform(lo, hi))}


GENERATORS = [
    ("Relu", unary("Relu")), ("Sigmoid", unary("Sigmoid")), ("Tanh", unary("Tanh")),
    ("Abs", unary("Abs")), ("Neg", unary("Neg")), ("Softsign", unary("Softsign")),
    ("Softplus", unary("Softplus")), ("Erf", unary("Erf")), ("Sin", unary("Sin")),
    ("Cos", unary("Cos")), ("Atan", unary("Atan")), ("HardSwish", unary("HardSwish")),
    ("Identity", unary("Identity")), ("Selu", unary("Selu")),
    ("Elu", unary_with("Elu", rand_alpha(0.1, 2))),
    ("Celu", unary_with("Celu", rand_alpha(0.1, 2))),
    ("LeakyRelu", unary_with("LeakyRelu", rand_alpha(0.01, 0.5))),
    ("HardSigmoid", unary_with("HardSigmoid", lambda r: dict(alpha=float(r.uniform(0.1, 0.5)),
                                                             beta=float(r.uniform(0.3, 0.7))))),
    ("Exp", exp_bounded), ("Log", log_of), ("Sqrt", sqrt_of), ("Reciprocal", reciprocal_of),
    ("Pow", pow_of), ("Clip", clip),
    ("Softmax", softmax("Softmax")), ("LogSoftmax", softmax("LogSoftmax")),
    ("Add", binary("Add")), ("Sub", binary("Sub")), ("Mul", binary("Mul")),
    ("Max", binary("Max")), ("Min", binary("Min")), ("Div", divide),
    ("Sum", variadic("Sum")), ("Mean", variadic("Mean")), ("PRelu", prelu), ("Where", where),
    ("MatMul", matmul), ("Gemm", gemm), ("Conv", conv), ("ConvTranspose", conv_transpose),
    ("MaxPool", pool("MaxPool")), ("AveragePool", pool("AveragePool")),
    ("LpPool", pool("LpPool")),
    ("GlobalAveragePool", global_pool("GlobalAveragePool")),
    ("GlobalMaxPool", global_pool("GlobalMaxPool")),
    ("BatchNormalization", batch_norm), ("InstanceNormalization", instance_norm),
    ("LayerNormalization", layer_norm), ("LRN", lrn),
    ("ReduceSum", reduce("ReduceSum")), ("ReduceMean", reduce("ReduceMean")),
    ("ReduceMax", reduce("ReduceMax")), ("ReduceMin", reduce("ReduceMin")),
    ("ReduceProd", reduce("ReduceProd")), ("ReduceL1", reduce("ReduceL1")),
    ("ReduceL2", reduce("ReduceL2")), ("ReduceLogSumExp", reduce("ReduceLogSumExp")),
    ("ReduceSumSquare", reduce("ReduceSumSquare")),
    ("ArgMax", arg_reduce("ArgMax")), ("ArgMin", arg_reduce("ArgMin")),
    ("Transpose", transpose), ("Reshape", reshape), ("Flatten", flatten),
    ("Squeeze", squeeze), ("Unsqueeze", unsqueeze), ("Concat", concat), ("Split", split),
    ("Slice", slice_), ("Pad", pad), ("Tile", tile), ("Expand", expand), ("Gather", gather),
    ("GatherElements", gather_elements), ("DepthToSpace", depth_to_space),
    ("SpaceToDepth", space_to_depth), ("CumSum", cumsum), ("Trilu", trilu),
    ("Resize", resize),
]


def random_graph(rng, max_nodes=8):
    """A random model, the shapes of its inputs, and the operators that
    took part (by generator name)."""
    g = Graph(rng, int(rng.choice(OPSETS)))
    for _ in range(int(rng.integers(1, 3))):
        rank = int(rng.integers(1, 5))
        shape = [int(rng.integers(1, 7)) for _ in range(rank)]
        if rank >= 3 and rng.random() < 0.7:
            shape[1] = int(rng.integers(1, 5))  # Channels, for conv and pooling.
        g.add_input(shape)
    pool = list(g.shapes)
    used = []
    target = int(rng.integers(2, max_nodes + 1))
    attempts = 0
    while len(used) < target and attempts < 20 * target:
        attempts += 1
        # Scalars are operands of others only (broadcasting).
        ranked = [n for n in pool if g.shapes[n]]
        x = ranked[-1] if rng.random() < 0.6 else ranked[int(rng.integers(0, len(ranked)))]
        name, gen = GENERATORS[int(rng.integers(0, len(GENERATORS)))]
        mark = g.mark()
        made = gen(g, x, g.shapes[x])
        shapes = g.infer(made) if made else None
        if shapes is None:
            g.rollback(mark)
            continue
        for n, s in zip(made, shapes):
            g.shapes[n] = s
            pool.append(n)
        # Inputs added as second operands are in g.shapes already.
        pool.extend(i.name for i in g.inputs[mark[1]:])
        used.append(name)
    produced = [n for n in pool if n not in g.exact]
    if not produced:
        return None
    outputs = [produced[-1]]
    if len(produced) > 1 and rng.random() < 0.5:
        extra = produced[int(rng.integers(0, len(produced) - 1))]
        outputs.append(extra)
    model = g.model(outputs)
    onnx.checker.check_model(model, full_check=True)
    inputs = {i.name: tuple(d.dim_value for d in i.type.tensor_type.shape.dim)
              for i in g.inputs}
    return model, inputs, used
