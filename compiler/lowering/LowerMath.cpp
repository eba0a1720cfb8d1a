// Lowering of the math family: element-wise ops, gemm and matmul.
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

/// relu(x) => generic { max(x, 0) }, and the other unary ops alike.
template <typename SourceOp>
struct UnaryLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  static Value scalar(OpBuilder &b, Location loc, Value x, SourceOp op);

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result =
        elementwise(rewriter, op.getLoc(), adaptor.getInput(), type,
                    [&](OpBuilder &b, Location loc, ValueRange args) {
                      return scalar(b, loc, args[0], op);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Integer scalars take the integer branch of the ops that accept them.
bool isInt(Value x) { return isa<IntegerType>(x.getType()); }
Value zeroOf(OpBuilder &b, Location loc, Value like) {
  return arith::ConstantOp::create(b, loc, b.getZeroAttr(like.getType()));
}

template <>
Value UnaryLowering<ReluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    ReluOp) {
  if (isInt(x))
    return arith::MaxSIOp::create(b, loc, x, zeroOf(b, loc, x));
  return arith::MaximumFOp::create(b, loc, x,
                                   floatConstant(b, loc, x.getType(), 0.0));
}
template <>
Value UnaryLowering<SigmoidOp>::scalar(OpBuilder &b, Location loc, Value x,
                                       SigmoidOp) {
  Value one = floatConstant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}
template <>
Value UnaryLowering<TanhOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    TanhOp) {
  return math::TanhOp::create(b, loc, x);
}
template <>
Value UnaryLowering<ExpOp>::scalar(OpBuilder &b, Location loc, Value x, ExpOp) {
  return math::ExpOp::create(b, loc, x);
}
template <>
Value UnaryLowering<LogOp>::scalar(OpBuilder &b, Location loc, Value x, LogOp) {
  return math::LogOp::create(b, loc, x);
}
template <>
Value UnaryLowering<SqrtOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    SqrtOp) {
  return math::SqrtOp::create(b, loc, x);
}
template <>
Value UnaryLowering<NegOp>::scalar(OpBuilder &b, Location loc, Value x, NegOp) {
  if (isInt(x))
    return arith::SubIOp::create(b, loc, zeroOf(b, loc, x), x);
  return arith::NegFOp::create(b, loc, x);
}
template <>
Value UnaryLowering<AbsOp>::scalar(OpBuilder &b, Location loc, Value x,
                                   AbsOp op) {
  if (isUnsigned(op.getType()))
    return x;
  if (isInt(x))
    return math::AbsIOp::create(b, loc, x);
  return math::AbsFOp::create(b, loc, x);
}

/// Scalar helpers for the activation bodies below.
Value fconst(OpBuilder &b, Location loc, Value like, double v) {
  return floatConstant(b, loc, like.getType(), v);
}
Value fcmp(OpBuilder &b, Location loc, arith::CmpFPredicate p, Value x,
           Value y) {
  return arith::CmpFOp::create(b, loc, p, x, y);
}
Value select(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
/// exp(x) - 1.
Value expm1(OpBuilder &b, Location loc, Value x) {
  return math::ExpM1Op::create(b, loc, x);
}

#define LATHE_MATH_UNARY(OP, MATHOP)                                           \
  template <>                                                                  \
  Value UnaryLowering<OP>::scalar(OpBuilder &b, Location loc, Value x, OP) {   \
    return MATHOP::create(b, loc, x);                                          \
  }
LATHE_MATH_UNARY(FloorOp, math::FloorOp)
LATHE_MATH_UNARY(CeilOp, math::CeilOp)
LATHE_MATH_UNARY(RoundOp, math::RoundEvenOp)
LATHE_MATH_UNARY(ErfOp, math::ErfOp)
LATHE_MATH_UNARY(SinOp, math::SinOp)
LATHE_MATH_UNARY(CosOp, math::CosOp)
LATHE_MATH_UNARY(TanOp, math::TanOp)
LATHE_MATH_UNARY(AsinOp, math::AsinOp)
LATHE_MATH_UNARY(AcosOp, math::AcosOp)
LATHE_MATH_UNARY(AtanOp, math::AtanOp)
LATHE_MATH_UNARY(SinhOp, math::SinhOp)
LATHE_MATH_UNARY(CoshOp, math::CoshOp)
LATHE_MATH_UNARY(AsinhOp, math::AsinhOp)
LATHE_MATH_UNARY(AcoshOp, math::AcoshOp)
LATHE_MATH_UNARY(AtanhOp, math::AtanhOp)
#undef LATHE_MATH_UNARY

template <>
Value UnaryLowering<ReciprocalOp>::scalar(OpBuilder &b, Location loc, Value x,
                                          ReciprocalOp) {
  return arith::DivFOp::create(b, loc, fconst(b, loc, x, 1.0), x);
}
template <>
Value UnaryLowering<SignOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    SignOp op) {
  if (isInt(x)) {
    Value zero = zeroOf(b, loc, x);
    Value one =
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(x.getType(), 1));
    Value minusOne =
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(x.getType(), -1));
    bool isUns = isUnsigned(op.getType());
    Value pos = select(
        b, loc, compareElements(b, loc, Compare::Greater, x, zero, isUns), one,
        zero);
    if (isUns)
      return pos;
    return select(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero),
        minusOne, pos);
  }
  // NaN stays NaN; +-0 gives 0.
  Value zero = fconst(b, loc, x, 0.0);
  Value pos = select(b, loc, fcmp(b, loc, arith::CmpFPredicate::OGT, x, zero),
                     fconst(b, loc, x, 1.0), zero);
  Value sign = select(b, loc, fcmp(b, loc, arith::CmpFPredicate::OLT, x, zero),
                      fconst(b, loc, x, -1.0), pos);
  return select(b, loc, fcmp(b, loc, arith::CmpFPredicate::UNO, x, x), x, sign);
}
template <>
Value UnaryLowering<SoftplusOp>::scalar(OpBuilder &b, Location loc, Value x,
                                        SoftplusOp) {
  // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), without overflow.
  Value relu = arith::MaximumFOp::create(b, loc, x, fconst(b, loc, x, 0.0));
  Value e = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x)));
  return arith::AddFOp::create(b, loc, relu, math::Log1pOp::create(b, loc, e));
}
template <>
Value UnaryLowering<SoftsignOp>::scalar(OpBuilder &b, Location loc, Value x,
                                        SoftsignOp) {
  Value den = arith::AddFOp::create(b, loc, fconst(b, loc, x, 1.0),
                                    math::AbsFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, x, den);
}
/// max(0, min(1, alpha * x + beta)).
Value hardSigmoid(OpBuilder &b, Location loc, Value x, double alpha,
                  double beta) {
  Value lin = arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, fconst(b, loc, x, alpha)),
      fconst(b, loc, x, beta));
  Value hi = arith::MinimumFOp::create(b, loc, lin, fconst(b, loc, x, 1.0));
  return arith::MaximumFOp::create(b, loc, hi, fconst(b, loc, x, 0.0));
}
template <>
Value UnaryLowering<HardSwishOp>::scalar(OpBuilder &b, Location loc, Value x,
                                         HardSwishOp) {
  return arith::MulFOp::create(b, loc, x,
                               hardSigmoid(b, loc, x, 1.0 / 6.0, 0.5));
}
template <>
Value UnaryLowering<HardSigmoidOp>::scalar(OpBuilder &b, Location loc, Value x,
                                           HardSigmoidOp op) {
  return hardSigmoid(b, loc, x, op.getAlpha().convertToDouble(),
                     op.getBeta().convertToDouble());
}
/// x > 0 ? x : alpha * (exp(x) - 1).
Value elu(OpBuilder &b, Location loc, Value x, double alpha) {
  Value neg =
      arith::MulFOp::create(b, loc, fconst(b, loc, x, alpha), expm1(b, loc, x));
  return select(
      b, loc,
      fcmp(b, loc, arith::CmpFPredicate::OGT, x, fconst(b, loc, x, 0.0)), x,
      neg);
}
template <>
Value UnaryLowering<EluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                   EluOp op) {
  return elu(b, loc, x, op.getAlpha().convertToDouble());
}
template <>
Value UnaryLowering<SeluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    SeluOp op) {
  return arith::MulFOp::create(
      b, loc, fconst(b, loc, x, op.getGamma().convertToDouble()),
      elu(b, loc, x, op.getAlpha().convertToDouble()));
}
template <>
Value UnaryLowering<CeluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    CeluOp op) {
  double alpha = op.getAlpha().convertToDouble();
  Value zero = fconst(b, loc, x, 0.0);
  Value scaled = arith::DivFOp::create(b, loc, x, fconst(b, loc, x, alpha));
  Value neg = arith::MulFOp::create(b, loc, fconst(b, loc, x, alpha),
                                    expm1(b, loc, scaled));
  return arith::AddFOp::create(b, loc,
                               arith::MaximumFOp::create(b, loc, x, zero),
                               arith::MinimumFOp::create(b, loc, neg, zero));
}
template <>
Value UnaryLowering<LeakyReluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                         LeakyReluOp op) {
  Value scaled = arith::MulFOp::create(
      b, loc, x, fconst(b, loc, x, op.getAlpha().convertToDouble()));
  return select(
      b, loc,
      fcmp(b, loc, arith::CmpFPredicate::OGE, x, fconst(b, loc, x, 0.0)), x,
      scaled);
}
template <>
Value UnaryLowering<ThresholdedReluOp>::scalar(OpBuilder &b, Location loc,
                                               Value x, ThresholdedReluOp op) {
  Value alpha = fconst(b, loc, x, op.getAlpha().convertToDouble());
  return select(b, loc, fcmp(b, loc, arith::CmpFPredicate::OGT, x, alpha), x,
                fconst(b, loc, x, 0.0));
}
template <>
Value UnaryLowering<ShrinkOp>::scalar(OpBuilder &b, Location loc, Value x,
                                      ShrinkOp op) {
  double lambd = op.getLambd().convertToDouble();
  Value bias = fconst(b, loc, x, op.getBias().convertToDouble());
  Value below =
      fcmp(b, loc, arith::CmpFPredicate::OLT, x, fconst(b, loc, x, -lambd));
  Value above =
      fcmp(b, loc, arith::CmpFPredicate::OGT, x, fconst(b, loc, x, lambd));
  Value hi = select(b, loc, above, arith::SubFOp::create(b, loc, x, bias),
                    fconst(b, loc, x, 0.0));
  return select(b, loc, below, arith::AddFOp::create(b, loc, x, bias), hi);
}
template <>
Value UnaryLowering<ClipOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    ClipOp op) {
  Value y = x;
  if (isInt(x)) {
    // Bounds are stored as f64; integer bounds round-trip exactly to 2^53.
    auto bound = [&](FloatAttr a) -> Value {
      return arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(x.getType(), int64_t(a.getValueAsDouble())));
    };
    bool isUns = isUnsigned(op.getType());
    if (auto lo = op.getMinAttr())
      y = maxElements(b, loc, y, bound(lo), isUns);
    if (auto hi = op.getMaxAttr())
      y = minElements(b, loc, y, bound(hi), isUns);
    return y;
  }
  // max/min that keep a NaN input NaN.
  if (auto lo = op.getMinAttr())
    y = arith::MaximumFOp::create(b, loc, y,
                                  fconst(b, loc, x, lo.getValueAsDouble()));
  if (auto hi = op.getMaxAttr())
    y = arith::MinimumFOp::create(b, loc, y,
                                  fconst(b, loc, x, hi.getValueAsDouble()));
  return y;
}

template <>
Value UnaryLowering<GeluOp>::scalar(OpBuilder &b, Location loc, Value x,
                                    GeluOp op) {
  Value half = fconst(b, loc, x, 0.5), one = fconst(b, loc, x, 1.0);
  Value inner;
  if (op.getTanh()) {
    // tanh(sqrt(2 / pi) * (x + 0.044715 x^3))
    Value x3 =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value poly = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, x3, fconst(b, loc, x, 0.044715)));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, poly,
                              fconst(b, loc, x, 0.7978845608028654)));
  } else {
    inner = math::ErfOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, x,
                              fconst(b, loc, x, 0.7071067811865476)));
  }
  return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x),
                               arith::AddFOp::create(b, loc, one, inner));
}

/// cumsum(x) along axis => generic over (dims..., j) reducing j { acc +
/// (j <= i ? x[.., j, ..] : 0) } (< exclusive, >= / > reverse): quadratic in
/// the axis length, parallel over everything.
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank(), axis = op.getAxis();
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < rank; ++d)
      inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, inExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank + 1,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    Value init = signlessView(rewriter, loc,
                              filledTensor(rewriter, loc, type.getShape(),
                                           type.getElementType(), 0.0));
    using P = arith::CmpIPredicate;
    P pred = op.getReverse() ? (op.getExclusive() ? P::sgt : P::sge)
                             : (op.getExclusive() ? P::slt : P::sle);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, init.getType(),
        signlessView(rewriter, loc, adaptor.getInput()), init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, rank);
          Value keep = arith::CmpIOp::create(b, l, pred, j, i);
          Value v = select(b, l, keep, args[0], zeroOf(b, l, args[0]));
          Value sum = isInt(v)
                          ? arith::AddIOp::create(b, l, args[1], v).getResult()
                          : arith::AddFOp::create(b, l, args[1], v).getResult();
          linalg::YieldOp::create(b, l, sum);
        });
    rewriter.replaceOp(op,
                       typedView(rewriter, loc, generic.getResult(0), type));
    return success();
  }
};

/// one_hot(i, v) => generic over the result { wrap(i[..]) == k ? v[1] : v[0] }
/// with k the index along axis.
struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank(), axis = op.getAxis(), depth = op.getDepth();
    auto at = [&](int64_t i) -> Value {
      return tensor::ExtractOp::create(
          rewriter, loc, adaptor.getValues(),
          ValueRange{arith::ConstantIndexOp::create(rewriter, loc, i)});
    };
    Value off = at(0), on = at(1);
    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        idxExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, idxExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Value init =
        emptyTensor(rewriter, loc, type.getShape(), type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getIndices(), init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value wrapped = select(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero),
              arith::AddIOp::create(
                  b, l, i, arith::ConstantIndexOp::create(b, l, depth)),
              i);
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, wrapped,
                                    linalg::IndexOp::create(b, l, axis));
          linalg::YieldOp::create(b, l, select(b, l, hit, on, off));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// einsum(inputs) => one generic over (result letters..., summed letters...)
/// reading each input through its letters { acc + prod(inputs) }.
struct EinsumLowering : OpConversionPattern<EinsumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EinsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    EinsumTerms terms = *parseEinsum(op.getEquation());
    std::string order = terms.output;
    for (const std::string &t : terms.inputs)
      for (char c : t)
        if (order.find(c) == std::string::npos)
          order.push_back(c);
    unsigned loops = order.size();
    auto mapOf = [&](StringRef letters) {
      SmallVector<AffineExpr> e;
      for (char c : letters)
        e.push_back(getAffineDimExpr(order.find(c), ctx));
      return AffineMap::get(loops, 0, e, ctx);
    };
    SmallVector<AffineMap> maps;
    for (const std::string &t : terms.inputs)
      maps.push_back(mapOf(t));
    maps.push_back(mapOf(terms.output));
    SmallVector<utils::IteratorType> iterators(loops,
                                               utils::IteratorType::parallel);
    for (unsigned d = terms.output.size(); d < loops; ++d)
      iterators[d] = utils::IteratorType::reduction;
    Value init = filledTensor(rewriter, op.getLoc(), type.getShape(),
                              type.getElementType(), 0.0);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), type, adaptor.getInputs(), init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value p = args[0];
          for (Value v : args.drop_front().drop_back())
            p = isInt(p) ? arith::MulIOp::create(b, l, p, v).getResult()
                         : arith::MulFOp::create(b, l, p, v).getResult();
          Value acc = args.back();
          linalg::YieldOp::create(
              b, l,
              isInt(p) ? arith::AddIOp::create(b, l, acc, p).getResult()
                       : arith::AddFOp::create(b, l, acc, p).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// add(a, b) => generic with broadcasting maps { a + b }, and the other
/// binary ops alike; |FloatOp| on floats, |IntOp| on signed integers,
/// |UIntOp| on unsigned ones.
template <typename SourceOp, typename FloatOp, typename IntOp,
          typename UIntOp = IntOp>
struct BinaryLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool unsignedInt = isUnsigned(op.getLhs().getType());
    Value result = elementwise(
        rewriter, op.getLoc(), {adaptor.getLhs(), adaptor.getRhs()}, type,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (unsignedInt)
            return UIntOp::create(b, loc, args[0], args[1]);
          if (isInt(args[0]))
            return IntOp::create(b, loc, args[0], args[1]);
          return FloatOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// pow(a, b) => generic { powf(a, b) }; integers through f64 (exact while
/// the result fits its 53-bit mantissa).
struct PowLowering : OpConversionPattern<PowOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PowOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool unsignedInt = isUnsigned(type);
    Value result = elementwise(
        rewriter, op.getLoc(), {adaptor.getLhs(), adaptor.getRhs()}, type,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (!isInt(args[0]))
            return math::PowFOp::create(b, loc, args[0], args[1]);
          Type f64 = b.getF64Type();
          auto toFloat = [&](Value v) -> Value {
            if (unsignedInt)
              return arith::UIToFPOp::create(b, loc, f64, v);
            return arith::SIToFPOp::create(b, loc, f64, v);
          };
          Value p =
              math::PowFOp::create(b, loc, toFloat(args[0]), toFloat(args[1]));
          if (unsignedInt)
            return arith::FPToUIOp::create(b, loc, args[0].getType(), p);
          return arith::FPToSIOp::create(b, loc, args[0].getType(), p);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// mod(a, b) => generic { r = rem(a, b); unless fmod, r + b where r is
/// non-zero and its sign differs from b's }.
struct ModLowering : OpConversionPattern<ModOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ModOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool fmod = op.getFmod();
    bool unsignedInt = isUnsigned(type);
    Value result = elementwise(
        rewriter, op.getLoc(), {adaptor.getLhs(), adaptor.getRhs()}, type,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = args[0], y = args[1], zero = zeroOf(b, loc, x);
          // Unsigned values have no sign to fix: both remainders agree.
          if (unsignedInt)
            return arith::RemUIOp::create(b, loc, x, y);
          if (isInt(x)) {
            Value r = arith::RemSIOp::create(b, loc, x, y);
            if (fmod)
              return r;
            using P = arith::CmpIPredicate;
            Value nonZero = arith::CmpIOp::create(b, loc, P::ne, r, zero);
            Value differ = arith::XOrIOp::create(
                b, loc, arith::CmpIOp::create(b, loc, P::slt, r, zero),
                arith::CmpIOp::create(b, loc, P::slt, y, zero));
            Value fix = arith::AndIOp::create(b, loc, nonZero, differ);
            return select(b, loc, fix, arith::AddIOp::create(b, loc, r, y), r);
          }
          Value r = arith::RemFOp::create(b, loc, x, y);
          if (fmod)
            return r;
          using P = arith::CmpFPredicate;
          Value nonZero = fcmp(b, loc, P::ONE, r, zero);
          Value differ =
              arith::XOrIOp::create(b, loc, fcmp(b, loc, P::OLT, r, zero),
                                    fcmp(b, loc, P::OLT, y, zero));
          Value fix = arith::AndIOp::create(b, loc, nonZero, differ);
          return select(b, loc, fix, arith::AddFOp::create(b, loc, r, y), r);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// shift_left(a, b) => generic { b <u width ? a << b : 0 }; shift_right
/// alike with a logical shift on unsigned elements, and on signed ones an
/// arithmetic shift by min(b, width - 1) (amounts compared unsigned, so a
/// negative one is out of range too).
template <typename SourceOp, bool left>
struct ShiftLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool unsignedInt = isUnsigned(type);
    int64_t width = type.getElementTypeBitWidth();
    Value result = elementwise(
        rewriter, op.getLoc(), {adaptor.getLhs(), adaptor.getRhs()}, type,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = args[0], y = args[1];
          auto constant = [&](int64_t v) -> Value {
            return arith::ConstantOp::create(b, loc,
                                             b.getIntegerAttr(x.getType(), v));
          };
          Value inRange = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, y, constant(width));
          if (!left && !unsignedInt)
            return arith::ShRSIOp::create(
                b, loc, x, select(b, loc, inRange, y, constant(width - 1)));
          Value zero = zeroOf(b, loc, x);
          Value amount = select(b, loc, inRange, y, zero);
          Value shifted =
              left ? Value(arith::ShLIOp::create(b, loc, x, amount))
                   : Value(arith::ShRUIOp::create(b, loc, x, amount));
          return select(b, loc, inRange, shifted, zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// cast(x) => generic { ext / trunc / fp<->int / x != 0 } by the element
/// types; booleans and unsigned integers widen as unsigned (true is 1).
struct CastLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type from = op.getInput().getType().getElementType();
    Type to = type.getElementType();
    Value result =
        elementwise(rewriter, op.getLoc(), adaptor.getInput(), type,
                    [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                      return convertScalar(b, loc, args[0], from, to);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }

  /// |x| (a signless scalar of lathe type |from|) converted to |to|.
  static Value convertScalar(OpBuilder &b, Location loc, Value x, Type from,
                             Type to) {
    if (from == to)
      return x;
    bool fromUnsigned = from.isInteger(1) || from.isUnsignedInteger();
    Type toSignless = to;
    if (to.isUnsignedInteger())
      toSignless = b.getIntegerType(to.getIntOrFloatBitWidth());
    if (to.isInteger(1)) {
      if (isa<FloatType>(from))
        return fcmp(b, loc, arith::CmpFPredicate::UNE, x, zeroOf(b, loc, x));
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                   zeroOf(b, loc, x));
    }
    if (auto toFloat = dyn_cast<FloatType>(to)) {
      if (auto fromFloat = dyn_cast<FloatType>(from)) {
        // f16 <-> bf16: same width, different formats; through f32.
        if (fromFloat.getWidth() == toFloat.getWidth())
          return arith::TruncFOp::create(
              b, loc, to, arith::ExtFOp::create(b, loc, b.getF32Type(), x));
        if (fromFloat.getWidth() < toFloat.getWidth())
          return arith::ExtFOp::create(b, loc, to, x);
        return arith::TruncFOp::create(b, loc, to, x);
      }
      if (fromUnsigned)
        return arith::UIToFPOp::create(b, loc, to, x);
      return arith::SIToFPOp::create(b, loc, to, x);
    }
    if (isa<FloatType>(from)) {
      if (to.isUnsignedInteger())
        return arith::FPToUIOp::create(b, loc, toSignless, x);
      return arith::FPToSIOp::create(b, loc, toSignless, x);
    }
    unsigned fromWidth = from.getIntOrFloatBitWidth();
    unsigned toWidth = to.getIntOrFloatBitWidth();
    if (fromWidth == toWidth) // signed <-> unsigned: the same bits
      return x;
    if (fromWidth > toWidth)
      return arith::TruncIOp::create(b, loc, toSignless, x);
    if (fromUnsigned)
      return arith::ExtUIOp::create(b, loc, toSignless, x);
    return arith::ExtSIOp::create(b, loc, toSignless, x);
  }
};

/// equal(a, b) => generic { cmpf oeq / cmpi eq } with broadcasting; greater,
/// less and friends alike (ordered float predicates; signed or unsigned
/// integer ones by the operands' type, as compareElements picks them).
template <typename SourceOp, Compare how>
struct CompareLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    bool isUns = isUnsigned(op.getLhs().getType());
    Value result = elementwise(
        rewriter, op.getLoc(), {adaptor.getLhs(), adaptor.getRhs()}, type,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return compareElements(b, l, how, args[0], args[1], isUns);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// not(a) => generic { a xor true }.
struct NotLowering : OpConversionPattern<NotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(
        op, elementwise(rewriter, op.getLoc(), adaptor.getInput(), type,
                        [](OpBuilder &b, Location l, ValueRange args) -> Value {
                          Value one = arith::ConstantOp::create(
                              b, l, b.getBoolAttr(true));
                          return arith::XOrIOp::create(b, l, args[0], one);
                        }));
    return success();
  }
};

/// where(c, a, b) => generic { select(c, a, b) } with broadcasting.
struct WhereLowering : OpConversionPattern<WhereOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(
        op, elementwise(
                rewriter, op.getLoc(),
                {adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()},
                type, [](OpBuilder &b, Location l, ValueRange args) -> Value {
                  return arith::SelectOp::create(b, l, args[0], args[1],
                                                 args[2]);
                }));
    return success();
  }
};

/// prelu(x, slope) => generic { x >= 0 ? x : slope * x } with broadcasting.
struct PReluLowering : OpConversionPattern<PReluOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PReluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = elementwise(
        rewriter, op.getLoc(), {adaptor.getLhs(), adaptor.getRhs()}, type,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value x = args[0];
          Value scaled = arith::MulFOp::create(b, l, x, args[1]);
          return select(
              b, l,
              fcmp(b, l, arith::CmpFPredicate::OGE, x, fconst(b, l, x, 0.0)), x,
              scaled);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A contraction `out[batch, m, n] += lhs[..., m, k] * rhs[..., k, n]` (float
/// or integer) as one
/// linalg.generic over dims (batch..., m, n, k); the maps encode transposes,
/// broadcast batch dimensions and dropped vector dimensions.
Value contraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  AffineMap lhsMap, AffineMap rhsMap, AffineMap outMap,
                  RankedTensorType outType, unsigned numLoops) {
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  Value init =
      filledTensor(b, loc, outType.getShape(), outType.getElementType(), 0.0);
  auto generic = linalg::GenericOp::create(
      b, loc, outType, ValueRange{lhs, rhs}, init,
      ArrayRef<AffineMap>{lhsMap, rhsMap, outMap}, iterators,
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(
            nb, nloc, multiplyAdd(nb, nloc, args[2], args[0], args[1]));
      });
  return generic.getResult(0);
}

/// gemm(A, B, C) => contraction(op(A), op(B)) then { alpha * ab + beta * c }.
struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](AffineExpr a, AffineExpr b) {
      return AffineMap::get(3, 0, {a, b}, ctx);
    };
    Value ab =
        contraction(rewriter, loc, adaptor.getA(), adaptor.getB(),
                    op.getTransA() ? map(k, m) : map(m, k),
                    op.getTransB() ? map(n, k) : map(k, n), map(m, n), type, 3);
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value c = adaptor.getC();
    if (alpha == 1.0 && (!c || beta == 0.0)) {
      rewriter.replaceOp(op, ab);
      return success();
    }
    SmallVector<Value> inputs = {ab};
    if (c && beta != 0.0)
      inputs.push_back(c);
    Value result = elementwise(
        rewriter, loc, inputs, type,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Type t = args[0].getType();
          Value acc = args[0];
          if (alpha != 1.0)
            acc =
                arith::MulFOp::create(b, l, acc, floatConstant(b, l, t, alpha));
          if (args.size() == 1)
            return acc;
          Value cv = args[1];
          if (beta != 1.0)
            cv = arith::MulFOp::create(b, l, cv, floatConstant(b, l, t, beta));
          return arith::AddFOp::create(b, l, acc, cv);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// matmul(a, b) => contraction over (batch..., [m], [n], k) with NumPy
/// broadcasting of the batch dimensions.
struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> sa = op.getLhs().getType().getShape();
    ArrayRef<int64_t> sb = op.getRhs().getType().getShape();
    bool vecA = sa.size() == 1, vecB = sb.size() == 1;
    int64_t batchRank = type.getRank() - (vecA ? 0 : 1) - (vecB ? 0 : 1);
    ArrayRef<int64_t> batchShape = type.getShape().take_front(batchRank);
    // Loop order: batch..., m (unless vecA), n (unless vecB), k.
    unsigned numLoops = batchRank + (vecA ? 0 : 1) + (vecB ? 0 : 1) + 1;
    unsigned mDim = batchRank, nDim = batchRank + (vecA ? 0 : 1);
    AffineExpr k = getAffineDimExpr(numLoops - 1, ctx);
    auto batchExprs = [&](ArrayRef<int64_t> operandBatch) {
      AffineMap bm = broadcastMap(ctx, operandBatch, batchShape);
      return llvm::to_vector(bm.getResults());
    };
    SmallVector<AffineExpr> lhsExprs, rhsExprs, outExprs;
    if (!vecA) {
      lhsExprs = batchExprs(sa.drop_back(2));
      lhsExprs.push_back(getAffineDimExpr(mDim, ctx));
    }
    lhsExprs.push_back(k);
    if (!vecB) {
      rhsExprs = batchExprs(sb.drop_back(2));
      rhsExprs.push_back(k);
      rhsExprs.push_back(getAffineDimExpr(nDim, ctx));
    } else {
      rhsExprs.push_back(k);
    }
    for (unsigned i = 0; i + 1 < numLoops; ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    Value result =
        contraction(rewriter, op.getLoc(), adaptor.getLhs(), adaptor.getRhs(),
                    AffineMap::get(numLoops, 0, lhsExprs, ctx),
                    AffineMap::get(numLoops, 0, rhsExprs, ctx),
                    AffineMap::get(numLoops, 0, outExprs, ctx), type, numLoops);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// argmax(x) over axis => one generic with two accumulators, the best value
/// (init -inf, or +inf for argmin) and its index; a later element replaces
/// them when strictly better (or equal, with select_last_index).
template <typename SourceOp, bool isMax>
struct ArgReduceLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    bool isUns = isUnsigned(type);
    Value x = signlessView(rewriter, loc, adaptor.getInput());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis(), rank = type.getRank();
    bool last = op.getSelectLastIndex();
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d) {
      iterators.push_back(d == axis ? utils::IteratorType::reduction
                                    : utils::IteratorType::parallel);
      if (d != axis)
        outExprs.push_back(getAffineDimExpr(d, ctx));
      else if (op.getKeepdims())
        outExprs.push_back(getAffineConstantExpr(0, ctx));
    }
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
    double inf = std::numeric_limits<double>::infinity();
    Value best =
        signlessView(rewriter, loc,
                     filledTensor(rewriter, loc, outType.getShape(),
                                  type.getElementType(), isMax ? -inf : inf));
    Value zero =
        arith::ConstantOp::create(rewriter, loc, rewriter.getI64IntegerAttr(0));
    Value indexInit =
        linalg::FillOp::create(rewriter, loc, zero,
                               emptyTensor(rewriter, loc, outType.getShape(),
                                           rewriter.getI64Type()))
            .getResult(0);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), outType}, ValueRange{x},
        ValueRange{best, indexInit},
        ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx),
                            outMap, outMap},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0], acc = args[1], idx = args[2];
          Value better = compareElements(
              b, l, isMax ? Compare::Greater : Compare::Less, v, acc, isUns);
          if (last)
            better = arith::OrIOp::create(
                b, l, better,
                compareElements(b, l, Compare::Equal, v, acc, isUns));
          Value here = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, v, acc),
                         arith::SelectOp::create(b, l, better, here, idx)});
        });
    rewriter.replaceOp(op, generic.getResult(1));
    return success();
  }
};

/// triu(x) / tril(x) => generic { keep(j - i) ? x : 0 } over the last two
/// dimensions' indices.
template <typename SourceOp, bool upper>
struct TriangleLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank(), diagonal = op.getDiagonal();
    Value result = elementwise(
        rewriter, op.getLoc(), adaptor.getInput(), type,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value i = linalg::IndexOp::create(b, l, rank - 2);
          Value j = linalg::IndexOp::create(b, l, rank - 1);
          Value offset = arith::SubIOp::create(b, l, j, i);
          Value k = arith::ConstantIndexOp::create(b, l, diagonal);
          Value keep = arith::CmpIOp::create(b, l,
                                             upper ? arith::CmpIPredicate::sge
                                                   : arith::CmpIPredicate::sle,
                                             offset, k);
          Value zero =
              arith::ConstantOp::create(b, l, b.getZeroAttr(args[0].getType()));
          return arith::SelectOp::create(b, l, keep, args[0], zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

enum class ReduceKind {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  SumSquare,
  LogSum,
  LogSumExp
};

/// reduce_<kind>(x) over axes => a reduction generic, then the kind's
/// finishing step (mean: / count, l2: sqrt, log_sum: log). log_sum_exp(x) = m +
/// log(sum(exp(x - m))), m = max(x).
template <typename SourceOp, ReduceKind kind>
struct ReduceLowering : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename SourceOp::Adaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    ArrayRef<int64_t> axes = op.getAxes();
    if (axes.empty()) {
      rewriter.replaceOp(op, x);
      return success();
    }
    double inf = std::numeric_limits<double>::infinity();
    bool keep = op.getKeepdims();
    auto add = [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
      return arith::AddFOp::create(b, l, acc, v);
    };
    Value reduced;
    if constexpr (kind == ReduceKind::LogSumExp) {
      Value max = reduceOver(
          rewriter, loc, x, axes, keep, -inf,
          [](OpBuilder &b, Location l, Value acc, ValueRange in) -> Value {
            return arith::MaximumFOp::create(b, l, acc, in[0]);
          });
      // A row of -inf (or +inf) has max = +-inf: shift by 0 there instead.
      Value sum = reduceOver(
          rewriter, loc, {x, max}, axes, keep, 0.0,
          [&](OpBuilder &b, Location l, Value acc, ValueRange in) -> Value {
            Value zero = floatConstant(b, l, in[0].getType(), 0.0);
            Value finite = arith::CmpFOp::create(
                b, l, arith::CmpFPredicate::ONE,
                math::AbsFOp::create(b, l, in[1]),
                floatConstant(b, l, in[0].getType(), inf));
            Value shift = arith::SelectOp::create(b, l, finite, in[1], zero);
            Value e = math::ExpOp::create(
                b, l, arith::SubFOp::create(b, l, in[0], shift));
            return add(b, l, acc, e);
          });
      auto compact = cast<RankedTensorType>(sum.getType());
      reduced = elementwise(
          rewriter, loc, {sum, max}, compact,
          [&](OpBuilder &b, Location l, ValueRange in) -> Value {
            Value zero = floatConstant(b, l, in[0].getType(), 0.0);
            Value finite = arith::CmpFOp::create(
                b, l, arith::CmpFPredicate::ONE,
                math::AbsFOp::create(b, l, in[1]),
                floatConstant(b, l, in[0].getType(), inf));
            Value shift = arith::SelectOp::create(b, l, finite, in[1], zero);
            return arith::AddFOp::create(b, l, math::LogOp::create(b, l, in[0]),
                                         shift);
          });
    } else {
      double init = kind == ReduceKind::Max    ? -inf
                    : kind == ReduceKind::Min  ? inf
                    : kind == ReduceKind::Prod ? 1.0
                                               : 0.0;
      bool isUns = isUnsigned(inType);
      reduced = reduceOver(
          rewriter, loc, x, axes, keep, init,
          [&](OpBuilder &b, Location l, Value acc, ValueRange in) -> Value {
            Value v = in[0];
            if (isInt(v)) {
              switch (kind) {
              case ReduceKind::Max:
                return maxElements(b, l, acc, v, isUns);
              case ReduceKind::Min:
                return minElements(b, l, acc, v, isUns);
              case ReduceKind::Prod:
                return arith::MulIOp::create(b, l, acc, v);
              default:
                return arith::AddIOp::create(b, l, acc, v);
              }
            }
            switch (kind) {
            case ReduceKind::Max:
              return arith::MaximumFOp::create(b, l, acc, v);
            case ReduceKind::Min:
              return arith::MinimumFOp::create(b, l, acc, v);
            case ReduceKind::Prod:
              return arith::MulFOp::create(b, l, acc, v);
            case ReduceKind::L1:
              return arith::AddFOp::create(b, l, acc,
                                           math::AbsFOp::create(b, l, v));
            case ReduceKind::L2:
            case ReduceKind::SumSquare:
              return arith::AddFOp::create(b, l, acc,
                                           arith::MulFOp::create(b, l, v, v));
            default:
              return arith::AddFOp::create(b, l, acc, v);
            }
          });
      int64_t count = 1;
      for (int64_t a : axes)
        count *= inType.getDimSize(a);
      auto compact = cast<RankedTensorType>(reduced.getType());
      if (kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
          kind == ReduceKind::LogSum)
        reduced = elementwise(
            rewriter, loc, reduced, compact,
            [&](OpBuilder &b, Location l, ValueRange in) -> Value {
              if (kind == ReduceKind::Mean && isInt(in[0])) {
                Value n = floatConstant(b, l, in[0].getType(), double(count));
                return isUnsigned(inType)
                           ? arith::DivUIOp::create(b, l, in[0], n).getResult()
                           : arith::DivSIOp::create(b, l, in[0], n).getResult();
              }
              if (kind == ReduceKind::Mean)
                return arith::DivFOp::create(
                    b, l, in[0],
                    floatConstant(b, l, in[0].getType(), double(count)));
              if (kind == ReduceKind::L2)
                return math::SqrtOp::create(b, l, in[0]);
              return math::LogOp::create(b, l, in[0]);
            });
    }
    rewriter.replaceOp(op, reduced);
    return success();
  }
};

} // namespace

void populateLowerMathPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns
      .add<UnaryLowering<ReluOp>, UnaryLowering<SigmoidOp>,
           UnaryLowering<TanhOp>, UnaryLowering<ExpOp>, UnaryLowering<LogOp>,
           UnaryLowering<SqrtOp>, UnaryLowering<NegOp>, UnaryLowering<AbsOp>>(
          ctx);
  patterns
      .add<UnaryLowering<ReciprocalOp>, UnaryLowering<FloorOp>,
           UnaryLowering<CeilOp>, UnaryLowering<RoundOp>, UnaryLowering<SignOp>,
           UnaryLowering<ErfOp>, UnaryLowering<SinOp>, UnaryLowering<CosOp>,
           UnaryLowering<TanOp>, UnaryLowering<AsinOp>, UnaryLowering<AcosOp>,
           UnaryLowering<AtanOp>, UnaryLowering<SinhOp>, UnaryLowering<CoshOp>,
           UnaryLowering<AsinhOp>, UnaryLowering<AcoshOp>,
           UnaryLowering<AtanhOp>, UnaryLowering<SoftplusOp>,
           UnaryLowering<SoftsignOp>, UnaryLowering<HardSwishOp>,
           UnaryLowering<EluOp>, UnaryLowering<SeluOp>, UnaryLowering<CeluOp>,
           UnaryLowering<LeakyReluOp>, UnaryLowering<HardSigmoidOp>,
           UnaryLowering<ThresholdedReluOp>, UnaryLowering<ShrinkOp>,
           UnaryLowering<ClipOp>, UnaryLowering<GeluOp>>(ctx);
  patterns.add<CumSumLowering, OneHotLowering, EinsumLowering>(ctx);
  patterns.add<
      BinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
      BinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
      BinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
      BinaryLowering<DivOp, arith::DivFOp, arith::DivSIOp, arith::DivUIOp>,
      BinaryLowering<MaxOp, arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>,
      BinaryLowering<MinOp, arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>,
      ShiftLowering<ShiftLeftOp, true>, ShiftLowering<ShiftRightOp, false>,
      PowLowering, ModLowering, CastLowering>(ctx);
  patterns.add<PReluLowering>(ctx);
  patterns.add<CompareLowering<EqualOp, Compare::Equal>,
               CompareLowering<GreaterOp, Compare::Greater>,
               CompareLowering<GreaterEqualOp, Compare::GreaterEqual>,
               CompareLowering<LessOp, Compare::Less>,
               CompareLowering<LessEqualOp, Compare::LessEqual>>(ctx);
  // Booleans are integers: the logical ops take the integer branch.
  patterns.add<BinaryLowering<AndOp, arith::AndIOp, arith::AndIOp>,
               BinaryLowering<OrOp, arith::OrIOp, arith::OrIOp>,
               BinaryLowering<XorOp, arith::XOrIOp, arith::XOrIOp>, NotLowering,
               WhereLowering>(ctx);
  patterns.add<ArgReduceLowering<ArgMaxOp, true>,
               ArgReduceLowering<ArgMinOp, false>,
               TriangleLowering<TriuOp, true>, TriangleLowering<TrilOp, false>>(
      ctx);
  patterns.add<GemmLowering, MatmulLowering>(ctx);
  patterns.add<ReduceLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<ReduceMinOp, ReduceKind::Min>,
               ReduceLowering<ReduceProdOp, ReduceKind::Prod>,
               ReduceLowering<ReduceL1Op, ReduceKind::L1>,
               ReduceLowering<ReduceL2Op, ReduceKind::L2>,
               ReduceLowering<ReduceSumSquareOp, ReduceKind::SumSquare>,
               ReduceLowering<ReduceLogSumOp, ReduceKind::LogSum>,
               ReduceLowering<ReduceLogSumExpOp, ReduceKind::LogSumExp>>(ctx);
}

} // namespace lathe
