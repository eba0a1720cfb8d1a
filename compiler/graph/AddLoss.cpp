// The lathe-add-loss pass: @forward plus a torch.nn criterion becomes
// @eval_step and @gradient.
#include "compiler/graph/FunctionResults.h"
#include "compiler/graph/Passes.h"
#include "compiler/graph/TrainingOptions.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cmath>

namespace lathe {
#define GEN_PASS_DEF_ADDLOSS
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// A criterion's inputs beyond the model's predictions.
struct CriterionInput {
  const char *name;
  RankedTensorType type;
};

struct AddLossPass : impl::AddLossBase<AddLossPass> {
  AddLossPass() = default;
  AddLossPass(const AddLossPass &other) : AddLossBase(other) {}
  explicit AddLossPass(const TrainingOptions &from) {
#define LATHE_LOSS_OPTION LATHE_COPY_PASS_OPTION
#define LATHE_LOSS_LIST LATHE_COPY_PASS_OPTION
#include "training/Options.def"
  }

  // The options: rows of training/Options.def.
#define LATHE_LOSS_OPTION LATHE_DECLARE_PASS_OPTION
#define LATHE_LOSS_LIST LATHE_DECLARE_PASS_LIST
#include "training/Options.def"

  /// How many of the model's first outputs the criterion compares.
  unsigned predictionCount() const {
    if (loss == "margin_ranking" || loss == "cosine_embedding")
      return 2;
    return loss == "triplet_margin" ? 3 : 1;
  }

  /// Builds |OpTy| (whose result type inference checks its operands),
  /// reporting a mismatch at the op's location instead of aborting.
  template <typename OpTy, typename... Args>
  FailureOr<Value> build(OpBuilder &b, Location loc, Args &&...args) {
    auto op = createInferred<OpTy>(b, loc, 1, std::forward<Args>(args)...);
    if (!op)
      return failure();
    return op->getResult(0);
  }

  /// The option's value, or the criterion's own default when unset (NaN).
  static double orDefault(double value, double fallback) {
    return std::isnan(value) ? fallback : value;
  }

  /// The criterion's extra inputs (targets, lengths) for |predictions|.
  FailureOr<SmallVector<CriterionInput>>
  criterionInputs(ArrayRef<Value> predictions, Operation *where) {
    auto pred = cast<RankedTensorType>(predictions[0].getType());
    Type i64 = IntegerType::get(&getContext(), 64);
    auto dropDim = [&](int64_t d) {
      SmallVector<int64_t> shape(pred.getShape());
      shape.erase(shape.begin() + d);
      return RankedTensorType::get(shape, i64);
    };
    auto needRank = [&](int64_t rank, StringRef layout) -> LogicalResult {
      if (pred.getRank() == rank)
        return success();
      where->emitError() << loss << " expects " << layout
                         << " predictions, got " << pred;
      return failure();
    };
    if (loss == "cross_entropy" || loss == "nll") {
      if (pred.getRank() < 2) {
        where->emitError() << loss << " expects an N x C (x d...) prediction, "
                           << "got " << pred;
        return failure();
      }
      return SmallVector<CriterionInput>{{"target", dropDim(1)}};
    }
    if (loss == "multi_margin") {
      if (failed(needRank(2, "N x C")))
        return failure();
      return SmallVector<CriterionInput>{{"target", dropDim(1)}};
    }
    if (loss == "multilabel_margin") {
      if (failed(needRank(2, "N x C")))
        return failure();
      return SmallVector<CriterionInput>{
          {"target", RankedTensorType::get(pred.getShape(), i64)}};
    }
    if (loss == "cosine_embedding") {
      if (failed(needRank(2, "two N x D")))
        return failure();
      return SmallVector<CriterionInput>{
          {"target",
           RankedTensorType::get({pred.getDimSize(0)}, pred.getElementType())}};
    }
    if (loss == "triplet_margin")
      return SmallVector<CriterionInput>{};
    if (loss == "ctc") {
      if (failed(needRank(3, "T x N x C log-probability")))
        return failure();
      int64_t steps = pred.getDimSize(0), n = pred.getDimSize(1);
      int64_t length = targetLength > 0 ? targetLength : steps;
      auto lengths = RankedTensorType::get({n}, i64);
      return SmallVector<CriterionInput>{
          {"target", RankedTensorType::get({n, length}, i64)},
          {"input_lengths", lengths},
          {"target_lengths", lengths}};
    }
    return SmallVector<CriterionInput>{{"target", pred}};
  }

  /// A per-class weight constant from --class-weight, or null.
  FailureOr<Value> classWeights(TensorBuilder &tb, Type elt, int64_t classes,
                                Operation *where) {
    if (classWeight.empty())
      return Value();
    if (int64_t(classWeight.size()) != classes) {
      where->emitError() << "--class-weight has " << classWeight.size()
                         << " values; the prediction has " << classes
                         << " classes";
      return failure();
    }
    return tb.constant(
        SmallVector<double>(classWeight.begin(), classWeight.end()), {classes},
        elt);
  }

  /// The criterion on |predictions| and the extra inputs |extra|.
  FailureOr<Value> criterion(TensorBuilder &tb, ArrayRef<Value> predictions,
                             ArrayRef<Value> extra, Operation *where) {
    MLIRContext *ctx = &getContext();
    OpBuilder &b = tb.b;
    Location loc = tb.loc;
    Value x = predictions[0];
    Type elt = TensorBuilder::elt(x);
    int64_t classes = TensorBuilder::shape(x).back();
    std::optional<Reduction> parsed = symbolizeReduction(reduction);
    if (!parsed || *parsed == Reduction::none ||
        (*parsed == Reduction::batchmean && loss != "kl_div")) {
      where->emitError("reduction '")
          << reduction << "' does not give a scalar loss for " << loss
          << " (use mean or sum"
          << (loss == "kl_div" ? ", or batchmean)" : ")");
      return failure();
    }
    auto r = ReductionAttr::get(ctx, *parsed);
    auto f64 = [&](double v) { return b.getF64FloatAttr(v); };
    auto flag = [&](bool v) { return b.getBoolAttr(v); };
    Value t = extra.empty() ? Value() : extra[0];
    bool weighted = loss == "cross_entropy" || loss == "nll" ||
                    loss == "multi_margin" ||
                    loss == "multilabel_soft_margin" || loss == "bce" ||
                    loss == "bce_with_logits";
    if (!classWeight.empty() && !weighted) {
      where->emitError() << "--class-weight does not apply to " << loss;
      return failure();
    }
    int64_t weightClasses = (loss == "cross_entropy" || loss == "nll")
                                ? TensorBuilder::shape(x)[1]
                                : classes;
    auto w = classWeights(tb, elt, weightClasses, where);
    if (failed(w))
      return failure();

    if (loss == "cross_entropy")
      return build<CrossEntropyLossOp>(b, loc, x, t, *w, r,
                                       b.getI64IntegerAttr(ignoreIndex),
                                       f64(labelSmoothing));
    if (loss == "nll")
      return build<NllLossOp>(b, loc, x, t, *w, r,
                              b.getI64IntegerAttr(ignoreIndex));
    if (loss == "mse")
      return build<MseLossOp>(b, loc, x, t, r);
    if (loss == "l1")
      return build<L1LossOp>(b, loc, x, t, r);
    if (loss == "smooth_l1")
      return build<SmoothL1LossOp>(b, loc, x, t, r, f64(beta));
    if (loss == "huber")
      return build<HuberLossOp>(b, loc, x, t, r, f64(delta));
    if (loss == "soft_margin")
      return build<SoftMarginLossOp>(b, loc, x, t, r);
    if (loss == "kl_div")
      return build<KlDivLossOp>(b, loc, x, t, r, flag(logTarget));
    if (loss == "poisson_nll")
      return build<PoissonNllLossOp>(b, loc, x, t, r, flag(!noLogInput),
                                     flag(full), f64(orDefault(lossEps, 1e-8)));
    if (loss == "hinge_embedding")
      return build<HingeEmbeddingLossOp>(b, loc, x, t, r,
                                         f64(orDefault(margin, 1.0)));
    if (loss == "bce")
      return build<BceLossOp>(b, loc, x, t, *w, r);
    if (loss == "bce_with_logits") {
      Value pw;
      if (posWeight != 1.0)
        pw = tb.splat(posWeight, {classes}, elt);
      return build<BceWithLogitsLossOp>(b, loc, x, t, *w, pw, r);
    }
    if (loss == "multilabel_soft_margin")
      return build<MultilabelSoftMarginLossOp>(b, loc, x, t, *w, r);
    if (loss == "multi_margin") {
      double p = orDefault(normP, 1.0);
      if (p != 1.0 && p != 2.0) {
        where->emitError() << "multi_margin's p must be 1 or 2, got " << p;
        return failure();
      }
      return build<MultiMarginLossOp>(b, loc, x, t, *w, r,
                                      b.getI64IntegerAttr(int64_t(p)),
                                      f64(orDefault(margin, 1.0)));
    }
    if (loss == "multilabel_margin")
      return build<MultilabelMarginLossOp>(b, loc, x, t, r);
    if (loss == "margin_ranking")
      return build<MarginRankingLossOp>(b, loc, x, predictions[1], t, r,
                                        f64(orDefault(margin, 0.0)));
    if (loss == "cosine_embedding")
      return build<CosineEmbeddingLossOp>(b, loc, x, predictions[1], t, r,
                                          f64(orDefault(margin, 0.0)));
    if (loss == "triplet_margin") {
      double p = orDefault(normP, 2.0);
      if (!(p > 0.0)) {
        where->emitError() << "triplet_margin's p must be positive, got " << p;
        return failure();
      }
      return build<TripletMarginLossOp>(
          b, loc, x, predictions[1], predictions[2], r,
          f64(orDefault(margin, 1.0)), f64(p), f64(orDefault(lossEps, 1e-6)),
          flag(swap));
    }
    if (loss == "ctc")
      return build<CtcLossOp>(b, loc, x, t, extra[1], extra[2], r,
                              b.getI64IntegerAttr(blank), flag(zeroInfinity));
    where->emitError("unknown loss '")
        << loss
        << "' (expected cross_entropy, nll, mse, l1, smooth_l1, huber, "
           "soft_margin, kl_div, poisson_nll, hinge_embedding, bce, "
           "bce_with_logits, multilabel_soft_margin, multi_margin, "
           "multilabel_margin, margin_ranking, cosine_embedding, "
           "triplet_margin, ctc or output:NAME)";
    return failure();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward) {
      module.emitError("the module has no @forward function");
      return signalPassFailure();
    }
    if (forward.getNumResults() == 0) {
      forward.emitError("@forward has no output to train");
      return signalPassFailure();
    }
    OpBuilder attrs(module.getContext());
    module->setAttr(kCriterionAttr, attrs.getStringAttr(loss.getValue()));
    module->setAttr(kIgnoreIndexAttr, attrs.getI64IntegerAttr(ignoreIndex));
    auto eval = forward.clone();
    eval.setName("eval_step");
    module.push_back(eval);
    Block &body = eval.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpBuilder b(ret);
    TensorBuilder tb{b, eval.getLoc()};
    SmallVector<Value> results(ret.getOperands());
    SmallVector<DictionaryAttr> resultAttrs;
    eval.getAllResultAttrs(resultAttrs);

    Value lossValue;
    StringRef lossName(loss);
    if (lossName.consume_front("output:")) {
      // The model's own loss output, which moves to the front.
      for (unsigned i = 0; i < eval.getNumResults(); ++i) {
        auto name = eval.getResultAttrOfType<StringAttr>(i, kOutputAttr);
        if (name && name.getValue() == lossName && !lossValue) {
          lossValue = results[i];
          results.erase(results.begin() + i);
          resultAttrs.erase(resultAttrs.begin() + i);
          break;
        }
      }
      if (!lossValue) {
        forward.emitError("the model has no output named '")
            << lossName << "' to use as its loss";
        return signalPassFailure();
      }
      auto type = cast<RankedTensorType>(lossValue.getType());
      if (type.getRank() != 0 || !isa<FloatType>(type.getElementType())) {
        forward.emitError("the loss output '")
            << lossName << "' must be a float scalar, got " << type;
        return signalPassFailure();
      }
    } else {
      // The criterion's inputs (targets, lengths) after the model's inputs.
      unsigned count = predictionCount();
      if (results.size() < count) {
        forward.emitError() << loss << " compares the model's first " << count
                            << " outputs; the model has " << results.size();
        return signalPassFailure();
      }
      ArrayRef<Value> predictions = ArrayRef<Value>(results).take_front(count);
      for (Value p : predictions)
        if (!isa<FloatType>(TensorBuilder::elt(p))) {
          forward.emitError("the model's output ")
              << p.getType()
              << " is not a float tensor; a loss needs a prediction";
          return signalPassFailure();
        }
      auto inputs = criterionInputs(predictions, forward);
      if (failed(inputs))
        return signalPassFailure();
      unsigned at = 0;
      while (at < eval.getNumArguments() && eval.getArgAttr(at, kInputAttr))
        ++at;
      SmallVector<Value> extra;
      for (const CriterionInput &in : *inputs) {
        if (failed(
                eval.insertArgument(at, in.type,
                                    b.getDictionaryAttr(b.getNamedAttr(
                                        kInputAttr, b.getStringAttr(in.name))),
                                    eval.getLoc())))
          return signalPassFailure();
        extra.push_back(eval.getArgument(at++));
      }
      auto value = criterion(tb, predictions, extra, forward);
      if (failed(value))
        return signalPassFailure();
      lossValue = *value;
    }

    // Results: the loss, then the model's outputs.
    results.insert(results.begin(), lossValue);
    resultAttrs.insert(resultAttrs.begin(),
                       b.getDictionaryAttr(b.getNamedAttr(
                           kOutputAttr, b.getStringAttr("loss"))));
    setFunctionResults(eval, results, resultAttrs);

    auto gradient = eval.clone();
    gradient.setName("gradient");
    module.push_back(gradient);
  }
};

} // namespace
} // namespace lathe

std::unique_ptr<mlir::Pass>
lathe::createAddLoss(const TrainingOptions &options) {
  return std::make_unique<lathe::AddLossPass>(options);
}
