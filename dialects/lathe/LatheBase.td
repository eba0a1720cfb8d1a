// The lathe dialect, its op base class and the tensor type constraints every family uses.
#ifndef LATHE_BASE_TD
#define LATHE_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Lathe_Dialect : Dialect {
  let name = "lathe";
  let cppNamespace = "::lathe";
  let summary = "Neural-network layers on statically shaped tensors";
  let description = [{
    One op per documented `torch.nn` layer or tensor operation. Attributes mirror
    the `torch.nn` parameters so that both the ONNX and the C++ DSL frontends map
    onto the same ops. Shapes are static; every op infers its result type and
    rejects inconsistent operands with a diagnostic at the op's location (the
    ONNX node name).

    Parameters (weights, biases, running statistics) are arguments of the entry
    function carrying a `lathe.param` name, so training and checkpoints can find
    them; inputs carry `lathe.input`, results `lathe.output`.

    Folders (Fold.cpp) evaluate ops on constants at compile time where the
    result is exactly what the generated code would compute.
  }];
  let hasConstantMaterializer = 1;
}

class Lathe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lathe_Dialect, mnemonic, !listconcat(traits, [Pure])>;

def Lathe_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Lathe_IntElement : SignlessIntOfWidths<[8, 16, 32, 64]>;
/// Float or signless (two's-complement, signed) integer elements.
def Lathe_NumericTensor : RankedTensorOf<[AnyFloat, Lathe_IntElement]>;
def Lathe_UnsignedElement : UnsignedIntOfWidths<[8, 16, 32, 64]>;
/// Numeric elements plus unsigned integers: the ops whose lowering picks
/// unsigned division, comparison and conversion for unsigned types.
def Lathe_ArithTensor
    : RankedTensorOf<[AnyFloat, Lathe_IntElement, Lathe_UnsignedElement]>;
/// Signed or unsigned integer elements.
def Lathe_IntegerTensor
    : RankedTensorOf<[Lathe_IntElement, Lathe_UnsignedElement]>;
def Lathe_AnyTensor : RankedTensorOf<[AnyType]>;

#endif // LATHE_BASE_TD
