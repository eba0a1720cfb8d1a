// The lathe-training-mode pass: @gradient normalizes with batch statistics
// and returns the updated running statistics.
#include "compiler/FunctionResults.h"
#include "compiler/Passes.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringSet.h"

namespace lathe {
#define GEN_PASS_DEF_TRAININGMODE
#include "compiler/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// The parameter name of |v| when it is an argument of |func|.
StringAttr paramName(func::FuncOp func, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner()->getParentOp() != func)
    return {};
  return func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr);
}

struct TrainingModePass : impl::TrainingModeBase<TrainingModePass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("gradient");
    if (!func)
      return; // Nothing to train.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<Value> updates;
    SmallVector<StringAttr> names;
    llvm::StringSet<> updated;
    SmallVector<BatchNormOp> norms;
    func.walk([&](BatchNormOp op) { norms.push_back(op); });
    for (BatchNormOp op : norms) {
      OpBuilder b(op);
      TensorBuilder tb{b, op.getLoc()};
      Value x = op.getInput();
      ArrayRef<int64_t> xs = TensorBuilder::shape(x);
      SmallVector<int64_t> axes = {0}, channel(xs.size(), 1);
      int64_t count = xs[0];
      for (size_t i = 2; i < xs.size(); ++i) {
        axes.push_back(i);
        count *= xs[i];
      }
      channel[1] = xs[1];
      Value mean = tb.reduceMean(x, axes, /*keepdims=*/true);
      Value centered = tb.sub(x, mean);
      Value var = tb.reduceMean(tb.square(centered), axes, true);
      double eps = op.getEpsilon().convertToDouble();
      Value normalized =
          tb.div(centered, tb.sqrt(tb.add(var, tb.scalarLike(eps, var))));
      Value y = tb.add(tb.mul(normalized, tb.reshape(op.getScale(), channel)),
                       tb.reshape(op.getBias(), channel));
      op.getResult().replaceAllUsesWith(y);

      // Running statistics: ONNX's momentum weighs the old value.
      double m = op.getMomentum().convertToDouble();
      auto update = [&](Value running, Value batch, double correction) {
        StringAttr name = paramName(func, running);
        if (!name || !updated.insert(name.getValue()).second)
          return;
        Value flat = tb.reshape(batch, TensorBuilder::shape(running));
        updates.push_back(tb.add(tb.scale(running, m),
                                 tb.scale(flat, (1.0 - m) * correction)));
        names.push_back(name);
      };
      update(op.getMean(), mean, 1.0);
      update(op.getVar(), var,
             count > 1 ? double(count) / double(count - 1) : 1.0);
      op.erase();
    }
    if (updates.empty())
      return;
    SmallVector<Value> results(ret.getOperands());
    results.append(updates.begin(), updates.end());
    SmallVector<DictionaryAttr> attrs;
    func.getAllResultAttrs(attrs);
    OpBuilder b(&getContext());
    for (StringAttr name : names)
      attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(kUpdateAttr, name)));
    setFunctionResults(func, results, attrs);
  }
};

} // namespace
} // namespace lathe
