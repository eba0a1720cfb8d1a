// The lathe-elide-empty-tensors pass: a tensor with no elements holds no
// data, so nothing computes it.
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace lathe {
#define GEN_PASS_DEF_ELIDEEMPTYTENSORS
#include "compiler/lowering/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// |type| when it is a static tensor type with no elements.
RankedTensorType emptyTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getNumElements() != 0)
    return {};
  return tensor;
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

/// The boundary type of an empty tensor: rank 1, so that it crosses the
/// bare-pointer calling convention (which has no layout for a
/// multi-dimensional buffer of zero elements).
RankedTensorType flatType(RankedTensorType type) {
  return RankedTensorType::get({0}, type.getElementType());
}

struct ElideEmptyTensorsPass
    : public impl::ElideEmptyTensorsBase<ElideEmptyTensorsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      elideResults(func);
      if (failed(flattenSignature(module, func)))
        return signalPassFailure();
    }
  }

  /// Every empty result of a side-effect-free op becomes tensor.empty; the
  /// op goes when nothing else of it is used.
  void elideResults(func::FuncOp func) {
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (!isa<tensor::EmptyOp>(op) && !op->hasTrait<OpTrait::IsTerminator>() &&
          isMemoryEffectFree(op) &&
          llvm::any_of(op->getResultTypes(), emptyTensorType))
        ops.push_back(op);
    });
    OpBuilder b(func.getContext());
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      for (Value result : op->getResults())
        if (auto type = emptyTensorType(result.getType()))
          if (!result.use_empty())
            result.replaceAllUsesWith(emptyTensor(b, op->getLoc(), type));
      if (op->use_empty())
        op->erase();
    }
  }

  /// Empty arguments and results cross the boundary as rank-1 tensors; the
  /// body uses an empty tensor of the declared shape instead of the
  /// argument.
  LogicalResult flattenSignature(ModuleOp module, func::FuncOp func) {
    FunctionType type = func.getFunctionType();
    bool anyEmpty = llvm::any_of(type.getInputs(), emptyTensorType) ||
                    llvm::any_of(type.getResults(), emptyTensorType);
    if (!anyEmpty)
      return success();
    if (!SymbolTable::symbolKnownUseEmpty(func, module))
      return func.emitError("a function with an empty tensor argument or "
                            "result may not be called");
    Block &entry = func.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      auto argType = emptyTensorType(arg.getType());
      if (!argType)
        continue;
      arg.replaceAllUsesWith(emptyTensor(b, arg.getLoc(), argType));
      arg.setType(flatType(argType));
    }
    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (OpOperand &operand : ret->getOpOperands())
        if (auto resultType = emptyTensorType(operand.get().getType()))
          operand.set(emptyTensor(b, ret.getLoc(), flatType(resultType)));
    });
    func.setFunctionType(
        FunctionType::get(func.getContext(), entry.getArgumentTypes(),
                          func.front().getTerminator()->getOperandTypes()));
    return success();
  }
};

} // namespace
} // namespace lathe
