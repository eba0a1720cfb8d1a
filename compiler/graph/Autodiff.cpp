// The lathe-autodiff pass: reverse-mode differentiation of @gradient's loss
// with respect to its parameters, one gradient rule per op
// (GradientOpInterface).
#include "compiler/graph/FunctionResults.h"
#include "compiler/graph/Passes.h"
#include "compiler/graph/TrainingOptions.h"
#include "dialects/lathe/Gradients.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_AUTODIFF
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

struct AutodiffPass : impl::AutodiffBase<AutodiffPass> {
  AutodiffPass() = default;
  AutodiffPass(const AutodiffPass &other) : AutodiffBase(other) {}
  explicit AutodiffPass(const TrainingOptions &from) {
#define LATHE_AUTODIFF_OPTION LATHE_COPY_PASS_OPTION
#include "training/Options.def"
  }

  // The options: rows of training/Options.def.
#define LATHE_AUTODIFF_OPTION LATHE_DECLARE_PASS_OPTION
#include "training/Options.def"

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

    // The arguments differentiated: parameters, and inputs when asked.
    SmallVector<Value> wrt;
    for (BlockArgument arg : func.getArguments()) {
      if (!TensorBuilder::isFloat(arg))
        continue;
      if (func.getArgAttr(arg.getArgNumber(), kParamAttr) ||
          (wrtInputs && func.getArgAttr(arg.getArgNumber(), kInputAttr)))
        wrt.push_back(arg);
    }
    SmallVector<Operation *> ops;
    for (Operation &op : block.without_terminator())
      ops.push_back(&op);
    OpBuilder b(ret);
    TensorBuilder tb{b, func.getLoc()};
    auto grads = buildReverseGradients(
        b, ops, loss, tb.scalarLike(1.0, loss), wrt, {},
        "so a model using it on the path from a parameter to the loss "
        "cannot be trained");
    if (failed(grads))
      return signalPassFailure();

    // Results: one gradient per parameter the loss depends on.
    SmallVector<Value> results(ret.getOperands());
    SmallVector<DictionaryAttr> attrs;
    func.getAllResultAttrs(attrs);
    for (auto [v, g] : llvm::zip(wrt, *grads)) {
      auto arg = cast<BlockArgument>(v);
      unsigned i = arg.getArgNumber();
      bool isParam = bool(func.getArgAttr(i, kParamAttr));
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

std::unique_ptr<mlir::Pass>
lathe::createAutodiff(const TrainingOptions &options) {
  return std::make_unique<lathe::AutodiffPass>(options);
}
