// The lathe-expand-for-gradient pass: in @gradient, ops whose derivative is
// best taken through their definition are rewritten into differentiable
// lathe ops, which autodiff then differentiates one by one. grid_sample
// becomes its taps: coordinates, the padding rule, weights and gathers.
#include "compiler/graph/Passes.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_EXPANDFORGRADIENT
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// grid_sample as PyTorch's grid_sampler_2d defines it (and as the kernel
/// in LowerNN.cpp computes it), one tensor per coordinate of the N x Ho x Wo
/// sample points.
struct GridSampleExpansion : TensorBuilder {
  GridSampleOp op;
  int64_t n, c, h, w, ho, wo;
  Value nhwc; ///< The input channels last, which every tap gathers from.

  GridSampleExpansion(OpBuilder &b, GridSampleOp op)
      : TensorBuilder{b, op.getLoc()}, op(op) {
    ArrayRef<int64_t> xs = shape(op.getInput()), gs = shape(op.getGrid());
    n = xs[0], c = xs[1], h = xs[2], w = xs[3], ho = gs[1], wo = gs[2];
  }

  Value num(double v) { return scalarLike(v, op.getGrid()); }
  Value clip(Value v, int64_t size) {
    return ClipOp::create(b, loc, v, b.getF64FloatAttr(0.0),
                          b.getF64FloatAttr(double(size - 1)));
  }
  /// reflect_coordinates: |v| folded into [twiceLow / 2, twiceHigh / 2].
  Value reflect(Value v, double twiceLow, double twiceHigh) {
    if (twiceLow == twiceHigh)
      return zerosLike(v);
    double lo = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
    Value in = AbsOp::create(b, loc, sub(v, num(lo)));
    Value extra = ModOp::create(b, loc, in, num(span), b.getUnitAttr());
    Value flips = FloorOp::create(b, loc, div(in, num(span)));
    Value even =
        equal(ModOp::create(b, loc, flips, num(2.0), UnitAttr()), num(0.0));
    return where(even, add(extra, num(lo)),
                 add(sub(num(span), extra), num(lo)));
  }
  /// compute_coordinates: the padding rule on a source coordinate.
  Value pad(Value v, int64_t size) {
    switch (op.getPadding()) {
    case GridPadding::border:
      return clip(v, size);
    case GridPadding::reflection:
      return clip(op.getAlignCorners() ? reflect(v, 0, 2.0 * double(size - 1))
                                       : reflect(v, -1, 2.0 * double(size) - 1),
                  size);
    default:
      return v;
    }
  }
  /// Grid component |a| (0: x over the width, 1: y over the height) in
  /// pixels: N x Ho x Wo.
  Value source(int a, int64_t size) {
    Value g =
        reshape(slice(op.getGrid(), {0, 0, 0, a}, {n, ho, wo, 1}), {n, ho, wo});
    Value one = num(1.0);
    Value v = op.getAlignCorners()
                  ? scale(add(g, one), double(size - 1) / 2)
                  : scale(sub(scale(add(g, one), double(size)), one), 0.5);
    return op.getMode() == ResizeMode::cubic ? v : pad(v, size);
  }
  /// x at integral coordinates (xi, yi), zero outside the input:
  /// N x Ho x Wo x C.
  Value tap(Value xi, Value yi) {
    if (op.getMode() == ResizeMode::cubic) {
      xi = pad(xi, w);
      yi = pad(yi, h);
    }
    auto inside = [&](Value v, int64_t size) {
      return logicalAnd(GreaterEqualOp::create(b, loc, v, num(0.0)),
                        LessEqualOp::create(b, loc, v, num(size - 1)));
    };
    Value ok = logicalAnd(inside(xi, w), inside(yi, h));
    auto index = [&](Value v, int64_t size) {
      return reshape(cast(clip(v, size), b.getI64Type()), {n, ho, wo, 1});
    };
    Value at = concat({index(yi, h), index(xi, w)}, 3);
    Value v = GatherNdOp::create(b, loc, nhwc, at, b.getI64IntegerAttr(1));
    return mask(reshape(ok, {n, ho, wo, 1}), v);
  }
  /// (offset, weight) pairs of one dimension at fractional part |t|.
  SmallVector<std::pair<double, Value>> weights(Value t) {
    if (op.getMode() == ResizeMode::linear)
      return {{0, sub(num(1.0), t)}, {1, t}};
    double a = -0.75; // Keys' cubic convolution, as PyTorch's bicubic.
    auto outer = [&](Value s) { // 1 < s < 2
      return sub(
          add(mul(sub(scale(s, a), num(5 * a)), square(s)), scale(s, 8 * a)),
          num(4 * a));
    };
    auto inner = [&](Value s) { // 0 <= s <= 1
      return add(mul(sub(scale(s, a + 2), num(a + 3)), square(s)), num(1.0));
    };
    Value one = num(1.0), two = num(2.0);
    return {{-1, outer(add(t, one))},
            {0, inner(t)},
            {1, inner(sub(one, t))},
            {2, outer(sub(two, t))}};
  }

  Value build() {
    nhwc = transpose(op.getInput(), {0, 2, 3, 1});
    Value x = source(0, w), y = source(1, h);
    Value sum;
    if (op.getMode() == ResizeMode::nearest) {
      sum = tap(RoundOp::create(b, loc, x), RoundOp::create(b, loc, y));
    } else {
      Value fx = FloorOp::create(b, loc, x), fy = FloorOp::create(b, loc, y);
      auto wx = weights(sub(x, fx)), wy = weights(sub(y, fy));
      for (auto &[oy, vy] : wy)
        for (auto &[ox, vx] : wx) {
          Value term = mul(reshape(mul(vy, vx), {n, ho, wo, 1}),
                           tap(add(fx, num(ox)), add(fy, num(oy))));
          sum = sum ? add(sum, term) : term;
        }
    }
    return transpose(sum, {0, 3, 1, 2});
  }
};

struct ExpandForGradientPass
    : impl::ExpandForGradientBase<ExpandForGradientPass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("gradient");
    if (!func)
      return;
    SmallVector<GridSampleOp> samples;
    func.walk([&](GridSampleOp op) { samples.push_back(op); });
    for (GridSampleOp op : samples) {
      OpBuilder b(op);
      op.getResult().replaceAllUsesWith(GridSampleExpansion(b, op).build());
      op.erase();
    }
  }
};

} // namespace
} // namespace lathe
