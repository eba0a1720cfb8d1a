// The lathe-apply-optimizer pass: @gradient's parameter gradients become
// torch.optim updates, and the function becomes @train_step.
#include "compiler/Pipeline.h"
#include "compiler/graph/FunctionResults.h"
#include "compiler/graph/Passes.h"
#include "compiler/graph/TrainingOptions.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cmath>
#include <sstream>

namespace lathe {
#define GEN_PASS_DEF_APPLYOPTIMIZER
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// One trained parameter while its update is built.
struct Trained {
  Value param, grad;
  std::string name;
};

struct ApplyOptimizerPass : impl::ApplyOptimizerBase<ApplyOptimizerPass> {
  ApplyOptimizerPass() = default;
  ApplyOptimizerPass(const ApplyOptimizerPass &other)
      : ApplyOptimizerBase(other) {}
  explicit ApplyOptimizerPass(const TrainingOptions &from){
#define LATHE_OPTIMIZER_OPTION LATHE_COPY_PASS_OPTION
#define LATHE_EXPORT_OPTION LATHE_COPY_PASS_OPTION
#include "training/Options.def"
  }

  // The options: rows of training/Options.def.
#define LATHE_OPTIMIZER_OPTION LATHE_DECLARE_PASS_OPTION
#define LATHE_EXPORT_OPTION LATHE_DECLARE_PASS_OPTION
#include "training/Options.def"

  func::FuncOp func;
  BlockArgument lrArg;

  /// Adds an optimizer buffer for |p| (initialized to |init| by the
  /// runtime) and returns its argument.
  /// |type| (default: the parameter's) is a per-parameter scalar's, such as
  /// ASGD's eta and mu.
  Value addState(OpBuilder &b, const Trained &p, StringRef what,
                 double init = 0.0, Type type = {}) {
    return declareState(b, p.name + "." + what.str(),
                        type ? type : p.param.getType(), init);
  }

  /// An optimizer-state argument |name| of |type|, initialized to |init| by
  /// the runtime, before the hyperparameters.
  Value declareState(OpBuilder &b, const std::string &name, Type type,
                     double init) {
    unsigned at = lrArg.getArgNumber();
    auto attrs = b.getDictionaryAttr(
        {b.getNamedAttr(kStateAttr, b.getStringAttr(name)),
         b.getNamedAttr(kStateInitAttr, b.getF64FloatAttr(init))});
    (void)func.insertArgument(at, type, attrs, func.getLoc());
    return func.getArgument(at);
  }

  /// torch's checks of the hyperparameters, naming the option.
  LogicalResult checkOptions() {
    auto refuse = [&](const char *option, double v, const char *why) {
      std::ostringstream got;
      got << v;
      return func.emitError() << "option '" << option << "' " << why << " for "
                              << optimizer << " (got " << got.str() << ")";
    };
    bool adamFamily = optimizer == "adam" || optimizer == "adamw" ||
                      optimizer == "adamax" || optimizer == "sparse_adam";
    if (adamFamily && beta1 >= 0 && !(beta1 < 1))
      return refuse("beta1", beta1, "must be in [0, 1)");
    if (adamFamily && !(beta2 >= 0 && beta2 < 1))
      return refuse("beta2", beta2, "must be in [0, 1)");
    if (eps >= 0 && !(eps > 0) && optimizer != "sgd" && optimizer != "rprop" &&
        optimizer != "asgd")
      return refuse("eps", eps, "must be positive");
    if (optimizer == "rprop" && !(etaMinus > 0 && etaMinus < 1))
      return refuse("eta-minus", etaMinus, "must be in (0, 1)");
    if (optimizer == "rprop" && !(etaPlus > 1))
      return refuse("eta-plus", etaPlus, "must be above 1");
    if (optimizer == "rprop" && !(stepSizeMin <= stepSizeMax))
      return refuse("step-size-min", stepSizeMin,
                    "must not be above step-size-max");
    if (optimizer == "rmsprop" && alpha >= 0 && !(alpha <= 1))
      return refuse("alpha", alpha, "must be in [0, 1]");
    if ((optimizer == "sgd" || optimizer == "rmsprop") && momentum < 0)
      return refuse("momentum", momentum, "must not be negative");
    if (optimizer == "sgd" && nesterov && (momentum <= 0 || dampening != 0))
      return func.emitError("option 'nesterov' needs a positive 'momentum' "
                            "and no 'dampening' (as torch's SGD)");
    if (optimizer == "adadelta" && !(rho >= 0 && rho <= 1))
      return refuse("rho", rho, "must be in [0, 1]");
    if (weightDecay >= 0 && optimizer == "rprop" && weightDecay != 0)
      return refuse("weight-decay", weightDecay,
                    "is not an option (torch's Rprop has none)");
    if (weightDecay >= 0 && optimizer == "sparse_adam" && weightDecay != 0)
      return refuse("weight-decay", weightDecay,
                    "is not an option (torch's SparseAdam has none)");
    if (amsgrad && optimizer == "sparse_adam")
      return func.emitError("option 'amsgrad' is not an option for "
                            "sparse_adam (torch's SparseAdam has none)");
    return success();
  }

  /// LBFGS: @train_step only declares the state of the host-side steps
  /// (the runtime's lathe_trainer_step runs torch's LBFGS on @gradient),
  /// passed through unchanged: the flat direction and previous gradient,
  /// the curvature pairs, their 1/y.s, and scalars (t, H_diag, prev_loss,
  /// n_iter, func_evals, pairs held, the oldest pair's slot, whether a
  /// previous iteration exists). The module records the options.
  LogicalResult declareLbfgs(OpBuilder &b, ArrayRef<Trained> params,
                             const llvm::StringMap<Value> &updates,
                             SmallVectorImpl<std::pair<Value, Value>> &out) {
    if (!updates.empty())
      return func.emitError(
          "lbfgs does not update batch-norm running statistics (its closure "
          "runs several times a step); train this model with another "
          "optimizer");
    if (clipNorm > 0 || clipValue > 0 || maximize ||
        (weightDecay >= 0 && weightDecay != 0))
      return func.emitError("lbfgs takes none of clip-grad-norm, "
                            "clip-grad-value, maximize and weight-decay (as "
                            "torch's LBFGS)");
    if (params.empty())
      return func.emitError("lbfgs: the model has no trained parameters");
    Type elt = TensorBuilder::elt(params.front().param);
    int64_t n = 0;
    for (const Trained &p : params) {
      if (TensorBuilder::elt(p.param) != elt || !isa<FloatType>(elt) ||
          !(elt.isF32() || elt.isF64()))
        return func.emitError("lbfgs needs every trained parameter in one "
                              "dtype, float32 or float64 ('")
               << p.name << "' is " << TensorBuilder::elt(p.param) << ")";
      n += TensorBuilder::type(p.param).getNumElements();
    }
    Type f64 = b.getF64Type();
    auto declare = [&](const char *name, ArrayRef<int64_t> shape, Type type) {
      Value v = declareState(b, name, RankedTensorType::get(shape, type), 0.0);
      out.push_back({v, v});
    };
    declare("lbfgs.d", {n}, elt);
    declare("lbfgs.prev_flat_grad", {n}, elt);
    declare("lbfgs.old_dirs", {historySize, n}, elt);
    declare("lbfgs.old_stps", {historySize, n}, elt);
    declare("lbfgs.ro", {historySize}, f64);
    declare("lbfgs.scalars", {8}, f64);
    std::ostringstream os;
    os.precision(17);
    os << maxIter << " " << (maxEval > 0 ? maxEval : maxIter * 5 / 4) << " "
       << toleranceGrad << " " << toleranceChange << " " << historySize << " "
       << lineSearch;
    getOperation()->setAttr(kLbfgsAttr, b.getStringAttr(os.str()));
    return success();
  }

  /// SparseAdam: the rows of |p| this step's gathers read (the rows of
  /// torch's sparse gradient, duplicates and zero sums included), as a
  /// boolean column that broadcasts over |p|. A parameter read any other
  /// way has a dense gradient, refused with torch's message.
  FailureOr<Value> touchedRows(TensorBuilder &tb, const Trained &p) {
    ArrayRef<int64_t> shape = TensorBuilder::shape(p.param);
    Type elt = TensorBuilder::elt(p.param);
    int64_t rank = shape.size();
    Value rows;
    for (OpOperand &use : p.param.getUses()) {
      auto gather = dyn_cast<GatherOp>(use.getOwner());
      int64_t axis = gather ? gather.getAxis() : -1;
      if (!gather || use.getOperandNumber() != 0 ||
          (axis != 0 && axis != -rank))
        return use.getOwner()->emitError(
                   "SparseAdam does not support dense gradients, please "
                   "consider Adam instead: '")
               << p.name << "' is read by '"
               << use.getOwner()->getName().getStringRef()
               << "', not only gathered by rows (as an embedding table)";
      Value idx = gather.getIndices();
      SmallVector<int64_t> column(TensorBuilder::shape(idx));
      column.push_back(1);
      rows = ScatterNdOp::create(
          tb.b, tb.loc, rows ? rows : tb.splat(0.0, {shape[0]}, elt),
          tb.reshape(idx, column),
          tb.splat(1.0, TensorBuilder::shape(idx), elt),
          ScatterReductionAttr::get(tb.b.getContext(), ScatterReduction::none));
    }
    if (!rows)
      return func.emitError("sparse_adam: '") << p.name << "' is not read";
    SmallVector<int64_t> broadcast(rank, 1);
    broadcast[0] = shape[0];
    return tb.greater(tb.reshape(rows, broadcast), tb.scalar(0.0, elt));
  }

  double option(double value, double fallback) {
    return value < 0 ? fallback : value;
  }

  LogicalResult build(OpBuilder &b, SmallVectorImpl<Trained> &params, Value lr,
                      Value step, Value cycled,
                      SmallVectorImpl<std::pair<Value, Value>> &stateOut,
                      DenseMap<Value, Value> &newParams) {
    TensorBuilder tb{b, func.getLoc()};
    Type f64 = b.getF64Type();
    auto s = [&](double v) { return tb.scalar(v, f64); };
    // Gradient clipping, as clip_grad_value_ then clip_grad_norm_.
    if (clipValue > 0)
      for (Trained &p : params)
        p.grad = ClipOp::create(b, tb.loc, p.grad.getType(), p.grad,
                                b.getF64FloatAttr(-clipValue),
                                b.getF64FloatAttr(clipValue));
    if (clipNorm > 0) {
      Value total;
      bool inf = std::isinf(clipNormType);
      for (Trained &p : params) {
        SmallVector<int64_t> axes = TensorBuilder::allAxes(p.grad);
        Value a = tb.cast(AbsOp::create(b, tb.loc, p.grad), f64);
        Value part =
            inf ? tb.reduceMax(a, axes, false)
                : tb.reduceSum(PowOp::create(b, tb.loc, a, s(clipNormType)),
                               axes, false);
        total = !total ? part
                : inf  ? MaxOp::create(b, tb.loc, total, part).getResult()
                       : tb.add(total, part);
      }
      if (!inf)
        total = PowOp::create(b, tb.loc, total, s(1.0 / clipNormType));
      Value coef = MinOp::create(
          b, tb.loc, tb.div(s(clipNorm), tb.add(total, s(1e-6))), s(1.0));
      for (Trained &p : params)
        p.grad = tb.mul(p.grad, tb.cast(coef, TensorBuilder::elt(p.grad)));
    }

    bool adamw = optimizer == "adamw";
    if (cycled && !hasCyclableMomentum(optimizer))
      return func.emitError()
             << optimizer
             << " has neither momentum nor beta1 to take from a 'momentum' "
                "hyperparameter";
    // The momentum (sgd, rmsprop) or beta1 (adam family): the 'momentum'
    // hyperparameter when cycled, else the constant. |x| times it, and
    // |x| times one minus it.
    double fixedMomentum = optimizer == "sgd" || optimizer == "rmsprop"
                               ? momentum
                               : option(beta1, 0.9);
    auto byMomentum = [&](Value x) {
      return cycled ? tb.mul(x, tb.cast(cycled, TensorBuilder::elt(x)))
                    : tb.scale(x, fixedMomentum);
    };
    auto byOneMinusMomentum = [&](Value x) {
      return cycled ? tb.mul(x, tb.cast(tb.sub(s(1.0), cycled),
                                        TensorBuilder::elt(x)))
                    : tb.scale(x, 1.0 - fixedMomentum);
    };
    bool withMomentum = cycled || momentum != 0.0;
    double wd = option(weightDecay, adamw ? 0.01 : 0.0);
    Value first = tb.equal(step, s(1.0));
    // SparseAdam's rows, found before any update adds uses of the
    // parameters.
    DenseMap<Value, Value> touched;
    if (optimizer == "sparse_adam")
      for (Trained &p : params) {
        FailureOr<Value> rows = touchedRows(tb, p);
        if (failed(rows))
          return failure();
        touched[p.param] = *rows;
      }
    for (Trained &p : params) {
      Type elt = TensorBuilder::elt(p.param);
      auto c = [&](Value v) { return tb.cast(v, elt); }; // f64 scalar -> elt
      auto k = [&](double v) { return tb.scalar(v, elt); };
      Value w = p.param, g = p.grad;
      if (maximize)
        g = tb.neg(g);
      if (wd != 0.0 && !adamw)
        g = tb.add(g, tb.scale(w, wd));
      Value update; // Subtracted from w.
      if (optimizer == "sgd") {
        Value d = g;
        if (withMomentum) {
          Value buf = addState(b, p, "momentum_buffer");
          Value next = tb.add(byMomentum(buf), tb.scale(g, 1.0 - dampening));
          next = tb.where(first, g, next); // torch starts the buffer at g.
          stateOut.push_back({buf, next});
          d = nesterov ? tb.add(g, byMomentum(next)) : next;
        }
        update = tb.mul(d, c(lr));
      } else if (optimizer == "adam" || adamw || optimizer == "adamax") {
        double b2 = beta2;
        double e = option(eps, 1e-8);
        if (adamw && wd != 0.0)
          w = tb.mul(w, c(tb.sub(s(1.0), tb.scale(lr, wd))));
        Value m = addState(b, p, "exp_avg");
        Value mNext = tb.add(m, byOneMinusMomentum(tb.sub(g, m)));
        stateOut.push_back({m, mNext});
        Value b1 = cycled ? cycled : s(fixedMomentum);
        Value bc1 = tb.sub(s(1.0), PowOp::create(b, tb.loc, b1, step));
        Value stepSize = c(tb.div(lr, bc1));
        if (optimizer == "adamax") {
          Value u = addState(b, p, "exp_inf");
          Value uNext =
              MaxOp::create(b, tb.loc, tb.scale(u, b2),
                            tb.add(AbsOp::create(b, tb.loc, g), k(e)));
          stateOut.push_back({u, uNext});
          update = tb.mul(stepSize, tb.div(mNext, uNext));
        } else {
          Value v = addState(b, p, "exp_avg_sq");
          Value vNext =
              tb.add(tb.scale(v, b2), tb.scale(tb.square(g), 1.0 - b2));
          stateOut.push_back({v, vNext});
          Value second = vNext;
          if (amsgrad) {
            Value vmax = addState(b, p, "max_exp_avg_sq");
            second = MaxOp::create(b, tb.loc, vmax, vNext);
            stateOut.push_back({vmax, second});
          }
          Value bc2 =
              tb.sqrt(tb.sub(s(1.0), PowOp::create(b, tb.loc, s(b2), step)));
          Value denom = tb.add(tb.div(tb.sqrt(second), c(bc2)), k(e));
          update = tb.mul(stepSize, tb.div(mNext, denom));
        }
      } else if (optimizer == "sparse_adam") {
        // torch's lazy Adam: the moments move as old + (new - old) * (1 - b)
        // on the touched rows only, and only those rows step.
        double b2 = beta2;
        double e = option(eps, 1e-8);
        Value rows = touched.lookup(p.param);
        Value m = addState(b, p, "exp_avg");
        Value v = addState(b, p, "exp_avg_sq");
        Value mNext = tb.add(m, byOneMinusMomentum(tb.sub(g, m)));
        Value vNext = tb.add(v, tb.scale(tb.sub(tb.square(g), v), 1.0 - b2));
        stateOut.push_back({m, tb.where(rows, mNext, m)});
        stateOut.push_back({v, tb.where(rows, vNext, v)});
        Value b1 = cycled ? cycled : s(fixedMomentum);
        Value bc1 = tb.sub(s(1.0), PowOp::create(b, tb.loc, b1, step));
        Value bc2 = tb.sub(s(1.0), PowOp::create(b, tb.loc, s(b2), step));
        Value stepSize = c(tb.div(tb.mul(lr, tb.sqrt(bc2)), bc1));
        Value denom = tb.add(tb.sqrt(vNext), k(e));
        newParams[p.param] = tb.where(
            rows, tb.sub(w, tb.mul(stepSize, tb.div(mNext, denom))), w);
        continue;
      } else if (optimizer == "rmsprop") {
        double e = option(eps, 1e-8);
        double a = option(alpha, 0.99);
        Value sq = addState(b, p, "square_avg");
        Value sqNext = tb.add(tb.scale(sq, a), tb.scale(tb.square(g), 1.0 - a));
        stateOut.push_back({sq, sqNext});
        Value avg;
        if (centered) {
          Value ga = addState(b, p, "grad_avg");
          Value gaNext = tb.add(tb.scale(ga, a), tb.scale(g, 1.0 - a));
          stateOut.push_back({ga, gaNext});
          avg = tb.sqrt(tb.sub(sqNext, tb.square(gaNext)));
        } else {
          avg = tb.sqrt(sqNext);
        }
        avg = tb.add(avg, k(e));
        Value d = tb.div(g, avg);
        if (withMomentum) {
          Value buf = addState(b, p, "momentum_buffer");
          Value next = tb.add(byMomentum(buf), d);
          stateOut.push_back({buf, next});
          d = next;
        }
        update = tb.mul(d, c(lr));
      } else if (optimizer == "adagrad") {
        double e = option(eps, 1e-10);
        Value sum = addState(b, p, "sum", initialAccumulator);
        Value sumNext = tb.add(sum, tb.square(g));
        stateOut.push_back({sum, sumNext});
        Value clr =
            tb.div(lr, tb.add(s(1.0), tb.scale(tb.sub(step, s(1.0)), lrDecay)));
        update = tb.mul(c(clr), tb.div(g, tb.add(tb.sqrt(sumNext), k(e))));
      } else if (optimizer == "adadelta") {
        double e = option(eps, 1e-6);
        Value sq = addState(b, p, "square_avg");
        Value acc = addState(b, p, "acc_delta");
        Value sqNext =
            tb.add(tb.scale(sq, rho), tb.scale(tb.square(g), 1.0 - rho));
        Value delta = tb.mul(
            tb.div(tb.sqrt(tb.add(acc, k(e))), tb.sqrt(tb.add(sqNext, k(e)))),
            g);
        Value accNext =
            tb.add(tb.scale(acc, rho), tb.scale(tb.square(delta), 1.0 - rho));
        stateOut.push_back({sq, sqNext});
        stateOut.push_back({acc, accNext});
        update = tb.mul(delta, c(lr));
      } else if (optimizer == "rprop") {
        // The sign of g * prev picks the step size's factor; where it flips,
        // the gradient counts as 0 (no step, and prev is 0 next time).
        Value prev = addState(b, p, "prev");
        Value size = addState(b, p, "step_size");
        Value product = tb.mul(g, prev);
        Value factor =
            tb.where(tb.greater(product, k(0.0)), k(etaPlus),
                     tb.where(tb.less(product, k(0.0)), k(etaMinus), k(1.0)));
        // torch fills the step sizes with the lr at the first step.
        Value sizeNow =
            tb.where(first, tb.expand(c(lr), TensorBuilder::shape(w)), size);
        Value sizeNext = ClipOp::create(
            b, tb.loc, sizeNow.getType(), tb.mul(sizeNow, factor),
            b.getF64FloatAttr(stepSizeMin), b.getF64FloatAttr(stepSizeMax));
        Value kept = tb.where(tb.equal(factor, k(etaMinus)), k(0.0), g);
        stateOut.push_back({prev, kept});
        stateOut.push_back({size, sizeNext});
        update = tb.mul(tb.sign(kept), sizeNext);
      } else if (optimizer == "asgd") {
        // eta and mu are per-parameter scalars as in torch; eta starts at
        // the lr of the first step, mu at 1.
        Type scalarType = RankedTensorType::get({}, f64);
        Value etaState = addState(b, p, "eta", 0.0, scalarType);
        Value muState = addState(b, p, "mu", 1.0, scalarType);
        Value ax = addState(b, p, "ax");
        double a = option(alpha, 0.75);
        Value eta = tb.where(first, lr, etaState);
        Value decayed = tb.mul(w, c(tb.sub(s(1.0), tb.scale(eta, lambd))));
        Value next = tb.sub(decayed, tb.mul(c(eta), g));
        Value axNext =
            tb.where(tb.equal(muState, s(1.0)), next,
                     tb.add(ax, tb.mul(tb.sub(next, ax), c(muState))));
        Value etaNext = tb.div(
            lr, PowOp::create(b, tb.loc,
                              tb.add(s(1.0), tb.mul(tb.scale(lr, lambd), step)),
                              s(a)));
        Value muNext = tb.div(
            s(1.0), MaxOp::create(b, tb.loc, s(1.0), tb.sub(step, s(asgdT0))));
        stateOut.push_back({etaState, etaNext});
        stateOut.push_back({muState, muNext});
        stateOut.push_back({ax, axNext});
        newParams[p.param] = next;
        continue;
      } else {
        return func.emitError("unknown optimizer '")
               << optimizer
               << "' (expected sgd, adam, adamw, rmsprop, adagrad, adadelta, "
                  "adamax, sparse_adam, rprop, asgd or lbfgs)";
      }
      newParams[p.param] = tb.sub(w, update);
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto gradient = module.lookupSymbol<func::FuncOp>("gradient");
    if (!gradient)
      return;
    bool lbfgs = optimizer == "lbfgs";
    // LBFGS steps on the host, through @gradient (runtime/Lbfgs.cpp).
    bool keep = keepGradient || lbfgs;
    func = keep ? gradient.clone() : gradient;
    if (keep)
      module.push_back(func);
    func.setName("train_step");
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    // Hyperparameters step (already there when the step's dropouts draw
    // from it) and lr right before it.
    BlockArgument step = hyperArgument(func, "step");
    lrArg = hyperArgument(func, "lr", step.getArgNumber());
    Value cycled = momentumHyper ? hyperArgument(func, "momentum") : Value();

    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<DictionaryAttr> attrs;
    func.getAllResultAttrs(attrs);
    // Split the results: model outputs, gradients, statistics updates.
    SmallVector<Value> outputs;
    SmallVector<DictionaryAttr> outputAttrs;
    llvm::StringMap<Value> grads, updates;
    for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
      Value v = ret.getOperand(i);
      if (auto name = attrs[i].getAs<StringAttr>(kGradAttr))
        grads[name.getValue()] = v;
      else if (auto name = attrs[i].getAs<StringAttr>(kUpdateAttr))
        updates[name.getValue()] = v;
      else if (!attrs[i].get(kInputGradAttr)) {
        outputs.push_back(v);
        outputAttrs.push_back(attrs[i]);
      }
    }
    SmallVector<Trained> trained;
    SmallVector<BlockArgument> params;
    for (BlockArgument arg : func.getArguments())
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        kParamAttr)) {
        params.push_back(arg);
        if (Value g = grads.lookup(name.getValue()))
          trained.push_back({arg, g, name.str()});
      }

    if (failed(checkOptions()))
      return signalPassFailure();
    b.setInsertionPoint(ret);
    SmallVector<std::pair<Value, Value>> stateOut;
    DenseMap<Value, Value> newParams;
    if (lbfgs ? failed(declareLbfgs(b, trained, updates, stateOut))
              : failed(build(b, trained, lrArg, step, cycled, stateOut,
                             newParams)))
      return signalPassFailure();

    SmallVector<Value> results(outputs);
    SmallVector<DictionaryAttr> resultAttrs(outputAttrs);
    for (BlockArgument p : params) {
      auto name =
          func.getArgAttrOfType<StringAttr>(p.getArgNumber(), kParamAttr);
      Value next = newParams.lookup(p);
      if (Value u = updates.lookup(name.getValue()))
        next = u;
      results.push_back(next ? next : Value(p));
      resultAttrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr(kParamAttr, name)));
    }
    for (auto [arg, next] : stateOut) {
      results.push_back(next);
      resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          kStateAttr, func.getArgAttr(cast<BlockArgument>(arg).getArgNumber(),
                                      kStateAttr))));
    }
    setFunctionResults(func, results, resultAttrs);
    if (keep) {
      // @gradient keeps only the loss, the outputs and the gradients.
      auto gret =
          cast<func::ReturnOp>(gradient.getBody().front().getTerminator());
      SmallVector<DictionaryAttr> gattrs;
      gradient.getAllResultAttrs(gattrs);
      SmallVector<Value> keep;
      SmallVector<DictionaryAttr> keepAttrs;
      for (unsigned i = 0; i < gret.getNumOperands(); ++i)
        if (!gattrs[i].get(kUpdateAttr)) {
          keep.push_back(gret.getOperand(i));
          keepAttrs.push_back(gattrs[i]);
        }
      setFunctionResults(gradient, keep, keepAttrs);
    }
  }
};

} // namespace
} // namespace lathe

std::unique_ptr<mlir::Pass>
lathe::createApplyOptimizer(const TrainingOptions &options) {
  return std::make_unique<lathe::ApplyOptimizerPass>(options);
}
