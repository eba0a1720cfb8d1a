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
} // namespace mlir

namespace lathe {

/// Registers every dialect, interface and translation the pipelines use.
void registerCompilerDialects(mlir::DialectRegistry &registry);

struct CpuPipelineOptions {
  /// Print the IR after every pass to stderr (debugging).
  bool printIR = false;
};

/// Lowers a module of lathe ops on tensors to the LLVM dialect: lathe →
/// linalg → bufferized memrefs (results as out-params, static shapes) →
/// loops → LLVM, with bare-pointer calling convention for @forward.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       const CpuPipelineOptions &options);

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

/// Adds @eval_step and @train_step (and @gradient on request) beside
/// @forward: the training passes, run on lathe ops before lowering.
/// Diagnostics go to the module's context.
mlir::LogicalResult addTrainingEntryPoints(mlir::ModuleOp module,
                                           const TrainingOptions &options);

/// The passes lowerToLLVMDialect runs on a builtin.module, as text.
std::string cpuPipelineText();

/// Registers the pipelines as passes of lathe-opt (`--lathe-cpu-pipeline`).
void registerLathePipelines();

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_H
