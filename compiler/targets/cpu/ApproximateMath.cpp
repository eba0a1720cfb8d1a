// The lathe-approximate-math pass: f32 transcendental functions as
// polynomial approximations instead of libm calls.
#include "compiler/targets/cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

namespace lathe {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// The functions approximated: what activations, softmax and the norms use.
/// (|name| is the op's name, "math.tanh".)
bool isApproximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"tanh", "exp", "expm1", "log", "log1p", "erf"},
                            name);
}

/// A constant |value| of |type| (f32, or a vector of f32).
Value constant(OpBuilder &b, Location loc, Type type, float value) {
  return createScalarOrSplatConstant(b, loc, type, APFloat(value));
}

/// log(x) for subnormal x as log(x * 2^24) - 24 ln 2: the approximation
/// reads the exponent bits, which a subnormal does not have (it would give
/// log(FLT_MIN), -87.3, for every one of them).
void guardSubnormalLog(math::LogOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getOperand();
  Type type = x.getType();
  Value small = arith::CmpFOp::create(
      b, loc, arith::CmpFPredicate::OLT, x,
      constant(b, loc, type, std::numeric_limits<float>::min()));
  Value scaled =
      arith::MulFOp::create(b, loc, x, constant(b, loc, type, 0x1p24));
  op->setOperand(0, arith::SelectOp::create(b, loc, small, scaled, x));
  b.setInsertionPointAfter(op);
  Value log = op.getResult();
  Value shifted = arith::SubFOp::create(
      b, loc, log, constant(b, loc, type, 24 * std::log(2.0)));
  Value result = arith::SelectOp::create(b, loc, small, shifted, log);
  log.replaceAllUsesExcept(result,
                           SmallPtrSet<Operation *, 2>{shifted.getDefiningOp(),
                                                       result.getDefiningOp()});
}

/// erf(x) with the sign of x: the approximation is computed on |x| and
/// loses it for -0 (erf is odd, so copysign is exact everywhere else too).
void keepErfSign(math::ErfOp op) {
  OpBuilder b(op);
  b.setInsertionPointAfter(op);
  Value erf = op.getResult();
  Value result = math::CopySignOp::create(b, op.getLoc(), erf, op.getOperand());
  erf.replaceAllUsesExcept(result, result.getDefiningOp());
}

/// Applies |rewrite| to every f32 (or vector of f32) |OpTy| under |root|,
/// collected first: each rewrite adds ops beside the one it rewrites.
template <typename OpTy>
void rewriteEachF32(Operation *root, void (*rewrite)(OpTy)) {
  SmallVector<OpTy> ops;
  root->walk([&](OpTy op) {
    if (getElementTypeOrSelf(op.getType()).isF32())
      ops.push_back(op);
  });
  for (OpTy op : ops)
    rewrite(op);
}

struct ApproximateMathPass
    : public impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    rewriteEachF32<math::LogOp>(getOperation(), guardSubnormalLog);
    rewriteEachF32<math::ErfOp>(getOperation(), keepErfSign);
    // The approximations, and their fma as a multiply and an add: LLVM
    // contracts those into FMA instructions where the target has them (no
    // libm fmaf call where it has not).
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, isApproximated);
    math::populateExpansionPatterns(patterns, {"fma"});
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace lathe
