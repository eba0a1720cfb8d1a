// Layer builders: torch.nn layers' forward as lathe ops.
#include "frontends/Layers.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace lathe::layers {
namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// createVerified's single result.
template <typename OpTy, typename... Args>
FailureOr<Value> build1(OpBuilder &b, Location loc, Args &&...args) {
  auto op = createVerified<OpTy>(b, loc, 1, std::forward<Args>(args)...);
  if (failed(op))
    return failure();
  return (*op)->getResult(0);
}

/// N x C x L viewed as N x C x 1 x L.
FailureOr<Value> liftTo2d(OpBuilder &b, Location loc, Value v) {
  SmallVector<int64_t> shape(typeOf(v).getShape());
  shape.insert(shape.begin() + 2, 1);
  return reshapeVerified(b, loc, v, shape);
}

/// N x C x 1 x L back to N x C x L.
FailureOr<Value> dropHeight(OpBuilder &b, Location loc, Value v) {
  SmallVector<int64_t> shape(typeOf(v).getShape());
  shape.erase(shape.begin() + 2);
  return reshapeVerified(b, loc, v, shape);
}

/// |window| with its defaults filled in and its sizes checked for |n|
/// spatial dimensions (|what| names the layer).
FailureOr<Window> complete(Location loc, Window w, int64_t n, StringRef what,
                           bool needKernel) {
  if (n < 1 || n > 3) {
    emitError(loc) << what << " takes 1 to 3 spatial dimensions, got " << n;
    return failure();
  }
  auto fill = [&](SmallVector<int64_t> &list, int64_t size, int64_t value,
                  StringRef name) -> LogicalResult {
    if (list.empty())
      list.assign(size, value);
    if (int64_t(list.size()) == size)
      return success();
    emitError(loc) << what << ": " << name << " has " << list.size()
                   << " values, expected " << size;
    return failure();
  };
  if (needKernel && w.kernel.empty()) {
    emitError(loc) << what << " needs a kernel size";
    return failure();
  }
  if ((needKernel && failed(fill(w.kernel, n, 1, "kernel"))) ||
      failed(fill(w.stride, n, 1, "stride")) ||
      failed(fill(w.padding, 2 * n, 0, "padding")) ||
      failed(fill(w.dilation, n, 1, "dilation")))
    return failure();
  auto positive = [](int64_t v) { return v > 0; };
  if (!llvm::all_of(w.stride, positive) ||
      !llvm::all_of(w.dilation, positive) ||
      !llvm::all_of(w.kernel, positive)) {
    emitError(loc) << what << ": kernel, stride and dilation must be positive";
    return failure();
  }
  return w;
}

/// complete()'s window; for 1-D, lifted to the 2-D window over unit height.
FailureOr<Window> resolve(Location loc, Window window, int64_t n,
                          StringRef what, bool needKernel) {
  auto completed = complete(loc, std::move(window), n, what, needKernel);
  if (failed(completed))
    return failure();
  Window w = std::move(*completed);
  if (n == 1) {
    if (needKernel)
      w.kernel.insert(w.kernel.begin(), 1);
    w.stride.insert(w.stride.begin(), 1);
    w.dilation.insert(w.dilation.begin(), 1);
    w.padding.assign({0, w.padding[0], 0, w.padding[1]});
  }
  return w;
}

/// The spatial rank of window-op input |x|, or a diagnostic.
FailureOr<int64_t> spatialRank(Location loc, Value x, StringRef what) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() < 3 || type.getRank() > 5) {
    emitError(loc) << what << " takes an N x C x d1 (x d2 (x d3)) input, got "
                   << x.getType();
    return failure();
  }
  return type.getRank() - 2;
}

} // namespace

SmallVector<int64_t> Window::symmetric(ArrayRef<int64_t> padding) {
  SmallVector<int64_t> both(padding.begin(), padding.end());
  both.append(padding.begin(), padding.end());
  return both;
}

FailureOr<Value> conv(OpBuilder &b, Location loc, Value x, Value weight,
                      Value bias, const Window &window, int64_t groups) {
  auto n = spatialRank(loc, x, "convolution");
  if (failed(n))
    return failure();
  if (typeOf(weight).getRank() != *n + 2) {
    emitError(loc) << "convolution: the weight " << weight.getType()
                   << " does not have rank " << *n + 2 << " (O x C/groups"
                   << " x kernel)";
    return failure();
  }
  auto w = resolve(loc, window, *n, "convolution", /*needKernel=*/false);
  if (failed(w))
    return failure();
  auto group = b.getI64IntegerAttr(groups);
  if (*n == 3)
    return build1<Conv3dOp>(b, loc, x, weight, bias,
                            b.getDenseI64ArrayAttr(w->stride),
                            b.getDenseI64ArrayAttr(w->padding),
                            b.getDenseI64ArrayAttr(w->dilation), group);
  if (*n == 1) {
    auto lx = liftTo2d(b, loc, x), lw = liftTo2d(b, loc, weight);
    if (failed(lx) || failed(lw))
      return failure();
    x = *lx;
    weight = *lw;
  }
  auto y = build1<Conv2dOp>(b, loc, x, weight, bias,
                            b.getDenseI64ArrayAttr(w->stride),
                            b.getDenseI64ArrayAttr(w->padding),
                            b.getDenseI64ArrayAttr(w->dilation), group);
  if (failed(y) || *n != 1)
    return y;
  return dropHeight(b, loc, *y);
}

FailureOr<Value> convTranspose(OpBuilder &b, Location loc, Value x,
                               Value weight, Value bias, const Window &window,
                               ArrayRef<int64_t> outputPadding,
                               int64_t groups) {
  auto n = spatialRank(loc, x, "transposed convolution");
  if (failed(n))
    return failure();
  if (typeOf(weight).getRank() != *n + 2) {
    emitError(loc) << "transposed convolution: the weight " << weight.getType()
                   << " does not have rank " << *n + 2
                   << " (C x O/groups x kernel)";
    return failure();
  }
  SmallVector<int64_t> outPad(outputPadding.begin(), outputPadding.end());
  if (outPad.empty())
    outPad.assign(*n, 0);
  if (int64_t(outPad.size()) != *n) {
    emitError(loc) << "transposed convolution: output padding has "
                   << outPad.size() << " values, expected " << *n;
    return failure();
  }
  // Negative padding grows the output (see Layers.h): the op pads by
  // nothing there, and the growth is a constant pad after it.
  Window nonNegative = window;
  SmallVector<int64_t> extend(2 * *n, 0);
  bool extended = false;
  for (size_t j = 0; j < nonNegative.padding.size(); ++j)
    if (nonNegative.padding[j] < 0) {
      if (j < extend.size())
        extend[j] = -nonNegative.padding[j];
      nonNegative.padding[j] = 0;
      extended = true;
    }
  auto w = resolve(loc, nonNegative, *n, "transposed convolution",
                   /*needKernel=*/false);
  if (failed(w))
    return failure();
  Value opBias = extended ? Value() : bias;
  auto group = b.getI64IntegerAttr(groups);
  FailureOr<Value> y;
  if (*n == 3) {
    y = build1<ConvTranspose3dOp>(
        b, loc, x, weight, opBias, b.getDenseI64ArrayAttr(w->stride),
        b.getDenseI64ArrayAttr(w->padding), b.getDenseI64ArrayAttr(w->dilation),
        b.getDenseI64ArrayAttr(outPad), group);
  } else {
    if (*n == 1) {
      auto lx = liftTo2d(b, loc, x), lw = liftTo2d(b, loc, weight);
      if (failed(lx) || failed(lw))
        return failure();
      x = *lx;
      weight = *lw;
      outPad.insert(outPad.begin(), 0);
    }
    y = build1<ConvTranspose2dOp>(
        b, loc, x, weight, opBias, b.getDenseI64ArrayAttr(w->stride),
        b.getDenseI64ArrayAttr(w->padding), b.getDenseI64ArrayAttr(w->dilation),
        b.getDenseI64ArrayAttr(outPad), group);
  }
  if (failed(y))
    return failure();
  if (extended) {
    // The growth (on the lifted 2-D result for 1-D), then the bias.
    int64_t rank = typeOf(*y).getRank();
    int64_t lifted = rank - 2 - *n; // 1 for a lifted 1-D op.
    SmallVector<int64_t> all(2 * rank, 0);
    for (int64_t i = 0; i < *n; ++i) {
      all[2 + lifted + i] = extend[i];
      all[rank + 2 + lifted + i] = extend[*n + i];
    }
    y = build1<PadOp>(b, loc, *y, b.getDenseI64ArrayAttr(all),
                      b.getF64FloatAttr(0.0),
                      PadModeAttr::get(b.getContext(), PadMode::constant));
    if (failed(y))
      return failure();
    if (bias) {
      SmallVector<int64_t> perChannel(rank, 1);
      perChannel[1] = typeOf(*y).getDimSize(1);
      auto channels = reshapeVerified(b, loc, bias, perChannel);
      if (failed(channels))
        return failure();
      y = build1<AddOp>(b, loc, *y, *channels);
      if (failed(y))
        return failure();
    }
  }
  return *n == 1 ? dropHeight(b, loc, *y) : y;
}

FailureOr<Value> maxPool(OpBuilder &b, Location loc, Value x,
                         const Window &window) {
  auto n = spatialRank(loc, x, "max pooling");
  if (failed(n))
    return failure();
  auto w = resolve(loc, window, *n, "max pooling", /*needKernel=*/true);
  if (failed(w))
    return failure();
  auto attrs = [&](auto &&build) {
    return build(
        b.getDenseI64ArrayAttr(w->kernel), b.getDenseI64ArrayAttr(w->stride),
        b.getDenseI64ArrayAttr(w->padding), b.getDenseI64ArrayAttr(w->dilation),
        b.getBoolAttr(w->ceilMode));
  };
  if (*n == 3)
    return attrs(
        [&](auto... a) { return build1<MaxPool3dOp>(b, loc, x, a...); });
  if (*n == 1) {
    auto lx = liftTo2d(b, loc, x);
    if (failed(lx))
      return failure();
    x = *lx;
  }
  auto y =
      attrs([&](auto... a) { return build1<MaxPool2dOp>(b, loc, x, a...); });
  if (failed(y) || *n != 1)
    return y;
  return dropHeight(b, loc, *y);
}

FailureOr<std::pair<Value, Value>> maxPoolWithIndices(OpBuilder &b,
                                                      Location loc, Value x,
                                                      const Window &window,
                                                      bool columnMajor) {
  auto n = spatialRank(loc, x, "max pooling");
  if (failed(n))
    return failure();
  auto w = resolve(loc, window, *n, "max pooling", /*needKernel=*/true);
  if (failed(w))
    return failure();
  if (*n == 1) {
    auto lx = liftTo2d(b, loc, x);
    if (failed(lx))
      return failure();
    x = *lx;
  }
  auto op = createVerified<MaxPoolIndicesOp>(
      b, loc, 2, x, b.getDenseI64ArrayAttr(w->kernel),
      b.getDenseI64ArrayAttr(w->stride), b.getDenseI64ArrayAttr(w->padding),
      b.getDenseI64ArrayAttr(w->dilation), b.getBoolAttr(w->ceilMode),
      b.getBoolAttr(columnMajor));
  if (failed(op))
    return failure();
  Value values = (*op)->getResult(0), indices = (*op)->getResult(1);
  if (*n == 1) {
    auto v = dropHeight(b, loc, values), i = dropHeight(b, loc, indices);
    if (failed(v) || failed(i))
      return failure();
    values = *v;
    indices = *i;
  }
  return std::make_pair(values, indices);
}

FailureOr<Value> avgPool(OpBuilder &b, Location loc, Value x,
                         const Window &window, bool countIncludePad) {
  auto n = spatialRank(loc, x, "average pooling");
  if (failed(n))
    return failure();
  if (llvm::any_of(window.dilation, [](int64_t d) { return d != 1; })) {
    emitError(loc) << "dilated average pooling is not supported";
    return failure();
  }
  auto w = resolve(loc, window, *n, "average pooling", /*needKernel=*/true);
  if (failed(w))
    return failure();
  auto kernel = b.getDenseI64ArrayAttr(w->kernel);
  auto stride = b.getDenseI64ArrayAttr(w->stride);
  auto padding = b.getDenseI64ArrayAttr(w->padding);
  auto ceil = b.getBoolAttr(w->ceilMode);
  auto include = b.getBoolAttr(countIncludePad);
  if (*n == 3)
    return build1<AvgPool3dOp>(b, loc, x, kernel, stride, padding, ceil,
                               include);
  if (*n == 1) {
    auto lx = liftTo2d(b, loc, x);
    if (failed(lx))
      return failure();
    x = *lx;
  }
  auto y =
      build1<AvgPool2dOp>(b, loc, x, kernel, stride, padding, ceil, include);
  if (failed(y) || *n != 1)
    return y;
  return dropHeight(b, loc, *y);
}

namespace {

/// |x|^p element by element (|x| for p = 1, x * x for p = 2).
Value powerOf(TensorBuilder &tb, Value x, double p) {
  if (p == 2.0)
    return tb.square(x);
  Value magnitude = AbsOp::create(tb.b, tb.loc, x);
  if (p == 1.0)
    return magnitude;
  return PowOp::create(tb.b, tb.loc, magnitude, tb.scalarLike(p, x));
}

/// |sum|^(1/p) for sums of powerOf's values.
Value rootOf(TensorBuilder &tb, Value sum, double p) {
  if (p == 1.0)
    return sum;
  if (p == 2.0)
    return tb.sqrt(sum);
  return PowOp::create(tb.b, tb.loc, sum, tb.scalarLike(1.0 / p, sum));
}

/// A float tensor of rank at least 3 and a positive, finite |p|; a
/// diagnostic naming |what| otherwise.
LogicalResult checkLpOperands(Location loc, Value x, double p, StringRef what) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() < 3 || !isa<FloatType>(type.getElementType())) {
    emitError(loc) << what << " takes a float N x C x d1 ... input, got "
                   << x.getType();
    return failure();
  }
  if (!(p > 0.0) || !std::isfinite(p)) {
    emitError(loc) << what << ": p must be positive, got " << p;
    return failure();
  }
  return success();
}

} // namespace

FailureOr<Value> lpPool(OpBuilder &b, Location loc, Value x,
                        const Window &window, double p) {
  if (failed(checkLpOperands(loc, x, p, "Lp pooling")))
    return failure();
  auto n = spatialRank(loc, x, "Lp pooling");
  if (failed(n))
    return failure();
  auto completed = complete(loc, window, *n, "Lp pooling", /*needKernel=*/true);
  if (failed(completed))
    return failure();
  // A window sum is an average that counts the padding, times the window
  // size. In ceil mode the last window may reach past the padded input:
  // padding the end with zeros to hold it keeps every window whole.
  Window sum = std::move(*completed);
  if (llvm::any_of(sum.dilation, [](int64_t d) { return d != 1; })) {
    emitError(loc) << "dilated Lp pooling is not supported";
    return failure();
  }
  auto shape = typeOf(x).getShape();
  if (sum.ceilMode) {
    for (int64_t i = 0; i < *n; ++i) {
      int64_t in = shape[2 + i], &end = sum.padding[*n + i];
      int64_t out = windowOutputSize(in, sum.padding[i], end, sum.kernel[i],
                                     sum.stride[i], 1, /*ceilMode=*/true);
      int64_t reach = (out - 1) * sum.stride[i] + sum.kernel[i];
      end += std::max<int64_t>(0, reach - (sum.padding[i] + in + end));
    }
    sum.ceilMode = false;
  }
  TensorBuilder tb{b, loc};
  auto mean = avgPool(b, loc, powerOf(tb, x, p), sum, /*countIncludePad=*/true);
  if (failed(mean))
    return failure();
  int64_t size = 1;
  for (int64_t k : sum.kernel)
    size *= k;
  return rootOf(tb, tb.scale(*mean, double(size)), p);
}

FailureOr<Value> globalLpPool(OpBuilder &b, Location loc, Value x, double p) {
  if (failed(checkLpOperands(loc, x, p, "global Lp pooling")))
    return failure();
  TensorBuilder tb{b, loc};
  auto axes = llvm::to_vector(llvm::seq<int64_t>(2, typeOf(x).getRank()));
  return rootOf(tb, tb.reduceSum(powerOf(tb, x, p), axes, /*keepdims=*/true),
                p);
}

FailureOr<Value> globalAvgPool(OpBuilder &b, Location loc, Value x) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() < 3) {
    emitError(loc) << "global average pooling takes an N x C x d1 ... input, "
                   << "got " << x.getType();
    return failure();
  }
  int64_t rank = type.getRank();
  if (rank == 4)
    return build1<AdaptiveAvgPool2dOp>(b, loc, x,
                                       b.getDenseI64ArrayAttr({1, 1}));
  return build1<ReduceMeanOp>(
      b, loc, x,
      b.getDenseI64ArrayAttr(llvm::to_vector(llvm::seq<int64_t>(2, rank))),
      b.getBoolAttr(true));
}

FailureOr<Value> linear(OpBuilder &b, Location loc, Value x, Value weight,
                        Value bias) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto wType = dyn_cast<RankedTensorType>(weight.getType());
  if (!xType || !wType || xType.getRank() < 1 || wType.getRank() != 2 ||
      xType.getShape().back() != wType.getDimSize(1)) {
    emitError(loc) << "linear: the input " << x.getType()
                   << " does not end in the weight's in_features ("
                   << weight.getType() << " is out x in)";
    return failure();
  }
  // Leading dimensions folded into rows for one gemm, then restored.
  ArrayRef<int64_t> lead = xType.getShape().drop_back();
  int64_t rows = 1;
  for (int64_t d : lead)
    rows *= d;
  auto flat = reshapeVerified(b, loc, x, {rows, wType.getDimSize(1)});
  if (failed(flat))
    return failure();
  auto y = build1<GemmOp>(b, loc, *flat, weight, bias, b.getF32FloatAttr(1.0f),
                          b.getF32FloatAttr(1.0f), b.getBoolAttr(false),
                          b.getBoolAttr(true));
  if (failed(y))
    return failure();
  SmallVector<int64_t> shape(lead.begin(), lead.end());
  shape.push_back(wType.getDimSize(0));
  return reshapeVerified(b, loc, *y, shape);
}

namespace {

/// |v|, or (for an absent affine parameter) a constant |fill| of |shape|
/// in |x|'s element type.
Value orConstant(OpBuilder &b, Location loc, Value v, double fill,
                 ArrayRef<int64_t> shape, Value x) {
  if (v)
    return v;
  TensorBuilder tb{b, loc};
  return tb.splat(fill, shape, TensorBuilder::elt(x));
}

/// The channel count of an N x C x ... input, or a diagnostic.
FailureOr<int64_t> channels(Location loc, Value x, StringRef what,
                            int64_t minRank) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() < minRank) {
    emitError(loc) << what << " takes an N x C x ... input of rank at least "
                   << minRank << ", got " << x.getType();
    return failure();
  }
  return type.getDimSize(1);
}

} // namespace

FailureOr<Value> batchNorm(OpBuilder &b, Location loc, Value x, Value weight,
                           Value bias, Value runningMean, Value runningVar,
                           double eps, double momentum) {
  auto c = channels(loc, x, "batch normalization", 2);
  if (failed(c))
    return failure();
  // The op's momentum weighs the old running value (ONNX's convention).
  return build1<BatchNormOp>(
      b, loc, x, orConstant(b, loc, weight, 1.0, {*c}, x),
      orConstant(b, loc, bias, 0.0, {*c}, x), runningMean, runningVar,
      b.getF32FloatAttr(float(eps)), b.getF32FloatAttr(float(1.0 - momentum)));
}

FailureOr<Normalized> layerNorm(OpBuilder &b, Location loc, Value x,
                                int64_t axis, Value weight, Value bias,
                                double eps) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || axis < 0 || axis >= type.getRank()) {
    emitError(loc) << "layer normalization: axis " << axis
                   << " is not a dimension of " << x.getType();
    return failure();
  }
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  auto op = createVerified<LayerNormOp>(
      b, loc, 3, x, orConstant(b, loc, weight, 1.0, normalized, x), bias,
      b.getI64IntegerAttr(axis), b.getF32FloatAttr(float(eps)));
  if (failed(op))
    return failure();
  return Normalized{(*op)->getResult(0), (*op)->getResult(1),
                    (*op)->getResult(2)};
}

FailureOr<Normalized> groupNorm(OpBuilder &b, Location loc, Value x,
                                int64_t groups, Value weight, Value bias,
                                double eps) {
  auto c = channels(loc, x, "group normalization", 2);
  if (failed(c))
    return failure();
  if (groups <= 0 || *c % groups != 0) {
    emitError(loc) << "group normalization: " << groups
                   << " groups must divide the " << *c << " channels";
    return failure();
  }
  auto op = createVerified<GroupNormOp>(
      b, loc, 3, x, orConstant(b, loc, weight, 1.0, {*c}, x),
      orConstant(b, loc, bias, 0.0, {*c}, x), b.getI64IntegerAttr(groups),
      b.getF32FloatAttr(float(eps)));
  if (failed(op))
    return failure();
  return Normalized{(*op)->getResult(0), (*op)->getResult(1),
                    (*op)->getResult(2)};
}

FailureOr<Value> instanceNorm(OpBuilder &b, Location loc, Value x, Value weight,
                              Value bias, double eps) {
  auto c = channels(loc, x, "instance normalization", 3);
  if (failed(c))
    return failure();
  auto n = groupNorm(b, loc, x, *c, weight, bias, eps);
  if (failed(n))
    return failure();
  return n->y;
}

FailureOr<RecurrentResult> recurrent(OpBuilder &b, Location loc,
                                     Recurrence kind, Value x, Value w, Value r,
                                     Value bias, Value h0, Value c0,
                                     Value peepholes, Value lengths,
                                     const RecurrentOptions &o) {
  auto permute = [&](Value v, ArrayRef<int64_t> perm) -> FailureOr<Value> {
    return build1<TransposeOp>(b, loc, v, b.getDenseI64ArrayAttr(perm));
  };
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto rType = dyn_cast<RankedTensorType>(r.getType());
  if (!xType || xType.getRank() != 3 || !rType || rType.getRank() != 3) {
    emitError(loc) << "recurrent layer: expected a rank-3 input and "
                   << "recurrence weight, got " << x.getType() << " and "
                   << r.getType();
    return failure();
  }
  if (kind != Recurrence::Lstm && (c0 || peepholes)) {
    emitError(loc) << "recurrent layer: only an LSTM has a cell state and "
                   << "peepholes";
    return failure();
  }
  if (o.bidirectional && o.reverse) {
    emitError(loc) << "recurrent layer: bidirectional or reverse, not both";
    return failure();
  }
  if (o.batchFirst) {
    // Time-major inside: T x N x I, D x N x H states.
    auto t = permute(x, {1, 0, 2});
    if (failed(t))
      return failure();
    x = *t;
    for (Value *s : {&h0, &c0}) {
      if (!*s)
        continue;
      auto ts = permute(*s, {1, 0, 2});
      if (failed(ts))
        return failure();
      *s = *ts;
    }
  }
  xType = cast<RankedTensorType>(x.getType());
  int64_t t = xType.getDimSize(0), n = xType.getDimSize(1);
  int64_t d = o.bidirectional ? 2 : 1;
  int64_t hidden = o.hiddenSize > 0 ? o.hiddenSize : rType.getShape().back();
  Type elt = xType.getElementType();
  auto yType = RankedTensorType::get({t, d, n, hidden}, elt);
  auto stateType = RankedTensorType::get({d, n, hidden}, elt);
  auto hiddenAttr = b.getI64IntegerAttr(hidden);
  auto dirAttr = DirectionAttr::get(b.getContext(),
                                    o.bidirectional ? Direction::bidirectional
                                    : o.reverse     ? Direction::reverse
                                                    : Direction::forward);
  FloatAttr clip = o.clip ? b.getF32FloatAttr(*o.clip) : FloatAttr();
  Operation *made;
  if (kind == Recurrence::Lstm)
    made = LstmOp::create(b, loc, TypeRange{yType, stateType, stateType}, x, w,
                          r, bias, h0, c0, peepholes, lengths, hiddenAttr,
                          dirAttr, clip);
  else if (kind == Recurrence::Gru)
    made =
        GruOp::create(b, loc, TypeRange{yType, stateType}, x, w, r, bias, h0,
                      lengths, hiddenAttr, dirAttr,
                      o.linearBeforeReset ? b.getUnitAttr() : UnitAttr(), clip);
  else
    made = RnnOp::create(
        b, loc, TypeRange{yType, stateType}, x, w, r, bias, h0, lengths,
        hiddenAttr, dirAttr,
        NonlinearityAttr::get(b.getContext(),
                              o.relu ? Nonlinearity::relu : Nonlinearity::tanh),
        clip);
  if (failed(verifiedOrErased(made)))
    return failure();
  RecurrentResult result;
  Value *slots[] = {&result.y, &result.h, &result.c};
  for (unsigned i = 0; i < made->getNumResults(); ++i) {
    Value v = made->getResult(i);
    if (o.batchFirst) {
      auto p = i == 0 ? permute(v, {2, 0, 1, 3}) : permute(v, {1, 0, 2});
      if (failed(p))
        return failure();
      v = *p;
    }
    *slots[i] = v;
  }
  return result;
}

} // namespace lathe::layers
