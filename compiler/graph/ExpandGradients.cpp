// The lathe-expand-gradients pass: each lathe.gradient op becomes the
// backward ops of the computation of its y, built by the dialect's gradient
// rules (buildReverseGradients, the engine lathe-autodiff uses too).
#include "compiler/graph/Passes.h"
#include "dialects/lathe/Gradients.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_EXPANDGRADIENTS
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

struct ExpandGradientsPass : impl::ExpandGradientsBase<ExpandGradientsPass> {
  void runOnOperation() override {
    SmallVector<GradientOp> gradients;
    getOperation().walk([&](GradientOp op) { gradients.push_back(op); });
    for (GradientOp op : gradients)
      if (failed(expand(op)))
        return signalPassFailure();
  }

  /// Replaces |op| with the gradients of y's sum, built before it.
  LogicalResult expand(GradientOp op) {
    // The ops that may compute y: those of op's block up to y's definition.
    Value y = op.getY();
    SmallVector<Operation *> ops;
    if (Operation *def = y.getDefiningOp();
        def && def->getBlock() == op->getBlock())
      for (Operation &o : *op->getBlock()) {
        ops.push_back(&o);
        if (&o == def)
          break;
      }
    OpBuilder b(op);
    TensorBuilder tb{b, op.getLoc()};
    SmallVector<Value> xs(op.getXs()), held(op.getHeld());
    auto grads = buildReverseGradients(
        b, ops, y,
        tb.splat(1.0, TensorBuilder::shape(y), TensorBuilder::elt(y)), xs, held,
        "so the Gradient op cannot differentiate through it");
    if (failed(grads))
      return failure();
    SmallVector<Value> results;
    for (auto [x, g] : llvm::zip(xs, *grads))
      results.push_back(g ? g : tb.zerosLike(x));
    op->replaceAllUsesWith(results);
    op->erase();
    return success();
  }
};

} // namespace
} // namespace lathe
