// ONNX import of linear quantization: QuantizeLinear, DequantizeLinear and
// DynamicQuantizeLinear as the element-wise lathe ops of their definitions
// (what torch.ao.quantization's quantize/dequantize pairs export to).
#include "frontends/onnx/Importer.h"

namespace lathe::onnx_import {

/// The range of integer type |t| (8-bit signed or unsigned).
static std::pair<double, double> integerRange(Type t) {
  if (t.isUnsignedInteger())
    return {0.0, double((1u << t.getIntOrFloatBitWidth()) - 1)};
  double half = double(1u << (t.getIntOrFloatBitWidth() - 1));
  return {-half, half - 1};
}

FailureOr<Value> Importer::quantParam(const NodeProto &node, Value param,
                                      int64_t rank, int64_t axis,
                                      int64_t channels, StringRef what) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getNumElements() == 1)
    return buildReshape(param, {});
  if (type.getRank() != 1 || type.getDimSize(0) != channels)
    return error(node) << what << " must be a scalar or hold one value per "
                       << "element of axis " << axis << " (" << channels
                       << "), got shape " << shapeString(type.getShape());
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = channels;
  return buildReshape(param, shape);
}

/// The per-tensor or per-axis scale (input 1) and zero point (input 2) of a
/// (de)quantize node over |x|; |zeroPoint| is null when absent.
LogicalResult Importer::quantParams(const NodeProto &node, Value x,
                                    Value &scale, Value &zeroPoint) {
  if (intAttr(node, "block_size", 0) != 0)
    return error(node) << "blocked quantization (block_size) is not "
                          "supported";
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t axis = intAttr(node, "axis", 1);
  int64_t channels = 1;
  auto s = input(node, 1);
  if (failed(s))
    return failure();
  if (cast<RankedTensorType>(s->getType()).getNumElements() != 1) {
    auto resolved = resolveAxis(node, axis, rank);
    if (failed(resolved))
      return failure();
    axis = *resolved;
    channels = type.getDimSize(axis);
  }
  auto sb = quantParam(node, *s, rank, axis, channels, "the scale");
  if (failed(sb))
    return failure();
  scale = *sb;
  zeroPoint = {};
  if (hasInput(node, 2)) {
    auto z = input(node, 2);
    if (failed(z))
      return failure();
    auto zb = quantParam(node, *z, rank, axis, channels, "the zero point");
    if (failed(zb))
      return failure();
    zeroPoint = *zb;
  }
  return success();
}

FailureOr<Value> Importer::quantize(const NodeProto &node, Value x, Value scale,
                                    Value zeroPoint, Type to) {
  Type f = cast<RankedTensorType>(x.getType()).getElementType();
  auto like = [&](Value v) {
    return castTo(node, v, f); // scale and zero point in x's type
  };
  auto s = like(scale);
  if (failed(s))
    return failure();
  auto q = build<DivOp>(node, x, *s);
  if (failed(q))
    return failure();
  Value y = RoundOp::create(b, loc, *q); // halves to even
  if (zeroPoint) {
    auto z = like(zeroPoint);
    if (failed(z))
      return failure();
    auto shifted = build<AddOp>(node, y, *z);
    if (failed(shifted))
      return failure();
    y = *shifted;
  }
  auto [lo, hi] = integerRange(to);
  y = ClipOp::create(b, loc, y.getType(), y, b.getF64FloatAttr(lo),
                     b.getF64FloatAttr(hi));
  return castTo(node, y, to);
}

LogicalResult Importer::quantizeLinear(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType()))
    return error(node) << "the input must be a float tensor";
  Value scale, zeroPoint;
  if (failed(quantParams(node, *x, scale, zeroPoint)))
    return failure();
  Type to = b.getIntegerType(8, /*isSigned=*/false);
  if (zeroPoint)
    to = cast<RankedTensorType>(zeroPoint.getType()).getElementType();
  if (!to.isInteger(8))
    return error(node) << "only 8-bit integer outputs are supported (the zero "
                          "point's type)";
  if (intAttr(node, "output_dtype", 0) != 0)
    return error(node) << "output_dtype is not supported";
  auto y = quantize(node, *x, scale, zeroPoint, to);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::dequantizeLinear(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  Value scale, zeroPoint;
  if (failed(quantParams(node, *x, scale, zeroPoint)))
    return failure();
  Type f = cast<RankedTensorType>(scale.getType()).getElementType();
  if (!isa<FloatType>(f))
    return error(node) << "the scale must be a float tensor";
  auto y = castTo(node, *x, f);
  if (failed(y))
    return failure();
  if (zeroPoint) {
    auto z = castTo(node, zeroPoint, f);
    if (failed(z))
      return failure();
    y = build<SubOp>(node, *y, *z);
    if (failed(y))
      return failure();
  }
  y = build<MulOp>(node, *y, scale);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// y_scale = (max(x, 0) - min(x, 0)) / 255 over the whole tensor,
/// y_zero_point = saturate(round(-min / y_scale)), y = QuantizeLinear(x).
LogicalResult Importer::dynamicQuantizeLinear(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  Type f = type.getElementType();
  if (!isa<FloatType>(f))
    return error(node) << "the input must be a float tensor";
  auto axes = b.getDenseI64ArrayAttr(
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
  auto hi = build<ReduceMaxOp>(node, *x, axes, b.getBoolAttr(false));
  auto lo = build<ReduceMinOp>(node, *x, axes, b.getBoolAttr(false));
  if (failed(hi) || failed(lo))
    return failure();
  Value zero = scalarConstant(f, 0.0);
  auto top = build<MaxOp>(node, *hi, zero);
  auto bottom = build<MinOp>(node, *lo, zero);
  if (failed(top) || failed(bottom))
    return failure();
  auto range = build<SubOp>(node, *top, *bottom);
  if (failed(range))
    return failure();
  auto scale = build<DivOp>(node, *range, scalarConstant(f, 255.0));
  if (failed(scale))
    return failure();
  auto negMin = build<SubOp>(node, zero, *bottom);
  if (failed(negMin))
    return failure();
  Type u8 = b.getIntegerType(8, /*isSigned=*/false);
  auto zeroPoint = quantize(node, *negMin, *scale, {}, u8);
  if (failed(zeroPoint))
    return failure();
  auto y = quantize(node, *x, *scale, *zeroPoint, u8);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  if (node.output_size() > 1)
    setOutput(node, 1, *scale);
  if (node.output_size() > 2)
    setOutput(node, 2, *zeroPoint);
  return success();
}

} // namespace lathe::onnx_import
