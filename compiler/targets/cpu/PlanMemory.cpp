// The lathe-plan-memory pass: a static memory plan for intermediate buffers.
#include "compiler/targets/cpu/Passes.h"
#include "dialects/lathe/Attributes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace lathe {
#define GEN_PASS_DEF_PLANMEMORY
#include "compiler/targets/cpu/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t begin, end; ///< Lifetime, as positions in the function's block.
  int64_t bytes;
  int64_t offset = 0;
};

/// The buffers of |func| that the plan can place: static, identity layout,
/// allocated and deallocated once, both in the function's top-level block.
SmallVector<Buffer> plannableBuffers(func::FuncOp func) {
  Block &block = func.getBody().front();
  DenseMap<Operation *, int64_t> position;
  int64_t i = 0;
  for (Operation &op : block)
    position[&op] = i++;
  SmallVector<Buffer> buffers;
  for (Operation &op : block) {
    auto alloc = dyn_cast<memref::AllocOp>(op);
    if (!alloc)
      continue;
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !type.getElementType().isIntOrFloat() || type.getMemorySpace())
      continue;
    memref::DeallocOp dealloc;
    bool ok = true;
    for (Operation *user : alloc->getUsers())
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        ok &= !dealloc && d->getBlock() == &block;
        dealloc = d;
      }
    if (!ok || !dealloc)
      continue;
    // The lifetime runs from the first to the last use of the buffer or of
    // anything derived from it that is a buffer too (views, casts):
    // allocations may have been hoisted above their first use, and
    // deallocations sunk to the end of the function.
    int64_t begin = position[dealloc], end = 0;
    SmallVector<Value> worklist = {alloc.getResult()};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (Operation *user : v.getUsers()) {
        if (isa<memref::DeallocOp>(user))
          continue;
        Operation *top = block.findAncestorOpInBlock(*user);
        if (!top || isa<func::ReturnOp>(top)) {
          ok = false; // Escapes: keep the allocation.
          continue;
        }
        begin = std::min(begin, position[top]);
        end = std::max(end, position[top]);
        for (Value r : user->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            worklist.push_back(r);
      }
    }
    if (!ok)
      continue;
    // LLVM stores every element in whole bytes (an i1 takes one byte).
    int64_t elementBytes = (type.getElementTypeBitWidth() + 7) / 8;
    buffers.push_back({alloc, dealloc, begin, std::max(begin, end),
                       int64_t(llvm::alignTo(
                           type.getNumElements() * elementBytes, kAlignment))});
  }
  return buffers;
}

/// First-fit placement, largest buffers first: each buffer takes the lowest
/// aligned offset that overlaps no placed buffer whose lifetime it shares.
int64_t placeBuffers(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order,
                    [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
  SmallVector<Buffer *> placed;
  int64_t total = 0;
  for (Buffer *b : order) {
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (Buffer *p : placed)
      if (p->begin <= b->end && b->begin <= p->end)
        busy.push_back({p->offset, p->offset + p->bytes});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [lo, hi] : busy) {
      if (offset + b->bytes <= lo)
        break;
      offset = std::max(offset, hi);
    }
    b->offset = offset;
    total = std::max(total, offset + b->bytes);
    placed.push_back(b);
  }
  return total;
}

struct PlanMemoryPass : public impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    int64_t scratch = 0;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Buffer> buffers = plannableBuffers(func);
      int64_t total = placeBuffers(buffers);
      scratch = std::max(scratch, total);
      auto arenaType = MemRefType::get({std::max<int64_t>(total, 1)},
                                       IntegerType::get(ctx, 8));
      if (failed(func.insertArgument(func.getNumArguments(), arenaType,
                                     DictionaryAttr::get(ctx), func.getLoc())))
        return signalPassFailure();
      Value arena = func.getArguments().back();
      OpBuilder b(ctx);
      for (Buffer &buf : buffers) {
        b.setInsertionPoint(buf.alloc);
        Value offset =
            arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), buf.offset);
        Value view =
            memref::ViewOp::create(b, buf.alloc.getLoc(), buf.alloc.getType(),
                                   arena, offset, ValueRange{});
        buf.alloc.replaceAllUsesWith(view);
        buf.dealloc.erase();
        buf.alloc.erase();
      }
    }
    module->setAttr(kScratchBytesAttr,
                    IntegerAttr::get(IntegerType::get(ctx, 64), scratch));
  }
};

} // namespace
} // namespace lathe
