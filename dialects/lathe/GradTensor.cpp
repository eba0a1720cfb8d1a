// Gradient rules of the tensor and loss families: layout ops move the
// gradient back where the element came from; gathers become scatter-adds.
#include "dialects/lathe/GradBuilder.h"

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

LogicalResult padGrad(PadOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                      Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  if (op.getMode() != PadMode::constant)
    return gradientError(op, "no gradient for pad in " +
                                 stringifyPadMode(op.getMode()) +
                                 " mode (only constant padding)");
  ArrayRef<int64_t> xs = gb.shape(op.getInput());
  og[0] = gb.slice(rg[0], op.getPads().take_front(xs.size()), xs);
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

LogicalResult gatherElementsGrad(GatherElementsOp op, TensorBuilder &gb,
                                 ArrayRef<Value> rg, Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  og[0] = ScatterElementsOp::create(
      gb.b, gb.loc, gb.zerosLike(op.getInput()), op.getIndices(), rg[0],
      op.getAxisAttr(),
      ScatterReductionAttr::get(gb.b.getContext(), ScatterReduction::add));
  return success();
}

LogicalResult topKGrad(TopKOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                       Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  og[0] = ScatterElementsOp::create(
      gb.b, gb.loc, gb.zerosLike(op.getInput()), op.getIndices(), rg[0],
      op.getAxisAttr(),
      ScatterReductionAttr::get(gb.b.getContext(), ScatterReduction::add));
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
  if (auto ignore = op.getIgnoreIndexAttr()) {
    Value skip = gb.equal(t, gb.scalar(double(ignore.getInt()), gb.elt(t)));
    w = gb.where(skip, gb.scalarLike(0, w), w);
  }
  Value coef = gb.neg(w);
  switch (op.getReduction()) {
  case Reduction::none:
  case Reduction::sum:
    coef = gb.mul(coef, g);
    break;
  case Reduction::mean:
    coef = gb.mul(coef, gb.div(g, gb.reduceSum(w, TensorBuilder::allAxes(w),
                                               /*keepdims=*/false)));
    break;
  }
  Value hot = OneHotOp::create(gb.b, gb.loc, t, gb.constant({0, 1}, {2}, elt),
                               gb.b.getI64IntegerAttr(xs[1]),
                               gb.b.getI64IntegerAttr(1));
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
    if (op.getReduction() == Reduction::mean)
      e = gb.div(gb.sub(e, op.getResult()),
                 gb.reduceSum(w, TensorBuilder::allAxes(w), false));
    if (auto ignore = op.getIgnoreIndexAttr())
      e = gb.where(gb.equal(t, gb.scalar(double(ignore.getInt()), gb.elt(t))),
                   gb.scalarLike(0, e), e);
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
  attachGradient<GatherElementsOp, gatherElementsGrad>(ctx);
  attachGradient<TopKOp, topKGrad>(ctx);
  attachGradient<NllLossOp, nllLossGrad>(ctx);
}

} // namespace lathe
