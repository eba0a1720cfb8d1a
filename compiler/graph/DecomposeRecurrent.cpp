// The lathe-decompose-recurrent pass: recurrent layers become the lathe math
// and tensor ops of their cells, unrolled over the (static) sequence.
#include "compiler/graph/Passes.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_DECOMPOSERECURRENT
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// TensorBuilder plus the row / column selections the cells need.
struct CellBuilder : TensorBuilder {
  /// Row |k| of a leading dimension, with that dimension dropped.
  Value row(Value v, int64_t k) {
    SmallVector<int64_t> offsets(shape(v).size(), 0), sizes(shape(v));
    offsets[0] = k;
    sizes[0] = 1;
    return reshape(slice(v, offsets, sizes),
                   ArrayRef<int64_t>(sizes).drop_front());
  }
  /// Columns [j * h, (j + 1) * h) of the last dimension.
  Value part(Value v, int64_t j, int64_t h) {
    SmallVector<int64_t> offsets(shape(v).size(), 0), sizes(shape(v));
    offsets.back() = j * h;
    sizes.back() = h;
    return slice(v, offsets, sizes);
  }
  Value tanh(Value x) { return TanhOp::create(b, loc, x); }
  Value relu(Value x) { return ReluOp::create(b, loc, x); }
  Value clip(Value x, std::optional<float> bound) {
    if (!bound)
      return x;
    return ClipOp::create(b, loc, x.getType(), x, b.getF64FloatAttr(-*bound),
                          b.getF64FloatAttr(*bound));
  }
};

/// What one direction of a layer carries between steps and what it keeps.
struct DirectionResult {
  Value y; ///< T x 1 x N x H
  Value h; ///< 1 x N x H
  Value c; ///< 1 x N x H (LSTM only)
};

enum class Cell { Rnn, Gru, Lstm };

/// Unrolls one direction |k| of a recurrent layer. |state| holds the
/// optional initial h (and c) of every direction.
template <typename OpTy>
DirectionResult unroll(CellBuilder &cb, OpTy op, Cell cell, int64_t k,
                       bool reverse, Value initialH, Value initialC,
                       Value peepholes) {
  Value x = op.getInput();
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  int64_t t = cb.shape(x)[0], n = cb.shape(x)[1];
  int64_t h = op.getHiddenSize();
  int64_t gates = cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
  std::optional<float> clipBound;
  if (auto c = op.getClipAttr())
    clipBound = c.getValueAsDouble();

  // All steps' input projections at once: X W^T (+ biases).
  Value wT = cb.transposeLast2(cb.row(op.getWeight(), k));
  Value rT = cb.transposeLast2(cb.row(op.getRecurrence(), k));
  Value xw = cb.matmul(x, wT); // T x N x gH
  Value recurrentBias;
  if (Value bias = op.getBias()) {
    Value bk = cb.row(bias, k); // 2gH
    Value wb = cb.slice(bk, {0}, {gates * h});
    Value rb = cb.slice(bk, {gates * h}, {gates * h});
    if (cell == Cell::Gru) {
      xw = cb.add(xw, wb);
      recurrentBias = rb;
    } else {
      xw = cb.add(xw, cb.add(wb, rb));
    }
  }
  Value hState = initialH ? cb.row(initialH, k) : cb.splat(0.0, {n, h}, elt);
  Value cState;
  if (cell == Cell::Lstm)
    cState = initialC ? cb.row(initialC, k) : cb.splat(0.0, {n, h}, elt);
  Value pi, po, pf;
  if (peepholes) {
    Value pk = cb.row(peepholes, k);
    pi = cb.slice(pk, {0}, {h});
    po = cb.slice(pk, {h}, {h});
    pf = cb.slice(pk, {2 * h}, {h});
  }
  bool linearBeforeReset = false;
  if constexpr (std::is_same_v<OpTy, GruOp>)
    linearBeforeReset = op.getLinearBeforeReset();
  bool relu = false;
  if constexpr (std::is_same_v<OpTy, RnnOp>)
    relu = op.getNonlinearity() == Nonlinearity::relu;

  // With sequence_lens, a sample's steps from its length on keep its state
  // and output zeros; a reverse pass thus starts at the sample's last step.
  Value lengths;
  if (Value lens = op.getSequenceLens())
    lengths = cb.reshape(cb.cast(lens, elt), {n, 1});
  SmallVector<Value> steps(t);
  for (int64_t s = 0; s < t; ++s) {
    int64_t step = reverse ? t - 1 - s : s;
    Value hBefore = hState, cBefore = cState;
    Value xt = cb.row(xw, step); // N x gH
    Value hr = cb.matmul(hState, rT);
    if (recurrentBias)
      hr = cb.add(hr, recurrentBias);
    switch (cell) {
    case Cell::Rnn: {
      Value pre = cb.clip(cb.add(xt, hr), clipBound);
      hState = relu ? cb.relu(pre) : cb.tanh(pre);
      break;
    }
    case Cell::Gru: {
      Value z = cb.sigmoid(
          cb.clip(cb.add(cb.part(xt, 0, h), cb.part(hr, 0, h)), clipBound));
      Value r = cb.sigmoid(
          cb.clip(cb.add(cb.part(xt, 1, h), cb.part(hr, 1, h)), clipBound));
      Value candidate;
      if (linearBeforeReset) {
        candidate = cb.mul(r, cb.part(hr, 2, h));
      } else {
        candidate = cb.matmul(cb.mul(r, hState), cb.part(rT, 2, h));
        if (recurrentBias)
          candidate = cb.add(candidate, cb.slice(recurrentBias, {2 * h}, {h}));
      }
      Value nGate =
          cb.tanh(cb.clip(cb.add(cb.part(xt, 2, h), candidate), clipBound));
      // h = (1 - z) * n + z * h
      Value keep = cb.mul(z, hState);
      hState =
          cb.add(cb.mul(cb.sub(cb.splat(1.0, {n, h}, elt), z), nGate), keep);
      break;
    }
    case Cell::Lstm: {
      Value g = cb.add(xt, hr);
      Value iPre = cb.part(g, 0, h), oPre = cb.part(g, 1, h),
            fPre = cb.part(g, 2, h), cPre = cb.part(g, 3, h);
      if (peepholes) {
        iPre = cb.add(iPre, cb.mul(pi, cState));
        fPre = cb.add(fPre, cb.mul(pf, cState));
      }
      Value i = cb.sigmoid(cb.clip(iPre, clipBound));
      Value f = cb.sigmoid(cb.clip(fPre, clipBound));
      Value candidate = cb.tanh(cb.clip(cPre, clipBound));
      cState = cb.add(cb.mul(f, cState), cb.mul(i, candidate));
      if (peepholes)
        oPre = cb.add(oPre, cb.mul(po, cState));
      Value o = cb.sigmoid(cb.clip(oPre, clipBound));
      hState = cb.mul(o, cb.tanh(cState));
      break;
    }
    }
    Value yt = hState;
    if (lengths) {
      Value active = cb.greater(lengths, cb.scalar(double(step) + 0.5, elt));
      yt = cb.mask(active, hState);
      hState = cb.where(active, hState, hBefore);
      if (cState)
        cState = cb.where(active, cState, cBefore);
    }
    steps[step] = cb.reshape(yt, {1, 1, n, h});
  }
  DirectionResult out;
  out.y = cb.concat(steps, 0);
  out.h = cb.reshape(hState, {1, n, h});
  if (cState)
    out.c = cb.reshape(cState, {1, n, h});
  return out;
}

/// rnn / gru / lstm(x) => per direction: X W^T once, then per step
/// h = cell(x_t W^T, h R^T, ...) with lathe math ops; results concatenated.
template <typename OpTy, Cell cell>
struct DecomposeRecurrent : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    CellBuilder cb{{rewriter, op.getLoc()}};
    Value initialC, peepholes;
    if constexpr (cell == Cell::Lstm) {
      initialC = op.getInitialC();
      peepholes = op.getPeepholes();
    }
    Direction direction = op.getDirection();
    SmallVector<DirectionResult> dirs;
    if (direction == Direction::bidirectional) {
      dirs.push_back(unroll(cb, op, cell, 0, false, op.getInitialH(), initialC,
                            peepholes));
      dirs.push_back(
          unroll(cb, op, cell, 1, true, op.getInitialH(), initialC, peepholes));
    } else {
      dirs.push_back(unroll(cb, op, cell, 0, direction == Direction::reverse,
                            op.getInitialH(), initialC, peepholes));
    }
    SmallVector<Value> ys, hs, cs;
    for (const DirectionResult &d : dirs) {
      ys.push_back(d.y);
      hs.push_back(d.h);
      cs.push_back(d.c);
    }
    SmallVector<Value> results = {cb.concat(ys, 1), cb.concat(hs, 0)};
    if (cell == Cell::Lstm)
      results.push_back(cb.concat(cs, 0));
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct DecomposeRecurrentPass
    : public impl::DecomposeRecurrentBase<DecomposeRecurrentPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeRecurrentPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void populateDecomposeRecurrentPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeRecurrent<RnnOp, Cell::Rnn>,
               DecomposeRecurrent<GruOp, Cell::Gru>,
               DecomposeRecurrent<LstmOp, Cell::Lstm>>(patterns.getContext());
}

} // namespace lathe
