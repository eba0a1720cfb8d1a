// The lathe dialect: op verification and result-type inference.
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/InferUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"

#include <cctype>
#include <limits>
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
  // In 128 bits: the operands come from a model file (verifyWindow bounds
  // them; this stays exact whatever they are).
  using Wide = __int128;
  Wide span = Wide(in) + padBegin + padEnd - Wide(dilation) * (kernel - 1) - 1;
  if (stride <= 0 || (span < 0 && !ceilMode))
    return 0;
  // Rounded up, a window larger than the padded input still makes one
  // output when it starts inside (ONNX's formula; it covers what exists).
  Wide out =
      (ceilMode ? (span >= 0 ? (span + stride - 1) / stride : -(-span / stride))
                : span / stride) +
      1;
  if (out <= 0)
    return 0;
  // A ceil-mode window must start inside the input or its leading padding.
  if (ceilMode && (out - 1) * stride >= Wide(in) + padBegin)
    --out;
  return out > std::numeric_limits<int64_t>::max() ? 0 : int64_t(out);
}

int64_t lathe::windowCount(int64_t o, int64_t in, int64_t padBegin,
                           int64_t padEnd, int64_t kernel, int64_t stride,
                           bool includePad) {
  using Wide = __int128; // See windowOutputSize.
  Wide start = Wide(o) * stride - padBegin, end = start + kernel;
  Wide lo = includePad ? -Wide(padBegin) : 0,
       hi = includePad ? Wide(in) + padEnd : in;
  return int64_t(std::min(end, hi) - std::max(start, lo));
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

namespace lathe::infer {

RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

LogicalResult fail(std::optional<Location> loc, const Twine &message) {
  return emitOptionalError(loc, message);
}

/// The largest kernel size, stride, dilation or pad a window op takes: far
/// beyond any real model's, small enough that the window arithmetic on
/// tensor extents cannot overflow.
constexpr int64_t kMaxWindowValue = int64_t(1) << 31;

/// Checks a window op's attributes: `count` spatial dims, kernel, stride
/// and dilation in [1, 2^31], pads `[begin..., end...]` in [0, 2^31].
LogicalResult verifyWindow(std::optional<Location> loc, StringRef op,
                           size_t count, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                           ArrayRef<int64_t> dilations) {
  auto positive = [&](ArrayRef<int64_t> values, StringRef name) {
    if (values.size() != count)
      return fail(loc, op + " expected " + Twine(count) + " " + name +
                           ", got " + Twine(values.size()));
    for (int64_t v : values)
      if (v <= 0 || v > kMaxWindowValue)
        return fail(loc, op + " expected " + name + " in [1, " +
                             Twine(kMaxWindowValue) + "], got " + Twine(v));
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
    if (p < 0 || p > kMaxWindowValue)
      return fail(loc, op + " expected pads in [0, " + Twine(kMaxWindowValue) +
                           "], got " + Twine(p));
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
    // A window larger than the padded input leaves the dimension empty
    // (ONNX's formula, rounded down), as ONNX Runtime makes it.
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

} // namespace lathe::infer

#define GET_OP_CLASSES
#include "dialects/lathe/LatheOps.cpp.inc"
