// Rewriting an entry function's signature: the training passes each grow
// or shrink @eval_step / @gradient / @train_step's results, and add
// hyperparameter arguments.
#ifndef LATHE_COMPILER_GRAPH_FUNCTIONRESULTS_H
#define LATHE_COMPILER_GRAPH_FUNCTIONRESULTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace lathe {

/// Makes |func| (one block) return |results|, with |attrs| as their result
/// attributes: the return op is replaced and the function type updated.
void setFunctionResults(mlir::func::FuncOp func,
                        llvm::ArrayRef<mlir::Value> results,
                        llvm::ArrayRef<mlir::DictionaryAttr> attrs);

/// |func|'s hyperparameter |name| (a rank-0 f64 argument marked
/// lathe.hyper), inserted as argument |at| (default: last) when missing.
mlir::BlockArgument hyperArgument(mlir::func::FuncOp func, llvm::StringRef name,
                                  std::optional<unsigned> at = std::nullopt);

} // namespace lathe

#endif // LATHE_COMPILER_GRAPH_FUNCTIONRESULTS_H
