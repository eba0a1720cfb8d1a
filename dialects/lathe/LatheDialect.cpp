// The lathe dialect: op verification and result-type inference.
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"

#include <cctype>
#include <map>

using namespace mlir;
using namespace lathe;

#include "dialects/lathe/LatheDialect.cpp.inc"
#include "dialects/lathe/LatheEnums.cpp.inc"

void LatheDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/lathe/LatheOps.cpp.inc"
      >();
}

FailureOr<SmallVector<int64_t>> lathe::broadcastShapes(ArrayRef<int64_t> a,
                                                       ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t lathe::windowOutputSize(int64_t in, int64_t padBegin, int64_t padEnd,
                                int64_t kernel, int64_t stride,
                                int64_t dilation, bool ceilMode) {
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // A ceil-mode window must start inside the input or its leading padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

int64_t lathe::windowCount(int64_t o, int64_t in, int64_t padBegin,
                           int64_t padEnd, int64_t kernel, int64_t stride,
                           bool includePad) {
  int64_t start = o * stride - padBegin, end = start + kernel;
  int64_t lo = includePad ? -padBegin : 0, hi = includePad ? in + padEnd : in;
  return std::min(end, hi) - std::max(start, lo);
}

SmallVector<double> lathe::adaptiveAveragingMatrix(int64_t out, int64_t in) {
  SmallVector<double> values(out * in, 0.0);
  for (int64_t i = 0; i < out; ++i) {
    int64_t start = (i * in) / out, end = ((i + 1) * in + out - 1) / out;
    for (int64_t h = start; h < end; ++h)
      values[i * in + h] = 1.0 / double(end - start);
  }
  return values;
}

namespace {

RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

LogicalResult fail(std::optional<Location> loc, const Twine &message) {
  return emitOptionalError(loc, message);
}

/// Checks a window op's attributes: `count` spatial dims, positive kernel,
/// stride and dilation, non-negative pads `[begin..., end...]`.
LogicalResult verifyWindow(std::optional<Location> loc, StringRef op,
                           size_t count, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                           ArrayRef<int64_t> dilations) {
  auto positive = [&](ArrayRef<int64_t> values, StringRef name) {
    if (values.size() != count)
      return fail(loc, op + " expected " + Twine(count) + " " + name +
                           ", got " + Twine(values.size()));
    for (int64_t v : values)
      if (v <= 0)
        return fail(loc,
                    op + " expected positive " + name + ", got " + Twine(v));
    return success();
  };
  if (failed(positive(kernel, "kernel sizes")) ||
      failed(positive(strides, "strides")) ||
      failed(positive(dilations, "dilations")))
    return failure();
  if (pads.size() != 2 * count)
    return fail(loc, op + " expected " + Twine(2 * count) + " pads, got " +
                         Twine(pads.size()));
  for (int64_t p : pads)
    if (p < 0)
      return fail(loc, op + " expected non-negative pads, got " + Twine(p));
  return success();
}

/// Result type of an N-D pooling op over |spatial| dims.
LogicalResult inferPool(std::optional<Location> loc, StringRef op,
                        int64_t spatial, Value input, ArrayRef<int64_t> kernel,
                        ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                        ArrayRef<int64_t> dilations, bool ceilMode,
                        SmallVectorImpl<Type> &results) {
  RankedTensorType type = rankedType(input);
  if (type.getRank() != spatial + 2)
    return fail(loc, op + " expected a rank-" + Twine(spatial + 2) +
                         " input, got rank " + Twine(type.getRank()));
  if (failed(verifyWindow(loc, op, spatial, kernel, strides, pads, dilations)))
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t i = 0; i < spatial; ++i) {
    shape[2 + i] =
        windowOutputSize(shape[2 + i], pads[i], pads[i + spatial], kernel[i],
                         strides[i], dilations[i], ceilMode);
    if (shape[2 + i] <= 0)
      return fail(loc, op + " window is larger than the padded input");
  }
  results.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

/// Result type of an NCHW pooling op.
LogicalResult inferPool2d(std::optional<Location> loc, StringRef op,
                          Value input, ArrayRef<int64_t> kernel,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          ArrayRef<int64_t> dilations, bool ceilMode,
                          SmallVectorImpl<Type> &results) {
  return inferPool(loc, op, 2, input, kernel, strides, pads, dilations,
                   ceilMode, results);
}

LogicalResult inferBinary(std::optional<Location> loc, StringRef op, Value lhs,
                          Value rhs, SmallVectorImpl<Type> &results) {
  RankedTensorType a = rankedType(lhs), b = rankedType(rhs);
  if (a.getElementType() != b.getElementType())
    return fail(loc, op + " expected operands of one element type");
  auto shape = broadcastShapes(a.getShape(), b.getShape());
  if (failed(shape)) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << op << " expected broadcastable shapes, got " << a << " and " << b;
    return fail(loc, msg);
  }
  results.push_back(RankedTensorType::get(*shape, a.getElementType()));
  return success();
}

} // namespace

LogicalResult lathe::inferReduceType(std::optional<Location> loc, StringRef op,
                                     Value input, ArrayRef<int64_t> axes,
                                     bool keepdims,
                                     SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(input);
  int64_t previous = -1;
  for (int64_t a : axes) {
    if (a <= previous || a >= x.getRank())
      return fail(loc, op + " expected sorted, distinct axes in [0, " +
                           Twine(x.getRank()) + "), got " + Twine(a));
    previous = a;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < x.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(x.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

#define LATHE_REDUCE_INFER(OP, NAME)                                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> l, \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &results) {         \
    return inferReduceType(l, NAME, adaptor.getInput(), adaptor.getAxes(),     \
                           adaptor.getKeepdims(), results);                    \
  }
LATHE_REDUCE_INFER(ReduceSumOp, "lathe.reduce_sum")
LATHE_REDUCE_INFER(ReduceMeanOp, "lathe.reduce_mean")
LATHE_REDUCE_INFER(ReduceMaxOp, "lathe.reduce_max")
LATHE_REDUCE_INFER(ReduceMinOp, "lathe.reduce_min")
LATHE_REDUCE_INFER(ReduceProdOp, "lathe.reduce_prod")
LATHE_REDUCE_INFER(ReduceL1Op, "lathe.reduce_l1")
LATHE_REDUCE_INFER(ReduceL2Op, "lathe.reduce_l2")
LATHE_REDUCE_INFER(ReduceSumSquareOp, "lathe.reduce_sum_square")
LATHE_REDUCE_INFER(ReduceLogSumOp, "lathe.reduce_log_sum")
LATHE_REDUCE_INFER(ReduceLogSumExpOp, "lathe.reduce_log_sum_exp")
#undef LATHE_REDUCE_INFER

static LogicalResult inferArgReduce(std::optional<Location> loc, StringRef op,
                                    Value input, int64_t axis, bool keepdims,
                                    SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(input);
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, op + " expected axis in [0, " + Twine(x.getRank()) +
                         "), got " + Twine(axis));
  SmallVector<int64_t> shape(x.getShape());
  if (keepdims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  results.push_back(
      RankedTensorType::get(shape, IntegerType::get(input.getContext(), 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return inferArgReduce(loc, "lathe.argmax", adaptor.getInput(),
                        adaptor.getAxis(), adaptor.getKeepdims(), results);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return inferArgReduce(loc, "lathe.argmin", adaptor.getInput(),
                        adaptor.getAxis(), adaptor.getKeepdims(), results);
}

template <typename TriangleOp>
static LogicalResult verifyTriangle(TriangleOp op) {
  if (op.getInput().getType().getRank() < 2)
    return op.emitOpError("expected a tensor of rank >= 2");
  return success();
}
LogicalResult TriuOp::verify() { return verifyTriangle(*this); }
LogicalResult TrilOp::verify() { return verifyTriangle(*this); }

/// Broadcast shape of |lhs| and |rhs| (one element type) with |elt|.
static LogicalResult inferBroadcast(std::optional<Location> loc, StringRef op,
                                    Value lhs, Value rhs, Type elt,
                                    SmallVectorImpl<Type> &results) {
  SmallVector<Type> same;
  if (failed(inferBinary(loc, op, lhs, rhs, same)))
    return failure();
  results.push_back(
      RankedTensorType::get(cast<RankedTensorType>(same[0]).getShape(), elt));
  return success();
}

#define LATHE_PREDICATE_INFER(OP, NAME)                                        \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> l, Adaptor adaptor,            \
      SmallVectorImpl<Type> &results) {                                        \
    return inferBroadcast(l, NAME, adaptor.getLhs(), adaptor.getRhs(),         \
                          IntegerType::get(ctx, 1), results);                  \
  }
LATHE_PREDICATE_INFER(EqualOp, "lathe.equal")
LATHE_PREDICATE_INFER(GreaterOp, "lathe.greater")
LATHE_PREDICATE_INFER(GreaterEqualOp, "lathe.greater_equal")
LATHE_PREDICATE_INFER(LessOp, "lathe.less")
LATHE_PREDICATE_INFER(LessEqualOp, "lathe.less_equal")
LATHE_PREDICATE_INFER(AndOp, "lathe.and")
LATHE_PREDICATE_INFER(OrOp, "lathe.or")
LATHE_PREDICATE_INFER(XorOp, "lathe.xor")
#undef LATHE_PREDICATE_INFER

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  RankedTensorType c = rankedType(adaptor.getCondition());
  SmallVector<Type> values;
  if (failed(inferBinary(loc, "lathe.where", adaptor.getLhs(), adaptor.getRhs(),
                         values)))
    return failure();
  auto valueType = cast<RankedTensorType>(values[0]);
  auto shape = broadcastShapes(c.getShape(), valueType.getShape());
  if (failed(shape))
    return fail(loc, "lathe.where expected a condition that broadcasts with "
                     "the values");
  results.push_back(RankedTensorType::get(*shape, valueType.getElementType()));
  return success();
}

#define LATHE_BINARY_INFER(OP, NAME)                                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> l, \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &results) {         \
    return inferBinary(l, NAME, adaptor.getLhs(), adaptor.getRhs(), results);  \
  }
LATHE_BINARY_INFER(AddOp, "lathe.add")
LATHE_BINARY_INFER(SubOp, "lathe.sub")
LATHE_BINARY_INFER(MulOp, "lathe.mul")
LATHE_BINARY_INFER(DivOp, "lathe.div")
LATHE_BINARY_INFER(PowOp, "lathe.pow")
LATHE_BINARY_INFER(MaxOp, "lathe.max")
LATHE_BINARY_INFER(MinOp, "lathe.min")
LATHE_BINARY_INFER(PReluOp, "lathe.prelu")
LATHE_BINARY_INFER(ModOp, "lathe.mod")
LATHE_BINARY_INFER(ShiftLeftOp, "lathe.shift_left")
LATHE_BINARY_INFER(ShiftRightOp, "lathe.shift_right")
#undef LATHE_BINARY_INFER

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  RankedTensorType a = rankedType(adaptor.getA()),
                   b = rankedType(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return fail(loc, "lathe.gemm expected rank-2 A and B, got ranks " +
                         Twine(a.getRank()) + " and " + Twine(b.getRank()));
  bool ta = adaptor.getTransA(), tb = adaptor.getTransB();
  int64_t m = a.getDimSize(ta ? 1 : 0), ka = a.getDimSize(ta ? 0 : 1);
  int64_t kb = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (ka != kb)
    return fail(loc, "lathe.gemm expected matching inner dimensions, got " +
                         Twine(ka) + " and " + Twine(kb));
  if (Value c = adaptor.getC()) {
    auto shape = broadcastShapes({m, n}, rankedType(c).getShape());
    if (failed(shape) || (*shape)[0] != m || (*shape)[1] != n)
      return fail(loc, "lathe.gemm expected C to broadcast to " + Twine(m) +
                           "x" + Twine(n));
  }
  results.push_back(RankedTensorType::get({m, n}, a.getElementType()));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RankedTensorType a = rankedType(adaptor.getLhs()),
                   b = rankedType(adaptor.getRhs());
  if (a.getRank() == 0 || b.getRank() == 0)
    return fail(loc, "lathe.matmul expected operands of rank >= 1");
  if (a.getElementType() != b.getElementType())
    return fail(loc, "lathe.matmul expected operands of one element type");
  SmallVector<int64_t> sa(a.getShape()), sb(b.getShape());
  bool vecA = sa.size() == 1, vecB = sb.size() == 1;
  if (vecA)
    sa.insert(sa.begin(), 1);
  if (vecB)
    sb.push_back(1);
  int64_t k1 = sa.back(), k2 = sb[sb.size() - 2];
  if (k1 != k2)
    return fail(loc, "lathe.matmul expected matching inner dimensions, got " +
                         Twine(k1) + " and " + Twine(k2));
  auto batch = broadcastShapes(ArrayRef<int64_t>(sa).drop_back(2),
                               ArrayRef<int64_t>(sb).drop_back(2));
  if (failed(batch))
    return fail(loc, "lathe.matmul expected broadcastable batch dimensions");
  SmallVector<int64_t> shape = *batch;
  if (!vecA)
    shape.push_back(sa[sa.size() - 2]);
  if (!vecB)
    shape.push_back(sb.back());
  results.push_back(RankedTensorType::get(shape, a.getElementType()));
  return success();
}

/// Result type of an N-D convolution (|spatial| dims) named |op|.
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

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RankedTensorType idx = rankedType(adaptor.getIndices());
  RankedTensorType values = rankedType(adaptor.getValues());
  int64_t axis = adaptor.getAxis(), depth = adaptor.getDepth();
  if (values.getNumElements() != 2 || values.getRank() != 1)
    return fail(loc, "lathe.one_hot expected values [off, on] of 2 elements");
  if (depth <= 0)
    return fail(loc,
                "lathe.one_hot expected a positive depth, got " + Twine(depth));
  if (axis < 0 || axis > idx.getRank())
    return fail(loc, "lathe.one_hot expected axis in [0, " +
                         Twine(idx.getRank()) + "], got " + Twine(axis));
  SmallVector<int64_t> shape(idx.getShape());
  shape.insert(shape.begin() + axis, depth);
  results.push_back(RankedTensorType::get(shape, values.getElementType()));
  return success();
}

LogicalResult CumSumOp::verify() {
  int64_t rank = getInput().getType().getRank();
  auto axis = int64_t(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("expected axis in [0, ") << rank << "), got " << axis;
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

namespace {

/// A loss's result: |perElement| under reduction none, else a scalar; only
/// kl_div_loss takes batchmean.
LogicalResult lossResult(std::optional<Location> loc, StringRef op,
                         Reduction reduction, ArrayRef<int64_t> perElement,
                         Type elt, SmallVectorImpl<Type> &results) {
  if (reduction == Reduction::batchmean && op != "lathe.kl_div_loss")
    return fail(loc, op + " does not take reduction batchmean (only "
                          "lathe.kl_div_loss does)");
  results.push_back(RankedTensorType::get(
      reduction == Reduction::none ? perElement : ArrayRef<int64_t>{}, elt));
  return success();
}

/// The broadcast shape of same-typed float |operands|.
FailureOr<SmallVector<int64_t>> lossBroadcast(std::optional<Location> loc,
                                              StringRef op,
                                              ArrayRef<Value> operands) {
  SmallVector<int64_t> shape(rankedType(operands[0]).getShape());
  Type elt = rankedType(operands[0]).getElementType();
  for (Value v : operands.drop_front()) {
    RankedTensorType t = rankedType(v);
    auto next = broadcastShapes(shape, t.getShape());
    if (failed(next) || t.getElementType() != elt) {
      std::string msg;
      llvm::raw_string_ostream os(msg);
      os << op << " expected operands of one element type and broadcastable "
         << "shapes, got " << rankedType(operands[0]) << " and " << t;
      (void)fail(loc, msg);
      return failure();
    }
    shape = *next;
  }
  return shape;
}

/// An optional per-class weight: |classes| elements of type |elt|.
LogicalResult classWeight(std::optional<Location> loc, StringRef op, Value w,
                          int64_t classes, Type elt) {
  if (!w)
    return success();
  RankedTensorType t = rankedType(w);
  if (t.getRank() != 1 || t.getDimSize(0) != classes ||
      t.getElementType() != elt)
    return fail(loc, op + " expected one weight per class (" + Twine(classes) +
                         ") of the input's element type");
  return success();
}

/// `N x C` or `C` scores: the per-sample shape (`N` or scalar) and C.
LogicalResult samplesByClasses(std::optional<Location> loc, StringRef op,
                               RankedTensorType x,
                               SmallVectorImpl<int64_t> &samples) {
  if (x.getRank() != 1 && x.getRank() != 2) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << op << " expected an N x C or C input, got " << x;
    return fail(loc, msg);
  }
  samples.assign(x.getShape().begin(), x.getShape().end() - 1);
  return success();
}

/// An element-wise loss over broadcast |operands| (the first one's type).
LogicalResult inferBroadcastLoss(std::optional<Location> loc, StringRef op,
                                 Reduction reduction, ArrayRef<Value> operands,
                                 SmallVectorImpl<Type> &results) {
  auto shape = lossBroadcast(loc, op, operands);
  if (failed(shape))
    return failure();
  return lossResult(loc, op, reduction, *shape,
                    rankedType(operands[0]).getElementType(), results);
}

/// |operands| without the absent optional ones.
SmallVector<Value> present(std::initializer_list<Value> operands) {
  SmallVector<Value> out;
  for (Value v : operands)
    if (v)
      out.push_back(v);
  return out;
}

template <typename Adaptor>
LogicalResult inferPointwiseLoss(std::optional<Location> loc, StringRef op,
                                 Adaptor adaptor,
                                 SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(loc, op, adaptor.getReduction(),
                            {adaptor.getInput(), adaptor.getTarget()}, results);
}

} // namespace

LogicalResult NllLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType t = rankedType(adaptor.getTarget());
  if (x.getRank() < 2)
    return fail(loc, "lathe.nll_loss expected an N x C (x d...) input, got "
                     "rank " +
                         Twine(x.getRank()));
  SmallVector<int64_t> targetShape(x.getShape());
  targetShape.erase(targetShape.begin() + 1);
  if (t.getShape() != ArrayRef<int64_t>(targetShape)) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << "lathe.nll_loss expected a target of shape N x d... matching the "
          "input "
       << x << ", got " << t;
    return fail(loc, msg);
  }
  if (failed(classWeight(loc, "lathe.nll_loss", adaptor.getWeight(),
                         x.getDimSize(1), x.getElementType())))
    return failure();
  return lossResult(loc, "lathe.nll_loss", adaptor.getReduction(), targetShape,
                    x.getElementType(), results);
}

#define LATHE_POINTWISE_LOSS(OpTy, name)                                       \
  LogicalResult OpTy::inferReturnTypes(                                        \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &results) {                                        \
    return inferPointwiseLoss(loc, name, adaptor, results);                    \
  }
LATHE_POINTWISE_LOSS(L1LossOp, "lathe.l1_loss")
LATHE_POINTWISE_LOSS(MseLossOp, "lathe.mse_loss")
LATHE_POINTWISE_LOSS(SmoothL1LossOp, "lathe.smooth_l1_loss")
LATHE_POINTWISE_LOSS(HuberLossOp, "lathe.huber_loss")
LATHE_POINTWISE_LOSS(SoftMarginLossOp, "lathe.soft_margin_loss")
LATHE_POINTWISE_LOSS(KlDivLossOp, "lathe.kl_div_loss")
LATHE_POINTWISE_LOSS(PoissonNllLossOp, "lathe.poisson_nll_loss")
LATHE_POINTWISE_LOSS(HingeEmbeddingLossOp, "lathe.hinge_embedding_loss")
#undef LATHE_POINTWISE_LOSS

LogicalResult BceLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(
      loc, "lathe.bce_loss", adaptor.getReduction(),
      present({adaptor.getInput(), adaptor.getTarget(), adaptor.getWeight()}),
      results);
}

LogicalResult BceWithLogitsLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(
      loc, "lathe.bce_with_logits_loss", adaptor.getReduction(),
      present({adaptor.getInput(), adaptor.getTarget(), adaptor.getWeight(),
               adaptor.getPosWeight()}),
      results);
}

LogicalResult MultilabelSoftMarginLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.multilabel_soft_margin_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  SmallVector<int64_t> samples;
  if (failed(samplesByClasses(loc, op, x, samples)) ||
      failed(classWeight(loc, op, adaptor.getWeight(), x.getShape().back(),
                         x.getElementType())))
    return failure();
  if (rankedType(adaptor.getTarget()) != x)
    return fail(loc, op + " expected a target of the input's type");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

LogicalResult
CrossEntropyLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                     Adaptor adaptor,
                                     SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.cross_entropy_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  RankedTensorType t = rankedType(adaptor.getTarget());
  if (x.getRank() < 1)
    return fail(loc, op + " expected an N x C x d... or C input");
  int64_t classAxis = x.getRank() == 1 ? 0 : 1;
  SmallVector<int64_t> perElement(x.getShape());
  perElement.erase(perElement.begin() + classAxis);
  if (isa<FloatType>(t.getElementType())) {
    if (t != x)
      return fail(loc, op + " expected probability targets of the input's "
                            "type");
  } else if (t.getShape() != ArrayRef<int64_t>(perElement)) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << op << " expected class targets of shape N x d... matching the input "
       << x << ", got " << t;
    return fail(loc, msg);
  }
  double smoothing = adaptor.getLabelSmoothing().convertToDouble();
  if (smoothing < 0.0 || smoothing > 1.0)
    return fail(loc, op + " expected label_smoothing in [0, 1]");
  if (failed(classWeight(loc, op, adaptor.getWeight(), x.getDimSize(classAxis),
                         x.getElementType())))
    return failure();
  return lossResult(loc, op, adaptor.getReduction(), perElement,
                    x.getElementType(), results);
}

LogicalResult
MultiMarginLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.multi_margin_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  SmallVector<int64_t> samples;
  if (failed(samplesByClasses(loc, op, x, samples)) ||
      failed(classWeight(loc, op, adaptor.getWeight(), x.getShape().back(),
                         x.getElementType())))
    return failure();
  if (rankedType(adaptor.getTarget()).getShape() != ArrayRef<int64_t>(samples))
    return fail(loc, op + " expected one class index per sample");
  if (adaptor.getP() != 1 && adaptor.getP() != 2)
    return fail(loc,
                op + " expected p of 1 or 2, got " + Twine(adaptor.getP()));
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

LogicalResult MultilabelMarginLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.multilabel_margin_loss";
  RankedTensorType x = rankedType(adaptor.getInput());
  SmallVector<int64_t> samples;
  if (failed(samplesByClasses(loc, op, x, samples)))
    return failure();
  if (rankedType(adaptor.getTarget()).getShape() != x.getShape())
    return fail(loc, op + " expected a target of the input's shape");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

/// N x D (or D) pairs or triplets of one type: the per-sample shape.
static LogicalResult pairedSamples(std::optional<Location> loc, StringRef op,
                                   ArrayRef<Value> inputs,
                                   SmallVectorImpl<int64_t> &samples) {
  RankedTensorType x = rankedType(inputs[0]);
  if (failed(samplesByClasses(loc, op, x, samples)))
    return failure();
  for (Value v : inputs.drop_front())
    if (rankedType(v) != x)
      return fail(loc, op + " expected inputs of one type");
  return success();
}

LogicalResult MarginRankingLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  return inferBroadcastLoss(
      loc, "lathe.margin_ranking_loss", adaptor.getReduction(),
      {adaptor.getInput1(), adaptor.getInput2(), adaptor.getTarget()}, results);
}

LogicalResult CosineEmbeddingLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.cosine_embedding_loss";
  SmallVector<int64_t> samples;
  if (failed(pairedSamples(loc, op, {adaptor.getInput1(), adaptor.getInput2()},
                           samples)))
    return failure();
  RankedTensorType x = rankedType(adaptor.getInput1());
  RankedTensorType t = rankedType(adaptor.getTarget());
  if (t.getShape() != ArrayRef<int64_t>(samples) ||
      t.getElementType() != x.getElementType())
    return fail(loc, op + " expected one target per sample, of the inputs' "
                          "element type");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    x.getElementType(), results);
}

LogicalResult TripletMarginLossOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.triplet_margin_loss";
  SmallVector<int64_t> samples;
  if (failed(pairedSamples(
          loc, op,
          {adaptor.getAnchor(), adaptor.getPositive(), adaptor.getNegative()},
          samples)))
    return failure();
  if (adaptor.getP().convertToDouble() <= 0.0)
    return fail(loc, op + " expected a positive norm degree p");
  return lossResult(loc, op, adaptor.getReduction(), samples,
                    rankedType(adaptor.getAnchor()).getElementType(), results);
}

LogicalResult CtcLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  StringRef op = "lathe.ctc_loss";
  RankedTensorType lp = rankedType(adaptor.getLogProbs());
  RankedTensorType y = rankedType(adaptor.getTargets());
  if (lp.getRank() != 3)
    return fail(loc, op + " expected T x N x C log-probabilities");
  int64_t n = lp.getDimSize(1), classes = lp.getDimSize(2);
  if ((y.getRank() != 2 || y.getDimSize(0) != n) && y.getRank() != 1)
    return fail(loc, op +
                         " expected padded N x S or concatenated (rank-1) "
                         "targets for N = " +
                         Twine(n));
  for (Value lengths : {adaptor.getInputLengths(), adaptor.getTargetLengths()})
    if (rankedType(lengths).getShape() != ArrayRef<int64_t>{n})
      return fail(loc, op +
                           " expected one input length and one target "
                           "length per sample (N = " +
                           Twine(n) + ")");
  auto blank = int64_t(adaptor.getBlank());
  if (blank < 0 || blank >= classes)
    return fail(loc, op + " expected a blank class in [0, " + Twine(classes) +
                         "), got " + Twine(blank));
  return lossResult(loc, op, adaptor.getReduction(), {n}, lp.getElementType(),
                    results);
}

/// Shapes of a recurrent layer with |gates| gates: X T x N x I, W D x gH x I,
/// R D x gH x H, B D x 2gH, states D x N x H, peepholes D x 3H, sequence
/// lengths N; results T x D x N x H and D x N x H.
static LogicalResult verifyRecurrent(Operation *op, int64_t gates,
                                     int64_t hidden, Direction direction,
                                     Value x, Value w, Value r, Value bias,
                                     ValueRange states, Value peepholes,
                                     Value lengths) {
  auto shape = [](Value v) { return rankedType(v).getShape(); };
  int64_t d = direction == Direction::bidirectional ? 2 : 1;
  if (hidden <= 0)
    return op->emitOpError("expected a positive hidden_size, got ") << hidden;
  if (shape(x).size() != 3)
    return op->emitOpError("expected a T x N x I input");
  int64_t t = shape(x)[0], n = shape(x)[1], in = shape(x)[2];
  auto expect = [&](Value v, ArrayRef<int64_t> want,
                    StringRef what) -> LogicalResult {
    if (!v || shape(v) == want)
      return success();
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << "expected " << what << " of shape ";
    llvm::interleave(want, os, "x");
    os << ", got " << v.getType();
    return op->emitOpError(msg);
  };
  Type elt = rankedType(x).getElementType();
  for (Value v : op->getOperands())
    if (v != lengths && rankedType(v).getElementType() != elt)
      return op->emitOpError("expected every operand of the input's type");
  int64_t states0 = hidden;
  if (failed(expect(w, {d, gates * hidden, in}, "weight")) ||
      failed(expect(r, {d, gates * hidden, hidden}, "recurrence")) ||
      failed(expect(bias, {d, 2 * gates * hidden}, "bias")) ||
      failed(expect(peepholes, {d, 3 * hidden}, "peepholes")) ||
      failed(expect(lengths, {n}, "sequence_lens")))
    return failure();
  for (Value s : states)
    if (failed(expect(s, {d, n, states0}, "initial state")))
      return failure();
  if (failed(expect(op->getResult(0), {t, d, n, hidden}, "result y")))
    return failure();
  for (Value res : op->getResults().drop_front())
    if (failed(expect(res, {d, n, hidden}, "last state")))
      return failure();
  return success();
}

LogicalResult RnnOp::verify() {
  return verifyRecurrent(*this, 1, getHiddenSize(), getDirection(), getInput(),
                         getWeight(), getRecurrence(), getBias(),
                         ValueRange(getODSOperands(4)), Value(),
                         getSequenceLens());
}

LogicalResult GruOp::verify() {
  return verifyRecurrent(*this, 3, getHiddenSize(), getDirection(), getInput(),
                         getWeight(), getRecurrence(), getBias(),
                         ValueRange(getODSOperands(4)), Value(),
                         getSequenceLens());
}

LogicalResult LstmOp::verify() {
  SmallVector<Value> states;
  if (getInitialH())
    states.push_back(getInitialH());
  if (getInitialC())
    states.push_back(getInitialC());
  return verifyRecurrent(*this, 4, getHiddenSize(), getDirection(), getInput(),
                         getWeight(), getRecurrence(), getBias(), states,
                         getPeepholes(), getSequenceLens());
}

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

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis(), k = adaptor.getK();
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, "lathe.top_k expected axis in [0, " + Twine(x.getRank()) +
                         "), got " + Twine(axis));
  if (k < 1 || k > x.getDimSize(axis))
    return fail(loc, "lathe.top_k expected k in [1, " +
                         Twine(x.getDimSize(axis)) + "], got " + Twine(k));
  SmallVector<int64_t> shape(x.getShape());
  shape[axis] = k;
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  results.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

FailureOr<EinsumTerms> lathe::parseEinsum(StringRef equation) {
  auto [lhs, rhs] = equation.split("->");
  if (lhs.size() == equation.size())
    return failure();
  EinsumTerms terms;
  SmallVector<StringRef> parts;
  lhs.split(parts, ',');
  auto letters = [](StringRef s) -> std::optional<std::string> {
    std::string out;
    for (char c : s) {
      if (c == ' ')
        continue;
      if (!std::isalpha(static_cast<unsigned char>(c)))
        return std::nullopt;
      out.push_back(c);
    }
    return out;
  };
  for (StringRef p : parts) {
    auto l = letters(p);
    if (!l)
      return failure();
    terms.inputs.push_back(*l);
  }
  auto out = letters(rhs);
  if (!out)
    return failure();
  terms.output = *out;
  return terms;
}

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto terms = parseEinsum(adaptor.getEquation());
  ValueRange inputs = adaptor.getInputs();
  if (failed(terms) || terms->inputs.size() != inputs.size() || inputs.empty())
    return fail(loc, "lathe.einsum expected an explicit equation with one "
                     "term per input, got '" +
                         adaptor.getEquation() + "'");
  std::map<char, int64_t> sizes;
  Type elt = rankedType(inputs[0]).getElementType();
  for (auto [term, v] : llvm::zip(terms->inputs, inputs)) {
    RankedTensorType t = rankedType(v);
    if (int64_t(term.size()) != t.getRank() || t.getElementType() != elt)
      return fail(loc, "lathe.einsum expected term '" + term +
                           "' to name every dimension of an input of the "
                           "first input's type");
    for (auto [c, d] : llvm::zip(term, t.getShape())) {
      auto [it, fresh] = sizes.insert({c, d});
      if (!fresh && it->second != d)
        return fail(loc, "lathe.einsum letter '" + Twine(c) + "' has sizes " +
                             Twine(it->second) + " and " + Twine(d));
    }
  }
  SmallVector<int64_t> shape;
  for (char c : terms->output) {
    auto it = sizes.find(c);
    if (it == sizes.end() || llvm::count(terms->output, c) != 1)
      return fail(loc, "lathe.einsum result letter '" + Twine(c) +
                           "' must appear once and in an input");
    shape.push_back(it->second);
  }
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}

#define GET_OP_CLASSES
#include "dialects/lathe/LatheOps.cpp.inc"
