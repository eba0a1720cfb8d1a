// ONNX import of the rnn family: RNN, GRU and LSTM layers.
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
  Value xs = *x, h0 = *initialH, c0 = *initialC;
  auto permute = [&](Value v, ArrayRef<int64_t> perm) -> FailureOr<Value> {
    return build<TransposeOp>(node, v, b.getDenseI64ArrayAttr(perm));
  };
  if (layout == 1) {
    // Batch-major (batch_first): N x T x I in, N x D x H states.
    auto t = permute(xs, {1, 0, 2});
    if (failed(t))
      return failure();
    xs = *t;
    for (Value *s : {&h0, &c0}) {
      if (!*s)
        continue;
      auto ts = permute(*s, {1, 0, 2});
      if (failed(ts))
        return failure();
      *s = *ts;
    }
  } else if (layout != 0) {
    return error(node) << "layout " << layout << " is not 0 or 1";
  }
  auto xType = cast<RankedTensorType>(xs.getType());
  if (xType.getRank() != 3)
    return error(node) << "expected a rank-3 input, got rank "
                       << xType.getRank();
  int64_t t = xType.getDimSize(0), n = xType.getDimSize(1);
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
  int64_t hidden = intAttr(node, "hidden_size", 0);
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
  FloatAttr clip;
  if (const auto *c = findAttr(node, "clip"))
    clip = b.getF32FloatAttr(c->f());
  Type elt = xType.getElementType();
  auto yType = RankedTensorType::get({t, d, n, hidden}, elt);
  auto stateType = RankedTensorType::get({d, n, hidden}, elt);
  auto hiddenAttr = b.getI64IntegerAttr(hidden);
  auto dirAttr = DirectionAttr::get(&ctx, *direction);
  Operation *made;
  if (op == "LSTM")
    made = LstmOp::create(b, loc, TypeRange{yType, stateType, stateType}, xs,
                          *w, *r, *bias, h0, c0, *peepholes, lengths,
                          hiddenAttr, dirAttr, clip);
  else if (op == "GRU")
    made = GruOp::create(
        b, loc, TypeRange{yType, stateType}, xs, *w, *r, *bias, h0, lengths,
        hiddenAttr, dirAttr,
        intAttr(node, "linear_before_reset", 0) ? b.getUnitAttr() : UnitAttr(),
        clip);
  else
    made = RnnOp::create(b, loc, TypeRange{yType, stateType}, xs, *w, *r, *bias,
                         h0, lengths, hiddenAttr, dirAttr,
                         NonlinearityAttr::get(&ctx, nonlinearity), clip);
  if (failed(finish(made)))
    return failure();
  for (int i = 0; i < node.output_size() && i < int(made->getNumResults());
       ++i) {
    if (node.output(i).empty())
      continue;
    Value v = made->getResult(i);
    if (layout == 1) {
      auto p = i == 0 ? permute(v, {2, 0, 1, 3}) : permute(v, {1, 0, 2});
      if (failed(p))
        return failure();
      v = *p;
    }
    setOutput(node, i, v);
  }
  return success();
}

} // namespace lathe::onnx_import
