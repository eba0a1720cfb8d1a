// Graph passes (lathe -> lathe): declarations generated from Passes.td.
#ifndef LATHE_COMPILER_GRAPH_PASSES_H
#define LATHE_COMPILER_GRAPH_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace lathe {

#define GEN_PASS_DECL
#include "compiler/graph/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/graph/Passes.h.inc"

/// Patterns unrolling rnn / gru / lstm into lathe math and tensor ops.
void populateDecomposeRecurrentPatterns(mlir::RewritePatternSet &patterns);

} // namespace lathe

#endif // LATHE_COMPILER_GRAPH_PASSES_H
