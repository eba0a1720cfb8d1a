// The lathe-decompose-losses pass: each torch.nn criterion becomes the lathe
// ops of its definition (as PyTorch computes it), so that autodiff and the
// lowerings need nothing loss-specific beyond nll_loss.
#include "compiler/graph/Passes.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace lathe {
#define GEN_PASS_DEF_DECOMPOSELOSSES
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// TensorBuilder plus the pieces criteria share.
struct LossBuilder : TensorBuilder {
  Value relu(Value x) { return ReluOp::create(b, loc, x); }
  Value abs(Value x) { return AbsOp::create(b, loc, x); }
  Value softplus(Value x) { return SoftplusOp::create(b, loc, x); }
  Value max(Value x, Value y) { return MaxOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return MinOp::create(b, loc, x, y); }
  Value one(Value like) { return scalarLike(1.0, like); }
  Value zero(Value like) { return scalarLike(0.0, like); }
  /// |x| with a new unit dimension at |axis|.
  Value unsqueeze(Value x, int64_t axis) {
    SmallVector<int64_t> s(shape(x));
    s.insert(s.begin() + axis, 1);
    return reshape(x, s);
  }
  /// Sum over the last dimension.
  Value sumLast(Value x) {
    return reduceSum(x, {int64_t(shape(x).size()) - 1}, false);
  }
  /// Integer indices as i64.
  Value indices(Value v) {
    return elt(v).isInteger(64) ? v : cast(v, b.getI64Type());
  }

  /// torch.nn's reduction of per-element losses |loss|; batchmean divides
  /// the sum by |batch|.
  Value reduce(Value loss, Reduction reduction, int64_t batch = 1) {
    switch (reduction) {
    case Reduction::none:
      return loss;
    case Reduction::mean:
      return reduceMean(loss, allAxes(loss), false);
    case Reduction::sum:
      return reduceSum(loss, allAxes(loss), false);
    case Reduction::batchmean:
      return scale(reduceSum(loss, allAxes(loss), false), 1.0 / double(batch));
    }
    llvm_unreachable("unknown reduction");
  }
};

// Element-wise criteria.

Value decompose(LossBuilder &lb, L1LossOp op) {
  return lb.reduce(lb.abs(lb.sub(op.getInput(), op.getTarget())),
                   op.getReduction());
}

Value decompose(LossBuilder &lb, MseLossOp op) {
  return lb.reduce(lb.square(lb.sub(op.getInput(), op.getTarget())),
                   op.getReduction());
}

/// smooth_l1 (k = beta) and huber (k = delta, times k): quadratic below k.
Value smoothL1(LossBuilder &lb, Value x, Value t, double k, bool huber) {
  Value d = lb.sub(x, t);
  Value a = lb.abs(d);
  if (k <= 0.0)
    return huber ? lb.zerosLike(a) : a;
  Value quad = lb.scale(lb.square(d), huber ? 0.5 : 0.5 / k);
  Value lin = lb.sub(a, lb.scalarLike(0.5 * k, a));
  if (huber)
    lin = lb.scale(lin, k);
  return lb.where(lb.less(a, lb.scalarLike(k, a)), quad, lin);
}

Value decompose(LossBuilder &lb, SmoothL1LossOp op) {
  return lb.reduce(smoothL1(lb, op.getInput(), op.getTarget(),
                            op.getBeta().convertToDouble(), false),
                   op.getReduction());
}

Value decompose(LossBuilder &lb, HuberLossOp op) {
  return lb.reduce(smoothL1(lb, op.getInput(), op.getTarget(),
                            op.getDelta().convertToDouble(), true),
                   op.getReduction());
}

Value decompose(LossBuilder &lb, SoftMarginLossOp op) {
  return lb.reduce(lb.softplus(lb.neg(lb.mul(op.getTarget(), op.getInput()))),
                   op.getReduction());
}

Value decompose(LossBuilder &lb, KlDivLossOp op) {
  Value x = op.getInput(), t = op.getTarget(), loss;
  if (op.getLogTarget()) {
    loss = lb.mul(lb.exp(t), lb.sub(t, x));
  } else {
    // t (log t - x), 0 where t = 0 (xlogy); log reads 1 there.
    Value positive = lb.greater(t, lb.zero(t));
    Value safe = lb.where(positive, t, lb.one(t));
    loss = lb.where(positive, lb.mul(t, lb.sub(lb.log(safe), x)), lb.zero(t));
  }
  return lb.reduce(loss, op.getReduction(),
                   lb.shape(x).empty() ? 1 : lb.shape(x)[0]);
}

Value decompose(LossBuilder &lb, PoissonNllLossOp op) {
  Value x = op.getInput(), t = op.getTarget();
  Value loss =
      op.getLogInput()
          ? lb.sub(lb.exp(x), lb.mul(t, x))
          : lb.sub(x,
                   lb.mul(t, lb.log(lb.add(
                                 x, lb.scalarLike(op.getEps().convertToDouble(),
                                                  x)))));
  if (op.getFull()) {
    // Stirling: t log t - t + 0.5 log(2 pi t), where t > 1.
    Value big = lb.greater(t, lb.one(t));
    Value safe = lb.where(big, t, lb.one(t));
    Value stirling = lb.add(lb.sub(lb.mul(safe, lb.log(safe)), safe),
                            lb.scale(lb.log(lb.scale(safe, 2.0 * M_PI)), 0.5));
    loss = lb.add(loss, lb.mask(big, stirling));
  }
  return lb.reduce(loss, op.getReduction());
}

Value decompose(LossBuilder &lb, HingeEmbeddingLossOp op) {
  // PyTorch's form: a target that is neither 1 nor -1 adds both terms.
  Value x = op.getInput(), y = op.getTarget();
  Value margin =
      lb.relu(lb.sub(lb.scalarLike(op.getMargin().convertToDouble(), x), x));
  Value notPos = lb.logicalNot(lb.equal(y, lb.one(y)));
  Value notNeg = lb.logicalNot(lb.equal(y, lb.scalarLike(-1.0, y)));
  return lb.reduce(lb.add(lb.mask(notPos, margin), lb.mask(notNeg, x)),
                   op.getReduction());
}

Value decompose(LossBuilder &lb, MarginRankingLossOp op) {
  Value d = lb.sub(op.getInput1(), op.getInput2());
  Value loss =
      lb.relu(lb.add(lb.neg(lb.mul(op.getTarget(), d)),
                     lb.scalarLike(op.getMargin().convertToDouble(), d)));
  return lb.reduce(loss, op.getReduction());
}

Value decompose(LossBuilder &lb, BceLossOp op) {
  Value x = op.getInput(), t = op.getTarget();
  // PyTorch clamps each log at -100.
  Value floor = lb.scalarLike(-100.0, x);
  Value logx = lb.max(lb.log(x), floor);
  Value log1mx = lb.max(lb.log(lb.sub(lb.one(x), x)), floor);
  Value loss =
      lb.neg(lb.add(lb.mul(t, logx), lb.mul(lb.sub(lb.one(t), t), log1mx)));
  if (Value w = op.getWeight())
    loss = lb.mul(loss, w);
  return lb.reduce(loss, op.getReduction());
}

Value decompose(LossBuilder &lb, BceWithLogitsLossOp op) {
  // (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)).
  Value x = op.getInput(), t = op.getTarget();
  Value positive = lb.one(t);
  if (Value pw = op.getPosWeight())
    positive = lb.add(lb.one(t), lb.mul(lb.sub(pw, lb.one(pw)), t));
  Value loss = lb.add(lb.mul(lb.sub(lb.one(t), t), x),
                      lb.mul(positive, lb.softplus(lb.neg(x))));
  if (Value w = op.getWeight())
    loss = lb.mul(loss, w);
  return lb.reduce(loss, op.getReduction());
}

// Criteria over a class (or feature) dimension.

Value decompose(LossBuilder &lb, MultilabelSoftMarginLossOp op) {
  // -(y log s(x) + (1 - y) log s(-x)) = y softplus(-x) + (1 - y) softplus(x).
  Value x = op.getInput(), y = op.getTarget();
  Value loss = lb.add(lb.mul(y, lb.softplus(lb.neg(x))),
                      lb.mul(lb.sub(lb.one(y), y), lb.softplus(x)));
  if (Value w = op.getWeight())
    loss = lb.mul(loss, w);
  int64_t classes = lb.shape(x).back();
  return lb.reduce(lb.scale(lb.sumLast(loss), 1.0 / double(classes)),
                   op.getReduction());
}

/// |x| (N x C (x d...) or C) batched, and the per-sample result back.
struct Batched {
  Value x;
  bool unbatched;
  Batched(LossBuilder &lb, Value input)
      : x(input), unbatched(lb.shape(input).size() == 1) {
    if (unbatched)
      x = lb.unsqueeze(x, 0);
  }
  Value back(LossBuilder &lb, Value perSample) const {
    return unbatched ? lb.reshape(perSample, {}) : perSample;
  }
};

/// Class-index cross-entropy on N x C x d... logits.
Value classCrossEntropy(LossBuilder &lb, CrossEntropyLossOp op, Value x,
                        Value t) {
  Value w = op.getWeight();
  Reduction reduction = op.getReduction();
  int64_t ignore = op.getIgnoreIndex();
  Value logp = LogSoftmaxOp::create(lb.b, lb.loc, x, int64_t(1));
  Value nll =
      NllLossOp::create(lb.b, lb.loc, logp, t, w,
                        ReductionAttr::get(lb.b.getContext(), reduction),
                        lb.b.getI64IntegerAttr(ignore));
  double e = op.getLabelSmoothing().convertToDouble();
  if (e == 0.0)
    return nll;
  // PyTorch: (1 - e) nll + e / C * smooth, smooth = -sum_c w_c logp_c over
  // the counted elements; mean divides by their summed target weights.
  int64_t classes = lb.shape(x)[1];
  Value weighted =
      w ? lb.mul(logp, lb.perChannel(w, lb.shape(x).size())) : logp;
  Value counted = lb.logicalNot(
      lb.equal(t, lb.scalar(double(ignore), TensorBuilder::elt(t))));
  Value smooth = lb.mask(counted, lb.neg(lb.reduceSum(weighted, {1}, false)));
  Value reduced = smooth;
  if (reduction != Reduction::none)
    reduced = lb.reduceSum(smooth, TensorBuilder::allAxes(smooth), false);
  if (reduction == Reduction::mean) {
    Value share = lb.toFloat(counted, lb.elt(x));
    if (w)
      share = lb.mask(counted, GatherOp::create(lb.b, lb.loc, w, t,
                                                lb.b.getI64IntegerAttr(0)));
    reduced = lb.div(reduced,
                     lb.reduceSum(share, TensorBuilder::allAxes(share), false));
  }
  return lb.add(lb.scale(nll, 1.0 - e), lb.scale(reduced, e / double(classes)));
}

/// Probability-target cross-entropy on N x C x d... logits.
Value probabilityCrossEntropy(LossBuilder &lb, CrossEntropyLossOp op, Value x,
                              Value t) {
  int64_t classes = lb.shape(x)[1];
  double e = op.getLabelSmoothing().convertToDouble();
  Value logp = LogSoftmaxOp::create(lb.b, lb.loc, x, int64_t(1));
  if (e > 0.0)
    t = lb.add(lb.scale(t, 1.0 - e), lb.scalarLike(e / double(classes), t));
  Value prod = lb.mul(logp, t);
  if (Value w = op.getWeight())
    prod = lb.mul(prod, lb.perChannel(w, lb.shape(x).size()));
  Value loss = lb.neg(lb.reduceSum(prod, {1}, false));
  if (op.getReduction() == Reduction::mean)
    return lb.scale(lb.reduceSum(loss, TensorBuilder::allAxes(loss), false),
                    1.0 / double(lb.type(loss).getNumElements()));
  return lb.reduce(loss, op.getReduction());
}

Value decompose(LossBuilder &lb, CrossEntropyLossOp op) {
  Batched in(lb, op.getInput());
  Value t = op.getTarget();
  if (in.unbatched)
    t = lb.unsqueeze(t, 0);
  Value loss = TensorBuilder::isFloat(t)
                   ? probabilityCrossEntropy(lb, op, in.x, t)
                   : classCrossEntropy(lb, op, in.x, t);
  return op.getReduction() == Reduction::none ? in.back(lb, loss) : loss;
}

Value decompose(LossBuilder &lb, MultiMarginLossOp op) {
  Batched in(lb, op.getInput());
  Value x = in.x;
  int64_t n = lb.shape(x)[0], classes = lb.shape(x)[1];
  Value y = lb.reshape(lb.indices(op.getTarget()), {n, 1});
  Value xy =
      GatherElementsOp::create(lb.b, lb.loc, x, y, lb.b.getI64IntegerAttr(1));
  Value h = lb.relu(lb.add(
      lb.sub(lb.scalarLike(op.getMargin().convertToDouble(), x), xy), x));
  if (op.getP() == 2)
    h = lb.square(h);
  if (Value w = op.getWeight())
    h = lb.mul(h,
               GatherOp::create(lb.b, lb.loc, w, y, lb.b.getI64IntegerAttr(0)));
  // Every class but the target's.
  Value others =
      lb.sub(lb.one(h), lb.oneHot(lb.reshape(y, {n}), classes, 1, lb.elt(h)));
  Value loss = lb.scale(lb.sumLast(lb.mul(h, others)), 1.0 / double(classes));
  return lb.reduce(in.back(lb, loss), op.getReduction());
}

Value decompose(LossBuilder &lb, MultilabelMarginLossOp op) {
  Batched in(lb, op.getInput());
  Value x = in.x;
  Type elt = lb.elt(x);
  int64_t classes = lb.shape(x)[1];
  Value y = lb.indices(op.getTarget());
  if (in.unbatched)
    y = lb.unsqueeze(y, 0);
  // Target k of a row counts when no -1 (negative) comes at or before it.
  Value negative = lb.toFloat(lb.less(y, lb.scalar(0.0, lb.elt(y))), elt);
  Value valid = lb.equal(
      CumSumOp::create(lb.b, lb.loc, negative, int64_t(1), false, false),
      lb.zero(negative));
  Value validF = lb.toFloat(valid, elt);
  Value safe = lb.mask(valid, y);
  // is_target[n, c]: some counted target names c.
  Value hits = lb.mul(lb.oneHot(safe, classes, 2, elt),
                      lb.unsqueeze(validF, 2)); // N x K x C
  Value isTarget = lb.reduceMax(hits, {1}, false);
  // sum over counted k and non-target i of max(0, 1 - x[y_k] + x[i]).
  Value xt = GatherElementsOp::create(lb.b, lb.loc, x, safe,
                                      lb.b.getI64IntegerAttr(1)); // N x K
  Value z = lb.relu(lb.add(lb.sub(lb.one(x), lb.unsqueeze(xt, 2)),
                           lb.unsqueeze(x, 1))); // N x K x C
  Value counted = lb.mul(lb.unsqueeze(validF, 2),
                         lb.unsqueeze(lb.sub(lb.one(isTarget), isTarget), 1));
  Value loss = lb.scale(lb.reduceSum(lb.mul(z, counted), {1, 2}, false),
                        1.0 / double(classes));
  return lb.reduce(in.back(lb, loss), op.getReduction());
}

Value decompose(LossBuilder &lb, CosineEmbeddingLossOp op) {
  Value x1 = op.getInput1(), x2 = op.getInput2(), y = op.getTarget();
  Value tiny = lb.scalarLike(1e-12, x1);
  Value dot = lb.sumLast(lb.mul(x1, x2));
  Value m1 = lb.add(lb.sumLast(lb.square(x1)), tiny);
  Value m2 = lb.add(lb.sumLast(lb.square(x2)), tiny);
  Value cos = lb.div(dot, lb.sqrt(lb.mul(m1, m2)));
  Value pos = lb.sub(lb.one(cos), cos);
  Value neg = lb.relu(
      lb.sub(cos, lb.scalarLike(op.getMargin().convertToDouble(), cos)));
  Value loss = lb.add(lb.mask(lb.equal(y, lb.one(y)), pos),
                      lb.mask(lb.equal(y, lb.scalarLike(-1.0, y)), neg));
  return lb.reduce(loss, op.getReduction());
}

/// torch.pairwise_distance: ||u - v + eps||_p over the last dimension.
Value pairwiseDistance(LossBuilder &lb, Value u, Value v, double p,
                       double eps) {
  Value d = lb.add(lb.sub(u, v), lb.scalarLike(eps, u));
  if (p == 2.0)
    return lb.sqrt(lb.sumLast(lb.square(d)));
  if (p == 1.0)
    return lb.sumLast(lb.abs(d));
  Value powered = PowOp::create(lb.b, lb.loc, lb.abs(d), lb.scalarLike(p, d));
  return PowOp::create(lb.b, lb.loc, lb.sumLast(powered),
                       lb.scalarLike(1.0 / p, d));
}

Value decompose(LossBuilder &lb, TripletMarginLossOp op) {
  double p = op.getP().convertToDouble(), eps = op.getEps().convertToDouble();
  Value a = op.getAnchor(), pos = op.getPositive(), neg = op.getNegative();
  Value dPos = pairwiseDistance(lb, a, pos, p, eps);
  Value dNeg = pairwiseDistance(lb, a, neg, p, eps);
  if (op.getSwap())
    dNeg = lb.min(dNeg, pairwiseDistance(lb, pos, neg, p, eps));
  Value loss = lb.relu(lb.add(
      lb.sub(dPos, dNeg), lb.scalarLike(op.getMargin().convertToDouble(), a)));
  return lb.reduce(loss, op.getReduction());
}

// CTC: the forward (alpha) recursion in log space, unrolled over the static
// number of steps; autodiff then derives the backward recursion.

/// Targets as padded N x S (concatenated ones gathered by their offsets).
Value paddedTargets(LossBuilder &lb, Value targets, Value lengths, int64_t n) {
  targets = lb.indices(targets);
  if (lb.shape(targets).size() == 2)
    return targets;
  int64_t total = lb.shape(targets)[0];
  Value offsets =
      CumSumOp::create(lb.b, lb.loc, lengths, int64_t(0), true, false);
  SmallVector<double> positions;
  for (int64_t s = 0; s < total; ++s)
    positions.push_back(double(s));
  Value at = lb.add(lb.reshape(offsets, {n, 1}),
                    lb.constant(positions, {1, total}, lb.b.getI64Type()));
  return GatherOp::create(lb.b, lb.loc, targets, at, lb.b.getI64IntegerAttr(0));
}

/// log(exp(a) + exp(b) (+ exp(c))) shifted by the maximum.
Value logAddExp(LossBuilder &lb, ArrayRef<Value> terms) {
  Value m = terms[0];
  for (Value t : terms.drop_front())
    m = lb.max(m, t);
  Value sum;
  for (Value t : terms) {
    Value e = lb.exp(lb.sub(t, m));
    sum = sum ? lb.add(sum, e) : e;
  }
  return lb.add(m, lb.log(sum));
}

Value decompose(LossBuilder &lb, CtcLossOp op) {
  Value lp = op.getLogProbs();
  Type elt = lb.elt(lp);
  Type i64 = lb.b.getI64Type();
  int64_t steps = lb.shape(lp)[0], n = lb.shape(lp)[1];
  // Stands for log(0): finite, so that sums of impossible paths stay
  // finite and their gradients zero.
  const double impossible = -1e30;
  Value inputLengths = lb.indices(op.getInputLengths());
  Value targetLengths = lb.indices(op.getTargetLengths());
  Value targets = paddedTargets(lb, op.getTargets(), targetLengths, n);
  int64_t s = lb.shape(targets)[1], labels = 2 * s + 1;
  // Extended labels: blank, y1, blank, y2, ..., blank.
  SmallVector<double> from, odd, blanks, canSkip, start;
  for (int64_t l = 0; l < labels; ++l) {
    from.push_back(l % 2 ? double((l - 1) / 2) : 0.0);
    odd.push_back(l % 2 ? 1.0 : 0.0);
    blanks.push_back(l % 2 ? 0.0 : double(op.getBlank()));
    canSkip.push_back(l % 2 && l >= 2 ? 1.0 : 0.0);
    start.push_back(l < 2 ? 1.0 : 0.0);
  }
  Type i1 = lb.b.getI1Type();
  // |v| (N x L) moved k labels right, |fill| entering at the left.
  auto shiftRight = [&](Value v, int64_t k, double fill) {
    return lb.pad(lb.slice(v, {0, 0}, {n, labels - k}), {0, k}, {0, 0}, fill);
  };
  Value ext = lb.add(lb.mul(GatherOp::create(lb.b, lb.loc, targets,
                                             lb.constant(from, {labels}, i64),
                                             lb.b.getI64IntegerAttr(1)),
                            lb.constant(odd, {labels}, i64)),
                     lb.constant(blanks, {labels}, i64));
  // A label may follow the one two back unless it is a blank or repeats.
  Value skip;
  if (labels >= 3) {
    skip = lb.logicalAnd(lb.logicalNot(lb.equal(ext, shiftRight(ext, 2, -1.0))),
                         lb.constant(canSkip, {labels}, i1));
  }
  // e[t, n, l] = lp[t, n, ext[n, l]].
  Value e = GatherElementsOp::create(lb.b, lb.loc, lp,
                                     lb.expand(ext, {steps, n, labels}),
                                     lb.b.getI64IntegerAttr(2));
  auto step = [&](int64_t t) {
    return lb.reshape(lb.slice(e, {t, 0, 0}, {1, n, labels}), {n, labels});
  };
  Value none = lb.splat(impossible, {n, labels}, elt);
  Value alpha = lb.where(lb.constant(start, {labels}, i1), step(0), none);
  Value lengthsF = lb.reshape(lb.cast(inputLengths, elt), {n, 1});
  for (int64_t t = 1; t < steps; ++t) {
    SmallVector<Value> terms = {alpha};
    if (labels >= 2)
      terms.push_back(shiftRight(alpha, 1, impossible));
    if (skip)
      terms.push_back(lb.where(skip, shiftRight(alpha, 2, impossible), none));
    Value next = lb.add(logAddExp(lb, terms), step(t));
    // Samples whose input has ended (t >= input_lengths) keep their alpha.
    Value active = lb.greater(lengthsF, lb.scalar(double(t) + 0.5, elt));
    alpha = lb.where(active, next, alpha);
  }
  // Paths end on the last label or the blank after it.
  Value last = lb.reshape(lb.scale(targetLengths, 2.0), {n, 1});
  Value endBlank = GatherElementsOp::create(lb.b, lb.loc, alpha, last,
                                            lb.b.getI64IntegerAttr(1));
  Value lastLabel =
      lb.max(lb.sub(last, lb.scalar(1.0, i64)), lb.scalar(0.0, i64));
  Value endLabel =
      lb.where(lb.greater(last, lb.scalar(0.0, i64)),
               GatherElementsOp::create(lb.b, lb.loc, alpha, lastLabel,
                                        lb.b.getI64IntegerAttr(1)),
               lb.splat(impossible, {n, 1}, elt));
  Value loss = lb.reshape(lb.neg(logAddExp(lb, {endBlank, endLabel})), {n});
  // A loss near -impossible had no valid alignment.
  Value infeasible = lb.greater(loss, lb.scalar(-impossible / 10, elt));
  loss = lb.where(infeasible,
                  lb.scalar(op.getZeroInfinity()
                                ? 0.0
                                : std::numeric_limits<double>::infinity(),
                            elt),
                  loss);
  if (op.getReduction() == Reduction::mean) {
    Value divisor = lb.max(lb.cast(targetLengths, elt), lb.scalar(1.0, elt));
    return lb.reduceMean(lb.div(loss, divisor), {0}, false);
  }
  return lb.reduce(loss, op.getReduction());
}

template <typename OpTy> struct DecomposeLoss : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    LossBuilder lb{{rewriter, op.getLoc()}};
    rewriter.replaceOp(op, decompose(lb, op));
    return success();
  }
};

struct DecomposeLossesPass
    : public impl::DecomposeLossesBase<DecomposeLossesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<
        DecomposeLoss<L1LossOp>, DecomposeLoss<MseLossOp>,
        DecomposeLoss<SmoothL1LossOp>, DecomposeLoss<HuberLossOp>,
        DecomposeLoss<SoftMarginLossOp>, DecomposeLoss<KlDivLossOp>,
        DecomposeLoss<PoissonNllLossOp>, DecomposeLoss<HingeEmbeddingLossOp>,
        DecomposeLoss<MarginRankingLossOp>, DecomposeLoss<BceLossOp>,
        DecomposeLoss<BceWithLogitsLossOp>,
        DecomposeLoss<MultilabelSoftMarginLossOp>,
        DecomposeLoss<CrossEntropyLossOp>, DecomposeLoss<MultiMarginLossOp>,
        DecomposeLoss<MultilabelMarginLossOp>,
        DecomposeLoss<CosineEmbeddingLossOp>,
        DecomposeLoss<TripletMarginLossOp>, DecomposeLoss<CtcLossOp>>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace lathe
