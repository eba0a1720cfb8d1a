// The lathe-define-collectives pass: the bodies of the collectives' helpers
// that lathe-outline-collectives declared, on the LLVM dialect.
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/Attributes.h"
#include "lathe/abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

#include <cstddef>

namespace lathe {
#define GEN_PASS_DEF_DEFINECOLLECTIVES
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// lathe_env_t's allreduce and comm, as pointer-sized field indices (the
/// struct is all pointers and size_t).
constexpr int32_t kAllreduceField =
    offsetof(lathe_env_t, allreduce) / sizeof(void *);
constexpr int32_t kCommField = offsetof(lathe_env_t, comm) / sizeof(void *);
static_assert(kCommField == kAllreduceField + 1);

LogicalResult defineCollective(LLVM::LLVMFuncOp helper) {
  auto info = helper->getAttrOfType<DictionaryAttr>(kCollectiveAttr);
  auto count = info ? info.getAs<IntegerAttr>("count") : IntegerAttr();
  auto dtype = info ? info.getAs<IntegerAttr>("dtype") : IntegerAttr();
  if (!count || !dtype || helper.getNumArguments() != 2)
    return helper.emitError("is not a collective of (data, context) with "
                            "'count' and 'dtype'");
  MLIRContext *ctx = helper.getContext();
  Location loc = helper.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i32 = IntegerType::get(ctx, 32);
  Type i64 = IntegerType::get(ctx, 64);
  unsigned pointerBits = DataLayout::closest(helper).getTypeSizeInBits(ptr);
  Type sizeTy = IntegerType::get(ctx, pointerBits);
  Type contextType = LLVM::LLVMStructType::getLiteral(ctx, {ptr, i32});
  auto hookType = LLVM::LLVMFunctionType::get(i32, {ptr, ptr, i64, i32});

  OpBuilder b(ctx);
  Region &body = helper.getBody();
  Block *entry = helper.addEntryBlock(b);
  Block *readEnv = b.createBlock(&body), *readHook = b.createBlock(&body),
        *call = b.createBlock(&body), *fail = b.createBlock(&body),
        *done = b.createBlock(&body);
  auto constant = [&](Type type, int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, v));
  };
  auto isNull = [&](Value p) -> Value {
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    return LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, p, null);
  };
  auto envField = [&](Value env, int32_t i) -> Value {
    Value at =
        LLVM::GEPOp::create(b, loc, ptr, ptr, env, ArrayRef<LLVM::GEPArg>{i});
    return LLVM::LoadOp::create(b, loc, ptr, at);
  };

  // The environment and the step's status so far.
  b.setInsertionPointToStart(entry);
  Value data = entry->getArgument(0), context = entry->getArgument(1);
  Value env = LLVM::LoadOp::create(b, loc, ptr, context);
  Value statusAt = LLVM::GEPOp::create(b, loc, ptr, contextType, context,
                                       ArrayRef<LLVM::GEPArg>{0, 1});
  Value status = LLVM::LoadOp::create(b, loc, i32, statusAt);
  Value failedBefore = LLVM::ICmpOp::create(
      b, loc, LLVM::ICmpPredicate::ne, status, constant(i32, LATHE_ENTRY_OK));
  Value skip = LLVM::OrOp::create(b, loc, isNull(env), failedBefore);
  LLVM::CondBrOp::create(b, loc, skip, done, readEnv);

  // A hook only in an environment long enough to hold one.
  b.setInsertionPointToStart(readEnv);
  Value size = LLVM::LoadOp::create(b, loc, sizeTy, env);
  Value holds = LLVM::ICmpOp::create(
      b, loc, LLVM::ICmpPredicate::uge, size,
      constant(sizeTy, (kCommField + 1) * int64_t(pointerBits / 8)));
  LLVM::CondBrOp::create(b, loc, holds, readHook, done);
  b.setInsertionPointToStart(readHook);
  Value hook = envField(env, kAllreduceField);
  LLVM::CondBrOp::create(b, loc, isNull(hook), done, call);

  b.setInsertionPointToStart(call);
  Value comm = envField(env, kCommField);
  Value rc = LLVM::CallOp::create(b, loc, hookType,
                                  ValueRange{hook, comm, data,
                                             constant(i64, count.getInt()),
                                             constant(i32, dtype.getInt())})
                 .getResult();
  Value failed = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, rc,
                                      constant(i32, 0));
  LLVM::CondBrOp::create(b, loc, failed, fail, done);
  b.setInsertionPointToStart(fail);
  LLVM::StoreOp::create(b, loc, constant(i32, LATHE_ENTRY_COLLECTIVE_FAILED),
                        statusAt);
  LLVM::BrOp::create(b, loc, done);
  b.setInsertionPointToStart(done);
  LLVM::ReturnOp::create(b, loc, ValueRange());

  helper->removeAttr(kCollectiveAttr);
  helper.setLinkageAttr(LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  return success();
}

struct DefineCollectivesPass
    : impl::DefineCollectivesBase<DefineCollectivesPass> {
  void runOnOperation() override {
    SmallVector<LLVM::LLVMFuncOp> declared;
    getOperation().walk([&](LLVM::LLVMFuncOp f) {
      if (f->hasAttr(kCollectiveAttr) && f.isExternal())
        declared.push_back(f);
    });
    for (LLVM::LLVMFuncOp helper : declared)
      if (failed(defineCollective(helper)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace lathe
