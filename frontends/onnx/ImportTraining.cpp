// Handlers of the ai.onnx.preview.training domain: the optimizer updates
// Adagrad, Momentum (and Nesterov momentum) and Adam, each one step over any
// number of tensors, as element-wise lathe ops.
#include "frontends/onnx/Importer.h"

namespace lathe::onnx_import {

FailureOr<Importer::UpdateOperands>
Importer::updateOperands(const NodeProto &node, int groups) {
  int tensors = node.input_size() - 2;
  if (tensors < groups || tensors % groups != 0)
    return error(node) << "expected R, T and " << groups
                       << " runs of equally many tensors, got "
                       << node.input_size() << " inputs";
  int n = tensors / groups;
  if (node.output_size() != (groups - 1) * n)
    return error(node) << "expected " << (groups - 1) * n
                       << " outputs (the updated X and state), got "
                       << node.output_size();
  UpdateOperands ops;
  // One value each; R a float, T an int64.
  auto scalarInput = [&](int i, StringRef what, bool isFloat) -> Value {
    auto v = input(node, i);
    if (failed(v))
      return {};
    auto type = cast<RankedTensorType>(v->getType());
    bool typeOk = isFloat ? isa<FloatType>(type.getElementType())
                          : type.getElementType().isInteger(64);
    if (!typeOk || type.getNumElements() != 1) {
      error(node) << what << " must hold one " << (isFloat ? "float" : "int64")
                  << " value, got " << type;
      return {};
    }
    auto scalar = buildReshape(*v, {});
    return failed(scalar) ? Value() : *scalar;
  };
  ops.rate = scalarInput(0, "R (the learning rate)", true);
  if (!ops.rate)
    return failure();
  ops.count = scalarInput(1, "T (the update count)", false);
  if (!ops.count)
    return failure();
  ops.runs.resize(groups);
  for (int k = 0; k < groups; ++k) {
    for (int i = 0; i < n; ++i) {
      int index = 2 + k * n + i;
      auto v = input(node, index);
      if (failed(v))
        return failure();
      auto type = cast<RankedTensorType>(v->getType());
      if (k == 0 && !isa<Float32Type, Float64Type>(type.getElementType()))
        return error(node) << "input " << index
                           << " must be a float32 or float64 tensor, got "
                           << type;
      if (k > 0 && type != ops.runs[0][i].getType())
        return error(node) << "input " << index << " must have the type of X"
                           << i + 1 << " (input " << 2 + i << "), "
                           << ops.runs[0][i].getType() << ", got " << type;
      ops.runs[k].push_back(*v);
    }
  }
  return ops;
}

LogicalResult Importer::adagrad(const NodeProto &node) {
  auto ops = updateOperands(node, 3); // X, G, H
  if (failed(ops))
    return failure();
  double decay = floatAttr(node, "decay_factor", 0.0f);
  double epsilon = floatAttr(node, "epsilon", 1e-6f);
  double norm = floatAttr(node, "norm_coefficient", 0.0f);
  TensorBuilder tb{b, loc};
  // r = R / (1 + T * decay_factor)
  Value rate =
      tb.div(ops->rate,
             tb.add(tb.scalarLike(1.0, ops->rate),
                    tb.scale(tb.cast(ops->count, tb.elt(ops->rate)), decay)));
  size_t n = ops->runs[0].size();
  for (size_t i = 0; i < n; ++i) {
    Value x = ops->runs[0][i], g = ops->runs[1][i], h = ops->runs[2][i];
    Value gReg = tb.add(tb.scale(x, norm), g);
    Value hNew = tb.add(h, tb.square(gReg));
    Value denom = tb.add(tb.sqrt(hNew), tb.scalarLike(epsilon, x));
    Value step = tb.div(tb.mul(tb.cast(rate, tb.elt(x)), gReg), denom);
    setOutput(node, i, tb.sub(x, step));
    setOutput(node, n + i, hNew);
  }
  return success();
}

LogicalResult Importer::momentum(const NodeProto &node) {
  for (StringRef required : {"alpha", "beta", "mode", "norm_coefficient"})
    if (!findAttr(node, required))
      return error(node) << "missing required attribute '" << required << "'";
  std::string mode = stringAttr(node, "mode", "");
  if (mode != "standard" && mode != "nesterov")
    return error(node) << "mode must be 'standard' or 'nesterov', got '" << mode
                       << "'";
  auto ops = updateOperands(node, 3); // X, G, V
  if (failed(ops))
    return failure();
  double alpha = floatAttr(node, "alpha", 0.0f);
  double beta = floatAttr(node, "beta", 0.0f);
  double norm = floatAttr(node, "norm_coefficient", 0.0f);
  TensorBuilder tb{b, loc};
  // The gradient's coefficient is 1 at the first update (T = 0).
  Value started = tb.greater(ops->count, tb.scalarLike(0.0, ops->count));
  size_t n = ops->runs[0].size();
  for (size_t i = 0; i < n; ++i) {
    Value x = ops->runs[0][i], g = ops->runs[1][i], v = ops->runs[2][i];
    Value betaNow =
        tb.where(started, tb.scalarLike(beta, x), tb.scalarLike(1.0, x));
    Value gReg = tb.add(tb.scale(x, norm), g);
    Value vNew = tb.add(tb.scale(v, alpha), tb.mul(betaNow, gReg));
    Value direction =
        mode == "nesterov" ? tb.add(gReg, tb.scale(vNew, alpha)) : vNew;
    Value rate = tb.cast(ops->rate, tb.elt(x));
    setOutput(node, i, tb.sub(x, tb.mul(rate, direction)));
    setOutput(node, n + i, vNew);
  }
  return success();
}

LogicalResult Importer::adam(const NodeProto &node) {
  auto ops = updateOperands(node, 4); // X, G, V, H
  if (failed(ops))
    return failure();
  double alpha = floatAttr(node, "alpha", 0.9f);
  double beta = floatAttr(node, "beta", 0.999f);
  double epsilon = floatAttr(node, "epsilon", 1e-6f);
  double norm = floatAttr(node, "norm_coefficient", 0.0f);
  double normPost = floatAttr(node, "norm_coefficient_post", 0.0f);
  TensorBuilder tb{b, loc};
  // With T > 0 the rate corrects both moments' bias:
  // R * sqrt(1 - beta^T) / (1 - alpha^T); at T = 0 it is R.
  Value rate = ops->rate;
  Value t = tb.cast(ops->count, tb.elt(rate));
  auto oneMinusPower = [&](double base) {
    return tb.sub(tb.scalarLike(1.0, rate),
                  PowOp::create(b, loc, tb.scalarLike(base, rate), t));
  };
  Value corrected =
      tb.div(tb.mul(rate, tb.sqrt(oneMinusPower(beta))), oneMinusPower(alpha));
  Value started = tb.greater(ops->count, tb.scalarLike(0.0, ops->count));
  Value adjusted = tb.where(started, corrected, rate);
  size_t n = ops->runs[0].size();
  for (size_t i = 0; i < n; ++i) {
    Value x = ops->runs[0][i], g = ops->runs[1][i], v = ops->runs[2][i],
          h = ops->runs[3][i];
    Value gReg = tb.add(tb.scale(x, norm), g);
    Value vNew = tb.add(tb.scale(v, alpha), tb.scale(gReg, 1.0 - alpha));
    Value hNew =
        tb.add(tb.scale(h, beta), tb.scale(tb.square(gReg), 1.0 - beta));
    Value denom = tb.add(tb.sqrt(hNew), tb.scalarLike(epsilon, x));
    Value xNew =
        tb.sub(x, tb.mul(tb.cast(adjusted, tb.elt(x)), tb.div(vNew, denom)));
    setOutput(node, i, tb.scale(xNew, 1.0 - normPost));
    setOutput(node, n + i, vNew);
    setOutput(node, 2 * n + i, hNew);
  }
  return success();
}

const std::map<std::string, OpInfo> &trainingOpTable() {
  using I = Importer;
  static const std::map<std::string, OpInfo> table = {
      {"Adagrad",
       {&I::adagrad, {"decay_factor", "epsilon", "norm_coefficient"}}},
      {"Momentum",
       {&I::momentum, {"alpha", "beta", "mode", "norm_coefficient"}}},
      {"Adam",
       {&I::adam,
        {"alpha", "beta", "epsilon", "norm_coefficient",
         "norm_coefficient_post"}}},
  };
  return table;
}

} // namespace lathe::onnx_import
