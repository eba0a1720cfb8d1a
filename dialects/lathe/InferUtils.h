// Helpers the lathe dialect's result-type inference shares across op
// families (InferMath.cpp, InferNN.cpp, ...); internal to the dialect.
#ifndef LATHE_DIALECTS_LATHE_INFERUTILS_H
#define LATHE_DIALECTS_LATHE_INFERUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <optional>

namespace lathe::infer {

/// The ranked tensor type of |v|.
mlir::RankedTensorType rankedType(mlir::Value v);

/// Emits |message| at |loc| (when given) and fails.
mlir::LogicalResult fail(std::optional<mlir::Location> loc,
                         const llvm::Twine &message);

/// Checks a window op's attributes: |count| spatial dims; kernel, stride
/// and dilation in [1, 2^31], pads `[begin..., end...]` in [0, 2^31].
mlir::LogicalResult verifyWindow(std::optional<mlir::Location> loc,
                                 llvm::StringRef op, size_t count,
                                 llvm::ArrayRef<int64_t> kernel,
                                 llvm::ArrayRef<int64_t> strides,
                                 llvm::ArrayRef<int64_t> pads,
                                 llvm::ArrayRef<int64_t> dilations);

/// Result type of an N-D pooling op over |spatial| dims.
mlir::LogicalResult inferPool(std::optional<mlir::Location> loc,
                              llvm::StringRef op, int64_t spatial,
                              mlir::Value input, llvm::ArrayRef<int64_t> kernel,
                              llvm::ArrayRef<int64_t> strides,
                              llvm::ArrayRef<int64_t> pads,
                              llvm::ArrayRef<int64_t> dilations, bool ceilMode,
                              llvm::SmallVectorImpl<mlir::Type> &results);

/// Result type of an NCHW pooling op.
mlir::LogicalResult
inferPool2d(std::optional<mlir::Location> loc, llvm::StringRef op,
            mlir::Value input, llvm::ArrayRef<int64_t> kernel,
            llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> pads,
            llvm::ArrayRef<int64_t> dilations, bool ceilMode,
            llvm::SmallVectorImpl<mlir::Type> &results);

/// Result type of a broadcasting binary op on one element type.
mlir::LogicalResult inferBinary(std::optional<mlir::Location> loc,
                                llvm::StringRef op, mlir::Value lhs,
                                mlir::Value rhs,
                                llvm::SmallVectorImpl<mlir::Type> &results);

} // namespace lathe::infer

#endif // LATHE_DIALECTS_LATHE_INFERUTILS_H
