// The lathe-training-mode pass: @gradient normalizes with batch statistics
// and returns the updated running statistics, and its dropouts drop.
#include "compiler/graph/FunctionResults.h"
#include "compiler/graph/Passes.h"
#include "compiler/graph/TrainingOptions.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringSet.h"

namespace lathe {
#define GEN_PASS_DEF_TRAININGMODE
#include "compiler/graph/Passes.h.inc"
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

/// The shape of |op|'s draws: the input's, or N x C x 1... per channel.
SmallVector<int64_t> drawShape(DropoutOp op) {
  SmallVector<int64_t> shape(TensorBuilder::shape(op.getInput()));
  if (op.getChannelwise())
    for (size_t i = 2; i < shape.size(); ++i)
      shape[i] = 1;
  return shape;
}

/// Counters each step may draw: step s draws from [(s - 1) * kStepCounters,
/// s * kStepCounters), whatever the batch size of the step's artifact.
constexpr int64_t kStepCounters = int64_t(1) << 32;

/// Replaces every dropout of |func| by its training form, drawing from
/// counters (step - 1) * kStepCounters + base + i.
LogicalResult lowerDropouts(func::FuncOp func, uint64_t seed) {
  SmallVector<DropoutOp> drops;
  func.walk([&](DropoutOp op) { drops.push_back(op); });
  if (drops.empty())
    return success();
  Value step = hyperArgument(func, "step");
  int64_t base = 0;
  for (DropoutOp op : drops) {
    OpBuilder b(op);
    TensorBuilder tb{b, op.getLoc()};
    Value x = op.getInput();
    Type f64 = b.getF64Type(), i64 = b.getI64Type();
    SmallVector<int64_t> shape = drawShape(op);
    Value offset = tb.add(tb.mul(tb.sub(tb.cast(step, i64), tb.scalar(1, i64)),
                                 tb.scalar(double(kStepCounters), i64)),
                          tb.scalar(double(base), i64));
    base += RankedTensorType::get(shape, f64).getNumElements();
    if (base > kStepCounters)
      return op.emitError("the step's dropouts draw more than 2^32 "
                          "random numbers");
    double ratio = op.getRatio().convertToDouble();
    Value u = RandomOp::create(
        b, op.getLoc(), RankedTensorType::get(shape, f64), offset,
        DistributionAttr::get(b.getContext(), Distribution::uniform),
        b.getF64FloatAttr(0.0), b.getF64FloatAttr(1.0),
        b.getI64IntegerAttr(int64_t(seed + uint64_t(op.getSeed()))));
    Value keep = tb.logicalNot(tb.less(u, tb.scalar(ratio, f64)));
    Value y = ratio >= 1.0 ? tb.zerosLike(x)
                           : tb.mul(x, tb.scale(tb.toFloat(keep, tb.elt(x)),
                                                1.0 / (1.0 - ratio)));
    op.getOutput().replaceAllUsesWith(y);
    op.getMask().replaceAllUsesWith(
        shape == TensorBuilder::shape(x)
            ? keep
            : tb.expand(keep, TensorBuilder::shape(x)));
    op.erase();
  }
  return success();
}

struct TrainingModePass : impl::TrainingModeBase<TrainingModePass> {
  TrainingModePass() = default;
  TrainingModePass(const TrainingModePass &other) : TrainingModeBase(other) {}
  explicit TrainingModePass(const TrainingOptions &from) {
#define LATHE_TRAINING_MODE_OPTION LATHE_COPY_PASS_OPTION
#include "training/Options.def"
  }

  // The options: rows of training/Options.def.
#define LATHE_TRAINING_MODE_OPTION LATHE_DECLARE_PASS_OPTION
#include "training/Options.def"

  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("gradient");
    if (!func)
      return; // Nothing to train.
    if (failed(lowerDropouts(func, seed)))
      return signalPassFailure();
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<Value> updates;
    SmallVector<StringAttr> names;
    llvm::StringSet<> updated;
    SmallVector<BatchNormOp> norms;
    func.walk([&](BatchNormOp op) { norms.push_back(op); });
    for (BatchNormOp op : norms) {
      OpBuilder b(op);
      TensorBuilder tb{b, op.getLoc()};
      TensorBuilder::BatchStatistics batch =
          tb.batchStatistics(op, syncBatchNorm);
      op.getResult().replaceAllUsesWith(batch.y);

      // Running statistics: ONNX's momentum weighs the old value.
      double m = op.getMomentum().convertToDouble();
      auto update = [&](Value running, Value stat, double correction) {
        StringAttr name = paramName(func, running);
        if (!name || !updated.insert(name.getValue()).second)
          return;
        Value flat = tb.reshape(stat, TensorBuilder::shape(running));
        updates.push_back(tb.add(tb.scale(running, m),
                                 tb.scale(flat, (1.0 - m) * correction)));
        names.push_back(name);
      };
      // PyTorch's running variance is unbiased (over the whole batch of
      // every replica with sync-batch-norm).
      int64_t count = batch.count * (syncBatchNorm ? int64_t(replicas) : 1);
      update(op.getMean(), batch.mean, 1.0);
      update(op.getVar(), batch.variance,
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

std::unique_ptr<mlir::Pass>
lathe::createTrainingMode(const TrainingOptions &options) {
  return std::make_unique<lathe::TrainingModePass>(options);
}
