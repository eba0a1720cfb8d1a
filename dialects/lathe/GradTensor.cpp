// Gradient rules of the tensor and loss families: layout ops move the
// gradient back where the element came from; gathers become scatter-adds.
#include "dialects/lathe/GradBuilder.h"

#include <algorithm>
#include <type_traits>
#include <vector>

using namespace mlir;

namespace lathe {
namespace {

using Grads = SmallVectorImpl<Value>;

LogicalResult reshapeGrad(ReshapeOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                          Grads &og) {
  if (rg[0] && TensorBuilder::isFloat(op.getInput()))
    og[0] = gb.reshape(rg[0], gb.shape(op.getInput()));
  return success();
}

LogicalResult transposeGrad(TransposeOp op, TensorBuilder &gb,
                            ArrayRef<Value> rg, Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  og[0] = gb.transpose(rg[0], inverse);
  return success();
}

LogicalResult concatGrad(ConcatOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getResult()))
    return success();
  int64_t axis = op.getAxis(), at = 0;
  for (auto [i, in] : llvm::enumerate(op.getInputs())) {
    SmallVector<int64_t> starts(gb.shape(in).size(), 0);
    SmallVector<int64_t> sizes(gb.shape(in));
    starts[axis] = at;
    at += sizes[axis];
    og[i] = gb.slice(rg[0], starts, sizes);
  }
  return success();
}

/// The adjoint of a strided slice: each step spreads the gradient with
/// (step - 1) zeros between elements, then zero padding puts it at its start.
LogicalResult sliceGrad(SliceOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                        Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  og[0] =
      gb.unslice(rg[0], gb.shape(op.getInput()), op.getStarts(), op.getSteps());
  return success();
}

LogicalResult flipGrad(FlipOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                       Grads &og) {
  if (rg[0] && TensorBuilder::isFloat(op.getInput()))
    og[0] =
        FlipOp::create(gb.b, gb.loc, rg[0].getType(), rg[0], op.getDimsAttr());
  return success();
}

LogicalResult expandGrad(ExpandOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (rg[0] && TensorBuilder::isFloat(op.getInput()))
    og[0] = gb.unbroadcast(rg[0], op.getInput().getType());
  return success();
}

/// The input coordinate that output coordinate |o| of a dimension of |n|
/// elements padded by |low| in front reads (the lowering's sourceIndex).
int64_t padSource(int64_t o, int64_t low, int64_t n, PadMode mode) {
  int64_t i = o - low;
  switch (mode) {
  case PadMode::edge:
    return std::max<int64_t>(0, std::min(i, n - 1));
  case PadMode::wrap:
    return ((i % n) + n) % n;
  default: { // reflect
    int64_t j = i < 0 ? -i : i;
    return j > n - 1 ? 2 * (n - 1) - j : j;
  }
  }
}

/// Constant padding crops the gradient; reflect / edge / wrap also add
/// each padded element's gradient to the element it copies: per padded
/// dimension, a product with the constant 0/1 matrix M[o, source(o)].
LogicalResult padGrad(PadOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                      Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  ArrayRef<int64_t> xs = gb.shape(op.getInput());
  ArrayRef<int64_t> pads = op.getPads();
  size_t rank = xs.size();
  if (op.getMode() == PadMode::constant) {
    og[0] = gb.slice(rg[0], pads.take_front(rank), xs);
    return success();
  }
  Value g = rg[0];
  for (size_t d = 0; d < rank; ++d) {
    if (pads[d] == 0 && pads[rank + d] == 0)
      continue;
    int64_t out = gb.shape(g)[d], n = xs[d];
    std::vector<double> m(size_t(out * n), 0.0);
    for (int64_t o = 0; o < out; ++o)
      m[size_t(o * n + padSource(o, pads[d], n, op.getMode()))] = 1.0;
    g = gb.productAlong(g, d, gb.constant(m, {out, n}, gb.elt(g)));
  }
  og[0] = g;
  return success();
}

template <typename OpTy>
LogicalResult triangleGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                           Grads &og) {
  if (rg[0] && TensorBuilder::isFloat(op.getInput()))
    og[0] = OpTy::create(gb.b, gb.loc, rg[0].getType(), rg[0],
                         op.getDiagonalAttr());
  return success();
}

/// gather along |axis|: the gradient rows are added back at their indices
/// (scatter_nd over the gathered axis moved to the front).
LogicalResult gatherGrad(GatherOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  Value x = op.getInput(), idx = op.getIndices(), g = rg[0];
  ArrayRef<int64_t> xs = gb.shape(x);
  int64_t axis = op.getAxis(), k = gb.shape(idx).size();
  int64_t rank = xs.size();
  // g: [pre (axis dims), idx (k dims), post]; move idx dims to the front.
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < k; ++i)
    perm.push_back(axis + i);
  for (int64_t i = 0; i < axis; ++i)
    perm.push_back(i);
  for (int64_t i = axis + k; i < int64_t(gb.shape(g).size()); ++i)
    perm.push_back(i);
  Value updates = gb.transpose(g, perm);
  SmallVector<int64_t> front = {xs[axis]}, idxShape(gb.shape(idx));
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      front.push_back(xs[i]);
  idxShape.push_back(1);
  Value scattered = ScatterNdOp::create(
      gb.b, gb.loc, gb.splat(0.0, front, gb.elt(x)), gb.reshape(idx, idxShape),
      updates,
      ScatterReductionAttr::get(gb.b.getContext(), ScatterReduction::add));
  // [axis, pre, post] back to x's order.
  SmallVector<int64_t> back;
  for (int64_t i = 0; i < axis; ++i)
    back.push_back(i + 1);
  back.push_back(0);
  for (int64_t i = axis + 1; i < rank; ++i)
    back.push_back(i);
  og[0] = gb.transpose(scattered, back);
  return success();
}

/// gather_elements and top_k read the input at indices along an axis: the
/// gradient is added back there.
template <typename OpTy>
LogicalResult alongAxisGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                            Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  og[0] = ScatterElementsOp::create(
      gb.b, gb.loc, gb.zerosLike(op.getInput()), op.getIndices(), rg[0],
      op.getAxisAttr(),
      ScatterReductionAttr::get(gb.b.getContext(), ScatterReduction::add));
  return success();
}

/// gather_nd: the gradient slices are added back at their index tuples
/// (scatter_nd, with the batch dimensions' own coordinates prepended to the
/// tuples when batch_dims > 0).
LogicalResult gatherNdGrad(GatherNdOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                           Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  Value idx = op.getIndices();
  int64_t batch = op.getBatchDims();
  if (batch > 0) {
    ArrayRef<int64_t> is = gb.shape(idx);
    SmallVector<int64_t> shape(is.drop_back());
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    std::vector<double> coords;
    for (int64_t flat = 0; flat < count; ++flat) {
      SmallVector<int64_t> at(shape.size());
      for (int64_t d = int64_t(shape.size()) - 1, r = flat; d >= 0; --d) {
        at[d] = r % shape[d];
        r /= shape[d];
      }
      for (int64_t d = 0; d < batch; ++d)
        coords.push_back(double(at[d]));
    }
    shape.push_back(batch);
    idx = gb.concat({gb.constant(coords, shape, gb.elt(idx)), idx},
                    int64_t(shape.size()) - 1);
  }
  og[0] = ScatterNdOp::create(
      gb.b, gb.loc, gb.zerosLike(op.getInput()), idx, rg[0],
      ScatterReductionAttr::get(gb.b.getContext(), ScatterReduction::add));
  return success();
}

/// scatter_elements / scatter_nd, by reduction (PyTorch's scatter_reduce
/// derivatives, the input included as include_self=True):
/// - none: overwritten elements get no gradient, each update the gradient
///   where it landed;
/// - add: the input's gradient passes through;
/// - mul: the input's gradient is scaled by the product of the updates that
///   landed on it; an update's gradient is g * result / u, or where u is 0,
///   g * (the product of everything else) when it is the only zero there;
/// - max / min: the gradient is shared evenly among the input element and
///   the updates that equal the result.
template <typename OpTy>
LogicalResult scatterGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                          Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  constexpr bool elements = std::is_same_v<OpTy, ScatterElementsOp>;
  Value g = rg[0], x = op.getInput(), u = op.getUpdates(), y = op.getResult();
  Value idx = op.getIndices();
  MLIRContext *ctx = gb.b.getContext();
  // The op's own scatter and its adjoint gather, at the same indices.
  auto scatter = [&](Value into, Value updates, ScatterReduction r) -> Value {
    auto reduction = ScatterReductionAttr::get(ctx, r);
    if constexpr (elements)
      return ScatterElementsOp::create(gb.b, gb.loc, into, idx, updates,
                                       op.getAxisAttr(), reduction);
    else
      return ScatterNdOp::create(gb.b, gb.loc, into, idx, updates, reduction);
  };
  auto gather = [&](Value from) -> Value {
    if constexpr (elements)
      return GatherElementsOp::create(gb.b, gb.loc, u.getType(), from, idx,
                                      op.getAxisAttr());
    else
      return GatherNdOp::create(gb.b, gb.loc, u.getType(), from, idx,
                                gb.b.getI64IntegerAttr(0));
  };
  Type elt = gb.elt(x);
  Value zero = gb.scalarLike(0.0, x), one = gb.scalarLike(1.0, x);
  switch (op.getReduction()) {
  case ScatterReduction::none:
    og[0] = scatter(g, gb.zerosLike(u), ScatterReduction::none);
    og[2] = gather(g);
    break;
  case ScatterReduction::add:
    og[0] = g;
    og[2] = gather(g);
    break;
  case ScatterReduction::mul: {
    og[0] = gb.mul(
        g, scatter(gb.splat(1.0, gb.shape(x), elt), u, ScatterReduction::mul));
    Value isZero = gb.equal(u, zero);
    Value safe = gb.where(isZero, one, u);
    Value othersProduct = scatter(x, safe, ScatterReduction::mul);
    Value zeros = scatter(gb.zerosLike(x), gb.toFloat(isZero, elt),
                          ScatterReduction::add);
    Value onlyZero = gb.equal(gather(zeros), one);
    og[2] =
        gb.where(isZero, gb.mask(onlyZero, gather(gb.mul(g, othersProduct))),
                 gb.div(gather(gb.mul(g, y)), safe));
    break;
  }
  case ScatterReduction::max:
  case ScatterReduction::min: {
    Value hitX = gb.equal(x, y), hitU = gb.equal(u, gather(y));
    Value count = gb.add(
        gb.toFloat(hitX, elt),
        scatter(gb.zerosLike(x), gb.toFloat(hitU, elt), ScatterReduction::add));
    Value share = gb.div(g, count);
    og[0] = gb.mask(hitX, share);
    og[2] = gb.mask(hitU, gather(share));
    break;
  }
  }
  return success();
}

/// one_hot: `off` receives the gradient of every element that is not the
/// hot one, `on` that of the hot ones.
LogicalResult oneHotGrad(OneHotOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getValues()))
    return success();
  Value g = rg[0];
  Value hot =
      gb.oneHot(op.getIndices(), op.getDepth(), op.getAxis(), gb.elt(g));
  SmallVector<int64_t> all = TensorBuilder::allAxes(g);
  Value on = gb.reduceSum(gb.mul(g, hot), all, /*keepdims=*/false);
  Value off = gb.sub(gb.reduceSum(g, all, /*keepdims=*/false), on);
  og[1] = gb.concat({gb.reshape(off, {1}), gb.reshape(on, {1})}, 0);
  return success();
}

/// nll_loss: dX[n, c, d] = -[c = t] w[t] times the result's gradient
/// (divided by the counted weight for `mean`).
LogicalResult nllLossGrad(NllLossOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                          Grads &og) {
  if (!rg[0])
    return success();
  Value x = op.getInput(), t = op.getTarget(), g = rg[0];
  Type elt = gb.elt(x);
  ArrayRef<int64_t> xs = gb.shape(x);
  Value w = op.getWeight() ? GatherOp::create(gb.b, gb.loc, op.getWeight(), t,
                                              gb.b.getI64IntegerAttr(0))
                                 .getResult()
                           : gb.splat(1.0, gb.shape(t), elt);
  Value skip; // Where the target is ignore_index.
  if (auto ignore = op.getIgnoreIndexAttr()) {
    skip = gb.equal(t, gb.scalar(double(ignore.getInt()), gb.elt(t)));
    w = gb.where(skip, gb.scalarLike(0, w), w);
  }
  bool mean = op.getReduction() == Reduction::mean;
  Value total = mean ? gb.reduceSum(w, TensorBuilder::allAxes(w),
                                    /*keepdims=*/false)
                     : Value();
  Value coef = gb.mul(gb.neg(w), mean ? gb.div(g, total) : g);
  Value hot = gb.oneHot(t, xs[1], 1, elt);
  SmallVector<int64_t> coefShape(gb.shape(coef));
  if (coefShape.empty())
    coefShape.assign(xs.size(), 1);
  else
    coefShape.insert(coefShape.begin() + 1, 1);
  og[0] = gb.mul(hot, gb.reshape(coef, coefShape));

  // The class weights: each sample's -x[i, t_i] (less the loss, over the
  // weight sum, for mean), summed per class; ignored samples count nothing.
  if (op.getWeight()) {
    SmallVector<int64_t> tShape(gb.shape(t));
    tShape.insert(tShape.begin() + 1, 1); // N x 1 x d...
    Value picked = GatherElementsOp::create(
                       gb.b, gb.loc, RankedTensorType::get(tShape, elt), x,
                       gb.reshape(t, tShape), gb.b.getI64IntegerAttr(1))
                       .getResult();
    Value e = gb.reshape(gb.neg(picked), gb.shape(t));
    if (mean)
      e = gb.div(gb.sub(e, op.getResult()), total);
    if (skip)
      e = gb.where(skip, gb.scalarLike(0, e), e);
    e = gb.mul(e, g);
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < int64_t(xs.size()); ++i)
      if (i != 1)
        axes.push_back(i);
    og[2] = gb.reduceSum(gb.mul(hot, gb.reshape(e, tShape)), axes,
                         /*keepdims=*/false);
  }
  return success();
}

} // namespace

void attachTensorGradients(MLIRContext *ctx) {
  attachGradient<ReshapeOp, reshapeGrad>(ctx);
  attachGradient<TransposeOp, transposeGrad>(ctx);
  attachGradient<ConcatOp, concatGrad>(ctx);
  attachGradient<SliceOp, sliceGrad>(ctx);
  attachGradient<FlipOp, flipGrad>(ctx);
  attachGradient<ExpandOp, expandGrad>(ctx);
  attachGradient<PadOp, padGrad>(ctx);
  attachGradient<TriuOp, triangleGrad<TriuOp>>(ctx);
  attachGradient<TrilOp, triangleGrad<TrilOp>>(ctx);
  attachGradient<GatherOp, gatherGrad>(ctx);
  attachGradient<GatherElementsOp, alongAxisGrad<GatherElementsOp>>(ctx);
  attachGradient<TopKOp, alongAxisGrad<TopKOp>>(ctx);
  attachGradient<GatherNdOp, gatherNdGrad>(ctx);
  attachGradient<ScatterElementsOp, scatterGrad<ScatterElementsOp>>(ctx);
  attachGradient<ScatterNdOp, scatterGrad<ScatterNdOp>>(ctx);
  attachGradient<OneHotOp, oneHotGrad>(ctx);
  attachGradient<NllLossOp, nllLossGrad>(ctx);
}

} // namespace lathe
