// Pipelines: the only place that orders Lathe's passes.
#ifndef LATHE_COMPILER_PIPELINE_H
#define LATHE_COMPILER_PIPELINE_H

#include "mlir/Support/LLVM.h"

#include <limits>
#include <string>
#include <vector>

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
/// into backward ops.
void buildGraphPipeline(mlir::OpPassManager &pm);

/// The lowering pipeline (lathe -> linalg, tensor, arith, math): empty
/// tensors elided, every lathe op lowered, integer signedness dropped.
void buildLoweringPipeline(mlir::OpPassManager &pm);

/// Every level for |target|: the graph pipeline, the target's policy on
/// lathe ops, the lowering pipeline, the target's code generation pipeline.
void buildTargetPipeline(mlir::OpPassManager &pm, const Target &target);

/// Runs buildTargetPipeline on |module|, lowering it to the LLVM dialect;
/// with |printIR|, prints the IR after every pass to stderr.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       const Target &target, bool printIR);

/// What a training build adds to @forward (see the passes' options in
/// Passes.td: lathe-add-loss, lathe-autodiff, lathe-apply-optimizer).
struct TrainingOptions {
  std::string loss = "cross_entropy", reduction = "mean";
  double labelSmoothing = 0.0, beta = 1.0, delta = 1.0, posWeight = 1.0;
  int64_t ignoreIndex = -100;
  bool logTarget = false;
  /// A NaN means the criterion's own default.
  double margin = std::numeric_limits<double>::quiet_NaN(),
         normP = std::numeric_limits<double>::quiet_NaN(),
         lossEps = std::numeric_limits<double>::quiet_NaN();
  bool swap = false, noLogInput = false, full = false, zeroInfinity = false;
  int64_t blank = 0, targetLength = 0;
  std::vector<double> classWeight;
  /// Optimizer and its hyperparameters; a negative value means the
  /// optimizer's own default.
  std::string optimizer = "sgd";
  double momentum = 0.0, dampening = 0.0, weightDecay = -1.0, beta1 = -1.0,
         beta2 = 0.999, eps = -1.0, alpha = 0.99, rho = 0.9, lrDecay = 0.0,
         initialAccumulator = 0.0, clipNorm = 0.0, clipNormType = 2.0,
         clipValue = 0.0;
  bool nesterov = false, amsgrad = false, centered = false, maximize = false;
  /// Momentum (sgd, rmsprop) or beta1 (adam, adamw, adamax) is the step's
  /// hyperparameter "momentum" rather than a constant.
  bool momentumHyper = false;
  /// Also export @gradient (loss, outputs and every gradient), with input
  /// gradients when |wrtInputs|.
  bool keepGradient = false, wrtInputs = false;
  /// Seed of dropout's random draws.
  uint64_t seed = 0;
};

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

/// Registers every pass of every level (graph, lowering, targets).
void registerLathePasses();

/// Registers the pipelines for lathe-opt: `--lathe-graph-pipeline`,
/// `--lathe-lowering-pipeline`, `--lathe-cpu-codegen-pipeline` and
/// `--lathe-cpu-pipeline` (all levels, what `lathe compile` runs), the CPU
/// ones with options `vector-bits` and `vector-registers`.
void registerLathePipelines();

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_H
