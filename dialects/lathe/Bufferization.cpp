// How lathe ops that survive lowering bufferize: the collectives, in place.
#include "dialects/lathe/Bufferization.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace lathe {
namespace {

/// lathe.all_reduce_mean reads and writes its operand's buffer in place
/// (its result is that buffer), as lathe.all_reduce_mean_buffer; a strided
/// buffer is copied into a contiguous one first.
struct AllReduceMeanModel
    : public BufferizableOpInterface::ExternalModel<AllReduceMeanModel,
                                                    AllReduceMeanOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return true;
  }
  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    return {{op->getResult(0), BufferRelation::Equivalent}};
  }
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto reduce = cast<AllReduceMeanOp>(op);
    FailureOr<Value> buffer =
        getBuffer(rewriter, reduce.getInput(), options, state);
    if (failed(buffer))
      return failure();
    rewriter.setInsertionPoint(op);
    Value target = *buffer;
    // A strided view (rows padded to whole cache lines, a slice) goes
    // through a contiguous copy: the collective's buffer is one run.
    auto type = cast<MemRefType>(target.getType());
    if (!type.getLayout().isIdentity()) {
      auto contiguous =
          MemRefType::get(type.getShape(), type.getElementType(),
                          MemRefLayoutAttrInterface(), type.getMemorySpace());
      target = memref::AllocOp::create(rewriter, op->getLoc(), contiguous);
      memref::CopyOp::create(rewriter, op->getLoc(), *buffer, target);
    }
    AllReduceMeanBufferOp::create(rewriter, op->getLoc(), target);
    replaceOpWithBufferizedValues(rewriter, op, target);
    return success();
  }
};

} // namespace

void registerBufferizationInterfaces(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, LatheDialect *) {
    AllReduceMeanOp::attachInterface<AllReduceMeanModel>(*ctx);
  });
}

} // namespace lathe
