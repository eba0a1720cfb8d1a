// Gradient rules of the nn family: convolutions, normalizations, poolings
// and softmax, written with the dialect's own ops (a convolution's input
// gradient is a transposed convolution, and so on).
#include "dialects/lathe/GradBuilder.h"

#include <limits>
#include <vector>

using namespace mlir;

namespace lathe {
namespace {

using Grads = SmallVectorImpl<Value>;

SmallVector<int64_t> iota(int64_t n, int64_t from = 0) {
  SmallVector<int64_t> v;
  for (int64_t i = from; i < n; ++i)
    v.push_back(i);
  return v;
}

/// Swaps dimensions 0 and 1.
Value swap01(TensorBuilder &gb, Value v) {
  SmallVector<int64_t> perm = iota(gb.shape(v).size());
  std::swap(perm[0], perm[1]);
  return gb.transpose(v, perm);
}

/// A convolution of |spatial| (2 or 3) dimensions.
Value conv(TensorBuilder &gb, Value x, Value w, ArrayRef<int64_t> strides,
           ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
           int64_t groups) {
  auto &b = gb.b;
  if (gb.shape(x).size() == 4)
    return Conv2dOp::create(
        b, gb.loc, x, w, Value(), b.getDenseI64ArrayAttr(strides),
        b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
        b.getI64IntegerAttr(groups));
  return Conv3dOp::create(
      b, gb.loc, x, w, Value(), b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
      b.getI64IntegerAttr(groups));
}

Value convTranspose(TensorBuilder &gb, Value x, Value w,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                    ArrayRef<int64_t> dilations,
                    ArrayRef<int64_t> outputPadding, int64_t groups) {
  auto &b = gb.b;
  if (gb.shape(x).size() == 4)
    return ConvTranspose2dOp::create(
        b, gb.loc, x, w, Value(), b.getDenseI64ArrayAttr(strides),
        b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
        b.getDenseI64ArrayAttr(outputPadding), b.getI64IntegerAttr(groups));
  return ConvTranspose3dOp::create(
      b, gb.loc, x, w, Value(), b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
      b.getDenseI64ArrayAttr(outputPadding), b.getI64IntegerAttr(groups));
}

/// convWeightGrad for a kernel of one tap (1 x 1, pointwise): per group
/// and sample a matrix product of u's strided points, `Cu x O`, with v[n]
/// laid out `O x Cv`, summed over n. (As a convolution this would have one
/// output element per channel pair, a poor fit for vector code along the
/// kernel.)
Value pointwiseWeightGrad(TensorBuilder &gb, Value u, Value v,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          int64_t groups) {
  ArrayRef<int64_t> us = gb.shape(u), vs = gb.shape(v);
  size_t sp = strides.size();
  int64_t n = us[0], cu = us[1] / groups, cv = vs[1] / groups, points = 1;
  SmallVector<int64_t> low = {0, 0}, high = {0, 0}, last = {0};
  for (size_t i = 0; i < sp; ++i) {
    points *= vs[2 + i];
    last.push_back(int64_t(2 + i));
  }
  last.push_back(1);
  low.append(pads.begin(), pads.begin() + sp);
  high.append(pads.begin() + sp, pads.end());
  Value padded = gb.pad(u, low, high);
  // v as N x O x Cv (channels last), all groups at once.
  Value vLast = gb.reshape(gb.transpose(v, last), {n, points, vs[1]});
  SmallVector<int64_t> weightShape = {cv, cu};
  weightShape.append(sp, 1);
  SmallVector<Value> parts;
  for (int64_t g = 0; g < groups; ++g) {
    SmallVector<int64_t> starts(us.size(), 0), sizes = {n, cu}, steps = {1, 1};
    starts[1] = g * cu;
    for (size_t i = 0; i < sp; ++i) {
      sizes.push_back(vs[2 + i]);
      steps.push_back(strides[i]);
    }
    Value points3 =
        gb.reshape(gb.slice(padded, starts, sizes, steps), {n, cu, points});
    Value vg = gb.slice(vLast, {0, 0, g * cv}, {n, points, cv});
    Value sum = gb.reduceSum(gb.matmul(points3, vg), {0}, /*keepdims=*/false);
    parts.push_back(gb.reshape(gb.transposeLast2(sum), weightShape));
  }
  return gb.concat(parts, 0);
}

/// The weight gradient of a convolution whose input is |u| (N x Cu x S...)
/// and whose output gradient is |v| (N x Cv x O...): a `Cv x Cu/groups x
/// kernel` tensor, dW[f, c, k] = sum_{n, o} v[n, f, o] u[n, c, o s + k d - p].
/// Per group that is itself a convolution of u^T (Cu x N x S) with v^T as
/// the weight, stride and dilation exchanged, cropped to the kernel.
Value convWeightGrad(TensorBuilder &gb, Value u, Value v,
                     ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                     ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                     int64_t groups) {
  if (llvm::all_of(kernel, [](int64_t k) { return k == 1; }))
    return pointwiseWeightGrad(gb, u, v, strides, pads, groups);
  ArrayRef<int64_t> us = gb.shape(u), vs = gb.shape(v);
  int64_t cu = us[1] / groups, cv = vs[1] / groups;
  SmallVector<Value> parts;
  for (int64_t g = 0; g < groups; ++g) {
    SmallVector<int64_t> start(us.size(), 0), usize(us), vsize(vs);
    usize[1] = cu;
    vsize[1] = cv;
    start[1] = g * cu;
    Value ug = gb.slice(u, start, usize);
    start[1] = g * cv;
    Value vg = gb.slice(v, start, vsize);
    Value r = conv(gb, swap01(gb, ug), swap01(gb, vg), dilations, pads, strides,
                   1); // Cu x Cv x K'
    SmallVector<int64_t> zero(us.size(), 0), size = {cu, cv};
    size.append(kernel.begin(), kernel.end());
    parts.push_back(swap01(gb, gb.slice(r, zero, size)));
  }
  return gb.concat(parts, 0);
}

/// Sums the gradient of a per-channel bias: every axis but 1.
Value channelSum(TensorBuilder &gb, Value g) {
  SmallVector<int64_t> axes = {0};
  for (int64_t a : iota(gb.shape(g).size(), 2))
    axes.push_back(a);
  return gb.reduceSum(g, axes, /*keepdims=*/false);
}

template <typename OpTy>
LogicalResult convGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                       Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  Value x = op.getInput(), w = op.getWeight();
  ArrayRef<int64_t> xs = gb.shape(x), gs = gb.shape(g), ws = gb.shape(w);
  ArrayRef<int64_t> s = op.getStrides(), p = op.getPads(),
                    d = op.getDilations();
  size_t n = s.size();
  // dX = conv_transpose(g, W), with output_padding restoring the rows the
  // forward stride dropped.
  SmallVector<int64_t> outputPadding;
  for (size_t i = 0; i < n; ++i) {
    int64_t full =
        (gs[2 + i] - 1) * s[i] - p[i] - p[n + i] + d[i] * (ws[2 + i] - 1) + 1;
    outputPadding.push_back(xs[2 + i] - full);
  }
  og[0] = convTranspose(gb, g, w, s, p, d, outputPadding, op.getGroups());
  og[1] = convWeightGrad(gb, x, g, ws.drop_front(2), s, p, d, op.getGroups());
  if (op.getBias())
    og[2] = channelSum(gb, g);
  return success();
}

template <typename OpTy>
LogicalResult convTransposeGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                                Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  Value x = op.getInput(), w = op.getWeight();
  ArrayRef<int64_t> s = op.getStrides(), p = op.getPads(),
                    d = op.getDilations();
  // conv_transpose is the adjoint of conv in its input: dX = conv(g, W).
  og[0] = conv(gb, g, w, s, p, d, op.getGroups());
  og[1] = convWeightGrad(gb, g, x, gb.shape(w).drop_front(2), s, p, d,
                         op.getGroups());
  if (op.getBias())
    og[2] = channelSum(gb, g);
  return success();
}

/// Inference-mode batch norm is affine in x: y = x a + c per channel.
LogicalResult batchNormGrad(BatchNormOp op, TensorBuilder &gb,
                            ArrayRef<Value> rg, Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  Value x = op.getInput();
  size_t rank = gb.shape(x).size();
  Value rstd = gb.div(
      gb.scalarLike(1, x),
      gb.sqrt(gb.add(op.getVar(),
                     gb.scalarLike(op.getEpsilon().convertToDouble(), x))));
  Value scale = gb.perChannel(op.getScale(), rank);
  og[0] = gb.mul(g, gb.mul(scale, gb.perChannel(rstd, rank)));
  Value xhat = gb.mul(gb.sub(x, gb.perChannel(op.getMean(), rank)),
                      gb.perChannel(rstd, rank));
  og[1] = channelSum(gb, gb.mul(g, xhat));
  og[2] = channelSum(gb, g);
  return success();
}

/// The input gradient of a normalization over |axes| of |x| given x-hat,
/// 1/std (broadcastable) and the gradient with respect to x-hat:
/// rstd (gh - mean(gh) - xhat mean(gh xhat)).
Value normalizedInputGrad(TensorBuilder &gb, Value xhat, Value rstd, Value gh,
                          ArrayRef<int64_t> axes) {
  Value m1 = gb.reduceMean(gh, axes, true);
  Value m2 = gb.reduceMean(gb.mul(gh, xhat), axes, true);
  return gb.mul(rstd, gb.sub(gb.sub(gh, m1), gb.mul(xhat, m2)));
}

LogicalResult layerNormGrad(LayerNormOp op, TensorBuilder &gb,
                            ArrayRef<Value> rg, Grads &og) {
  if (rg[1] || rg[2])
    return gradientError(op, "no gradient through layer_norm's statistics");
  Value g = rg[0];
  if (!g)
    return success();
  Value x = op.getInput();
  SmallVector<int64_t> axes = iota(gb.shape(x).size(), op.getAxis());
  Value xhat = gb.mul(gb.sub(x, op.getMean()), op.getInvStdDev());
  Value gh = gb.mul(g, op.getScale());
  og[0] = normalizedInputGrad(gb, xhat, op.getInvStdDev(), gh, axes);
  og[1] = gb.unbroadcast(gb.mul(g, xhat), op.getScale().getType());
  if (Value bias = op.getBias())
    og[2] = gb.unbroadcast(g, bias.getType());
  return success();
}

LogicalResult groupNormGrad(GroupNormOp op, TensorBuilder &gb,
                            ArrayRef<Value> rg, Grads &og) {
  if (rg[1] || rg[2])
    return gradientError(op, "no gradient through group_norm's statistics");
  Value g = rg[0];
  if (!g)
    return success();
  Value x = op.getInput();
  ArrayRef<int64_t> xs = gb.shape(x);
  int64_t n = xs[0], groups = op.getGroups();
  int64_t m = gb.type(x).getNumElements() / (n * groups);
  SmallVector<int64_t> grouped = {n, groups, m}, stat = {n, groups, 1};
  Value mean = gb.reshape(op.getMean(), stat);
  Value rstd = gb.reshape(op.getInvStdDev(), stat);
  Value xhat = gb.mul(gb.sub(gb.reshape(x, grouped), mean), rstd);
  Value gh = gb.mul(g, gb.perChannel(op.getScale(), xs.size()));
  Value dx = normalizedInputGrad(gb, xhat, rstd, gb.reshape(gh, grouped), {2});
  og[0] = gb.reshape(dx, xs);
  og[1] = channelSum(gb, gb.mul(g, gb.reshape(xhat, xs)));
  og[2] = channelSum(gb, g);
  return success();
}

/// Max pooling routes each output's gradient to the element it chose: the
/// indices of max_pool_with_indices (offsets in the whole input), added
/// into a flat zero tensor.
Value routeToIndices(TensorBuilder &gb, Value g, Value indices,
                     ArrayRef<int64_t> inputShape) {
  int64_t total = 1, count = gb.type(g).getNumElements();
  for (int64_t d : inputShape)
    total *= d;
  Value zeros = gb.splat(0.0, {total}, gb.elt(g));
  Value flat = ScatterElementsOp::create(
      gb.b, gb.loc, zeros, gb.reshape(indices, {count}), gb.reshape(g, {count}),
      gb.b.getI64IntegerAttr(0),
      ScatterReductionAttr::get(gb.b.getContext(), ScatterReduction::add));
  return gb.reshape(flat, inputShape);
}

/// max_pool2d / max_pool3d: the same pooling with indices says where each
/// maximum came from (the first one of a window, as PyTorch's argmax).
template <typename OpTy>
LogicalResult maxPoolGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                          Grads &og) {
  if (!rg[0])
    return success();
  auto withIndices = MaxPoolIndicesOp::create(
      gb.b, gb.loc, op.getInput(), op.getKernelAttr(), op.getStridesAttr(),
      op.getPadsAttr(), op.getDilationsAttr(), op.getCeilModeAttr(),
      /*column_major=*/gb.b.getBoolAttr(false));
  og[0] = routeToIndices(gb, rg[0], withIndices.getIndices(),
                         gb.shape(op.getInput()));
  return success();
}

/// Column-major indices are recomputed row-major.
LogicalResult maxPoolIndicesGrad(MaxPoolIndicesOp op, TensorBuilder &gb,
                                 ArrayRef<Value> rg, Grads &og) {
  if (op.getColumnMajor())
    return maxPoolGrad(op, gb, rg, og);
  if (rg[0])
    og[0] = routeToIndices(gb, rg[0], op.getIndices(), gb.shape(op.getInput()));
  return success();
}

/// Average pooling is a depthwise transposed convolution of g / divisor with
/// a kernel of ones; the full (unpadded) result is cropped to the input.
template <typename OpTy>
LogicalResult avgPoolGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                          Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  Value x = op.getInput();
  ArrayRef<int64_t> xs = gb.shape(x), gs = gb.shape(g);
  ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads();
  size_t n = k.size();
  // The divisor of every output position (outer product over dimensions).
  SmallVector<double> divisors = {1.0};
  SmallVector<int64_t> divShape;
  for (size_t i = 0; i < n; ++i) {
    SmallVector<double> next;
    for (double prev : divisors)
      for (int64_t o = 0; o < gs[2 + i]; ++o)
        next.push_back(prev *
                       double(windowCount(o, xs[2 + i], p[i], p[n + i], k[i],
                                          s[i], op.getCountIncludePad())));
    divisors = std::move(next);
    divShape.push_back(gs[2 + i]);
  }
  Value scaled = gb.div(g, gb.constant(divisors, divShape, gb.elt(g)));
  int64_t c = xs[1];
  SmallVector<int64_t> ones = {c, 1};
  ones.append(k.begin(), k.end());
  SmallVector<int64_t> unit(n, 1), zeroPads(2 * n, 0), zero(n, 0);
  Value full = convTranspose(gb, scaled, gb.splat(1.0, ones, gb.elt(g)), s,
                             zeroPads, unit, zero, c);
  // full[i] covers padded position i: input row h is full[h + p_begin].
  SmallVector<int64_t> low(xs.size(), 0), high(xs.size(), 0);
  SmallVector<int64_t> starts(xs.size(), 0), sizes(xs);
  for (size_t i = 0; i < n; ++i) {
    int64_t have = gb.shape(full)[2 + i];
    high[2 + i] = std::max<int64_t>(0, p[i] + xs[2 + i] - have);
    starts[2 + i] = p[i];
  }
  og[0] = gb.slice(gb.pad(full, low, high), starts, sizes);
  return success();
}

LogicalResult adaptiveAvgPool2dGrad(AdaptiveAvgPool2dOp op, TensorBuilder &gb,
                                    ArrayRef<Value> rg, Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  ArrayRef<int64_t> xs = gb.shape(op.getInput()), gs = gb.shape(g);
  Type elt = gb.elt(g);
  // y = Ph x Pw^T per plane, so dX = Ph^T g Pw.
  SmallVector<double> ph = adaptiveAveragingMatrix(gs[2], xs[2]);
  SmallVector<double> phT(ph.size());
  for (int64_t i = 0; i < gs[2]; ++i)
    for (int64_t h = 0; h < xs[2]; ++h)
      phT[h * gs[2] + i] = ph[i * xs[2] + h];
  Value rows = gb.matmul(gb.constant(phT, {xs[2], gs[2]}, elt), g);
  og[0] = gb.matmul(rows, gb.constant(adaptiveAveragingMatrix(gs[3], xs[3]),
                                      {gs[3], xs[3]}, elt));
  return success();
}

/// resize is linear in its input and separable: along each resampled
/// dimension d it is a product with a matrix M_d (out x in). M_d is the
/// same resize applied to an in x in identity along its first dimension
/// (so the taps and weights are the forward's own), and the gradient takes
/// g through M_d^T dimension by dimension. Points outside a
/// tf_crop_and_resize roi hold a constant and pass no gradient.
LogicalResult resizeGrad(ResizeOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (!rg[0])
    return success();
  auto &b = gb.b;
  Value g = rg[0];
  Type elt = gb.elt(g);
  ArrayRef<int64_t> xs = gb.shape(op.getInput());
  ArrayRef<double> scales = op.getScales();
  bool crop = op.getCoordinateMode() == CoordinateMode::tf_crop_and_resize;
  size_t rank = xs.size();
  for (size_t d = 0; d < rank; ++d) {
    int64_t in = xs[d], out = gb.shape(g)[d];
    if (in == out && scales[d] == 1.0 && !crop)
      continue; // The forward reads this dimension in place.
    std::vector<double> rows;
    for (int64_t i = 0; i < in; ++i)
      rows.push_back(double(i));
    Value identity =
        gb.oneHot(gb.constant(rows, {in}, b.getI64Type()), in, 1, elt);
    DenseF64ArrayAttr roi;
    if (crop) {
      ArrayRef<double> r = *op.getRoi();
      roi = b.getDenseF64ArrayAttr({r[d], 0.0, r[rank + d], 1.0});
    }
    Value m = ResizeOp::create(
        b, gb.loc, RankedTensorType::get({out, in}, elt), identity,
        b.getDenseF64ArrayAttr({scales[d], 1.0}), op.getModeAttr(),
        op.getCoordinateModeAttr(), op.getNearestModeAttr(),
        op.getCubicCoeffAAttr(), op.getExcludeOutsideAttr(),
        b.getF64FloatAttr(0.0), roi);
    g = gb.productAlong(g, d, m);
  }
  og[0] = g;
  return success();
}

LogicalResult softmaxGrad(SoftmaxOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                          Grads &og) {
  Value g = rg[0], y = op.getResult();
  if (!g)
    return success();
  int64_t axis = op.getAxis();
  Value dot = gb.reduceSum(gb.mul(g, y), {axis}, true);
  og[0] = gb.mul(y, gb.sub(g, dot));
  return success();
}

LogicalResult logSoftmaxGrad(LogSoftmaxOp op, TensorBuilder &gb,
                             ArrayRef<Value> rg, Grads &og) {
  Value g = rg[0], y = op.getResult();
  if (!g)
    return success();
  Value sum = gb.reduceSum(g, {int64_t(op.getAxis())}, true);
  og[0] = gb.sub(g, gb.mul(gb.exp(y), sum));
  return success();
}

} // namespace

void attachNNGradients(MLIRContext *ctx) {
  attachGradient<Conv2dOp, convGrad<Conv2dOp>>(ctx);
  attachGradient<Conv3dOp, convGrad<Conv3dOp>>(ctx);
  attachGradient<ConvTranspose2dOp, convTransposeGrad<ConvTranspose2dOp>>(ctx);
  attachGradient<ConvTranspose3dOp, convTransposeGrad<ConvTranspose3dOp>>(ctx);
  attachGradient<BatchNormOp, batchNormGrad>(ctx);
  attachGradient<LayerNormOp, layerNormGrad>(ctx);
  attachGradient<GroupNormOp, groupNormGrad>(ctx);
  attachGradient<MaxPool2dOp, maxPoolGrad<MaxPool2dOp>>(ctx);
  attachGradient<MaxPoolIndicesOp, maxPoolIndicesGrad>(ctx);
  attachGradient<MaxPool3dOp, maxPoolGrad<MaxPool3dOp>>(ctx);
  attachGradient<AvgPool2dOp, avgPoolGrad<AvgPool2dOp>>(ctx);
  attachGradient<AvgPool3dOp, avgPoolGrad<AvgPool3dOp>>(ctx);
  attachGradient<AdaptiveAvgPool2dOp, adaptiveAvgPool2dGrad>(ctx);
  attachGradient<ResizeOp, resizeGrad>(ctx);
  attachGradient<SoftmaxOp, softmaxGrad>(ctx);
  attachGradient<LogSoftmaxOp, logSoftmaxGrad>(ctx);
}

} // namespace lathe
