// Pipelines: the only place that orders Lathe's passes.
#ifndef LATHE_COMPILER_PIPELINE_H
#define LATHE_COMPILER_PIPELINE_H

#include "compiler/graph/TrainingOptions.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class DialectRegistry;
class ModuleOp;
class OpPassManager;
} // namespace mlir

namespace lathe {

class Target;

/// Registers every dialect, interface and translation the pipelines use.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// The graph pipeline (lathe -> lathe): recurrent layers unrolled into
/// cell ops, criteria into the ops of their definitions, ONNX's Gradient
/// into backward ops, then the dialect's folders.
void buildGraphPipeline(mlir::OpPassManager &pm);

/// The lowering pipeline (lathe -> linalg, tensor, arith, math): empty
/// tensors elided, every lathe op lowered, integer signedness dropped.
void buildLoweringPipeline(mlir::OpPassManager &pm);

/// Every level for |target|: the graph pipeline, the target's policy on
/// lathe ops, the lowering pipeline, the target's code generation pipeline.
void buildTargetPipeline(mlir::OpPassManager &pm, const Target &target);

/// Runs the graph pipeline on |module| (what artifact emission does first,
/// with the weights on @forward's arguments; compiler/graph/Weights.h).
mlir::LogicalResult runGraphLevel(mlir::ModuleOp module, bool printIR);

/// Runs the levels below the graph for |target| (its policy, the lowering
/// pipeline, its code generation) on a module the graph level has run on.
mlir::LogicalResult lowerBelowGraph(mlir::ModuleOp module, const Target &target,
                                    bool printIR);

/// Runs buildTargetPipeline on |module|, lowering it to the LLVM dialect;
/// with |printIR|, prints the IR after every pass to stderr.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       const Target &target, bool printIR);

/// Whether |optimizer| has a momentum (sgd, rmsprop) or beta1 (adam,
/// adamw, adamax) that TrainingOptions::momentumHyper can take at run time.
bool hasCyclableMomentum(llvm::StringRef optimizer);

/// The training pipeline: adds @eval_step and @train_step (and @gradient on
/// request) beside @forward, on lathe ops before the graph pipeline.
void buildTrainingPipeline(mlir::OpPassManager &pm,
                           const TrainingOptions &options);

/// Runs buildTrainingPipeline on |module|. Diagnostics go to the module's
/// context.
mlir::LogicalResult addTrainingEntryPoints(mlir::ModuleOp module,
                                           const TrainingOptions &options);

/// The artifact's entry points (lathe-define-entry-points) around the
/// lowered entry functions that carry lathe.entry, on the LLVM dialect;
/// with |printIR|, prints the IR after it to stderr.
mlir::LogicalResult defineEntryPoints(mlir::ModuleOp module, bool printIR);

/// Registers every pass of every level (graph, lowering, targets).
void registerLathePasses();

/// Registers the pipelines for lathe-opt: `--lathe-graph-pipeline`,
/// `--lathe-lowering-pipeline`, `--lathe-cpu-codegen-pipeline` and
/// `--lathe-cpu-pipeline` (all levels, what `lathe compile` runs), the CPU
/// ones with options `vector-bits` and `vector-registers`.
void registerLathePipelines();

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_H
