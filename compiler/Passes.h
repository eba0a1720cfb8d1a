// Lathe's compiler passes: declarations generated from Passes.td.
#ifndef LATHE_COMPILER_PASSES_H
#define LATHE_COMPILER_PASSES_H

#include "mlir/Pass/Pass.h"

#include <limits>

namespace mlir {
class RewritePatternSet;
class TypeConverter;
} // namespace mlir

namespace lathe {

#define GEN_PASS_DECL
#include "compiler/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Passes.h.inc"

/// Patterns lowering the math family (element-wise, gemm, matmul).
void populateLowerMathPatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the nn family (conv, batch norm, pooling, softmax).
void populateLowerNNPatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the tensor family (reshape, transpose, constant).
void populateLowerTensorPatterns(mlir::RewritePatternSet &patterns);
/// Patterns unrolling rnn / gru / lstm into lathe math and tensor ops.
void populateDecomposeRecurrentPatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the loss family (nll_loss) to linalg.
void populateLowerLossPatterns(mlir::RewritePatternSet &patterns);

} // namespace lathe

#endif // LATHE_COMPILER_PASSES_H
