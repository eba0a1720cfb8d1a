// The lathe-lower-to-linalg pass and the builders its patterns share.
#include "compiler/lowering/LoweringUtils.h"
#include "compiler/lowering/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

namespace lathe {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "compiler/lowering/Passes.h.inc"
} // namespace lathe

#include <cmath>

using namespace mlir;

namespace lathe {

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto intType = dyn_cast<IntegerType>(type)) {
    // +-infinity (reduction identities) become the type's extremes; an
    // unsigned type's constant is signless, for its signless view.
    unsigned width = intType.getWidth();
    bool isUnsigned = intType.isUnsigned();
    APInt v = !std::isinf(value)
                  ? APInt(width, int64_t(value), /*isSigned=*/true)
              : value > 0 ? (isUnsigned ? APInt::getMaxValue(width)
                                        : APInt::getSignedMaxValue(width))
                          : (isUnsigned ? APInt::getMinValue(width)
                                        : APInt::getSignedMinValue(width));
    Type signless = IntegerType::get(type.getContext(), width);
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(signless, v));
  }
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

bool isUnsigned(Type type) {
  return getElementTypeOrSelf(type).isUnsignedInteger();
}

Value compareElements(OpBuilder &b, Location loc, Compare how, Value lhs,
                      Value rhs, bool isUnsigned) {
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  if (isa<FloatType>(lhs.getType())) {
    FP pred = how == Compare::Less           ? FP::OLT
              : how == Compare::LessEqual    ? FP::OLE
              : how == Compare::Greater      ? FP::OGT
              : how == Compare::GreaterEqual ? FP::OGE
                                             : FP::OEQ;
    return arith::CmpFOp::create(b, loc, pred, lhs, rhs);
  }
  IP pred = how == Compare::Less           ? (isUnsigned ? IP::ult : IP::slt)
            : how == Compare::LessEqual    ? (isUnsigned ? IP::ule : IP::sle)
            : how == Compare::Greater      ? (isUnsigned ? IP::ugt : IP::sgt)
            : how == Compare::GreaterEqual ? (isUnsigned ? IP::uge : IP::sge)
                                           : IP::eq;
  return arith::CmpIOp::create(b, loc, pred, lhs, rhs);
}

Value maxElements(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  bool isUnsigned) {
  if (isa<FloatType>(lhs.getType()))
    return arith::MaximumFOp::create(b, loc, lhs, rhs);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, lhs, rhs);
  return arith::MaxSIOp::create(b, loc, lhs, rhs);
}

Value minElements(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  bool isUnsigned) {
  if (isa<FloatType>(lhs.getType()))
    return arith::MinimumFOp::create(b, loc, lhs, rhs);
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, lhs, rhs);
  return arith::MinSIOp::create(b, loc, lhs, rhs);
}

Value multiplyAdd(OpBuilder &b, Location loc, Value acc, Value lhs, Value rhs) {
  if (isa<IntegerType>(acc.getType()))
    return arith::AddIOp::create(b, loc, acc,
                                 arith::MulIOp::create(b, loc, lhs, rhs));
  return arith::AddFOp::create(b, loc, acc,
                               arith::MulFOp::create(b, loc, lhs, rhs));
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value clampedIndex(OpBuilder &b, Location loc, Value value, int64_t n) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), value);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value size = arith::ConstantIndexOp::create(b, loc, n);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, negative,
                              arith::AddIOp::create(b, loc, i, size), i);
  i = arith::MinSIOp::create(b, loc, i,
                             arith::ConstantIndexOp::create(b, loc, n - 1));
  return arith::MaxSIOp::create(b, loc, i, zero);
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type elementType, double value) {
  Value scalar = floatConstant(b, loc, elementType, value);
  Value init = emptyTensor(b, loc, shape, scalar.getType());
  Value filled = linalg::FillOp::create(b, loc, scalar, init).getResult(0);
  return typedView(b, loc, filled, RankedTensorType::get(shape, elementType));
}

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> outShape) {
  size_t offset = outShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (size_t i = 0; i < operandShape.size(); ++i) {
    if (operandShape[i] == 1 && outShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(outShape.size(), 0, exprs, ctx);
}

/// |type| with an unsigned integer element type made signless.
static RankedTensorType signlessTensor(RankedTensorType type) {
  auto integer = dyn_cast<IntegerType>(type.getElementType());
  if (!integer || integer.isSignless())
    return type;
  return type.clone(IntegerType::get(type.getContext(), integer.getWidth()));
}

Value typedView(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return UnrealizedConversionCastOp::create(b, loc, type, value).getResult(0);
}

Value signlessView(OpBuilder &b, Location loc, Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type ? typedView(b, loc, value, signlessTensor(type)) : value;
}

Value elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                  RankedTensorType outType, ScalarBody body) {
  // Arithmetic is signless: unsigned tensors are read and written through
  // signless views; the op's lowering chose the unsigned arith ops already.
  RankedTensorType resultType = outType;
  outType = signlessTensor(outType);
  SmallVector<Value> views;
  for (Value in : inputs)
    views.push_back(signlessView(b, loc, in));
  inputs = views;
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(ctx,
                                cast<RankedTensorType>(in.getType()).getShape(),
                                outType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(outType.getRank(), ctx));
  SmallVector<utils::IteratorType> iterators(outType.getRank(),
                                             utils::IteratorType::parallel);
  Value init =
      emptyTensor(b, loc, outType.getShape(), outType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, outType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return typedView(b, loc, generic.getResult(0), resultType);
}

Value reduceOver(OpBuilder &b, Location loc, ValueRange inputs,
                 ArrayRef<int64_t> axes, bool keepDims, double init,
                 CombineBody combine) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(inputs[0].getType());
  SmallVector<Value> views;
  for (Value in : inputs)
    views.push_back(signlessView(b, loc, in));
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      shape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    } else if (keepDims) {
      shape.push_back(1);
      outExprs.push_back(getAffineConstantExpr(0, ctx));
    }
  }
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  for (size_t i = 1; i < inputs.size(); ++i)
    maps.push_back(outMap);
  maps.push_back(outMap);
  auto outType = RankedTensorType::get(shape, type.getElementType());
  Value acc = signlessView(
      b, loc, filledTensor(b, loc, shape, type.getElementType(), init));
  Value reduced = linalg::GenericOp::create(
                      b, loc, acc.getType(), views, acc, maps, iterators,
                      [&](OpBuilder &nb, Location l, ValueRange args) {
                        Value next =
                            combine(nb, l, args.back(), args.drop_back());
                        linalg::YieldOp::create(nb, l, next);
                      })
                      .getResult(0);
  return typedView(b, loc, reduced, outType);
}

Value padTensor(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                ArrayRef<int64_t> high, double value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (size_t i = 0; i < shape.size(); ++i)
    shape[i] += low[i] + high[i];
  Value pad = floatConstant(b, loc, type.getElementType(), value);
  auto padType = RankedTensorType::get(shape, pad.getType());
  Value padded =
      tensor::PadOp::create(b, loc, padType, signlessView(b, loc, input),
                            getAsIndexOpFoldResult(b.getContext(), low),
                            getAsIndexOpFoldResult(b.getContext(), high), pad);
  return typedView(b, loc, padded, padType.clone(type.getElementType()));
}

Value reshapeTensor(OpBuilder &b, Location loc, Value input,
                    ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  int64_t count = type.getNumElements();
  auto flatType = RankedTensorType::get({count}, type.getElementType());
  // Reassociation that groups every dimension of a rank-r tensor into one.
  auto allInOne = [&](int64_t rank) {
    SmallVector<ReassociationIndices> groups;
    if (rank > 0)
      groups.push_back(llvm::to_vector(llvm::seq<int64_t>(0, rank)));
    return groups;
  };
  Value flat = input;
  if (type.getRank() != 1)
    flat = type.getRank() == 0 ? Value(tensor::ExpandShapeOp::create(
                                     b, loc, flatType, input, allInOne(0)))
                               : Value(tensor::CollapseShapeOp::create(
                                     b, loc, input, allInOne(type.getRank())));
  auto outType = RankedTensorType::get(shape, type.getElementType());
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, outType, flat, allInOne(0));
  return tensor::ExpandShapeOp::create(b, loc, outType, flat,
                                       allInOne(shape.size()));
}

namespace {

struct LowerToLinalgPass : public impl::LowerToLinalgBase<LowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateLowerMathPatterns(patterns);
    populateLowerNNPatterns(patterns);
    populateLowerResamplePatterns(patterns);
    populateLowerTensorPatterns(patterns);
    populateLowerLossPatterns(patterns);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<LatheDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect, func::FuncDialect>();
    // Signless views of unsigned tensors (see elementwise).
    target.addLegalOp<UnrealizedConversionCastOp>();
    // Collectives stay: they bufferize in place and code generation calls
    // the call environment's hook on their buffers.
    target.addLegalOp<AllReduceMeanOp>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace lathe
