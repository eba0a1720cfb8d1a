// The lathe-transpose-weights pass: an inference build's Linear weights
// stored the way its products read them.
#include "compiler/graph/Passes.h"
#include "compiler/graph/Weights.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"

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

/// Rows of a stored weight (and the products' results) are padded to whole
/// cache lines, which are whole vectors on every CPU target.
constexpr int64_t kLineBytes = 64;

/// A parameter argument of @forward with its value.
struct Stored {
  BlockArgument arg;
  StringAttr name;
  std::vector<char> bytes;
};

std::optional<Stored> stored(func::FuncOp forward, Value v) {
  auto arg = dyn_cast_or_null<BlockArgument>(v);
  if (!arg || arg.getOwner()->getParentOp() != forward)
    return std::nullopt;
  unsigned i = arg.getArgNumber();
  auto name = forward.getArgAttrOfType<StringAttr>(i, kParamAttr);
  std::vector<char> storage;
  auto bytes = weightBytes(forward.getArgAttr(i, kValueAttr), storage);
  if (!name || !bytes)
    return std::nullopt;
  return Stored{arg, name, std::vector<char>(bytes->begin(), bytes->end())};
}

void store(func::FuncOp forward, Stored &s, RankedTensorType to,
           std::vector<char> bytes) {
  s.arg.setType(to);
  forward.setArgAttr(s.arg.getArgNumber(), kValueAttr,
                     makeWeight(to, s.name.getValue(), bytes));
}

/// The gemms that read |arg| as a transposed B, or none when anything else
/// reads it.
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

/// The bias of |gemm| when it may be padded with it: a 1-D parameter of
/// |n| values that only |gemm| reads. |ok| is false when the gemm has a
/// bias of another kind.
std::optional<Stored> paddableBias(func::FuncOp forward, GemmOp gemm, int64_t n,
                                   bool &ok) {
  ok = true;
  if (!gemm.getC())
    return std::nullopt;
  auto bias = stored(forward, gemm.getC());
  auto type = cast<RankedTensorType>(gemm.getC().getType());
  ok = bias && type.getRank() == 1 && type.getDimSize(0) == n &&
       gemm.getC().hasOneUse();
  return ok ? bias : std::nullopt;
}

/// |bytes| (|rows| x |cols| elements of |size| bytes) transposed, each new
/// row padded with zeros to |padded| elements.
std::vector<char> transposePadded(ArrayRef<char> bytes, int64_t rows,
                                  int64_t cols, size_t size, int64_t padded) {
  std::vector<char> out(size_t(cols * padded) * size, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(out.data() + (c * padded + r) * size,
                  bytes.data() + (r * cols + c) * size, size);
  return out;
}

struct TransposeWeightsPass : impl::TransposeWeightsBase<TransposeWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    // Only inference builds: @forward is the module's only function.
    if (!forward || llvm::range_size(module.getOps<func::FuncOp>()) != 1)
      return;
    for (BlockArgument arg : forward.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || type.getRank() != 2 || !type.hasStaticShape())
        continue;
      SmallVector<GemmOp> gemms = transposedReaders(arg);
      auto weight = stored(forward, arg);
      if (gemms.empty() || !weight)
        continue;
      int64_t n = type.getDimSize(0), k = type.getDimSize(1);
      size_t size = weight->bytes.size() / size_t(n * k);
      int64_t line = std::max<int64_t>(1, kLineBytes / int64_t(size));
      int64_t padded = (n + line - 1) / line * line;
      // Padding changes the gemms' results: only where every bias pads too.
      SmallVector<std::optional<Stored>> biases;
      for (GemmOp gemm : gemms) {
        bool ok;
        biases.push_back(paddableBias(forward, gemm, n, ok));
        if (!ok)
          padded = n;
      }
      Type elt = type.getElementType();
      store(forward, *weight, RankedTensorType::get({k, padded}, elt),
            transposePadded(weight->bytes, n, k, size, padded));
      for (auto [gemm, bias] : llvm::zip(gemms, biases)) {
        gemm.setTransB(false);
        if (padded == n)
          continue;
        if (bias) {
          std::vector<char> bytes(bias->bytes);
          bytes.resize(size_t(padded) * size, 0);
          store(forward, *bias, RankedTensorType::get({padded}, elt), bytes);
        }
        // The padded product, and its first n columns where it was read.
        auto result = cast<RankedTensorType>(gemm.getType());
        int64_t m = result.getDimSize(0);
        gemm.getResult().setType(RankedTensorType::get({m, padded}, elt));
        OpBuilder b(gemm->getContext());
        b.setInsertionPointAfter(gemm);
        TensorBuilder tb{b, gemm.getLoc()};
        Value sliced = tb.slice(gemm.getResult(), {0, 0}, {m, n});
        gemm.getResult().replaceAllUsesExcept(sliced, sliced.getDefiningOp());
      }
    }
    SmallVector<Type> inputs(forward.front().getArgumentTypes());
    forward.setType(
        FunctionType::get(&getContext(), inputs, forward.getResultTypes()));
  }
};

} // namespace
} // namespace lathe
