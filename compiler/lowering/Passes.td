// Lowering passes (lathe -> linalg, tensor, arith, math).
// The pipeline builders in compiler/Pipeline.cpp order them.
#ifndef LATHE_COMPILER_LOWERING_PASSES_TD
#define LATHE_COMPILER_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def ElideEmptyTensors : Pass<"lathe-elide-empty-tensors", "mlir::ModuleOp"> {
  let summary = "Compute nothing for tensors with no elements";
  let description = [{
    `y = op(...) : tensor<20x0x5xf32> => y = tensor.empty()`: every empty
    result of a side-effect-free op, and every use of an empty function
    argument, becomes `tensor.empty`, so lowering never builds loops, slices
    or windows over zero extents. A function's empty arguments and results
    become `tensor<0xT>`: the bare-pointer calling convention has no layout
    for a multi-dimensional buffer of zero elements. The artifact's
    descriptor keeps the declared shapes, read before this pass runs.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def LowerToLinalg : Pass<"lathe-lower-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower lathe ops to linalg, tensor, arith and math";
  let description = [{
    Every lathe op becomes upstream ops on tensors: named linalg convolutions
    and poolings where they exist, `linalg.generic` for element-wise,
    broadcasting and contraction ops, `tensor.pad` / reshapes for layout. The
    lathe dialect is illegal afterwards, but for the collectives
    (`lathe.all_reduce_mean`, which bufferize in place and which code
    generation turns into calls of the all-reduce hook); an op without a
    lowering fails the pass at its location.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::scf::SCFDialect"
  ];
}

def SignlessIntegers : Pass<"lathe-signless-integers", "mlir::ModuleOp"> {
  let summary = "Drop integer signedness once lowering has used it";
  let description = [{
    `tensor<4xui8> => tensor<4xi8>` on every value, block argument, function
    signature and dense constant. The lathe dialect keeps unsigned element
    types so that lowering can pick unsigned division, comparison and
    conversion; the lowered code does its arithmetic on signless views (the
    `builtin.unrealized_conversion_cast`s around each element-wise
    `linalg.generic`), and this pass then removes the signedness and those
    casts, leaving upstream passes only signless integers. The artifact's
    signature keeps the unsigned types: it is read before lowering.
  }];
}

#endif // LATHE_COMPILER_LOWERING_PASSES_TD
