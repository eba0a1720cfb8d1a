// Handlers of the ai.onnx.preview.training domain: the optimizer updates
// Adagrad, Momentum (and Nesterov momentum) and Adam, each one step over any
// number of tensors, as element-wise lathe ops; and Gradient, a
// lathe.gradient op that lathe-expand-gradients differentiates.
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

/// Gradient: d sum(y) / d x for each tensor named in xs, through the nodes
/// that compute y, holding the tensors named in zs constant. The node's
/// inputs must be those tensors (xs, then zs): the graph is differentiated
/// at its own values, not re-evaluated at others.
LogicalResult Importer::gradient(const NodeProto &node) {
  const auto *xsAttr = findAttr(node, "xs");
  const auto *yAttr = findAttr(node, "y");
  if (!xsAttr || xsAttr->strings_size() == 0 || !yAttr)
    return error(node) << "needs the attributes xs (one name or more) and y";
  std::vector<std::string> names(xsAttr->strings().begin(),
                                 xsAttr->strings().end());
  size_t xCount = names.size();
  if (const auto *zs = findAttr(node, "zs"))
    names.insert(names.end(), zs->strings().begin(), zs->strings().end());
  if (node.input_size() != int(names.size()))
    return error(node) << "expected " << names.size()
                       << " inputs (the tensors of xs, then of zs), got "
                       << node.input_size();
  if (node.output_size() != int(xCount))
    return error(node) << "expected " << xCount
                       << " outputs (one gradient per tensor of xs), got "
                       << node.output_size();
  SmallVector<Value> xs, held;
  for (size_t i = 0; i < names.size(); ++i) {
    bool isX = i < xCount;
    if (node.input(int(i)) != names[i])
      return error(node) << "input " << i << " is '" << node.input(int(i))
                         << "', not the tensor it evaluates, "
                         << (isX ? "xs[" : "zs[") << (isX ? i : i - xCount)
                         << "] = '" << names[i]
                         << "': differentiating at other values than the "
                            "graph's is not supported";
    auto v = input(node, int(i));
    if (failed(v))
      return failure();
    if (!isa<FloatType>(cast<RankedTensorType>(v->getType()).getElementType()))
      return error(node) << "'" << names[i] << "' must be a float tensor, got "
                         << v->getType();
    (isX ? xs : held).push_back(*v);
  }
  auto y = valueNamed(node, yAttr->s());
  if (failed(y))
    return failure();
  if (!isa<FloatType>(cast<RankedTensorType>(y->getType()).getElementType()))
    return error(node) << "y '" << yAttr->s()
                       << "' must be a float tensor, got " << y->getType();
  auto op = buildOp<GradientOp>(xCount, *y, xs, held);
  if (failed(op))
    return failure();
  for (size_t i = 0; i < xCount; ++i)
    setOutput(node, int(i), (*op)->getResult(i));
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
      {"Gradient", {&I::gradient, {"xs", "y", "zs"}}},
  };
  return table;
}

} // namespace lathe::onnx_import
