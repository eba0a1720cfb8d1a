// A builder of lathe ops at one location, every op inferring its result
// type: what gradient rules, losses and optimizer updates are written with.
#ifndef LATHE_DIALECTS_LATHE_TENSORBUILDER_H
#define LATHE_DIALECTS_LATHE_TENSORBUILDER_H

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace lathe {

/// Creates |OpTy| with |results| results, inferring their types from the
/// operands and attributes without aborting when they do not fit: then the
/// inference's diagnostic is emitted at |loc|, the op erased and null
/// returned. For operands that come from outside the compiler (a model
/// file, a command line); TensorBuilder's own ops fit by construction.
template <typename OpTy, typename... Args>
OpTy createInferred(mlir::OpBuilder &b, mlir::Location loc, unsigned results,
                    Args &&...args) {
  llvm::SmallVector<mlir::Type> none(results, b.getNoneType());
  auto op =
      OpTy::create(b, loc, mlir::TypeRange(none), std::forward<Args>(args)...);
  llvm::SmallVector<mlir::Type> types;
  if (mlir::failed(OpTy::inferReturnTypes(
          b.getContext(), loc, op->getOperands(), op->getRawDictionaryAttrs(),
          op->getPropertiesStorage(), op->getRegions(), types))) {
    op->erase();
    return OpTy();
  }
  for (auto [result, type] : llvm::zip(op->getResults(), types))
    result.setType(type);
  return op;
}

/// |op| when its verifier accepts it; otherwise erased, and failure.
mlir::FailureOr<mlir::Operation *> verifiedOrErased(mlir::Operation *op);

/// createInferred, then the op's verifier: when either fails, the
/// diagnostic is at |loc|, the op is erased and failure returned. What the
/// frontends build with (the ONNX importer, the layer builders).
template <typename OpTy, typename... Args>
mlir::FailureOr<mlir::Operation *>
createVerified(mlir::OpBuilder &b, mlir::Location loc, unsigned results,
               Args &&...args) {
  auto op = createInferred<OpTy>(b, loc, results, std::forward<Args>(args)...);
  if (!op)
    return mlir::failure();
  return verifiedOrErased(op.getOperation());
}

/// |v| reshaped to |shape| (|v| itself when it has that shape already),
/// verified as createVerified does.
mlir::FailureOr<mlir::Value> reshapeVerified(mlir::OpBuilder &b,
                                             mlir::Location loc, mlir::Value v,
                                             llvm::ArrayRef<int64_t> shape);

/// Builds lathe ops at one location; every op infers its result type.
struct TensorBuilder {
  mlir::OpBuilder &b;
  mlir::Location loc;

  static mlir::RankedTensorType type(mlir::Value v) {
    return mlir::cast<mlir::RankedTensorType>(v.getType());
  }
  static llvm::ArrayRef<int64_t> shape(mlir::Value v) {
    return type(v).getShape();
  }
  static mlir::Type elt(mlir::Value v) { return type(v).getElementType(); }
  static bool isFloat(mlir::Value v) {
    auto t = mlir::dyn_cast<mlir::RankedTensorType>(v.getType());
    return t && mlir::isa<mlir::FloatType>(t.getElementType());
  }
  /// [0, rank): every dimension of |v|.
  static llvm::SmallVector<int64_t> allAxes(mlir::Value v);

  /// A rank-0 constant of element type |t| (broadcasts in binary ops).
  mlir::Value scalar(double value, mlir::Type t);
  /// A rank-0 constant of |like|'s element type.
  mlir::Value scalarLike(double value, mlir::Value like) {
    return scalar(value, elt(like));
  }
  /// A constant of |shape| filled with |value|.
  mlir::Value splat(double value, llvm::ArrayRef<int64_t> shape, mlir::Type t);
  mlir::Value zerosLike(mlir::Value v) { return splat(0.0, shape(v), elt(v)); }
  /// A constant of |shape| with the given values (row-major).
  mlir::Value constant(llvm::ArrayRef<double> values,
                       llvm::ArrayRef<int64_t> shape, mlir::Type t);

  mlir::Value add(mlir::Value x, mlir::Value y) {
    return AddOp::create(b, loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return SubOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return MulOp::create(b, loc, x, y);
  }
  mlir::Value div(mlir::Value x, mlir::Value y) {
    return DivOp::create(b, loc, x, y);
  }
  mlir::Value scale(mlir::Value x, double c) {
    return c == 1.0 ? x : mul(x, scalarLike(c, x));
  }
  mlir::Value neg(mlir::Value x) { return NegOp::create(b, loc, x); }
  mlir::Value exp(mlir::Value x) { return ExpOp::create(b, loc, x); }
  mlir::Value log(mlir::Value x) { return LogOp::create(b, loc, x); }
  mlir::Value sqrt(mlir::Value x) { return SqrtOp::create(b, loc, x); }
  mlir::Value sigmoid(mlir::Value x) { return SigmoidOp::create(b, loc, x); }
  mlir::Value sign(mlir::Value x) { return SignOp::create(b, loc, x); }
  mlir::Value square(mlir::Value x) { return mul(x, x); }
  mlir::Value greater(mlir::Value x, mlir::Value y) {
    return GreaterOp::create(b, loc, x, y);
  }
  mlir::Value less(mlir::Value x, mlir::Value y) {
    return LessOp::create(b, loc, x, y);
  }
  mlir::Value equal(mlir::Value x, mlir::Value y) {
    return EqualOp::create(b, loc, x, y);
  }
  mlir::Value logicalAnd(mlir::Value x, mlir::Value y) {
    return AndOp::create(b, loc, x, y);
  }
  mlir::Value where(mlir::Value c, mlir::Value x, mlir::Value y) {
    return WhereOp::create(b, loc, c, x, y);
  }
  mlir::Value logicalNot(mlir::Value c);
  /// |g| where |c| holds, else zero.
  mlir::Value mask(mlir::Value c, mlir::Value g) {
    return where(c, g, scalarLike(0.0, g));
  }
  /// A boolean tensor as 0/1 of element type |t|.
  mlir::Value toFloat(mlir::Value c, mlir::Type t);
  mlir::Value cast(mlir::Value x, mlir::Type t);
  /// 1 where |indices| hits, else 0, of element type |t|: a new dimension
  /// of |depth| at |axis| (one_hot with values [0, 1]).
  mlir::Value oneHot(mlir::Value indices, int64_t depth, int64_t axis,
                     mlir::Type t);

  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> to);
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> perm);
  /// Swaps the last two dimensions.
  mlir::Value transposeLast2(mlir::Value v);
  mlir::Value expand(mlir::Value v, llvm::ArrayRef<int64_t> to);
  mlir::Value matmul(mlir::Value x, mlir::Value y) {
    return MatmulOp::create(b, loc, x, y);
  }
  mlir::Value reduceSum(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                        bool keepdims);
  mlir::Value reduceMean(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                         bool keepdims);
  mlir::Value reduceMax(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                        bool keepdims);
  mlir::Value slice(mlir::Value v, llvm::ArrayRef<int64_t> starts,
                    llvm::ArrayRef<int64_t> sizes,
                    llvm::ArrayRef<int64_t> steps = {});
  /// Constant padding (|value|, default zero): |low| and |high| per
  /// dimension.
  mlir::Value pad(mlir::Value v, llvm::ArrayRef<int64_t> low,
                  llvm::ArrayRef<int64_t> high, double value = 0.0);
  /// The adjoint of slice: |g| placed into zeros of |shape| at |starts|,
  /// |steps| apart (positive steps).
  mlir::Value unslice(mlir::Value g, llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<int64_t> starts,
                      llvm::ArrayRef<int64_t> steps);
  mlir::Value concat(llvm::ArrayRef<mlir::Value> parts, int64_t axis);
  /// Dimension |d| of |v| (k elements) times the matrix |m| (k x n): the
  /// result has n elements there, sum_i v[.., i, ..] m[i, j].
  mlir::Value productAlong(mlir::Value v, size_t d, mlir::Value m);

  /// Sums |g| (the gradient of a broadcast result) down to |target|'s shape:
  /// over leading dimensions |target| lacks and dimensions where it has 1.
  mlir::Value unbroadcast(mlir::Value g, mlir::Type target);
  /// A per-channel vector (C) viewed as 1 x C x 1... of |rank|, to
  /// broadcast over N x C x ... tensors.
  mlir::Value perChannel(mlir::Value v, size_t rank);
  /// Re-inserts the |axes| a reduction without keepdims removed, as size 1.
  mlir::Value keepDims(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                       llvm::ArrayRef<int64_t> inputShape);

  /// Batch normalization with the statistics of the batch (training mode).
  struct BatchStatistics {
    mlir::Value y;
    mlir::Value mean;     ///< Per channel (C).
    mlir::Value variance; ///< Per channel (C), biased (divided by count).
    int64_t count;        ///< Elements per channel.
  };
  /// |op| (a batch_norm) computed with its input's batch statistics: mean
  /// and biased variance over every dimension but the channel one. With
  /// |acrossReplicas| (SyncBatchNorm), over every data-parallel replica's
  /// batch together: each statistic averaged by lathe.all_reduce_mean
  /// (|count| stays this replica's).
  BatchStatistics batchStatistics(BatchNormOp op, bool acrossReplicas = false);
};

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_TENSORBUILDER_H
