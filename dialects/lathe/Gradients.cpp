// The gradient interface: its generated definitions and the registration of
// every op family's rules.
#include "dialects/lathe/GradBuilder.h"

#include "mlir/IR/Diagnostics.h"

#include "llvm/ADT/DenseSet.h"

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
    attachParallelGradients(ctx);
  });
}

FailureOr<SmallVector<Value>>
buildReverseGradients(OpBuilder &b, ArrayRef<Operation *> ops, Value y,
                      Value seed, ArrayRef<Value> wrt, ArrayRef<Value> held,
                      StringRef consequence) {
  // Forward: the float values that depend on a |wrt| value.
  DenseSet<Value> active;
  for (Value v : wrt)
    if (TensorBuilder::isFloat(v))
      active.insert(v);
  DenseSet<Value> constant(held.begin(), held.end());
  auto isActive = [&](Value v) {
    return active.contains(v) && !constant.contains(v);
  };
  for (Operation *op : ops)
    if (llvm::any_of(op->getOperands(), isActive))
      for (Value r : op->getResults())
        if (TensorBuilder::isFloat(r))
          active.insert(r);

  // Backward, in reverse op order.
  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value v, Value g) {
    auto [it, inserted] = grads.try_emplace(v, g);
    if (!inserted)
      it->second = AddOp::create(b, g.getLoc(), it->second, g);
  };
  if (isActive(y))
    grads[y] = seed;
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      Value g = isActive(r) ? grads.lookup(r) : Value();
      resultGrads.push_back(g);
      any |= bool(g);
    }
    if (!any)
      continue;
    auto rule = dyn_cast<GradientOpInterface>(op);
    if (!rule)
      return op->emitError("'")
             << op->getName() << "' has no gradient rule, " << consequence;
    // The rule's ops carry the op's location (its ONNX node).
    SmallVector<Value> operandGrads;
    if (failed(rule.buildGradients(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!g || !isActive(operand))
        continue;
      if (g.getType() != operand.getType())
        return op->emitError("internal error: the gradient rule of '")
               << op->getName() << "' gave " << g.getType() << " for an "
               << operand.getType() << " operand";
      accumulate(operand, g);
    }
  }
  SmallVector<Value> result;
  for (Value v : wrt)
    result.push_back(isActive(v) ? grads.lookup(v) : Value());
  return result;
}

} // namespace lathe
