// Weights visible to graph passes: each parameter's value as an attribute
// (kValueAttr, a dense resource) on its @forward argument, from the
// frontend's Model until artifact emission takes them back. A pass may read
// and rewrite them (lathe-fold-batch-norm does in inference builds).
#ifndef LATHE_COMPILER_GRAPH_WEIGHTS_H
#define LATHE_COMPILER_GRAPH_WEIGHTS_H

#include "frontends/Model.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <vector>

namespace lathe {

/// The argument attribute holding a parameter's value.
inline constexpr const char kValueAttr[] = "lathe.value";

/// Moves |params| (in the order of @forward's lathe.param arguments) onto
/// those arguments as kValueAttr. Fails, with a diagnostic, when the count
/// or a size does not match.
mlir::LogicalResult attachWeights(mlir::ModuleOp module,
                                  std::vector<Parameter> &params);

/// Takes the values back from @forward's parameter arguments, in order, and
/// removes kValueAttr from every function. Fails, with a diagnostic, for a
/// parameter without a value.
mlir::FailureOr<std::vector<Parameter>> detachWeights(mlir::ModuleOp module);

/// The bytes of a weight value (a dense resource or dense elements; a
/// splat is expanded into |storage|), row-major; nullopt for anything else.
std::optional<llvm::ArrayRef<char>> weightBytes(mlir::Attribute value,
                                                std::vector<char> &storage);

/// A weight value of |type| holding |bytes|, as a dense resource named
/// |name|.
mlir::Attribute makeWeight(mlir::RankedTensorType type, llvm::StringRef name,
                           llvm::ArrayRef<char> bytes);

} // namespace lathe

#endif // LATHE_COMPILER_GRAPH_WEIGHTS_H
