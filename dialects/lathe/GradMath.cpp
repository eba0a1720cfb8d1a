// Gradient rules of the math family: element-wise ops, activations,
// contractions and reductions. Each follows PyTorch's derivative, including
// its choice at kinks (relu'(0) = 0, ties of max split the gradient).
#include "dialects/lathe/GradBuilder.h"

#include <cmath>
#include <set>

using namespace mlir;

namespace lathe {
namespace {

using Grads = SmallVectorImpl<Value>;

/// A unary rule given dy/dx as a function of x and y.
template <typename OpTy, typename Fn>
LogicalResult unary(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg, Grads &og,
                    Fn derivative) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  og[0] = derivative(op.getInput(), op.getResult(), rg[0]);
  return success();
}

#define UNARY_RULE(NAME, OP, ...)                                              \
  LogicalResult NAME(OP op, TensorBuilder &gb, ArrayRef<Value> rg,             \
                     Grads &og) {                                              \
    return unary(op, gb, rg, og, [&](Value x, Value y, Value g) __VA_ARGS__);  \
  }

UNARY_RULE(reluGrad, ReluOp,
           { return gb.mask(gb.greater(x, gb.scalarLike(0, x)), g); })
UNARY_RULE(sigmoidGrad, SigmoidOp,
           { return gb.mul(g, gb.mul(y, gb.sub(gb.scalarLike(1, y), y))); })
UNARY_RULE(tanhGrad, TanhOp,
           { return gb.mul(g, gb.sub(gb.scalarLike(1, y), gb.square(y))); })
UNARY_RULE(expGrad, ExpOp, { return gb.mul(g, y); })
UNARY_RULE(logGrad, LogOp, { return gb.div(g, x); })
UNARY_RULE(sqrtGrad, SqrtOp, { return gb.div(g, gb.scale(y, 2.0)); })
UNARY_RULE(negGrad, NegOp, { return gb.neg(g); })
UNARY_RULE(absGrad, AbsOp, { return gb.mul(g, gb.sign(x)); })
UNARY_RULE(reciprocalGrad, ReciprocalOp,
           { return gb.neg(gb.mul(g, gb.square(y))); })
UNARY_RULE(erfGrad, ErfOp, {
  return gb.mul(g,
                gb.scale(gb.exp(gb.neg(gb.square(x))), 2.0 / std::sqrt(M_PI)));
})
UNARY_RULE(sinGrad, SinOp,
           { return gb.mul(g, CosOp::create(gb.b, gb.loc, x)); })
UNARY_RULE(cosGrad, CosOp,
           { return gb.neg(gb.mul(g, SinOp::create(gb.b, gb.loc, x))); })
UNARY_RULE(tanGrad, TanOp,
           { return gb.mul(g, gb.add(gb.scalarLike(1, y), gb.square(y))); })
UNARY_RULE(asinGrad, AsinOp, {
  return gb.div(g, gb.sqrt(gb.sub(gb.scalarLike(1, x), gb.square(x))));
})
UNARY_RULE(acosGrad, AcosOp, {
  return gb.neg(gb.div(g, gb.sqrt(gb.sub(gb.scalarLike(1, x), gb.square(x)))));
})
UNARY_RULE(atanGrad, AtanOp,
           { return gb.div(g, gb.add(gb.scalarLike(1, x), gb.square(x))); })
UNARY_RULE(sinhGrad, SinhOp,
           { return gb.mul(g, CoshOp::create(gb.b, gb.loc, x)); })
UNARY_RULE(coshGrad, CoshOp,
           { return gb.mul(g, SinhOp::create(gb.b, gb.loc, x)); })
UNARY_RULE(asinhGrad, AsinhOp, {
  return gb.div(g, gb.sqrt(gb.add(gb.square(x), gb.scalarLike(1, x))));
})
UNARY_RULE(acoshGrad, AcoshOp, {
  return gb.div(g, gb.sqrt(gb.sub(gb.square(x), gb.scalarLike(1, x))));
})
UNARY_RULE(atanhGrad, AtanhOp,
           { return gb.div(g, gb.sub(gb.scalarLike(1, x), gb.square(x))); })
UNARY_RULE(softplusGrad, SoftplusOp, { return gb.mul(g, gb.sigmoid(x)); })
UNARY_RULE(softsignGrad, SoftsignOp, {
  return gb.div(g, gb.square(gb.add(gb.scalarLike(1, x),
                                    AbsOp::create(gb.b, gb.loc, x))));
})
// hard_swish(x) = x * relu6(x + 3) / 6: 0 below -3, 1 above 3, else x/3 + 1/2.
UNARY_RULE(hardSwishGrad, HardSwishOp, {
  Value mid = gb.add(gb.scale(x, 1.0 / 3.0), gb.scalarLike(0.5, x));
  Value d = gb.where(
      gb.less(x, gb.scalarLike(-3, x)), gb.scalarLike(0, x),
      gb.where(gb.greater(x, gb.scalarLike(3, x)), gb.scalarLike(1, x), mid));
  return gb.mul(g, d);
})
UNARY_RULE(eluGrad, EluOp, {
  Value neg = gb.scale(gb.exp(x), op.getAlpha().convertToDouble());
  return gb.mul(g, gb.where(gb.greater(x, gb.scalarLike(0, x)),
                            gb.scalarLike(1, x), neg));
})
UNARY_RULE(seluGrad, SeluOp, {
  double alpha = op.getAlpha().convertToDouble();
  double gamma = op.getGamma().convertToDouble();
  Value neg = gb.scale(gb.exp(x), alpha * gamma);
  return gb.mul(g, gb.where(gb.greater(x, gb.scalarLike(0, x)),
                            gb.scalarLike(gamma, x), neg));
})
UNARY_RULE(celuGrad, CeluOp, {
  double alpha = op.getAlpha().convertToDouble();
  Value neg = gb.exp(gb.scale(x, 1.0 / alpha));
  return gb.mul(g, gb.where(gb.greater(x, gb.scalarLike(0, x)),
                            gb.scalarLike(1, x), neg));
})
UNARY_RULE(leakyReluGrad, LeakyReluOp, {
  return gb.mul(g, gb.where(gb.greater(x, gb.scalarLike(0, x)),
                            gb.scalarLike(1, x),
                            gb.scalarLike(op.getAlpha().convertToDouble(), x)));
})
UNARY_RULE(hardSigmoidGrad, HardSigmoidOp, {
  double alpha = op.getAlpha().convertToDouble();
  double beta = op.getBeta().convertToDouble();
  Value z = gb.add(gb.scale(x, alpha), gb.scalarLike(beta, x));
  Value inside = gb.logicalAnd(gb.greater(z, gb.scalarLike(0, x)),
                               gb.less(z, gb.scalarLike(1, x)));
  return gb.scale(gb.mask(inside, g), alpha);
})
UNARY_RULE(thresholdedReluGrad, ThresholdedReluOp, {
  return gb.mask(
      gb.greater(x, gb.scalarLike(op.getAlpha().convertToDouble(), x)), g);
})
UNARY_RULE(shrinkGrad, ShrinkOp, {
  double l = op.getLambd().convertToDouble();
  Value outside = OrOp::create(gb.b, gb.loc, gb.less(x, gb.scalarLike(-l, x)),
                               gb.greater(x, gb.scalarLike(l, x)));
  return gb.mask(outside, g);
})
UNARY_RULE(clipGrad, ClipOp, {
  Value pass;
  auto both = [&](Value c) { pass = pass ? gb.logicalAnd(pass, c) : c; };
  if (auto lo = op.getMinAttr())
    both(gb.logicalNot(gb.less(x, gb.scalarLike(lo.getValueAsDouble(), x))));
  if (auto hi = op.getMaxAttr())
    both(gb.logicalNot(gb.greater(x, gb.scalarLike(hi.getValueAsDouble(), x))));
  return pass ? gb.mask(pass, g) : g;
})
UNARY_RULE(geluGrad, GeluOp, {
  if (op.getTanh()) {
    // y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
    double k = std::sqrt(2.0 / M_PI);
    Value x2 = gb.square(x);
    Value u = gb.scale(gb.add(x, gb.scale(gb.mul(x2, x), 0.044715)), k);
    Value t = TanhOp::create(gb.b, gb.loc, u);
    Value one = gb.scalarLike(1, x);
    Value du = gb.scale(gb.add(one, gb.scale(x2, 3 * 0.044715)), k);
    Value d =
        gb.add(gb.scale(gb.add(one, t), 0.5),
               gb.mul(gb.scale(x, 0.5), gb.mul(gb.sub(one, gb.square(t)), du)));
    return gb.mul(g, d);
  }
  // d/dx x Phi(x) = Phi(x) + x phi(x)
  Value cdf = gb.scale(
      gb.add(gb.scalarLike(1, x),
             ErfOp::create(gb.b, gb.loc, gb.scale(x, 1.0 / std::sqrt(2.0)))),
      0.5);
  Value pdf = gb.scale(gb.exp(gb.scale(gb.square(x), -0.5)),
                       1.0 / std::sqrt(2.0 * M_PI));
  return gb.mul(g, gb.add(cdf, gb.mul(x, pdf)));
})
#undef UNARY_RULE

/// Rules with zero derivative almost everywhere: no gradient flows.
template <typename OpTy>
LogicalResult noGrad(OpTy, TensorBuilder &, ArrayRef<Value>, Grads &) {
  return success();
}

LogicalResult cumsumGrad(CumSumOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  og[0] = CumSumOp::create(gb.b, gb.loc, rg[0].getType(), rg[0],
                           op.getAxisAttr(), op.getExclusiveAttr(),
                           op.getReverse() ? UnitAttr() : gb.b.getUnitAttr());
  return success();
}

/// Binary element-wise rules: |da| and |db| computed on the broadcast
/// shape, then summed back to each operand's shape.
template <typename OpTy, typename Fn>
LogicalResult binary(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg, Grads &og,
                     Fn partials) {
  Value a = op.getLhs(), b = op.getRhs(), g = rg[0];
  if (!g || !TensorBuilder::isFloat(a))
    return success();
  auto [da, db] = partials(a, b, op.getResult(), g);
  if (da)
    og[0] = gb.unbroadcast(da, a.getType());
  if (db)
    og[1] = gb.unbroadcast(db, b.getType());
  return success();
}

#define BINARY_RULE(NAME, OP, ...)                                             \
  LogicalResult NAME(OP op, TensorBuilder &gb, ArrayRef<Value> rg,             \
                     Grads &og) {                                              \
    return binary(                                                             \
        op, gb, rg, og,                                                        \
        [&](Value a, Value b, Value y, Value g) -> std::pair<Value, Value>     \
                                                    __VA_ARGS__);              \
  }

BINARY_RULE(addGrad, AddOp, { return {g, g}; })
BINARY_RULE(subGrad, SubOp, { return {g, gb.neg(g)}; })
BINARY_RULE(mulGrad, MulOp, { return {gb.mul(g, b), gb.mul(g, a)}; })
BINARY_RULE(divGrad, DivOp, {
  return {gb.div(g, b), gb.neg(gb.div(gb.mul(g, y), b))};
})
BINARY_RULE(powGrad, PowOp, {
  Value one = gb.scalarLike(1, b);
  Value da =
      gb.mul(g, gb.mul(b, PowOp::create(gb.b, gb.loc, a, gb.sub(b, one))));
  // d/db a^b = a^b log a, taken as 0 where a = 0 (as PyTorch).
  Value zero = gb.scalarLike(0, a);
  Value db = gb.where(gb.equal(a, zero), zero, gb.mul(g, gb.mul(y, gb.log(a))));
  return {da, db};
})
// Ties split the gradient in halves, as torch.maximum / torch.minimum.
BINARY_RULE(maxGrad, MaxOp, {
  Value half = gb.scale(g, 0.5), zero = gb.scalarLike(0, g);
  Value tie = gb.equal(a, b);
  return {gb.where(tie, half, gb.where(gb.greater(a, b), g, zero)),
          gb.where(tie, half, gb.where(gb.less(a, b), g, zero))};
})
BINARY_RULE(minGrad, MinOp, {
  Value half = gb.scale(g, 0.5), zero = gb.scalarLike(0, g);
  Value tie = gb.equal(a, b);
  return {gb.where(tie, half, gb.where(gb.less(a, b), g, zero)),
          gb.where(tie, half, gb.where(gb.greater(a, b), g, zero))};
})
BINARY_RULE(preluGrad, PReluOp, {
  Value pos = gb.greater(a, gb.scalarLike(0, a));
  Value zero = gb.scalarLike(0, g);
  return {gb.where(pos, g, gb.mul(g, b)), gb.where(pos, zero, gb.mul(g, a))};
})
// y = a - q b with q = floor(a / b) (trunc for fmod): an integer, constant
// between the jumps, recovered exactly by rounding (a - y) / b.
BINARY_RULE(modGrad, ModOp, {
  Value q = RoundOp::create(gb.b, gb.loc, gb.div(gb.sub(a, y), b));
  return {g, gb.neg(gb.mul(g, q))};
})
#undef BINARY_RULE

LogicalResult whereGrad(WhereOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                        Grads &og) {
  Value g = rg[0];
  if (!g || !TensorBuilder::isFloat(op.getLhs()))
    return success();
  Value zero = gb.scalarLike(0, g);
  og[1] = gb.unbroadcast(gb.where(op.getCondition(), g, zero),
                         op.getLhs().getType());
  og[2] = gb.unbroadcast(gb.where(op.getCondition(), zero, g),
                         op.getRhs().getType());
  return success();
}

LogicalResult castGrad(CastOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                       Grads &og) {
  if (rg[0] && TensorBuilder::isFloat(op.getInput()) &&
      TensorBuilder::isFloat(op.getResult()))
    og[0] = gb.cast(rg[0], gb.elt(op.getInput()));
  return success();
}

LogicalResult gemmGrad(GemmOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                       Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  Value a = op.getA(), b = op.getB();
  bool ta = op.getTransA(), tb = op.getTransB();
  auto alpha = op.getAlphaAttr();
  auto beta = op.getBetaAttr();
  auto one = gb.b.getF32FloatAttr(1.0);
  auto gemm = [&](Value x, Value y, bool tx, bool ty) -> Value {
    return GemmOp::create(gb.b, gb.loc, x, y, Value(), alpha, one,
                          gb.b.getBoolAttr(tx), gb.b.getBoolAttr(ty));
  };
  // Y = alpha op(A) op(B) + beta C
  og[0] = ta ? gemm(b, g, tb, true) : gemm(g, b, false, !tb);
  og[1] = tb ? gemm(g, a, true, ta) : gemm(a, g, !ta, false);
  if (Value c = op.getC())
    og[2] = gb.unbroadcast(gb.scale(g, beta.getValueAsDouble()), c.getType());
  return success();
}

LogicalResult matmulGrad(MatmulOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  Value g = rg[0];
  if (!g)
    return success();
  Value a = op.getLhs(), b = op.getRhs();
  ArrayRef<int64_t> as = gb.shape(a), bs = gb.shape(b);
  // torch.matmul's promotion of vectors to matrices, made explicit.
  SmallVector<int64_t> a2(as), b2(bs);
  if (a2.size() == 1)
    a2.insert(a2.begin(), 1);
  if (b2.size() == 1)
    b2.push_back(1);
  auto batch = broadcastShapes(ArrayRef<int64_t>(a2).drop_back(2),
                               ArrayRef<int64_t>(b2).drop_back(2));
  if (failed(batch))
    return gradientError(op, "matmul gradient: batch shapes do not broadcast");
  SmallVector<int64_t> g2(*batch);
  g2.push_back(a2[a2.size() - 2]);
  g2.push_back(b2.back());
  Value gm = gb.reshape(g, g2);
  Value am = gb.reshape(a, a2), bm = gb.reshape(b, b2);
  Value da = gb.matmul(gm, gb.transposeLast2(bm));
  Value db = gb.matmul(gb.transposeLast2(am), gm);
  og[0] =
      gb.reshape(gb.unbroadcast(da, RankedTensorType::get(a2, gb.elt(a))), as);
  og[1] =
      gb.reshape(gb.unbroadcast(db, RankedTensorType::get(b2, gb.elt(b))), bs);
  return success();
}

/// The gradient of a reduction's result, broadcast back over the input.
template <typename OpTy> Value spread(OpTy op, TensorBuilder &gb, Value g) {
  Value x = op.getInput();
  Value kept = op.getKeepdims() ? g : gb.keepDims(g, op.getAxes(), gb.shape(x));
  return gb.expand(kept, gb.shape(x));
}

template <typename OpTy> Value keptResult(OpTy op, TensorBuilder &gb) {
  Value x = op.getInput();
  Value y = op.getResult();
  return op.getKeepdims() ? y : gb.keepDims(y, op.getAxes(), gb.shape(x));
}

#define REDUCE_RULE(NAME, OP, ...)                                             \
  LogicalResult NAME(OP op, TensorBuilder &gb, ArrayRef<Value> rg,             \
                     Grads &og) {                                              \
    if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))                      \
      return success();                                                        \
    [[maybe_unused]] Value x = op.getInput();                                  \
    Value g = spread(op, gb, rg[0]);                                           \
    og[0] = [&]() -> Value __VA_ARGS__();                                      \
    return success();                                                          \
  }

int64_t reducedCount(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes) {
  int64_t n = 1;
  for (int64_t a : axes)
    n *= shape[a];
  return n;
}

REDUCE_RULE(reduceSumGrad, ReduceSumOp, { return g; })
REDUCE_RULE(reduceMeanGrad, ReduceMeanOp, {
  return gb.scale(g, 1.0 / double(reducedCount(gb.shape(x), op.getAxes())));
})
REDUCE_RULE(reduceProdGrad, ReduceProdOp, {
  return gb.mul(g, gb.div(gb.expand(keptResult(op, gb), gb.shape(x)), x));
})
REDUCE_RULE(reduceL1Grad, ReduceL1Op, { return gb.mul(g, gb.sign(x)); })
REDUCE_RULE(reduceL2Grad, ReduceL2Op, {
  Value y = gb.expand(keptResult(op, gb), gb.shape(x));
  Value zero = gb.scalarLike(0, x);
  return gb.where(gb.equal(y, zero), zero, gb.mul(g, gb.div(x, y)));
})
REDUCE_RULE(reduceSumSquareGrad, ReduceSumSquareOp,
            { return gb.mul(g, gb.scale(x, 2.0)); })
REDUCE_RULE(reduceLogSumGrad, ReduceLogSumOp, {
  Value y = gb.expand(keptResult(op, gb), gb.shape(x));
  return gb.mul(g, gb.exp(gb.neg(y)));
})
REDUCE_RULE(reduceLogSumExpGrad, ReduceLogSumExpOp, {
  Value y = gb.expand(keptResult(op, gb), gb.shape(x));
  return gb.mul(g, gb.exp(gb.sub(x, y)));
})
#undef REDUCE_RULE

/// amax/amin: the gradient is shared evenly by the elements that attain the
/// extremum (as torch.amax).
template <typename OpTy>
LogicalResult extremumGrad(OpTy op, TensorBuilder &gb, ArrayRef<Value> rg,
                           Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getInput()))
    return success();
  Value x = op.getInput();
  Value y = gb.expand(keptResult(op, gb), gb.shape(x));
  Value hit = gb.toFloat(gb.equal(x, y), gb.elt(x));
  Value count = gb.reduceSum(hit, op.getAxes(), /*keepdims=*/true);
  Value g =
      op.getKeepdims() ? rg[0] : gb.keepDims(rg[0], op.getAxes(), gb.shape(x));
  og[0] = gb.mul(hit, gb.expand(gb.div(g, count), gb.shape(x)));
  return success();
}

/// einsum: the gradient of input i is the einsum of the result's gradient
/// with the other inputs onto i's letters (then broadcast along letters only
/// i has). Inputs that take a diagonal are not covered.
LogicalResult einsumGrad(EinsumOp op, TensorBuilder &gb, ArrayRef<Value> rg,
                         Grads &og) {
  if (!rg[0] || !TensorBuilder::isFloat(op.getResult()))
    return success();
  auto terms = parseEinsum(op.getEquation());
  if (failed(terms))
    return gradientError(op, "einsum gradient: cannot parse the equation");
  for (size_t i = 0; i < op.getInputs().size(); ++i) {
    const std::string &mine = terms->inputs[i];
    if (std::set<char>(mine.begin(), mine.end()).size() != mine.size())
      return gradientError(op, "no gradient for einsum operand '" + mine +
                                   "' (it takes a diagonal)");
    std::set<char> elsewhere(terms->output.begin(), terms->output.end());
    for (size_t j = 0; j < terms->inputs.size(); ++j)
      if (j != i)
        elsewhere.insert(terms->inputs[j].begin(), terms->inputs[j].end());
    std::string present;
    SmallVector<int64_t> reducedShape;
    ArrayRef<int64_t> xs = gb.shape(op.getInputs()[i]);
    for (size_t k = 0; k < mine.size(); ++k) {
      bool has = elsewhere.count(mine[k]);
      if (has)
        present += mine[k];
      reducedShape.push_back(has ? xs[k] : 1);
    }
    std::string eq = terms->output;
    SmallVector<Value> operands = {rg[0]};
    for (size_t j = 0; j < terms->inputs.size(); ++j)
      if (j != i) {
        eq += "," + terms->inputs[j];
        operands.push_back(op.getInputs()[j]);
      }
    eq += "->" + present;
    Value part = EinsumOp::create(gb.b, gb.loc, operands, eq);
    og[i] = gb.expand(gb.reshape(part, reducedShape), xs);
  }
  return success();
}

} // namespace

void attachMathGradients(MLIRContext *ctx) {
  attachGradient<ReluOp, reluGrad>(ctx);
  attachGradient<SigmoidOp, sigmoidGrad>(ctx);
  attachGradient<TanhOp, tanhGrad>(ctx);
  attachGradient<ExpOp, expGrad>(ctx);
  attachGradient<LogOp, logGrad>(ctx);
  attachGradient<SqrtOp, sqrtGrad>(ctx);
  attachGradient<NegOp, negGrad>(ctx);
  attachGradient<AbsOp, absGrad>(ctx);
  attachGradient<ReciprocalOp, reciprocalGrad>(ctx);
  attachGradient<FloorOp, noGrad<FloorOp>>(ctx);
  attachGradient<CeilOp, noGrad<CeilOp>>(ctx);
  attachGradient<RoundOp, noGrad<RoundOp>>(ctx);
  attachGradient<SignOp, noGrad<SignOp>>(ctx);
  attachGradient<ErfOp, erfGrad>(ctx);
  attachGradient<SinOp, sinGrad>(ctx);
  attachGradient<CosOp, cosGrad>(ctx);
  attachGradient<TanOp, tanGrad>(ctx);
  attachGradient<AsinOp, asinGrad>(ctx);
  attachGradient<AcosOp, acosGrad>(ctx);
  attachGradient<AtanOp, atanGrad>(ctx);
  attachGradient<SinhOp, sinhGrad>(ctx);
  attachGradient<CoshOp, coshGrad>(ctx);
  attachGradient<AsinhOp, asinhGrad>(ctx);
  attachGradient<AcoshOp, acoshGrad>(ctx);
  attachGradient<AtanhOp, atanhGrad>(ctx);
  attachGradient<SoftplusOp, softplusGrad>(ctx);
  attachGradient<SoftsignOp, softsignGrad>(ctx);
  attachGradient<HardSwishOp, hardSwishGrad>(ctx);
  attachGradient<EluOp, eluGrad>(ctx);
  attachGradient<SeluOp, seluGrad>(ctx);
  attachGradient<CeluOp, celuGrad>(ctx);
  attachGradient<LeakyReluOp, leakyReluGrad>(ctx);
  attachGradient<HardSigmoidOp, hardSigmoidGrad>(ctx);
  attachGradient<ThresholdedReluOp, thresholdedReluGrad>(ctx);
  attachGradient<ShrinkOp, shrinkGrad>(ctx);
  attachGradient<ClipOp, clipGrad>(ctx);
  attachGradient<GeluOp, geluGrad>(ctx);
  attachGradient<CumSumOp, cumsumGrad>(ctx);
  attachGradient<AddOp, addGrad>(ctx);
  attachGradient<SubOp, subGrad>(ctx);
  attachGradient<MulOp, mulGrad>(ctx);
  attachGradient<DivOp, divGrad>(ctx);
  attachGradient<PowOp, powGrad>(ctx);
  attachGradient<MaxOp, maxGrad>(ctx);
  attachGradient<MinOp, minGrad>(ctx);
  attachGradient<ModOp, modGrad>(ctx);
  attachGradient<PReluOp, preluGrad>(ctx);
  attachGradient<WhereOp, whereGrad>(ctx);
  attachGradient<CastOp, castGrad>(ctx);
  attachGradient<GemmOp, gemmGrad>(ctx);
  attachGradient<MatmulOp, matmulGrad>(ctx);
  attachGradient<EinsumOp, einsumGrad>(ctx);
  attachGradient<ReduceSumOp, reduceSumGrad>(ctx);
  attachGradient<ReduceMeanOp, reduceMeanGrad>(ctx);
  attachGradient<ReduceMaxOp, extremumGrad<ReduceMaxOp>>(ctx);
  attachGradient<ReduceMinOp, extremumGrad<ReduceMinOp>>(ctx);
  attachGradient<ReduceProdOp, reduceProdGrad>(ctx);
  attachGradient<ReduceL1Op, reduceL1Grad>(ctx);
  attachGradient<ReduceL2Op, reduceL2Grad>(ctx);
  attachGradient<ReduceSumSquareOp, reduceSumSquareGrad>(ctx);
  attachGradient<ReduceLogSumOp, reduceLogSumGrad>(ctx);
  attachGradient<ReduceLogSumExpOp, reduceLogSumExpGrad>(ctx);
  // Comparisons, logic and index-valued ops have no float operand whose
  // gradient could be asked for; they need no rule.
}

} // namespace lathe
