// The gradient interface: its generated definitions and the registration of
// every op family's rules.
#include "dialects/lathe/GradBuilder.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;

#include "dialects/lathe/LatheInterfaces.cpp.inc"

namespace lathe {

LogicalResult gradientError(Operation *op, const Twine &message) {
  return op->emitError() << message;
}

void registerGradientInterfaces(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, LatheDialect *) {
    attachMathGradients(ctx);
    attachNNGradients(ctx);
    attachTensorGradients(ctx);
  });
}

} // namespace lathe
