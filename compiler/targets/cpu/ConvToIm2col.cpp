// The lathe-conv-to-im2col pass: NCHW convolutions become im2col + a
// contraction (linalg's rewriteInIm2Col).
#include "compiler/targets/cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_CONVTOIM2COL
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

struct Im2colPattern : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "expected tensor operands");
    if (failed(linalg::rewriteInIm2Col(rewriter, op)))
      return rewriter.notifyMatchFailure(op, "im2col rewrite declined");
    return success();
  }
};

struct ConvToIm2colPass : public impl::ConvToIm2colBase<ConvToIm2colPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<Im2colPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace lathe
