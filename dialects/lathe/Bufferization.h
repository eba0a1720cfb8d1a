// The bufferization models of the lathe ops that reach bufferization.
#ifndef LATHE_DIALECTS_LATHE_BUFFERIZATION_H
#define LATHE_DIALECTS_LATHE_BUFFERIZATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace lathe {

/// Attaches BufferizableOpInterface to lathe.all_reduce_mean (in place).
void registerBufferizationInterfaces(mlir::DialectRegistry &registry);

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_BUFFERIZATION_H
