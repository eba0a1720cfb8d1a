// Gradient rules of the lathe dialect: the GradientOpInterface and how to
// attach its rules to the ops.
#ifndef LATHE_DIALECTS_LATHE_GRADIENTS_H
#define LATHE_DIALECTS_LATHE_GRADIENTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/lathe/LatheInterfaces.h.inc"

namespace lathe {

/// Attaches the gradient rule of every differentiable lathe op (external
/// models of GradientOpInterface). Call before the context loads the
/// dialect, as with any dialect extension.
void registerGradientInterfaces(mlir::DialectRegistry &registry);

/// Reverse-mode differentiation, the one engine behind lathe-autodiff and
/// lathe-expand-gradients: the gradients of |y| (seeded with |seed|, of
/// y's type) with respect to each of |wrt|, through |ops| (in program
/// order; those that depend on no |wrt| value are skipped). Values in
/// |held| are held constant: no gradient flows through them. The backward
/// ops are built at |b|'s insertion point, after every op of |ops|. Returns
/// one gradient per |wrt| value, null where |y| does not depend on it.
/// Fails, with an error at the op, when an op on the path has no rule; the
/// error ends with |consequence| ("so ... cannot be trained").
mlir::FailureOr<llvm::SmallVector<mlir::Value>> buildReverseGradients(
    mlir::OpBuilder &b, llvm::ArrayRef<mlir::Operation *> ops, mlir::Value y,
    mlir::Value seed, llvm::ArrayRef<mlir::Value> wrt,
    llvm::ArrayRef<mlir::Value> held, llvm::StringRef consequence);

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_GRADIENTS_H
