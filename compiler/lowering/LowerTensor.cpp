// Lowering of the tensor family: shapes, slicing, gathers, constants.
#include "compiler/lowering/LoweringUtils.h"
#include "compiler/lowering/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;

namespace lathe {
namespace {

/// reshape(x) => expand_shape(collapse_shape(x)) through rank 1.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       reshapeTensor(rewriter, op.getLoc(), adaptor.getInput(),
                                     op.getType().getShape()));
    return success();
  }
};

/// transpose(x) => linalg.transpose(x).
struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = emptyTensor(rewriter, op.getLoc(), type.getShape(),
                             type.getElementType());
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, op.getPerm());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

/// The input coordinate read for output coordinate |d| (padded by |low|
/// in front of |n| elements) under a non-constant pad |mode|.
Value sourceIndex(OpBuilder &b, Location l, int64_t d, int64_t low, int64_t n,
                  PadMode mode) {
  Value i = arith::SubIOp::create(b, l, linalg::IndexOp::create(b, l, d),
                                  arith::ConstantIndexOp::create(b, l, low));
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value last = arith::ConstantIndexOp::create(b, l, n - 1);
  using P = arith::CmpIPredicate;
  switch (mode) {
  case PadMode::edge:
    return arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, i, last),
                                  zero);
  case PadMode::wrap: {
    Value size = arith::ConstantIndexOp::create(b, l, n);
    Value r = arith::RemSIOp::create(b, l, i, size);
    return arith::SelectOp::create(b, l,
                                   arith::CmpIOp::create(b, l, P::slt, r, zero),
                                   arith::AddIOp::create(b, l, r, size), r);
  }
  default: {
    // reflect: -i below the start, 2 (n - 1) - i past the end.
    Value neg = arith::SubIOp::create(b, l, zero, i);
    Value below = arith::CmpIOp::create(b, l, P::slt, i, zero);
    Value j = arith::SelectOp::create(b, l, below, neg, i);
    Value twice = arith::ConstantIndexOp::create(b, l, 2 * (n - 1));
    Value above = arith::CmpIOp::create(b, l, P::sgt, j, last);
    return arith::SelectOp::create(b, l, above,
                                   arith::SubIOp::create(b, l, twice, j), j);
  }
  }
}

/// pad(x) => tensor.pad(x) with the constant value; reflect / edge / wrap
/// => generic over the result { x[map(i - low)] } with each coordinate
/// mirrored, clamped or wrapped into range.
struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> pads = op.getPads();
    size_t rank = pads.size() / 2;
    PadMode mode = op.getMode();
    if (mode != PadMode::constant) {
      Value x = signlessView(rewriter, op.getLoc(), adaptor.getInput());
      auto xType = cast<RankedTensorType>(x.getType());
      auto type = cast<RankedTensorType>(op.getType());
      Value result = elementwise(
          rewriter, op.getLoc(), ValueRange{}, type,
          [&](OpBuilder &b, Location l, ValueRange) -> Value {
            SmallVector<Value> coords;
            for (size_t d = 0; d < rank; ++d)
              coords.push_back(
                  sourceIndex(b, l, d, pads[d], xType.getDimSize(d), mode));
            return tensor::ExtractOp::create(b, l, x, coords).getResult();
          });
      rewriter.replaceOp(op, result);
      return success();
    }
    rewriter.replaceOp(op,
                       padTensor(rewriter, op.getLoc(), adaptor.getInput(),
                                 pads.take_front(rank), pads.drop_front(rank),
                                 op.getValue().convertToDouble()));
    return success();
  }
};

/// concat(a, b) => insert_slice(b, insert_slice(a, empty)) at running offsets
/// (a producer may then write its slice in place); a long concat is one
/// tensor.concat instead, whose bufferization copies each input, since
/// bufferization's analysis of a chain of insert_slices grows faster than
/// its length (100 inputs took 4 s to compile, 250 took two minutes).
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  static constexpr size_t kMaxChain = 16;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis(), rank = type.getRank();
    if (adaptor.getInputs().size() > kMaxChain) {
      rewriter.replaceOpWithNewOp<tensor::ConcatOp>(op, type, axis,
                                                    adaptor.getInputs());
      return success();
    }
    Value result =
        emptyTensor(rewriter, loc, type.getShape(), type.getElementType());
    int64_t offset = 0;
    for (Value in : adaptor.getInputs()) {
      auto inType = cast<RankedTensorType>(in.getType());
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[axis] = offset;
      result = tensor::InsertSliceOp::create(
          rewriter, loc, in, result, ValueRange{}, ValueRange{}, ValueRange{},
          offsets, inType.getShape(), strides);
      offset += inType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// slice(x) => tensor.extract_slice(x) with static offsets, sizes, strides.
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, adaptor.getInput(), ValueRange{}, ValueRange{}, ValueRange{},
        op.getStarts(), op.getSizes(), op.getSteps());
    return success();
  }
};

/// expand(x) => generic with a broadcasting read of x.
struct ExpandLowering : OpConversionPattern<ExpandOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(
        op, elementwise(rewriter, op.getLoc(), adaptor.getInput(), type,
                        [](OpBuilder &, Location, ValueRange args) {
                          return args[0];
                        }));
    return success();
  }
};

/// gather(x, idx) => generic over the result { x[a..., clamp(idx[i...]),
/// b...] } reading x with tensor.extract.
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    Value x = adaptor.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t axis = op.getAxis(), outRank = type.getRank();
    int64_t idxRank = op.getIndices().getType().getRank();
    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < idxRank; ++d)
      idxExprs.push_back(getAffineDimExpr(axis + d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(outRank, 0, idxExprs, ctx),
        AffineMap::getMultiDimIdentityMap(outRank, ctx)};
    SmallVector<utils::IteratorType> iterators(outRank,
                                               utils::IteratorType::parallel);
    Value init =
        emptyTensor(rewriter, loc, type.getShape(), type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{adaptor.getIndices()}, init, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(clampedIndex(b, l, args[0], xType.getDimSize(axis)));
          for (int64_t d = axis + 1; d < xType.getRank(); ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d - 1 + idxRank));
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, x, coords).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// gather_elements(x, idx) => generic over idx { x[i..., clamp(idx[i...]),
/// k...] }.
struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value x = adaptor.getInput();
    int64_t axis = op.getAxis(), rank = type.getRank();
    int64_t n = cast<RankedTensorType>(x.getType()).getDimSize(axis);
    rewriter.replaceOp(
        op, elementwise(
                rewriter, op.getLoc(), adaptor.getIndices(), type,
                [&](OpBuilder &b, Location l, ValueRange args) {
                  SmallVector<Value> coords;
                  for (int64_t d = 0; d < rank; ++d)
                    coords.push_back(
                        d == axis
                            ? clampedIndex(b, l, args[0], n)
                            : linalg::IndexOp::create(b, l, d).getResult());
                  return tensor::ExtractOp::create(b, l, x, coords).getResult();
                }));
    return success();
  }
};

/// flip(x) => generic reading x through the map (.., n - 1 - d, ..).
struct FlipLowering : OpConversionPattern<FlipOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(FlipOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d) {
      AffineExpr e = getAffineDimExpr(d, ctx);
      exprs.push_back(llvm::is_contained(op.getDims(), d)
                          ? getAffineConstantExpr(type.getDimSize(d) - 1, ctx) -
                                e
                          : e);
    }
    Value init = emptyTensor(rewriter, op.getLoc(), type.getShape(),
                             type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), type, adaptor.getInput(), init,
        ArrayRef<AffineMap>{AffineMap::get(rank, 0, exprs, ctx),
                            AffineMap::getMultiDimIdentityMap(rank, ctx)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// |old| combined with |update| by a scatter's |reduction|.
Value scatterCombine(OpBuilder &b, Location l, ScatterReduction reduction,
                     Value old, Value update) {
  bool isInt = isa<IntegerType>(old.getType());
  switch (reduction) {
  case ScatterReduction::add:
    return isInt ? arith::AddIOp::create(b, l, old, update).getResult()
                 : arith::AddFOp::create(b, l, old, update).getResult();
  case ScatterReduction::mul:
    return isInt ? arith::MulIOp::create(b, l, old, update).getResult()
                 : arith::MulFOp::create(b, l, old, update).getResult();
  case ScatterReduction::max:
    return maxElements(b, l, old, update, /*isUnsigned=*/false);
  case ScatterReduction::min:
    return minElements(b, l, old, update, /*isUnsigned=*/false);
  case ScatterReduction::none:
    break;
  }
  return update;
}

/// Row-major coordinates of linear position |i| in |shape|.
SmallVector<Value> delinearize(OpBuilder &b, Location l, Value i,
                               ArrayRef<int64_t> shape) {
  SmallVector<Value> coords(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    Value size = arith::ConstantIndexOp::create(b, l, shape[d]);
    coords[d] = arith::RemUIOp::create(b, l, i, size);
    i = arith::DivUIOp::create(b, l, i, size);
  }
  return coords;
}

/// scatter(x, ...) => scf.for over the updates in row-major order carrying
/// the result tensor: y[target(p)] = combine(y[target(p)], u[p]).
template <typename SourceOp>
struct ScatterLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), idx = adaptor.getIndices(),
          upd = adaptor.getUpdates();
    auto xType = cast<RankedTensorType>(x.getType());
    auto uType = cast<RankedTensorType>(upd.getType());
    ArrayRef<int64_t> uShape = uType.getShape();
    ScatterReduction reduction = op.getReduction();
    Value lo = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value hi =
        arith::ConstantIndexOp::create(rewriter, loc, uType.getNumElements());
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, lo, hi, one, ValueRange{x},
        [&](OpBuilder &b, Location l, Value i, ValueRange carried) {
          SmallVector<Value> p = delinearize(b, l, i, uShape);
          SmallVector<Value> target;
          if constexpr (std::is_same_v<SourceOp, ScatterElementsOp>) {
            int64_t axis = op.getAxis();
            target = p;
            target[axis] =
                clampedIndex(b, l, tensor::ExtractOp::create(b, l, idx, p),
                             xType.getDimSize(axis));
          } else {
            auto iType = cast<RankedTensorType>(idx.getType());
            int64_t batch = iType.getRank() - 1, k = iType.getShape().back();
            SmallVector<Value> at(p.begin(), p.begin() + batch);
            at.push_back(Value());
            for (int64_t j = 0; j < k; ++j) {
              at.back() = arith::ConstantIndexOp::create(b, l, j);
              target.push_back(
                  clampedIndex(b, l, tensor::ExtractOp::create(b, l, idx, at),
                               xType.getDimSize(j)));
            }
            target.append(p.begin() + batch, p.end());
          }
          Value u = tensor::ExtractOp::create(b, l, upd, p);
          Value y = carried[0];
          if (reduction != ScatterReduction::none)
            u = scatterCombine(b, l, reduction,
                               tensor::ExtractOp::create(b, l, y, target), u);
          scf::YieldOp::create(
              b, l, tensor::InsertOp::create(b, l, u, y, target).getResult());
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// SplitMix64 of counter |c| under |seed|: a counter-based generator (each
/// value depends on (seed, c) only).
Value splitMix64(OpBuilder &b, Location l, Value c, uint64_t seed) {
  auto k = [&](uint64_t v) -> Value {
    return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(int64_t(v)));
  };
  auto mix = [&](Value z, unsigned shift, uint64_t mul) -> Value {
    Value x = arith::XOrIOp::create(b, l, z,
                                    arith::ShRUIOp::create(b, l, z, k(shift)));
    return mul ? arith::MulIOp::create(b, l, x, k(mul)).getResult() : x;
  };
  Value one = k(1);
  Value z = arith::AddIOp::create(
      b, l, k(seed),
      arith::MulIOp::create(b, l, arith::AddIOp::create(b, l, c, one),
                            k(0x9E3779B97F4A7C15ull)));
  z = mix(z, 30, 0xBF58476D1CE4E5B9ull);
  z = mix(z, 27, 0x94D049BB133111EBull);
  return mix(z, 31, 0);
}

/// A uniform f64 in [0, 1) from |bits| random bits of counter |c|.
Value uniform01(OpBuilder &b, Location l, Value c, uint64_t seed, int bits) {
  Value z = splitMix64(b, l, c, seed);
  Value top = arith::ShRUIOp::create(
      b, l, z, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(64 - bits)));
  Value f = arith::UIToFPOp::create(b, l, b.getF64Type(), top);
  return arith::MulFOp::create(
      b, l, f, floatConstant(b, l, b.getF64Type(), std::ldexp(1.0, -bits)));
}

/// random() => generic over the result { transform(splitmix64(seed,
/// offset + linear index)) }.
struct RandomLowering : OpConversionPattern<RandomOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RandomOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elt = type.getElementType();
    int64_t rank = type.getRank();
    // The seed is mixed once at compile time so nearby seeds diverge.
    uint64_t seed = uint64_t(op.getSeed()) * 0xD1B54A32D192ED03ull + 1;
    int bits = elt.isF64() ? 53 : 24;
    double a = op.getA().convertToDouble(),
           bParam = op.getB().convertToDouble();
    bool normal = op.getDistribution() == Distribution::normal;
    Value offset;
    if (Value o = adaptor.getOffset()) {
      SmallVector<Value> zeros(
          cast<RankedTensorType>(o.getType()).getRank(),
          arith::ConstantIndexOp::create(rewriter, loc, 0));
      offset = tensor::ExtractOp::create(rewriter, loc, o, zeros);
    }
    Value result = elementwise(
        rewriter, loc, ValueRange{}, type,
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value linear = arith::ConstantIndexOp::create(b, l, 0);
          for (int64_t d = 0; d < rank; ++d)
            linear = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(
                    b, l, linear,
                    arith::ConstantIndexOp::create(b, l, type.getDimSize(d))),
                linalg::IndexOp::create(b, l, d));
          Value c = arith::IndexCastOp::create(b, l, b.getI64Type(), linear);
          if (offset)
            c = arith::AddIOp::create(b, l, c, offset);
          Type f64 = b.getF64Type();
          Value v;
          if (!normal) {
            v = arith::AddFOp::create(
                b, l,
                arith::MulFOp::create(b, l, uniform01(b, l, c, seed, bits),
                                      floatConstant(b, l, f64, bParam - a)),
                floatConstant(b, l, f64, a));
          } else {
            Value two = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(2));
            Value c0 = arith::MulIOp::create(b, l, c, two);
            Value c1 = arith::AddIOp::create(
                b, l, c0,
                arith::ConstantOp::create(b, l, b.getI64IntegerAttr(1)));
            // sqrt(-2 ln(1 - u1)) cos(2 pi u2): 1 - u1 lies in (0, 1].
            Value u1 = uniform01(b, l, c0, seed, 53);
            Value u2 = uniform01(b, l, c1, seed, 53);
            Value r = math::SqrtOp::create(
                b, l,
                arith::MulFOp::create(
                    b, l, floatConstant(b, l, f64, -2.0),
                    math::LogOp::create(
                        b, l,
                        arith::SubFOp::create(
                            b, l, floatConstant(b, l, f64, 1.0), u1))));
            Value angle = arith::MulFOp::create(
                b, l, u2, floatConstant(b, l, f64, 6.283185307179586));
            Value z = arith::MulFOp::create(b, l, r,
                                            math::CosOp::create(b, l, angle));
            v = arith::AddFOp::create(
                b, l,
                arith::MulFOp::create(b, l, z,
                                      floatConstant(b, l, f64, bParam)),
                floatConstant(b, l, f64, a));
          }
          if (elt != f64)
            v = arith::TruncFOp::create(b, l, elt, v);
          return v;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// gather_nd(x, idx) => generic over the result { x[b.., clamp(idx[b.., q..,
/// 0..k-1]), r..] }.
struct GatherNdLowering : OpConversionPattern<GatherNdOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherNdOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value x = adaptor.getInput(), idx = adaptor.getIndices();
    auto xType = cast<RankedTensorType>(x.getType());
    auto iType = cast<RankedTensorType>(idx.getType());
    int64_t batch = op.getBatchDims(), k = iType.getShape().back();
    int64_t lead = iType.getRank() - 1; // result dims read from the indices
    int64_t rank = type.getRank();
    Value result = elementwise(
        rewriter, op.getLoc(), ValueRange{}, type,
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          SmallVector<Value> at, coords;
          for (int64_t d = 0; d < lead; ++d)
            at.push_back(linalg::IndexOp::create(b, l, d));
          for (int64_t d = 0; d < batch; ++d)
            coords.push_back(at[d]);
          at.push_back(Value());
          for (int64_t j = 0; j < k; ++j) {
            at.back() = arith::ConstantIndexOp::create(b, l, j);
            coords.push_back(
                clampedIndex(b, l, tensor::ExtractOp::create(b, l, idx, at),
                             xType.getDimSize(batch + j)));
          }
          for (int64_t d = lead; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          return tensor::ExtractOp::create(b, l, x, coords).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// top_k(x) => rank[i] = #{j : x[j] before x[i]} (a reduction over j; before
/// = larger, or equal at a smaller index), then out[r] = the element of rank
/// r (a reduction over i selecting it).
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto xType = cast<RankedTensorType>(adaptor.getInput().getType());
    bool isUns = isUnsigned(xType);
    Value x = signlessView(rewriter, loc, adaptor.getInput());
    auto vType = cast<RankedTensorType>(op.getValues().getType());
    auto iType = cast<RankedTensorType>(op.getIndices().getType());
    int64_t rank = xType.getRank(), axis = op.getAxis();
    bool largest = op.getLargest();
    Type i64 = rewriter.getI64Type();
    // Loops (dims..., j): x read at i (= the axis dim) and at j.
    auto withAxis = [&](unsigned loops, unsigned axisDim) {
      SmallVector<AffineExpr> e;
      for (int64_t d = 0; d < rank; ++d)
        e.push_back(getAffineDimExpr(d == axis ? axisDim : d, ctx));
      return AffineMap::get(loops, 0, e, ctx);
    };
    SmallVector<utils::IteratorType> iters(rank + 1,
                                           utils::IteratorType::parallel);
    iters.back() = utils::IteratorType::reduction;
    auto identity =
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank);
    Value zero64 = filledTensor(rewriter, loc, xType.getShape(), i64, 0.0);
    auto ranksType = RankedTensorType::get(xType.getShape(), i64);
    Value ranks =
        linalg::GenericOp::create(
            rewriter, loc, ranksType, ValueRange{x, x}, zero64,
            ArrayRef<AffineMap>{withAxis(rank + 1, axis),
                                withAxis(rank + 1, rank), identity},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value xi = args[0], xj = args[1];
              Value ahead = compareElements(
                  b, l, largest ? Compare::Greater : Compare::Less, xj, xi,
                  isUns);
              Value tie = compareElements(b, l, Compare::Equal, xj, xi, isUns);
              Value earlier =
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                        linalg::IndexOp::create(b, l, rank),
                                        linalg::IndexOp::create(b, l, axis));
              Value before = arith::OrIOp::create(
                  b, l, ahead, arith::AndIOp::create(b, l, tie, earlier));
              Value one = arith::ExtUIOp::create(b, l, b.getI64Type(), before);
              linalg::YieldOp::create(
                  b, l, arith::AddIOp::create(b, l, args[2], one).getResult());
            })
            .getResult(0);
    // Loops (dims with the axis as r..., i): pick the element of rank r.
    Value vInit = signlessView(rewriter, loc,
                               filledTensor(rewriter, loc, vType.getShape(),
                                            vType.getElementType(), 0.0));
    Value iInit = filledTensor(rewriter, loc, iType.getShape(), i64, 0.0);
    auto outMap =
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank);
    auto pick = linalg::GenericOp::create(
        rewriter, loc, TypeRange{vInit.getType(), iType}, ValueRange{x, ranks},
        ValueRange{vInit, iInit},
        ArrayRef<AffineMap>{withAxis(rank + 1, rank), withAxis(rank + 1, rank),
                            outMap, outMap},
        iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value r = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[1], r);
          Value i = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, hit, args[0], args[2]),
                         arith::SelectOp::create(b, l, hit, i, args[3])});
        });
    rewriter.replaceOp(op, {typedView(rewriter, loc, pick.getResult(0), vType),
                            pick.getResult(1)});
    return success();
  }
};

/// constant => arith.constant.
struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

/// dropout (inference) => the input, and an all-true mask.
struct DropoutLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto maskType = cast<RankedTensorType>(op.getMask().getType());
    Value keep = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        DenseElementsAttr::get(maskType, rewriter.getBoolAttr(true)));
    rewriter.replaceOp(op, {adaptor.getInput(), keep});
    return success();
  }
};

} // namespace

void populateLowerTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, PadLowering, ConcatLowering,
               SliceLowering, ExpandLowering, GatherLowering,
               GatherElementsLowering, FlipLowering,
               ScatterLowering<ScatterElementsOp>, ScatterLowering<ScatterNdOp>,
               RandomLowering, GatherNdLowering, TopKLowering, ConstantLowering,
               DropoutLowering>(patterns.getContext());
}

} // namespace lathe
