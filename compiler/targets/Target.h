// The seam between the target-independent compiler and a code generation
// target: what `--target` selects. A target is one folder under
// compiler/targets/ (its passes, its pipeline, its object emission).
#ifndef LATHE_COMPILER_TARGETS_TARGET_H
#define LATHE_COMPILER_TARGETS_TARGET_H

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace lathe {

/// What the user asked for: `--target`, `--target-triple`, `--target-cpu`.
struct TargetOptions {
  std::string name = "cpu"; ///< The --target name.
  std::string triple;       ///< Empty: this machine.
  std::string cpu;          ///< Empty: this machine's CPU (generic if cross).
  std::string features;     ///< Empty: the CPU's own.
};

/// A code generation target. The compiler runs the graph and lowering
/// pipelines, then the target's: buildPolicyPipeline on lathe ops (what the
/// target computes natively), buildCodegenPipeline from linalg on tensors to
/// the LLVM dialect; then emitObject turns the translated LLVM module into
/// an object file.
class Target {
public:
  virtual ~Target() = default;

  /// The --target name ("cpu").
  virtual const char *name() const = 0;
  /// The LLVM target triple the objects are for.
  virtual const std::string &triple() const = 0;
  /// The descriptor's `target` record: triple, CPU and the parameters the
  /// pipeline was built with, e.g. "x86_64-pc-linux-gnu znver4 avx512
  /// vector-bits=512 vector-registers=32".
  virtual std::string description() const = 0;
  /// The descriptor's `cpu-features` record: the instruction-set extensions
  /// (descriptor::kX86CpuFeatures, kAArch64CpuFeatures) the code may use,
  /// which the runtime checks on the running CPU before loading it.
  virtual std::vector<std::string> cpuFeatures() const = 0;

  /// Passes on lathe ops before lowering (e.g. widening half floats).
  virtual void buildPolicyPipeline(mlir::OpPassManager &pm) const = 0;
  /// Passes from linalg on tensors to the LLVM dialect.
  virtual void buildCodegenPipeline(mlir::OpPassManager &pm) const = 0;

  /// Sets |module|'s triple and data layout (before anything is added).
  virtual void prepare(llvm::Module &module) const = 0;
  /// Optimizes (when |optimize|) and emits |module| as an object file.
  virtual llvm::Expected<std::vector<char>> emitObject(llvm::Module &module,
                                                       bool optimize) const = 0;
};

/// The targets `--target` accepts, for help texts and errors.
const char *knownTargets();

/// The target |options| name, configured for their triple and CPU; fails
/// naming an unknown target, triple or CPU.
llvm::Expected<std::unique_ptr<Target>>
makeTarget(const TargetOptions &options);

} // namespace lathe

#endif // LATHE_COMPILER_TARGETS_TARGET_H
