// The lathe-add-loss pass: @forward plus a torch.nn criterion becomes
// @eval_step and @gradient.
#include "compiler/FunctionResults.h"
#include "compiler/Passes.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_ADDLOSS
#include "compiler/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

struct AddLossPass : impl::AddLossBase<AddLossPass> {
  using AddLossBase::AddLossBase;

  /// Reduces per-element losses as `reduction` says.
  FailureOr<Value> reduce(TensorBuilder &tb, Value elementwise,
                          Operation *where) {
    if (reduction == "mean")
      return tb.reduceMean(elementwise, TensorBuilder::allAxes(elementwise),
                           false);
    if (reduction == "sum")
      return tb.reduceSum(elementwise, TensorBuilder::allAxes(elementwise),
                          false);
    if (reduction == "batchmean" && loss == "kl_div")
      return tb.scale(
          tb.reduceSum(elementwise, TensorBuilder::allAxes(elementwise), false),
          1.0 / double(TensorBuilder::shape(elementwise)[0]));
    where->emitError("reduction '")
        << reduction << "' does not give a scalar loss for " << loss
        << " (use mean or sum" << (loss == "kl_div" ? ", or batchmean)" : ")");
    return failure();
  }

  /// The criterion on |x| (the prediction) and |t| (the target).
  FailureOr<Value> criterion(TensorBuilder &tb, Value x, Value t,
                             Operation *where) {
    Type elt = TensorBuilder::elt(x);
    auto one = [&] { return tb.scalar(1.0, elt); };
    if (loss == "cross_entropy" || loss == "nll") {
      Value logp =
          loss == "nll"
              ? x
              : LogSoftmaxOp::create(tb.b, tb.loc, x, int64_t(1)).getResult();
      Reduction r = reduction == "sum" ? Reduction::sum : Reduction::mean;
      if (reduction != "sum" && reduction != "mean") {
        where->emitError("reduction '")
            << reduction << "' does not give a scalar loss (use mean or sum)";
        return failure();
      }
      Value nll = NllLossOp::create(tb.b, tb.loc, logp, t, Value(),
                                    ReductionAttr::get(tb.b.getContext(), r),
                                    tb.b.getI64IntegerAttr(ignoreIndex));
      if (labelSmoothing == 0.0 || loss == "nll")
        return nll;
      // torch: (1 - e) nll + e / C * smooth, smooth = -sum_c logp over the
      // counted (not ignored) elements, divided by their count for mean.
      int64_t classes = TensorBuilder::shape(x)[1];
      Value counted = tb.toFloat(
          tb.logicalNot(tb.equal(
              t, tb.scalar(double(ignoreIndex), TensorBuilder::elt(t)))),
          elt);
      Value perElement =
          tb.mul(tb.neg(tb.reduceSum(logp, {1}, /*keepdims=*/false)), counted);
      Value smooth =
          tb.reduceSum(perElement, TensorBuilder::allAxes(perElement), false);
      if (r == Reduction::mean)
        smooth = tb.div(
            smooth,
            tb.reduceSum(counted, TensorBuilder::allAxes(counted), false));
      return tb.add(tb.scale(nll, 1.0 - labelSmoothing),
                    tb.scale(smooth, labelSmoothing / double(classes)));
    }
    Value d = tb.sub(x, t);
    Value perElement;
    if (loss == "mse") {
      perElement = tb.square(d);
    } else if (loss == "l1") {
      perElement = AbsOp::create(tb.b, tb.loc, d);
    } else if (loss == "smooth_l1" || loss == "huber") {
      Value a = AbsOp::create(tb.b, tb.loc, d);
      double k = loss == "huber" ? delta : beta;
      if (k <= 0.0 && loss == "smooth_l1") {
        perElement = a;
      } else {
        Value small = tb.less(a, tb.scalar(k, elt));
        Value quad = tb.scale(tb.square(d), loss == "huber" ? 0.5 : 0.5 / k);
        Value lin = tb.sub(a, tb.scalar(0.5 * k, elt));
        if (loss == "huber")
          lin = tb.scale(lin, k);
        perElement = tb.where(small, quad, lin);
      }
    } else if (loss == "bce") {
      // torch clamps each log at -100.
      Value floor = tb.scalar(-100.0, elt);
      Value logx = MaxOp::create(tb.b, tb.loc, tb.log(x), floor);
      Value log1mx =
          MaxOp::create(tb.b, tb.loc, tb.log(tb.sub(one(), x)), floor);
      perElement =
          tb.neg(tb.add(tb.mul(t, logx), tb.mul(tb.sub(one(), t), log1mx)));
    } else if (loss == "bce_with_logits") {
      // (1 - t) x + w (log(1 + exp(-x))), w = 1 + (pos_weight - 1) t,
      // with log(1 + exp(-x)) = m + log(exp(-m) + exp(-x - m)), m = max(-x, 0).
      Value m = ReluOp::create(tb.b, tb.loc, tb.neg(x));
      Value soft = tb.add(
          m, tb.log(tb.add(tb.exp(tb.neg(m)), tb.exp(tb.sub(tb.neg(x), m)))));
      Value w = tb.add(one(), tb.scale(t, posWeight - 1.0));
      perElement = tb.add(tb.mul(tb.sub(one(), t), x), tb.mul(w, soft));
    } else if (loss == "kl_div") {
      if (logTarget) {
        perElement = tb.mul(tb.exp(t), tb.sub(t, x));
      } else {
        // t (log t - x), taken as 0 where t = 0 (xlogy).
        Value zero = tb.scalar(0.0, elt);
        Value positive = tb.greater(t, zero);
        Value safe = tb.where(positive, t, one());
        perElement =
            tb.where(positive, tb.mul(t, tb.sub(tb.log(safe), x)), zero);
      }
    } else {
      where->emitError("unknown loss '")
          << loss
          << "' (expected cross_entropy, nll, mse, l1, smooth_l1, huber, "
             "bce, bce_with_logits, kl_div or output:NAME)";
      return failure();
    }
    return reduce(tb, perElement, where);
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
      // A target input after the model's inputs.
      Value prediction = results[0];
      auto predType = cast<RankedTensorType>(prediction.getType());
      if (!isa<FloatType>(predType.getElementType())) {
        forward.emitError("the model's first output is not a float "
                          "tensor; a loss needs a prediction");
        return signalPassFailure();
      }
      RankedTensorType targetType = predType;
      if (loss == "cross_entropy" || loss == "nll") {
        if (predType.getRank() < 2) {
          forward.emitError()
              << loss << " expects an N x C (x d...) prediction, got "
              << predType;
          return signalPassFailure();
        }
        SmallVector<int64_t> shape(predType.getShape());
        shape.erase(shape.begin() + 1);
        targetType = RankedTensorType::get(shape, b.getI64Type());
      }
      unsigned at = 0;
      while (at < eval.getNumArguments() && eval.getArgAttr(at, kInputAttr))
        ++at;
      if (failed(
              eval.insertArgument(at, targetType,
                                  b.getDictionaryAttr(b.getNamedAttr(
                                      kInputAttr, b.getStringAttr("target"))),
                                  eval.getLoc())))
        return signalPassFailure();
      auto value = criterion(tb, prediction, eval.getArgument(at), forward);
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
