// ONNX import of the rnn family: RNN, GRU and LSTM layers.
#include "frontends/Layers.h"
#include "frontends/onnx/Importer.h"

#include <cctype>

namespace lathe::onnx_import {

LogicalResult Importer::recurrent(const NodeProto &node) {
  const std::string &op = node.op_type();
  auto x = input(node, 0), w = input(node, 1), r = input(node, 2);
  auto bias = optionalInput(node, 3);
  auto initialH = optionalInput(node, 5);
  FailureOr<Value> initialC = Value(), peepholes = Value();
  if (op == "LSTM") {
    initialC = optionalInput(node, 6);
    peepholes = optionalInput(node, 7);
  }
  if (failed(x) || failed(w) || failed(r) || failed(bias) || failed(initialH) ||
      failed(initialC) || failed(peepholes))
    return failure();
  int64_t layout = intAttr(node, "layout", 0);
  if (layout != 0 && layout != 1)
    return error(node) << "layout " << layout << " is not 0 or 1";
  auto xType = cast<RankedTensorType>(x->getType());
  if (xType.getRank() != 3)
    return error(node) << "expected a rank-3 input, got rank "
                       << xType.getRank();
  // The number of steps: dimension 0, or 1 batch-first.
  int64_t t = xType.getDimSize(layout);
  // sequence_lens: dropped when known to be the full length everywhere.
  Value lengths;
  if (hasInput(node, 4)) {
    bool full = false;
    if (isConstant(node.input(4))) {
      const TensorValue *lens = constantInput(node, 4, "sequence_lens");
      full = true;
      for (int64_t i = 0; i < lens->numElements(); ++i)
        full &= lens->intAt(i) == t;
    }
    if (!full) {
      auto lens = input(node, 4);
      if (failed(lens))
        return failure();
      lengths = *lens;
    }
  }
  std::string dirName = stringAttr(node, "direction", "forward");
  std::optional<Direction> direction = symbolizeDirection(dirName);
  if (!direction)
    return error(node) << "direction '" << dirName
                       << "' is not forward, reverse or bidirectional";
  int64_t d = *direction == Direction::bidirectional ? 2 : 1;
  for (auto [name, value] : {std::pair{"W", *w}, std::pair{"R", *r}})
    if (int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
        rank != 3)
      return error(node) << "expected a rank-3 " << name << ", got rank "
                         << rank;
  int64_t hidden = intAttr(node, "hidden_size", 0);
  if (findAttr(node, "hidden_size") && hidden <= 0)
    return error(node) << "hidden_size must be positive, got " << hidden;
  if (hidden <= 0) {
    // hidden_size is optional in ONNX: R is D x gH x H.
    hidden = cast<RankedTensorType>(r->getType()).getShape().back();
  }
  // Activations: the defaults (and Relu for an Elman RNN) are supported.
  std::vector<std::string> acts;
  if (const auto *a = findAttr(node, "activations"))
    acts.assign(a->strings().begin(), a->strings().end());
  std::vector<std::string> expected =
      op == "LSTM"  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
      : op == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                    : std::vector<std::string>{"Tanh"};
  Nonlinearity nonlinearity = Nonlinearity::tanh;
  if (!acts.empty()) {
    auto lower = [](std::string s) {
      for (char &c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    if (op == "RNN" && lower(acts[0]) == "relu")
      nonlinearity = Nonlinearity::relu;
    for (size_t i = 0; i < acts.size(); ++i) {
      std::string want = lower(expected[i % expected.size()]);
      bool ok = lower(acts[i]) == want ||
                (op == "RNN" && lower(acts[i]) == lower(acts[0]) &&
                 nonlinearity == Nonlinearity::relu);
      if (!ok || acts.size() != expected.size() * size_t(d))
        return error(node) << "activations other than the defaults (or Relu "
                              "for RNN) are not supported";
    }
  }
  if (findAttr(node, "activation_alpha") || findAttr(node, "activation_beta"))
    return error(node) << "activation_alpha / activation_beta are not "
                          "supported (the default activations take none)";
  if (intAttr(node, "input_forget", 0) != 0)
    return error(node) << "input_forget=1 (coupled input and forget gates) "
                          "is not supported";
  layers::RecurrentOptions o;
  o.hiddenSize = hidden;
  o.bidirectional = *direction == Direction::bidirectional;
  o.reverse = *direction == Direction::reverse;
  o.batchFirst = layout == 1;
  o.relu = nonlinearity == Nonlinearity::relu;
  o.linearBeforeReset = intAttr(node, "linear_before_reset", 0) != 0;
  if (const auto *c = findAttr(node, "clip"))
    o.clip = c->f();
  layers::Recurrence kind = op == "LSTM"  ? layers::Recurrence::Lstm
                            : op == "GRU" ? layers::Recurrence::Gru
                                          : layers::Recurrence::Rnn;
  auto made = layers::recurrent(b, loc, kind, *x, *w, *r, *bias, *initialH,
                                *initialC, *peepholes, lengths, o);
  if (failed(made))
    return failure();
  Value results[] = {made->y, made->h, made->c};
  for (int i = 0; i < node.output_size() && i < 3; ++i)
    if (!node.output(i).empty() && results[i])
      setOutput(node, i, results[i]);
  return success();
}

} // namespace lathe::onnx_import
