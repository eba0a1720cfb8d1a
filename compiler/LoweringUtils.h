// Builders shared by the lathe-to-linalg lowering patterns.
#ifndef LATHE_COMPILER_LOWERINGUTILS_H
#define LATHE_COMPILER_LOWERINGUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace lathe {

/// Scalar constant of float type |type| (or integer type, |value| truncated).
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

/// True when |type|, or its element type, is an unsigned integer type.
bool isUnsigned(mlir::Type type);

/// `tensor.empty` of a static shape.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

/// A tensor of |shape| filled with |value|.
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
/// position. |combine| maps (accumulator, input scalars) to the accumulator.
mlir::Value reduceOver(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::ValueRange inputs, llvm::ArrayRef<int64_t> axes,
                       bool keepDims, double init, CombineBody combine);

/// Pads |input| by |low| / |high| elements per dimension with |value|; returns
/// |input| unchanged when every pad is zero.
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

#endif // LATHE_COMPILER_LOWERINGUTILS_H
