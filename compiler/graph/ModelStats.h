// Static statistics of a lathe module: op counts and arithmetic cost.
#ifndef LATHE_COMPILER_GRAPH_MODELSTATS_H
#define LATHE_COMPILER_GRAPH_MODELSTATS_H

#include <cstdint>
#include <map>
#include <string>

namespace mlir {
class ModuleOp;
}

namespace lathe {

struct ModelStats {
  std::map<std::string, int64_t> opCounts; ///< By op name ("lathe.conv2d").
  int64_t flops = 0; ///< Floating-point operations of one forward call
                     ///< (a multiply-add counts 2).
};

/// Counts the lathe ops of |module| and their floating-point operations.
ModelStats computeModelStats(mlir::ModuleOp module);

} // namespace lathe

#endif // LATHE_COMPILER_GRAPH_MODELSTATS_H
