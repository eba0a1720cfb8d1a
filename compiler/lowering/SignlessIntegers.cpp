// The lathe-signless-integers pass: unsigned integer types become signless
// after lowering.
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_SIGNLESSINTEGERS
#include "compiler/lowering/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// |type| with unsigned integer elements (or itself) made signless.
Type signless(Type type) {
  if (auto integer = dyn_cast<IntegerType>(type))
    return integer.isSignless()
               ? type
               : IntegerType::get(type.getContext(), integer.getWidth());
  if (auto shaped = dyn_cast<ShapedType>(type)) {
    Type elt = signless(shaped.getElementType());
    return elt == shaped.getElementType() ? type : shaped.clone(elt);
  }
  if (auto fn = dyn_cast<FunctionType>(type)) {
    auto map = [](TypeRange types) {
      return llvm::map_to_vector(types, [](Type t) { return signless(t); });
    };
    return FunctionType::get(type.getContext(), map(fn.getInputs()),
                             map(fn.getResults()));
  }
  return type;
}

struct SignlessIntegersPass
    : public impl::SignlessIntegersBase<SignlessIntegersPass> {
  void runOnOperation() override {
    SmallVector<UnrealizedConversionCastOp> casts;
    getOperation()->walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            arg.setType(signless(arg.getType()));
      for (OpResult result : op->getResults())
        result.setType(signless(result.getType()));
      if (auto func = dyn_cast<func::FuncOp>(op))
        func.setFunctionType(
            cast<FunctionType>(signless(func.getFunctionType())));
      if (auto constant = dyn_cast<arith::ConstantOp>(op))
        if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
          constant.setValueAttr(
              dense.bitcast(signless(dense.getType().getElementType())));
      if (auto c = dyn_cast<UnrealizedConversionCastOp>(op))
        casts.push_back(c);
    });
    // The lowering's signless views are now casts from a type to itself.
    for (UnrealizedConversionCastOp c : casts)
      if (c->getNumOperands() == 1 && c->getNumResults() == 1 &&
          c->getOperand(0).getType() == c->getResult(0).getType()) {
        c->getResult(0).replaceAllUsesWith(c->getOperand(0));
        c->erase();
      }
  }
};

} // namespace
} // namespace lathe
