// Static statistics of a lathe module: op counts and arithmetic cost.
#include "compiler/graph/ModelStats.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace lathe {

static int64_t elements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

static int64_t opFlops(Operation *op) {
  if (auto conv = dyn_cast<Conv2dOp>(op)) {
    auto w = conv.getWeight().getType();
    int64_t perOutput = 2 * w.getDimSize(1) * w.getDimSize(2) * w.getDimSize(3);
    return elements(conv.getResult()) * (perOutput + (conv.getBias() ? 1 : 0));
  }
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    auto a = gemm.getA().getType();
    int64_t k = a.getDimSize(gemm.getTransA() ? 0 : 1);
    return elements(gemm.getResult()) * (2 * k + (gemm.getC() ? 2 : 0));
  }
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    int64_t k = mm.getLhs().getType().getShape().back();
    return elements(mm.getResult()) * 2 * k;
  }
  if (auto pool = dyn_cast<MaxPool2dOp>(op))
    return elements(pool.getResult()) * pool.getKernel()[0] *
           pool.getKernel()[1];
  if (auto pool = dyn_cast<AvgPool2dOp>(op))
    return elements(pool.getResult()) *
           (pool.getKernel()[0] * pool.getKernel()[1] + 1);
  if (auto pool = dyn_cast<AdaptiveAvgPool2dOp>(op))
    return elements(pool.getInput()) + elements(pool.getResult());
  if (isa<BatchNormOp>(op))
    return 2 * elements(op->getResult(0));
  if (isa<SoftmaxOp, LogSoftmaxOp>(op))
    return 5 * elements(op->getResult(0));
  if (isa<ReshapeOp, TransposeOp, ConstantOp>(op))
    return 0;
  if (op->getNumResults() == 1 &&
      isa<RankedTensorType>(op->getResult(0).getType()))
    return elements(op->getResult(0));
  return 0;
}

ModelStats computeModelStats(ModuleOp module) {
  ModelStats stats;
  module.walk([&](Operation *op) {
    if (!isa<LatheDialect>(op->getDialect()))
      return;
    ++stats.opCounts[op->getName().getStringRef().str()];
    stats.flops += opFlops(op);
  });
  return stats;
}

} // namespace lathe
