// Interfaces of the lathe dialect.
#ifndef LATHE_INTERFACES_TD
#define LATHE_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Lathe_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::lathe";
  let description = [{
    The reverse-mode gradient rule of a differentiable op: given the
    gradients of the loss with respect to the op's results, it builds the
    lathe ops computing the gradients with respect to its operands. The
    autodiff pass (`lathe-autodiff`) asks every op on the path from a
    parameter to the loss for its rule; an op without one is an error there.
    Rules are attached to the ops as external models
    (`registerGradientInterfaces`), one file per op family.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, at `b`'s insertion point, the gradient of every operand.
        `resultGrads[i]` is the gradient of result `i` (same type as the
        result) or null when no gradient reaches it. On success
        `operandGrads` holds one value per operand: its gradient (the
        operand's type), or null where none flows (integer operands,
        piecewise-constant functions). Failure means the rule does not
        cover this instance (it has emitted an error at the op).
      }], "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$b,
           "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // LATHE_INTERFACES_TD
