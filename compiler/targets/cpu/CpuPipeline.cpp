// The CPU target's pipelines: the only place that orders its passes.
#include "compiler/targets/cpu/CpuTarget.h"
#include "compiler/targets/cpu/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace lathe {

void buildCpuPolicyPipeline(OpPassManager &pm) {
  // Half precision is storage: each op computes in f32.
  pm.addPass(createWidenHalfFloats());
}

void buildCpuCodegenPipeline(OpPassManager &pm, const CpuTuning &tuning) {
  // Element-wise chains as one loop; never recomputed inside a contraction.
  pm.addPass(createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // Contractions: convolutions as matrix products, register-blocked vector
  // code sized for the target's vectors and registers, accumulators kept in
  // registers across the k loop.
  pm.addPass(createConvToIm2col());
  pm.addPass(createCanonicalizerPass());
  VectorizeContractionsOptions vectorize;
  vectorize.vectorWidth = tuning.vectorWidth();
  vectorize.accumulatorRegisters = tuning.accumulatorRegisters();
  pm.addNestedPass<func::FuncOp>(createVectorizeContractions(vectorize));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantSubsetHoistingPass());
  pm.addPass(createCanonicalizerPass());
  // Every other large op: tiles over its outermost parallel dimension.
  pm.addNestedPass<func::FuncOp>(createParallelizeLinalg());
  pm.addPass(createCanonicalizerPass());
  // Buffers: static shapes, results written into caller buffers, the
  // caller's inputs and weights never written.
  pm.addNestedPass<func::FuncOp>(createReadOnlyArguments());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addNestedPass<func::FuncOp>(createDistinctResults());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferHoistingPass());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  // One caller-provided arena for every intermediate buffer.
  pm.addPass(createPlanMemory());
  pm.addPass(createLowerMemrefCopy());
  // Parallel tile loops become tasks for the caller's thread pool.
  pm.addPass(createOutlineParallelLoops());
  // Collectives (data-parallel builds) as calls that take the call context.
  pm.addPass(createOutlineCollectives());
  pm.addPass(createForallToForLoopPass());
  pm.addPass(createCanonicalizerPass());
  // Loops and vectors, then the LLVM dialect.
  pm.addPass(createConvertLinalgToLoopsPass());
  VectorTransferToSCFOptions unroll;
  unroll.unroll = true;
  pm.addPass(createConvertVectorToSCFPass(unroll));
  // f32 transcendental functions as polynomials: no libm call per element,
  // so their loops vectorize.
  pm.addPass(createApproximateMath());
  // f32 -> bf16 rounding as integer code (libgcc 12 has no helper).
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  // Math: LLVM intrinsics where they exist, libm calls otherwise.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // The parallel tasks' dispatch functions and trampolines.
  pm.addPass(createDefineDispatches());
  // The collectives' helpers: the call environment's all-reduce hook.
  pm.addPass(createDefineCollectives());
}

} // namespace lathe
