// The lathe-define-dispatches pass: the bodies of the parallel dispatch
// functions that lathe-outline-parallel-loops declared, on the LLVM dialect.
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/Attributes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_DEFINEDISPATCHES
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// Defines |dispatch|, whose declaration names its task, and its
/// trampoline.
LogicalResult defineDispatch(ModuleOp module, LLVM::LLVMFuncOp dispatch) {
  auto taskRef = dispatch->getAttrOfType<FlatSymbolRefAttr>(kDispatchTaskAttr);
  auto task = module.lookupSymbol<LLVM::LLVMFuncOp>(taskRef.getAttr());
  size_t captures = dispatch.getNumArguments() - 2;
  if (!task || task.getNumArguments() != captures + 2)
    return dispatch.emitError("has no task of ")
           << captures << " captures named " << taskRef;
  MLIRContext *ctx = module.getContext();
  Location loc = dispatch.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = IntegerType::get(ctx, 64);
  Type voidTy = LLVM::LLVMVoidType::get(ctx);
  auto taskType = LLVM::LLVMFunctionType::get(voidTy, {ptr, i64, i64});
  auto forType = LLVM::LLVMFunctionType::get(voidTy, {ptr, i64, ptr, ptr});
  auto internal = LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal);

  // The trampoline: task(begin, end, closure[0], closure[1], ...).
  OpBuilder b(ctx);
  b.setInsertionPointAfter(dispatch);
  std::string name = dispatch.getName().str();
  std::string suffix = name.substr(name.rfind('_') + 1);
  auto trampoline = LLVM::LLVMFuncOp::create(
      b, loc, "lathe_trampoline_" + suffix, taskType, LLVM::Linkage::Internal);
  Block *body = trampoline.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  SmallVector<Value> args = {body->getArgument(1), body->getArgument(2)};
  for (size_t i = 0; i < captures; ++i) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, body->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    args.push_back(
        LLVM::LoadOp::create(b, loc, task.getArgumentTypes()[2 + i], slot));
  }
  LLVM::CallOp::create(b, loc, task, args);
  LLVM::ReturnOp::create(b, loc, ValueRange());

  // The dispatch: the captures into 8-byte slots, then the trampoline over
  // [0, count), serially or through env->parallel_for(env->pool, ...). Its
  // last argument is the entry point's call context, whose first field is
  // the environment (lathe-define-entry-points).
  Block *entry = dispatch.addEntryBlock(b);
  Block *readEnv = b.createBlock(&dispatch.getBody());
  Block *serial = b.createBlock(&dispatch.getBody());
  Block *pooled = b.createBlock(&dispatch.getBody());
  b.setInsertionPointToStart(entry);
  Value slots = LLVM::ConstantOp::create(
      b, loc, i64, b.getI64IntegerAttr(std::max<size_t>(captures, 1)));
  Value closure = LLVM::AllocaOp::create(b, loc, ptr, i64, slots);
  for (size_t i = 0; i < captures; ++i) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, closure,
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    LLVM::StoreOp::create(b, loc, entry->getArgument(1 + i), slot);
  }
  Value count = entry->getArgument(0);
  Value context = entry->getArgument(dispatch.getNumArguments() - 1);
  Value env = LLVM::LoadOp::create(b, loc, ptr, context);
  auto isNull = [&](Value p) -> Value {
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    return LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, p, null);
  };
  Value trampolineAddress = LLVM::AddressOfOp::create(b, loc, trampoline);
  LLVM::CondBrOp::create(b, loc, isNull(env), serial, readEnv);

  b.setInsertionPointToStart(readEnv);
  auto field = [&](int32_t i) {
    Value at =
        LLVM::GEPOp::create(b, loc, ptr, ptr, env, ArrayRef<LLVM::GEPArg>{i});
    return LLVM::LoadOp::create(b, loc, ptr, at).getResult();
  };
  Value parallelFor = field(1);
  LLVM::CondBrOp::create(b, loc, isNull(parallelFor), serial, pooled);

  b.setInsertionPointToStart(serial);
  Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
  LLVM::CallOp::create(b, loc, trampoline, ValueRange{closure, zero, count});
  LLVM::ReturnOp::create(b, loc, ValueRange());

  b.setInsertionPointToStart(pooled);
  Value pool = field(2);
  LLVM::CallOp::create(
      b, loc, forType,
      ValueRange{parallelFor, pool, count, trampolineAddress, closure});
  LLVM::ReturnOp::create(b, loc, ValueRange());

  dispatch->removeAttr(kDispatchTaskAttr);
  dispatch.setLinkageAttr(internal);
  task.setLinkageAttr(internal);
  return success();
}

struct DefineDispatchesPass
    : public impl::DefineDispatchesBase<DefineDispatchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> declared;
    module.walk([&](LLVM::LLVMFuncOp f) {
      if (f->hasAttr(kDispatchTaskAttr) && f.isExternal())
        declared.push_back(f);
    });
    for (LLVM::LLVMFuncOp dispatch : declared)
      if (failed(defineDispatch(module, dispatch)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace lathe
