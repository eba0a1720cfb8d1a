// Lathe's compiler passes. The pipeline functions in Pipeline.cpp order them.
#ifndef LATHE_COMPILER_PASSES_TD
#define LATHE_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"lathe-lower-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower lathe ops to linalg, tensor, arith and math";
  let description = [{
    Every lathe op becomes upstream ops on tensors: named linalg convolutions
    and poolings where they exist, `linalg.generic` for element-wise,
    broadcasting and contraction ops, `tensor.pad` / reshapes for layout. The
    lathe dialect is illegal afterwards; an op without a lowering fails the pass
    at its location.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect"
  ];
}

def LowerMemrefCopy : Pass<"lathe-lower-memref-copy"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    `memref.copy(a, b) => linalg.copy(a, b)`. A strided `memref.copy` would
    otherwise lower to a call into MLIR's C runner utilities; as a linalg op it
    becomes plain loops, so an artifact depends on nothing beyond libc.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

#endif // LATHE_COMPILER_PASSES_TD
