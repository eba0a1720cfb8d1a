// The lathe-widen-half-floats pass: 16-bit float ops computed in f32.
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"

namespace lathe {
#define GEN_PASS_DEF_WIDENHALFFLOATS
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

bool isHalf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor &&
         (tensor.getElementType().isF16() || tensor.getElementType().isBF16());
}

/// |type| with f32 elements where it has 16-bit float ones.
Type widened(Type type) {
  if (!isHalf(type))
    return type;
  return cast<RankedTensorType>(type).clone(
      Float32Type::get(type.getContext()));
}

struct WidenHalfFloatsPass
    : public impl::WidenHalfFloatsBase<WidenHalfFloatsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (!isa<LatheDialect>(op->getDialect()) || isa<CastOp, ConstantOp>(op))
        return;
      if (llvm::any_of(op->getOperandTypes(), isHalf) ||
          llvm::any_of(op->getResultTypes(), isHalf))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      IRMapping map;
      for (Value operand : op->getOperands())
        if (isHalf(operand.getType()))
          map.map(operand,
                  CastOp::create(b, loc, widened(operand.getType()), operand));
      Operation *wide = b.clone(*op, map);
      for (OpResult result : wide->getResults())
        result.setType(widened(result.getType()));
      for (auto [before, after] :
           llvm::zip(op->getResults(), wide->getResults())) {
        Value replacement = after;
        if (before.getType() != after.getType())
          replacement = CastOp::create(b, loc, before.getType(), after);
        before.replaceAllUsesWith(replacement);
      }
      op->erase();
    }
  }
};

} // namespace
} // namespace lathe
