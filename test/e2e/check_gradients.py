"""Finite-difference gradient checks in float64, one ONNX graph per
differentiable operator (and per interesting attribute set).

Each case is `inputs -> op -> y`, `loss = sum(y * R)` with R a fixed random
constant, compiled with `lathe compile --train --gradient --gradient-inputs
--loss output:loss`. The gradient entry point's input gradients are compared
with central differences of the same entry point's loss:
    fd = (loss(x + h e_i) - loss(x - h e_i)) / 2h,   h = 1e-6,
    |grad - fd| <= 1e-6 + 1e-5 |fd|   (float64: truncation ~h^2, rounding
                                      ~1e-16 / h = 1e-10).
An operator whose schema takes float32 only (Celu) is checked in float32:
    h = 1e-3,  |grad - fd| <= 2e-4 + 2e-3 |fd|   (truncation ~h^2 = 1e-6,
                                      rounding ~6e-8 |loss| / h ~ 1e-4).
Inputs are fresh random values each run, kept away from kinks (|x| > 0.05
for abs/relu-like ops, ties impossible in practice) and inside each op's
domain.

Usage: check_gradients.py LATHE RUNTIME_LIBRARY WORK_DIR
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import lathe_rt  # noqa: E402

# Step and tolerances (h, rtol, atol) by the case's float type.
PRECISION = {np.float64: (1e-6, 1e-5, 1e-6), np.float32: (1e-3, 2e-3, 2e-4)}


def normal(shape):
    return lambda rng: rng.standard_normal(shape)


def away(shape, gap=0.05):
    """Normal values at least |gap| from zero (abs, relu and friends)."""
    def make(rng):
        x = rng.standard_normal(shape)
        return np.where(np.abs(x) < gap, np.sign(x + 1e-12) * (gap + np.abs(x)), x)
    return make


def uniform(shape, lo, hi):
    return lambda rng: rng.uniform(lo, hi, shape)


def distinct(shape):
    """A permutation of well separated values (max/top-k without ties)."""
    def make(rng):
        n = int(np.prod(shape))
        return (rng.permutation(n) * 0.37 + rng.uniform(0, 0.1, n)).reshape(shape) - n * 0.18
    return make


def zeros_at(shape, flat_positions):
    """Normal values with exact zeros at |flat_positions| (a product's
    derivative where a factor is zero)."""
    def make(rng):
        x = rng.standard_normal(shape)
        x.reshape(-1)[list(flat_positions)] = 0.0
        return x
    return make


def ints(values, dtype=np.int64):
    return np.array(values, dtype=dtype)


# name, op, float inputs [(name, shape, generator)], attributes, output
# shape, constant inputs {position: array} (integer or shape operands), the
# opset and the float type (float64 unless the schema takes float32 only).
CASES = []


def case(name, op, inputs, out_shape, opset=13, consts=None, dtype=np.float64, **attrs):
    CASES.append((name, op, inputs, attrs, out_shape, consts or {}, opset, dtype))


S = (2, 3)
for op in ["Exp", "Neg", "Sin", "Cos", "Tanh", "Sigmoid", "Atan", "Sinh", "Cosh",
           "Asinh", "Erf", "Softsign", "Softplus"]:
    case(op.lower(), op, [("x", S, normal(S))], S)
for op in ["Abs", "Relu"]:
    case(op.lower(), op, [("x", S, away(S))], S)
case("log", "Log", [("x", S, uniform(S, 0.5, 2))], S)
case("sqrt", "Sqrt", [("x", S, uniform(S, 0.5, 2))], S)
case("reciprocal", "Reciprocal", [("x", S, uniform(S, 0.5, 2))], S)
case("tan", "Tan", [("x", S, uniform(S, -1, 1))], S)
case("asin", "Asin", [("x", S, uniform(S, -0.8, 0.8))], S)
case("acos", "Acos", [("x", S, uniform(S, -0.8, 0.8))], S)
case("atanh", "Atanh", [("x", S, uniform(S, -0.8, 0.8))], S)
case("acosh", "Acosh", [("x", S, uniform(S, 1.2, 3))], S)
case("elu", "Elu", [("x", S, away(S))], S, alpha=0.7)
case("selu", "Selu", [("x", S, away(S))], S)
case("celu", "Celu", [("x", S, away(S))], S, opset=13, dtype=np.float32, alpha=1.3)
case("leaky_relu", "LeakyRelu", [("x", S, away(S))], S, alpha=0.1)
case("hard_sigmoid", "HardSigmoid", [("x", S, uniform(S, -2, 2))], S, alpha=0.2, beta=0.5)
case("hard_swish", "HardSwish", [("x", S, uniform(S, -2.5, 2.5))], S, opset=14)
case("thresholded_relu", "ThresholdedRelu", [("x", S, away(S))], S, alpha=0.0)
case("shrink", "Shrink", [("x", S, uniform(S, 0.6, 2))], S, lambd=0.5, bias=0.2)
case("clip", "Clip", [("x", S, uniform(S, -0.9, 0.9))], S,
     consts={1: np.array(-0.5), 2: np.array(0.5)})
case("prelu", "PRelu", [("x", (2, 3, 4), away((2, 3, 4))), ("slope", (3, 1), normal((3, 1)))],
     (2, 3, 4))
# Binary ops with broadcasting both ways.
for op in ["Add", "Sub", "Mul"]:
    case(op.lower() + "_broadcast", op,
         [("a", (2, 1, 4), normal((2, 1, 4))), ("b", (3, 1), normal((3, 1)))], (2, 3, 4))
case("div_broadcast", "Div", [("a", (2, 3), normal((2, 3))), ("b", (3,), uniform((3,), 0.5, 2))],
     (2, 3))
case("pow", "Pow", [("a", S, uniform(S, 0.5, 2)), ("b", S, normal(S))], S)
case("max", "Max", [("a", S, distinct(S)), ("b", (3,), normal((3,)))], S)
case("min", "Min", [("a", S, distinct(S)), ("b", (3,), normal((3,)))], S)
case("fmod", "Mod", [("a", S, uniform(S, -5, 5)), ("b", S, uniform(S, 1.1, 2))], S, fmod=1)
case("where", "Where", [("a", S, normal(S)), ("b", (3,), normal((3,)))], S,
     consts={0: np.array([[True, False, True], [False, False, True]])})
case("gemm", "Gemm", [("a", (4, 3), normal((4, 3))), ("b", (5, 4), normal((5, 4))),
                      ("c", (5,), normal((5,)))], (3, 5), alpha=0.7, beta=1.3, transA=1, transB=1)
case("matmul_batched", "MatMul", [("a", (2, 3, 4), normal((2, 3, 4))), ("b", (4, 2), normal((4, 2)))],
     (2, 3, 2))
case("matmul_vector", "MatMul", [("a", (4,), normal((4,))), ("b", (2, 4, 3), normal((2, 4, 3)))],
     (2, 3))
case("einsum", "Einsum", [("a", (2, 3, 4), normal((2, 3, 4))), ("b", (2, 4, 5), normal((2, 4, 5)))],
     (2, 5, 3), opset=12, equation="bij,bjk->bki")
R3 = (2, 3, 4)
for op, gen in [("ReduceSum", normal), ("ReduceMean", normal), ("ReduceMax", distinct),
                ("ReduceMin", distinct), ("ReduceL1", away), ("ReduceL2", normal),
                ("ReduceSumSquare", normal), ("ReduceLogSumExp", normal)]:
    if op == "ReduceSum":
        case("reducesum", op, [("x", R3, gen(R3))], (2, 1, 4), consts={1: ints([1])}, keepdims=1)
    else:
        case(op.lower(), op, [("x", R3, gen(R3))], (2, 4), axes=[1], keepdims=0)
case("reduceprod", "ReduceProd", [("x", R3, uniform(R3, 0.5, 1.5))], (3,), axes=[0, 2], keepdims=0)
case("reducelogsum", "ReduceLogSum", [("x", R3, uniform(R3, 0.5, 1.5))], (2, 3), axes=[2],
     keepdims=0)
case("cumsum_reverse_exclusive", "CumSum", [("x", R3, normal(R3))], R3, consts={1: ints(1)},
     reverse=1, exclusive=1)
case("softmax", "Softmax", [("x", R3, normal(R3))], R3, axis=1)
case("logsoftmax", "LogSoftmax", [("x", R3, normal(R3))], R3, axis=-1)
# Convolutions: stride, padding, dilation, groups, bias.
case("conv2d_groups_dilation", "Conv",
     [("x", (2, 4, 6, 5), normal((2, 4, 6, 5))), ("w", (6, 2, 3, 2), normal((6, 2, 3, 2))),
      ("b", (6,), normal((6,)))], (2, 6, 2, 5),
     strides=[2, 1], pads=[1, 0, 0, 1], dilations=[2, 1], group=2)
case("conv1d", "Conv", [("x", (2, 3, 7), normal((2, 3, 7))), ("w", (4, 3, 3), normal((4, 3, 3)))],
     (2, 4, 4), strides=[2], pads=[1, 1])
case("conv2d_pointwise_stride_groups", "Conv",
     [("x", (2, 4, 5, 6), normal((2, 4, 5, 6))), ("w", (6, 2, 1, 1), normal((6, 2, 1, 1)))],
     (2, 6, 3, 4), strides=[2, 2], pads=[0, 1, 1, 0], group=2)
case("conv3d", "Conv", [("x", (1, 2, 4, 4, 3), normal((1, 2, 4, 4, 3))),
                        ("w", (3, 2, 2, 3, 2), normal((3, 2, 2, 3, 2)))], (1, 3, 3, 2, 2))
case("conv_transpose2d", "ConvTranspose",
     [("x", (1, 4, 3, 3), normal((1, 4, 3, 3))), ("w", (4, 3, 3, 2), normal((4, 3, 3, 2))),
      ("b", (6,), normal((6,)))], (1, 6, 8, 5),
     strides=[2, 2], pads=[0, 1, 0, 0], output_padding=[1, 0], group=2)
case("conv_transpose3d", "ConvTranspose",
     [("x", (1, 2, 2, 3, 2), normal((1, 2, 2, 3, 2))), ("w", (2, 3, 2, 2, 2), normal((2, 3, 2, 2, 2)))],
     (1, 3, 3, 4, 3))
case("batch_norm", "BatchNormalization",
     [("x", (3, 2, 2, 2), normal((3, 2, 2, 2))), ("s", (2,), normal((2,))), ("b", (2,), normal((2,)))],
     (3, 2, 2, 2), consts={3: np.array([0.1, -0.2]), 4: np.array([0.8, 1.3])}, epsilon=1e-3)
case("layer_norm", "LayerNormalization",
     [("x", (2, 3, 4), normal((2, 3, 4))), ("s", (3, 4), normal((3, 4))), ("b", (3, 4), normal((3, 4)))],
     (2, 3, 4), opset=17, axis=1, epsilon=1e-4)
case("instance_norm", "InstanceNormalization",
     [("x", (2, 3, 5), normal((2, 3, 5))), ("s", (3,), normal((3,))), ("b", (3,), normal((3,)))],
     (2, 3, 5), epsilon=1e-4)
case("max_pool2d_ceil_dilation", "MaxPool", [("x", (1, 2, 6, 7), distinct((1, 2, 6, 7)))], (1, 2, 4, 3),
     kernel_shape=[2, 3], strides=[2, 2], pads=[1, 0, 0, 1], dilations=[1, 2], ceil_mode=1)
case("avg_pool2d_exclude_pad", "AveragePool", [("x", (1, 2, 5, 5), normal((1, 2, 5, 5)))],
     (1, 2, 3, 3), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
case("avg_pool2d_include_pad_ceil", "AveragePool", [("x", (1, 2, 5, 6), normal((1, 2, 5, 6)))],
     (1, 2, 3, 3), kernel_shape=[2, 3], strides=[2, 2], pads=[1, 0, 0, 1], count_include_pad=1,
     ceil_mode=1)
case("avg_pool3d", "AveragePool", [("x", (1, 1, 4, 4, 4), normal((1, 1, 4, 4, 4)))],
     (1, 1, 2, 2, 2), kernel_shape=[2, 2, 2], strides=[2, 2, 2])
case("global_avg_pool", "GlobalAveragePool", [("x", (2, 3, 3, 4), normal((2, 3, 3, 4)))],
     (2, 3, 1, 1))
# Layout and indexing.
case("reshape", "Reshape", [("x", R3, normal(R3))], (4, 6), consts={1: ints([4, 6])})
case("transpose", "Transpose", [("x", R3, normal(R3))], (4, 2, 3), perm=[2, 0, 1])
case("concat", "Concat", [("a", (2, 2), normal((2, 2))), ("b", (2, 3), normal((2, 3)))], (2, 5),
     axis=1)
case("slice_steps", "Slice", [("x", (5, 6), normal((5, 6)))], (2, 2),
     consts={1: ints([4, 0]), 2: ints([0, 6]), 3: ints([0, 1]), 4: ints([-2, 4])})
case("expand", "Expand", [("x", (3, 1), normal((3, 1)))], (2, 3, 4), consts={1: ints([2, 3, 4])})
case("pad_constant", "Pad", [("x", (2, 3), normal((2, 3)))], (3, 6),
     consts={1: ints([1, 2, 0, 1]), 2: np.array(0.5)})
for mode in ["reflect", "edge", "wrap"]:
    case("pad_" + mode, "Pad", [("x", (2, 3, 4), normal((2, 3, 4)))], (2, 6, 7), opset=19,
         consts={1: ints([0, 2, 1, 0, 1, 2])}, mode=mode)
case("gather_nd_batch", "GatherND", [("x", (2, 3, 4), normal((2, 3, 4)))], (2, 2),
     consts={1: ints([[[0, 1], [2, 3]], [[1, 1], [1, 1]]])}, batch_dims=1)
case("gather_nd", "GatherND", [("x", (3, 4), normal((3, 4)))], (3, 4),
     consts={1: ints([[2], [0], [2]])})
case("scatter_elements", "ScatterElements",
     [("x", (3, 4), normal((3, 4))), ("u", (2, 4), normal((2, 4)))], (3, 4), opset=16,
     consts={1: ints([[0, 2, 1, 0], [2, 1, 0, 1]])}, axis=0)
case("scatter_elements_add", "ScatterElements",
     [("x", (3, 4), normal((3, 4))), ("u", (3, 2), normal((3, 2)))], (3, 4), opset=16,
     consts={1: ints([[0, 0], [3, 1], [2, 2]])}, axis=1, reduction="add")
case("scatter_nd", "ScatterND",
     [("x", (4, 3), normal((4, 3))), ("u", (2, 3), normal((2, 3)))], (4, 3), opset=16,
     consts={1: ints([[3], [1]])})
case("scatter_nd_add", "ScatterND",
     [("x", (4, 3), normal((4, 3))), ("u", (3,), normal((3,)))], (4, 3), opset=16,
     consts={1: ints([[0, 1], [0, 1], [2, 2]])}, reduction="add")
# Multiplying scatters: duplicate targets; update zeros alone (1) and
# paired (4, 5) on one element.
case("scatter_elements_mul", "ScatterElements",
     [("x", (3, 4), normal((3, 4))), ("u", (3, 4), zeros_at((3, 4), [1, 4, 8]))], (3, 4), opset=16,
     consts={1: ints([[0, 2, 1, 0], [0, 1, 0, 1], [0, 1, 2, 2]])}, axis=0, reduction="mul")
case("scatter_nd_mul", "ScatterND",
     [("x", (4, 3), normal((4, 3))), ("u", (3, 3), zeros_at((3, 3), [1, 4, 5]))], (4, 3), opset=16,
     consts={1: ints([[2], [2], [0]])}, reduction="mul")
for reduction in ["max", "min"]:
    case("scatter_elements_" + reduction, "ScatterElements",
         [("x", (3, 4), distinct((3, 4))), ("u", (3, 4), distinct((3, 4)))], (3, 4), opset=18,
         consts={1: ints([[0, 2, 1, 0], [0, 1, 0, 1], [0, 1, 2, 2]])}, axis=0, reduction=reduction)
    case("scatter_nd_" + reduction, "ScatterND",
         [("x", (4, 3), distinct((4, 3))), ("u", (3, 3), distinct((3, 3)))], (4, 3), opset=18,
         consts={1: ints([[2], [2], [0]])}, reduction=reduction)
# Resize: every mode, the coordinate mappings, exclude_outside, a crop.
NO_ROI = np.array([], dtype=np.float64)
case("resize_linear_half_pixel", "Resize", [("x", (1, 2, 3, 3), normal((1, 2, 3, 3)))],
     (1, 2, 6, 5), opset=13, consts={1: NO_ROI, 2: np.array([], dtype=np.float32),
                                     3: ints([1, 2, 6, 5])}, mode="linear")
case("resize_cubic_align_corners_exclude", "Resize", [("x", (1, 1, 5, 6), normal((1, 1, 5, 6)))],
     (1, 1, 7, 3), opset=13, consts={1: NO_ROI, 2: np.array([], dtype=np.float32),
                                     3: ints([1, 1, 7, 3])},
     mode="cubic", coordinate_transformation_mode="align_corners", exclude_outside=1,
     cubic_coeff_a=-0.5)
case("resize_cubic_downsample", "Resize", [("x", (1, 1, 8, 8), normal((1, 1, 8, 8)))],
     (1, 1, 3, 4), opset=13, consts={1: NO_ROI, 2: np.array([1, 1, 0.4, 0.6], dtype=np.float32)},
     mode="cubic")
case("resize_nearest_asymmetric_floor", "Resize", [("x", (2, 3, 4), normal((2, 3, 4)))],
     (2, 5, 7), opset=13, consts={1: NO_ROI, 2: np.array([], dtype=np.float32),
                                  3: ints([2, 5, 7])},
     mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
case("resize_linear_pytorch_half_pixel", "Resize", [("x", (1, 2, 4, 1), normal((1, 2, 4, 1)))],
     (1, 2, 2, 3), opset=13, consts={1: NO_ROI, 2: np.array([1, 1, 0.5, 3], dtype=np.float32)},
     mode="linear", coordinate_transformation_mode="pytorch_half_pixel")
case("resize_crop_and_resize", "Resize", [("x", (1, 1, 4, 5), normal((1, 1, 4, 5)))],
     (1, 1, 3, 4), opset=13,
     consts={1: np.array([0, 0, -0.2, 0.3, 1, 1, 0.9, 1.3]), 2: np.array([], dtype=np.float32),
             3: ints([1, 1, 3, 4])},
     mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=2.5)
# grid_sample: every mode and padding rule; points also outside [-1, 1]
# (zeros padding, border clipping, several reflections).
GX, GG = (1, 2, 4, 5), (1, 3, 2, 2)
for mode, padding, align, reach in [("bilinear", "zeros", 0, 1.2), ("bilinear", "border", 1, 1.3),
                                    ("bilinear", "reflection", 0, 2.5),
                                    ("bilinear", "reflection", 1, 2.5),
                                    ("bicubic", "zeros", 0, 1.2), ("bicubic", "border", 0, 1.3),
                                    ("bicubic", "reflection", 1, 2.5),
                                    ("nearest", "zeros", 0, 1.1)]:
    case("grid_sample_%s_%s%s" % (mode, padding, "_align" if align else ""), "GridSample",
         [("x", GX, normal(GX)), ("grid", GG, uniform(GG, -reach, reach))], (1, 2, 3, 2),
         opset=16, mode=mode, padding_mode=padding, align_corners=align)
case("one_hot_values", "OneHot", [("v", (2,), normal((2,)))], (2, 4, 3), opset=11,
     consts={0: ints([[0, 2, -1], [5, 1, 1]]), 1: ints(4)}, axis=1)
case("trilu_upper", "Trilu", [("x", (3, 4), normal((3, 4)))], (3, 4), opset=14,
     consts={1: ints(1)}, upper=1)
case("trilu_lower", "Trilu", [("x", (3, 4), normal((3, 4)))], (3, 4), opset=14, upper=0)
case("gather", "Gather", [("x", (4, 3), normal((4, 3)))], (2, 2, 3),
     consts={1: ints([[0, 3], [3, -1]])}, axis=0)
case("gather_elements", "GatherElements", [("x", (3, 4), normal((3, 4)))], (3, 2),
     consts={1: ints([[0, 3], [1, 1], [2, 0]])}, axis=1)
case("topk", "TopK", [("x", (3, 5), distinct((3, 5)))], (3, 2), consts={1: ints([2])}, axis=1)
case("flip_slice", "Slice", [("x", (3, 4), normal((3, 4)))], (3, 2),
     consts={1: ints([-1]), 2: ints([-5]), 3: ints([1]), 4: ints([-2])})
case("floor", "Floor", [("x", S, uniform(S, 0.1, 0.9))], S)
case("max_pool2d_indices", "MaxPool", [("x", (1, 2, 4, 4), distinct((1, 2, 4, 4)))], (1, 2, 2, 2),
     kernel_shape=[2, 2], strides=[2, 2])
case("max_pool1d_indices", "MaxPool", [("x", (2, 2, 9), distinct((2, 2, 9)))], (2, 2, 4),
     kernel_shape=[3], strides=[2], pads=[1, 1], dilations=[2], ceil_mode=1)
case("max_pool2d_column_major_indices", "MaxPool", [("x", (1, 2, 5, 4), distinct((1, 2, 5, 4)))],
     (1, 2, 2, 2), kernel_shape=[3, 2], strides=[2, 2], storage_order=1)
case("max_pool3d_indices", "MaxPool", [("x", (1, 2, 4, 5, 4), distinct((1, 2, 4, 5, 4)))],
     (1, 2, 3, 2, 2), kernel_shape=[2, 3, 2], strides=[1, 2, 2], pads=[0, 1, 0, 0, 0, 0])
case("max_pool3d", "MaxPool", [("x", (1, 1, 4, 4, 4), distinct((1, 1, 4, 4, 4)))], (1, 1, 2, 2, 2),
     kernel_shape=[2, 2, 2], strides=[2, 2, 2])
case("max_pool3d_pad_ceil_dilation", "MaxPool", [("x", (1, 2, 5, 4, 5), distinct((1, 2, 5, 4, 5)))],
     (1, 2, 3, 2, 2), kernel_shape=[2, 2, 3], strides=[2, 2, 2], pads=[1, 0, 1, 0, 1, 0],
     dilations=[1, 1, 2], ceil_mode=1)
case("lstm_bidirectional", "LSTM",
     [("x", (3, 2, 2), normal((3, 2, 2))), ("w", (2, 12, 2), normal((2, 12, 2))),
      ("r", (2, 12, 3), normal((2, 12, 3))), ("b", (2, 24), normal((2, 24)))], (3, 2, 2, 3),
     direction="bidirectional", hidden_size=3)
case("lstm_bidirectional_sequence_lens", "LSTM",
     [("x", (3, 2, 2), normal((3, 2, 2))), ("w", (2, 12, 2), normal((2, 12, 2))),
      ("r", (2, 12, 3), normal((2, 12, 3))), ("b", (2, 24), normal((2, 24)))], (3, 2, 2, 3),
     consts={4: ints([3, 1], np.int32)}, direction="bidirectional", hidden_size=3)
case("gru_reverse_sequence_lens", "GRU",
     [("x", (3, 2, 2), normal((3, 2, 2))), ("w", (1, 9, 2), normal((1, 9, 2))),
      ("r", (1, 9, 3), normal((1, 9, 3))), ("b", (1, 18), normal((1, 18)))], (3, 1, 2, 3),
     consts={4: ints([2, 1], np.int32)}, direction="reverse", hidden_size=3,
     linear_before_reset=1)
case("gru_linear_before_reset", "GRU",
     [("x", (3, 2, 2), normal((3, 2, 2))), ("w", (1, 9, 2), normal((1, 9, 2))),
      ("r", (1, 9, 3), normal((1, 9, 3))), ("b", (1, 18), normal((1, 18)))], (3, 1, 2, 3),
     hidden_size=3, linear_before_reset=1)
case("rnn_relu", "RNN",
     [("x", (3, 2, 2), normal((3, 2, 2))), ("w", (1, 3, 2), normal((1, 3, 2))),
      ("r", (1, 3, 3), normal((1, 3, 3)))], (3, 1, 2, 3), hidden_size=3, activations=["Relu"])
case("flatten", "Flatten", [("x", R3, normal(R3))], (2, 12), axis=1)
case("squeeze", "Squeeze", [("x", (2, 1, 3), normal((2, 1, 3)))], (2, 3), consts={1: ints([1])})
case("nll_loss_weighted", "NegativeLogLikelihoodLoss",
     [("x", (4, 3), normal((4, 3))), ("w", (3,), uniform((3,), 0.5, 2))], (),
     consts={1: ints([0, 2, 1, 2])}, reduction="mean")
case("nll_loss_weighted_ignore_k", "NegativeLogLikelihoodLoss",
     [("x", (2, 3, 2), normal((2, 3, 2))), ("w", (3,), uniform((3,), 0.5, 2))], (),
     consts={1: ints([[0, 2], [1, 2]])}, reduction="mean", ignore_index=1)
case("nll_loss_weighted_none", "NegativeLogLikelihoodLoss",
     [("x", (4, 3), normal((4, 3))), ("w", (3,), uniform((3,), 0.5, 2))], (4,),
     consts={1: ints([0, 2, 1, 2])}, reduction="none")
# Normalizations over groups and windows: groups < channels (per-group
# scale before opset 21, per-channel from 21), LRN's channel window, MVN over
# the default and a custom set of axes.
case("group_norm_per_group_scale", "GroupNormalization",
     [("x", (2, 6, 3), normal((2, 6, 3))), ("s", (2,), normal((2,))), ("b", (2,), normal((2,)))],
     (2, 6, 3), opset=18, num_groups=2, epsilon=1e-3)
case("group_norm_per_channel_scale", "GroupNormalization",
     [("x", (2, 6, 2, 2), normal((2, 6, 2, 2))), ("s", (6,), normal((6,))),
      ("b", (6,), normal((6,)))], (2, 6, 2, 2), opset=21, num_groups=3, epsilon=1e-4)
case("lrn", "LRN", [("x", (2, 5, 3, 3), normal((2, 5, 3, 3)))], (2, 5, 3, 3),
     size=3, alpha=0.05, beta=0.75, bias=1.5)
case("mean_variance_normalization", "MeanVarianceNormalization",
     [("x", (2, 3, 4, 2), normal((2, 3, 4, 2)))], (2, 3, 4, 2))
case("mean_variance_normalization_axes", "MeanVarianceNormalization",
     [("x", (3, 4, 2), normal((3, 4, 2)))], (3, 4, 2), axes=[1])
case("tile", "Tile", [("x", (2, 3), normal((2, 3)))], (4, 9), consts={1: ints([2, 3])})
case("split", "Split", [("x", (2, 5, 2), normal((2, 5, 2)))], [(2, 2, 2), (2, 3, 2)],
     consts={1: ints([2, 3])}, axis=1)
case("split_equal_parts", "Split", [("x", (6, 2), normal((6, 2)))], [(2, 2), (2, 2), (2, 2)],
     axis=0)
for mode in ["DCR", "CRD"]:
    case("depth_to_space_" + mode.lower(), "DepthToSpace",
         [("x", (1, 8, 2, 3), normal((1, 8, 2, 3)))], (1, 2, 4, 6), blocksize=2, mode=mode)
for p in (1, 2, 3):
    case("lp_pool_p%d" % p, "LpPool", [("x", (1, 2, 5, 4), away((1, 2, 5, 4)))], (1, 2, 3, 3),
         kernel_shape=[2, 2], strides=[2, 1], pads=[1, 0, 0, 0], p=p)
    case("global_lp_pool_p%d" % p, "GlobalLpPool", [("x", (2, 2, 3, 2), away((2, 2, 3, 2)))],
         (2, 2, 1, 1), p=p)
case("global_max_pool", "GlobalMaxPool", [("x", (2, 3, 3, 4), distinct((2, 3, 3, 4)))],
     (2, 3, 1, 1))
case("softmax_cross_entropy", "SoftmaxCrossEntropyLoss", [("x", (4, 3, 2), normal((4, 3, 2)))], (),
     consts={1: ints([[0, 2], [1, 1], [2, 0], [-1, 1]])}, reduction="sum", ignore_index=-1)


def build(name, op, inputs, attrs, out_shape, consts, opset, dtype, rng):
    D = T.DOUBLE if dtype is np.float64 else T.FLOAT
    graph_inputs = [helper.make_tensor_value_info(n, D, list(s)) for n, s, _ in inputs]
    nodes = []
    arity = len(inputs) + len(consts)
    operands = []
    float_at = iter(inputs)
    for position in range(arity):
        if position in consts:
            value = consts[position]
            cname = "c%d" % position
            tensor = numpy_helper.from_array(value, cname)
            nodes.append(helper.make_node("Constant", [], [cname], value=tensor))
            operands.append(cname)
        else:
            operands.append(next(float_at)[0])
    # A list of shapes: an op with several differentiable outputs (Split),
    # each weighted by its own constant in the loss.
    shapes = out_shape if isinstance(out_shape, list) else [out_shape]
    outputs = ["y%d" % k if k else "y" for k in range(len(shapes))]
    outputs += ["idx"] if op == "TopK" or name.endswith("_indices") else []
    nodes.append(helper.make_node(op, operands, outputs, **attrs))
    terms = []
    for k, shape in enumerate(shapes):
        r = (rng.standard_normal(shape) if shape else np.array(rng.standard_normal())).astype(dtype)
        nodes.append(helper.make_node("Constant", [], ["loss_weights%d" % k],
                                      value=numpy_helper.from_array(r, "loss_weights%d" % k)))
        nodes.append(helper.make_node("Mul", [outputs[k], "loss_weights%d" % k], ["yr%d" % k]))
        nodes.append(helper.make_node("ReduceSum", ["yr%d" % k],
                                      ["loss" if len(shapes) == 1 else "loss%d" % k], keepdims=0))
        terms.append("loss%d" % k)
    if len(shapes) > 1:
        nodes.append(helper.make_node("Sum", terms, ["loss"]))
    graph = helper.make_graph(nodes, name, graph_inputs,
                              [helper.make_tensor_value_info("loss", D, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def compile_case(lathe, work, name, model):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    so = os.path.join(work, name + ".so")
    r = subprocess.run([lathe, "compile", path, "-o", so, "--train", "--gradient",
                        "--gradient-inputs", "--loss", "output:loss"],
                       capture_output=True, text=True)
    return so, (r.stderr.strip() if r.returncode else "")


def check_case(rt, so, inputs, dtype, rng, expanded=False):
    module = rt.load(so)
    h, rtol, atol = PRECISION[dtype]
    xs = [gen(rng).astype(dtype) for _, _, gen in inputs]
    names = rt.output_names(module, "gradient")

    def loss(values):
        return float(rt.run(module, "gradient", values)[names.index("loss")])

    grads = dict(zip(names, rt.run(module, "gradient", xs)))
    if expanded:
        # @gradient differentiates a rewrite of the op into lathe ops
        # (lathe-expand-for-gradient); its loss must be the kernel's.
        kernel = float(rt.run(module, "forward", xs)[0])
        if not compare.scalar_close(grads["loss"], kernel, 1e-12, 1e-12):
            return False, "expanded loss %.17g, kernel %.17g" % (grads["loss"], kernel)
    worst = compare.Worst()
    for k, (n, _, _) in enumerate(inputs):
        fd = np.zeros_like(xs[k])
        flat = fd.reshape(-1)
        for i in range(flat.size):
            plus = [x.copy() for x in xs]
            minus = [x.copy() for x in xs]
            plus[k].reshape(-1)[i] += h
            minus[k].reshape(-1)[i] -= h
            # The step as the float type holds it (x + h is rounded).
            step = float(plus[k].reshape(-1)[i]) - float(minus[k].reshape(-1)[i])
            flat[i] = (loss(plus) - loss(minus)) / step
        g = grads.get("grad:" + n)
        if g is None:
            return False, "no gradient for input '%s'" % n
        # A NaN on either side fails (the finite differences of a loss
        # that is NaN are NaN too).
        r = compare.close(g, fd, rtol, atol, what="autodiff d/d%s against finite differences" % n)
        if not r:
            return False, r.detail
        worst.add(r.error)
    return True, "max |autodiff - fd| %.2e" % worst.value


def main(seed):
    lathe, library, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(seed)
    rt = lathe_rt.Runtime(library)
    models = [(c[0], build(*c, rng)) for c in CASES]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        compiled = list(pool.map(lambda m: compile_case(lathe, work, *m), models))
    passed = failed = 0
    for (name, op, inputs, *_, dtype), (so, err) in zip(CASES, compiled):
        ok, detail = ((False, err.splitlines()[-1]) if err else
                      check_case(rt, so, inputs, dtype, rng, expanded=op == "GridSample"))
        print("%s %s (%s): %s" % ("ok  " if ok else "FAIL", name, op, detail))
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
