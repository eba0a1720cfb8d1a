// TensorBuilder: lathe ops at one location.
#include "dialects/lathe/TensorBuilder.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace lathe {

FailureOr<Operation *> verifiedOrErased(Operation *op) {
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  return op;
}

FailureOr<Value> reshapeVerified(OpBuilder &b, Location loc, Value v,
                                 ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto op = verifiedOrErased(ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v));
  if (failed(op))
    return failure();
  return (*op)->getResult(0);
}

Value TensorBuilder::scalar(double value, Type t) {
  return constant({value}, {}, t);
}

Value TensorBuilder::splat(double value, ArrayRef<int64_t> s, Type t) {
  auto type = RankedTensorType::get(s, t);
  Attribute element = isa<FloatType>(t) ? Attribute(b.getFloatAttr(t, value))
                                        : b.getIntegerAttr(t, int64_t(value));
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, element));
}

Value TensorBuilder::constant(ArrayRef<double> values, ArrayRef<int64_t> s,
                              Type t) {
  auto type = RankedTensorType::get(s, t);
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(isa<FloatType>(t) ? Attribute(b.getFloatAttr(t, v))
                                      : b.getIntegerAttr(t, int64_t(v)));
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, attrs));
}

Value TensorBuilder::logicalNot(Value c) { return NotOp::create(b, loc, c); }

Value TensorBuilder::toFloat(Value c, Type t) { return cast(c, t); }

Value TensorBuilder::cast(Value x, Type t) {
  if (elt(x) == t)
    return x;
  return CastOp::create(b, loc, RankedTensorType::get(shape(x), t), x);
}

Value TensorBuilder::oneHot(Value indices, int64_t depth, int64_t axis,
                            Type t) {
  return OneHotOp::create(b, loc, indices, constant({0, 1}, {2}, t),
                          b.getI64IntegerAttr(depth),
                          b.getI64IntegerAttr(axis));
}

Value TensorBuilder::reshape(Value v, ArrayRef<int64_t> to) {
  if (shape(v) == to)
    return v;
  return ReshapeOp::create(b, loc, RankedTensorType::get(to, elt(v)), v);
}

Value TensorBuilder::transpose(Value v, ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == int64_t(i);
  if (identity)
    return v;
  return TransposeOp::create(b, loc, v, perm);
}

Value TensorBuilder::transposeLast2(Value v) {
  int64_t r = shape(v).size();
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < r; ++i)
    perm.push_back(i);
  std::swap(perm[r - 1], perm[r - 2]);
  return transpose(v, perm);
}

Value TensorBuilder::expand(Value v, ArrayRef<int64_t> to) {
  if (shape(v) == to)
    return v;
  return ExpandOp::create(b, loc, RankedTensorType::get(to, elt(v)), v);
}

Value TensorBuilder::reduceSum(Value v, ArrayRef<int64_t> axes, bool keepdims) {
  if (axes.empty())
    return v;
  return ReduceSumOp::create(b, loc, v, axes, keepdims);
}

SmallVector<int64_t> TensorBuilder::allAxes(Value v) {
  SmallVector<int64_t> axes;
  for (size_t i = 0; i < shape(v).size(); ++i)
    axes.push_back(i);
  return axes;
}

Value TensorBuilder::reduceMax(Value v, ArrayRef<int64_t> axes, bool keepdims) {
  if (axes.empty())
    return v;
  return ReduceMaxOp::create(b, loc, v, axes, keepdims);
}

Value TensorBuilder::reduceMean(Value v, ArrayRef<int64_t> axes,
                                bool keepdims) {
  if (axes.empty())
    return v;
  return ReduceMeanOp::create(b, loc, v, axes, keepdims);
}

Value TensorBuilder::slice(Value v, ArrayRef<int64_t> starts,
                           ArrayRef<int64_t> sizes, ArrayRef<int64_t> steps) {
  SmallVector<int64_t> st(steps);
  if (st.empty())
    st.assign(starts.size(), 1);
  bool whole = true;
  for (size_t i = 0; i < starts.size(); ++i)
    whole &= starts[i] == 0 && sizes[i] == shape(v)[i] && st[i] == 1;
  if (whole)
    return v;
  return SliceOp::create(b, loc, v, starts, sizes, st);
}

Value TensorBuilder::pad(Value v, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                         double value) {
  bool none = true;
  SmallVector<int64_t> pads(low);
  pads.append(high.begin(), high.end());
  for (int64_t p : pads)
    none &= p == 0;
  if (none)
    return v;
  return PadOp::create(b, loc, v, pads, llvm::APFloat(value),
                       PadMode::constant);
}

Value TensorBuilder::unslice(Value g, ArrayRef<int64_t> xs,
                             ArrayRef<int64_t> starts,
                             ArrayRef<int64_t> steps) {
  size_t rank = xs.size();
  // Along each strided dimension: s - 1 zeros after every element.
  for (size_t d = 0; d < rank; ++d) {
    int64_t s = steps[d], n = shape(g)[d];
    if (s == 1 || n == 0)
      continue;
    SmallVector<int64_t> split(shape(g));
    split.insert(split.begin() + d + 1, 1);
    SmallVector<int64_t> low(rank + 1, 0), high(rank + 1, 0);
    high[d + 1] = s - 1;
    Value spread = pad(reshape(g, split), low, high);
    SmallVector<int64_t> merged(shape(g));
    merged[d] = n * s;
    Value flat = reshape(spread, merged);
    SmallVector<int64_t> zero(rank, 0), keep(merged);
    keep[d] = (n - 1) * s + 1;
    g = slice(flat, zero, keep);
  }
  SmallVector<int64_t> low(starts), high;
  for (size_t d = 0; d < rank; ++d)
    high.push_back(xs[d] - starts[d] - shape(g)[d]);
  return pad(g, low, high);
}

Value TensorBuilder::productAlong(Value v, size_t d, Value m) {
  size_t rank = shape(v).size();
  SmallVector<int64_t> perm; // d last: [..., k] x [k, n].
  for (size_t i = 0; i < rank; ++i)
    if (i != d)
      perm.push_back(int64_t(i));
  perm.push_back(int64_t(d));
  SmallVector<int64_t> back(rank);
  for (size_t i = 0; i < rank; ++i)
    back[perm[i]] = int64_t(i);
  return transpose(matmul(transpose(v, perm), m), back);
}

Value TensorBuilder::concat(ArrayRef<Value> parts, int64_t axis) {
  if (parts.size() == 1)
    return parts[0];
  return ConcatOp::create(b, loc, parts, axis);
}

Value TensorBuilder::unbroadcast(Value g, Type target) {
  auto t = mlir::cast<RankedTensorType>(target);
  ArrayRef<int64_t> from = shape(g), to = t.getShape();
  if (from == to)
    return g;
  size_t lead = from.size() - to.size();
  SmallVector<int64_t> axes;
  for (size_t i = 0; i < from.size(); ++i)
    if (i < lead || (to[i - lead] == 1 && from[i] != 1))
      axes.push_back(i);
  return reshape(reduceSum(g, axes, /*keepdims=*/true), to);
}

Value TensorBuilder::perChannel(Value v, size_t rank) {
  SmallVector<int64_t> s(rank, 1);
  s[1] = shape(v)[0];
  return reshape(v, s);
}

TensorBuilder::BatchStatistics
TensorBuilder::batchStatistics(BatchNormOp op, bool acrossReplicas) {
  Value x = op.getInput();
  ArrayRef<int64_t> xs = shape(x);
  SmallVector<int64_t> axes = {0};
  int64_t count = xs[0];
  for (size_t i = 2; i < xs.size(); ++i) {
    axes.push_back(i);
    count *= xs[i];
  }
  // Across replicas: the replicas' mean of their means (equal batches), then
  // of their mean squared deviations from it.
  auto combine = [&](Value v) -> Value {
    return acrossReplicas ? AllReduceMeanOp::create(b, loc, v).getResult() : v;
  };
  Value mean = combine(reduceMean(x, axes, /*keepdims=*/true));
  Value centered = sub(x, mean);
  Value var = combine(reduceMean(square(centered), axes, true));
  double eps = op.getEpsilon().convertToDouble();
  Value normalized = div(centered, sqrt(add(var, scalarLike(eps, var))));
  Value y = add(mul(normalized, perChannel(op.getScale(), xs.size())),
                perChannel(op.getBias(), xs.size()));
  SmallVector<int64_t> channels = {xs[1]};
  return {y, reshape(mean, channels), reshape(var, channels), count};
}

Value TensorBuilder::keepDims(Value v, ArrayRef<int64_t> axes,
                              ArrayRef<int64_t> inputShape) {
  SmallVector<int64_t> kept(inputShape);
  for (int64_t a : axes)
    kept[a] = 1;
  return reshape(v, kept);
}

} // namespace lathe
