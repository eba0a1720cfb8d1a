// The lathe-average-gradients pass: data-parallel training's gradients are
// averaged across the replicas before the optimizer sees them.
#include "compiler/graph/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_AVERAGEGRADIENTS
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

struct AverageGradientsPass : impl::AverageGradientsBase<AverageGradientsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("gradient");
    if (!func) {
      module.emitError("lathe-average-gradients: no @gradient function");
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    // Each parameter's gradient as soon as it is computed, so that the
    // replicas' collectives come in the order the backward pass produces
    // them (the same order on every replica: the same code).
    SmallVector<unsigned> grads;
    for (unsigned i = 0; i < ret.getNumOperands(); ++i)
      if (func.getResultAttr(i, kGradAttr))
        grads.push_back(i);
    DenseMap<Value, Value> averaged;
    for (unsigned i : grads) {
      Value g = ret.getOperand(i);
      auto &mean = averaged[g];
      if (!mean) {
        OpBuilder b(func.getContext());
        if (Operation *def = g.getDefiningOp())
          b.setInsertionPointAfter(def);
        else
          b.setInsertionPointToStart(&func.getBody().front());
        mean = AllReduceMeanOp::create(b, g.getLoc(), g);
      }
      ret.setOperand(i, mean);
    }
  }
};

} // namespace
} // namespace lathe
