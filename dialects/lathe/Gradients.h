// Gradient rules of the lathe dialect: the GradientOpInterface and how to
// attach its rules to the ops.
#ifndef LATHE_DIALECTS_LATHE_GRADIENTS_H
#define LATHE_DIALECTS_LATHE_GRADIENTS_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/lathe/LatheInterfaces.h.inc"

namespace lathe {

/// Attaches the gradient rule of every differentiable lathe op (external
/// models of GradientOpInterface). Call before the context loads the
/// dialect, as with any dialect extension.
void registerGradientInterfaces(mlir::DialectRegistry &registry);

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_GRADIENTS_H
