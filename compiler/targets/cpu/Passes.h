// The CPU target's passes: declarations generated from Passes.td.
#ifndef LATHE_COMPILER_TARGETS_CPU_PASSES_H
#define LATHE_COMPILER_TARGETS_CPU_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace lathe {

#define GEN_PASS_DECL
#include "compiler/targets/cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/targets/cpu/Passes.h.inc"

} // namespace lathe

#endif // LATHE_COMPILER_TARGETS_CPU_PASSES_H
