// Result-type inference and verifiers of the lathe dialect's nn family:
// convolution, normalization, pooling, softmax, grid sampling.
#include "dialects/lathe/InferUtils.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace lathe;
using namespace lathe::infer;

static LogicalResult inferConv(std::optional<Location> loc, StringRef op,
                               int64_t spatial, Value input, Value weight,
                               Value bias, ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> pads,
                               ArrayRef<int64_t> dilations, int64_t groups,
                               SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(input), w = rankedType(weight);
  if (x.getRank() != spatial + 2 || w.getRank() != spatial + 2)
    return fail(loc, op + " expected rank-" + Twine(spatial + 2) +
                         " input and weight, got ranks " + Twine(x.getRank()) +
                         " and " + Twine(w.getRank()));
  int64_t c = x.getDimSize(1), f = w.getDimSize(0);
  if (groups <= 0 || c % groups != 0 || f % groups != 0)
    return fail(loc, op + " expected groups to divide input channels " +
                         Twine(c) + " and output channels " + Twine(f) +
                         ", got " + Twine(groups));
  if (w.getDimSize(1) * groups != c)
    return fail(loc, op + " expected weight dimension 1 to be " +
                         Twine(c / groups) + " (channels / groups), got " +
                         Twine(w.getDimSize(1)));
  if (bias) {
    RankedTensorType bt = rankedType(bias);
    if (bt.getRank() != 1 || bt.getDimSize(0) != f)
      return fail(loc, op + " expected a bias of " + Twine(f) + " elements");
  }
  if (w.getElementType() != x.getElementType() ||
      (bias && rankedType(bias).getElementType() != x.getElementType()))
    return fail(loc, op + " expected input, weight and bias of one element "
                          "type");
  ArrayRef<int64_t> kernel = w.getShape().drop_front(2);
  if (failed(verifyWindow(loc, op, spatial, kernel, strides, pads, dilations)))
    return failure();
  SmallVector<int64_t> shape = {x.getDimSize(0), f};
  for (int64_t i = 0; i < spatial; ++i) {
    shape.push_back(windowOutputSize(x.getDimSize(2 + i), pads[i],
                                     pads[i + spatial], kernel[i], strides[i],
                                     dilations[i], false));
    if (shape.back() <= 0)
      return fail(loc, op + " kernel is larger than the padded input");
  }
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return inferConv(loc, "lathe.conv2d", 2, adaptor.getInput(),
                   adaptor.getWeight(), adaptor.getBias(), adaptor.getStrides(),
                   adaptor.getPads(), adaptor.getDilations(),
                   adaptor.getGroups(), results);
}

LogicalResult Conv3dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return inferConv(loc, "lathe.conv3d", 3, adaptor.getInput(),
                   adaptor.getWeight(), adaptor.getBias(), adaptor.getStrides(),
                   adaptor.getPads(), adaptor.getDilations(),
                   adaptor.getGroups(), results);
}

/// Result type of an N-D transposed convolution.
static LogicalResult
inferConvTranspose(std::optional<Location> loc, StringRef op, int64_t spatial,
                   Value input, Value weight, Value bias,
                   ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                   ArrayRef<int64_t> dil, ArrayRef<int64_t> outPad,
                   int64_t groups, SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(input), w = rankedType(weight);
  if (x.getRank() != spatial + 2 || w.getRank() != spatial + 2)
    return fail(loc, op + " expected rank-" + Twine(spatial + 2) +
                         " input and weight");
  int64_t c = x.getDimSize(1);
  if (groups <= 0 || c % groups != 0 || w.getDimSize(0) != c)
    return fail(loc, op + " expected weight dimension 0 to be the " + Twine(c) +
                         " input channels, divisible by groups " +
                         Twine(groups));
  int64_t f = w.getDimSize(1) * groups;
  if (bias)
    if (rankedType(bias).getRank() != 1 || rankedType(bias).getDimSize(0) != f)
      return fail(loc, op + " expected a bias of " + Twine(f) + " elements");
  ArrayRef<int64_t> kernel = w.getShape().drop_front(2);
  if (failed(verifyWindow(loc, op, spatial, kernel, strides, pads, dil)))
    return failure();
  if (int64_t(outPad.size()) != spatial)
    return fail(loc, op + " expected " + Twine(spatial) + " output paddings");
  SmallVector<int64_t> shape = {x.getDimSize(0), f};
  for (int64_t i = 0; i < spatial; ++i) {
    if (outPad[i] < 0 || outPad[i] >= std::max(strides[i], dil[i]))
      return fail(loc, op +
                           " expected output padding below the stride or "
                           "dilation, got " +
                           Twine(outPad[i]));
    shape.push_back((x.getDimSize(2 + i) - 1) * strides[i] - pads[i] -
                    pads[i + spatial] + dil[i] * (kernel[i] - 1) + outPad[i] +
                    1);
    if (shape.back() <= 0)
      return fail(loc, op + " pads leave no output");
  }
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult
ConvTranspose2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &results) {
  return inferConvTranspose(
      loc, "lathe.conv_transpose2d", 2, adaptor.getInput(), adaptor.getWeight(),
      adaptor.getBias(), adaptor.getStrides(), adaptor.getPads(),
      adaptor.getDilations(), adaptor.getOutputPadding(), adaptor.getGroups(),
      results);
}

LogicalResult
ConvTranspose3dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &results) {
  return inferConvTranspose(
      loc, "lathe.conv_transpose3d", 3, adaptor.getInput(), adaptor.getWeight(),
      adaptor.getBias(), adaptor.getStrides(), adaptor.getPads(),
      adaptor.getDilations(), adaptor.getOutputPadding(), adaptor.getGroups(),
      results);
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  if (x.getRank() < 2)
    return fail(loc, "lathe.batch_norm expected an input of rank >= 2, got " +
                         Twine(x.getRank()));
  int64_t c = x.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                  adaptor.getVar()}) {
    RankedTensorType t = rankedType(v);
    if (t.getRank() != 1 || t.getDimSize(0) != c)
      return fail(loc, "lathe.batch_norm expected per-channel operands of " +
                           Twine(c) + " elements");
  }
  results.push_back(x);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis(), rank = x.getRank();
  if (axis < 0 || axis >= rank)
    return fail(loc, "lathe.layer_norm expected axis in [0, " + Twine(rank) +
                         "), got " + Twine(axis));
  ArrayRef<int64_t> normalized = x.getShape().drop_front(axis);
  for (Value v : {adaptor.getScale(), adaptor.getBias()}) {
    if (!v)
      continue;
    auto shape = broadcastShapes(normalized, rankedType(v).getShape());
    if (failed(shape) || ArrayRef<int64_t>(*shape) != normalized)
      return fail(loc, "lathe.layer_norm expected scale and bias to broadcast "
                       "to the normalized dimensions");
  }
  SmallVector<int64_t> stats(x.getShape());
  for (int64_t d = axis; d < rank; ++d)
    stats[d] = 1;
  auto statsType = RankedTensorType::get(stats, x.getElementType());
  results.append({x, statsType, statsType});
  return success();
}

LogicalResult GroupNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  int64_t groups = adaptor.getGroups();
  if (x.getRank() < 2)
    return fail(loc, "lathe.group_norm expected an N x C x ... input, got "
                     "rank " +
                         Twine(x.getRank()));
  int64_t channels = x.getDimSize(1);
  if (groups <= 0 || channels % groups != 0)
    return fail(loc, "lathe.group_norm expected groups dividing the " +
                         Twine(channels) + " channels, got " + Twine(groups));
  for (Value v : {adaptor.getScale(), adaptor.getBias()}) {
    RankedTensorType t = rankedType(v);
    if (t.getRank() != 1 || t.getDimSize(0) != channels ||
        t.getElementType() != x.getElementType())
      return fail(loc, "lathe.group_norm expected scale and bias of " +
                           Twine(channels) + " elements of the input's type");
  }
  auto statsType =
      RankedTensorType::get({x.getDimSize(0), groups}, x.getElementType());
  results.append({x, statsType, statsType});
  return success();
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  return inferPool2d(loc, "lathe.max_pool2d", adaptor.getInput(),
                     adaptor.getKernel(), adaptor.getStrides(),
                     adaptor.getPads(), adaptor.getDilations(),
                     adaptor.getCeilMode(), results);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  int64_t ones[] = {1, 1};
  return inferPool2d(loc, "lathe.avg_pool2d", adaptor.getInput(),
                     adaptor.getKernel(), adaptor.getStrides(),
                     adaptor.getPads(), ones, adaptor.getCeilMode(), results);
}

LogicalResult AdaptiveAvgPool2dOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  ArrayRef<int64_t> size = adaptor.getOutputSize();
  if (x.getRank() != 4)
    return fail(loc, "lathe.adaptive_avg_pool2d expected a rank-4 NCHW input");
  if (size.size() != 2 || size[0] <= 0 || size[1] <= 0)
    return fail(loc, "lathe.adaptive_avg_pool2d expected two positive output "
                     "sizes");
  results.push_back(RankedTensorType::get(
      {x.getDimSize(0), x.getDimSize(1), size[0], size[1]},
      x.getElementType()));
  return success();
}

template <typename SoftmaxLike>
static LogicalResult verifySoftmax(SoftmaxLike op) {
  int64_t rank = op.getInput().getType().getRank();
  auto axis = int64_t(op.getAxis());
  if (axis < 0 || axis >= rank)
    return op.emitOpError("expected axis in [0, ") << rank << "), got " << axis;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifySoftmax(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmax(*this); }

LogicalResult MaxPool3dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  return inferPool(loc, "lathe.max_pool3d", 3, adaptor.getInput(),
                   adaptor.getKernel(), adaptor.getStrides(), adaptor.getPads(),
                   adaptor.getDilations(), adaptor.getCeilMode(), results);
}

LogicalResult AvgPool3dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  int64_t ones[] = {1, 1, 1};
  return inferPool(loc, "lathe.avg_pool3d", 3, adaptor.getInput(),
                   adaptor.getKernel(), adaptor.getStrides(), adaptor.getPads(),
                   ones, adaptor.getCeilMode(), results);
}

LogicalResult
MaxPoolIndicesOp::inferReturnTypes(MLIRContext *ctx,
                                   std::optional<Location> loc, Adaptor adaptor,
                                   SmallVectorImpl<Type> &results) {
  int64_t spatial = rankedType(adaptor.getInput()).getRank() - 2;
  if (spatial != 2 && spatial != 3)
    return fail(loc, "lathe.max_pool_with_indices expected a rank-4 or rank-5 "
                     "input");
  if (failed(inferPool(loc, "lathe.max_pool_with_indices", spatial,
                       adaptor.getInput(), adaptor.getKernel(),
                       adaptor.getStrides(), adaptor.getPads(),
                       adaptor.getDilations(), adaptor.getCeilMode(), results)))
    return failure();
  auto values = cast<RankedTensorType>(results[0]);
  results.push_back(
      RankedTensorType::get(values.getShape(), IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType g = rankedType(adaptor.getGrid());
  if (x.getRank() != 4 || g.getRank() != 4 || g.getDimSize(3) != 2 ||
      g.getDimSize(0) != x.getDimSize(0) ||
      g.getElementType() != x.getElementType())
    return fail(loc, "lathe.grid_sample expected an N x C x H x W input and "
                     "an N x Ho x Wo x 2 grid of its type");
  results.push_back(RankedTensorType::get(
      {x.getDimSize(0), x.getDimSize(1), g.getDimSize(1), g.getDimSize(2)},
      x.getElementType()));
  return success();
}
