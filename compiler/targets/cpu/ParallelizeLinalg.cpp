// The lathe-parallelize-linalg pass: large linalg ops become scf.forall
// loops over their outermost parallel dimension.
#include "compiler/targets/cpu/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace lathe {
#define GEN_PASS_DEF_PARALLELIZELINALG
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// Whether |map| reads some dimension backwards (a flip: `-d + c`), which
/// the tiling's slice computation cannot bound.
bool readsBackwards(AffineMap map) {
  bool found = false;
  for (AffineExpr e : map.getResults())
    e.walk([&](AffineExpr sub) {
      if (auto mul = dyn_cast<AffineBinaryOpExpr>(sub))
        if (mul.getKind() == AffineExprKind::Mul)
          if (auto c = dyn_cast<AffineConstantExpr>(mul.getRHS()))
            found |= c.getValue() < 0;
    });
  return found;
}

struct ParallelizeLinalgPass
    : public impl::ParallelizeLinalgBase<ParallelizeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() &&
          !op->getParentOfType<scf::ForallOp>() &&
          !op->getParentOfType<scf::ForOp>() && !isa<linalg::FillOp>(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic))
        continue;
      int64_t iterations = 1;
      for (int64_t r : ranges)
        iterations *= r;
      if (iterations < minIterations ||
          llvm::any_of(op.getIndexingMapsArray(), readsBackwards))
        continue;
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      std::optional<unsigned> dim;
      for (unsigned d = 0; d < ranges.size() && !dim; ++d)
        if (iterators[d] == utils::IteratorType::parallel && ranges[d] > 1)
          dim = d;
      if (!dim)
        continue;
      SmallVector<int64_t> tiles(ranges.size(), 0);
      tiles[*dim] = 1;
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), tiles));
      rewriter.setInsertionPoint(op);
      auto tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        continue; // The op stays serial.
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace
} // namespace lathe
