// Builders shared by the lathe-to-linalg lowering patterns.
#ifndef LATHE_COMPILER_LOWERING_LOWERINGUTILS_H
#define LATHE_COMPILER_LOWERING_LOWERINGUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace lathe {

/// Scalar constant of float type |type|, or of integer type with |value|
/// truncated and +-infinity standing for the type's extremes; an unsigned
/// |type| gives a signless constant (for a signless view).
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

/// |value| (a tensor) with unsigned integer elements seen as signless,
/// through a builtin.unrealized_conversion_cast that lathe-signless-integers
/// removes; any other value is returned as it is. Arith ops only take
/// signless integers, so a lowering computes on such views and picks the
/// unsigned arith ops itself (isUnsigned).
mlir::Value signlessView(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value);

/// |value| seen as |type| again: the inverse of signlessView.
mlir::Value typedView(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      mlir::Type type);

/// True when |type|, or its element type, is an unsigned integer type.
bool isUnsigned(mlir::Type type);

/// How compareElements compares.
enum class Compare { Less, LessEqual, Greater, GreaterEqual, Equal };

/// `lhs <how> rhs` for two scalars of a lowering's body: an ordered float
/// comparison, or an integer one, unsigned when |isUnsigned| (the lathe
/// type's signedness; the scalars themselves are signless).
mlir::Value compareElements(mlir::OpBuilder &b, mlir::Location loc, Compare how,
                            mlir::Value lhs, mlir::Value rhs, bool isUnsigned);

/// max(lhs, rhs) / min(lhs, rhs) of two such scalars; a float NaN wins.
mlir::Value maxElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                        mlir::Value rhs, bool isUnsigned);
mlir::Value minElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                        mlir::Value rhs, bool isUnsigned);

/// acc + lhs * rhs for float or (signless) integer scalars.
mlir::Value multiplyAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value acc,
                        mlir::Value lhs, mlir::Value rhs);

/// `tensor.empty` of a static shape.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

/// A tensor of |shape| filled with |value| (see floatConstant).
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                         double value);

/// Indexing map reading an operand of |operandShape| while iterating over
/// |outShape| with NumPy broadcasting (trailing dimensions aligned; size-1
/// dimensions stretched to constant 0).
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> outShape);

using ScalarBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// An all-parallel `linalg.generic` producing |outType| from |inputs|, each
/// broadcast to the result shape; |body| maps the input scalars to the result.
/// Unsigned integer tensors are read and written through signless views, so
/// |body| sees signless scalars: the caller picks unsigned arith ops by the
/// lathe op's types (isUnsigned).
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::ValueRange inputs, mlir::RankedTensorType outType,
                        ScalarBody body);

using CombineBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::ValueRange)>;

/// A linalg.generic reducing |inputs|[0] over |axes|, starting from |init|;
/// the result drops the axes, or keeps them with size 1 (|keepDims|).
/// Further inputs have the result's shape and are read at the reduced
/// position. |combine| maps (accumulator, input scalars) to the accumulator;
/// like elementwise, it sees unsigned elements as signless.
mlir::Value reduceOver(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::ValueRange inputs, llvm::ArrayRef<int64_t> axes,
                       bool keepDims, double init, CombineBody combine);

/// Pads |input| by |low| / |high| elements per dimension with |value| (see
/// floatConstant); returns |input| unchanged when every pad is zero.
mlir::Value padTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                      llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                      double value);

/// Reshapes a static tensor to |shape| (same element count) through a rank-1
/// intermediate.
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value input, llvm::ArrayRef<int64_t> shape);

/// |value| (an integer scalar read at run time) as an index into a dimension
/// of size |n|: negative values count from the end, then the result is
/// clamped to [0, n) so that generated code never reads out of bounds.
mlir::Value clampedIndex(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, int64_t n);

} // namespace lathe

#endif // LATHE_COMPILER_LOWERING_LOWERINGUTILS_H
