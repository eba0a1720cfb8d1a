// The lathe-decompose-recurrent pass: recurrent layers become the lathe math
// and tensor ops of their cells, in a loop over time or unrolled.
#include "compiler/graph/Passes.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

/// What one direction of a layer computes once, before its steps.
struct Direction {
  Cell cell;
  bool reverse;
  int64_t t, n, h;
  Type elt;
  Value xw;            ///< T x N x gH: every step's input projection (+ bias)
  Value rT;            ///< H x gH
  Value recurrentBias; ///< gH (GRU: added after the product)
  Value pi, po, pf;    ///< H each (LSTM peepholes)
  std::optional<float> clipBound;
  bool linearBeforeReset = false, relu = false;
  Value lengths; ///< N x 1 in the element type (sequence_lens), or null
  Value h0, c0;  ///< N x H (c0: LSTM only)
};

/// The state a step starts from and ends with.
struct State {
  Value h, c;
};

/// Direction |k| of a recurrent layer: its weights, biases and initial
/// state. |initialH| (and |initialC|) hold every direction's, or are null.
template <typename OpTy>
Direction prepare(CellBuilder &cb, OpTy op, Cell cell, int64_t k, bool reverse,
                  Value initialH, Value initialC, Value peepholes) {
  Direction d;
  d.cell = cell;
  d.reverse = reverse;
  Value x = op.getInput();
  d.elt = cast<RankedTensorType>(x.getType()).getElementType();
  d.t = cb.shape(x)[0];
  d.n = cb.shape(x)[1];
  d.h = op.getHiddenSize();
  int64_t n = d.n, h = d.h;
  int64_t gates = cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
  if (auto c = op.getClipAttr())
    d.clipBound = c.getValueAsDouble();

  // All steps' input projections at once: X W^T (+ biases).
  Value wT = cb.transposeLast2(cb.row(op.getWeight(), k));
  d.rT = cb.transposeLast2(cb.row(op.getRecurrence(), k));
  d.xw = cb.matmul(x, wT); // T x N x gH
  if (Value bias = op.getBias()) {
    Value bk = cb.row(bias, k); // 2gH
    Value wb = cb.slice(bk, {0}, {gates * h});
    Value rb = cb.slice(bk, {gates * h}, {gates * h});
    if (cell == Cell::Gru) {
      d.xw = cb.add(d.xw, wb);
      d.recurrentBias = rb;
    } else {
      d.xw = cb.add(d.xw, cb.add(wb, rb));
    }
  }
  d.h0 = initialH ? cb.row(initialH, k) : cb.splat(0.0, {n, h}, d.elt);
  if (cell == Cell::Lstm)
    d.c0 = initialC ? cb.row(initialC, k) : cb.splat(0.0, {n, h}, d.elt);
  if (peepholes) {
    Value pk = cb.row(peepholes, k);
    d.pi = cb.slice(pk, {0}, {h});
    d.po = cb.slice(pk, {h}, {h});
    d.pf = cb.slice(pk, {2 * h}, {h});
  }
  if constexpr (std::is_same_v<OpTy, GruOp>)
    d.linearBeforeReset = op.getLinearBeforeReset();
  if constexpr (std::is_same_v<OpTy, RnnOp>)
    d.relu = op.getNonlinearity() == Nonlinearity::relu;
  // With sequence_lens, a sample's steps from its length on keep its state
  // and output zeros; a reverse pass thus starts at the sample's last step.
  if (Value lens = op.getSequenceLens())
    d.lengths = cb.reshape(cb.cast(lens, d.elt), {n, 1});
  return d;
}

/// One step of direction |d|: from the state |before| and the step's input
/// projection |xt| (N x gH) to the state after it; its output goes to |yt|.
/// |active| (N x 1 booleans, with sequence_lens) marks the samples whose
/// sequence still runs at this step.
State step(CellBuilder &cb, const Direction &d, Value xt, State before,
           Value active, Value &yt) {
  int64_t n = d.n, h = d.h;
  Value hState = before.h, cState = before.c;
  Value hr = cb.matmul(hState, d.rT);
  if (d.recurrentBias)
    hr = cb.add(hr, d.recurrentBias);
  switch (d.cell) {
  case Cell::Rnn: {
    Value pre = cb.clip(cb.add(xt, hr), d.clipBound);
    hState = d.relu ? cb.relu(pre) : cb.tanh(pre);
    break;
  }
  case Cell::Gru: {
    Value z = cb.sigmoid(
        cb.clip(cb.add(cb.part(xt, 0, h), cb.part(hr, 0, h)), d.clipBound));
    Value r = cb.sigmoid(
        cb.clip(cb.add(cb.part(xt, 1, h), cb.part(hr, 1, h)), d.clipBound));
    Value candidate;
    if (d.linearBeforeReset) {
      candidate = cb.mul(r, cb.part(hr, 2, h));
    } else {
      candidate = cb.matmul(cb.mul(r, hState), cb.part(d.rT, 2, h));
      if (d.recurrentBias)
        candidate = cb.add(candidate, cb.slice(d.recurrentBias, {2 * h}, {h}));
    }
    Value nGate =
        cb.tanh(cb.clip(cb.add(cb.part(xt, 2, h), candidate), d.clipBound));
    // h = (1 - z) * n + z * h
    Value keep = cb.mul(z, hState);
    hState =
        cb.add(cb.mul(cb.sub(cb.splat(1.0, {n, h}, d.elt), z), nGate), keep);
    break;
  }
  case Cell::Lstm: {
    Value g = cb.add(xt, hr);
    Value iPre = cb.part(g, 0, h), oPre = cb.part(g, 1, h),
          fPre = cb.part(g, 2, h), cPre = cb.part(g, 3, h);
    if (d.pi) {
      iPre = cb.add(iPre, cb.mul(d.pi, cState));
      fPre = cb.add(fPre, cb.mul(d.pf, cState));
    }
    Value i = cb.sigmoid(cb.clip(iPre, d.clipBound));
    Value f = cb.sigmoid(cb.clip(fPre, d.clipBound));
    Value candidate = cb.tanh(cb.clip(cPre, d.clipBound));
    cState = cb.add(cb.mul(f, cState), cb.mul(i, candidate));
    if (d.po)
      oPre = cb.add(oPre, cb.mul(d.po, cState));
    Value o = cb.sigmoid(cb.clip(oPre, d.clipBound));
    hState = cb.mul(o, cb.tanh(cState));
    break;
  }
  }
  yt = hState;
  if (active) {
    yt = cb.mask(active, hState);
    hState = cb.where(active, hState, before.h);
    if (cState)
      cState = cb.where(active, cState, before.c);
  }
  return {hState, cState};
}

/// The layer's results from the state after the last step and the T x N x
/// H outputs of every step.
DirectionResult finish(CellBuilder &cb, const Direction &d, Value ys,
                       State last) {
  DirectionResult out;
  out.y = cb.reshape(ys, {d.t, 1, d.n, d.h});
  out.h = cb.reshape(last.h, {1, d.n, d.h});
  if (last.c)
    out.c = cb.reshape(last.c, {1, d.n, d.h});
  return out;
}

/// Direction |d| with its steps unrolled over the static sequence.
DirectionResult unroll(CellBuilder &cb, const Direction &d) {
  SmallVector<Value> steps(d.t);
  State state{d.h0, d.c0};
  for (int64_t s = 0; s < d.t; ++s) {
    int64_t at = d.reverse ? d.t - 1 - s : s;
    Value active;
    if (d.lengths)
      active = cb.greater(d.lengths, cb.scalar(double(at) + 0.5, d.elt));
    Value yt;
    state = step(cb, d, cb.row(d.xw, at), state, active, yt);
    steps[at] = cb.reshape(yt, {1, d.n, d.h});
  }
  return finish(cb, d, cb.concat(steps, 0), state);
}

/// The offsets, sizes and strides of row |at| of a tensor of |type| (its
/// leading dimension).
struct RowSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  RowSlice(OpBuilder &b, RankedTensorType type, OpFoldResult at)
      : offsets(type.getRank(), b.getIndexAttr(0)),
        strides(type.getRank(), b.getIndexAttr(1)) {
    offsets[0] = at;
    sizes.push_back(b.getIndexAttr(1));
    for (int64_t size : type.getShape().drop_front())
      sizes.push_back(b.getIndexAttr(size));
  }
};

/// Row |at| of |v|'s leading dimension, that dimension dropped.
Value rowAt(OpBuilder &b, Location loc, Value v, OpFoldResult at) {
  auto type = cast<RankedTensorType>(v.getType());
  RowSlice row(b, type, at);
  auto rowType = RankedTensorType::get(type.getShape().drop_front(),
                                       type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, rowType, v, row.offsets,
                                        row.sizes, row.strides);
}

/// |into| with its row |at| replaced by |row|.
Value insertRow(OpBuilder &b, Location loc, Value row, Value into,
                OpFoldResult at) {
  RowSlice slice(b, cast<RankedTensorType>(into.getType()), at);
  return tensor::InsertSliceOp::create(b, loc, row, into, slice.offsets,
                                       slice.sizes, slice.strides);
}

/// Direction |d| as one scf.for over time. It carries the outputs so far
/// (T x N x H, step t's row written at t) and the state in two rows each
/// (2 x N x H: step s reads row s mod 2 and writes the other), so that
/// every carried value is updated in place: no step allocates a buffer
/// that outlives it.
DirectionResult loop(CellBuilder &cb, const Direction &d) {
  OpBuilder &b = cb.b;
  Location loc = cb.loc;
  // Which samples still run, per step: T x N x 1, computed once.
  Value activeAll;
  if (d.lengths) {
    SmallVector<double> marks;
    for (int64_t s = 0; s < d.t; ++s)
      marks.push_back(double(s) + 0.5);
    activeAll = cb.greater(cb.reshape(d.lengths, {1, d.n, 1}),
                           cb.constant(marks, {d.t, 1, 1}, d.elt));
  }
  auto empty = [&](int64_t rows) -> Value {
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, d.n, d.h},
                                   d.elt);
  };
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value two = arith::ConstantIndexOp::create(b, loc, 2);
  Value steps = arith::ConstantIndexOp::create(b, loc, d.t);
  Value last = arith::ConstantIndexOp::create(b, loc, d.t - 1);
  SmallVector<Value> inits = {
      empty(d.t), insertRow(b, loc, d.h0, empty(2), b.getIndexAttr(0))};
  if (d.c0)
    inits.push_back(insertRow(b, loc, d.c0, empty(2), b.getIndexAttr(0)));
  auto body = [&](OpBuilder &, Location, Value s, ValueRange carried) {
    Value at = d.reverse ? arith::SubIOp::create(b, loc, last, s) : s;
    Value from = arith::RemUIOp::create(b, loc, s, two);
    Value to = arith::SubIOp::create(b, loc, one, from);
    State before{rowAt(b, loc, carried[1], from),
                 d.c0 ? rowAt(b, loc, carried[2], from) : Value()};
    Value active = activeAll ? rowAt(b, loc, activeAll, at) : Value();
    Value yt;
    State after = step(cb, d, rowAt(b, loc, d.xw, at), before, active, yt);
    SmallVector<Value> next = {insertRow(b, loc, yt, carried[0], at),
                               insertRow(b, loc, after.h, carried[1], to)};
    if (after.c)
      next.push_back(insertRow(b, loc, after.c, carried[2], to));
    scf::YieldOp::create(b, loc, next);
  };
  auto forOp = scf::ForOp::create(b, loc, zero, steps, one, inits, body);
  int64_t end = d.t % 2;
  State final{cb.row(forOp.getResult(1), end),
              d.c0 ? cb.row(forOp.getResult(2), end) : Value()};
  return finish(cb, d, forOp.getResult(0), final);
}

/// rnn / gru / lstm(x) => per direction: X W^T once, then per step
/// h = cell(x_t W^T, h R^T, ...) with lathe math ops; results concatenated.
template <typename OpTy, Cell cell>
struct DecomposeRecurrent : OpRewritePattern<OpTy> {
  DecomposeRecurrent(MLIRContext *context, bool loops)
      : OpRewritePattern<OpTy>(context), loops(loops) {}
  bool loops;

  DirectionResult decompose(CellBuilder &cb, OpTy op, int64_t k, bool reverse,
                            Value initialC, Value peepholes) const {
    Direction d = prepare(cb, op, cell, k, reverse, op.getInitialH(), initialC,
                          peepholes);
    return loops && d.t > 1 ? loop(cb, d) : unroll(cb, d);
  }

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    CellBuilder cb{{rewriter, op.getLoc()}};
    Value initialC, peepholes;
    if constexpr (cell == Cell::Lstm) {
      initialC = op.getInitialC();
      peepholes = op.getPeepholes();
    }
    lathe::Direction direction = op.getDirection();
    SmallVector<DirectionResult> dirs;
    if (direction == lathe::Direction::bidirectional) {
      dirs.push_back(decompose(cb, op, 0, false, initialC, peepholes));
      dirs.push_back(decompose(cb, op, 1, true, initialC, peepholes));
    } else {
      dirs.push_back(decompose(cb, op, 0,
                               direction == lathe::Direction::reverse, initialC,
                               peepholes));
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
  using DecomposeRecurrentBase::DecomposeRecurrentBase;

  void runOnOperation() override {
    // ONNX's Gradient differentiates what it covers step by step: unrolled.
    bool differentiated =
        getOperation()
            ->walk([](GradientOp) { return WalkResult::interrupt(); })
            .wasInterrupted();
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeRecurrent<RnnOp, Cell::Rnn>,
                 DecomposeRecurrent<GruOp, Cell::Gru>,
                 DecomposeRecurrent<LstmOp, Cell::Lstm>>(
        &getContext(), loops && !differentiated);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

} // namespace lathe
