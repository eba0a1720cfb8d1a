// Pipelines: the builders that order the target-independent levels (training,
// graph, lowering) and compose them with a target's (targets/*/).
#include "compiler/Pipeline.h"

#include "compiler/abi/Passes.h"
#include "compiler/graph/Passes.h"
#include "compiler/lowering/Passes.h"
#include "compiler/targets/Target.h"
#include "compiler/targets/cpu/CpuTarget.h"
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/Bufferization.h"
#include "dialects/lathe/Gradients.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
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
  registerBufferizationInterfaces(registry);
}

bool hasCyclableMomentum(StringRef optimizer) {
  return llvm::is_contained(
      {"sgd", "rmsprop", "adam", "adamw", "adamax", "sparse_adam"}, optimizer);
}

void buildTrainingPipeline(OpPassManager &pm, const TrainingOptions &o) {
  // Recurrent layers first, unrolled: autodiff differentiates their cells.
  DecomposeRecurrentOptions unrolled;
  unrolled.loops = false;
  pm.addPass(createDecomposeRecurrent(unrolled));
  pm.addPass(createAddLoss(o));
  // Criteria as the ops of their definitions: autodiff differentiates those.
  pm.addPass(createDecomposeLosses());
  // Gradients inside the graph first: autodiff then differentiates them.
  pm.addPass(createExpandGradients());
  pm.addPass(createTrainingMode(o));
  pm.addPass(createExpandForGradient());
  pm.addPass(createAutodiff(o));
  // Data-parallel builds: the replicas' gradients averaged before the
  // optimizer (and before gradient clipping) sees them.
  if (o.dataParallel)
    pm.addPass(createAverageGradients());
  pm.addPass(createApplyOptimizer(o));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

LogicalResult addTrainingEntryPoints(ModuleOp module,
                                     const TrainingOptions &options) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  buildTrainingPipeline(pm, options);
  return pm.run(module);
}

void buildGraphPipeline(OpPassManager &pm) {
  // Recurrent layers as loops over their cells' ops, criteria into the ops
  // of their definitions.
  pm.addPass(createDecomposeRecurrent());
  pm.addPass(createDecomposeLosses());
  // Gradients inside the graph (ONNX's Gradient): backward ops.
  pm.addPass(createExpandGradients());
  // Inference builds: batch norms into the convolutions' weights.
  pm.addPass(createFoldBatchNorm());
  // Inference builds: Linear weights stored as their products read them.
  pm.addPass(createTransposeWeights());
  // The dialect's folders: constant subgraphs evaluated, identities gone.
  pm.addPass(createCanonicalizerPass());
}

void buildLoweringPipeline(OpPassManager &pm) {
  // Tensors with no elements are computed by nothing.
  pm.addPass(createElideEmptyTensors());
  pm.addPass(createLowerToLinalg());
  // Lowering chose unsigned ops by type; upstream wants signless ones.
  pm.addPass(createSignlessIntegers());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

namespace {

/// The order of the levels below the graph, whoever supplies the target's
/// two pipelines.
void composeBelowGraph(OpPassManager &pm,
                       llvm::function_ref<void(OpPassManager &)> policy,
                       llvm::function_ref<void(OpPassManager &)> codegen) {
  policy(pm);
  buildLoweringPipeline(pm);
  codegen(pm);
}

/// The order of every level: the graph's, then those below it.
void composeLevels(OpPassManager &pm,
                   llvm::function_ref<void(OpPassManager &)> policy,
                   llvm::function_ref<void(OpPassManager &)> codegen) {
  buildGraphPipeline(pm);
  composeBelowGraph(pm, policy, codegen);
}

/// |target|'s levels below the graph.
void buildBelowGraph(OpPassManager &pm, const Target &target) {
  composeBelowGraph(
      pm, [&](OpPassManager &p) { target.buildPolicyPipeline(p); },
      [&](OpPassManager &p) { target.buildCodegenPipeline(p); });
}

} // namespace

void buildTargetPipeline(OpPassManager &pm, const Target &target) {
  buildGraphPipeline(pm);
  buildBelowGraph(pm, target);
}

void registerLathePasses() {
  registerLatheGraphPasses();
  registerLatheLoweringPasses();
  registerLatheAbiPasses();
  registerLatheCpuPasses();
}

namespace {

/// lathe-opt's options for the CPU pipelines; the defaults are AVX2's, so
/// that lit tests do not depend on the machine running them.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<int64_t> vectorBits{*this, "vector-bits",
                             llvm::cl::desc("Vector width in bits"),
                             llvm::cl::init(256)};
  Option<int64_t> vectorRegisters{
      *this, "vector-registers",
      llvm::cl::desc("Architectural vector registers"), llvm::cl::init(16)};

  CpuTuning tuning() const {
    CpuTuning t;
    t.isa = "lathe-opt";
    t.vectorBits = vectorBits;
    t.vectorRegisters = vectorRegisters;
    return t;
  }
};

} // namespace

void registerLathePipelines() {
  PassPipelineRegistration<>(
      "lathe-graph-pipeline",
      "Graph level: decompose recurrent layers, criteria and gradients",
      [](OpPassManager &pm) { buildGraphPipeline(pm); });
  PassPipelineRegistration<>(
      "lathe-lowering-pipeline", "Lower lathe ops to linalg, tensor and arith",
      [](OpPassManager &pm) { buildLoweringPipeline(pm); });
  PassPipelineRegistration<CpuPipelineOptions>(
      "lathe-cpu-codegen-pipeline",
      "The CPU target's code generation: linalg on tensors to the LLVM "
      "dialect",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        buildCpuCodegenPipeline(pm, options.tuning());
      });
  PassPipelineRegistration<CpuPipelineOptions>(
      "lathe-cpu-pipeline",
      "Lower lathe ops to the LLVM dialect for the CPU (what `lathe compile` "
      "runs, with the tuning given here instead of the target CPU's)",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        CpuTuning tuning = options.tuning();
        composeLevels(pm, buildCpuPolicyPipeline, [&](OpPassManager &p) {
          buildCpuCodegenPipeline(p, tuning);
        });
      });
}

namespace {

/// Runs |build|'s passes on |module|, printing the IR after each with
/// |printIR|.
LogicalResult runPasses(ModuleOp module, bool printIR,
                        llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (printIR) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting();
  }
  build(pm);
  return pm.run(module);
}

} // namespace

LogicalResult runGraphLevel(ModuleOp module, bool printIR) {
  return runPasses(module, printIR,
                   [](OpPassManager &pm) { buildGraphPipeline(pm); });
}

LogicalResult lowerBelowGraph(ModuleOp module, const Target &target,
                              bool printIR) {
  return runPasses(module, printIR,
                   [&](OpPassManager &pm) { buildBelowGraph(pm, target); });
}

LogicalResult lowerToLLVMDialect(ModuleOp module, const Target &target,
                                 bool printIR) {
  return runPasses(module, printIR,
                   [&](OpPassManager &pm) { buildTargetPipeline(pm, target); });
}

LogicalResult defineEntryPoints(ModuleOp module, bool printIR) {
  return runPasses(module, printIR, [](OpPassManager &pm) {
    pm.addPass(createDefineEntryPoints());
  });
}

} // namespace lathe
