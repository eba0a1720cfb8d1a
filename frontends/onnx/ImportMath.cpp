// ONNX import of the math family: element-wise ops, reductions, casts.
#include "frontends/onnx/Importer.h"

#include "llvm/ADT/StringExtras.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

namespace lathe::onnx_import {

LogicalResult Importer::einsum(const NodeProto &node) {
  // The equation made explicit: "..." becomes unused letters (aligned on the
  // right across inputs), an implicit result is the ellipsis then the
  // letters used once, in alphabetical order.
  SmallVector<Value> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  std::string equation;
  for (char c : stringAttr(node, "equation", ""))
    if (c != ' ')
      equation.push_back(c);
  size_t arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  SmallVector<std::string> terms;
  for (StringRef t : llvm::split(StringRef(lhs), ','))
    terms.push_back(t.str());
  if (terms.size() != inputs.size())
    return error(node) << "equation '" << equation << "' has " << terms.size()
                       << " terms for " << inputs.size() << " inputs";
  std::string spare;
  for (char c = 'A'; c <= 'z'; ++c)
    if (std::isalpha(static_cast<unsigned char>(c)) &&
        equation.find(c) == std::string::npos)
      spare.push_back(c);
  int64_t ellipsisRank = 0;
  SmallVector<int64_t> ranks;
  for (auto [t, v] : llvm::zip(terms, inputs)) {
    int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
    size_t dots = t.find("...");
    int64_t e = dots == std::string::npos ? 0 : rank - int64_t(t.size() - 3);
    if (e < 0 || (dots == std::string::npos && int64_t(t.size()) != rank))
      return error(node) << "term '" << t << "' does not fit an input of rank "
                         << rank;
    ellipsisRank = std::max(ellipsisRank, e);
    ranks.push_back(e);
  }
  if (ellipsisRank > int64_t(spare.size()))
    return error(node) << "too many dimensions under '...'";
  std::string ellipsis = spare.substr(0, ellipsisRank);
  for (auto [t, e] : llvm::zip(terms, ranks)) {
    size_t dots = t.find("...");
    if (dots != std::string::npos)
      t.replace(dots, 3, ellipsis.substr(ellipsisRank - e));
  }
  std::string out;
  if (arrow != std::string::npos) {
    out = equation.substr(arrow + 2);
    size_t dots = out.find("...");
    if (dots != std::string::npos)
      out.replace(dots, 3, ellipsis);
  } else {
    std::string once;
    for (char c = 'A'; c <= 'z'; ++c) {
      if (!std::isalpha(static_cast<unsigned char>(c)) ||
          ellipsis.find(c) != std::string::npos)
        continue;
      int count = 0;
      for (const std::string &t : terms)
        count += llvm::count(t, c);
      if (count == 1)
        once.push_back(c);
    }
    out = ellipsis + once;
  }
  std::string canonical = llvm::join(terms, ",") + "->" + out;
  auto y = build<EinsumOp>(node, inputs, b.getStringAttr(canonical));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Whether element-wise arithmetic on compile-time values of |dtype| folds
/// at import: the float types (computed in double, which one rounding makes
/// exact for + - * / and the rounding ops) and the integers that fit int64.
static bool foldableDType(DType dtype) {
  return dtype != DType::Bool && dtype != DType::U64;
}

LogicalResult Importer::unary(const NodeProto &node) {
  const std::string &opType = node.op_type();
  // Exact element-wise ops on compile-time values stay compile-time (shape
  // arithmetic, sizes computed in float). |integer| is null for the
  // rounding ops, which take floats only (the op reports an integer).
  struct Exact {
    double (*real)(double);
    int64_t (*integer)(int64_t);
  };
  static const std::map<std::string, Exact> exact = {
      {"Neg", {[](double v) { return -v; }, [](int64_t v) { return -v; }}},
      {"Abs",
       {[](double v) { return std::fabs(v); },
        [](int64_t v) { return v < 0 ? -v : v; }}},
      {"Relu",
       {[](double v) { return v < 0 ? 0.0 : v; },
        [](int64_t v) { return v < 0 ? int64_t(0) : v; }}},
      {"Ceil", {[](double v) { return std::ceil(v); }, nullptr}},
      {"Floor", {[](double v) { return std::floor(v); }, nullptr}},
      {"Round", {[](double v) { return std::nearbyint(v); }, nullptr}},
  };
  if (auto fold = exact.find(opType);
      fold != exact.end() && hasInput(node, 0) && isConstant(node.input(0))) {
    const TensorValue &v = constants[node.input(0)];
    bool integral = !isFloatDType(v.dtype);
    if (foldableDType(v.dtype) && (!integral || fold->second.integer)) {
      TensorValue out;
      out.dtype = v.dtype;
      out.shape = v.shape;
      for (int64_t i = 0; i < v.numElements(); ++i) {
        if (integral) {
          int64_t r = fold->second.integer(v.intAt(i));
          out.append(double(r), r);
        } else {
          out.append(fold->second.real(v.floatAt(i)), 0);
        }
      }
      setConstant(node, 0, std::move(out));
      return success();
    }
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  static const std::map<std::string,
                        std::function<Value(OpBuilder &, Location, Value)>>
      builders = {
          {"Relu",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ReluOp::create(b, l, v);
           }},
          {"Sigmoid",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SigmoidOp::create(b, l, v);
           }},
          {"Tanh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return TanhOp::create(b, l, v);
           }},
          {"Exp",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ExpOp::create(b, l, v);
           }},
          {"Log",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return LogOp::create(b, l, v);
           }},
          {"Sqrt",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SqrtOp::create(b, l, v);
           }},
          {"Neg",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return NegOp::create(b, l, v);
           }},
          {"Abs",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AbsOp::create(b, l, v);
           }},
          {"Reciprocal",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ReciprocalOp::create(b, l, v);
           }},
          {"Floor",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return FloorOp::create(b, l, v);
           }},
          {"Ceil",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return CeilOp::create(b, l, v);
           }},
          {"Round",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return RoundOp::create(b, l, v);
           }},
          {"Sign",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SignOp::create(b, l, v);
           }},
          {"Erf",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ErfOp::create(b, l, v);
           }},
          {"Sin",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SinOp::create(b, l, v);
           }},
          {"Cos",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return CosOp::create(b, l, v);
           }},
          {"Tan",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return TanOp::create(b, l, v);
           }},
          {"Asin",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AsinOp::create(b, l, v);
           }},
          {"Acos",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AcosOp::create(b, l, v);
           }},
          {"Atan",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AtanOp::create(b, l, v);
           }},
          {"Sinh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SinhOp::create(b, l, v);
           }},
          {"Cosh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return CoshOp::create(b, l, v);
           }},
          {"Asinh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AsinhOp::create(b, l, v);
           }},
          {"Acosh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AcoshOp::create(b, l, v);
           }},
          {"Atanh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AtanhOp::create(b, l, v);
           }},
          {"Softplus",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SoftplusOp::create(b, l, v);
           }},
          {"Softsign",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SoftsignOp::create(b, l, v);
           }},
          {"HardSwish",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return HardSwishOp::create(b, l, v);
           }},
      };
  const std::string &op = node.op_type();
  // Integer types as ONNX allows them: Abs and Sign any, Neg and Relu
  // signed ones.
  bool unsignedOk = op == "Abs" || op == "Sign";
  bool signedOk = unsignedOk || op == "Neg" || op == "Relu";
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  bool isInteger = isa<IntegerType>(elt) && !elt.isInteger(1);
  if (!isa<FloatType>(elt) &&
      !(isInteger && (elt.isUnsignedInteger() ? unsignedOk : signedOk)))
    return error(node) << "expected a floating-point"
                       << (unsignedOk ? " or integer"
                           : signedOk ? " or signed integer"
                                      : "")
                       << " input";
  auto y = finish(builders.at(op)(b, loc, *x).getDefiningOp());
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Add, Sub, Mul or Div of compile-time values of one type (shape
/// arithmetic, and sizes computed in float as Range's expansion computes
/// them); |a| and |c| have one shape, or one of them a single value.
static TensorValue foldBinary(const std::string &opType, const TensorValue &a,
                              const TensorValue &c) {
  TensorValue out;
  out.dtype = a.dtype;
  const TensorValue &big = a.numElements() >= c.numElements() ? a : c;
  out.shape = big.shape;
  int64_t n = big.numElements();
  bool integral = !isFloatDType(a.dtype);
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia = a.numElements() == 1 ? 0 : i;
    int64_t ic = c.numElements() == 1 ? 0 : i;
    if (integral) {
      int64_t x = a.intAt(ia), y = c.intAt(ic);
      int64_t r = opType == "Add"   ? x + y
                  : opType == "Sub" ? x - y
                  : opType == "Mul" ? x * y
                                    : (y == 0 ? 0 : x / y);
      out.append(double(r), r);
    } else {
      double x = a.floatAt(ia), y = c.floatAt(ic);
      double r = opType == "Add"   ? x + y
                 : opType == "Sub" ? x - y
                 : opType == "Mul" ? x * y
                                   : x / y;
      out.append(r, 0);
    }
  }
  return out;
}

LogicalResult Importer::binary(const NodeProto &node) {
  const std::string &opType = node.op_type();
  bool foldable =
      opType == "Add" || opType == "Sub" || opType == "Mul" || opType == "Div";
  if (foldable && isConstant(node.input(0)) && isConstant(node.input(1))) {
    const TensorValue &x = constants[node.input(0)],
                      &y = constants[node.input(1)];
    // Equal shapes, or one value broadcast over the other's shape.
    auto over = [](const TensorValue &one, const TensorValue &other) {
      return one.numElements() == 1 && one.shape.size() <= other.shape.size();
    };
    bool simple = x.shape == y.shape || over(x, y) || over(y, x);
    if (foldableDType(x.dtype) && x.dtype == y.dtype && simple) {
      setConstant(node, 0, foldBinary(node.op_type(), x, y));
      return success();
    }
  }
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  rhs = legacyBroadcast(node, *lhs, *rhs);
  if (failed(rhs))
    return failure();
  const std::string &op = opType;
  if (op == "Pow")
    return power(node, *lhs, *rhs);
  FailureOr<Value> y;
  if (op == "Add")
    y = build<AddOp>(node, *lhs, *rhs);
  else if (op == "Sub")
    y = build<SubOp>(node, *lhs, *rhs);
  else if (op == "Mul")
    y = build<MulOp>(node, *lhs, *rhs);
  else if (op == "Div")
    y = build<DivOp>(node, *lhs, *rhs);
  else if (auto slope = prelu6Slope(*lhs, *rhs); succeeded(slope))
    y = build<PReluOp>(node, *lhs, *slope);
  else
    return failure();
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

FailureOr<Value> Importer::legacyBroadcast(const NodeProto &node, Value lhs,
                                           Value rhs) {
  if (opset >= 7 || !intAttr(node, "broadcast", 0))
    return rhs;
  auto a = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  int64_t axis = intAttr(node, "axis", a.getRank() - r.getRank());
  if (axis < 0)
    axis += a.getRank();
  if (axis < 0 || axis + r.getRank() > a.getRank()) {
    error(node) << "broadcast axis " << axis << " does not fit operand shapes "
                << shapeString(a.getShape()) << " and "
                << shapeString(r.getShape());
    return failure();
  }
  SmallVector<int64_t> shape(r.getShape());
  shape.append(a.getRank() - axis - r.getRank(), 1);
  return buildReshape(rhs, shape);
}

FailureOr<Value> Importer::prelu6Slope(Value x, Value slope) {
  // Before opset 7 a rank-1 slope holds one value per channel (dimension 1).
  auto xt = cast<RankedTensorType>(x.getType());
  auto st = cast<RankedTensorType>(slope.getType());
  if (opset >= 7 || st.getRank() != 1 || xt.getRank() < 3 ||
      st.getDimSize(0) != xt.getDimSize(1))
    return slope;
  SmallVector<int64_t> shape(xt.getRank() - 1, 1);
  shape[0] = st.getDimSize(0);
  return buildReshape(slope, shape);
}

LogicalResult Importer::power(const NodeProto &node, Value x, Value e) {
  // Pow(T, T1) -> T: a float exponent of an integer base is applied in
  // float, then truncated back (as NumPy's power(...).astype(T)).
  Type base = cast<RankedTensorType>(x.getType()).getElementType();
  Type exp = cast<RankedTensorType>(e.getType()).getElementType();
  Value xv = x;
  bool viaFloat = isa<IntegerType>(base) && isa<FloatType>(exp);
  auto xc = castTo(node, x, viaFloat ? exp : base);
  auto ec = castTo(node, e, viaFloat ? exp : base);
  if (failed(xc) || failed(ec))
    return failure();
  xv = *xc;
  auto y = build<PowOp>(node, xv, *ec);
  if (failed(y))
    return failure();
  if (viaFloat) {
    y = castTo(node, *y, base);
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::mod(const NodeProto &node) {
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  bool fmod = intAttr(node, "fmod", 0) != 0;
  if (!fmod &&
      isa<FloatType>(cast<RankedTensorType>(lhs->getType()).getElementType()))
    return error(node) << "fmod=0 is defined for integer inputs only";
  auto y = build<ModOp>(node, *lhs, *rhs, fmod);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::bitShift(const NodeProto &node) {
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  std::string direction = stringAttr(node, "direction", "");
  FailureOr<Value> y;
  if (direction == "LEFT")
    y = build<ShiftLeftOp>(node, *lhs, *rhs);
  else if (direction == "RIGHT")
    y = build<ShiftRightOp>(node, *lhs, *rhs);
  else
    return error(node) << "direction must be \"LEFT\" or \"RIGHT\", got \""
                       << direction << "\"";
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Index |i| of an operand with |n| elements in an element-wise op over
/// |total| elements (equal sizes, or a single broadcast element).
static int64_t foldIndex(int64_t n, int64_t i) { return n == 1 ? 0 : i; }

/// True when every value has |total| elements or one.
static bool foldable(ArrayRef<const TensorValue *> values, int64_t &total) {
  total = 1;
  for (const TensorValue *v : values)
    total = std::max(total, v->numElements());
  return llvm::all_of(values, [&](const TensorValue *v) {
    return v->numElements() == total || v->numElements() == 1;
  });
}

LogicalResult Importer::predicate(const NodeProto &node) {
  // Comparisons of int64 compile-time values (shape arithmetic) fold.
  if (node.op_type() == "Equal" && isConstant(node.input(0)) &&
      isConstant(node.input(1))) {
    const TensorValue &a = constants[node.input(0)],
                      &c = constants[node.input(1)];
    int64_t total;
    if (a.dtype == DType::I64 && c.dtype == DType::I64 &&
        foldable({&a, &c}, total)) {
      TensorValue out;
      out.dtype = DType::Bool;
      out.shape = (a.numElements() >= c.numElements() ? a : c).shape;
      for (int64_t i = 0; i < total; ++i)
        out.bytes.push_back(a.intAt(foldIndex(a.numElements(), i)) ==
                            c.intAt(foldIndex(c.numElements(), i)));
      setConstant(node, 0, std::move(out));
      return success();
    }
  }
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  const std::string &op = node.op_type();
  FailureOr<Value> y =
      op == "Equal"            ? build<EqualOp>(node, *lhs, *rhs)
      : op == "Greater"        ? build<GreaterOp>(node, *lhs, *rhs)
      : op == "GreaterOrEqual" ? build<GreaterEqualOp>(node, *lhs, *rhs)
      : op == "Less"           ? build<LessOp>(node, *lhs, *rhs)
      : op == "LessOrEqual"    ? build<LessEqualOp>(node, *lhs, *rhs)
      : op == "And"            ? build<AndOp>(node, *lhs, *rhs)
      : op == "Or"             ? build<OrOp>(node, *lhs, *rhs)
                               : build<XorOp>(node, *lhs, *rhs);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::logicalNot(const NodeProto &node) {
  // A compile-time condition (OptionalHasElement's, a folded comparison)
  // stays compile-time, so that If and Loop can branch on it.
  if (hasInput(node, 0) && isConstant(node.input(0)) &&
      constants[node.input(0)].dtype == DType::Bool) {
    const TensorValue &c = constants[node.input(0)];
    TensorValue out;
    out.dtype = DType::Bool;
    out.shape = c.shape;
    for (int64_t i = 0; i < c.numElements(); ++i)
      out.append(c.intAt(i) ? 0.0 : 1.0, c.intAt(i) ? 0 : 1);
    setConstant(node, 0, std::move(out));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = finish(NotOp::create(b, loc, x->getType(), *x));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::where(const NodeProto &node) {
  if (isConstant(node.input(0)) && isConstant(node.input(1)) &&
      isConstant(node.input(2))) {
    const TensorValue &c = constants[node.input(0)],
                      &x = constants[node.input(1)],
                      &y = constants[node.input(2)];
    int64_t total;
    if (x.dtype == y.dtype && foldable({&c, &x, &y}, total)) {
      TensorValue out;
      out.dtype = x.dtype;
      for (const TensorValue *v : {&c, &x, &y})
        if (v->numElements() == total)
          out.shape = v->shape;
      size_t elt = dtypeSize(x.dtype);
      for (int64_t i = 0; i < total; ++i) {
        const TensorValue &from =
            c.intAt(foldIndex(c.numElements(), i)) ? x : y;
        const char *src =
            from.bytes.data() + foldIndex(from.numElements(), i) * elt;
        out.bytes.insert(out.bytes.end(), src, src + elt);
      }
      setConstant(node, 0, std::move(out));
      return success();
    }
  }
  auto c = input(node, 0), lhs = input(node, 1), rhs = input(node, 2);
  if (failed(c) || failed(lhs) || failed(rhs))
    return failure();
  auto y = build<WhereOp>(node, *c, *lhs, *rhs);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::activation(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType()))
    return error(node) << "expected a floating-point input";
  const std::string &op = node.op_type();
  auto f = [&](StringRef name, float fallback) {
    return b.getF32FloatAttr(floatAttr(node, name, fallback));
  };
  Type t = x->getType();
  Operation *made;
  if (op == "Elu")
    made = EluOp::create(b, loc, t, *x, f("alpha", 1.0f));
  else if (op == "Selu")
    made = SeluOp::create(b, loc, t, *x, f("alpha", 1.67326319217681884765625f),
                          f("gamma", 1.05070102214813232421875f));
  else if (op == "Celu")
    made = CeluOp::create(b, loc, t, *x, f("alpha", 1.0f));
  else if (op == "LeakyRelu")
    made = LeakyReluOp::create(b, loc, t, *x, f("alpha", 0.01f));
  else if (op == "HardSigmoid")
    made =
        HardSigmoidOp::create(b, loc, t, *x, f("alpha", 0.2f), f("beta", 0.5f));
  else if (op == "ThresholdedRelu")
    made = ThresholdedReluOp::create(b, loc, t, *x, f("alpha", 1.0f));
  else
    made = ShrinkOp::create(b, loc, t, *x, f("bias", 0.0f), f("lambd", 0.5f));
  auto y = finish(made);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::clip(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  FloatAttr lo, hi;
  if (opset < 11) {
    if (const auto *a = findAttr(node, "min"))
      lo = b.getF64FloatAttr(a->f());
    if (const auto *a = findAttr(node, "max"))
      hi = b.getF64FloatAttr(a->f());
  } else {
    for (int i : {1, 2}) {
      if (!hasInput(node, i) || !isConstant(node.input(i)))
        continue;
      const TensorValue &v = constants[node.input(i)];
      if (v.numElements() != 1)
        return error(node) << (i == 1 ? "min" : "max") << " must be a scalar";
      (i == 1 ? lo : hi) = b.getF64FloatAttr(
          isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType())
              ? v.floatAt(0)
              : double(v.intAt(0)));
    }
  }
  auto y = finish(ClipOp::create(b, loc, x->getType(), *x, lo, hi));
  if (failed(y))
    return failure();
  // Bounds known only at run time: max(x, min), then min(., max).
  for (int i : {1, 2}) {
    if (opset < 11 || !hasInput(node, i) || isConstant(node.input(i)))
      continue;
    auto bound = input(node, i);
    if (failed(bound))
      return failure();
    if (cast<RankedTensorType>(bound->getType()).getNumElements() != 1)
      return error(node) << (i == 1 ? "min" : "max") << " must be a scalar";
    y = i == 1 ? build<MaxOp>(node, *y, *bound)
               : build<MinOp>(node, *y, *bound);
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::variadic(const NodeProto &node) {
  // Max, Min, Sum, Mean: a left fold of broadcasting binary ops.
  const std::string &op = node.op_type();
  auto acc = input(node, 0);
  if (failed(acc))
    return failure();
  Value y = *acc;
  for (int i = 1; i < node.input_size(); ++i) {
    auto next = input(node, i);
    if (failed(next))
      return failure();
    FailureOr<Value> r = op == "Max"   ? build<MaxOp>(node, y, *next)
                         : op == "Min" ? build<MinOp>(node, y, *next)
                                       : build<AddOp>(node, y, *next);
    if (failed(r))
      return failure();
    y = *r;
  }
  if (op == "Mean" && node.input_size() > 1) {
    Value count =
        scalarConstant(cast<RankedTensorType>(y.getType()).getElementType(),
                       double(node.input_size()));
    auto mean = build<DivOp>(node, y, count);
    if (failed(mean))
      return failure();
    y = *mean;
  }
  setOutput(node, 0, y);
  return success();
}

LogicalResult Importer::gemm(const NodeProto &node) {
  auto a = input(node, 0), bb = input(node, 1);
  if (failed(a) || failed(bb))
    return failure();
  auto c = optionalInput(node, 2);
  if (failed(c))
    return failure();
  auto y = build<GemmOp>(node, *a, *bb, *c,
                         b.getF32FloatAttr(floatAttr(node, "alpha", 1.0f)),
                         b.getF32FloatAttr(floatAttr(node, "beta", 1.0f)),
                         b.getBoolAttr(intAttr(node, "transA", 0) != 0),
                         b.getBoolAttr(intAttr(node, "transB", 0) != 0));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::matmul(const NodeProto &node) {
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  auto y = build<MatmulOp>(node, *lhs, *rhs);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::reduce(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  SmallVector<int64_t> axes;
  bool given = false;
  if (auto a = intsAttr(node, "axes")) {
    axes = *a;
    given = true;
  } else if (hasInput(node, 1)) {
    const TensorValue *v = constantInput(node, 1, "axes");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      axes.push_back(v->intAt(i));
    given = true;
  }
  if (!given || axes.empty()) {
    axes.clear();
    // Empty axes: every axis, unless noop_with_empty_axes asks for none.
    if (intAttr(node, "noop_with_empty_axes", 0) == 0)
      for (int64_t d = 0; d < rank; ++d)
        axes.push_back(d);
  }
  for (int64_t &a : axes) {
    auto resolved = resolveAxis(node, a, rank);
    if (failed(resolved))
      return failure();
    a = *resolved;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  auto keep = b.getBoolAttr(intAttr(node, "keepdims", 1) != 0);
  const std::string &op = node.op_type();
  FailureOr<Value> y =
      op == "ReduceSum"    ? build<ReduceSumOp>(node, *x, axesAttr, keep)
      : op == "ReduceMean" ? build<ReduceMeanOp>(node, *x, axesAttr, keep)
      : op == "ReduceMax"  ? build<ReduceMaxOp>(node, *x, axesAttr, keep)
      : op == "ReduceMin"  ? build<ReduceMinOp>(node, *x, axesAttr, keep)
      : op == "ReduceProd" ? build<ReduceProdOp>(node, *x, axesAttr, keep)
      : op == "ReduceL1"   ? build<ReduceL1Op>(node, *x, axesAttr, keep)
      : op == "ReduceL2"   ? build<ReduceL2Op>(node, *x, axesAttr, keep)
      : op == "ReduceSumSquare"
          ? build<ReduceSumSquareOp>(node, *x, axesAttr, keep)
      : op == "ReduceLogSum"
          ? build<ReduceLogSumOp>(node, *x, axesAttr, keep)
          : build<ReduceLogSumExpOp>(node, *x, axesAttr, keep);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::argReduce(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto resolved = resolveAxis(node, intAttr(node, "axis", 0), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  auto axisAttr = b.getI64IntegerAttr(axis);
  auto keep = b.getBoolAttr(intAttr(node, "keepdims", 1) != 0);
  auto last = b.getBoolAttr(intAttr(node, "select_last_index", 0) != 0);
  FailureOr<Value> y = node.op_type() == "ArgMax"
                           ? build<ArgMaxOp>(node, *x, axisAttr, keep, last)
                           : build<ArgMinOp>(node, *x, axisAttr, keep, last);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::trilu(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t k = 0;
  if (hasInput(node, 1)) {
    const TensorValue *v = constantInput(node, 1, "k");
    if (!v)
      return failure();
    k = v->intAt(0);
  }
  Type t = x->getType();
  Operation *op =
      intAttr(node, "upper", 1)
          ? TriuOp::create(b, loc, t, *x, b.getI64IntegerAttr(k)).getOperation()
          : TrilOp::create(b, loc, t, *x, b.getI64IntegerAttr(k))
                .getOperation();
  auto y = finish(op);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::cumSum(const NodeProto &node) {
  auto x = input(node, 0);
  const TensorValue *axisValue = constantInput(node, 1, "axis");
  if (failed(x) || !axisValue)
    return failure();
  if (axisValue->numElements() != 1)
    return error(node) << "axis must be a scalar";
  auto axis = resolveAxis(node, axisValue->intAt(0),
                          cast<RankedTensorType>(x->getType()).getRank());
  if (failed(axis))
    return failure();
  auto y = finish(CumSumOp::create(b, loc, x->getType(), *x, *axis,
                                   intAttr(node, "exclusive", 0) != 0,
                                   intAttr(node, "reverse", 0) != 0));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::hardmax(const NodeProto &node) {
  // hardmax(x) = one_hot(argmax(x, axis), dim, axis) with [0, 1].
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto axis =
      resolveAxis(node, intAttr(node, "axis", opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  Value in = *x;
  if (opset < 13) {
    // Before opset 13 the input is coerced to 2-D at |axis|.
    int64_t outer = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= type.getDimSize(d);
    auto flat = buildReshape(in, {outer, type.getNumElements() / outer});
    if (failed(flat))
      return failure();
    in = *flat;
    *axis = 1;
  }
  auto inType = cast<RankedTensorType>(in.getType());
  auto idx = build<ArgMaxOp>(node, in, b.getI64IntegerAttr(*axis),
                             b.getBoolAttr(false), b.getBoolAttr(false));
  if (failed(idx))
    return failure();
  Type elt = inType.getElementType();
  auto valuesType = RankedTensorType::get({2}, elt);
  Value values = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(valuesType,
                             ArrayRef<Attribute>{b.getFloatAttr(elt, 0.0),
                                                 b.getFloatAttr(elt, 1.0)}));
  auto y = build<OneHotOp>(node, *idx, values, inType.getDimSize(*axis), *axis);
  if (failed(y))
    return failure();
  auto out = buildReshape(*y, type.getShape());
  if (failed(out))
    return failure();
  setOutput(node, 0, *out);
  return success();
}

LogicalResult Importer::isSpecial(const NodeProto &node) {
  // isnan(x) = x != x; isinf(x) = x == +inf (detect_positive) or x == -inf
  // (detect_negative).
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  if (!isa<FloatType>(elt))
    return error(node) << "expected a floating-point input";
  if (node.op_type() == "IsNaN") {
    auto same = build<EqualOp>(node, *x, *x);
    if (failed(same))
      return failure();
    auto y = finish(NotOp::create(b, loc, same->getType(), *same));
    if (failed(y))
      return failure();
    setOutput(node, 0, *y);
    return success();
  }
  double inf = std::numeric_limits<double>::infinity();
  bool pos = intAttr(node, "detect_positive", 1) != 0,
       neg = intAttr(node, "detect_negative", 1) != 0;
  FailureOr<Value> y;
  if (pos && neg) {
    auto magnitude = finish(AbsOp::create(b, loc, *x));
    if (failed(magnitude))
      return failure();
    y = build<EqualOp>(node, *magnitude, scalarConstant(elt, inf));
  } else {
    // Neither: compare with NaN, which is never equal.
    double target = pos ? inf : neg ? -inf : std::nan("");
    y = build<EqualOp>(node, *x, scalarConstant(elt, target));
  }
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::topK(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t k;
  if (opset < 10) {
    k = intAttr(node, "k", 0);
  } else {
    const TensorValue *kv = constantInput(node, 1, "K");
    if (!kv)
      return failure();
    if (kv->numElements() != 1)
      return error(node) << "K must hold one value";
    k = kv->intAt(0);
  }
  auto xType = cast<RankedTensorType>(x->getType());
  auto axis = resolveAxis(node, intAttr(node, "axis", -1), xType.getRank());
  if (failed(axis))
    return failure();
  if (k < 0 || k > xType.getDimSize(*axis))
    return error(node) << "K = " << k << " is outside [0, "
                       << xType.getDimSize(*axis) << "], the size of axis "
                       << *axis;
  auto built =
      buildOp<TopKOp>(2, *x, b.getI64IntegerAttr(k), b.getI64IntegerAttr(*axis),
                      b.getBoolAttr(intAttr(node, "largest", 1) != 0));
  if (failed(built))
    return failure();
  Operation *made = *built;
  setOutput(node, 0, made->getResult(0));
  if (node.output_size() > 1 && !node.output(1).empty())
    setOutput(node, 1, made->getResult(1));
  return success();
}

LogicalResult Importer::gelu(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  std::string approximate = stringAttr(node, "approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return error(node) << "approximate '" << approximate
                       << "' is not none or tanh";
  if (!isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType()))
    return error(node) << "expected a floating-point input";
  auto y =
      finish(GeluOp::create(b, loc, x->getType(), *x, approximate == "tanh"));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::castOp(const NodeProto &node) {
  auto to = dtypeFromOnnx(int(intAttr(node, "to", 0)));
  if (!to)
    return error(node) << llvm::toString(to.takeError());
  if (isConstant(node.input(0))) {
    const TensorValue &v = constants[node.input(0)];
    TensorValue out;
    out.dtype = *to;
    out.shape = v.shape;
    for (int64_t i = 0; i < v.numElements(); ++i)
      out.append(v.floatAt(i), v.intAt(i));
    setConstant(node, 0, std::move(out));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = castTo(node, *x, mlirType(*to));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::castLike(const NodeProto &node) {
  auto x = input(node, 0);
  auto like = shapeOrTypeSource(node, 1);
  if (failed(x) || failed(like))
    return failure();
  auto y = castTo(node, *x, *like);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Det: Gaussian elimination with partial pivoting, unrolled over the N
/// columns of the [..., N, N] input (N known at compile time). Step k keeps
/// the trailing (N - k) x (N - k) block S of every matrix: the row with the
/// largest |S[r, 0]| is swapped to the top (negating the determinant when
/// it moves), the determinant is multiplied by the pivot, and S becomes
/// S[1:, 1:] - S[1:, 0] / pivot * S[0, 1:]. A zero pivot (a singular
/// matrix) gives 0, and divides by 1 instead so no NaN follows. Built from
/// differentiable ops, so training flows through it.
LogicalResult Importer::det(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 2 || type.getDimSize(rank - 1) != type.getDimSize(rank - 2))
    return error(node) << "expected [..., N, N] square matrices, got shape "
                       << shapeString(type.getShape());
  Type elt = type.getElementType();
  if (!isa<FloatType>(elt))
    return error(node) << "the input must be a float tensor";
  int64_t n = type.getDimSize(rank - 1), batch = 1;
  for (int64_t d : type.getShape().drop_back(2))
    batch *= d;
  SmallVector<int64_t> outShape(type.getShape().drop_back(2));
  auto s = buildReshape(*x, {batch, n, n});
  if (failed(s))
    return failure();
  Value block = *s;
  Value det = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({batch}, elt),
                             b.getFloatAttr(elt, 1.0)));
  Type i64 = b.getI64Type();
  Value zero = scalarConstant(elt, 0.0), one = scalarConstant(elt, 1.0);
  auto slice = [&](Value v, ArrayRef<int64_t> starts,
                   ArrayRef<int64_t> sizes) -> FailureOr<Value> {
    return build<SliceOp>(
        node, v, b.getDenseI64ArrayAttr(starts), b.getDenseI64ArrayAttr(sizes),
        b.getDenseI64ArrayAttr(SmallVector<int64_t>(starts.size(), 1)));
  };
  for (int64_t m = n; m >= 1; --m) {
    // The pivot row p (per matrix) of the first column, swapped to row 0.
    auto column = slice(block, {0, 0, 0}, {batch, m, 1});
    if (failed(column))
      return failure();
    FailureOr<Value> pivotRow = Value();
    if (m > 1) {
      auto magnitude = build<AbsOp>(node, *column);
      if (failed(magnitude))
        return failure();
      pivotRow = build<ArgMaxOp>(node, *magnitude, b.getI64IntegerAttr(1),
                                 b.getBoolAttr(false), b.getBoolAttr(false));
      if (failed(pivotRow))
        return failure();
      auto rows = ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({1, m}, i64),
              ArrayRef<int64_t>(llvm::to_vector(llvm::seq<int64_t>(0, m)))));
      Value top = scalarConstant(i64, 0.0);
      auto isTop = build<EqualOp>(node, rows, top);
      auto isPivot = build<EqualOp>(node, rows, *pivotRow);
      if (failed(isTop) || failed(isPivot))
        return failure();
      auto fromPivot = build<WhereOp>(node, *isPivot, top, rows);
      if (failed(fromPivot))
        return failure();
      auto order = build<WhereOp>(node, *isTop, *pivotRow, *fromPivot);
      if (failed(order))
        return failure();
      auto order3 = buildReshape(*order, {batch, m, 1});
      if (failed(order3))
        return failure();
      auto orderAll = finish(ExpandOp::create(
          b, loc, RankedTensorType::get({batch, m, m}, i64), *order3));
      if (failed(orderAll))
        return failure();
      auto swapped =
          build<GatherElementsOp>(node, block, *orderAll, int64_t(1));
      if (failed(swapped))
        return failure();
      block = *swapped;
      // A swap (p != 0) negates the determinant.
      auto pivotIndex = buildReshape(*pivotRow, {batch});
      if (failed(pivotIndex))
        return failure();
      auto moved = build<EqualOp>(node, *pivotIndex, top);
      if (failed(moved))
        return failure();
      auto sign = build<WhereOp>(node, *moved, one, scalarConstant(elt, -1.0));
      if (failed(sign))
        return failure();
      auto signed_ = build<MulOp>(node, det, *sign);
      if (failed(signed_))
        return failure();
      det = *signed_;
    }
    auto pivot3 = slice(block, {0, 0, 0}, {batch, 1, 1});
    if (failed(pivot3))
      return failure();
    auto pivot = buildReshape(*pivot3, {batch});
    if (failed(pivot))
      return failure();
    auto scaled = build<MulOp>(node, det, *pivot);
    if (failed(scaled))
      return failure();
    det = *scaled;
    if (m == 1)
      break;
    // S <- S[1:, 1:] - S[1:, 0] / pivot * S[0, 1:].
    auto singular = build<EqualOp>(node, *pivot3, zero);
    if (failed(singular))
      return failure();
    auto safe = build<WhereOp>(node, *singular, one, *pivot3);
    auto below = slice(block, {0, 1, 0}, {batch, m - 1, 1});
    auto right = slice(block, {0, 0, 1}, {batch, 1, m - 1});
    auto rest = slice(block, {0, 1, 1}, {batch, m - 1, m - 1});
    if (failed(safe) || failed(below) || failed(right) || failed(rest))
      return failure();
    auto factor = build<DivOp>(node, *below, *safe);
    if (failed(factor))
      return failure();
    auto update = build<MulOp>(node, *factor, *right);
    if (failed(update))
      return failure();
    auto next = build<SubOp>(node, *rest, *update);
    if (failed(next))
      return failure();
    block = *next;
  }
  auto y = buildReshape(det, outShape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

} // namespace lathe::onnx_import
