// The lathe-autodiff pass: reverse-mode differentiation of @gradient's loss
// with respect to its parameters, one gradient rule per op
// (GradientOpInterface).
#include "compiler/FunctionResults.h"
#include "compiler/Passes.h"
#include "dialects/lathe/Gradients.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_AUTODIFF
#include "compiler/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

struct AutodiffPass : impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("gradient");
    if (!func)
      return;
    Block &block = func.getBody().front();
    auto ret = cast<func::ReturnOp>(block.getTerminator());
    Value loss = ret.getOperand(0);
    auto lossType = cast<RankedTensorType>(loss.getType());
    if (lossType.getRank() != 0 || !isa<FloatType>(lossType.getElementType())) {
      func.emitError("the loss must be a float scalar, got ") << lossType;
      return signalPassFailure();
    }

    // Forward: the values that depend on a differentiated argument.
    SmallVector<BlockArgument> wrt;
    for (BlockArgument arg : func.getArguments()) {
      if (!TensorBuilder::isFloat(arg))
        continue;
      if (func.getArgAttr(arg.getArgNumber(), kParamAttr) ||
          (wrtInputs && func.getArgAttr(arg.getArgNumber(), kInputAttr)))
        wrt.push_back(arg);
    }
    DenseSet<Value> active(wrt.begin(), wrt.end());
    for (Operation &op : block.without_terminator())
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return active.contains(v); }))
        for (Value r : op.getResults())
          if (TensorBuilder::isFloat(r))
            active.insert(r);

    // Backward, appended before the return in reverse op order.
    OpBuilder b(ret);
    TensorBuilder tb{b, func.getLoc()};
    DenseMap<Value, Value> grads;
    auto accumulate = [&](Value v, Value g) {
      auto [it, inserted] = grads.try_emplace(v, g);
      if (!inserted)
        it->second = AddOp::create(b, g.getLoc(), it->second, g);
    };
    grads[loss] = tb.scalarLike(1.0, loss);
    SmallVector<Operation *> ops;
    for (Operation &op : block.without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops)) {
      SmallVector<Value> resultGrads;
      bool any = false;
      for (Value r : op->getResults()) {
        Value g = active.contains(r) ? grads.lookup(r) : Value();
        resultGrads.push_back(g);
        any |= bool(g);
      }
      if (!any)
        continue;
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule) {
        op->emitError("'")
            << op->getName()
            << "' has no gradient rule, so a model using it on the path "
               "from a parameter to the loss cannot be trained";
        return signalPassFailure();
      }
      // The rule's ops carry the op's location (its ONNX node).
      SmallVector<Value> operandGrads;
      if (failed(rule.buildGradients(b, resultGrads, operandGrads)))
        return signalPassFailure();
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
        if (g && active.contains(operand)) {
          if (g.getType() != operand.getType()) {
            op->emitError("internal error: the gradient rule of '")
                << op->getName() << "' gave " << g.getType() << " for an "
                << operand.getType() << " operand";
            return signalPassFailure();
          }
          accumulate(operand, g);
        }
    }

    // Results: one gradient per parameter the loss depends on.
    SmallVector<Value> results(ret.getOperands());
    SmallVector<DictionaryAttr> attrs;
    func.getAllResultAttrs(attrs);
    for (BlockArgument arg : wrt) {
      unsigned i = arg.getArgNumber();
      bool isParam = bool(func.getArgAttr(i, kParamAttr));
      Value g = grads.lookup(arg);
      if (!g) {
        if (isParam)
          continue; // Not trained: the loss does not depend on it.
        g = tb.splat(0.0, TensorBuilder::shape(arg), TensorBuilder::elt(arg));
      }
      auto name = func.getArgAttrOfType<StringAttr>(i, isParam ? kParamAttr
                                                               : kInputAttr);
      results.push_back(g);
      attrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr(isParam ? kGradAttr : kInputGradAttr, name)));
    }
    setFunctionResults(func, results, attrs);
  }
};

} // namespace
} // namespace lathe
