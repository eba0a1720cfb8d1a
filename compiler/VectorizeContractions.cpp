// The lathe-vectorize-contractions pass: register-blocked vector code for
// contractions whose output is contiguous along their n dimension.
#include "compiler/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace lathe {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "compiler/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// Largest divisor of |n| that is at most |limit| (at least 1).
int64_t largestDivisorUpTo(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// Whether the last result of |map| is the loop dimension |dim|.
bool innermostIs(AffineMap map, unsigned dim) {
  if (map.getNumResults() == 0)
    return false;
  auto expr = dyn_cast<AffineDimExpr>(map.getResults().back());
  return expr && expr.getPosition() == dim;
}

/// Tile sizes for |op|, or failure with the reason when it does not fit the
/// register-blocking scheme.
FailureOr<SmallVector<int64_t>> chooseTiles(linalg::LinalgOp op,
                                            int64_t vectorWidth,
                                            int64_t accRegisters,
                                            std::string &why) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op)) {
    why = "not a two-operand contraction on tensors";
    return failure();
  }
  auto dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->n.empty() || dims->k.empty()) {
    why = "expected n and k dimensions";
    return failure();
  }
  // The vector dimension: the output's innermost, an n dimension (absent
  // from one operand) that is innermost in the operand that has it too.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto last = dyn_cast<AffineDimExpr>(maps[2].getResults().back());
  if (!last || !llvm::is_contained(dims->n, last.getPosition())) {
    why = "the output's innermost dimension is not an n dimension";
    return failure();
  }
  unsigned n = last.getPosition();
  if (!innermostIs(maps[0], n) && !innermostIs(maps[1], n)) {
    why = "the n dimension is not contiguous in its operand";
    return failure();
  }
  // The row dimension of the register block: the m dimension nearest the
  // output's inner end, if any.
  std::optional<unsigned> m;
  for (AffineExpr e : maps[2].getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e))
      if (llvm::is_contained(dims->m, d.getPosition()))
        m = d.getPosition();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic)) {
    why = "dynamic loop ranges";
    return failure();
  }
  // n: a divisor of N near two vector registers; m: as many rows as the
  // accumulator budget allows.
  int64_t tn = largestDivisorUpTo(ranges[n], 2 * vectorWidth);
  if (tn < vectorWidth / 2) {
    why = "no divisor of n fills half a vector";
    return failure();
  }
  int64_t regsPerRow = (tn + vectorWidth - 1) / vectorWidth;
  SmallVector<int64_t> tiles(ranges.size(), 1);
  if (m)
    tiles[*m] = largestDivisorUpTo(
        ranges[*m], std::max<int64_t>(1, accRegisters / regsPerRow));
  tiles[n] = tn;
  return tiles;
}

struct VectorizeContractionsPass
    : public impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) { candidates.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      std::string why;
      auto tiles = chooseTiles(op, vectorWidth, accumulatorRegisters, why);
      if (failed(tiles))
        continue; // Left to the scalar path.
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), *tiles));
      auto tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        op.emitError("internal error: tiling a contraction failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
      for (Operation *tiledOp : tiled->tiledOps) {
        rewriter.setInsertionPoint(tiledOp);
        auto vectorized = linalg::vectorize(rewriter, tiledOp);
        if (failed(vectorized)) {
          tiledOp->emitError("internal error: vectorizing a tile failed");
          return signalPassFailure();
        }
        rewriter.replaceOp(tiledOp, vectorized->replacements);
      }
    }
  }
};

} // namespace
} // namespace lathe
