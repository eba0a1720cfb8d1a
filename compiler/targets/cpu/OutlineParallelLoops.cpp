// The lathe-outline-parallel-loops pass: scf.forall loops become tasks run
// through the caller-provided parallel_for.
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/Attributes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace lathe {
#define GEN_PASS_DEF_OUTLINEPARALLELLOOPS
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// Whether |v| can cross into a task as one closure slot: a statically
/// shaped, identity-layout buffer (a bare pointer) or an integer, index or
/// float scalar.
bool isCapturable(Value v) {
  Type t = v.getType();
  if (auto memref = dyn_cast<MemRefType>(t))
    return memref.hasStaticShape() && memref.getLayout().isIdentity();
  return t.isIntOrIndexOrFloat();
}

/// Clones into the loop body the pure ops that define captures which cannot
/// cross as they are (views with strided layouts, and any constant), until
/// the captures settle. Returns the final captures.
SetVector<Value> sinkCaptures(scf::ForallOp loop) {
  Region &body = loop.getRegion();
  while (true) {
    SetVector<Value> captures;
    getUsedValuesDefinedAbove(body, captures);
    bool changed = false;
    for (Value v : captures) {
      Operation *def = v.getDefiningOp();
      bool isConstant = def && def->hasTrait<OpTrait::ConstantLike>();
      if (!def || (!isConstant && isCapturable(v)) || !isPure(def) ||
          def->getNumRegions() != 0)
        continue;
      OpBuilder b = OpBuilder::atBlockBegin(loop.getBody());
      Operation *clone = b.clone(*def);
      for (auto [from, to] : llvm::zip(def->getResults(), clone->getResults()))
        replaceAllUsesInRegionWith(from, to, body);
      changed = true;
    }
    if (!changed)
      return captures;
  }
}

struct OutlineParallelLoopsPass
    : public impl::OutlineParallelLoopsBase<OutlineParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Type ptrType = LLVM::LLVMPointerType::get(ctx);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    int counter = 0;
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      if (failed(func.insertArgument(func.getNumArguments(), ptrType,
                                     DictionaryAttr::get(ctx), func.getLoc())))
        return signalPassFailure();
      Value parallel = func.getArguments().back();
      SmallVector<scf::ForallOp> loops;
      func.walk([&](scf::ForallOp loop) {
        if (!loop->getParentOfType<scf::ForallOp>())
          loops.push_back(loop);
      });
      for (scf::ForallOp loop : loops)
        outline(module, loop, parallel, counter++);
    }
  }

  void outline(ModuleOp module, scf::ForallOp loop, Value parallel, int id) {
    if (loop.getRank() != 1 || !loop.getOutputs().empty())
      return;
    auto lb = loop.getStaticLowerBound(), ub = loop.getStaticUpperBound(),
         step = loop.getStaticStep();
    if (ShapedType::isDynamic(lb[0]) || ShapedType::isDynamic(ub[0]) ||
        ShapedType::isDynamic(step[0]) || step[0] <= 0)
      return;
    int64_t count = (ub[0] - lb[0] + step[0] - 1) / step[0];
    SetVector<Value> captures = sinkCaptures(loop);
    if (!llvm::all_of(captures, isCapturable))
      return;

    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    Type index = IndexType::get(ctx);
    std::string suffix = std::to_string(id);

    // The task: for k in [begin, end): body with %i = lb + k * step.
    SmallVector<Type> taskInputs = {index, index};
    for (Value v : captures)
      taskInputs.push_back(v.getType());
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto task = func::FuncOp::create(b, loc, "lathe_task_" + suffix,
                                     FunctionType::get(ctx, taskInputs, {}));
    task.setPrivate();
    Block *entry = task.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto inner = scf::ForOp::create(b, loc, entry->getArgument(0),
                                    entry->getArgument(1), one);
    b.setInsertionPointToStart(inner.getBody());
    Value iv = arith::AddIOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, lb[0]),
        arith::MulIOp::create(b, loc, inner.getInductionVar(),
                              arith::ConstantIndexOp::create(b, loc, step[0])));
    IRMapping mapping;
    mapping.map(loop.getInductionVar(0), iv);
    for (auto [i, v] : llvm::enumerate(captures))
      mapping.map(v, entry->getArgument(2 + i));
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    b.setInsertionPointToEnd(entry);
    func::ReturnOp::create(b, loc);

    // The dispatch, defined by code generation, and its call in place of
    // the loop.
    SmallVector<Type> dispatchInputs = {index};
    for (Value v : captures)
      dispatchInputs.push_back(v.getType());
    dispatchInputs.push_back(parallel.getType());
    b.setInsertionPointToEnd(module.getBody());
    auto dispatch =
        func::FuncOp::create(b, loc, "lathe_dispatch_" + suffix,
                             FunctionType::get(ctx, dispatchInputs, {}));
    dispatch.setPrivate();
    dispatch->setAttr(kDispatchTaskAttr, SymbolRefAttr::get(task));
    b.setInsertionPoint(loop);
    SmallVector<Value> args = {arith::ConstantIndexOp::create(b, loc, count)};
    args.append(captures.begin(), captures.end());
    args.push_back(parallel);
    func::CallOp::create(b, loc, dispatch, args);
    loop.erase();
  }
};

} // namespace
} // namespace lathe
