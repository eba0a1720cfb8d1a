// The lathe-transpose-weights pass: an inference build's Linear weights
// stored the way its products read them.
#include "compiler/graph/Passes.h"
#include "compiler/graph/Weights.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstring>

namespace lathe {
#define GEN_PASS_DEF_TRANSPOSEWEIGHTS
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// The gemms that read parameter |arg| as a transposed B, or none when
/// anything else reads it.
SmallVector<GemmOp> transposedReaders(BlockArgument arg) {
  SmallVector<GemmOp> gemms;
  for (OpOperand &use : arg.getUses()) {
    auto gemm = dyn_cast<GemmOp>(use.getOwner());
    if (!gemm || !gemm.getTransB() || use.getOperandNumber() != 1 ||
        gemm.getA() == arg || gemm.getC() == arg)
      return {};
    gemms.push_back(gemm);
  }
  return gemms;
}

struct TransposeWeightsPass : impl::TransposeWeightsBase<TransposeWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    // Only inference builds: @forward is the module's only function.
    if (!forward || llvm::range_size(module.getOps<func::FuncOp>()) != 1)
      return;
    for (BlockArgument arg : forward.getArguments()) {
      unsigned i = arg.getArgNumber();
      auto name = forward.getArgAttrOfType<StringAttr>(i, kParamAttr);
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!name || !type || type.getRank() != 2 || arg.use_empty())
        continue;
      SmallVector<GemmOp> gemms = transposedReaders(arg);
      std::vector<char> storage;
      auto bytes = weightBytes(forward.getArgAttr(i, kValueAttr), storage);
      if (gemms.empty() || !bytes)
        continue;
      int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
      size_t size = bytes->size() / size_t(rows * cols);
      std::vector<char> transposed(bytes->size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(transposed.data() + (c * rows + r) * size,
                      bytes->data() + (r * cols + c) * size, size);
      auto to = RankedTensorType::get({cols, rows}, type.getElementType());
      arg.setType(to);
      forward.setArgAttr(i, kValueAttr,
                         makeWeight(to, name.getValue(), transposed));
      for (GemmOp gemm : gemms)
        gemm.setTransB(false);
    }
    SmallVector<Type> inputs(forward.front().getArgumentTypes());
    forward.setType(
        FunctionType::get(&getContext(), inputs, forward.getResultTypes()));
  }
};

} // namespace
} // namespace lathe
