// Lowering of the loss family: criteria with torch.nn's reductions.
#include "compiler/lowering/LoweringUtils.h"
#include "compiler/lowering/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace lathe {
namespace {

/// Applies |reduction| to per-element losses |loss| with per-element weights
/// |weights| (null: every element counts once): none keeps them, sum adds
/// them, mean divides the sum by the summed weights.
Value reduceLoss(OpBuilder &b, Location loc, Value loss, Value weights,
                 Reduction reduction) {
  if (reduction == Reduction::none)
    return loss;
  auto type = cast<RankedTensorType>(loss.getType());
  SmallVector<int64_t> all =
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  auto add = [](OpBuilder &nb, Location l, Value acc, ValueRange in) -> Value {
    return arith::AddFOp::create(nb, l, acc, in[0]);
  };
  Value sum = reduceOver(b, loc, loss, all, /*keepDims=*/false, 0.0, add);
  if (reduction == Reduction::sum)
    return sum;
  auto scalar = cast<RankedTensorType>(sum.getType());
  if (!weights) {
    double count = double(type.getNumElements());
    return elementwise(b, loc, sum, scalar,
                       [&](OpBuilder &nb, Location l, ValueRange in) -> Value {
                         return arith::DivFOp::create(
                             nb, l, in[0],
                             floatConstant(nb, l, in[0].getType(), count));
                       });
  }
  Value total = reduceOver(b, loc, weights, all, /*keepDims=*/false, 0.0, add);
  return elementwise(b, loc, {sum, total}, scalar,
                     [](OpBuilder &nb, Location l, ValueRange in) -> Value {
                       return arith::DivFOp::create(nb, l, in[0], in[1]);
                     });
}

/// nll_loss(x, t, w) => generic over t { c = clamp(t); k = t != ignore;
/// weight = k ? w[c] : 0; loss = -x[n, c, d...] * weight }, then the
/// reduction (mean: sum(loss) / sum(weight)).
struct NllLossLowering : OpConversionPattern<NllLossOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NllLossOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    Value target = adaptor.getTarget();
    auto xType = cast<RankedTensorType>(x.getType());
    auto tType = cast<RankedTensorType>(target.getType());
    Type elt = xType.getElementType();
    int64_t classes = xType.getDimSize(1), rank = tType.getRank();
    std::optional<int64_t> ignore = op.getIgnoreIndex();
    auto lossType = RankedTensorType::get(tType.getShape(), elt);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Value lossInit = emptyTensor(rewriter, loc, tType.getShape(), elt);
    Value weightInit = emptyTensor(rewriter, loc, tType.getShape(), elt);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{lossType, lossType}, ValueRange{target},
        ValueRange{lossInit, weightInit}, ArrayRef<AffineMap>{id, id, id},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value t = args[0];
          Value c = clampedIndex(b, l, t, classes);
          SmallVector<Value> coords = {linalg::IndexOp::create(b, l, 0), c};
          for (int64_t d = 1; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          Value xv = tensor::ExtractOp::create(b, l, x, coords);
          Value weight =
              w ? tensor::ExtractOp::create(b, l, w, ValueRange{c}).getResult()
                : floatConstant(b, l, elt, 1.0);
          if (ignore) {
            Value skip = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::eq, t,
                arith::ConstantOp::create(
                    b, l, b.getIntegerAttr(t.getType(), *ignore)));
            weight = arith::SelectOp::create(
                b, l, skip, floatConstant(b, l, elt, 0.0), weight);
          }
          Value loss = arith::NegFOp::create(
              b, l, arith::MulFOp::create(b, l, xv, weight));
          linalg::YieldOp::create(b, l, ValueRange{loss, weight});
        });
    bool weighted = w || ignore;
    rewriter.replaceOp(op, reduceLoss(rewriter, loc, generic.getResult(0),
                                      weighted ? generic.getResult(1) : Value(),
                                      op.getReduction()));
    return success();
  }
};

} // namespace

void populateLowerLossPatterns(RewritePatternSet &patterns) {
  patterns.add<NllLossLowering>(patterns.getContext());
}

} // namespace lathe
