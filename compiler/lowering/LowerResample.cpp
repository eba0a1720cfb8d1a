// Lowering of the resampling ops of the nn family: resize and grid_sample.
#include "compiler/lowering/LoweringUtils.h"
#include "compiler/lowering/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;

namespace lathe {
namespace {

/// One resized dimension's taps: input indices and their weights (f64).
struct ResizeTaps {
  SmallVector<Value> index;
  SmallVector<Value> weight;
  Value outside; ///< i1: the point lies outside the roi (tf_crop_and_resize).
};

/// The taps of output coordinate |d| of a resize from |in| to |out|
/// elements.
ResizeTaps resizeTaps(OpBuilder &b, Location l, ResizeOp op, int64_t d,
                      int64_t in, int64_t out) {
  Type f64 = b.getF64Type();
  auto c = [&](double v) { return floatConstant(b, l, f64, v); };
  auto add = [&](Value x, Value y) {
    return arith::AddFOp::create(b, l, x, y);
  };
  auto sub = [&](Value x, Value y) {
    return arith::SubFOp::create(b, l, x, y);
  };
  auto mul = [&](Value x, Value y) {
    return arith::MulFOp::create(b, l, x, y);
  };
  auto div = [&](Value x, Value y) {
    return arith::DivFOp::create(b, l, x, y);
  };
  ResizeTaps taps;
  double scale = op.getScales()[d];
  CoordinateMode cm = op.getCoordinateMode();
  Value here = linalg::IndexOp::create(b, l, d);
  if (in == out && scale == 1.0 && cm != CoordinateMode::tf_crop_and_resize) {
    taps.index.push_back(here);
    taps.weight.push_back(c(1.0));
    return taps;
  }
  Value o = arith::SIToFPOp::create(
      b, l, f64, arith::IndexCastOp::create(b, l, b.getI64Type(), here));
  Value halfPixel = sub(div(add(o, c(0.5)), c(scale)), c(0.5));
  // ONNX's length_resized: in * scale, fractional when scales were given.
  double resized = double(in) * scale;
  Value x;
  switch (cm) {
  case CoordinateMode::half_pixel:
    x = halfPixel;
    break;
  case CoordinateMode::half_pixel_symmetric: {
    double adjustment = double(out) / (scale * double(in));
    x = add(c(double(in) / 2 * (1 - adjustment)), halfPixel);
    break;
  }
  case CoordinateMode::pytorch_half_pixel:
    x = resized > 1 ? halfPixel : c(0.0);
    break;
  case CoordinateMode::align_corners:
    x = resized == 1 ? c(0.0) : mul(o, c(double(in - 1) / (resized - 1)));
    break;
  case CoordinateMode::asymmetric:
    x = div(o, c(scale));
    break;
  case CoordinateMode::tf_half_pixel_for_nn:
    x = div(add(o, c(0.5)), c(scale));
    break;
  case CoordinateMode::tf_crop_and_resize: {
    ArrayRef<double> roi = *op.getRoi();
    double start = roi[d], end = roi[d + roi.size() / 2];
    x = resized > 1 ? add(c(start * (in - 1)),
                          mul(o, c((end - start) * (in - 1) / (resized - 1))))
                    : c(0.5 * (start + end) * (in - 1));
    taps.outside = arith::OrIOp::create(
        b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(0)),
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                              c(double(in - 1))));
    break;
  }
  }
  auto toIndex = [&](Value f) -> Value {
    return arith::IndexCastOp::create(
        b, l, b.getIndexType(),
        arith::FPToSIOp::create(b, l, b.getI64Type(), f));
  };
  auto clamp = [&](Value i) -> Value {
    Value lo = arith::ConstantIndexOp::create(b, l, 0);
    Value hi = arith::ConstantIndexOp::create(b, l, in - 1);
    return arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, i, hi),
                                  lo);
  };
  if (op.getMode() == ResizeMode::nearest) {
    Value r;
    switch (op.getNearestMode()) {
    case NearestMode::round_prefer_floor:
      r = math::CeilOp::create(b, l, sub(x, c(0.5)));
      break;
    case NearestMode::round_prefer_ceil:
      r = math::FloorOp::create(b, l, add(x, c(0.5)));
      break;
    case NearestMode::floor:
      r = math::FloorOp::create(b, l, x);
      break;
    case NearestMode::ceil:
      r = math::CeilOp::create(b, l, x);
      break;
    }
    taps.index.push_back(clamp(toIndex(r)));
    taps.weight.push_back(c(1.0));
    return taps;
  }
  Value floor = math::FloorOp::create(b, l, x);
  Value t = sub(x, floor);
  Value base = toIndex(floor);
  SmallVector<std::pair<int64_t, Value>> raw; // offset from base, weight
  if (op.getMode() == ResizeMode::linear) {
    raw = {{0, sub(c(1.0), t)}, {1, t}};
  } else {
    double a = op.getCubicCoeffA().convertToDouble();
    // Keys' cubic convolution weights at distances 1 + t, t, 1 - t, 2 - t.
    auto outer = [&](Value s) { // 1 < s < 2
      return sub(
          add(mul(sub(mul(c(a), s), c(5 * a)), mul(s, s)), mul(c(8 * a), s)),
          c(4 * a));
    };
    auto inner = [&](Value s) { // 0 <= s <= 1
      return add(mul(sub(mul(c(a + 2), s), c(a + 3)), mul(s, s)), c(1.0));
    };
    raw = {{-1, outer(add(t, c(1.0)))},
           {0, inner(t)},
           {1, inner(sub(c(1.0), t))},
           {2, outer(sub(c(2.0), t))}};
  }
  Value total = c(0.0);
  for (auto &[offset, w] : raw) {
    Value i = arith::AddIOp::create(
        b, l, base, arith::ConstantIndexOp::create(b, l, offset));
    if (op.getExcludeOutside()) {
      Value inside = arith::AndIOp::create(
          b, l,
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i,
                                arith::ConstantIndexOp::create(b, l, 0)),
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i,
                                arith::ConstantIndexOp::create(b, l, in)));
      w = arith::SelectOp::create(b, l, inside, w, c(0.0));
      total = add(total, w);
    }
    taps.index.push_back(clamp(i));
    taps.weight.push_back(w);
  }
  if (op.getExcludeOutside())
    for (Value &w : taps.weight)
      w = div(w, total);
  return taps;
}

/// resize(x) => generic over the output { sum over the taps of every
/// dimension of prod(weights) * x[taps] } (f64 coordinates and weights).
struct ResizeLowering : OpConversionPattern<ResizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    Type elt = type.getElementType();
    Value result = elementwise(
        rewriter, loc, ValueRange{}, type,
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          SmallVector<ResizeTaps> dims;
          for (int64_t d = 0; d < rank; ++d)
            dims.push_back(resizeTaps(b, l, op, d, inType.getDimSize(d),
                                      type.getDimSize(d)));
          Type f64 = b.getF64Type();
          Value sum = floatConstant(b, l, f64, 0.0);
          SmallVector<size_t> pick(rank, 0);
          while (true) {
            SmallVector<Value> coords;
            Value w = floatConstant(b, l, f64, 1.0);
            for (int64_t d = 0; d < rank; ++d) {
              coords.push_back(dims[d].index[pick[d]]);
              if (dims[d].weight.size() > 1)
                w = arith::MulFOp::create(b, l, w, dims[d].weight[pick[d]]);
            }
            Value v = tensor::ExtractOp::create(b, l, x, coords);
            if (elt != f64)
              v = arith::ExtFOp::create(b, l, f64, v);
            sum = arith::AddFOp::create(b, l, sum,
                                        arith::MulFOp::create(b, l, w, v));
            int64_t d = rank - 1;
            while (d >= 0 && ++pick[d] == dims[d].index.size())
              pick[d--] = 0;
            if (d < 0)
              break;
          }
          for (const ResizeTaps &t : dims)
            if (t.outside)
              sum = arith::SelectOp::create(
                  b, l, t.outside,
                  floatConstant(b, l, f64,
                                op.getExtrapolationValue().convertToDouble()),
                  sum);
          Value result =
              elt == f64 ? sum : arith::TruncFOp::create(b, l, elt, sum);
          return result;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// grid_sample(x, g) => generic over (n, c, i, j): read (gx, gy) from the
/// grid, unnormalize, apply the padding rule, then gather the nearest,
/// bilinear or bicubic taps (f64 coordinates and weights), as PyTorch's
/// grid_sampler_2d does.
struct GridSampleLowering : OpConversionPattern<GridSampleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GridSampleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), grid = adaptor.getGrid();
    auto xType = cast<RankedTensorType>(x.getType());
    auto type = cast<RankedTensorType>(op.getType());
    Type elt = type.getElementType();
    bool align = op.getAlignCorners();
    GridPadding padding = op.getPadding();
    ResizeMode mode = op.getMode();
    int64_t sizes[2] = {xType.getDimSize(3), xType.getDimSize(2)}; // W, H
    Value result = elementwise(
        rewriter, loc, ValueRange{}, type,
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Type f64 = b.getF64Type();
          auto c = [&](double v) { return floatConstant(b, l, f64, v); };
          auto add = [&](Value p, Value q) -> Value {
            return arith::AddFOp::create(b, l, p, q);
          };
          auto sub = [&](Value p, Value q) -> Value {
            return arith::SubFOp::create(b, l, p, q);
          };
          auto mul = [&](Value p, Value q) -> Value {
            return arith::MulFOp::create(b, l, p, q);
          };
          auto idx = [&](int64_t d) -> Value {
            return linalg::IndexOp::create(b, l, d);
          };
          Value n = idx(0), ch = idx(1);
          // Clip to [0, size - 1].
          auto clip = [&](Value v, int64_t size) -> Value {
            return arith::MinimumFOp::create(
                b, l, arith::MaximumFOp::create(b, l, v, c(0.0)),
                c(double(size - 1)));
          };
          // PyTorch's reflect_coordinates over [low / 2, high / 2].
          auto reflect = [&](Value v, double twiceLow,
                             double twiceHigh) -> Value {
            if (twiceLow == twiceHigh)
              return c(0.0);
            double lo = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
            Value in = math::AbsFOp::create(b, l, sub(v, c(lo)));
            Value extra = arith::RemFOp::create(b, l, in, c(span));
            Value flips = math::FloorOp::create(
                b, l, arith::DivFOp::create(b, l, in, c(span)));
            Value odd = arith::CmpFOp::create(
                b, l, arith::CmpFPredicate::ONE,
                arith::RemFOp::create(b, l, flips, c(2.0)), c(0.0));
            return arith::SelectOp::create(
                b, l, odd, add(sub(c(span), extra), c(lo)), add(extra, c(lo)));
          };
          // compute_coordinates: the padding rule on a source coordinate.
          auto pad = [&](Value v, int64_t size) -> Value {
            if (padding == GridPadding::border)
              return clip(v, size);
            if (padding == GridPadding::reflection) {
              v = align ? reflect(v, 0, 2.0 * (size - 1))
                        : reflect(v, -1, 2.0 * size - 1);
              return clip(v, size);
            }
            return v;
          };
          Value coord[2];
          for (int a = 0; a < 2; ++a) {
            Value g = tensor::ExtractOp::create(
                b, l, grid,
                ValueRange{n, idx(2), idx(3),
                           arith::ConstantIndexOp::create(b, l, a)});
            if (g.getType() != f64)
              g = arith::ExtFOp::create(b, l, f64, g);
            int64_t size = sizes[a];
            coord[a] =
                align ? mul(add(g, c(1.0)), c((size - 1) / 2.0))
                      : mul(sub(mul(add(g, c(1.0)), c(double(size))), c(1.0)),
                            c(0.5));
            if (mode != ResizeMode::cubic)
              coord[a] = pad(coord[a], size);
          }
          // One tap: zero outside the input (zeros padding), else x[...].
          auto tap = [&](Value xi, Value yi) -> Value {
            // xi, yi: f64 integral coordinates.
            if (mode == ResizeMode::cubic) {
              xi = pad(xi, sizes[0]);
              yi = pad(yi, sizes[1]);
            }
            auto inside = [&](Value v, int64_t size) -> Value {
              return arith::AndIOp::create(
                  b, l,
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, v,
                                        c(0.0)),
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, v,
                                        c(double(size - 1))));
            };
            Value ok = arith::AndIOp::create(b, l, inside(xi, sizes[0]),
                                             inside(yi, sizes[1]));
            auto toIndex = [&](Value v, int64_t size) -> Value {
              Value i = arith::IndexCastOp::create(
                  b, l, b.getIndexType(),
                  arith::FPToSIOp::create(b, l, b.getI64Type(), clip(v, size)));
              return i;
            };
            Value v = tensor::ExtractOp::create(
                b, l, x,
                ValueRange{n, ch, toIndex(yi, sizes[1]),
                           toIndex(xi, sizes[0])});
            if (v.getType() != f64)
              v = arith::ExtFOp::create(b, l, f64, v);
            return arith::SelectOp::create(b, l, ok, v, c(0.0));
          };
          Value result;
          if (mode == ResizeMode::nearest) {
            result = tap(math::RoundEvenOp::create(b, l, coord[0]),
                         math::RoundEvenOp::create(b, l, coord[1]));
          } else {
            Value fx = math::FloorOp::create(b, l, coord[0]);
            Value fy = math::FloorOp::create(b, l, coord[1]);
            Value tx = sub(coord[0], fx), ty = sub(coord[1], fy);
            SmallVector<std::pair<double, Value>> wx, wy;
            if (mode == ResizeMode::linear) {
              wx = {{0, sub(c(1.0), tx)}, {1, tx}};
              wy = {{0, sub(c(1.0), ty)}, {1, ty}};
            } else {
              double a = -0.75;
              auto outer = [&](Value s) {
                return sub(add(mul(sub(mul(c(a), s), c(5 * a)), mul(s, s)),
                               mul(c(8 * a), s)),
                           c(4 * a));
              };
              auto inner = [&](Value s) {
                return add(mul(sub(mul(c(a + 2), s), c(a + 3)), mul(s, s)),
                           c(1.0));
              };
              auto weights = [&](Value t) {
                return SmallVector<std::pair<double, Value>>{
                    {-1, outer(add(t, c(1.0)))},
                    {0, inner(t)},
                    {1, inner(sub(c(1.0), t))},
                    {2, outer(sub(c(2.0), t))}};
              };
              wx = weights(tx);
              wy = weights(ty);
            }
            result = c(0.0);
            for (auto &[oy, wyv] : wy)
              for (auto &[ox, wxv] : wx)
                result = add(result, mul(mul(wyv, wxv),
                                         tap(add(fx, c(ox)), add(fy, c(oy)))));
          }
          if (elt != f64)
            result = arith::TruncFOp::create(b, l, elt, result);
          return result;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateLowerResamplePatterns(RewritePatternSet &patterns) {
  patterns.add<ResizeLowering, GridSampleLowering>(patterns.getContext());
}

} // namespace lathe
