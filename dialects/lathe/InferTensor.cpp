// Result-type inference and verifiers of the lathe dialect's tensor family:
// layout, indexing, resize, constants, random values, gradients in a graph.
#include "dialects/lathe/InferUtils.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace lathe;
using namespace lathe::infer;

template <typename TriangleOp>
static LogicalResult verifyTriangle(TriangleOp op) {
  if (op.getInput().getType().getRank() < 2)
    return op.emitOpError("expected a tensor of rank >= 2");
  return success();
}
LogicalResult TriuOp::verify() { return verifyTriangle(*this); }
LogicalResult TrilOp::verify() { return verifyTriangle(*this); }

/// Broadcast shape of |lhs| and |rhs| (one element type) with |elt|.

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if ((int64_t)perm.size() != x.getRank())
    return fail(loc, "lathe.transpose expected " + Twine(x.getRank()) +
                         " permutation entries, got " + Twine(perm.size()));
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return fail(loc, "lathe.transpose expected a permutation of 0.." +
                           Twine(x.getRank() - 1));
    seen[p] = true;
    shape.push_back(x.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult GradientOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  if (adaptor.getXs().empty())
    return fail(loc, "lathe.gradient expected at least one value to "
                     "differentiate with respect to");
  for (Value x : adaptor.getXs())
    results.push_back(x.getType());
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  if (adaptor.getInputs().empty())
    return fail(loc, "lathe.concat expected at least one input");
  RankedTensorType first = rankedType(adaptor.getInputs().front());
  int64_t axis = adaptor.getAxis(), rank = first.getRank();
  if (axis < 0 || axis >= rank)
    return fail(loc, "lathe.concat expected axis in [0, " + Twine(rank) +
                         "), got " + Twine(axis));
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    RankedTensorType t = rankedType(v);
    if (t.getRank() != rank || t.getElementType() != first.getElementType())
      return fail(loc, "lathe.concat expected inputs of one rank and element "
                       "type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        return fail(loc, "lathe.concat expected equal sizes outside axis " +
                             Twine(axis) + ", got " + Twine(t.getDimSize(d)) +
                             " and " + Twine(first.getDimSize(d)) +
                             " in dimension " + Twine(d));
    shape[axis] += t.getDimSize(axis);
  }
  results.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  ArrayRef<int64_t> starts = adaptor.getStarts(), sizes = adaptor.getSizes(),
                    steps = adaptor.getSteps();
  int64_t rank = x.getRank();
  if (int64_t(starts.size()) != rank || int64_t(sizes.size()) != rank ||
      int64_t(steps.size()) != rank)
    return fail(loc, "lathe.slice expected " + Twine(rank) +
                         " starts, sizes and steps");
  for (int64_t d = 0; d < rank; ++d) {
    if (steps[d] <= 0 || starts[d] < 0 || sizes[d] < 0)
      return fail(loc, "lathe.slice expected non-negative starts and sizes "
                       "and positive steps");
    if (sizes[d] > 0 &&
        starts[d] + (sizes[d] - 1) * steps[d] >= x.getDimSize(d))
      return fail(loc, "lathe.slice reads past the end of dimension " +
                           Twine(d) + " (size " + Twine(x.getDimSize(d)) + ")");
  }
  results.push_back(RankedTensorType::get(sizes, x.getElementType()));
  return success();
}

LogicalResult ExpandOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  auto shape = broadcastShapes(in.getShape(), out.getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != out.getShape())
    return emitOpError("expected the input to broadcast to the result shape");
  if (in.getElementType() != out.getElementType())
    return emitOpError("expected the element type to be kept");
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t rank = x.getRank();
  if (int64_t(pads.size()) != 2 * rank)
    return fail(loc, "lathe.pad expected " + Twine(2 * rank) + " pads, got " +
                         Twine(pads.size()));
  SmallVector<int64_t> shape(x.getShape());
  for (int64_t d = 0; d < rank; ++d) {
    if (pads[d] < 0 || pads[d + rank] < 0)
      return fail(loc, "lathe.pad expected non-negative pads");
    int64_t most = std::max(pads[d], pads[d + rank]), n = x.getDimSize(d);
    PadMode mode = adaptor.getMode();
    if ((mode == PadMode::reflect && most >= n) ||
        (mode == PadMode::wrap && most > n) ||
        (mode != PadMode::constant && n == 0))
      return fail(loc, "lathe.pad " + stringifyPadMode(mode) + " pads of " +
                           Twine(most) + " do not fit dimension " + Twine(d) +
                           " of size " + Twine(n));
    shape[d] += pads[d] + pads[d + rank];
  }
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return fail(loc, "lathe.constant expected a ranked tensor value");
  results.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (!in.hasStaticShape() || !out.hasStaticShape())
    return emitOpError("expected static shapes");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("expected ")
           << in.getNumElements() << " elements in the result, got "
           << out.getNumElements();
  if (in.getElementType() != out.getElementType())
    return emitOpError("expected the element type to be kept");
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType idx = rankedType(adaptor.getIndices());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, "lathe.gather expected axis in [0, " + Twine(x.getRank()) +
                         "), got " + Twine(axis));
  SmallVector<int64_t> shape(x.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, x.getShape().drop_front(axis + 1));
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult
GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType idx = rankedType(adaptor.getIndices());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, "lathe.gather_elements expected axis in [0, " +
                         Twine(x.getRank()) + "), got " + Twine(axis));
  if (idx.getRank() != x.getRank())
    return fail(loc, "lathe.gather_elements expected indices of the input's "
                     "rank " +
                         Twine(x.getRank()) + ", got " + Twine(idx.getRank()));
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (d != axis && idx.getDimSize(d) > x.getDimSize(d))
      return fail(loc, "lathe.gather_elements expected indices no larger than "
                       "the input in dimension " +
                           Twine(d));
  results.push_back(RankedTensorType::get(idx.getShape(), x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult ResizeOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  int64_t rank = in.getRank();
  if (out.getRank() != rank || out.getElementType() != in.getElementType())
    return emitOpError("expected a result of the input's rank and type");
  if (int64_t(getScales().size()) != rank)
    return emitOpError("expected ")
           << rank << " scales, got " << getScales().size();
  for (double s : getScales())
    if (!(s > 0))
      return emitOpError("expected positive scales, got ") << s;
  if (getCoordinateMode() == CoordinateMode::tf_crop_and_resize &&
      (!getRoi() || int64_t(getRoi()->size()) != 2 * rank))
    return emitOpError("tf_crop_and_resize expects a roi of ")
           << 2 * rank << " values";
  return success();
}

LogicalResult FlipOp::verify() {
  int64_t rank = getInput().getType().getRank();
  for (int64_t d : getDims())
    if (d < 0 || d >= rank)
      return emitOpError("expected dims in [0, ") << rank << "), got " << d;
  return success();
}

LogicalResult
ScatterElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType idx = rankedType(adaptor.getIndices());
  RankedTensorType upd = rankedType(adaptor.getUpdates());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, "lathe.scatter_elements expected axis in [0, " +
                         Twine(x.getRank()) + "), got " + Twine(axis));
  if (idx.getShape() != upd.getShape() || idx.getRank() != x.getRank())
    return fail(loc, "lathe.scatter_elements expected indices and updates "
                     "of one shape and the input's rank");
  if (upd.getElementType() != x.getElementType())
    return fail(loc, "lathe.scatter_elements expected updates of the "
                     "input's element type");
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (d != axis && idx.getDimSize(d) > x.getDimSize(d))
      return fail(loc, "lathe.scatter_elements expected indices no larger "
                       "than the input in dimension " +
                           Twine(d));
  results.push_back(x);
  return success();
}

LogicalResult ScatterNdOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType idx = rankedType(adaptor.getIndices());
  RankedTensorType upd = rankedType(adaptor.getUpdates());
  if (idx.getRank() < 1)
    return fail(loc, "lathe.scatter_nd expected indices of rank >= 1");
  int64_t k = idx.getShape().back();
  if (k < 1 || k > x.getRank())
    return fail(loc, "lathe.scatter_nd expected index tuples of 1 to " +
                         Twine(x.getRank()) + " coordinates, got " + Twine(k));
  SmallVector<int64_t> want(idx.getShape().drop_back());
  llvm::append_range(want, x.getShape().drop_front(k));
  if (upd.getShape() != ArrayRef<int64_t>(want) ||
      upd.getElementType() != x.getElementType())
    return fail(loc, "lathe.scatter_nd expected updates of shape "
                     "indices.shape[:-1] + input.shape[k:] and the input's "
                     "element type");
  results.push_back(x);
  return success();
}

LogicalResult RandomOp::verify() {
  if (Value offset = getOffset())
    if (cast<RankedTensorType>(offset.getType()).getNumElements() != 1)
      return emitOpError("expected a single-element offset");
  if (getDistribution() == Distribution::normal &&
      !(getB().convertToDouble() >= 0))
    return emitOpError("expected a non-negative standard deviation");
  return success();
}

LogicalResult DropoutOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (!(ratio >= 0.0 && ratio <= 1.0))
    return emitOpError("expected a ratio in [0, 1], got ") << ratio;
  auto x = cast<RankedTensorType>(getInput().getType());
  if (cast<RankedTensorType>(getMask().getType()).getShape() != x.getShape())
    return emitOpError("expected a mask of the input's shape");
  if (getChannelwise() && x.getRank() < 2)
    return emitOpError("channelwise dropout expected an N x C x ... input");
  return success();
}

LogicalResult GatherNdOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType idx = rankedType(adaptor.getIndices());
  int64_t batch = adaptor.getBatchDims();
  if (idx.getRank() < 1 || batch < 0 || batch >= idx.getRank() ||
      batch >= x.getRank())
    return fail(loc, "lathe.gather_nd expected batch_dims below both ranks");
  int64_t k = idx.getShape().back();
  if (k < 1 || batch + k > x.getRank())
    return fail(loc, "lathe.gather_nd expected index tuples of 1 to " +
                         Twine(x.getRank() - batch) + " coordinates, got " +
                         Twine(k));
  for (int64_t d = 0; d < batch; ++d)
    if (idx.getDimSize(d) != x.getDimSize(d))
      return fail(loc, "lathe.gather_nd expected the batch dimensions of the "
                       "input and the indices to match");
  SmallVector<int64_t> shape(idx.getShape().drop_back());
  llvm::append_range(shape, x.getShape().drop_front(batch + k));
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}
