// The lathe-fold-batch-norm pass: inference batch norms folded into the
// convolutions before them, by rewriting the weights (Weights.h).
#include "compiler/graph/Passes.h"
#include "compiler/graph/Weights.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/BitVector.h"

#include <cmath>
#include <cstring>

namespace lathe {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "compiler/graph/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace lathe {
namespace {

/// A parameter argument of @forward with its value, read by one op only.
struct Weight {
  BlockArgument arg;
  std::vector<double> values;
};

/// |v| as a parameter of |forward| with a value that only |user| reads.
std::optional<Weight> soleWeight(func::FuncOp forward, Value v,
                                 Operation *user) {
  auto arg = dyn_cast_or_null<BlockArgument>(v);
  if (!arg || arg.getOwner()->getParentOp() != forward ||
      !forward.getArgAttr(arg.getArgNumber(), kParamAttr))
    return std::nullopt;
  for (Operation *u : arg.getUsers())
    if (u != user)
      return std::nullopt;
  auto type = cast<RankedTensorType>(arg.getType());
  std::vector<char> storage;
  auto bytes =
      weightBytes(forward.getArgAttr(arg.getArgNumber(), kValueAttr), storage);
  if (!bytes)
    return std::nullopt;
  Weight w{arg, std::vector<double>(size_t(type.getNumElements()))};
  if (type.getElementType().isF32()) {
    for (size_t i = 0; i < w.values.size(); ++i) {
      float f;
      std::memcpy(&f, bytes->data() + 4 * i, 4);
      w.values[i] = f;
    }
  } else if (type.getElementType().isF64()) {
    std::memcpy(w.values.data(), bytes->data(), 8 * w.values.size());
  } else {
    return std::nullopt;
  }
  return w;
}

/// Sets |w|'s argument value to |values|, rounded once to its type.
void store(func::FuncOp forward, const Weight &w,
           const std::vector<double> &values) {
  auto type = cast<RankedTensorType>(w.arg.getType());
  bool f32 = type.getElementType().isF32();
  std::vector<char> bytes(values.size() * (f32 ? 4 : 8));
  for (size_t i = 0; i < values.size(); ++i) {
    if (f32) {
      float f = float(values[i]);
      std::memcpy(bytes.data() + 4 * i, &f, 4);
    } else {
      std::memcpy(bytes.data() + 8 * i, &values[i], 8);
    }
  }
  auto name =
      forward.getArgAttrOfType<StringAttr>(w.arg.getArgNumber(), kParamAttr);
  forward.setArgAttr(w.arg.getArgNumber(), kValueAttr,
                     makeWeight(type, name.getValue(), bytes));
}

/// Folds |norm| into the convolution before it; false when it does not
/// have the form the pass folds.
template <typename ConvOp>
bool fold(func::FuncOp forward, BatchNormOp norm, llvm::BitVector &unread) {
  auto conv = norm.getInput().template getDefiningOp<ConvOp>();
  if (!conv || !conv->hasOneUse())
    return false;
  auto w = soleWeight(forward, conv.getWeight(), conv);
  auto scale = soleWeight(forward, norm.getScale(), norm);
  auto shift = soleWeight(forward, norm.getBias(), norm);
  auto mean = soleWeight(forward, norm.getMean(), norm);
  auto var = soleWeight(forward, norm.getVar(), norm);
  std::optional<Weight> bias;
  if (conv.getBias()) {
    bias = soleWeight(forward, conv.getBias(), conv);
    if (!bias)
      return false;
  }
  if (!w || !scale || !shift || !mean || !var)
    return false;
  int64_t channels = cast<RankedTensorType>(w->arg.getType()).getDimSize(0);
  for (const Weight *p : {&*scale, &*shift, &*mean, &*var})
    if (int64_t(p->values.size()) != channels ||
        cast<RankedTensorType>(p->arg.getType()).getElementType() !=
            cast<RankedTensorType>(w->arg.getType()).getElementType())
      return false;
  double eps = norm.getEpsilon().convertToDouble();
  size_t per = w->values.size() / size_t(channels);
  std::vector<double> weight = w->values;
  std::vector<double> folded(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    double s = scale->values[c] / std::sqrt(var->values[c] + eps);
    for (size_t k = 0; k < per; ++k)
      weight[size_t(c) * per + k] *= s;
    double b = bias ? bias->values[c] : 0.0;
    folded[c] = (b - mean->values[c]) * s + shift->values[c];
  }
  store(forward, *w, weight);
  // The new bias: the conv's own, or the norm's bias parameter.
  const Weight &target = bias ? *bias : *shift;
  store(forward, target, folded);
  if (!bias)
    conv.getBiasMutable().assign(shift->arg);
  norm.getResult().replaceAllUsesWith(conv.getResult());
  norm.erase();
  for (const Weight *p : {&*scale, &*mean, &*var})
    unread.set(p->arg.getArgNumber());
  if (bias)
    unread.set(shift->arg.getArgNumber());
  return true;
}

struct FoldBatchNormPass : impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    // Only inference builds: @forward is the module's only function.
    if (!forward || llvm::range_size(module.getOps<func::FuncOp>()) != 1)
      return;
    SmallVector<BatchNormOp> norms;
    forward.walk([&](BatchNormOp op) { norms.push_back(op); });
    // The parameters a fold leaves unread leave @forward.
    llvm::BitVector unread(forward.getNumArguments());
    for (BatchNormOp norm : norms)
      if (!fold<Conv2dOp>(forward, norm, unread))
        fold<Conv3dOp>(forward, norm, unread);
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      if (unread.test(i) && !forward.getArgument(i).use_empty())
        unread.reset(i);
    if (failed(forward.eraseArguments(unread)))
      return signalPassFailure();
  }
};

} // namespace
} // namespace lathe
