// Result-type inference and verifiers of the lathe dialect's rnn family:
// recurrent layers.
#include "dialects/lathe/InferUtils.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

#include <limits>

using namespace mlir;
using namespace lathe;
using namespace lathe::infer;

static LogicalResult verifyRecurrent(Operation *op, int64_t gates,
                                     int64_t hidden, Direction direction,
                                     Value x, Value w, Value r, Value bias,
                                     ValueRange states, Value peepholes,
                                     Value lengths) {
  auto shape = [](Value v) { return rankedType(v).getShape(); };
  int64_t d = direction == Direction::bidirectional ? 2 : 1;
  if (hidden <= 0)
    return op->emitOpError("expected a positive hidden_size, got ") << hidden;
  // The weights' extents (2 x gates x hidden for the bias) must be sizes.
  if (hidden > std::numeric_limits<int64_t>::max() / (2 * gates))
    return op->emitOpError("hidden_size ")
           << hidden << " is too large (its weights' sizes overflow)";
  if (shape(x).size() != 3)
    return op->emitOpError("expected a T x N x I input");
  int64_t t = shape(x)[0], n = shape(x)[1], in = shape(x)[2];
  auto expect = [&](Value v, ArrayRef<int64_t> want,
                    StringRef what) -> LogicalResult {
    if (!v || shape(v) == want)
      return success();
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << "expected " << what << " of shape ";
    llvm::interleave(want, os, "x");
    os << ", got " << v.getType();
    return op->emitOpError(msg);
  };
  Type elt = rankedType(x).getElementType();
  for (Value v : op->getOperands())
    if (v != lengths && rankedType(v).getElementType() != elt)
      return op->emitOpError("expected every operand of the input's type");
  int64_t states0 = hidden;
  if (failed(expect(w, {d, gates * hidden, in}, "weight")) ||
      failed(expect(r, {d, gates * hidden, hidden}, "recurrence")) ||
      failed(expect(bias, {d, 2 * gates * hidden}, "bias")) ||
      failed(expect(peepholes, {d, 3 * hidden}, "peepholes")) ||
      failed(expect(lengths, {n}, "sequence_lens")))
    return failure();
  for (Value s : states)
    if (failed(expect(s, {d, n, states0}, "initial state")))
      return failure();
  if (failed(expect(op->getResult(0), {t, d, n, hidden}, "result y")))
    return failure();
  for (Value res : op->getResults().drop_front())
    if (failed(expect(res, {d, n, hidden}, "last state")))
      return failure();
  return success();
}

LogicalResult RnnOp::verify() {
  return verifyRecurrent(*this, 1, getHiddenSize(), getDirection(), getInput(),
                         getWeight(), getRecurrence(), getBias(),
                         ValueRange(getODSOperands(4)), Value(),
                         getSequenceLens());
}

LogicalResult GruOp::verify() {
  return verifyRecurrent(*this, 3, getHiddenSize(), getDirection(), getInput(),
                         getWeight(), getRecurrence(), getBias(),
                         ValueRange(getODSOperands(4)), Value(),
                         getSequenceLens());
}

LogicalResult LstmOp::verify() {
  SmallVector<Value> states;
  if (getInitialH())
    states.push_back(getInitialH());
  if (getInitialC())
    states.push_back(getInitialC());
  return verifyRecurrent(*this, 4, getHiddenSize(), getDirection(), getInput(),
                         getWeight(), getRecurrence(), getBias(), states,
                         getPeepholes(), getSequenceLens());
}
