// Gradient rules of the collectives (LatheParallelOps.td).
#include "dialects/lathe/GradBuilder.h"

using namespace mlir;

namespace lathe {
namespace {

using Grads = SmallVectorImpl<Value>;

/// y = the replicas' mean of x: each replica's x reaches every replica's
/// y with weight 1/K, so d(sum of the replicas' losses)/dx, divided by K
/// as data-parallel gradients are, is the replicas' mean of dy.
LogicalResult allReduceMeanGrad(AllReduceMeanOp op, TensorBuilder &gb,
                                ArrayRef<Value> rg, Grads &og) {
  if (rg[0])
    og[0] = AllReduceMeanOp::create(gb.b, gb.loc, rg[0]);
  return success();
}

} // namespace

void attachParallelGradients(MLIRContext *ctx) {
  attachGradient<AllReduceMeanOp, allReduceMeanGrad>(ctx);
}

} // namespace lathe
