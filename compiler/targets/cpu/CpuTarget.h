// The CPU target: LLVM code for any triple, with vector width and register
// blocking chosen from the target CPU's features.
#ifndef LATHE_COMPILER_TARGETS_CPU_CPUTARGET_H
#define LATHE_COMPILER_TARGETS_CPU_CPUTARGET_H

#include "compiler/targets/Target.h"

#include <cstdint>
#include <string>

namespace lathe {

/// What the CPU pipeline is built for.
struct CpuTuning {
  /// The vector instruction set the parameters come from: avx512, avx2,
  /// avx, sse2, neon, or generic.
  std::string isa = "avx2";
  /// Width of the vectors the generated code uses, in bits (the preferred
  /// width: 256 on an AVX-512 CPU whose LLVM tuning prefers 256-bit
  /// vectors).
  int64_t vectorBits = 256;
  /// Architectural vector registers (16 for SSE/AVX2, 32 with AVX-512 or
  /// on AArch64).
  int64_t vectorRegisters = 16;

  /// f32 lanes per vector.
  int64_t vectorWidth() const { return vectorBits / 32; }
  /// Registers a contraction's accumulator block may hold: the rest carry
  /// the broadcast operand, the loaded row and the address arithmetic.
  int64_t accumulatorRegisters() const {
    return vectorRegisters - (vectorRegisters >= 32 ? 8 : 4);
  }
};

/// The CPU target configured by |options| (`--target cpu`).
llvm::Expected<std::unique_ptr<Target>>
makeCpuTarget(const TargetOptions &options);

/// The CPU code generation pipeline, linalg on tensors to the LLVM dialect,
/// for |tuning|. The only place that orders the CPU target's passes.
void buildCpuCodegenPipeline(mlir::OpPassManager &pm, const CpuTuning &tuning);
/// The CPU target's passes on lathe ops before lowering.
void buildCpuPolicyPipeline(mlir::OpPassManager &pm);

} // namespace lathe

#endif // LATHE_COMPILER_TARGETS_CPU_CPUTARGET_H
