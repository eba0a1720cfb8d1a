// Writing what a compile produces: the files `lathe compile --emit` names
// (shared object, object, header, the lathe-dialect module, the LLVM
// dialect), for every frontend (the CLI, the C++ DSL's lathe::compile).
#ifndef LATHE_COMPILER_EMIT_H
#define LATHE_COMPILER_EMIT_H

#include "compiler/Artifact.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace lathe {

/// The kinds --emit knows, in the order they are written.
inline const char *const kEmitKinds[] = {"mlir", "llvm-dialect", "obj",
                                         "header", "so"};

struct EmitOptions {
  /// Output path without extension: each kind appends its own (.so, .o,
  /// .h, .mlir, .llvm.mlir; .weights for external weights).
  std::string base;
  std::vector<std::string> kinds; ///< Of kEmitKinds; empty: so.
  /// Symbol prefix, target, weights placement (name empty: from |base|'s
  /// file name; weightsFileName is set from |base|).
  ArtifactOptions artifact;
  /// When set and only text kinds (mlir, llvm-dialect) are asked for, the
  /// text goes here instead of a file.
  llvm::raw_ostream *textStream = nullptr;
};

/// A C identifier derived from a file name: "resnet-18" -> "resnet_18".
std::string identifierFrom(llvm::StringRef stem);

/// Compiles |model| (its module is consumed) and writes every kind asked
/// for, each file atomically and nothing until everything compiled (the
/// text kinds, written before code generation, excepted). Calls |wrote|
/// with each path and its size. Errors: an unknown kind, a --name that is
/// no C identifier, a missing output folder, a failed compile (whose
/// diagnostics went to the module's context first) or write.
llvm::Error
emitModel(Model &model, const EmitOptions &options,
          llvm::function_ref<void(const std::string &, size_t)> wrote);

} // namespace lathe

#endif // LATHE_COMPILER_EMIT_H
