// Handlers of ONNX's loops, Loop and Scan, unrolled at compile time: the
// trip count and the scanned lengths are static, and each iteration imports
// the body graph once more, its inputs bound to the previous iteration's
// results (and the iteration number, a compile-time value). Scan outputs are
// stacked along their axes.
#include "frontends/onnx/Importer.h"

namespace lathe::onnx_import {

/// The most iterations a loop may unroll into.
constexpr int64_t kMaxUnrolledIterations = 4096;

FailureOr<SmallVector<Importer::Binding>>
Importer::importBody(const NodeProto &node, const onnx::GraphProto &body,
                     ArrayRef<Binding> inputs) {
  if (body.input_size() != int(inputs.size()))
    return error(node) << "the body takes " << body.input_size()
                       << " inputs, expected " << inputs.size();
  // One budget for the whole model: nested loops multiply.
  if (++unrolledBodies > options.maxUnroll)
    return error(node) << "unrolling it exceeds the budget of "
                       << options.maxUnroll
                       << " loop-body copies in the whole model (nested "
                          "loops multiply; raise it with --max-unroll)";
  // The body's names shadow the enclosing graph's while it is imported.
  std::set<std::string> local;
  for (const auto &in : body.input())
    local.insert(in.name());
  for (const auto &init : body.initializer())
    local.insert(init.name());
  for (const auto &inner : body.node())
    for (const std::string &out : inner.output())
      local.insert(out);
  std::map<std::string, Value> savedValues;
  std::map<std::string, TensorValue> savedConstants;
  std::map<std::string, std::vector<Value>> savedSequences;
  auto save = [&](auto &from, auto &to) {
    for (const std::string &name : local)
      if (auto it = from.find(name); it != from.end()) {
        to[name] = std::move(it->second);
        from.erase(it);
      }
  };
  save(values, savedValues);
  save(constants, savedConstants);
  save(sequences, savedSequences);
  std::set<std::string> savedAbsent;
  for (const std::string &name : local)
    if (absent.erase(name))
      savedAbsent.insert(name);
  auto restore = [&] {
    for (const std::string &name : local) {
      values.erase(name);
      constants.erase(name);
      sequences.erase(name);
      absent.erase(name);
    }
    absent.insert(savedAbsent.begin(), savedAbsent.end());
    for (auto &[name, v] : savedValues)
      values[name] = v;
    for (auto &[name, c] : savedConstants)
      constants[name] = std::move(c);
    for (auto &[name, s] : savedSequences)
      sequences[name] = std::move(s);
  };

  for (auto [in, binding] : llvm::zip(body.input(), inputs))
    bind(in.name(), binding);
  SmallVector<Binding> outputs;
  LogicalResult result = [&]() -> LogicalResult {
    if (failed(importSubgraph(node, body)))
      return failure();
    for (const auto &out : body.output()) {
      auto binding = lookupBinding(out.name());
      if (!binding)
        return error(node) << "body output '" << out.name()
                           << "' is not produced by the body";
      outputs.push_back(std::move(*binding));
    }
    return success();
  }();
  restore();
  if (failed(result))
    return failure();
  return outputs;
}

FailureOr<Value> Importer::bindingValue(const NodeProto &node,
                                        const Binding &binding) {
  if (binding.sequence || binding.absent)
    return error(node) << "a "
                       << (binding.absent ? "empty optional" : "sequence")
                       << " cannot be a scan output or a tensor result of a "
                          "loop";
  if (!binding.constant)
    return binding.value;
  return finish(ConstantOp::create(b, loc, denseAttr(*binding.constant)));
}

FailureOr<Value> Importer::stackAlong(const NodeProto &node,
                                      ArrayRef<Value> parts, int64_t axis) {
  SmallVector<Value> lifted;
  for (Value part : parts) {
    SmallVector<int64_t> shape(
        cast<RankedTensorType>(part.getType()).getShape());
    if (axis > int64_t(shape.size()))
      return error(node) << "axis " << axis << " is out of range";
    shape.insert(shape.begin() + axis, 1);
    auto reshaped = buildReshape(part, shape);
    if (failed(reshaped))
      return failure();
    lifted.push_back(*reshaped);
  }
  return build<ConcatOp>(node, lifted, b.getI64IntegerAttr(axis));
}

LogicalResult Importer::loop(const NodeProto &node) {
  const auto *attr = findAttr(node, "body");
  if (!attr || !attr->has_g())
    return error(node) << "missing attribute 'body'";
  const onnx::GraphProto &body = attr->g();
  int64_t carried = node.input_size() - 2;
  if (carried < 0)
    return error(node) << "expected M, cond and the loop-carried values";
  int64_t scans = body.output_size() - 1 - carried;
  if (scans < 0 || node.output_size() > carried + scans)
    return error(node) << "the body has " << body.output_size()
                       << " outputs for " << carried << " loop-carried values";
  int64_t trips = kMaxUnrolledIterations + 1;
  if (hasInput(node, 0)) {
    const TensorValue *m = constantInput(node, 0, "M, the trip count");
    if (!m)
      return failure();
    if (m->numElements() != 1)
      return error(node) << "M must hold one value";
    trips = m->intAt(0);
  }
  bool running = true;
  if (hasInput(node, 1)) {
    const TensorValue *cond = constantInput(node, 1, "cond");
    if (!cond)
      return failure();
    if (cond->numElements() != 1)
      return error(node) << "cond must hold one value";
    running = cond->intAt(0) != 0;
  }
  SmallVector<Binding> state;
  for (int64_t i = 0; i < carried; ++i) {
    auto binding = inputBinding(node, 2 + i);
    if (failed(binding))
      return failure();
    state.push_back(std::move(*binding));
  }
  std::vector<SmallVector<Value>> scanned(scans);
  int64_t iteration = 0;
  for (; running && iteration < trips; ++iteration) {
    if (iteration == kMaxUnrolledIterations)
      return error(node) << "the loop runs more than " << kMaxUnrolledIterations
                         << " iterations; Lathe unrolls loops and stops there";
    SmallVector<Binding> inputs(2);
    inputs[0].constant = TensorValue();
    inputs[0].constant->dtype = DType::I64;
    inputs[0].constant->append(double(iteration), iteration);
    inputs[1].constant = TensorValue();
    inputs[1].constant->dtype = DType::Bool;
    inputs[1].constant->append(1.0, 1);
    inputs.append(state.begin(), state.end());
    auto outputs = importBody(node, body, inputs);
    if (failed(outputs))
      return failure();
    const Binding &cond = (*outputs)[0];
    if (!cond.constant || cond.constant->numElements() != 1)
      return error(node) << "the body's condition must be known at compile "
                            "time (Lathe unrolls loops)";
    running = cond.constant->intAt(0) != 0;
    state.assign(outputs->begin() + 1, outputs->begin() + 1 + carried);
    for (int64_t k = 0; k < scans; ++k) {
      auto v = bindingValue(node, (*outputs)[1 + carried + k]);
      if (failed(v))
        return failure();
      scanned[k].push_back(*v);
    }
  }
  for (int64_t i = 0; i < std::min<int64_t>(carried, node.output_size()); ++i)
    bind(node.output(i), std::move(state[i]));
  for (int64_t k = 0; carried + k < node.output_size(); ++k) {
    if (scanned[k].empty())
      return error(node) << "the loop runs no iteration, so its scan output "
                         << k << " has no known shape";
    auto y = stackAlong(node, scanned[k], 0);
    if (failed(y))
      return failure();
    setOutput(node, carried + k, *y);
  }
  return success();
}

LogicalResult Importer::scan(const NodeProto &node) {
  const auto *attr = findAttr(node, "body");
  if (!attr || !attr->has_g())
    return error(node) << "missing attribute 'body'";
  const onnx::GraphProto &body = attr->g();
  if (!findAttr(node, "num_scan_inputs"))
    return error(node) << "missing required attribute 'num_scan_inputs'";
  int64_t scanInputs = intAttr(node, "num_scan_inputs", 0);
  // Opset 8: input 0 is the optional sequence_lens and every tensor has a
  // batch dimension first, which the body does not see.
  bool batched = opset < 9;
  int first = batched ? 1 : 0;
  int64_t states = node.input_size() - first - scanInputs;
  if (scanInputs < 1 || states < 0)
    return error(node) << "num_scan_inputs " << scanInputs
                       << " does not fit the " << node.input_size()
                       << " inputs";
  int64_t scanOutputs = node.output_size() - states;
  if (scanOutputs < 0 || body.output_size() != states + scanOutputs)
    return error(node) << "the body has " << body.output_size()
                       << " outputs for " << states << " states and "
                       << scanOutputs << " scan outputs";
  if (batched && hasInput(node, 0))
    return error(node) << "sequence_lens is not supported (every sequence "
                          "must have the full length)";
  auto listAttr = [&](StringRef name, int64_t n,
                      int64_t fallback) -> SmallVector<int64_t> {
    auto given = intsAttr(node, name);
    return given ? *given : SmallVector<int64_t>(n, fallback);
  };
  SmallVector<int64_t> inAxes = listAttr("scan_input_axes", scanInputs, 0);
  SmallVector<int64_t> inReverse =
      listAttr(batched ? "directions" : "scan_input_directions", scanInputs, 0);
  SmallVector<int64_t> outAxes = listAttr("scan_output_axes", scanOutputs, 0);
  SmallVector<int64_t> outReverse =
      listAttr("scan_output_directions", scanOutputs, 0);
  if (int64_t(inAxes.size()) != scanInputs ||
      int64_t(inReverse.size()) != scanInputs ||
      int64_t(outAxes.size()) != scanOutputs ||
      int64_t(outReverse.size()) != scanOutputs)
    return error(node) << "the scan axes and directions need one entry per "
                          "scan input and output";

  SmallVector<Value> operands;
  for (int i = first; i < node.input_size(); ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  int64_t batch = 1;
  if (batched) {
    batch = cast<RankedTensorType>(operands[0].getType()).getDimSize(0);
    for (Value v : operands)
      if (cast<RankedTensorType>(v.getType()).getDimSize(0) != batch)
        return error(node) << "every input needs the batch size " << batch;
  }
  // |v| at index |at| of |axis|, that axis dropped.
  auto pick = [&](Value v, int64_t axis, int64_t at) -> FailureOr<Value> {
    auto shape = cast<RankedTensorType>(v.getType()).getShape();
    SmallVector<int64_t> offs(shape.size(), 0), size(shape),
        step(shape.size(), 1);
    offs[axis] = at;
    size[axis] = 1;
    auto y = build<SliceOp>(node, v, b.getDenseI64ArrayAttr(offs),
                            b.getDenseI64ArrayAttr(size),
                            b.getDenseI64ArrayAttr(step));
    if (failed(y))
      return failure();
    SmallVector<int64_t> dropped(shape);
    dropped.erase(dropped.begin() + axis);
    return buildReshape(*y, dropped);
  };

  std::vector<SmallVector<Value>> finalStates(states);
  std::vector<SmallVector<Value>> stackedOutputs(scanOutputs);
  for (int64_t n = 0; n < batch; ++n) {
    SmallVector<Value> inputs;
    for (Value v : operands) {
      auto sliced = batched ? pick(v, 0, n) : FailureOr<Value>(v);
      if (failed(sliced))
        return failure();
      inputs.push_back(*sliced);
    }
    // The scanned length, shared by every scan input.
    int64_t length = -1;
    SmallVector<int64_t> axes;
    for (int64_t j = 0; j < scanInputs; ++j) {
      auto type = cast<RankedTensorType>(inputs[states + j].getType());
      auto axis = resolveAxis(node, inAxes[j], type.getRank());
      if (failed(axis))
        return failure();
      axes.push_back(*axis);
      int64_t dim = type.getDimSize(*axis);
      if (length >= 0 && dim != length)
        return error(node) << "scan input " << j << " has length " << dim
                           << " where the others have " << length;
      length = dim;
    }
    if (length == 0 && scanOutputs > 0)
      return error(node) << "the scanned length is 0, so the scan outputs "
                            "have no known shape";
    if (length > kMaxUnrolledIterations)
      return error(node) << "the scan runs " << length
                         << " iterations; Lathe unrolls loops up to "
                         << kMaxUnrolledIterations;
    SmallVector<Binding> state;
    for (int64_t s = 0; s < states; ++s)
      state.push_back({inputs[s], std::nullopt, std::nullopt});
    std::vector<SmallVector<Value>> perStep(scanOutputs);
    for (int64_t t = 0; t < length; ++t) {
      SmallVector<Binding> bound(state);
      for (int64_t j = 0; j < scanInputs; ++j) {
        int64_t at = inReverse[j] ? length - 1 - t : t;
        auto element = pick(inputs[states + j], axes[j], at);
        if (failed(element))
          return failure();
        bound.push_back({*element, std::nullopt, std::nullopt});
      }
      auto outputs = importBody(node, body, bound);
      if (failed(outputs))
        return failure();
      state.assign(outputs->begin(), outputs->begin() + states);
      for (int64_t k = 0; k < scanOutputs; ++k) {
        auto v = bindingValue(node, (*outputs)[states + k]);
        if (failed(v))
          return failure();
        perStep[k].push_back(*v);
      }
    }
    for (int64_t s = 0; s < states; ++s) {
      auto v = bindingValue(node, state[s]);
      if (failed(v))
        return failure();
      finalStates[s].push_back(*v);
    }
    for (int64_t k = 0; k < scanOutputs; ++k) {
      SmallVector<Value> &steps = perStep[k];
      if (outReverse[k])
        std::reverse(steps.begin(), steps.end());
      int64_t rank =
          cast<RankedTensorType>(steps.front().getType()).getRank() + 1;
      auto axis = resolveAxis(node, outAxes[k], rank);
      if (failed(axis))
        return failure();
      auto y = stackAlong(node, steps, *axis);
      if (failed(y))
        return failure();
      stackedOutputs[k].push_back(*y);
    }
  }
  // Opset 8 stacks the batch back along axis 0.
  auto gather = [&](SmallVector<Value> &perBatch) -> FailureOr<Value> {
    if (!batched)
      return perBatch.front();
    return stackAlong(node, perBatch, 0);
  };
  for (int64_t s = 0; s < states; ++s) {
    auto y = gather(finalStates[s]);
    if (failed(y))
      return failure();
    setOutput(node, s, *y);
  }
  for (int64_t k = 0; k < scanOutputs; ++k) {
    auto y = gather(stackedOutputs[k]);
    if (failed(y))
      return failure();
    setOutput(node, states + k, *y);
  }
  return success();
}

} // namespace lathe::onnx_import
