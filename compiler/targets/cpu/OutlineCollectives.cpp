// The lathe-outline-collectives pass: collectives on buffers become calls of
// helpers that lathe-define-collectives defines on the LLVM dialect.
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/Attributes.h"
#include "dialects/lathe/LatheDialect.h"
#include "lathe/abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_OUTLINECOLLECTIVES
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// lathe/abi.h's dtype of a float element type.
std::optional<lathe_dtype_t> floatDtype(Type t) {
  if (t.isF32())
    return LATHE_F32;
  if (t.isF64())
    return LATHE_F64;
  if (t.isF16())
    return LATHE_F16;
  if (t.isBF16())
    return LATHE_BF16;
  return std::nullopt;
}

struct OutlineCollectivesPass
    : impl::OutlineCollectivesBase<OutlineCollectivesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<AllReduceMeanBufferOp> collectives;
    module.walk([&](AllReduceMeanBufferOp op) { collectives.push_back(op); });
    int counter = 0;
    for (AllReduceMeanBufferOp op : collectives) {
      auto type = cast<MemRefType>(op.getBuffer().getType());
      auto dtype = floatDtype(type.getElementType());
      auto func = op->getParentOfType<func::FuncOp>();
      if (!type.getLayout().isIdentity() || !dtype || !func ||
          func.getNumArguments() == 0 ||
          !isa<LLVM::LLVMPointerType>(func.getArguments().back().getType())) {
        op.emitError("a collective needs a statically shaped, identity-layout "
                     "float buffer in a function with a call context, not ")
            << type;
        return signalPassFailure();
      }
      Value context = func.getArguments().back();
      Location loc = op.getLoc();
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      auto helper = func::FuncOp::create(
          b, loc, "lathe_collective_" + std::to_string(counter++),
          FunctionType::get(ctx, {type, context.getType()}, {}));
      helper.setPrivate();
      helper->setAttr(
          kCollectiveAttr,
          b.getDictionaryAttr(
              {b.getNamedAttr("count",
                              b.getI64IntegerAttr(type.getNumElements())),
               b.getNamedAttr("dtype", b.getI32IntegerAttr(*dtype))}));
      b.setInsertionPoint(op);
      func::CallOp::create(b, loc, helper, ValueRange{op.getBuffer(), context});
      op.erase();
    }
  }
};

} // namespace
} // namespace lathe
