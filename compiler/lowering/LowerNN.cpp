// Lowering of the nn family: convolution, normalization, pooling, softmax
// (resampling is LowerResample.cpp's).
#include "compiler/lowering/LoweringUtils.h"
#include "compiler/lowering/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;

namespace lathe {
namespace {

DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> values) {
  return b.getI64TensorAttr(values);
}

/// Extra high padding that ceil_mode needs so the last window fits.
int64_t ceilExtra(int64_t in, int64_t padBegin, int64_t padEnd, int64_t out,
                  int64_t kernel, int64_t stride, int64_t dilation) {
  int64_t needed = (out - 1) * stride + dilation * (kernel - 1) + 1;
  return std::max<int64_t>(0, needed - (in + padBegin + padEnd));
}

/// A sliding-window linalg.generic over dims (outer..., out spatial...,
/// window...): |input| is read at (outer..., o * stride + k * dilation),
/// |weight| (if any) through |weightMap|, the result at (outer..., o);
/// |combine| maps (accumulator, input[, weight]) to the accumulator, seeing
/// unsigned elements as signless.
Value windowGeneric(OpBuilder &b, Location loc, Value input, Value weight,
                    AffineMap weightMap, Value init, int64_t outer,
                    int64_t spatial, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> dilations, int64_t reductionDims,
                    CombineBody combine) {
  MLIRContext *ctx = b.getContext();
  Type resultType = init.getType();
  input = signlessView(b, loc, input);
  weight = signlessView(b, loc, weight);
  init = signlessView(b, loc, init);
  auto outType = cast<RankedTensorType>(init.getType());
  int64_t parallel = outType.getRank();
  int64_t loops = parallel + reductionDims;
  int64_t windowStart = loops - spatial;
  SmallVector<AffineExpr> inExprs;
  int64_t inRank = cast<RankedTensorType>(input.getType()).getRank();
  // Leading non-spatial input dims: outer dims of the output, or (for a
  // convolution) the channel reduction dims in between.
  for (int64_t d = 0; d < inRank - spatial; ++d)
    inExprs.push_back(
        getAffineDimExpr(d < outer ? d : parallel + d - outer, ctx));
  for (int64_t i = 0; i < spatial; ++i)
    inExprs.push_back(getAffineDimExpr(parallel - spatial + i, ctx) *
                          strides[i] +
                      getAffineDimExpr(windowStart + i, ctx) * dilations[i]);
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, inExprs, ctx)};
  SmallVector<Value> ins = {input};
  if (weight) {
    maps.push_back(weightMap);
    ins.push_back(weight);
  }
  maps.push_back(
      AffineMap::getMultiDimIdentityMap(loops, ctx).getMajorSubMap(parallel));
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  for (int64_t d = parallel; d < loops; ++d)
    iterators[d] = utils::IteratorType::reduction;
  Value result =
      linalg::GenericOp::create(
          b, loc, outType, ins, init, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                nb, l, combine(nb, l, args.back(), args.drop_back()));
          })
          .getResult(0);
  return typedView(b, loc, result, resultType);
}

/// conv2d(x, w, b) => conv_2d_nchw_fchw(pad(x), w) into broadcast(b), or the
/// grouped conv_2d_ngchw_gfchw on expanded shapes when groups > 1.
struct Conv2dLowering : OpConversionPattern<Conv2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    Type elt = outType.getElementType();
    ArrayRef<int64_t> pads = op.getPads();
    Value x =
        padTensor(rewriter, loc, adaptor.getInput(), {0, 0, pads[0], pads[1]},
                  {0, 0, pads[2], pads[3]}, 0.0);
    Value init;
    if (Value bias = adaptor.getBias()) {
      // Start the accumulation from the bias, broadcast along dimension 1.
      MLIRContext *ctx = rewriter.getContext();
      AffineMap biasMap = AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx);
      AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
      Value empty = emptyTensor(rewriter, loc, outType.getShape(), elt);
      init = linalg::GenericOp::create(
                 rewriter, loc, outType, bias, empty,
                 ArrayRef<AffineMap>{biasMap, id},
                 SmallVector<utils::IteratorType>(
                     4, utils::IteratorType::parallel),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      init = filledTensor(rewriter, loc, outType.getShape(), elt, 0.0);
    }
    auto strides = i64Vector(rewriter, op.getStrides());
    auto dilations = i64Vector(rewriter, op.getDilations());
    int64_t groups = op.getGroups();
    if (groups == 1) {
      Value conv =
          linalg::Conv2DNchwFchwOp::create(rewriter, loc, outType,
                                           ValueRange{x, adaptor.getWeight()},
                                           init, strides, dilations)
              .getResult(0);
      rewriter.replaceOp(op, conv);
      return success();
    }
    // Grouped: N x C x H x W -> N x G x C/G x H x W, and likewise for the
    // weight and the output, then back.
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(adaptor.getWeight().getType());
    auto split1 = [&](Value v, RankedTensorType t) {
      SmallVector<int64_t> shape(t.getShape());
      int64_t channels = shape[1];
      shape[1] = groups;
      shape.insert(shape.begin() + 2, channels / groups);
      return tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, elt), v,
          SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    };
    SmallVector<int64_t> wShape(wType.getShape());
    wShape.insert(wShape.begin(), groups);
    wShape[1] /= groups;
    Value w = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(wShape, elt), adaptor.getWeight(),
        SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
    Value xg = split1(x, xType);
    Value initG = split1(init, outType);
    Value conv = linalg::Conv2DNgchwGfchwOp::create(
                     rewriter, loc, initG.getType(), ValueRange{xg, w}, initG,
                     strides, dilations)
                     .getResult(0);
    Value out = tensor::CollapseShapeOp::create(
        rewriter, loc, outType, conv,
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// conv_transpose(x, w) => conv(stuff(x) padded by d (k - 1) - p, flip(w)
/// with in/out channels swapped per group), stride 1: the 2-D and 3-D
/// layers alike (spatial = rank - 2).
template <typename SourceOp, typename ConvOp>
struct ConvTransposeLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(w.getType());
    Type elt = xType.getElementType();
    int64_t spatial = xType.getRank() - 2;
    ArrayRef<int64_t> s = op.getStrides(), p = op.getPads(),
                      d = op.getDilations(), outPad = op.getOutputPadding();
    int64_t groups = op.getGroups();
    ArrayRef<int64_t> k = wType.getShape().drop_front(2);

    // The zero-stuffed, padded input (negative pads crop afterwards).
    SmallVector<int64_t> low(spatial), high(spatial),
        full = {xType.getDimSize(0), xType.getDimSize(1)};
    SmallVector<int64_t> offsets = {0, 0}, steps = {1, 1};
    bool crop = false;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t stuffed = (xType.getDimSize(2 + i) - 1) * s[i] + 1;
      low[i] = d[i] * (k[i] - 1) - p[i];
      high[i] = d[i] * (k[i] - 1) - p[i + spatial] + outPad[i];
      full.push_back(stuffed + std::max<int64_t>(low[i], 0) +
                     std::max<int64_t>(high[i], 0));
      offsets.push_back(std::max<int64_t>(low[i], 0));
      steps.push_back(s[i]);
      crop |= low[i] < 0 || high[i] < 0;
    }
    Value z = filledTensor(rewriter, loc, full, elt, 0.0);
    z = tensor::InsertSliceOp::create(rewriter, loc, x, z, ValueRange{},
                                      ValueRange{}, ValueRange{}, offsets,
                                      xType.getShape(), steps);
    if (crop) {
      SmallVector<int64_t> from(2, 0), sizes(full), ones(full.size(), 1);
      for (int64_t i = 0; i < spatial; ++i) {
        from.push_back(std::max<int64_t>(-low[i], 0));
        sizes[2 + i] = full[2 + i] - std::max<int64_t>(-low[i], 0) -
                       std::max<int64_t>(-high[i], 0);
      }
      z = tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get(sizes, elt), z, ValueRange{},
          ValueRange{}, ValueRange{}, from, sizes, ones);
    }

    // The weight as a convolution weight: G x Cg x Fg x K -> G x Fg x Cg x
    // flipped K, then (G Fg) x Cg x K.
    int64_t cg = wType.getDimSize(0) / groups, fg = wType.getDimSize(1);
    SmallVector<int64_t> groupedShape = {groups, cg, fg};
    llvm::append_range(groupedShape, k);
    SmallVector<ReassociationIndices> split = {{0, 1}, {2}};
    for (int64_t i = 0; i < spatial; ++i)
      split.push_back({3 + i});
    Value wg = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(groupedShape, elt), w, split);
    int64_t loops = 3 + spatial;
    SmallVector<AffineExpr> read = {getAffineDimExpr(0, ctx),
                                    getAffineDimExpr(2, ctx),
                                    getAffineDimExpr(1, ctx)};
    for (int64_t i = 0; i < spatial; ++i)
      read.push_back(k[i] - 1 - getAffineDimExpr(3 + i, ctx));
    SmallVector<int64_t> flippedShape = {groups, fg, cg};
    llvm::append_range(flippedShape, k);
    auto flippedType = RankedTensorType::get(flippedShape, elt);
    Value flipped =
        linalg::GenericOp::create(
            rewriter, loc, flippedType, wg,
            emptyTensor(rewriter, loc, flippedShape, elt),
            ArrayRef<AffineMap>{AffineMap::get(loops, 0, read, ctx),
                                AffineMap::getMultiDimIdentityMap(loops, ctx)},
            SmallVector<utils::IteratorType>(loops,
                                             utils::IteratorType::parallel),
            [](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(b, l, args[0]);
            })
            .getResult(0);
    SmallVector<int64_t> convShape = {groups * fg, cg};
    llvm::append_range(convShape, k);
    Value w2 = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get(convShape, elt), flipped, split);
    rewriter.replaceOpWithNewOp<ConvOp>(
        op, op.getType(), z, w2, adaptor.getBias(),
        rewriter.getDenseI64ArrayAttr(SmallVector<int64_t>(spatial, 1)),
        rewriter.getDenseI64ArrayAttr(SmallVector<int64_t>(2 * spatial, 0)),
        rewriter.getDenseI64ArrayAttr(d), rewriter.getI64IntegerAttr(groups));
    return success();
  }
};

/// batch_norm(x) => a = scale / sqrt(var + eps); b = bias - mean * a;
/// generic { x * a[c] + b[c] }.
struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto chanType = cast<RankedTensorType>(adaptor.getScale().getType());
    double eps = op.getEpsilon().convertToDouble();
    Value a = elementwise(
        rewriter, loc, {adaptor.getScale(), adaptor.getVar()}, chanType,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value v = arith::AddFOp::create(
              b, l, args[1], floatConstant(b, l, args[1].getType(), eps));
          return arith::DivFOp::create(b, l, args[0],
                                       math::SqrtOp::create(b, l, v));
        });
    Value shift = elementwise(
        rewriter, loc, {adaptor.getBias(), adaptor.getMean(), a}, chanType,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value ma = arith::MulFOp::create(b, l, args[1], args[2]);
          return arith::SubFOp::create(b, l, args[0], ma);
        });
    // Per-channel operands as C x 1 x ... so they broadcast along dim 1.
    SmallVector<int64_t> chanShape(type.getRank() - 1, 1);
    chanShape[0] = type.getDimSize(1);
    Value a2 = reshapeTensor(rewriter, loc, a, chanShape);
    Value s2 = reshapeTensor(rewriter, loc, shift, chanShape);
    Value result =
        elementwise(rewriter, loc, {adaptor.getInput(), a2, s2}, type,
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      Value xa = arith::MulFOp::create(b, l, args[0], args[1]);
                      return arith::AddFOp::create(b, l, xa, args[2]);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Mean and 1 / sqrt(biased variance + eps) of |x| over |axes|, both with
/// the reduced dimensions kept at size 1.
std::pair<Value, Value> meanAndRstd(OpBuilder &b, Location loc, Value x,
                                    ArrayRef<int64_t> axes, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t count = 1;
  for (int64_t d : axes)
    count *= type.getDimSize(d);
  auto add = [](OpBuilder &nb, Location l, Value acc, ValueRange in) -> Value {
    return arith::AddFOp::create(nb, l, acc, in[0]);
  };
  Value sum = reduceOver(b, loc, x, axes, true, 0.0, add);
  auto statsType = cast<RankedTensorType>(sum.getType());
  Value mean = elementwise(
      b, loc, sum, statsType,
      [&](OpBuilder &nb, Location l, ValueRange in) -> Value {
        return arith::DivFOp::create(
            nb, l, in[0], floatConstant(nb, l, in[0].getType(), double(count)));
      });
  Value squares = reduceOver(
      b, loc, {x, mean}, axes, true, 0.0,
      [](OpBuilder &nb, Location l, Value acc, ValueRange in) -> Value {
        Value c = arith::SubFOp::create(nb, l, in[0], in[1]);
        return arith::AddFOp::create(nb, l, acc,
                                     arith::MulFOp::create(nb, l, c, c));
      });
  Value rstd =
      elementwise(b, loc, squares, statsType,
                  [&](OpBuilder &nb, Location l, ValueRange in) -> Value {
                    Type t = in[0].getType();
                    Value var = arith::DivFOp::create(
                        nb, l, in[0], floatConstant(nb, l, t, double(count)));
                    Value v = arith::AddFOp::create(
                        nb, l, var, floatConstant(nb, l, t, eps));
                    return math::RsqrtOp::create(nb, l, v);
                  });
  return {mean, rstd};
}

/// layer_norm(x) => mean = sum(x) / n; rstd = 1 / sqrt(sum((x - mean)^2) / n
/// + eps); y = (x - mean) * rstd * scale + bias, over dims [axis, rank).
struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    auto axes =
        llvm::to_vector(llvm::seq<int64_t>(op.getAxis(), type.getRank()));
    auto [mean, rstd] =
        meanAndRstd(rewriter, loc, x, axes, op.getEpsilon().convertToDouble());
    SmallVector<Value> inputs = {x, mean, rstd, adaptor.getScale()};
    if (adaptor.getBias())
      inputs.push_back(adaptor.getBias());
    Value y = elementwise(rewriter, loc, inputs, type,
                          [](OpBuilder &b, Location l, ValueRange in) -> Value {
                            Value c = arith::SubFOp::create(b, l, in[0], in[1]);
                            Value n = arith::MulFOp::create(b, l, c, in[2]);
                            Value s = arith::MulFOp::create(b, l, n, in[3]);
                            return in.size() > 4
                                       ? arith::AddFOp::create(b, l, s, in[4])
                                       : s;
                          });
    rewriter.replaceOp(op, {y, mean, rstd});
    return success();
  }
};

/// group_norm(x) => x viewed as N x G x K; mean and 1 / sqrt(var + eps) over
/// K; normalized, viewed back, then { y * scale[c] + bias[c] }.
struct GroupNormLowering : OpConversionPattern<GroupNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GroupNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    int64_t n = type.getDimSize(0), groups = op.getGroups();
    int64_t k = type.getNumElements() / (n * groups);
    Value grouped = reshapeTensor(rewriter, loc, x, {n, groups, k});
    auto [mean, rstd] = meanAndRstd(rewriter, loc, grouped, {2},
                                    op.getEpsilon().convertToDouble());
    auto groupedType = cast<RankedTensorType>(grouped.getType());
    Value normalized = elementwise(
        rewriter, loc, {grouped, mean, rstd}, groupedType,
        [](OpBuilder &b, Location l, ValueRange in) -> Value {
          return arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, in[0], in[1]), in[2]);
        });
    Value y = reshapeTensor(rewriter, loc, normalized, type.getShape());
    SmallVector<int64_t> perChannel(type.getRank() - 1, 1);
    perChannel[0] = type.getDimSize(1);
    Value scale = reshapeTensor(rewriter, loc, adaptor.getScale(), perChannel);
    Value bias = reshapeTensor(rewriter, loc, adaptor.getBias(), perChannel);
    y = elementwise(rewriter, loc, {y, scale, bias}, type,
                    [](OpBuilder &b, Location l, ValueRange in) -> Value {
                      return arith::AddFOp::create(
                          b, l, arith::MulFOp::create(b, l, in[0], in[1]),
                          in[2]);
                    });
    rewriter.replaceOp(op, {y, reshapeTensor(rewriter, loc, mean, {n, groups}),
                            reshapeTensor(rewriter, loc, rstd, {n, groups})});
    return success();
  }
};

/// max_pool2d(x) => pooling_nchw_max(pad(x, -inf)) into fill(-inf); an
/// integer x (the padding its lowest value) pools in a window generic, as
/// linalg has no unsigned NCHW max pooling.
struct MaxPool2dLowering : OpConversionPattern<MaxPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elt = outType.getElementType();
    ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads(),
                      d = op.getDilations();
    SmallVector<int64_t> high = {0, 0, p[2], p[3]};
    for (int i = 0; i < 2; ++i)
      high[2 + i] += ceilExtra(inType.getDimSize(2 + i), p[i], p[2 + i],
                               outType.getDimSize(2 + i), k[i], s[i], d[i]);
    double lowest = -std::numeric_limits<double>::infinity();
    Value x = padTensor(rewriter, loc, adaptor.getInput(), {0, 0, p[0], p[1]},
                        high, lowest);
    Value init = filledTensor(rewriter, loc, outType.getShape(), elt, lowest);
    Value window = emptyTensor(rewriter, loc, k, elt);
    Value pooled;
    if (isa<FloatType>(elt)) {
      pooled = linalg::PoolingNchwMaxOp::create(
                   rewriter, loc, outType, ValueRange{x, window}, init,
                   i64Vector(rewriter, s), i64Vector(rewriter, d))
                   .getResult(0);
    } else {
      bool isUns = isUnsigned(elt);
      AffineMap windowMap = AffineMap::get(
          6, 0, {getAffineDimExpr(4, ctx), getAffineDimExpr(5, ctx)}, ctx);
      pooled = windowGeneric(
          rewriter, loc, x, window, windowMap, init, 2, 2, s, d, 2,
          [&](OpBuilder &b, Location l, Value acc, ValueRange in) -> Value {
            return maxElements(b, l, acc, in[0], isUns);
          });
    }
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

/// max_pool_with_indices(x) => one generic over (n, c, o..., k...) keeping
/// (best value, its offset in x); a window position in the padding
/// reads -inf and so is never chosen over an input element.
struct MaxPoolIndicesLowering : OpConversionPattern<MaxPoolIndicesOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPoolIndicesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getResult().getType());
    auto idxType = cast<RankedTensorType>(op.getIndices().getType());
    Type elt = outType.getElementType();
    ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads(),
                      d = op.getDilations();
    unsigned spatial = inType.getRank() - 2, rank = 2 + 2 * spatial;
    SmallVector<int64_t> low = {0, 0}, high = {0, 0};
    for (unsigned i = 0; i < spatial; ++i) {
      low.push_back(p[i]);
      high.push_back(p[spatial + i] +
                     ceilExtra(inType.getDimSize(2 + i), p[i], p[spatial + i],
                               outType.getDimSize(2 + i), k[i], s[i], d[i]));
    }
    double lowest = -std::numeric_limits<double>::infinity();
    bool isUns = isUnsigned(elt);
    Value x = signlessView(
        rewriter, loc,
        padTensor(rewriter, loc, adaptor.getInput(), low, high, lowest));
    Value best = signlessView(
        rewriter, loc,
        filledTensor(rewriter, loc, outType.getShape(), elt, lowest));
    Value where = filledTensor(rewriter, loc, idxType.getShape(),
                               rewriter.getI64Type(), 0.0);
    Value window = emptyTensor(
        rewriter, loc, k, cast<RankedTensorType>(x.getType()).getElementType());
    // Dimensions: n, c, the output positions, then the kernel offsets.
    SmallVector<AffineExpr> xExprs = {getAffineDimExpr(0, ctx),
                                      getAffineDimExpr(1, ctx)},
                            wExprs, outExprs(xExprs);
    for (unsigned i = 0; i < spatial; ++i) {
      AffineExpr o = getAffineDimExpr(2 + i, ctx),
                 kk = getAffineDimExpr(2 + spatial + i, ctx);
      xExprs.push_back(o * s[i] + kk * d[i]);
      wExprs.push_back(kk);
      outExprs.push_back(o);
    }
    AffineMap xMap = AffineMap::get(rank, 0, xExprs, ctx);
    AffineMap wMap = AffineMap::get(rank, 0, wExprs, ctx);
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    SmallVector<utils::IteratorType> iterators(2 + spatial,
                                               utils::IteratorType::parallel);
    iterators.append(spatial, utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), idxType},
        ValueRange{x, window}, ValueRange{best, where},
        ArrayRef<AffineMap>{xMap, wMap, outMap, outMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto index = [&](int64_t dim) -> Value {
            return linalg::IndexOp::create(b, l, dim);
          };
          auto cst = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          auto mul = [&](Value a, Value bb) -> Value {
            return arith::MulIOp::create(b, l, a, bb);
          };
          auto add = [&](Value a, Value bb) -> Value {
            return arith::AddIOp::create(b, l, a, bb);
          };
          // Offset in the unpadded input of this window position: the
          // plane's row-major start plus the position in the plane, row- or
          // column-major.
          Value flat = add(mul(index(0), cst(inType.getDimSize(1))), index(1));
          Value inPlane = cst(0);
          int64_t planeSize = 1;
          for (unsigned j = 0; j < spatial; ++j) {
            unsigned i = op.getColumnMajor() ? spatial - 1 - j : j;
            int64_t size = inType.getDimSize(2 + i);
            Value at = arith::SubIOp::create(
                b, l,
                add(mul(index(2 + i), cst(s[i])),
                    mul(index(2 + spatial + i), cst(d[i]))),
                cst(p[i]));
            inPlane = add(mul(inPlane, cst(size)), at);
            planeSize *= size;
          }
          flat = add(mul(flat, cst(planeSize)), inPlane);
          Value better =
              compareElements(b, l, Compare::Greater, args[0], args[2], isUns);
          Value here = arith::IndexCastOp::create(b, l, b.getI64Type(), flat);
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, better, args[0], args[2]),
                  arith::SelectOp::create(b, l, better, here, args[3])});
        });
    rewriter.replaceOp(op,
                       {typedView(rewriter, loc, generic.getResult(0), outType),
                        generic.getResult(1)});
    return success();
  }
};

/// avg_pool2d(x) => pooling_nchw_sum(pad(x, 0)) / divisor[oh, ow], the
/// divisors computed at compile time from the static shapes.
struct AvgPool2dLowering : OpConversionPattern<AvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elt = outType.getElementType();
    ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads();
    SmallVector<int64_t> high = {0, 0, p[2], p[3]};
    for (int i = 0; i < 2; ++i)
      high[2 + i] += ceilExtra(inType.getDimSize(2 + i), p[i], p[2 + i],
                               outType.getDimSize(2 + i), k[i], s[i], 1);
    Value x = padTensor(rewriter, loc, adaptor.getInput(), {0, 0, p[0], p[1]},
                        high, 0.0);
    Value init = filledTensor(rewriter, loc, outType.getShape(), elt, 0.0);
    Value window = emptyTensor(rewriter, loc, k, elt);
    int64_t ones[] = {1, 1};
    Value sum = linalg::PoolingNchwSumOp::create(
                    rewriter, loc, outType, ValueRange{x, window}, init,
                    i64Vector(rewriter, s), i64Vector(rewriter, ones))
                    .getResult(0);
    int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
    SmallVector<float> divisors;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        divisors.push_back(
            float(windowCount(i, inType.getDimSize(2), p[0], p[2], k[0], s[0],
                              op.getCountIncludePad()) *
                  windowCount(j, inType.getDimSize(3), p[1], p[3], k[1], s[1],
                              op.getCountIncludePad())));
    auto divType = RankedTensorType::get({oh, ow}, rewriter.getF32Type());
    Value div = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(divType, ArrayRef(divisors)));
    Value result =
        elementwise(rewriter, loc, {sum, div}, outType,
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      Value d = args[1];
                      if (d.getType() != args[0].getType())
                        d = arith::ExtFOp::create(b, l, args[0].getType(), d);
                      return arith::DivFOp::create(b, l, args[0], d);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// conv3d(x, w) => generic over (n, g, f, od, oh, ow, c, kd, kh, kw) of
/// x[n, g, c, o * s + k * d] * w[g, f, c, k] on the grouped views, starting
/// from the bias.
struct Conv3dLowering : OpConversionPattern<Conv3dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv3dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto outType = cast<RankedTensorType>(op.getType());
    Type elt = outType.getElementType();
    ArrayRef<int64_t> p = op.getPads();
    Value x =
        padTensor(rewriter, loc, adaptor.getInput(), {0, 0, p[0], p[1], p[2]},
                  {0, 0, p[3], p[4], p[5]}, 0.0);
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(adaptor.getWeight().getType());
    int64_t g = op.getGroups(), n = xType.getDimSize(0);
    int64_t cg = wType.getDimSize(1), fg = wType.getDimSize(0) / g;
    SmallVector<int64_t> xs = {n, g, cg};
    llvm::append_range(xs, xType.getShape().drop_front(2));
    SmallVector<int64_t> ws = {g, fg, cg};
    llvm::append_range(ws, wType.getShape().drop_front(2));
    SmallVector<int64_t> os = {n, g, fg};
    llvm::append_range(os, outType.getShape().drop_front(2));
    Value xg = reshapeTensor(rewriter, loc, x, xs);
    Value wg = reshapeTensor(rewriter, loc, adaptor.getWeight(), ws);
    Value init = filledTensor(rewriter, loc, os, elt, 0.0);
    if (Value bias = adaptor.getBias()) {
      Value bg = reshapeTensor(rewriter, loc, bias, {1, g, fg, 1, 1, 1});
      init = elementwise(
          rewriter, loc, bg, cast<RankedTensorType>(init.getType()),
          [](OpBuilder &, Location, ValueRange in) { return in[0]; });
    }
    // Loops: n g f od oh ow | c kd kh kw.
    SmallVector<AffineExpr> wExprs = {getAffineDimExpr(1, ctx),
                                      getAffineDimExpr(2, ctx),
                                      getAffineDimExpr(6, ctx)};
    for (int i = 0; i < 3; ++i)
      wExprs.push_back(getAffineDimExpr(7 + i, ctx));
    Value y = windowGeneric(
        rewriter, loc, xg, wg, AffineMap::get(10, 0, wExprs, ctx), init,
        /*outer=*/2, 3, op.getStrides(), op.getDilations(), 4,
        [](OpBuilder &b, Location l, Value acc, ValueRange in) -> Value {
          return multiplyAdd(b, l, acc, in[0], in[1]);
        });
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, y, outType.getShape()));
    return success();
  }
};

/// max_pool3d / avg_pool3d => pad (-inf / 0, plus ceil-mode room), then a
/// window generic with an empty window operand giving the kernel extent;
/// the average divides by each window's constant element count.
template <typename SourceOp, bool isMax>
struct Pool3dLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elt = outType.getElementType();
    ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads();
    SmallVector<int64_t> dil = {1, 1, 1};
    if constexpr (isMax)
      dil.assign(op.getDilations().begin(), op.getDilations().end());
    SmallVector<int64_t> low = {0, 0, p[0], p[1], p[2]},
                         high = {0, 0, p[3], p[4], p[5]};
    for (int i = 0; i < 3; ++i)
      high[2 + i] += ceilExtra(inType.getDimSize(2 + i), p[i], p[3 + i],
                               outType.getDimSize(2 + i), k[i], s[i], dil[i]);
    double inf = std::numeric_limits<double>::infinity();
    Value x = padTensor(rewriter, loc, adaptor.getInput(), low, high,
                        isMax ? -inf : 0.0);
    Value init = filledTensor(rewriter, loc, outType.getShape(), elt,
                              isMax ? -inf : 0.0);
    // The window's extent comes from an (unread) k-shaped operand.
    Value window = emptyTensor(rewriter, loc, k, elt);
    AffineMap windowMap =
        AffineMap::get(8, 0,
                       {getAffineDimExpr(5, ctx), getAffineDimExpr(6, ctx),
                        getAffineDimExpr(7, ctx)},
                       ctx);
    Value y = windowGeneric(
        rewriter, loc, x, window, windowMap, init, 2, 3, s, dil, 3,
        [&](OpBuilder &b, Location l, Value acc, ValueRange in) -> Value {
          if (isMax)
            return maxElements(b, l, acc, in[0], isUnsigned(elt));
          return arith::AddFOp::create(b, l, acc, in[0]);
        });
    if constexpr (!isMax) {
      SmallVector<int64_t> os(outType.getShape().drop_front(2));
      SmallVector<float> divisors;
      for (int64_t a = 0; a < os[0]; ++a)
        for (int64_t bb = 0; bb < os[1]; ++bb)
          for (int64_t c = 0; c < os[2]; ++c) {
            int64_t at[3] = {a, bb, c};
            int64_t count = 1;
            for (int i = 0; i < 3; ++i)
              count *=
                  windowCount(at[i], inType.getDimSize(2 + i), p[i], p[3 + i],
                              k[i], s[i], op.getCountIncludePad());
            divisors.push_back(float(count));
          }
      auto divType = RankedTensorType::get(os, rewriter.getF32Type());
      Value div = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(divType, ArrayRef(divisors)));
      y = elementwise(rewriter, loc, {y, div}, outType,
                      [](OpBuilder &b, Location l, ValueRange args) -> Value {
                        Value d = args[1];
                        if (d.getType() != args[0].getType())
                          d = arith::ExtFOp::create(b, l, args[0].getType(), d);
                        return arith::DivFOp::create(b, l, args[0], d);
                      });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// adaptive_avg_pool2d(x)[n, c, i, j] => sum_{h, w} x[n, c, h, w] * Ph[i, h] *
/// Pw[j, w], with constant averaging matrices holding 1/count inside window
/// i (rows floor(i*H/OH) .. ceil((i+1)*H/OH)) and 0 outside.
struct AdaptiveAvgPool2dLowering : OpConversionPattern<AdaptiveAvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  static Value averagingMatrix(OpBuilder &b, Location loc, Type elt,
                               int64_t out, int64_t in) {
    SmallVector<double> values = adaptiveAveragingMatrix(out, in);
    auto type = RankedTensorType::get({out, in}, elt);
    SmallVector<Attribute> attrs;
    for (double v : values)
      attrs.push_back(b.getFloatAttr(elt, v));
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, attrs));
  }

  LogicalResult
  matchAndRewrite(AdaptiveAvgPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elt = outType.getElementType();
    Value ph = averagingMatrix(rewriter, loc, elt, outType.getDimSize(2),
                               inType.getDimSize(2));
    Value pw = averagingMatrix(rewriter, loc, elt, outType.getDimSize(3),
                               inType.getDimSize(3));
    AffineExpr n, c, i, j, h, w;
    bindDims(ctx, n, c, i, j, h, w);
    auto map = [&](ArrayRef<AffineExpr> e) {
      return AffineMap::get(6, 0, e, ctx);
    };
    using IT = utils::IteratorType;
    Value init = filledTensor(rewriter, loc, outType.getShape(), elt, 0.0);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, outType, ValueRange{adaptor.getInput(), ph, pw},
            init,
            ArrayRef<AffineMap>{map({n, c, h, w}), map({i, h}), map({j, w}),
                                map({n, c, i, j})},
            {IT::parallel, IT::parallel, IT::parallel, IT::parallel,
             IT::reduction, IT::reduction},
            [](OpBuilder &b, Location l, ValueRange args) {
              Value weight = arith::MulFOp::create(b, l, args[1], args[2]);
              Value prod = arith::MulFOp::create(b, l, args[0], weight);
              Value sum = arith::AddFOp::create(b, l, args[3], prod);
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// softmax(x) => m = max(x); e = exp(x - m); e / sum(e). log_softmax(x) =>
/// x - m - log(sum(exp(x - m))).
template <typename SourceOp, bool isLog>
struct SoftmaxLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value x = adaptor.getInput();
    int64_t axis = op.getAxis();
    Value max = reduceOver(
        rewriter, loc, x, axis, /*keepDims=*/true,
        -std::numeric_limits<double>::infinity(),
        [](OpBuilder &b, Location l, Value acc, ValueRange v) -> Value {
          return arith::MaximumFOp::create(b, l, acc, v[0]);
        });
    Value shifted =
        elementwise(rewriter, loc, {x, max}, type,
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      return arith::SubFOp::create(b, l, args[0], args[1]);
                    });
    Value exps =
        elementwise(rewriter, loc, shifted, type,
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      return math::ExpOp::create(b, l, args[0]);
                    });
    Value sum = reduceOver(
        rewriter, loc, exps, axis, /*keepDims=*/true, 0.0,
        [](OpBuilder &b, Location l, Value acc, ValueRange v) -> Value {
          return arith::AddFOp::create(b, l, acc, v[0]);
        });
    Value result =
        isLog ? elementwise(
                    rewriter, loc, {shifted, sum}, type,
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      Value lg = math::LogOp::create(b, l, args[1]);
                      return arith::SubFOp::create(b, l, args[0], lg);
                    })
              : elementwise(
                    rewriter, loc, {exps, sum}, type,
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      return arith::DivFOp::create(b, l, args[0], args[1]);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateLowerNNPatterns(RewritePatternSet &patterns) {
  patterns.add<
      Conv2dLowering, ConvTransposeLowering<ConvTranspose2dOp, Conv2dOp>,
      ConvTransposeLowering<ConvTranspose3dOp, Conv3dOp>, BatchNormLowering,
      LayerNormLowering, GroupNormLowering, MaxPool2dLowering,
      MaxPoolIndicesLowering, AvgPool2dLowering, AdaptiveAvgPool2dLowering,
      Conv3dLowering, Pool3dLowering<MaxPool3dOp, true>,
      Pool3dLowering<AvgPool3dOp, false>, SoftmaxLowering<SoftmaxOp, false>,
      SoftmaxLowering<LogSoftmaxOp, true>>(patterns.getContext());
}

} // namespace lathe
