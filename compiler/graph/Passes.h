// Graph passes (lathe -> lathe): declarations generated from Passes.td.
#ifndef LATHE_COMPILER_GRAPH_PASSES_H
#define LATHE_COMPILER_GRAPH_PASSES_H

#include "mlir/Pass/Pass.h"

namespace lathe {

struct TrainingOptions;

#define GEN_PASS_DECL
#include "compiler/graph/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/graph/Passes.h.inc"

/// The training passes with their options' values from |options| (their
/// rows of training/Options.def).
std::unique_ptr<mlir::Pass> createAddLoss(const TrainingOptions &options);
std::unique_ptr<mlir::Pass> createTrainingMode(const TrainingOptions &options);
std::unique_ptr<mlir::Pass> createAutodiff(const TrainingOptions &options);
std::unique_ptr<mlir::Pass>
createApplyOptimizer(const TrainingOptions &options);

} // namespace lathe

#endif // LATHE_COMPILER_GRAPH_PASSES_H
