// Pipelines: the only place that orders Lathe's passes.
#include "compiler/Pipeline.h"

#include "compiler/Passes.h"
#include "dialects/lathe/Gradients.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace lathe {

void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<LatheDialect>();
  registerGradientInterfaces(registry);
}

bool hasCyclableMomentum(StringRef optimizer) {
  return llvm::is_contained({"sgd", "rmsprop", "adam", "adamw", "adamax"},
                            optimizer);
}

LogicalResult addTrainingEntryPoints(ModuleOp module,
                                     const TrainingOptions &o) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  AddLossOptions loss;
  loss.loss = o.loss;
  loss.reduction = o.reduction;
  loss.labelSmoothing = o.labelSmoothing;
  loss.ignoreIndex = o.ignoreIndex;
  loss.beta = o.beta;
  loss.delta = o.delta;
  loss.posWeight = o.posWeight;
  loss.logTarget = o.logTarget;
  loss.margin = o.margin;
  loss.normP = o.normP;
  loss.lossEps = o.lossEps;
  loss.swap = o.swap;
  loss.noLogInput = o.noLogInput;
  loss.full = o.full;
  loss.blank = o.blank;
  loss.zeroInfinity = o.zeroInfinity;
  loss.targetLength = o.targetLength;
  loss.classWeight.assign(o.classWeight.begin(), o.classWeight.end());
  AutodiffOptions autodiff;
  autodiff.wrtInputs = o.wrtInputs;
  ApplyOptimizerOptions opt;
  opt.optimizer = o.optimizer;
  opt.momentum = o.momentum;
  opt.dampening = o.dampening;
  opt.nesterov = o.nesterov;
  opt.weightDecay = o.weightDecay;
  opt.beta1 = o.beta1;
  opt.beta2 = o.beta2;
  opt.eps = o.eps;
  opt.amsgrad = o.amsgrad;
  opt.alpha = o.alpha;
  opt.centered = o.centered;
  opt.rho = o.rho;
  opt.lrDecay = o.lrDecay;
  opt.initialAccumulator = o.initialAccumulator;
  opt.maximize = o.maximize;
  opt.clipNorm = o.clipNorm;
  opt.clipNormType = o.clipNormType;
  opt.clipValue = o.clipValue;
  opt.keepGradient = o.keepGradient;
  opt.momentumHyper = o.momentumHyper;
  // Recurrent layers first: autodiff differentiates their cells.
  pm.addPass(createDecomposeRecurrent());
  pm.addPass(createAddLoss(loss));
  // Criteria as the ops of their definitions: autodiff differentiates those.
  pm.addPass(createDecomposeLosses());
  // Gradients inside the graph first: autodiff then differentiates them.
  pm.addPass(createExpandGradients());
  TrainingModeOptions mode;
  mode.seed = o.seed;
  pm.addPass(createTrainingMode(mode));
  pm.addPass(createExpandForGradient());
  pm.addPass(createAutodiff(autodiff));
  pm.addPass(createApplyOptimizer(opt));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

std::string cpuPipelineText() {
  return // Graph level: recurrent layers unrolled into cell ops, criteria
         // into the ops of their definitions, then lathe ops to upstream
         // ops on tensors.
      "lathe-decompose-recurrent,lathe-decompose-losses,"
      // Gradients inside the graph (ONNX's Gradient): backward ops.
      "lathe-expand-gradients,"
      // Half precision is storage: each op computes in f32.
      "lathe-widen-half-floats,"
      // Tensors with no elements are computed by nothing.
      "lathe-elide-empty-tensors,lathe-lower-to-linalg,"
      // Lowering chose unsigned ops by type; upstream wants signless ones.
      "lathe-signless-integers,canonicalize,cse,"
      "linalg-fuse-elementwise-ops,canonicalize,"
      // Contractions: convolutions as matrix products, register-blocked
      // vector code, accumulators kept in registers across the k loop.
      "lathe-conv-to-im2col,canonicalize,"
      "func.func(lathe-vectorize-contractions),canonicalize,cse,"
      "loop-invariant-subset-hoisting,canonicalize,"
      // Every other large op: tiles over its outermost parallel dimension.
      "func.func(lathe-parallelize-linalg),canonicalize,"
      // Buffers: static shapes, results written into caller buffers, the
      // caller's inputs and weights never written.
      "func.func(lathe-read-only-arguments),"
      "one-shot-bufferize{bufferize-function-boundaries=1 "
      "function-boundary-type-conversion=identity-layout-map},"
      "func.func(lathe-distinct-results),"
      "buffer-results-to-out-params{hoist-static-allocs=1 "
      "modify-public-functions=1},"
      "func.func(buffer-hoisting),buffer-deallocation-pipeline,"
      // One caller-provided arena for every intermediate buffer.
      "lathe-plan-memory,lathe-lower-memref-copy,"
      // Parallel tile loops become tasks for the caller's thread pool.
      "lathe-outline-parallel-loops,scf-forall-to-for,canonicalize,"
      // Loops and vectors, then the LLVM dialect.
      "convert-linalg-to-loops,convert-vector-to-scf{full-unroll=1},"
      // f32 -> bf16 rounding as integer code (libgcc 12 has no helper).
      "arith-expand{include-bf16=1},"
      "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
      "finalize-memref-to-llvm,"
      "convert-vector-to-llvm,convert-ub-to-llvm,"
      // Math: LLVM intrinsics where they exist, libm calls otherwise.
      "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
      "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
      "convert-cf-to-llvm,reconcile-unrealized-casts";
}

void registerLathePipelines() {
  PassPipelineRegistration<>(
      "lathe-cpu-pipeline",
      "Lower lathe ops to the LLVM dialect (what `lathe compile` runs)",
      [](OpPassManager &pm) {
        if (failed(parsePassPipeline(cpuPipelineText(), pm)))
          llvm::report_fatal_error("lathe: invalid built-in pipeline");
      });
}

LogicalResult lowerToLLVMDialect(ModuleOp module,
                                 const CpuPipelineOptions &options) {
  static bool registered = [] {
    registerAllPasses();
    registerLathePasses();
    return true;
  }();
  (void)registered;
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (options.printIR) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting();
  }
  if (failed(parsePassPipeline(cpuPipelineText(), pm)))
    return failure();
  return pm.run(module);
}

} // namespace lathe
