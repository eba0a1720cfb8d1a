// The artifact ABI's passes: declarations generated from Passes.td.
#ifndef LATHE_COMPILER_ABI_PASSES_H
#define LATHE_COMPILER_ABI_PASSES_H

#include "mlir/Pass/Pass.h"

namespace lathe {

#define GEN_PASS_DECL
#include "compiler/abi/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/abi/Passes.h.inc"

} // namespace lathe

#endif // LATHE_COMPILER_ABI_PASSES_H
