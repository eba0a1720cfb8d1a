// Internal to the gradient rules (Grad*.cpp): how a rule function becomes an
// external model of GradientOpInterface, and each op family's hook.
#ifndef LATHE_DIALECTS_LATHE_GRADBUILDER_H
#define LATHE_DIALECTS_LATHE_GRADBUILDER_H

#include "dialects/lathe/Gradients.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace lathe {

/// Emits <message> at |op| and returns failure.
mlir::LogicalResult gradientError(mlir::Operation *op,
                                  const llvm::Twine &message);

/// Declares an external model whose rule is a function
/// `LogicalResult rule(OpTy, TensorBuilder &, ArrayRef<Value>,
/// SmallVectorImpl<Value> &)`.
template <typename OpTy, auto Rule>
struct GradientModel
    : GradientOpInterface::ExternalModel<GradientModel<OpTy, Rule>, OpTy> {
  mlir::LogicalResult
  buildGradients(mlir::Operation *op, mlir::OpBuilder &b,
                 llvm::ArrayRef<mlir::Value> resultGrads,
                 llvm::SmallVectorImpl<mlir::Value> &operandGrads) const {
    operandGrads.assign(op->getNumOperands(), mlir::Value());
    TensorBuilder gb{b, op->getLoc()};
    return Rule(mlir::cast<OpTy>(op), gb, resultGrads, operandGrads);
  }
};

template <typename OpTy, auto Rule>
void attachGradient(mlir::MLIRContext *ctx) {
  OpTy::template attachInterface<GradientModel<OpTy, Rule>>(*ctx);
}

// One per op family (GradMath.cpp, GradNN.cpp, GradTensor.cpp,
// GradParallel.cpp).
void attachMathGradients(mlir::MLIRContext *ctx);
void attachNNGradients(mlir::MLIRContext *ctx);
void attachTensorGradients(mlir::MLIRContext *ctx);
void attachParallelGradients(mlir::MLIRContext *ctx);

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_GRADBUILDER_H
