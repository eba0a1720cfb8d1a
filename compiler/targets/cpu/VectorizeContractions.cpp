// The lathe-vectorize-contractions pass: register-blocked vector code for
// contractions whose output is contiguous along their n dimension.
#include "compiler/targets/cpu/Passes.h"

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

#include <optional>

namespace lathe {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "compiler/targets/cpu/Passes.h.inc"
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

/// Size in bytes of the input of |op| that has (|withN|) or lacks an n
/// dimension.
int64_t operandBytes(linalg::LinalgOp op, bool withN, ArrayRef<unsigned> n) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    bool hasN =
        llvm::any_of(n, [&](unsigned d) { return map.isFunctionOfDim(d); });
    if (hasN == withN) {
      auto type = cast<ShapedType>(input->get().getType());
      return type.getNumElements() * type.getElementTypeBitWidth() / 8;
    }
  }
  return 0;
}

/// The register-blocking plan for a contraction.
struct Plan {
  SmallVector<int64_t> tiles; ///< One per loop, in the op's loop order.
  unsigned vectorDim;         ///< The loop vectorized along (n).
  int64_t paddedN;            ///< n rounded up to whole vectors.
  /// The input that has n but not innermost (B of a Linear's x W^T): it is
  /// transposed first so that n is.
  std::optional<unsigned> transposeInput;
};

/// The permutation of |map|'s results that moves dimension |n| last.
SmallVector<int64_t> nLastPermutation(AffineMap map, unsigned n) {
  SmallVector<int64_t> perm;
  int64_t at = -1;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (cast<AffineDimExpr>(e).getPosition() == n)
      at = int64_t(i);
    else
      perm.push_back(int64_t(i));
  }
  perm.push_back(at);
  return perm;
}

/// Replaces input |i| of |op| by a transposed copy whose innermost
/// dimension is the loop |n|, with the indexing map to match.
void transposeInputForN(RewriterBase &rewriter, linalg::GenericOp op,
                        unsigned i, unsigned n) {
  OpOperand *input = op.getDpsInputOperand(i);
  AffineMap map = op.getMatchingIndexingMap(input);
  SmallVector<int64_t> perm = nLastPermutation(map, n);
  auto type = cast<RankedTensorType>(input->get().getType());
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> results;
  for (int64_t p : perm) {
    shape.push_back(type.getDimSize(p));
    results.push_back(map.getResult(p));
  }
  rewriter.setInsertionPoint(op);
  Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), shape,
                                       type.getElementType());
  Value transposed = linalg::TransposeOp::create(rewriter, op.getLoc(),
                                                 input->get(), init, perm)
                         .getResult()[0];
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[i] = AffineMap::get(map.getNumDims(), 0, results, op.getContext());
  rewriter.modifyOpInPlace(op, [&] {
    input->set(transposed);
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
}

/// The plan for |op|, or failure with the reason when it does not fit the
/// register-blocking scheme.
FailureOr<Plan> choosePlan(linalg::LinalgOp op, int64_t vectorWidth,
                           int64_t accRegisters, std::string &why) {
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
  std::optional<unsigned> transposeInput;
  if (!innermostIs(maps[0], n) && !innermostIs(maps[1], n)) {
    // The operand that has n gets a transposed copy (O(k n) next to the
    // O(m n k) product) when it is a generic reading whole dimensions.
    unsigned i = maps[0].isFunctionOfDim(n) ? 0 : 1;
    if (!isa<linalg::GenericOp>(op.getOperation()) ||
        !maps[i].isProjectedPermutation()) {
      why = "the n dimension is not contiguous in its operand";
      return failure();
    }
    transposeInput = i;
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
  // n: whole vectors only (odd widths lower to lane-by-lane inserts), so n
  // is padded up to a multiple of the vector width; the tile is two vectors
  // when that divides it. m: as many rows as the accumulator budget allows.
  int64_t paddedN = llvm::alignTo(ranges[n], vectorWidth);
  int64_t tn = paddedN % (2 * vectorWidth) == 0 ? 2 * vectorWidth : vectorWidth;
  int64_t regsPerRow = tn / vectorWidth;
  SmallVector<int64_t> tiles(ranges.size(), 1);
  if (m)
    tiles[*m] = largestDivisorUpTo(
        ranges[*m], std::max<int64_t>(1, accRegisters / regsPerRow));
  tiles[n] = tn;
  return Plan{tiles, n, paddedN, transposeInput};
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
      auto plan = choosePlan(op, vectorWidth, accumulatorRegisters, why);
      if (failed(plan))
        continue; // Left to the scalar path.
      if (plan->transposeInput)
        transposeInputForN(rewriter, cast<linalg::GenericOp>(op.getOperation()),
                           *plan->transposeInput, plan->vectorDim);
      if (plan->paddedN != op.getStaticLoopRanges()[plan->vectorDim]) {
        // Zero-pad n to whole vectors; the result is the unpadded slice.
        linalg::LinalgPaddingOptions padding;
        padding.setPaddingDimensions({int64_t(plan->vectorDim)})
            .setPadToMultipleOf({plan->paddedN})
            .setCopyBackOp(linalg::LinalgPaddingOptions::CopyBackOp::None);
        SmallVector<Attribute> zeros;
        for (OpOperand &operand : op->getOpOperands())
          zeros.push_back(rewriter.getZeroAttr(
              getElementTypeOrSelf(operand.get().getType())));
        padding.setPaddingValues(zeros);
        rewriter.setInsertionPoint(op);
        linalg::LinalgOp padded;
        SmallVector<Value> replacements;
        SmallVector<tensor::PadOp> padOps;
        if (failed(linalg::rewriteAsPaddedOp(rewriter, op, padding, padded,
                                             replacements, padOps)))
          continue;
        rewriter.replaceOp(op, replacements);
        op = padded;
      }
      // Make the vector loop the innermost one, so that vectorizing the tile
      // gives vectors whose minor dimension is n (k is tiled to 1).
      rewriter.setInsertionPoint(op);
      SmallVector<unsigned> order;
      SmallVector<int64_t> tiles;
      for (unsigned d = 0; d < plan->tiles.size(); ++d)
        if (d != plan->vectorDim) {
          order.push_back(d);
          tiles.push_back(plan->tiles[d]);
        }
      order.push_back(plan->vectorDim);
      tiles.push_back(plan->tiles[plan->vectorDim]);
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
        auto interchanged =
            linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(interchanged))
          continue;
        op = *interchanged;
      } else {
        tiles = plan->tiles;
      }
      // Tile loops: every parallel loop outside the reduction loops, so the
      // accumulator block stays in registers across k.
      auto dims = linalg::inferContractionDims(op);
      if (failed(dims))
        continue;
      // The larger operand's loop goes outside, so that its panel for one
      // tile is reused from cache by every tile of the other operand.
      bool nOuter = operandBytes(op, /*withN=*/true, dims->n) >
                    operandBytes(op, /*withN=*/false, dims->n);
      SmallVector<int64_t> loopOrder;
      for (unsigned d = 0; d < tiles.size(); ++d)
        if (!llvm::is_contained(dims->k, d) &&
            !(nOuter && llvm::is_contained(dims->m, d)))
          loopOrder.push_back(d);
      if (nOuter)
        for (unsigned d : dims->m)
          loopOrder.push_back(d);
      for (unsigned d : dims->k)
        loopOrder.push_back(d);
      // The outermost tile loop with more than one tile runs its tiles in
      // parallel (an scf.forall, one register tile per iteration), when
      // the product has enough multiply-adds to pay for waking threads.
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t work = 1;
      for (int64_t r : ranges)
        work *= r;
      for (int64_t d : loopOrder) {
        if (work < minParallelWork)
          break;
        if (llvm::is_contained(dims->k, unsigned(d)) || ranges[d] <= tiles[d])
          continue;
        SmallVector<int64_t> outerTiles(tiles.size(), 0);
        outerTiles[d] = tiles[d];
        scf::SCFTilingOptions outer;
        outer.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
        outer.setTileSizes(getAsIndexOpFoldResult(&getContext(), outerTiles));
        auto split = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), outer);
        if (failed(split)) {
          op.emitError("internal error: tiling a contraction failed");
          return signalPassFailure();
        }
        rewriter.replaceOp(op, split->replacements);
        op = cast<linalg::LinalgOp>(split->tiledOps.front());
        rewriter.setInsertionPoint(op);
        break;
      }
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      options.setInterchange(loopOrder);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), tiles));
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
