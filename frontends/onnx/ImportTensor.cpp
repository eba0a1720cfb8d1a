// ONNX import of the tensor family: shapes, indexing, creation, control flow.
#include "frontends/onnx/Importer.h"

#include <cmath>
#include <cstring>
#include <functional>

namespace lathe::onnx_import {

/// A rank-1 int64 compile-time value.
static TensorValue int64Vector(ArrayRef<int64_t> values) {
  TensorValue v;
  v.dtype = DType::I64;
  v.shape = {int64_t(values.size())};
  v.bytes.resize(values.size() * 8);
  if (!values.empty())
    std::memcpy(v.bytes.data(), values.data(), values.size() * 8);
  return v;
}

/// Copy of |value| with a new shape (same element count).
static TensorValue withShape(const TensorValue &value,
                             ArrayRef<int64_t> shape) {
  TensorValue v = value;
  v.shape.assign(shape.begin(), shape.end());
  return v;
}

LogicalResult Importer::flatten(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank(), axis = intAttr(node, "axis", 1);
  if (axis < -rank || axis > rank)
    return error(node) << "axis " << axis << " is out of range for rank "
                       << rank;
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= type.getDimSize(d);
  auto y = buildReshape(*x, {outer, inner});
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::reshape(const NodeProto &node) {
  const TensorValue *shapeValue = constantInput(node, 1, "shape");
  if (!shapeValue)
    return failure();
  bool allowZero = intAttr(node, "allowzero", 0) != 0;
  auto inShape = [&]() -> SmallVector<int64_t> {
    if (isConstant(node.input(0)))
      return SmallVector<int64_t>(
          ArrayRef<int64_t>(constants[node.input(0)].shape));
    auto it = values.find(node.input(0));
    if (it == values.end())
      return {};
    return SmallVector<int64_t>(
        cast<RankedTensorType>(it->second.getType()).getShape());
  }();
  int64_t count = 1;
  for (int64_t d : inShape)
    count *= d;
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (int64_t i = 0; i < shapeValue->numElements(); ++i) {
    int64_t d = shapeValue->intAt(i);
    if (d == 0 && !allowZero) {
      if (i >= int64_t(inShape.size()))
        return error(node) << "shape entry " << i
                           << " is 0 (copy) but the input has rank "
                           << inShape.size();
      d = inShape[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return error(node) << "shape has more than one -1";
      inferred = i;
      d = 1;
    } else if (d < 0) {
      return error(node) << "shape entry " << d << " is invalid";
    }
    known *= d;
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return error(node) << "cannot infer -1: " << count
                         << " elements do not divide by " << known;
    shape[inferred] = count / known;
  }
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  if (total != count)
    return error(node) << "cannot reshape " << shapeString(inShape) << " to "
                       << shapeString(shape);
  if (isConstant(node.input(0))) {
    setConstant(node, 0, withShape(constants[node.input(0)], shape));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = buildReshape(*x, shape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::squeeze(const NodeProto &node) {
  bool unsqueeze = node.op_type() == "Unsqueeze";
  SmallVector<int64_t> axes;
  bool hasAxes = false;
  if (auto a = intsAttr(node, "axes")) {
    axes = *a;
    hasAxes = true;
  } else if (hasInput(node, 1)) {
    const TensorValue *v = constantInput(node, 1, "axes");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      axes.push_back(v->intAt(i));
    hasAxes = true;
  }
  SmallVector<int64_t> inShape;
  if (isConstant(node.input(0))) {
    inShape.assign(constants[node.input(0)].shape.begin(),
                   constants[node.input(0)].shape.end());
  } else {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    inShape.assign(cast<RankedTensorType>(x->getType()).getShape().begin(),
                   cast<RankedTensorType>(x->getType()).getShape().end());
  }
  SmallVector<int64_t> shape;
  if (unsqueeze) {
    if (!hasAxes)
      return error(node) << "missing axes";
    int64_t outRank = inShape.size() + axes.size();
    SmallVector<bool> isNew(outRank, false);
    for (int64_t a : axes) {
      if (a < -outRank || a >= outRank)
        return error(node) << "axis " << a << " is out of range";
      if (isNew[a < 0 ? a + outRank : a])
        return error(node) << "axis " << a << " is given twice";
      isNew[a < 0 ? a + outRank : a] = true;
    }
    size_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
      shape.push_back(isNew[d] ? 1 : inShape[next++]);
  } else {
    int64_t rank = inShape.size();
    SmallVector<bool> drop(rank, false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank)
        return error(node) << "axis " << a << " is out of range";
      int64_t d = a < 0 ? a + rank : a;
      if (inShape[d] != 1)
        return error(node) << "cannot squeeze dimension " << d << " of size "
                           << inShape[d];
      drop[d] = true;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!(hasAxes ? drop[d] : inShape[d] == 1))
        shape.push_back(inShape[d]);
  }
  if (isConstant(node.input(0))) {
    setConstant(node, 0, withShape(constants[node.input(0)], shape));
    return success();
  }
  auto y = buildReshape(values[node.input(0)], shape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::transpose(const NodeProto &node) {
  auto shape = shapeOf(node, 0);
  if (failed(shape))
    return failure();
  int64_t rank = shape->size();
  SmallVector<int64_t> perm;
  if (auto p = intsAttr(node, "perm"))
    perm = *p;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (sorted != llvm::to_vector(llvm::seq<int64_t>(0, rank)))
    return error(node) << "perm is not a permutation of 0.." << rank - 1;
  if (isConstant(node.input(0))) {
    // Shape arithmetic (exporters transpose pad lists) stays compile-time.
    const TensorValue &v = constants[node.input(0)];
    TensorValue out;
    out.dtype = v.dtype;
    for (int64_t d : perm)
      out.shape.push_back(v.shape[d]);
    size_t elt = dtypeSize(v.dtype);
    int64_t count = v.numElements();
    SmallVector<int64_t> strides(rank, 1), index(rank, 0);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * v.shape[d + 1];
    out.bytes.resize(count * elt);
    for (int64_t i = 0; i < count; ++i) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += index[d] * strides[perm[d]];
      std::memcpy(out.bytes.data() + i * elt, v.bytes.data() + src * elt, elt);
      for (int64_t d = rank - 1; d >= 0 && ++index[d] == out.shape[d]; --d)
        index[d] = 0;
    }
    setConstant(node, 0, std::move(out));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = build<TransposeOp>(node, *x, b.getDenseI64ArrayAttr(perm));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::pad(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  std::string modeName = stringAttr(node, "mode", "constant");
  std::optional<PadMode> mode = symbolizePadMode(modeName);
  if (!mode)
    return error(node) << "mode '" << modeName
                       << "' is not constant, reflect, edge or wrap";
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> given;
  double value = 0.0;
  SmallVector<int64_t> axes;
  if (opset < 11) {
    given = intsAttr(node, "pads").value_or(SmallVector<int64_t>());
    value = floatAttr(node, "value", 0.0f);
  } else {
    const TensorValue *p = constantInput(node, 1, "pads");
    if (!p)
      return failure();
    for (int64_t i = 0; i < p->numElements(); ++i)
      given.push_back(p->intAt(i));
    if (hasInput(node, 2)) {
      const TensorValue *v = constantInput(node, 2, "constant_value");
      if (!v)
        return failure();
      if (v->numElements() > 0)
        value = v->floatAt(0);
    }
    if (hasInput(node, 3)) {
      const TensorValue *a = constantInput(node, 3, "axes");
      if (!a)
        return failure();
      for (int64_t i = 0; i < a->numElements(); ++i) {
        auto axis = resolveAxis(node, a->intAt(i), rank);
        if (failed(axis))
          return failure();
        axes.push_back(*axis);
      }
    }
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  int64_t n = axes.size();
  if (int64_t(given.size()) != 2 * n)
    return error(node) << "expected " << 2 * n << " pads, got " << given.size();
  // Positive pads pad; negative ones crop afterwards.
  SmallVector<int64_t> pads(2 * rank, 0), starts(rank, 0),
      sizes(type.getShape()), steps(rank, 1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = axes[i], lo = given[i], hi = given[i + n];
    pads[d] = std::max<int64_t>(lo, 0);
    pads[d + rank] = std::max<int64_t>(hi, 0);
    starts[d] = std::max<int64_t>(-lo, 0);
    sizes[d] += lo + hi;
    if (sizes[d] <= 0)
      return error(node) << "pads crop dimension " << d << " to nothing";
  }
  auto y =
      build<PadOp>(node, *x, b.getDenseI64ArrayAttr(pads),
                   b.getF64FloatAttr(value), PadModeAttr::get(&ctx, *mode));
  if (failed(y))
    return failure();
  if (llvm::any_of(given, [](int64_t p) { return p < 0; })) {
    y = build<SliceOp>(node, *y, b.getDenseI64ArrayAttr(starts),
                       b.getDenseI64ArrayAttr(sizes),
                       b.getDenseI64ArrayAttr(steps));
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::identity(const NodeProto &node) {
  if (!hasInput(node, 0))
    return error(node) << "missing input 0";
  return forwardValue(node, node.input(0), 0);
}

LogicalResult Importer::dropout(const NodeProto &node) {
  // In a training build the op is the identity in inference whatever
  // training_mode says, and the training passes make it drop; an inference
  // build cannot honour training_mode=true (random output).
  bool trainingMode = false;
  if (hasInput(node, 2)) {
    const TensorValue *mode = constantInput(node, 2, "training_mode");
    if (!mode)
      return failure();
    trainingMode = mode->intAt(0) != 0;
  }
  double ratio = floatAttr(node, "ratio", 0.5f);
  if (opset >= 12 && hasInput(node, 1)) {
    const TensorValue *r = constantInput(node, 1, "ratio");
    if (!r)
      return failure();
    ratio = r->floatAt(0);
  }
  if (!(ratio >= 0.0 && ratio < 1.0))
    return error(node) << "ratio " << ratio << " is outside [0, 1)";
  if (trainingMode && ratio != 0.0 && !options.trainingGraph)
    return error(node) << "training_mode=true (random dropout) only in a "
                          "training build (--train, lathe train); export the "
                          "model in eval mode for inference";
  bool wantsMask = node.output_size() > 1 && !node.output(1).empty();
  if (ratio == 0.0 || isConstant(node.input(0))) {
    // Nothing is ever dropped (or the input is a compile-time value).
    if (wantsMask) {
      auto shape = shapeOf(node, 0);
      if (failed(shape))
        return failure();
      TensorValue mask;
      mask.dtype = DType::Bool;
      mask.shape.assign(shape->begin(), shape->end());
      mask.bytes.assign(mask.numElements(), 1);
      setConstant(node, 1, std::move(mask));
    }
    return identity(node);
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (!isa<FloatType>(type.getElementType()))
    return error(node) << "dropout of a non-float tensor is not supported";
  auto op = DropoutOp::create(
      b, loc, type, RankedTensorType::get(type.getShape(), b.getI1Type()), *x,
      b.getF64FloatAttr(ratio), b.getI64IntegerAttr(intAttr(node, "seed", 0)),
      UnitAttr());
  if (failed(finish(op)))
    return failure();
  setOutput(node, 0, op.getOutput());
  if (wantsMask)
    setOutput(node, 1, op.getMask());
  return success();
}

LogicalResult Importer::constant(const NodeProto &node) {
  if (node.attribute_size() != 1)
    return error(node) << "expected exactly one value attribute";
  const auto &attr = node.attribute(0);
  if (attr.name() == "value") {
    auto value = decodeTensor(attr.t(), modelDir);
    if (!value)
      return error(node) << llvm::toString(value.takeError());
    setConstant(node, 0, std::move(*value));
  } else if (attr.name() == "value_float" || attr.name() == "value_floats") {
    TensorValue v;
    std::vector<float> fs =
        attr.name() == "value_float"
            ? std::vector<float>{attr.f()}
            : std::vector<float>(attr.floats().begin(), attr.floats().end());
    if (attr.name() == "value_floats")
      v.shape = {int64_t(fs.size())};
    v.bytes.resize(fs.size() * 4);
    std::memcpy(v.bytes.data(), fs.data(), v.bytes.size());
    setConstant(node, 0, std::move(v));
  } else if (attr.name() == "value_int") {
    setConstant(node, 0, withShape(int64Vector({attr.i()}), {}));
  } else if (attr.name() == "value_ints") {
    setConstant(node, 0,
                int64Vector(SmallVector<int64_t>(attr.ints().begin(),
                                                 attr.ints().end())));
  } else {
    return error(node) << "attribute '" << attr.name() << "' is not supported";
  }
  return success();
}

LogicalResult Importer::shape(const NodeProto &node) {
  SmallVector<int64_t> dims;
  if (isConstant(node.input(0))) {
    dims.assign(constants[node.input(0)].shape.begin(),
                constants[node.input(0)].shape.end());
  } else {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    auto s = cast<RankedTensorType>(x->getType()).getShape();
    dims.assign(s.begin(), s.end());
  }
  int64_t rank = dims.size();
  int64_t start = intAttr(node, "start", 0), end = intAttr(node, "end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  setConstant(node, 0,
              int64Vector(ArrayRef<int64_t>(dims).slice(start, end - start)));
  return success();
}

LogicalResult Importer::size(const NodeProto &node) {
  auto dims = shapeOf(node, 0);
  if (failed(dims))
    return failure();
  int64_t count = 1;
  for (int64_t d : *dims)
    count *= d;
  setConstant(node, 0, withShape(int64Vector({count}), {}));
  return success();
}

LogicalResult Importer::constantOfShape(const NodeProto &node) {
  const TensorValue *shape = constantInput(node, 0, "shape");
  if (!shape)
    return failure();
  TensorValue fill;
  fill.dtype = DType::F32;
  fill.bytes.assign(4, 0); // Default: a float 0.
  if (const auto *attr = findAttr(node, "value")) {
    auto v = decodeTensor(attr->t(), modelDir);
    if (!v)
      return error(node) << llvm::toString(v.takeError());
    if (v->numElements() != 1)
      return error(node) << "value must hold one element";
    fill = std::move(*v);
  }
  TensorValue out;
  out.dtype = fill.dtype;
  for (int64_t i = 0; i < shape->numElements(); ++i) {
    if (shape->intAt(i) < 0)
      return error(node) << "negative dimension " << shape->intAt(i);
    out.shape.push_back(shape->intAt(i));
  }
  if (failed(checkFoldedSize(node, out.shape, out.dtype)))
    return failure();
  for (int64_t i = 0, n = out.numElements(); i < n; ++i)
    out.bytes.insert(out.bytes.end(), fill.bytes.begin(), fill.bytes.end());
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::gather(const NodeProto &node) {
  int64_t axis = intAttr(node, "axis", 0);
  bool shapeMath = hasInput(node, 1) && isConstant(node.input(0)) &&
                   isConstant(node.input(1)) &&
                   constants[node.input(0)].shape.size() == 1 &&
                   (axis == 0 || axis == -1);
  if (!shapeMath)
    return gatherAtRunTime(node, axis);
  // Shape computations stay compile-time values.
  const TensorValue *data = constantInput(node, 0, "data");
  const TensorValue *indices = constantInput(node, 1, "indices");
  if (!data || !indices)
    return failure();
  int64_t n = data->shape[0];
  TensorValue out;
  out.dtype = data->dtype;
  out.shape = indices->shape;
  size_t elt = dtypeSize(data->dtype);
  for (int64_t i = 0; i < indices->numElements(); ++i) {
    int64_t idx = indices->intAt(i);
    if (idx < -n || idx >= n)
      return error(node) << "index " << idx << " is out of range for " << n
                         << " elements";
    if (idx < 0)
      idx += n;
    out.bytes.insert(out.bytes.end(), data->bytes.begin() + idx * elt,
                     data->bytes.begin() + (idx + 1) * elt);
  }
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::gatherAtRunTime(const NodeProto &node, int64_t axis) {
  auto data = input(node, 0), indices = input(node, 1);
  if (failed(data) || failed(indices))
    return failure();
  auto resolved = resolveAxis(
      node, axis, cast<RankedTensorType>(data->getType()).getRank());
  if (failed(resolved))
    return failure();
  axis = *resolved;
  auto y = node.op_type() == "Gather"
               ? build<GatherOp>(node, *data, *indices, axis)
               : build<GatherElementsOp>(node, *data, *indices, axis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Compress: the slices along axis (or, without one, the elements of the
/// flattened input) whose condition is true, the condition known at
/// compile time (the output's shape depends on it); a gather of those
/// indices. A condition shorter than the axis drops the rest.
LogicalResult Importer::compress(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  const TensorValue *condition =
      constantInput(node, 1, "condition, which decides the output's shape");
  if (!condition)
    return failure();
  if (condition->shape.size() != 1)
    return error(node) << "condition must be 1-D, got "
                       << condition->shape.size() << " dimensions";
  Value data = *x;
  auto type = cast<RankedTensorType>(data.getType());
  int64_t axis = 0;
  if (const auto *a = findAttr(node, "axis")) {
    auto resolved = resolveAxis(node, a->i(), type.getRank());
    if (failed(resolved))
      return failure();
    axis = *resolved;
  } else {
    auto flat = buildReshape(data, {type.getNumElements()});
    if (failed(flat))
      return failure();
    data = *flat;
  }
  int64_t length = cast<RankedTensorType>(data.getType()).getDimSize(axis);
  if (condition->numElements() > length)
    return error(node) << "condition has " << condition->numElements()
                       << " entries for " << length << " slices";
  SmallVector<int64_t> kept;
  for (int64_t i = 0; i < condition->numElements(); ++i)
    if (condition->intAt(i) != 0)
      kept.push_back(i);
  Value indices = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({int64_t(kept.size())}, b.getI64Type()),
          ArrayRef<int64_t>(kept)));
  auto y = build<GatherOp>(node, data, indices, axis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// NonZero: the indices of the non-zero elements, one row per dimension,
/// of an input known at compile time (the output's shape depends on its
/// values); a rank-0 input counts as one element.
LogicalResult Importer::nonZero(const NodeProto &node) {
  const TensorValue *x =
      constantInput(node, 0, "X, whose values decide the output's shape");
  if (!x)
    return failure();
  std::vector<int64_t> shape = x->shape;
  if (shape.empty())
    shape.push_back(1);
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < x->numElements(); ++i)
    if (isFloatDType(x->dtype) ? x->floatAt(i) != 0 : x->intAt(i) != 0)
      hits.push_back(i);
  int64_t rank = int64_t(shape.size()), count = int64_t(hits.size());
  TensorValue out;
  out.dtype = DType::I64;
  out.shape = {rank, count};
  std::vector<int64_t> rows(rank * count);
  for (int64_t k = 0; k < count; ++k)
    for (int64_t d = rank - 1, rest = hits[k]; d >= 0; --d) {
      rows[d * count + k] = rest % shape[d];
      rest /= shape[d];
    }
  for (int64_t v : rows)
    out.append(double(v), v);
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::gatherElements(const NodeProto &node) {
  return gatherAtRunTime(node, intAttr(node, "axis", 0));
}

FailureOr<SmallVector<int64_t>> Importer::shapeOf(const NodeProto &node,
                                                  int i) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i;
    return failure();
  }
  if (isConstant(node.input(i)))
    return SmallVector<int64_t>(
        ArrayRef<int64_t>(constants[node.input(i)].shape));
  auto v = input(node, i);
  if (failed(v))
    return failure();
  return SmallVector<int64_t>(cast<RankedTensorType>(v->getType()).getShape());
}

FailureOr<std::optional<SmallVector<int64_t>>>
Importer::intsFrom(const NodeProto &node, StringRef attr, int index,
                   int64_t inputSince) {
  if (opset < inputSince)
    return intsAttr(node, attr);
  if (!hasInput(node, index))
    return std::optional<SmallVector<int64_t>>();
  const TensorValue *v = constantInput(node, index, attr);
  if (!v)
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < v->numElements(); ++i)
    out.push_back(v->intAt(i));
  return std::optional<SmallVector<int64_t>>(out);
}

/// Row-major strided copy of a compile-time value: |starts|, |sizes| and
/// |steps| per dimension.
static TensorValue sliceValue(const TensorValue &v, ArrayRef<int64_t> starts,
                              ArrayRef<int64_t> sizes,
                              ArrayRef<int64_t> steps) {
  TensorValue out;
  out.dtype = v.dtype;
  out.shape.assign(sizes.begin(), sizes.end());
  size_t elt = dtypeSize(v.dtype);
  int64_t rank = v.shape.size(), count = out.numElements();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * v.shape[d + 1];
  out.bytes.resize(count * elt);
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (starts[d] + index[d] * steps[d]) * strides[d];
    std::memcpy(out.bytes.data() + i * elt, v.bytes.data() + src * elt, elt);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == sizes[d]; --d)
      index[d] = 0;
  }
  return out;
}

LogicalResult Importer::concat(const NodeProto &node) {
  bool allConstant = true;
  for (int i = 0; i < node.input_size(); ++i)
    allConstant &=
        isConstant(node.input(i)) && constants[node.input(i)].shape.size() == 1;
  if (allConstant) {
    // Shape arithmetic on compile-time values.
    TensorValue out;
    for (int i = 0; i < node.input_size(); ++i) {
      const TensorValue &v = constants[node.input(i)];
      if (i == 0)
        out.dtype = v.dtype;
      else if (v.dtype != out.dtype)
        return error(node) << "inputs of different element types";
      out.bytes.insert(out.bytes.end(), v.bytes.begin(), v.bytes.end());
    }
    out.shape = {int64_t(out.bytes.size() / dtypeSize(out.dtype))};
    setConstant(node, 0, std::move(out));
    return success();
  }
  SmallVector<Value> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  auto resolved = resolveAxis(node, intAttr(node, "axis", 0), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  auto y = build<ConcatOp>(node, inputs, b.getI64IntegerAttr(axis));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::slice(const NodeProto &node) {
  auto shape = shapeOf(node, 0);
  if (failed(shape))
    return failure();
  auto starts = intsFrom(node, "starts", 1, 10);
  auto ends = intsFrom(node, "ends", 2, 10);
  auto axes = intsFrom(node, "axes", 3, 10);
  auto steps = intsFrom(node, "steps", 4, 10);
  if (failed(starts) || failed(ends) || failed(axes) || failed(steps))
    return failure();
  if (!*starts || !*ends || (*starts)->size() != (*ends)->size())
    return error(node) << "expected starts and ends of one length";
  int64_t rank = shape->size(), n = (*starts)->size();
  SmallVector<int64_t> offs(rank, 0), sizes(*shape), strides(rank, 1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t axis = *axes ? (**axes)[i] : i;
    if (axis < -rank || axis >= rank)
      return error(node) << "axis " << axis << " is out of range";
    if (axis < 0)
      axis += rank;
    int64_t step = *steps ? (**steps)[i] : 1;
    if (step == 0)
      return error(node) << "steps must not be 0";
    int64_t dim = (*shape)[axis];
    int64_t start = (**starts)[i], end = (**ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      sizes[axis] = end > start ? (end - start + step - 1) / step : 0;
    } else {
      // Walks down from start while above end (-1: through element 0).
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      sizes[axis] = start > end ? (start - end - step - 1) / -step : 0;
    }
    offs[axis] = start;
    strides[axis] = step;
  }
  if (isConstant(node.input(0))) {
    setConstant(node, 0,
                sliceValue(constants[node.input(0)], offs, sizes, strides));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  // A negative step is the positive-step slice from its last element,
  // then flipped.
  SmallVector<int64_t> flipped;
  for (int64_t d = 0; d < rank; ++d) {
    if (strides[d] < 0) {
      offs[d] += (sizes[d] - 1) * strides[d];
      strides[d] = -strides[d];
      flipped.push_back(d);
    }
    if (sizes[d] == 0)
      offs[d] = 0; // An empty slice starts anywhere valid.
  }
  auto y = build<SliceOp>(node, *x, b.getDenseI64ArrayAttr(offs),
                          b.getDenseI64ArrayAttr(sizes),
                          b.getDenseI64ArrayAttr(strides));
  if (failed(y))
    return failure();
  if (!flipped.empty()) {
    y = finish(FlipOp::create(b, loc, *y, b.getDenseI64ArrayAttr(flipped)));
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::split(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = shape.size(), axis = intAttr(node, "axis", 0);
  if (axis < -rank || axis >= rank)
    return error(node) << "axis " << axis << " is out of range";
  if (axis < 0)
    axis += rank;
  auto parts = intsFrom(node, "split", 1, 13);
  if (failed(parts))
    return failure();
  int64_t outputs = node.output_size(), dim = shape[axis];
  SmallVector<int64_t> sizes;
  if (*parts) {
    sizes = **parts;
  } else {
    // Equal parts; the last one smaller when the size does not divide.
    int64_t each = (dim + outputs - 1) / outputs;
    for (int64_t i = 0; i < outputs; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
  }
  if (int64_t(sizes.size()) != outputs)
    return error(node) << "split lists " << sizes.size() << " sizes for "
                       << outputs << " outputs";
  auto pieces = splitPieces(node, *x, axis, sizes);
  if (failed(pieces))
    return failure();
  for (int64_t i = 0; i < outputs; ++i)
    if (!node.output(i).empty())
      setOutput(node, i, (*pieces)[i]);
  return success();
}

FailureOr<SmallVector<Value>> Importer::splitPieces(const NodeProto &node,
                                                    Value x, int64_t axis,
                                                    ArrayRef<int64_t> sizes) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = shape.size(), offset = 0;
  SmallVector<Value> pieces;
  for (int64_t piece : sizes) {
    if (piece < 0)
      return error(node) << "split sizes must not be negative, got " << piece;
    SmallVector<int64_t> offs(rank, 0), size(shape), step(rank, 1);
    offs[axis] = offset;
    size[axis] = piece;
    offset += piece;
    if (offset > shape[axis])
      return error(node) << "split sizes exceed dimension " << axis << " (size "
                         << shape[axis] << ")";
    auto y = build<SliceOp>(node, x, b.getDenseI64ArrayAttr(offs),
                            b.getDenseI64ArrayAttr(size),
                            b.getDenseI64ArrayAttr(step));
    if (failed(y))
      return failure();
    pieces.push_back(*y);
  }
  return pieces;
}

LogicalResult Importer::expand(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  const TensorValue *target = constantInput(node, 1, "shape");
  if (!target)
    return failure();
  SmallVector<int64_t> want;
  for (int64_t i = 0; i < target->numElements(); ++i)
    want.push_back(target->intAt(i));
  auto type = cast<RankedTensorType>(x->getType());
  auto shape = broadcastShapes(type.getShape(), want);
  if (failed(shape))
    return error(node) << "cannot broadcast " << shapeString(type.getShape())
                       << " to " << shapeString(want);
  auto y = finish(ExpandOp::create(
      b, loc, RankedTensorType::get(*shape, type.getElementType()), *x));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// ReverseSequence: y[.., t, .., b, ..] = x[.., len[b] - 1 - t, .., b, ..]
/// for t < len[b], else x[.., t, .., b, ..]: a gather along the time axis of
/// where(t < len, len - 1 - t, t), with len clamped to [0, T] so that a
/// length out of range cannot read outside x.
LogicalResult Importer::reverseSequence(const NodeProto &node) {
  auto x = input(node, 0), lens = input(node, 1);
  if (failed(x) || failed(lens))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t batchAxis = intAttr(node, "batch_axis", 1);
  int64_t timeAxis = intAttr(node, "time_axis", 0);
  if (type.getRank() < 2)
    return error(node) << "the input must have rank 2 or more, got "
                       << shapeString(type.getShape());
  if (!((batchAxis == 0 && timeAxis == 1) || (batchAxis == 1 && timeAxis == 0)))
    return error(node) << "batch_axis and time_axis must be 0 and 1 in some "
                          "order, got "
                       << batchAxis << " and " << timeAxis;
  int64_t steps = type.getDimSize(timeAxis), batch = type.getDimSize(batchAxis);
  auto lensType = cast<RankedTensorType>(lens->getType());
  if (!lensType.getElementType().isSignlessInteger(64) ||
      lensType.getShape() != ArrayRef<int64_t>{batch})
    return error(node) << "sequence_lens must be int64 of shape " << batch
                       << ", got " << lensType;
  Type i64 = b.getI64Type();
  SmallVector<int64_t> timeShape(type.getRank(), 1),
      batchShape(type.getRank(), 1);
  timeShape[timeAxis] = steps;
  batchShape[batchAxis] = batch;
  Value t = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get(timeShape, i64),
          ArrayRef<int64_t>(llvm::to_vector(llvm::seq<int64_t>(0, steps)))));
  auto len = buildReshape(*lens, batchShape);
  if (failed(len))
    return failure();
  Value clamped =
      ClipOp::create(b, loc, len->getType(), *len, b.getF64FloatAttr(0.0),
                     b.getF64FloatAttr(double(steps)));
  auto inside = build<LessOp>(node, t, clamped);
  auto last = build<SubOp>(node, clamped, scalarConstant(i64, 1.0));
  if (failed(inside) || failed(last))
    return failure();
  auto mirrored = build<SubOp>(node, *last, t);
  if (failed(mirrored))
    return failure();
  auto where = build<WhereOp>(node, *inside, *mirrored, t);
  if (failed(where))
    return failure();
  auto indices = finish(ExpandOp::create(
      b, loc, RankedTensorType::get(type.getShape(), i64), *where));
  if (failed(indices))
    return failure();
  auto y = build<GatherElementsOp>(node, *x, *indices, timeAxis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::range(const NodeProto &node) {
  const TensorValue *start = constantInput(node, 0, "start");
  const TensorValue *limit = constantInput(node, 1, "limit");
  const TensorValue *delta = constantInput(node, 2, "delta");
  if (!start || !limit || !delta)
    return failure();
  if (start->numElements() != 1 || limit->numElements() != 1 ||
      delta->numElements() != 1)
    return error(node) << "start, limit and delta must be scalars";
  TensorValue out;
  out.dtype = start->dtype;
  bool isFloat = isFloatDType(out.dtype);
  double s = start->floatAt(0), l = limit->floatAt(0), d = delta->floatAt(0);
  if (d == 0)
    return error(node) << "delta must not be zero";
  double count = std::max(std::ceil((l - s) / d), 0.0);
  if (!std::isfinite(count))
    return error(node) << "start, limit and delta must be finite";
  if (failed(checkFoldedSize(node, count, out.dtype)))
    return failure();
  int64_t n = int64_t(count);
  out.shape = {n};
  for (int64_t i = 0; i < n; ++i)
    out.append(s + double(i) * d,
               isFloat ? 0 : start->intAt(0) + i * delta->intAt(0));
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::eyeLike(const NodeProto &node) {
  auto shape = shapeOf(node, 0);
  if (failed(shape))
    return failure();
  if (shape->size() != 2)
    return error(node) << "expected a 2-D input, got rank " << shape->size();
  TensorValue out;
  if (const auto *attr = findAttr(node, "dtype")) {
    auto d = dtypeFromOnnx(int(attr->i()));
    if (!d)
      return error(node) << llvm::toString(d.takeError());
    out.dtype = *d;
  } else if (isConstant(node.input(0))) {
    out.dtype = constants[node.input(0)].dtype;
  } else {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    out.dtype = *dtypeOf(cast<RankedTensorType>(x->getType()).getElementType());
  }
  out.shape = {(*shape)[0], (*shape)[1]};
  if (failed(checkFoldedSize(node, out.shape, out.dtype)))
    return failure();
  int64_t k = intAttr(node, "k", 0);
  for (int64_t i = 0; i < out.shape[0]; ++i)
    for (int64_t j = 0; j < out.shape[1]; ++j)
      out.append(j - i == k ? 1.0 : 0.0, j - i == k ? 1 : 0);
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::oneHot(const NodeProto &node) {
  auto indices = input(node, 0);
  const TensorValue *depth = constantInput(node, 1, "depth");
  auto values = input(node, 2);
  if (failed(indices) || !depth || failed(values))
    return failure();
  if (depth->numElements() != 1)
    return error(node) << "depth must be a scalar";
  Value idx = *indices;
  Type idxElt = cast<RankedTensorType>(idx.getType()).getElementType();
  if (!idxElt.isInteger(32) && !idxElt.isInteger(64)) {
    auto cast64 = castTo(node, idx, b.getI64Type());
    if (failed(cast64))
      return failure();
    idx = *cast64;
  }
  int64_t rank = cast<RankedTensorType>(idx.getType()).getRank() + 1;
  auto axis = resolveAxis(node, intAttr(node, "axis", -1), rank);
  if (failed(axis))
    return failure();
  auto y =
      build<OneHotOp>(node, idx, *values, int64_t(depth->floatAt(0)), *axis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::tile(const NodeProto &node) {
  // tile(x, r) = reshape(expand(reshape(x, [1, d0, 1, d1, ...]),
  //                             [r0, d0, r1, d1, ...]), [r0 d0, r1 d1, ...]).
  auto x = input(node, 0);
  const TensorValue *repeats = constantInput(node, 1, "repeats");
  if (failed(x) || !repeats)
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (repeats->numElements() != type.getRank())
    return error(node) << "expected " << type.getRank() << " repeats, got "
                       << repeats->numElements();
  SmallVector<int64_t> interleaved, expanded, result;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t r = repeats->intAt(d);
    if (r < 1)
      return error(node) << "repeats must be positive, got " << r;
    interleaved.append({1, type.getDimSize(d)});
    expanded.append({r, type.getDimSize(d)});
    result.push_back(r * type.getDimSize(d));
  }
  auto lifted = buildReshape(*x, interleaved);
  if (failed(lifted))
    return failure();
  auto wide = finish(ExpandOp::create(
      b, loc, RankedTensorType::get(expanded, type.getElementType()), *lifted));
  if (failed(wide))
    return failure();
  auto y = buildReshape(*wide, result);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::scatter(const NodeProto &node) {
  auto x = input(node, 0), idx = input(node, 1), upd = input(node, 2);
  if (failed(x) || failed(idx) || failed(upd))
    return failure();
  std::string name = stringAttr(node, "reduction", "none");
  std::optional<ScatterReduction> reduction = symbolizeScatterReduction(name);
  if (!reduction)
    return error(node) << "reduction '" << name
                       << "' is not none, add, mul, max or min";
  auto reductionAttr = ScatterReductionAttr::get(&ctx, *reduction);
  FailureOr<Value> y;
  if (node.op_type() == "ScatterND") {
    y = build<ScatterNdOp>(node, *x, *idx, *upd, reductionAttr);
  } else {
    auto axis = resolveAxis(node, intAttr(node, "axis", 0),
                            cast<RankedTensorType>(x->getType()).getRank());
    if (failed(axis))
      return failure();
    y = build<ScatterElementsOp>(node, *x, *idx, *upd,
                                 b.getI64IntegerAttr(*axis), reductionAttr);
  }
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::random(const NodeProto &node) {
  const std::string &op = node.op_type();
  bool like = op == "RandomUniformLike" || op == "RandomNormalLike" ||
              op == "Bernoulli";
  SmallVector<int64_t> shape;
  Type elt = b.getF32Type();
  Value probability;
  if (like) {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    auto t = cast<RankedTensorType>(x->getType());
    shape.assign(t.getShape().begin(), t.getShape().end());
    elt = t.getElementType();
    probability = *x;
  } else {
    auto s = intsAttr(node, "shape");
    if (!s)
      return error(node) << "missing required attribute shape";
    shape = *s;
  }
  Type outElt = elt;
  if (const auto *a = findAttr(node, "dtype")) {
    auto d = dtypeFromOnnx(int(a->i()));
    if (!d)
      return error(node) << llvm::toString(d.takeError());
    outElt = mlirType(*d);
  }
  // Without a seed each node still gets its own stream, from its position.
  int64_t seed = findAttr(node, "seed")
                     ? int64_t(floatAttr(node, "seed", 0.0f))
                     : int64_t(std::hash<std::string>()(node.name() + "#" +
                                                        node.output(0)));
  bool bernoulli = op == "Bernoulli";
  Type drawElt = bernoulli ? elt : outElt;
  if (!isa<FloatType>(drawElt))
    return error(node) << "random values of a non-float type are not "
                          "supported";
  bool normal = op == "RandomNormal" || op == "RandomNormalLike";
  double a =
      normal ? floatAttr(node, "mean", 0.0f) : floatAttr(node, "low", 0.0f);
  double bParam =
      normal ? floatAttr(node, "scale", 1.0f) : floatAttr(node, "high", 1.0f);
  if (bernoulli) {
    a = 0.0;
    bParam = 1.0;
  }
  auto y = finish(RandomOp::create(
      b, loc, RankedTensorType::get(shape, drawElt), Value(),
      DistributionAttr::get(&ctx, normal ? Distribution::normal
                                         : Distribution::uniform),
      b.getF64FloatAttr(a), b.getF64FloatAttr(bParam),
      b.getI64IntegerAttr(seed)));
  if (failed(y))
    return failure();
  if (bernoulli) {
    // bernoulli(p) = (u < p), as the element type asked for.
    y = build<LessOp>(node, *y, probability);
    if (failed(y))
      return failure();
  }
  y = castTo(node, *y, outElt);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::gatherNd(const NodeProto &node) {
  auto x = input(node, 0), idx = input(node, 1);
  if (failed(x) || failed(idx))
    return failure();
  auto y = build<GatherNdOp>(
      node, *x, *idx, b.getI64IntegerAttr(intAttr(node, "batch_dims", 0)));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::importSubgraph(const NodeProto &node,
                                       const onnx::GraphProto &graph) {
  for (const auto &init : graph.initializer()) {
    auto value = decodeTensor(init, modelDir);
    if (!value)
      return error(node) << llvm::toString(value.takeError());
    constants[init.name()] = std::move(*value);
  }
  Location outer = loc;
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto &inner = graph.node(i);
    loc = NameLoc::get(b.getStringAttr(nodeName(inner, i)));
    if (failed(importNode(inner))) {
      loc = outer;
      return failure();
    }
  }
  loc = outer;
  return success();
}

LogicalResult Importer::ifOp(const NodeProto &node) {
  // Exporters branch on shapes; with the condition known at compile time the
  // chosen branch is imported in place of the node.
  const TensorValue *cond = constantInput(node, 0, "cond");
  if (!cond)
    return failure();
  if (cond->numElements() != 1)
    return error(node) << "cond must hold one value";
  bool taken = cond->intAt(0) != 0;
  const auto *attr = findAttr(node, taken ? "then_branch" : "else_branch");
  if (!attr || !attr->has_g())
    return error(node) << "missing " << (taken ? "then" : "else") << "_branch";
  const onnx::GraphProto &branch = attr->g();
  if (branch.output_size() != node.output_size())
    return error(node) << "the branch has " << branch.output_size()
                       << " outputs for " << node.output_size();
  if (failed(importSubgraph(node, branch)))
    return failure();
  for (int i = 0; i < node.output_size(); ++i)
    if (failed(forwardValue(node, branch.output(i).name(), i)))
      return failure();
  return success();
}

} // namespace lathe::onnx_import
