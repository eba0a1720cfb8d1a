// ONNX import of linear quantization: QuantizeLinear, DequantizeLinear and
// DynamicQuantizeLinear as the element-wise lathe ops of their definitions
// (what torch.ao.quantization's quantize/dequantize pairs export to), and
// the integer-arithmetic ops (MatMulInteger, ConvInteger, QLinearMatMul,
// QLinearConv) as int32 products of zero-point-shifted operands.
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
  auto s = castTo(node, scale, f); // the scale in x's type
  if (failed(s))
    return failure();
  auto q = build<DivOp>(node, x, *s);
  if (failed(q))
    return failure();
  return roundToInteger(node, *q, zeroPoint, to);
}

FailureOr<Value> Importer::roundToInteger(const NodeProto &node, Value x,
                                          Value zeroPoint, Type to) {
  Value y = RoundOp::create(b, loc, x); // halves to even
  if (zeroPoint) {
    auto z = castTo(node, zeroPoint,
                    cast<RankedTensorType>(x.getType()).getElementType());
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

/// The 8-bit integer types the integer-arithmetic ops take.
static bool isQuantizedType(Type t) {
  return t.isSignlessInteger(8) || t.isUnsignedInteger(8);
}

/// |axis| of a rank-|rank| operand as quantParam takes it, with the
/// number of its elements; a negative |axis| allows one value only.
static std::pair<int64_t, int64_t> paramAxis(RankedTensorType type,
                                             int64_t axis) {
  if (axis < 0 || axis >= type.getRank())
    return {0, 1};
  return {axis, type.getDimSize(axis)};
}

FailureOr<Value> Importer::zeroPointShifted(const NodeProto &node, Value x,
                                            int index, int zpIndex,
                                            int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!isQuantizedType(type.getElementType()))
    return error(node) << "input " << index << " must hold int8 or uint8 "
                       << "values, got " << type.getElementType();
  Type i32 = b.getI32Type();
  auto wide = castTo(node, x, i32);
  if (failed(wide) || !hasInput(node, zpIndex))
    return wide;
  auto z = input(node, zpIndex);
  if (failed(z))
    return failure();
  if (cast<RankedTensorType>(z->getType()).getElementType() !=
      type.getElementType())
    return error(node) << "the zero point (input " << zpIndex
                       << ") must have the type of input " << index;
  auto [at, channels] = paramAxis(type, axis);
  auto zp = quantParam(node, *z, type.getRank(), at, channels,
                       "the zero point of input " + std::to_string(index));
  if (failed(zp))
    return failure();
  auto zi = castTo(node, *zp, i32);
  if (failed(zi))
    return failure();
  return build<SubOp>(node, *wide, *zi);
}

FailureOr<Value> Importer::requantize(const NodeProto &node, Value acc,
                                      Value scale, int yScaleIndex,
                                      int64_t axis) {
  auto type = cast<RankedTensorType>(acc.getType());
  auto [at, channels] = paramAxis(type, axis);
  auto ys = input(node, yScaleIndex), yz = input(node, yScaleIndex + 1);
  if (failed(ys) || failed(yz))
    return failure();
  Type to = cast<RankedTensorType>(yz->getType()).getElementType();
  if (!isQuantizedType(to))
    return error(node) << "the output zero point must be int8 or uint8, got "
                       << to;
  auto yScale =
      quantParam(node, *ys, type.getRank(), at, channels, "the output scale");
  auto yZero = quantParam(node, *yz, type.getRank(), at, channels,
                          "the output zero point");
  if (failed(yScale) || failed(yZero))
    return failure();
  // As ONNX Runtime does: one multiplier, scale / y_scale, then the int32
  // accumulator times it, rounded.
  auto multiplier = build<DivOp>(node, scale, *yScale);
  auto real = castTo(node, acc, b.getF32Type());
  if (failed(multiplier) || failed(real))
    return failure();
  auto scaled = build<MulOp>(node, *real, *multiplier);
  if (failed(scaled))
    return failure();
  return roundToInteger(node, *scaled, *yZero, to);
}

FailureOr<Value> Importer::shiftedMatmul(const NodeProto &node, int a,
                                         int aZero, int bIndex, int bZero) {
  auto av = input(node, a), bv = input(node, bIndex);
  if (failed(av) || failed(bv))
    return failure();
  int64_t ra = cast<RankedTensorType>(av->getType()).getRank();
  int64_t rb = cast<RankedTensorType>(bv->getType()).getRank();
  // a's zero point per row (its dimension -2), b's per column (-1).
  auto ai = zeroPointShifted(node, *av, a, aZero, ra >= 2 ? ra - 2 : -1);
  auto bi = zeroPointShifted(node, *bv, bIndex, bZero, rb >= 2 ? rb - 1 : -1);
  if (failed(ai) || failed(bi))
    return failure();
  return build<MatmulOp>(node, *ai, *bi);
}

FailureOr<Value> Importer::shiftedConv(const NodeProto &node, int x, int xZero,
                                       int w, int wZero, int bias) {
  auto ops = convOperands(node, "convolution", x, w, bias);
  if (failed(ops))
    return failure();
  if (ops->bias && !cast<RankedTensorType>(ops->bias.getType())
                        .getElementType()
                        .isSignlessInteger(32))
    return error(node) << "the bias (input " << bias << ") must be int32";
  // x's zero point is one value; w's one value or one per output channel.
  auto xi = zeroPointShifted(node, ops->input, x, xZero, -1);
  auto wi = zeroPointShifted(node, ops->weight, w, wZero, 0);
  if (failed(xi) || failed(wi))
    return failure();
  ops->input = *xi;
  ops->weight = *wi;
  return buildConv(node, *ops);
}

LogicalResult Importer::matmulInteger(const NodeProto &node) {
  auto y = shiftedMatmul(node, 0, 2, 1, 3);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::convInteger(const NodeProto &node) {
  auto y = shiftedConv(node, 0, 2, 1, 3, -1);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Scale input |index| (float) reshaped to broadcast over a rank-|rank|
/// result: one value, or one per element of its dimension |axis|.
FailureOr<Value> Importer::productScale(const NodeProto &node, int index,
                                        RankedTensorType result, int64_t axis,
                                        StringRef what) {
  auto s = input(node, index);
  if (failed(s))
    return failure();
  if (!cast<RankedTensorType>(s->getType()).getElementType().isF32())
    return error(node) << what << " (input " << index << ") must be float32";
  auto [at, channels] = paramAxis(result, axis);
  return quantParam(node, *s, result.getRank(), at, channels, what);
}

LogicalResult Importer::qlinearMatmul(const NodeProto &node) {
  auto acc = shiftedMatmul(node, 0, 2, 3, 5);
  auto shapeA = shapeOf(node, 0), shapeB = shapeOf(node, 3);
  if (failed(acc) || failed(shapeA) || failed(shapeB))
    return failure();
  int64_t ra = shapeA->size(), rb = shapeB->size();
  auto type = cast<RankedTensorType>(acc->getType());
  int64_t rank = type.getRank();
  // Per-row scales follow a's rows, per-column ones b's columns.
  int64_t rowAxis = ra >= 2 ? rank - (rb >= 2 ? 2 : 1) : -1;
  int64_t columnAxis = rb >= 2 ? rank - 1 : -1;
  auto as = productScale(node, 1, type, rowAxis, "a_scale");
  auto bs = productScale(node, 4, type, columnAxis, "b_scale");
  if (failed(as) || failed(bs))
    return failure();
  auto scale = build<MulOp>(node, *as, *bs);
  if (failed(scale))
    return failure();
  auto y = requantize(node, *acc, *scale, 6, rowAxis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::qlinearConv(const NodeProto &node) {
  auto acc = shiftedConv(node, 0, 2, 3, 5, 8);
  if (failed(acc))
    return failure();
  auto type = cast<RankedTensorType>(acc->getType());
  // x's scale is one value; w's one value or one per output channel.
  auto xs = productScale(node, 1, type, -1, "x_scale");
  auto ws = productScale(node, 4, type, 1, "w_scale");
  if (failed(xs) || failed(ws))
    return failure();
  auto scale = build<MulOp>(node, *xs, *ws);
  if (failed(scale))
    return failure();
  auto y = requantize(node, *acc, *scale, 6, -1);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

} // namespace lathe::onnx_import
