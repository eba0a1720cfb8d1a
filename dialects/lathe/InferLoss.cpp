// Result-type inference and verifiers of the lathe dialect's loss family:
// torch.nn's criteria.
#include "dialects/lathe/InferUtils.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace lathe;
using namespace lathe::infer;

namespace {

/// A loss's result: |perElement| under reduction none, else a scalar; only
/// kl_div_loss takes batchmean.
LogicalResult lossResult(std::optional<Location> loc, StringRef op,
                         Reduction reduction, ArrayRef<int64_t> perElement,
                         Type elt, SmallVectorImpl<Type> &results) {
  if (reduction == Reduction::batchmean && op != "lathe.kl_div_loss")
    return fail(loc, op + " does not take reduction batchmean (only "
                          "lathe.kl_div_loss does)");
  results.push_back(RankedTensorType::get(
      reduction == Reduction::none ? perElement : ArrayRef<int64_t>{}, elt));
  return success();
}

/// The broadcast shape of same-typed float |operands|.
FailureOr<SmallVector<int64_t>> lossBroadcast(std::optional<Location> loc,
                                              StringRef op,
                                              ArrayRef<Value> operands) {
  SmallVector<int64_t> shape(rankedType(operands[0]).getShape());
  Type elt = rankedType(operands[0]).getElementType();
  for (Value v : operands.drop_front()) {
    RankedTensorType t = rankedType(v);
    auto next = broadcastShapes(shape, t.getShape());
    if (failed(next) || t.getElementType() != elt) {
      std::string msg;
      llvm::raw_string_ostream os(msg);
      os << op << " expected operands of one element type and broadcastable "
         << "shapes, got " << rankedType(operands[0]) << " and " << t;
      (void)fail(loc, msg);
      return failure();
    }
    shape = *next;
  }
  return shape;
}

/// An optional per-class weight: |classes| elements of type |elt|.
LogicalResult classWeight(std::optional<Location> loc, StringRef op, Value w,
                          int64_t classes, Type elt) {
  if (!w)
    return success();
  RankedTensorType t = rankedType(w);
  if (t.getRank() != 1 || t.getDimSize(0) != classes ||
      t.getElementType() != elt)
    return fail(loc, op + " expected one weight per class (" + Twine(classes) +
                         ") of the input's element type");
  return success();
}

/// `N x C` or `C` scores: the per-sample shape (`N` or scalar) and C.
LogicalResult samplesByClasses(std::optional<Location> loc, StringRef op,
                               RankedTensorType x,
                               SmallVectorImpl<int64_t> &samples) {
  if (x.getRank() != 1 && x.getRank() != 2) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << op << " expected an N x C or C input, got " << x;
    return fail(loc, msg);
  }
  samples.assign(x.getShape().begin(), x.getShape().end() - 1);
  return success();
}

/// An element-wise loss over broadcast |operands| (the first one's type).
LogicalResult inferBroadcastLoss(std::optional<Location> loc, StringRef op,
                                 Reduction reduction, ArrayRef<Value> operands,
                                 SmallVectorImpl<Type> &results) {
  auto shape = lossBroadcast(loc, op, operands);
  if (failed(shape))
    return failure();
  return lossResult(loc, op, reduction, *shape,
                    rankedType(operands[0]).getElementType(), results);
}

/// |operands| without the absent optional ones.
SmallVector<Value> present(std::initializer_list<Value> operands) {
  SmallVector<Value> out;
  for (Value v : operands)
    if (v)
      out.push_back(v);
  return out;
}

template <typename Adaptor>
LogicalResult inferPointwiseLoss(std::optional<Location> loc, StringRef op,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(loc, op, adaptor.getReduction(),
                            {adaptor.getInput(), adaptor.getTarget()}, results);
}

} // namespace

LogicalResult NllLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType t = rankedType(adaptor.getTarget());
  if (x.getRank() < 2)
    return fail(loc, "lathe.nll_loss expected an N x C (x d...) input, got "
                     "rank " +
                         Twine(x.getRank()));
  SmallVector<int64_t> targetShape(x.getShape());
  targetShape.erase(targetShape.begin() + 1);
  if (t.getShape() != ArrayRef<int64_t>(targetShape)) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << "lathe.nll_loss expected a target of shape N x d... matching the "
          "input "
       << x << ", got " << t;
    return fail(loc, msg);
  }
  if (failed(classWeight(loc, "lathe.nll_loss", adaptor.getWeight(),
                         x.getDimSize(1), x.getElementType())))
    return failure();
  return lossResult(loc, "lathe.nll_loss", adaptor.getReduction(), targetShape,
                    x.getElementType(), results);
}

#define LATHE_POINTWISE_LOSS(OpTy, name)                                       \
  LogicalResult OpTy::inferReturnTypes(                                        \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    return inferPointwiseLoss(loc, name, adaptor, results);                    \
  }
LATHE_POINTWISE_LOSS(L1LossOp, "lathe.l1_loss")
LATHE_POINTWISE_LOSS(MseLossOp, "lathe.mse_loss")
LATHE_POINTWISE_LOSS(SmoothL1LossOp, "lathe.smooth_l1_loss")
LATHE_POINTWISE_LOSS(HuberLossOp, "lathe.huber_loss")
LATHE_POINTWISE_LOSS(SoftMarginLossOp, "lathe.soft_margin_loss")
LATHE_POINTWISE_LOSS(KlDivLossOp, "lathe.kl_div_loss")
LATHE_POINTWISE_LOSS(PoissonNllLossOp, "lathe.poisson_nll_loss")
LATHE_POINTWISE_LOSS(HingeEmbeddingLossOp, "lathe.hinge_embedding_loss")
#undef LATHE_POINTWISE_LOSS

LogicalResult BceLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(
      loc, "lathe.bce_loss", adaptor.getReduction(),
      present({adaptor.getInput(), adaptor.getTarget(), adaptor.getWeight()}),
      results);
}

LogicalResult BceWithLogitsLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(
      loc, "lathe.bce_with_logits_loss", adaptor.getReduction(),
      present({adaptor.getInput(), adaptor.getTarget(), adaptor.getWeight(),
               adaptor.getPosWeight()}),
      results);
}

LogicalResult MultilabelSoftMarginLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.multilabel_soft_margin_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  SmallVector<int64_t> samples;
  if (failed(samplesByClasses(loc, op, x, samples)) ||
      failed(classWeight(loc, op, adaptor.getWeight(), x.getShape().back(),
                         x.getElementType())))
    return failure();
  if (rankedType(adaptor.getTarget()) != x)
    return fail(loc, op + " expected a target of the input's type");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

LogicalResult
CrossEntropyLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                     Adaptor adaptor,
                                     SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.cross_entropy_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType t = rankedType(adaptor.getTarget());
  if (x.getRank() < 1)
    return fail(loc, op + " expected an N x C x d... or C input");
  int64_t classAxis = x.getRank() == 1 ? 0 : 1;
  SmallVector<int64_t> perElement(x.getShape());
  perElement.erase(perElement.begin() + classAxis);
  if (isa<FloatType>(t.getElementType())) {
    if (t != x)
      return fail(loc, op + " expected probability targets of the input's "
                            "type");
  } else if (t.getShape() != ArrayRef<int64_t>(perElement)) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << op << " expected class targets of shape N x d... matching the input "
       << x << ", got " << t;
    return fail(loc, msg);
  }
  double smoothing = adaptor.getLabelSmoothing().convertToDouble();
  if (smoothing < 0.0 || smoothing > 1.0)
    return fail(loc, op + " expected label_smoothing in [0, 1]");
  if (failed(classWeight(loc, op, adaptor.getWeight(), x.getDimSize(classAxis),
                         x.getElementType())))
    return failure();
  return lossResult(loc, op, adaptor.getReduction(), perElement,
                    x.getElementType(), results);
}

LogicalResult
MultiMarginLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.multi_margin_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  SmallVector<int64_t> samples;
  if (failed(samplesByClasses(loc, op, x, samples)) ||
      failed(classWeight(loc, op, adaptor.getWeight(), x.getShape().back(),
                         x.getElementType())))
    return failure();
  if (rankedType(adaptor.getTarget()).getShape() != ArrayRef<int64_t>(samples))
    return fail(loc, op + " expected one class index per sample");
  if (adaptor.getP() != 1 && adaptor.getP() != 2)
    return fail(loc,
                op + " expected p of 1 or 2, got " + Twine(adaptor.getP()));
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

LogicalResult MultilabelMarginLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.multilabel_margin_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  SmallVector<int64_t> samples;
  if (failed(samplesByClasses(loc, op, x, samples)))
    return failure();
  if (rankedType(adaptor.getTarget()).getShape() != x.getShape())
    return fail(loc, op + " expected a target of the input's shape");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

/// N x D (or D) pairs or triplets of one type: the per-sample shape.
static LogicalResult pairedSamples(std::optional<Location> loc, StringRef op,
                                   ArrayRef<Value> inputs,
                                   SmallVectorImpl<int64_t> &samples) {
  RankedTensorType x = rankedType(inputs[0]);
  if (failed(samplesByClasses(loc, op, x, samples)))
    return failure();
  for (Value v : inputs.drop_front())
    if (rankedType(v) != x)
      return fail(loc, op + " expected inputs of one type");
  return success();
}

LogicalResult MarginRankingLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(
      loc, "lathe.margin_ranking_loss", adaptor.getReduction(),
      {adaptor.getInput1(), adaptor.getInput2(), adaptor.getTarget()}, results);
}

LogicalResult CosineEmbeddingLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.cosine_embedding_loss";
  SmallVector<int64_t> samples;
  if (failed(pairedSamples(loc, op, {adaptor.getInput1(), adaptor.getInput2()},
                           samples)))
    return failure();
  RankedTensorType x = rankedType(adaptor.getInput1());
  RankedTensorType t = rankedType(adaptor.getTarget());
  if (t.getShape() != ArrayRef<int64_t>(samples) ||
      t.getElementType() != x.getElementType())
    return fail(loc, op + " expected one target per sample, of the inputs' "
                          "element type");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

LogicalResult TripletMarginLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.triplet_margin_loss";
  SmallVector<int64_t> samples;
  if (failed(pairedSamples(
          loc, op,
          {adaptor.getAnchor(), adaptor.getPositive(), adaptor.getNegative()},
          samples)))
    return failure();
  if (adaptor.getP().convertToDouble() <= 0.0)
    return fail(loc, op + " expected a positive norm degree p");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    rankedType(adaptor.getAnchor()).getElementType(), results);
}

LogicalResult CtcLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.ctc_loss";
  RankedTensorType lp = rankedType(adaptor.getLogProbs());
  RankedTensorType y = rankedType(adaptor.getTargets());
  if (lp.getRank() != 3)
    return fail(loc, op + " expected T x N x C log-probabilities");
  int64_t n = lp.getDimSize(1), classes = lp.getDimSize(2);
  if ((y.getRank() != 2 || y.getDimSize(0) != n) && y.getRank() != 1)
    return fail(loc, op +
                         " expected padded N x S or concatenated (rank-1) "
                         "targets for N = " +
                         Twine(n));
  for (Value lengths : {adaptor.getInputLengths(), adaptor.getTargetLengths()})
    if (rankedType(lengths).getShape() != ArrayRef<int64_t>{n})
      return fail(loc, op +
                           " expected one input length and one target "
                           "length per sample (N = " +
                           Twine(n) + ")");
  auto blank = int64_t(adaptor.getBlank());
  if (blank < 0 || blank >= classes)
    return fail(loc, op + " expected a blank class in [0, " + Twine(classes) +
                         "), got " + Twine(blank));
  return lossResult(loc, op, adaptor.getReduction(), {n}, lp.getElementType(),
                    results);
}

/// Shapes of a recurrent layer with |gates| gates: X T x N x I, W D x gH x I,
/// R D x gH x H, B D x 2gH, states D x N x H, peepholes D x 3H, sequence
/// lengths N; results T x D x N x H and D x N x H.
