// The lathe-fuse-elementwise pass: linalg's element-wise fusion, except
// into the operands that a consumer with reductions reads more than once.
#include "compiler/targets/cpu/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// The most operations one fused body may hold. Each fusion copies both
/// bodies, so without a bound a chain of n element-wise ops (an unrolled
/// loop's) costs n^2 (4000 adds: 8 s of this pass); a body this long gains
/// nothing more from fusion anyway.
constexpr size_t kMaxFusedBodyOps = 64;

size_t bodyOps(Operation *op) {
  if (!op || op->getNumRegions() == 0 || op->getRegion(0).empty())
    return 0;
  return op->getRegion(0).front().getOperations().size();
}

/// Whether the producer of |operand| may be fused into its consumer: it
/// has no other use, the fused body stays within kMaxFusedBodyOps, and the
/// consumer reads each of its elements once. A contraction reads its
/// operands once per element of the other side, so a fused bias and
/// activation would be computed that many times (and the contraction would
/// no longer be a plain product to vectorize).
bool fusesOnce(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  if (bodyOps(producer) + bodyOps(operand->getOwner()) > kMaxFusedBodyOps)
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  if (!consumer || consumer.getNumReductionLoops() == 0)
    return true;
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

struct FuseElementwisePass
    : public impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusesOnce);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, fusesOnce);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    // Generics on constants evaluated, as upstream's pass does.
    linalg::populateConstantFoldLinalgOperations(
        patterns, [](OpOperand *operand) {
          Operation *producer = operand->get().getDefiningOp();
          return producer && producer->hasOneUse();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace lathe
