// The lathe-lower-memref-copy pass: a strided memref.copy => linalg.copy.
#include "compiler/targets/cpu/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_LOWERMEMREFCOPY
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// Whether the memref-to-LLVM conversion turns a copy from or to |type| into
/// one llvm.memcpy: an identity layout, or a static shape whose strided layout
/// is still contiguous row-major (a slice of whole rows).
bool isContiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref)
    return false;
  if (memref.getLayout().isIdentity())
    return true;
  return memref.hasStaticShape() && memref.getNumElements() > 0 &&
         memref::isStaticShapeAndContiguousRowMajor(memref);
}

struct CopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    // Contiguous copies stay memcpys: as loops, LLVM unrolls each copy of a
    // few thousand elements in full, and one recurrent layer has one per step.
    if (isContiguous(op.getSource().getType()) &&
        isContiguous(op.getTarget().getType()))
      return failure();
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct LowerMemrefCopyPass
    : public impl::LowerMemrefCopyBase<LowerMemrefCopyPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace lathe
