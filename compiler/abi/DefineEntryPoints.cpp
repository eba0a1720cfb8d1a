// The lathe-define-entry-points pass: the artifact's C entry points (ABI v3,
// lathe/abi.h) around the lowered entry functions, on the LLVM dialect.
#include "compiler/abi/Passes.h"
#include "dialects/lathe/Attributes.h"
#include "lathe/abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace lathe {
#define GEN_PASS_DEF_DEFINEENTRYPOINTS
#include "compiler/abi/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// Where one pointer the lowered function takes comes from.
struct Source {
  enum Kind { Input, Output, Param, State, Hyper, Arena } kind;
  int64_t value; ///< An index (input, output, hyper) or a byte offset.
};

/// Parses "KIND VALUE" items of |list| (lathe.entry's args or results).
FailureOr<SmallVector<Source>> parseSources(Operation *op, ArrayAttr list,
                                            StringRef what) {
  SmallVector<Source> sources;
  if (!list)
    return op->emitError("lathe.entry has no '") << what << "' list";
  for (Attribute item : list) {
    auto text = dyn_cast<StringAttr>(item);
    auto [kind, value] =
        text ? text.getValue().split(' ') : std::pair<StringRef, StringRef>();
    Source s;
    if (kind == "input")
      s.kind = Source::Input;
    else if (kind == "output")
      s.kind = Source::Output;
    else if (kind == "param")
      s.kind = Source::Param;
    else if (kind == "state")
      s.kind = Source::State;
    else if (kind == "hyper")
      s.kind = Source::Hyper;
    else if (kind == "arena")
      s.kind = Source::Arena;
    else
      return op->emitError("lathe.entry's ")
             << what << " item " << item << " is not 'KIND VALUE'";
    if (value.getAsInteger(10, s.value) || s.value < 0)
      return op->emitError("lathe.entry's ")
             << what << " item " << item << " has no non-negative value";
    sources.push_back(s);
  }
  return sources;
}

/// An i64 field of |dict|, or |fallback|.
int64_t field(DictionaryAttr dict, StringRef name, int64_t fallback = 0) {
  auto v = dict ? dict.getAs<IntegerAttr>(name) : IntegerAttr();
  return v ? v.getInt() : fallback;
}

/// Defines the entry point of |impl| (which carries kEntryAttr).
LogicalResult defineEntryPoint(ModuleOp module, LLVM::LLVMFuncOp impl) {
  auto entry = impl->getAttrOfType<DictionaryAttr>(kEntryAttr);
  auto symbol = entry.getAs<StringAttr>("symbol");
  if (!symbol)
    return impl.emitError("lathe.entry has no 'symbol'");
  auto args = parseSources(impl, entry.getAs<ArrayAttr>("args"), "args");
  auto results =
      parseSources(impl, entry.getAs<ArrayAttr>("results"), "results");
  if (failed(args) || failed(results))
    return failure();
  size_t pointers = args->size() + results->size() + 2;
  if (impl.getNumArguments() != pointers)
    return impl.emitError("takes ")
           << impl.getNumArguments() << " arguments; lathe.entry describes "
           << pointers << " (its args, results, the arena and the env)";
  auto update = entry.getAs<DictionaryAttr>("update");
  int64_t arenaBytes = std::max<int64_t>(field(entry, "arena_bytes"), 64);
  int64_t arenaAlignment = field(entry, "arena_alignment", 64);
  FlatSymbolRefAttr embeddedRef = entry.getAs<FlatSymbolRefAttr>("weights");
  if (embeddedRef && !module.lookupSymbol<LLVM::GlobalOp>(embeddedRef))
    return impl.emitError("lathe.entry's weights ")
           << embeddedRef << " is not a global";

  MLIRContext *ctx = module.getContext();
  Location loc = impl.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i8 = IntegerType::get(ctx, 8);
  Type i32 = IntegerType::get(ctx, 32);
  Type i64 = IntegerType::get(ctx, 64);
  Type voidTy = LLVM::LLVMVoidType::get(ctx);
  // size_t, as the target lays out lathe_env_t.
  unsigned pointerBits = DataLayout::closest(impl).getTypeSizeInBits(ptr);
  Type sizeTy = IntegerType::get(ctx, pointerBits);
  int64_t pointerBytes = pointerBits / 8;
  auto allocType = LLVM::LLVMFunctionType::get(ptr, {ptr, sizeTy, sizeTy});
  auto releaseType = LLVM::LLVMFunctionType::get(voidTy, {ptr, ptr});

  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto declare = [&](StringRef name, Type result, ArrayRef<Type> params) {
    if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return f;
    return LLVM::LLVMFuncOp::create(
        b, loc, name, LLVM::LLVMFunctionType::get(result, params));
  };
  LLVM::LLVMFuncOp mallocFn = declare("malloc", ptr, {i64});
  LLVM::LLVMFuncOp freeFn = declare("free", voidTy, {ptr});

  impl.setName((symbol.getValue() + "_impl").str());
  impl.setLinkageAttr(LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  impl->removeAttr(kEntryAttr);
  auto fn = LLVM::LLVMFuncOp::create(
      b, loc, symbol.getValue(),
      LLVM::LLVMFunctionType::get(i32, SmallVector<Type>(7, ptr)));
  Block *body = fn.addEntryBlock(b);
  Value weights = body->getArgument(0), state = body->getArgument(1),
        hyper = body->getArgument(2), inputs = body->getArgument(3),
        outputs = body->getArgument(4), scratch = body->getArgument(5),
        env = body->getArgument(6);
  Region &region = fn.getBody();
  auto block = [&](ArrayRef<Type> types = {}) {
    return b.createBlock(&region, region.end(), types,
                         SmallVector<Location>(types.size(), loc));
  };
  Block *missing = block(), *checkEnv = block(), *readEnv = block(),
        *badEnv = block(), *checkArena = block({ptr, ptr, ptr, ptr}),
        *allocate = block(), *callerAlloc = block(), *mallocArena = block(),
        *allocated = block({ptr}), *noMemory = block(), *run = block({ptr}),
        *release = block(), *callerFree = block(), *freeCall = block(),
        *mallocFree = block(), *done = block();

  auto constant = [&](Type type, int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, v));
  };
  auto isNull = [&](Value p) -> Value {
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    return LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, p, null);
  };
  auto at = [&](Value base, int64_t offset) -> Value {
    return LLVM::GEPOp::create(b, loc, ptr, i8, base,
                               ArrayRef<LLVM::GEPArg>{constant(i64, offset)});
  };
  auto loadPointer = [&](Value array, int64_t i) -> Value {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, array,
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    return LLVM::LoadOp::create(b, loc, ptr, slot);
  };
  auto returnCode = [&](Block *in, int32_t code) {
    b.setInsertionPointToStart(in);
    LLVM::ReturnOp::create(b, loc, constant(i32, code));
  };
  auto reads = [&](Source::Kind kind) {
    return llvm::any_of(*args, [&](Source s) { return s.kind == kind; }) ||
           llvm::any_of(*results, [&](Source s) { return s.kind == kind; });
  };

  // Only the pointers the entry reads must be non-NULL; embedded weights
  // stand in for NULL ones.
  b.setInsertionPointToStart(body);
  if (embeddedRef) {
    Value global =
        LLVM::AddressOfOp::create(b, loc, ptr, embeddedRef.getValue());
    weights = LLVM::SelectOp::create(b, loc, isNull(weights), global, weights);
  }
  Value bad = constant(IntegerType::get(ctx, 1), 0);
  std::pair<Source::Kind, Value> checked[] = {{Source::Input, inputs},
                                              {Source::Output, outputs},
                                              {Source::Param, weights},
                                              {Source::State, state},
                                              {Source::Hyper, hyper}};
  for (auto [kind, pointer] : checked)
    if (reads(kind))
      bad = LLVM::OrOp::create(b, loc, bad, isNull(pointer));
  LLVM::CondBrOp::create(b, loc, bad, missing, checkEnv);
  returnCode(missing, LATHE_ENTRY_MISSING_POINTER);

  // The environment: NULL, or at least the parallel-for fields; a field
  // past struct_size is absent.
  b.setInsertionPointToStart(checkEnv);
  Value null = LLVM::ZeroOp::create(b, loc, ptr);
  LLVM::CondBrOp::create(b, loc, isNull(env), checkArena,
                         ValueRange{null, null, null, null}, readEnv,
                         ValueRange{});
  b.setInsertionPointToStart(readEnv);
  Value envSize = LLVM::LoadOp::create(b, loc, sizeTy, env);
  auto has = [&](int64_t fields) -> Value {
    return LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::uge, envSize,
                                constant(sizeTy, fields * pointerBytes));
  };
  Value nullInEnv = LLVM::ZeroOp::create(b, loc, ptr);
  // alloc, free and allocator are fields 3 to 5.
  Value hasAllocator = has(6);
  auto optional = [&](int64_t i) -> Value {
    return LLVM::SelectOp::create(b, loc, hasAllocator, loadPointer(env, i),
                                  nullInEnv);
  };
  Value envAlloc = optional(3), envFree = optional(4), allocator = optional(5);
  LLVM::CondBrOp::create(b, loc, has(3), checkArena,
                         ValueRange{env, envAlloc, envFree, allocator}, badEnv,
                         ValueRange{});
  returnCode(badEnv, LATHE_ENTRY_BAD_ENV);

  // The arena: the caller's, or one from env->alloc or malloc for this call
  // (and freed by the same).
  Value callEnv = checkArena->getArgument(0),
        alloc = checkArena->getArgument(1),
        dealloc = checkArena->getArgument(2),
        allocContext = checkArena->getArgument(3);
  b.setInsertionPointToStart(checkArena);
  Value own = isNull(scratch);
  LLVM::CondBrOp::create(b, loc, own, allocate, ValueRange{}, run,
                         ValueRange{scratch});
  b.setInsertionPointToStart(allocate);
  LLVM::CondBrOp::create(b, loc, isNull(alloc), mallocArena, callerAlloc);
  b.setInsertionPointToStart(callerAlloc);
  Value fromCaller =
      LLVM::CallOp::create(b, loc, allocType,
                           ValueRange{alloc, allocContext,
                                      constant(sizeTy, arenaBytes),
                                      constant(sizeTy, arenaAlignment)})
          .getResult();
  LLVM::BrOp::create(b, loc, ValueRange{fromCaller}, allocated);
  b.setInsertionPointToStart(mallocArena);
  Value fromMalloc = LLVM::CallOp::create(b, loc, mallocFn,
                                          ValueRange{constant(i64, arenaBytes)})
                         .getResult();
  LLVM::BrOp::create(b, loc, ValueRange{fromMalloc}, allocated);
  b.setInsertionPointToStart(allocated);
  LLVM::CondBrOp::create(b, loc, isNull(allocated->getArgument(0)), noMemory,
                         ValueRange{}, run,
                         ValueRange{allocated->getArgument(0)});
  returnCode(noMemory, LATHE_ENTRY_NO_MEMORY);

  b.setInsertionPointToStart(run);
  Value arena = run->getArgument(0);
  SmallVector<Value> operands;
  for (const SmallVector<Source> *list : {&*args, &*results})
    for (Source s : *list)
      switch (s.kind) {
      case Source::Input:
        operands.push_back(loadPointer(inputs, s.value));
        break;
      case Source::Output:
        operands.push_back(loadPointer(outputs, s.value));
        break;
      case Source::Param:
        operands.push_back(at(weights, s.value));
        break;
      case Source::State:
        operands.push_back(at(state, s.value));
        break;
      case Source::Hyper:
        operands.push_back(at(hyper, 8 * s.value));
        break;
      case Source::Arena:
        operands.push_back(at(arena, s.value));
        break;
      }
  // The call context the lowered function reads: the environment and the
  // status its collectives report (lathe/abi.h's LATHE_ENTRY_* codes).
  Value context = LLVM::AllocaOp::create(
      b, loc, ptr, LLVM::LLVMStructType::getLiteral(ctx, {ptr, i32}),
      constant(i64, 1));
  auto contextField = [&](int32_t i) -> Value {
    Type type = LLVM::LLVMStructType::getLiteral(ctx, {ptr, i32});
    return LLVM::GEPOp::create(b, loc, ptr, type, context,
                               ArrayRef<LLVM::GEPArg>{0, i});
  };
  LLVM::StoreOp::create(b, loc, callEnv, contextField(0));
  LLVM::StoreOp::create(b, loc, constant(i32, LATHE_ENTRY_OK), contextField(1));
  operands.push_back(arena);
  operands.push_back(context);
  LLVM::CallOp::create(b, loc, impl, operands);
  Value code = LLVM::LoadOp::create(b, loc, i32, contextField(1));
  Value ok = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, code,
                                  constant(i32, LATHE_ENTRY_OK));
  // A failed step changes nothing the caller holds: the new parameters and
  // state stay in the arena.
  Block *current = b.getInsertionBlock();
  Block *copyUpdate = block(), *finish = block();
  b.setInsertionPointToEnd(current);
  LLVM::CondBrOp::create(b, loc, ok, copyUpdate, finish);
  b.setInsertionPointToStart(copyUpdate);
  if (update) {
    int64_t weightBytes = field(update, "weight_bytes");
    int64_t stateBytes = field(update, "state_bytes");
    if (weightBytes)
      LLVM::MemcpyOp::create(b, loc, weights,
                             at(arena, field(update, "weights_at")),
                             constant(i64, weightBytes), false);
    if (stateBytes)
      LLVM::MemcpyOp::create(b, loc, state,
                             at(arena, field(update, "state_at")),
                             constant(i64, stateBytes), false);
  }
  LLVM::BrOp::create(b, loc, finish);
  b.setInsertionPointToStart(finish);
  LLVM::CondBrOp::create(b, loc, own, release, done);
  b.setInsertionPointToStart(release);
  LLVM::CondBrOp::create(b, loc, isNull(alloc), mallocFree, callerFree);
  b.setInsertionPointToStart(callerFree);
  LLVM::CondBrOp::create(b, loc, isNull(dealloc), done, freeCall);
  b.setInsertionPointToStart(freeCall);
  LLVM::CallOp::create(b, loc, releaseType,
                       ValueRange{dealloc, allocContext, arena});
  LLVM::BrOp::create(b, loc, done);
  b.setInsertionPointToStart(mallocFree);
  LLVM::CallOp::create(b, loc, freeFn, ValueRange{arena});
  LLVM::BrOp::create(b, loc, done);
  b.setInsertionPointToStart(done);
  LLVM::ReturnOp::create(b, loc, code);
  return success();
}

struct DefineEntryPointsPass
    : public impl::DefineEntryPointsBase<DefineEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> entries;
    for (auto f : module.getOps<LLVM::LLVMFuncOp>())
      if (f->hasAttr(kEntryAttr))
        entries.push_back(f);
    for (LLVM::LLVMFuncOp impl : entries)
      if (failed(defineEntryPoint(module, impl)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace lathe
