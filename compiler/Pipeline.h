// Pipelines: the only place that orders Lathe's passes.
#ifndef LATHE_COMPILER_PIPELINE_H
#define LATHE_COMPILER_PIPELINE_H

#include "mlir/Support/LLVM.h"

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

/// The passes lowerToLLVMDialect runs on a builtin.module, as text.
std::string cpuPipelineText();

/// Registers the pipelines as passes of lathe-opt (`--lathe-cpu-pipeline`).
void registerLathePipelines();

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_H
