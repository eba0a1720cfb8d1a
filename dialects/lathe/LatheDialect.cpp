// The lathe dialect: op verification and result-type inference.
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/InferUtils.h"

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

namespace lathe::infer {

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

} // namespace lathe::infer

#define GET_OP_CLASSES
#include "dialects/lathe/LatheOps.cpp.inc"
