// Result-type inference and verifiers of the lathe dialect's math family:
// element-wise, comparison, contraction and reduction ops.
#include "dialects/lathe/InferUtils.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace lathe;
using namespace lathe::infer;

LogicalResult lathe::inferReduceType(std::optional<Location> loc, StringRef op,
                                     Value input, ArrayRef<int64_t> axes,
                                     bool keepdims,
                                     SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(input);
  int64_t previous = -1;
  for (int64_t a : axes) {
    if (a <= previous || a >= x.getRank())
      return fail(loc, op + " expected sorted, distinct axes in [0, " +
                           Twine(x.getRank()) + "), got " + Twine(a));
    previous = a;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < x.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(x.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

#define LATHE_REDUCE_INFER(OP, NAME)                                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> l, \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &results) {         \
    return inferReduceType(l, NAME, adaptor.getInput(), adaptor.getAxes(),     \
                           adaptor.getKeepdims(), results);                    \
  }
LATHE_REDUCE_INFER(ReduceSumOp, "lathe.reduce_sum")
LATHE_REDUCE_INFER(ReduceMeanOp, "lathe.reduce_mean")
LATHE_REDUCE_INFER(ReduceMaxOp, "lathe.reduce_max")
LATHE_REDUCE_INFER(ReduceMinOp, "lathe.reduce_min")
LATHE_REDUCE_INFER(ReduceProdOp, "lathe.reduce_prod")
LATHE_REDUCE_INFER(ReduceL1Op, "lathe.reduce_l1")
LATHE_REDUCE_INFER(ReduceL2Op, "lathe.reduce_l2")
LATHE_REDUCE_INFER(ReduceSumSquareOp, "lathe.reduce_sum_square")
LATHE_REDUCE_INFER(ReduceLogSumOp, "lathe.reduce_log_sum")
LATHE_REDUCE_INFER(ReduceLogSumExpOp, "lathe.reduce_log_sum_exp")
#undef LATHE_REDUCE_INFER

static LogicalResult inferArgReduce(std::optional<Location> loc, StringRef op,
                                    Value input, int64_t axis, bool keepdims,
                                    SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(input);
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, op + " expected axis in [0, " + Twine(x.getRank()) +
                         "), got " + Twine(axis));
  SmallVector<int64_t> shape(x.getShape());
  if (keepdims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  results.push_back(
      RankedTensorType::get(shape, IntegerType::get(input.getContext(), 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return inferArgReduce(loc, "lathe.argmax", adaptor.getInput(),
                        adaptor.getAxis(), adaptor.getKeepdims(), results);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  return inferArgReduce(loc, "lathe.argmin", adaptor.getInput(),
                        adaptor.getAxis(), adaptor.getKeepdims(), results);
}

static LogicalResult inferBroadcast(std::optional<Location> loc, StringRef op,
                                    Value lhs, Value rhs, Type elt,
                                    SmallVectorImpl<Type> &results) {
  SmallVector<Type> same;
  if (failed(inferBinary(loc, op, lhs, rhs, same)))
    return failure();
  results.push_back(
      RankedTensorType::get(cast<RankedTensorType>(same[0]).getShape(), elt));
  return success();
}

#define LATHE_PREDICATE_INFER(OP, NAME)                                        \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> l, Adaptor adaptor,            \
      SmallVectorImpl<Type> &results) {                                        \
    return inferBroadcast(l, NAME, adaptor.getLhs(), adaptor.getRhs(),         \
                          IntegerType::get(ctx, 1), results);                  \
  }
LATHE_PREDICATE_INFER(EqualOp, "lathe.equal")
LATHE_PREDICATE_INFER(GreaterOp, "lathe.greater")
LATHE_PREDICATE_INFER(GreaterEqualOp, "lathe.greater_equal")
LATHE_PREDICATE_INFER(LessOp, "lathe.less")
LATHE_PREDICATE_INFER(LessEqualOp, "lathe.less_equal")
LATHE_PREDICATE_INFER(AndOp, "lathe.and")
LATHE_PREDICATE_INFER(OrOp, "lathe.or")
LATHE_PREDICATE_INFER(XorOp, "lathe.xor")
#undef LATHE_PREDICATE_INFER

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  RankedTensorType c = rankedType(adaptor.getCondition());
  SmallVector<Type> values;
  if (failed(inferBinary(loc, "lathe.where", adaptor.getLhs(), adaptor.getRhs(),
                         values)))
    return failure();
  auto valueType = cast<RankedTensorType>(values[0]);
  auto shape = broadcastShapes(c.getShape(), valueType.getShape());
  if (failed(shape))
    return fail(loc, "lathe.where expected a condition that broadcasts with "
                     "the values");
  results.push_back(RankedTensorType::get(*shape, valueType.getElementType()));
  return success();
}

#define LATHE_BINARY_INFER(OP, NAME)                                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> l, \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &results) {         \
    return inferBinary(l, NAME, adaptor.getLhs(), adaptor.getRhs(), results);  \
  }
LATHE_BINARY_INFER(AddOp, "lathe.add")
LATHE_BINARY_INFER(SubOp, "lathe.sub")
LATHE_BINARY_INFER(MulOp, "lathe.mul")
LATHE_BINARY_INFER(DivOp, "lathe.div")
LATHE_BINARY_INFER(PowOp, "lathe.pow")
LATHE_BINARY_INFER(MaxOp, "lathe.max")
LATHE_BINARY_INFER(MinOp, "lathe.min")
LATHE_BINARY_INFER(PReluOp, "lathe.prelu")
LATHE_BINARY_INFER(ModOp, "lathe.mod")
LATHE_BINARY_INFER(ShiftLeftOp, "lathe.shift_left")
LATHE_BINARY_INFER(ShiftRightOp, "lathe.shift_right")
#undef LATHE_BINARY_INFER

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  RankedTensorType a = rankedType(adaptor.getA()),
                   b = rankedType(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return fail(loc, "lathe.gemm expected rank-2 A and B, got ranks " +
                         Twine(a.getRank()) + " and " + Twine(b.getRank()));
  bool ta = adaptor.getTransA(), tb = adaptor.getTransB();
  int64_t m = a.getDimSize(ta ? 1 : 0), ka = a.getDimSize(ta ? 0 : 1);
  int64_t kb = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (ka != kb)
    return fail(loc, "lathe.gemm expected matching inner dimensions, got " +
                         Twine(ka) + " and " + Twine(kb));
  if (Value c = adaptor.getC()) {
    auto shape = broadcastShapes({m, n}, rankedType(c).getShape());
    if (failed(shape) || (*shape)[0] != m || (*shape)[1] != n)
      return fail(loc, "lathe.gemm expected C to broadcast to " + Twine(m) +
                           "x" + Twine(n));
  }
  results.push_back(RankedTensorType::get({m, n}, a.getElementType()));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RankedTensorType a = rankedType(adaptor.getLhs()),
                   b = rankedType(adaptor.getRhs());
  if (a.getRank() == 0 || b.getRank() == 0)
    return fail(loc, "lathe.matmul expected operands of rank >= 1");
  if (a.getElementType() != b.getElementType())
    return fail(loc, "lathe.matmul expected operands of one element type");
  SmallVector<int64_t> sa(a.getShape()), sb(b.getShape());
  bool vecA = sa.size() == 1, vecB = sb.size() == 1;
  if (vecA)
    sa.insert(sa.begin(), 1);
  if (vecB)
    sb.push_back(1);
  int64_t k1 = sa.back(), k2 = sb[sb.size() - 2];
  if (k1 != k2)
    return fail(loc, "lathe.matmul expected matching inner dimensions, got " +
                         Twine(k1) + " and " + Twine(k2));
  auto batch = broadcastShapes(ArrayRef<int64_t>(sa).drop_back(2),
                               ArrayRef<int64_t>(sb).drop_back(2));
  if (failed(batch))
    return fail(loc, "lathe.matmul expected broadcastable batch dimensions");
  SmallVector<int64_t> shape = *batch;
  if (!vecA)
    shape.push_back(sa[sa.size() - 2]);
  if (!vecB)
    shape.push_back(sb.back());
  results.push_back(RankedTensorType::get(shape, a.getElementType()));
  return success();
}

/// Result type of an N-D convolution (|spatial| dims) named |op|.

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RankedTensorType idx = rankedType(adaptor.getIndices());
  RankedTensorType values = rankedType(adaptor.getValues());
  int64_t axis = adaptor.getAxis(), depth = adaptor.getDepth();
  if (values.getNumElements() != 2 || values.getRank() != 1)
    return fail(loc, "lathe.one_hot expected values [off, on] of 2 elements");
  if (depth <= 0)
    return fail(loc,
                "lathe.one_hot expected a positive depth, got " + Twine(depth));
  if (axis < 0 || axis > idx.getRank())
    return fail(loc, "lathe.one_hot expected axis in [0, " +
                         Twine(idx.getRank()) + "], got " + Twine(axis));
  SmallVector<int64_t> shape(idx.getShape());
  shape.insert(shape.begin() + axis, depth);
  results.push_back(RankedTensorType::get(shape, values.getElementType()));
  return success();
}

LogicalResult CumSumOp::verify() {
  int64_t rank = getInput().getType().getRank();
  auto axis = int64_t(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("expected axis in [0, ") << rank << "), got " << axis;
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  RankedTensorType x = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis(), k = adaptor.getK();
  if (axis < 0 || axis >= x.getRank())
    return fail(loc, "lathe.top_k expected axis in [0, " + Twine(x.getRank()) +
                         "), got " + Twine(axis));
  if (k < 1 || k > x.getDimSize(axis))
    return fail(loc, "lathe.top_k expected k in [1, " +
                         Twine(x.getDimSize(axis)) + "], got " + Twine(k));
  SmallVector<int64_t> shape(x.getShape());
  shape[axis] = k;
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  results.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

FailureOr<EinsumTerms> lathe::parseEinsum(StringRef equation) {
  auto [lhs, rhs] = equation.split("->");
  if (lhs.size() == equation.size())
    return failure();
  EinsumTerms terms;
  SmallVector<StringRef> parts;
  lhs.split(parts, ',');
  auto letters = [](StringRef s) -> std::optional<std::string> {
    std::string out;
    for (char c : s) {
      if (c == ' ')
        continue;
      if (!std::isalpha(static_cast<unsigned char>(c)))
        return std::nullopt;
      out.push_back(c);
    }
    return out;
  };
  for (StringRef p : parts) {
    auto l = letters(p);
    if (!l)
      return failure();
    terms.inputs.push_back(*l);
  }
  auto out = letters(rhs);
  if (!out)
    return failure();
  terms.output = *out;
  return terms;
}

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto terms = parseEinsum(adaptor.getEquation());
  ValueRange inputs = adaptor.getInputs();
  if (failed(terms) || terms->inputs.size() != inputs.size() || inputs.empty())
    return fail(loc, "lathe.einsum expected an explicit equation with one "
                     "term per input, got '" +
                         adaptor.getEquation() + "'");
  std::map<char, int64_t> sizes;
  Type elt = rankedType(inputs[0]).getElementType();
  for (auto [term, v] : llvm::zip(terms->inputs, inputs)) {
    RankedTensorType t = rankedType(v);
    if (int64_t(term.size()) != t.getRank() || t.getElementType() != elt)
      return fail(loc, "lathe.einsum expected term '" + term +
                           "' to name every dimension of an input of the "
                           "first input's type");
    for (auto [c, d] : llvm::zip(term, t.getShape())) {
      auto [it, fresh] = sizes.insert({c, d});
      if (!fresh && it->second != d)
        return fail(loc, "lathe.einsum letter '" + Twine(c) + "' has sizes " +
                             Twine(it->second) + " and " + Twine(d));
    }
  }
  SmallVector<int64_t> shape;
  for (char c : terms->output) {
    auto it = sizes.find(c);
    if (it == sizes.end() || llvm::count(terms->output, c) != 1)
      return fail(loc, "lathe.einsum result letter '" + Twine(c) +
                           "' must appear once and in an input");
    shape.push_back(it->second);
  }
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}
