// The lathe dialect: declarations of the dialect and its ops.
#ifndef LATHE_DIALECTS_LATHE_LATHEDIALECT_H
#define LATHE_DIALECTS_LATHE_LATHEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/lathe/LatheDialect.h.inc"
#include "dialects/lathe/LatheEnums.h.inc"

#include "dialects/lathe/Attributes.h"

#define GET_OP_CLASSES
#include "dialects/lathe/LatheOps.h.inc"

namespace lathe {

/// NumPy broadcast of two static shapes; failure when a pair of dimensions
/// differs and neither is 1.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Result type of a reduction over |axes| (sorted, distinct, in range).
mlir::LogicalResult inferReduceType(std::optional<mlir::Location> loc,
                                    llvm::StringRef op, mlir::Value input,
                                    llvm::ArrayRef<int64_t> axes, bool keepdims,
                                    llvm::SmallVectorImpl<mlir::Type> &results);

/// Output length of a sliding window (conv, pooling) along one dimension.
int64_t windowOutputSize(int64_t in, int64_t padBegin, int64_t padEnd,
                         int64_t kernel, int64_t stride, int64_t dilation,
                         bool ceilMode);

/// Number of positions of pooling window |o| that count towards an average:
/// inside the input, or inside the input and its padding with
/// count_include_pad.
int64_t windowCount(int64_t o, int64_t in, int64_t padBegin, int64_t padEnd,
                    int64_t kernel, int64_t stride, bool includePad);

/// The |out| x |in| matrix of adaptive average pooling along one dimension:
/// row i holds 1/count over window [floor(i in/out), ceil((i+1) in/out)).
llvm::SmallVector<double> adaptiveAveragingMatrix(int64_t out, int64_t in);

/// An explicit einsum equation split into each input's letters and the
/// result's; failure when it is not of the form "ab,bc->ac".
struct EinsumTerms {
  llvm::SmallVector<std::string> inputs;
  std::string output;
};
mlir::FailureOr<EinsumTerms> parseEinsum(llvm::StringRef equation);

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_LATHEDIALECT_H
