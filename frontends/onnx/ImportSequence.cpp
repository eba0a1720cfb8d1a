// Handlers of ONNX's sequence operators. A sequence is a list of tensors
// whose length and positions are known at compile time: the importer keeps
// it as a list of values, and each operator picks, adds or removes values;
// only the tensors it reads or builds reach the lathe module. A sequence
// input or output of the graph is one argument or result per tensor.
// Optionals are known at compile time too: one holding a value is that
// value, an empty one a name in the importer's |absent| set.
#include "frontends/onnx/Importer.h"

namespace lathe::onnx_import {

const std::vector<Value> *Importer::sequenceInput(const NodeProto &node,
                                                  int i) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i << " (a sequence)";
    return nullptr;
  }
  auto it = sequences.find(node.input(i));
  if (it == sequences.end()) {
    error(node) << "input '" << node.input(i)
                << "' is not a sequence produced by an earlier node";
    return nullptr;
  }
  return &it->second;
}

FailureOr<int64_t> Importer::sequencePosition(const NodeProto &node, int i,
                                              int64_t size, int64_t extra,
                                              int64_t fallback) {
  if (!hasInput(node, i))
    return fallback;
  const TensorValue *position = constantInput(node, i, "position");
  if (!position)
    return failure();
  if (position->numElements() != 1 || isFloatDType(position->dtype))
    return error(node) << "the position must be one integer";
  int64_t at = position->intAt(0);
  if (at < -size || at >= size + extra)
    return error(node) << "position " << at
                       << " is out of range for a sequence of " << size
                       << " tensors";
  return at < 0 ? at + size : at;
}

LogicalResult Importer::sequenceConstruct(const NodeProto &node) {
  // SequenceConstruct(inputs...) and SequenceEmpty().
  std::vector<Value> elements;
  for (int i = 0; i < node.input_size(); ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    if (!elements.empty() && getElementTypeOrSelf(v->getType()) !=
                                 getElementTypeOrSelf(elements[0].getType()))
      return error(node) << "the tensors of a sequence must share one "
                            "element type";
    elements.push_back(*v);
  }
  sequences[node.output(0)] = std::move(elements);
  return success();
}

LogicalResult Importer::sequenceInsert(const NodeProto &node) {
  const std::vector<Value> *seq = sequenceInput(node, 0);
  if (!seq)
    return failure();
  auto tensor = input(node, 1);
  if (failed(tensor))
    return failure();
  int64_t size = seq->size();
  auto at = sequencePosition(node, 2, size, 1, size);
  if (failed(at))
    return failure();
  std::vector<Value> elements = *seq;
  if (!elements.empty() && getElementTypeOrSelf(tensor->getType()) !=
                               getElementTypeOrSelf(elements[0].getType()))
    return error(node) << "the tensor's element type differs from the "
                          "sequence's";
  elements.insert(elements.begin() + *at, *tensor);
  sequences[node.output(0)] = std::move(elements);
  return success();
}

LogicalResult Importer::sequenceErase(const NodeProto &node) {
  const std::vector<Value> *seq = sequenceInput(node, 0);
  if (!seq)
    return failure();
  int64_t size = seq->size();
  if (size == 0)
    return error(node) << "cannot erase from an empty sequence";
  auto at = sequencePosition(node, 1, size, 0, size - 1);
  if (failed(at))
    return failure();
  std::vector<Value> elements = *seq;
  elements.erase(elements.begin() + *at);
  sequences[node.output(0)] = std::move(elements);
  return success();
}

LogicalResult Importer::sequenceAt(const NodeProto &node) {
  const std::vector<Value> *seq = sequenceInput(node, 0);
  if (!seq)
    return failure();
  if (!hasInput(node, 1))
    return error(node) << "missing input 1 (position)";
  auto at = sequencePosition(node, 1, seq->size(), 0, 0);
  if (failed(at))
    return failure();
  setOutput(node, 0, (*seq)[*at]);
  return success();
}

LogicalResult Importer::sequenceLength(const NodeProto &node) {
  const std::vector<Value> *seq = sequenceInput(node, 0);
  if (!seq)
    return failure();
  TensorValue length;
  length.dtype = DType::I64;
  length.append(double(seq->size()), int64_t(seq->size()));
  setConstant(node, 0, std::move(length));
  return success();
}

LogicalResult Importer::splitToSequence(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  auto resolved = resolveAxis(node, intAttr(node, "axis", 0), shape.size());
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved, dim = shape[axis];
  SmallVector<int64_t> sizes;
  bool squeeze = false;
  if (!hasInput(node, 1)) {
    // One piece per index, the axis kept or (keepdims=0) dropped.
    sizes.assign(dim, 1);
    squeeze = intAttr(node, "keepdims", 1) == 0;
  } else {
    const TensorValue *split = constantInput(node, 1, "split");
    if (!split)
      return failure();
    if (isFloatDType(split->dtype) || split->shape.size() > 1)
      return error(node) << "split must be an integer scalar or list";
    if (split->shape.empty()) {
      // Chunks of one size; the last one smaller when it does not divide.
      int64_t each = split->intAt(0);
      if (each <= 0)
        return error(node) << "a scalar split must be positive, got " << each;
      for (int64_t offset = 0; offset < dim; offset += each)
        sizes.push_back(std::min(each, dim - offset));
    } else {
      int64_t total = 0;
      for (int64_t i = 0; i < split->numElements(); ++i) {
        sizes.push_back(split->intAt(i));
        total += sizes.back();
      }
      if (total != dim)
        return error(node) << "split sizes add up to " << total
                           << ", not dimension " << axis << " (" << dim << ")";
    }
  }
  auto pieces = splitPieces(node, *x, axis, sizes);
  if (failed(pieces))
    return failure();
  std::vector<Value> elements;
  for (Value piece : *pieces) {
    if (squeeze) {
      SmallVector<int64_t> dropped(shape);
      dropped.erase(dropped.begin() + axis);
      auto flat = buildReshape(piece, dropped);
      if (failed(flat))
        return failure();
      piece = *flat;
    }
    elements.push_back(piece);
  }
  sequences[node.output(0)] = std::move(elements);
  return success();
}

LogicalResult Importer::concatFromSequence(const NodeProto &node) {
  const std::vector<Value> *seq = sequenceInput(node, 0);
  if (!seq)
    return failure();
  if (seq->empty())
    return error(node) << "cannot concatenate an empty sequence";
  if (!findAttr(node, "axis"))
    return error(node) << "missing required attribute 'axis'";
  bool newAxis = intAttr(node, "new_axis", 0) != 0;
  int64_t rank = cast<RankedTensorType>((*seq)[0].getType()).getRank();
  auto resolved =
      resolveAxis(node, intAttr(node, "axis", 0), rank + (newAxis ? 1 : 0));
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  SmallVector<Value> parts(seq->begin(), seq->end());
  // Stacked (new_axis): each tensor gains a unit dimension at |axis|.
  if (newAxis && llvm::any_of(parts, [&](Value v) {
        return cast<RankedTensorType>(v.getType()).getRank() != rank;
      }))
    return error(node) << "the tensors of the sequence differ in rank";
  auto y = newAxis ? stackAlong(node, parts, axis)
                   : build<ConcatOp>(node, parts, b.getI64IntegerAttr(axis));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// SequenceMap: the body applied to the tensors at each position of the
/// input sequences (an additional input that is a tensor is passed whole
/// every time), unrolled like a loop; output k is the sequence of the
/// body's output k.
LogicalResult Importer::sequenceMap(const NodeProto &node) {
  const auto *attr = findAttr(node, "body");
  if (!attr || !attr->has_g())
    return error(node) << "missing attribute 'body'";
  const onnx::GraphProto &body = attr->g();
  const std::vector<Value> *first = sequenceInput(node, 0);
  if (!first)
    return failure();
  size_t length = first->size();
  SmallVector<Binding> whole;
  std::vector<const std::vector<Value> *> perPosition;
  for (int i = 0; i < node.input_size(); ++i) {
    auto seq = sequences.find(node.input(i));
    if (seq != sequences.end()) {
      if (seq->second.size() != length)
        return error(node) << "input " << i << " holds " << seq->second.size()
                           << " tensors where input 0 holds " << length;
      perPosition.push_back(&seq->second);
      continue;
    }
    // A tensor, passed whole at every position.
    auto binding = inputBinding(node, i);
    if (failed(binding))
      return failure();
    if (binding->absent)
      return error(node) << "input '" << node.input(i)
                         << "' is an empty optional, not a tensor";
    perPosition.push_back(nullptr);
    whole.push_back(std::move(*binding));
  }
  std::vector<std::vector<Value>> outputs(node.output_size());
  for (size_t at = 0; at < length; ++at) {
    SmallVector<Binding> bound;
    size_t next = 0;
    for (const std::vector<Value> *seq : perPosition) {
      if (!seq) {
        bound.push_back(whole[next++]);
        continue;
      }
      Binding binding;
      binding.value = (*seq)[at];
      bound.push_back(std::move(binding));
    }
    auto results = importBody(node, body, bound);
    if (failed(results))
      return failure();
    if (results->size() != outputs.size())
      return error(node) << "the body has " << results->size()
                         << " outputs for " << outputs.size()
                         << " output sequences";
    for (size_t k = 0; k < outputs.size(); ++k) {
      auto v = bindingValue(node, (*results)[k]);
      if (failed(v))
        return failure();
      outputs[k].push_back(*v);
    }
  }
  for (size_t k = 0; k < outputs.size(); ++k)
    sequences[node.output(int(k))] = std::move(outputs[k]);
  return success();
}

LogicalResult Importer::forwardValue(const NodeProto &node,
                                     const std::string &from, int i) {
  auto binding = lookupBinding(from);
  if (!binding)
    return error(node) << "'" << from
                       << "' is not produced by any earlier "
                          "node";
  bind(node.output(i), std::move(*binding));
  return success();
}

/// Optional(input): an optional holding |input|, or without an input an
/// empty optional (of the type attribute's type).
LogicalResult Importer::optional(const NodeProto &node) {
  if (!hasInput(node, 0)) {
    if (!findAttr(node, "type"))
      return error(node) << "an empty optional needs the 'type' attribute";
    absent.insert(node.output(0));
    return success();
  }
  return forwardValue(node, node.input(0), 0);
}

/// OptionalHasElement(input): whether the optional holds a value, known at
/// compile time; a tensor or sequence (opset 18) holds one, a missing input
/// none.
LogicalResult Importer::optionalHasElement(const NodeProto &node) {
  bool has = hasInput(node, 0) && !absent.count(node.input(0));
  if (has && !lookupBinding(node.input(0)))
    return error(node) << "input '" << node.input(0)
                       << "' is not produced by any earlier node";
  TensorValue out;
  out.dtype = DType::Bool;
  out.append(has ? 1.0 : 0.0, has);
  setConstant(node, 0, std::move(out));
  return success();
}

/// OptionalGetElement(input): the value an optional holds (a tensor or
/// sequence is its own value, opset 18); an empty optional is an error.
LogicalResult Importer::optionalGetElement(const NodeProto &node) {
  if (!hasInput(node, 0))
    return error(node) << "missing input 0 (the optional)";
  if (absent.count(node.input(0)))
    return error(node) << "input '" << node.input(0)
                       << "' is an empty optional, which holds no value";
  return forwardValue(node, node.input(0), 0);
}

} // namespace lathe::onnx_import
