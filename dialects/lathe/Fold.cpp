// Constant folding of lathe ops: each folder computes at compile time what
// the generated code would compute at run time, bit for bit (IEEE
// round-to-nearest arithmetic in the element type; integers wrap), and
// declines tensors larger than kMaxFoldElements.
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstring>

using namespace mlir;

namespace lathe {
namespace {

/// Above this many elements a fold would cost more compile time and memory
/// than it saves; the op is left to run.
constexpr int64_t kMaxFoldElements = int64_t(1) << 20;

/// |attr| as dense elements, if it is one.
DenseElementsAttr dense(Attribute attr) {
  return dyn_cast_or_null<DenseElementsAttr>(attr);
}

bool isSplatOf(Attribute attr, double value) {
  auto d = dense(attr);
  if (!d || !d.isSplat())
    return false;
  if (auto f = dyn_cast<FloatType>(d.getElementType())) {
    APFloat want(value);
    bool lost = false;
    want.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return d.getSplatValue<APFloat>().bitwiseIsEqual(want);
  }
  // Integers (of more than one bit; the values asked are 0 and 1).
  unsigned bits = d.getElementType().getIntOrFloatBitWidth();
  if (isa<IntegerType>(d.getElementType()) && bits > 1)
    return d.getSplatValue<APInt>() == APInt(bits, uint64_t(value));
  return false;
}

/// Element-wise |fn| over |lhs| and |rhs| (each the result's shape, or a
/// splat), as dense elements of |type|; null when either is not constant,
/// does not fit, or is too large.
template <typename T, typename Fn>
Attribute foldBinary(RankedTensorType type, Attribute lhs, Attribute rhs,
                     Fn fn) {
  auto a = dense(lhs), b = dense(rhs);
  if (!a || !b || a.getElementType() != type.getElementType() ||
      b.getElementType() != type.getElementType())
    return {};
  auto fits = [&](DenseElementsAttr d) {
    return d.isSplat() || d.getType().getShape() == type.getShape();
  };
  if (!fits(a) || !fits(b))
    return {};
  if (a.isSplat() && b.isSplat())
    return DenseElementsAttr::get(
        type, fn(a.getSplatValue<T>(), b.getSplatValue<T>()));
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<T> values;
  values.reserve(type.getNumElements());
  auto av = a.getValues<T>(), bv = b.getValues<T>();
  for (int64_t i = 0; i < type.getNumElements(); ++i)
    values.push_back(
        fn(a.isSplat() ? av[0] : av[i], b.isSplat() ? bv[0] : bv[i]));
  return DenseElementsAttr::get(type, values);
}

/// The folds every arithmetic binary op shares: constants, for float and
/// (unless |floatOnly|) integer elements.
template <typename FloatFn, typename IntFn>
Attribute foldArithmetic(Operation *op, ArrayRef<Attribute> operands,
                         FloatFn floatFn, IntFn intFn, bool floatOnly) {
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || operands.size() != 2)
    return {};
  if (isa<FloatType>(type.getElementType()))
    return foldBinary<APFloat>(type, operands[0], operands[1], floatFn);
  if (!floatOnly && isa<IntegerType>(type.getElementType()))
    return foldBinary<APInt>(type, operands[0], operands[1], intFn);
  return {};
}

/// |operand| when it already has the result's type (a fold to it is then
/// an identity).
OpFoldResult sameTypeAs(Value operand, Value result) {
  return operand.getType() == result.getType() ? OpFoldResult(operand)
                                               : OpFoldResult();
}

} // namespace

Operation *LatheDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto d = dense(adaptor.getInput()))
    return d.reshape(getType());
  // reshape(reshape(x)) = reshape(x).
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == int64_t(i);
  if (identity)
    return sameTypeAs(getInput(), getResult());
  auto d = dense(adaptor.getInput());
  if (!d)
    return {};
  if (d.isSplat())
    return d.resizeSplat(getType());
  // Non-splat constants of whole-byte elements, moved byte-wise.
  RankedTensorType in = getInput().getType();
  unsigned bits = in.getElementType().getIntOrFloatBitWidth();
  if (bits % 8 != 0 || in.getNumElements() > kMaxFoldElements)
    return {};
  size_t bytes = bits / 8;
  ArrayRef<char> raw = d.getRawData();
  ArrayRef<int64_t> shape = in.getShape();
  int64_t rank = in.getRank();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * shape[i + 1];
  ArrayRef<int64_t> outShape = getType().getShape();
  std::vector<char> out(raw.size());
  SmallVector<int64_t> index(rank, 0);
  for (int64_t o = 0; o < in.getNumElements(); ++o) {
    int64_t from = 0;
    for (int64_t k = 0; k < rank; ++k)
      from += index[k] * inStrides[perm[k]];
    std::memcpy(out.data() + o * bytes, raw.data() + from * bytes, bytes);
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++index[k] < outShape[k])
        break;
      index[k] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(getType(), out);
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto d = dense(adaptor.getInput()); d && d.isSplat())
    return d.resizeSplat(getType());
  return {};
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  auto d = dense(adaptor.getInput());
  if (!d || (!d.isSplat() && d.getNumElements() > kMaxFoldElements))
    return {};
  if (isa<FloatType>(d.getElementType()))
    return d.mapValues(d.getElementType(), [](const APFloat &v) {
      APFloat n = v;
      n.changeSign();
      return n.bitcastToAPInt();
    });
  if (isa<IntegerType>(d.getElementType()))
    return d.mapValues(d.getElementType(), [](const APInt &v) { return -v; });
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      getOperation(), adaptor.getOperands(),
      [](APFloat a, const APFloat &b) {
        a.add(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a + b; }, false);
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  // x - (+0) = x for every x (-0 included).
  if (isSplatOf(adaptor.getRhs(), 0.0))
    if (OpFoldResult same = sameTypeAs(getLhs(), getResult()))
      return same;
  return foldArithmetic(
      getOperation(), adaptor.getOperands(),
      [](APFloat a, const APFloat &b) {
        a.subtract(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a - b; }, false);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  // x * 1 = x.
  if (isSplatOf(adaptor.getRhs(), 1.0))
    if (OpFoldResult same = sameTypeAs(getLhs(), getResult()))
      return same;
  if (isSplatOf(adaptor.getLhs(), 1.0))
    if (OpFoldResult same = sameTypeAs(getRhs(), getResult()))
      return same;
  return foldArithmetic(
      getOperation(), adaptor.getOperands(),
      [](APFloat a, const APFloat &b) {
        a.multiply(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &b) { return a * b; }, false);
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // Float only: integer division's rounding and division by zero are the
  // lowering's to define.
  if (!isa<FloatType>(getElementTypeOrSelf(getResult().getType())))
    return {};
  // x / 1 = x.
  if (isSplatOf(adaptor.getRhs(), 1.0))
    if (OpFoldResult same = sameTypeAs(getLhs(), getResult()))
      return same;
  return foldArithmetic(
      getOperation(), adaptor.getOperands(),
      [](APFloat a, const APFloat &b) {
        a.divide(b, APFloat::rmNearestTiesToEven);
        return a;
      },
      [](const APInt &a, const APInt &) { return a; }, true);
}

} // namespace lathe
