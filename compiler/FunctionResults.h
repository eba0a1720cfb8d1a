// Rewriting what an entry function returns: the training passes each grow
// or shrink @eval_step / @gradient / @train_step's results.
#ifndef LATHE_COMPILER_FUNCTIONRESULTS_H
#define LATHE_COMPILER_FUNCTIONRESULTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace lathe {

/// Makes |func| (one block) return |results|, with |attrs| as their result
/// attributes: the return op is replaced and the function type updated.
void setFunctionResults(mlir::func::FuncOp func,
                        llvm::ArrayRef<mlir::Value> results,
                        llvm::ArrayRef<mlir::DictionaryAttr> attrs);

} // namespace lathe

#endif // LATHE_COMPILER_FUNCTIONRESULTS_H
