// Lowering passes (lathe -> linalg): declarations generated from Passes.td.
#ifndef LATHE_COMPILER_LOWERING_PASSES_H
#define LATHE_COMPILER_LOWERING_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace lathe {

#define GEN_PASS_DECL
#include "compiler/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/lowering/Passes.h.inc"

/// Patterns lowering the math family (element-wise, gemm, matmul).
void populateLowerMathPatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the nn family (conv, batch norm, pooling, softmax).
void populateLowerNNPatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the resampling ops (resize, grid_sample).
void populateLowerResamplePatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the tensor family (reshape, transpose, constant).
void populateLowerTensorPatterns(mlir::RewritePatternSet &patterns);
/// Patterns lowering the loss family (nll_loss) to linalg.
void populateLowerLossPatterns(mlir::RewritePatternSet &patterns);

} // namespace lathe

#endif // LATHE_COMPILER_LOWERING_PASSES_H
