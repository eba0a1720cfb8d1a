// ONNX import of the loss family: NLL and softmax cross-entropy.
#include "frontends/onnx/Importer.h"

namespace lathe::onnx_import {

FailureOr<Value> Importer::buildNllLoss(const NodeProto &node, Value logp) {
  auto target = input(node, 1);
  auto weight = optionalInput(node, 2);
  if (failed(target) || failed(weight))
    return failure();
  std::string name = stringAttr(node, "reduction", "mean");
  std::optional<Reduction> reduction = symbolizeReduction(name);
  if (!reduction) {
    error(node) << "reduction '" << name
                << "' is not one of none, mean and sum";
    return failure();
  }
  IntegerAttr ignore;
  if (const auto *a = findAttr(node, "ignore_index"))
    ignore = b.getI64IntegerAttr(a->i());
  return build<NllLossOp>(node, logp, *target, *weight, *reduction, ignore);
}

LogicalResult Importer::nllLoss(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = buildNllLoss(node, *x);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::softmaxCrossEntropy(const NodeProto &node) {
  // cross_entropy(x, t) = nll_loss(log_softmax(x, axis 1), t).
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  if (cast<RankedTensorType>(x->getType()).getRank() < 2)
    return error(node) << "expected N x C (x d...) scores";
  auto logp = finish(LogSoftmaxOp::create(b, loc, x->getType(), *x, 1));
  if (failed(logp))
    return failure();
  auto y = buildNllLoss(node, *logp);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  if (node.output_size() > 1 && !node.output(1).empty())
    setOutput(node, 1, *logp);
  return success();
}

} // namespace lathe::onnx_import
