// The lathe dialect: one op per documented layer, on statically shaped tensors.
#ifndef LATHE_OPS_TD
#define LATHE_OPS_TD

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
  }];
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

//===----------------------------------------------------------------------===//
// Math: element-wise ops
//===----------------------------------------------------------------------===//

class Lathe_UnaryOp<string mnemonic, list<Trait> traits = [],
                    Type tensor = Lathe_FloatTensor>
    : Lathe_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType])> {
  let arguments = (ins tensor:$input);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

// relu(x) = max(x, 0)
def Lathe_ReluOp : Lathe_UnaryOp<"relu", [], Lathe_NumericTensor> {
  let summary = "rectified linear unit, element-wise";
  let description = [{
    `torch.nn.ReLU`. ```mlir
    %y = lathe.relu %x : tensor<8x16xf32>
    ```
  }];
}

// sigmoid(x) = 1 / (1 + exp(-x))
def Lathe_SigmoidOp : Lathe_UnaryOp<"sigmoid"> {
  let summary = "logistic sigmoid, element-wise";
  let description = [{
    `torch.nn.Sigmoid`. ```mlir
    %y = lathe.sigmoid %x : tensor<8x16xf32>
    ```
  }];
}

def Lathe_TanhOp : Lathe_UnaryOp<"tanh"> {
  let summary = "hyperbolic tangent, element-wise";
  let description = [{
    `torch.nn.Tanh`. ```mlir
    %y = lathe.tanh %x : tensor<8x16xf32>
    ```
  }];
}

def Lathe_ExpOp : Lathe_UnaryOp<"exp"> {
  let summary = "exponential, element-wise";
  let description = [{
    `torch.exp`. ```mlir
    %y = lathe.exp %x : tensor<8xf32>
    ```
  }];
}

def Lathe_LogOp : Lathe_UnaryOp<"log"> {
  let summary = "natural logarithm, element-wise";
  let description = [{
    `torch.log`. ```mlir
    %y = lathe.log %x : tensor<8xf32>
    ```
  }];
}

def Lathe_SqrtOp : Lathe_UnaryOp<"sqrt"> {
  let summary = "square root, element-wise";
  let description = [{
    `torch.sqrt`. ```mlir
    %y = lathe.sqrt %x : tensor<8xf32>
    ```
  }];
}

def Lathe_NegOp : Lathe_UnaryOp<"neg", [], Lathe_NumericTensor> {
  let summary = "negation, element-wise";
  let description = [{
    `torch.neg`. ```mlir
    %y = lathe.neg %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AbsOp : Lathe_UnaryOp<"abs", [], Lathe_ArithTensor> {
  let summary = "absolute value, element-wise";
  let description = [{
    `torch.abs`. ```mlir
    %y = lathe.abs %x : tensor<8xf32>
    ```
  }];
}


def Lathe_ReciprocalOp : Lathe_UnaryOp<"reciprocal"> {
  let summary = "1 / x, element-wise";
  let description = [{
    `torch.reciprocal`. ```mlir
    %y = lathe.reciprocal %x : tensor<8xf32>
    ```
  }];
}

def Lathe_FloorOp : Lathe_UnaryOp<"floor"> {
  let summary = "floor(x), element-wise";
  let description = [{
    `torch.floor`. ```mlir
    %y = lathe.floor %x : tensor<8xf32>
    ```
  }];
}

def Lathe_CeilOp : Lathe_UnaryOp<"ceil"> {
  let summary = "ceil(x), element-wise";
  let description = [{
    `torch.ceil`. ```mlir
    %y = lathe.ceil %x : tensor<8xf32>
    ```
  }];
}

def Lathe_RoundOp : Lathe_UnaryOp<"round"> {
  let summary = "round half to even, element-wise";
  let description = [{
    `torch.round`. ```mlir
    %y = lathe.round %x : tensor<8xf32>
    ```
  }];
}

def Lathe_SignOp : Lathe_UnaryOp<"sign", [], Lathe_ArithTensor> {
  let summary = "-1, 0 or 1 by the sign of x, element-wise";
  let description = [{
    `torch.sign`. ```mlir
    %y = lathe.sign %x : tensor<8xf32>
    ```
  }];
}

def Lathe_ErfOp : Lathe_UnaryOp<"erf"> {
  let summary = "the error function, element-wise";
  let description = [{
    `torch.erf`. ```mlir
    %y = lathe.erf %x : tensor<8xf32>
    ```
  }];
}

def Lathe_SinOp : Lathe_UnaryOp<"sin"> {
  let summary = "sine, element-wise";
  let description = [{
    `torch.sin`. ```mlir
    %y = lathe.sin %x : tensor<8xf32>
    ```
  }];
}

def Lathe_CosOp : Lathe_UnaryOp<"cos"> {
  let summary = "cosine, element-wise";
  let description = [{
    `torch.cos`. ```mlir
    %y = lathe.cos %x : tensor<8xf32>
    ```
  }];
}

def Lathe_TanOp : Lathe_UnaryOp<"tan"> {
  let summary = "tangent, element-wise";
  let description = [{
    `torch.tan`. ```mlir
    %y = lathe.tan %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AsinOp : Lathe_UnaryOp<"asin"> {
  let summary = "arcsine, element-wise";
  let description = [{
    `torch.asin`. ```mlir
    %y = lathe.asin %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AcosOp : Lathe_UnaryOp<"acos"> {
  let summary = "arccosine, element-wise";
  let description = [{
    `torch.acos`. ```mlir
    %y = lathe.acos %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AtanOp : Lathe_UnaryOp<"atan"> {
  let summary = "arctangent, element-wise";
  let description = [{
    `torch.atan`. ```mlir
    %y = lathe.atan %x : tensor<8xf32>
    ```
  }];
}

def Lathe_SinhOp : Lathe_UnaryOp<"sinh"> {
  let summary = "hyperbolic sine, element-wise";
  let description = [{
    `torch.sinh`. ```mlir
    %y = lathe.sinh %x : tensor<8xf32>
    ```
  }];
}

def Lathe_CoshOp : Lathe_UnaryOp<"cosh"> {
  let summary = "hyperbolic cosine, element-wise";
  let description = [{
    `torch.cosh`. ```mlir
    %y = lathe.cosh %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AsinhOp : Lathe_UnaryOp<"asinh"> {
  let summary = "inverse hyperbolic sine, element-wise";
  let description = [{
    `torch.asinh`. ```mlir
    %y = lathe.asinh %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AcoshOp : Lathe_UnaryOp<"acosh"> {
  let summary = "inverse hyperbolic cosine, element-wise";
  let description = [{
    `torch.acosh`. ```mlir
    %y = lathe.acosh %x : tensor<8xf32>
    ```
  }];
}

def Lathe_AtanhOp : Lathe_UnaryOp<"atanh"> {
  let summary = "inverse hyperbolic tangent, element-wise";
  let description = [{
    `torch.atanh`. ```mlir
    %y = lathe.atanh %x : tensor<8xf32>
    ```
  }];
}

def Lathe_SoftplusOp : Lathe_UnaryOp<"softplus"> {
  let summary = "log(1 + exp(x)), element-wise";
  let description = [{
    `torch.nn.Softplus() (beta 1)`. ```mlir
    %y = lathe.softplus %x : tensor<8xf32>
    ```
  }];
}

def Lathe_SoftsignOp : Lathe_UnaryOp<"softsign"> {
  let summary = "x / (1 + |x|), element-wise";
  let description = [{
    `torch.nn.Softsign`. ```mlir
    %y = lathe.softsign %x : tensor<8xf32>
    ```
  }];
}

def Lathe_HardSwishOp : Lathe_UnaryOp<"hard_swish"> {
  let summary = "x * relu6(x + 3) / 6, element-wise";
  let description = [{
    `torch.nn.Hardswish`. ```mlir
    %y = lathe.hard_swish %x : tensor<8xf32>
    ```
  }];
}

class Lathe_ActivationOp<string mnemonic> : Lathe_Op<mnemonic, [SameOperandsAndResultType]> {
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

// elu(x) = x > 0 ? x : alpha * (exp(x) - 1)
def Lathe_EluOp : Lathe_ActivationOp<"elu"> {
  let summary = "exponential linear unit, element-wise";
  let description = [{
    `torch.nn.ELU(alpha)`. ```mlir
    %y = lathe.elu %x {alpha = 1.0 : f32} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}

// selu(x) = gamma * (x > 0 ? x : alpha * (exp(x) - 1))
def Lathe_SeluOp : Lathe_ActivationOp<"selu"> {
  let summary = "scaled exponential linear unit, element-wise";
  let description = [{
    `torch.nn.SELU` (alpha 1.6732632, gamma 1.0507010 by default, as ONNX).
    ```mlir
    %y = lathe.selu %x : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
                   DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma);
}

// celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
def Lathe_CeluOp : Lathe_ActivationOp<"celu"> {
  let summary = "continuously differentiable exponential linear unit";
  let description = [{
    `torch.nn.CELU(alpha)`. ```mlir
    %y = lathe.celu %x {alpha = 2.0 : f32} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}

// leaky_relu(x) = x >= 0 ? x : alpha * x
def Lathe_LeakyReluOp : Lathe_ActivationOp<"leaky_relu"> {
  let summary = "leaky rectified linear unit, element-wise";
  let description = [{
    `torch.nn.LeakyReLU(negative_slope = alpha)`. ```mlir
    %y = lathe.leaky_relu %x {alpha = 0.01 : f32} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DefaultValuedAttr<F32Attr, "0.01">:$alpha);
}

// hard_sigmoid(x) = max(0, min(1, alpha * x + beta))
def Lathe_HardSigmoidOp : Lathe_ActivationOp<"hard_sigmoid"> {
  let summary = "piecewise-linear sigmoid, element-wise";
  let description = [{
    ONNX HardSigmoid; `torch.nn.Hardsigmoid` is alpha 1/6, beta 0.5.
    ```mlir
    %y = lathe.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
                   DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                   DefaultValuedAttr<F32Attr, "0.5">:$beta);
}

// thresholded_relu(x) = x > alpha ? x : 0
def Lathe_ThresholdedReluOp : Lathe_ActivationOp<"thresholded_relu"> {
  let summary = "zero below a threshold, element-wise";
  let description = [{
    `torch.nn.Threshold(alpha, 0)`. ```mlir
    %y = lathe.thresholded_relu %x {alpha = 1.0 : f32} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}

// shrink(x) = x < -lambd ? x + bias : (x > lambd ? x - bias : 0)
def Lathe_ShrinkOp : Lathe_ActivationOp<"shrink"> {
  let summary = "soft or hard shrinkage, element-wise";
  let description = [{
    `torch.nn.Hardshrink(lambd)` is bias 0, `torch.nn.Softshrink(lambd)` is
    bias = lambd. ```mlir
    %y = lathe.shrink %x {bias = 0.5 : f32, lambd = 0.5 : f32} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
                   DefaultValuedAttr<F32Attr, "0.0">:$bias,
                   DefaultValuedAttr<F32Attr, "0.5">:$lambd);
}

// clip(x) = min(max(x, min), max)
def Lathe_ClipOp : Lathe_ActivationOp<"clip"> {
  let summary = "clamp to [min, max], element-wise";
  let description = [{
    `torch.clamp` / `torch.nn.Hardtanh` / `ReLU6`; a missing bound is
    infinite. NaN stays NaN. ```mlir
    %y = lathe.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let results = (outs Lathe_ArithTensor:$result);
}

// gelu(x) = x * Phi(x), or the tanh approximation
def Lathe_GeluOp : Lathe_ActivationOp<"gelu"> {
  let summary = "Gaussian error linear unit, element-wise";
  let description = [{
    `torch.nn.GELU(approximate)`: `0.5 x (1 + erf(x / sqrt 2))`, or with
    `tanh` set `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
    ```mlir
    %y = lathe.gelu %x {tanh} : tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, UnitAttr:$tanh);
}

// cumsum(x)[.., i, ..] = sum over j <= i (j < i exclusive; j >= i reverse)
def Lathe_CumSumOp : Lathe_Op<"cumsum", [SameOperandsAndResultType]> {
  let summary = "cumulative sum along an axis";
  let description = [{
    `torch.cumsum(x, axis)`; `exclusive` leaves the current element out,
    `reverse` sums from the end. ```mlir
    %y = lathe.cumsum %x {axis = 1 : i64, reverse} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, I64Attr:$axis,
                   UnitAttr:$exclusive, UnitAttr:$reverse);
  let results = (outs Lathe_ArithTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

// one_hot(i, [off, on])[.., k, ..] = wrap(i[..]) == k ? on : off
def Lathe_OneHotOp : Lathe_Op<"one_hot", [InferTypeOpAdaptor]> {
  let summary = "one-hot encoding of class indices";
  let description = [{
    `torch.nn.functional.one_hot`, generalized as ONNX OneHot: a new
    dimension of size `depth` at `axis` of the result; `values` holds
    `[off, on]`. Negative indices count from `depth`; indices outside
    `[-depth, depth)` give an all-`off` row. ```mlir
    %y = lathe.one_hot %i, %v {axis = 1 : i64, depth = 10 : i64}
        : (tensor<4xi64>, tensor<2xf32>) -> tensor<4x10xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I32, I64]>:$indices,
                   Lathe_NumericTensor:$values, I64Attr:$depth, I64Attr:$axis);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat = [{
    $indices `,` $values attr-dict `:` `(` type($indices) `,` type($values)
    `)` `->` type($result)
  }];
}

// einsum(a, b, ...)[out] = sum over the other letters of prod(inputs)
def Lathe_EinsumOp : Lathe_Op<"einsum", [InferTypeOpAdaptor]> {
  let summary = "Einstein summation";
  let description = [{
    `torch.einsum` in explicit form: `equation` names each input's
    dimensions with one letter each (a letter repeated within one input
    takes its diagonal), then `->` and the result's letters; letters missing
    from the result are summed over. Every use of a letter must have one
    size. (The frontend expands `...` and the implicit form.)
    ```mlir
    %y = lathe.einsum(%a, %b) {equation = "bij,bjk->bik"}
        : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
    ```
  }];
  let arguments = (ins Variadic<Lathe_NumericTensor>:$inputs, StrAttr:$equation);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat = "`(` $inputs `)` attr-dict `:` functional-type($inputs, results)";
}

class Lathe_BinaryOp<string mnemonic, list<Trait> traits = [],
                     Type tensor = Lathe_ArithTensor>
    : Lathe_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])> {
  let arguments = (ins tensor:$lhs, tensor:$rhs);
  let results = (outs tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

// add(a, b)[i] = a[bcast(i)] + b[bcast(i)], NumPy broadcasting
def Lathe_AddOp : Lathe_BinaryOp<"add"> {
  let summary = "broadcasting addition";
  let description = [{
    `torch.add` with NumPy-style broadcasting (trailing dimensions aligned, size-1
    dimensions stretched). ```mlir
    %y = lathe.add %a, %b : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
    ```
  }];
}

def Lathe_SubOp : Lathe_BinaryOp<"sub"> {
  let summary = "broadcasting subtraction";
  let description = [{
    `torch.sub` with NumPy-style broadcasting. ```mlir
    %y = lathe.sub %a, %b : tensor<8x16xf32>, tensor<1x16xf32> -> tensor<8x16xf32>
    ```
  }];
}

def Lathe_MulOp : Lathe_BinaryOp<"mul"> {
  let summary = "broadcasting multiplication";
  let description = [{
    `torch.mul` with NumPy-style broadcasting. ```mlir
    %y = lathe.mul %a, %b : tensor<8x16xf32>, tensor<f32> -> tensor<8x16xf32>
    ```
  }];
}

def Lathe_DivOp : Lathe_BinaryOp<"div"> {
  let summary = "broadcasting true division";
  let description = [{
    `torch.div` with NumPy-style broadcasting. ```mlir
    %y = lathe.div %a, %b : tensor<8x16xf32>, tensor<8x1xf32> -> tensor<8x16xf32>
    ```
  }];
}


def Lathe_PowOp : Lathe_BinaryOp<"pow"> {
  let summary = "broadcasting power";
  let description = [{
    `torch.pow` with NumPy-style broadcasting. ```mlir
    %y = lathe.pow %a, %b : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
    ```
  }];
}

def Lathe_MaxOp : Lathe_BinaryOp<"max"> {
  let summary = "broadcasting element-wise maximum (NaN propagates)";
  let description = [{
    `torch.maximum`. ```mlir
    %y = lathe.max %a, %b : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
    ```
  }];
}

def Lathe_MinOp : Lathe_BinaryOp<"min"> {
  let summary = "broadcasting element-wise minimum (NaN propagates)";
  let description = [{
    `torch.minimum`. ```mlir
    %y = lathe.min %a, %b : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
    ```
  }];
}

// mod(a, b) = a - b * floor(a / b) (sign of b), or fmod: a - b * trunc(a / b)
def Lathe_ModOp : Lathe_BinaryOp<"mod"> {
  let summary = "broadcasting remainder";
  let description = [{
    `torch.remainder` (the result takes the divisor's sign, as Python's `%`),
    or with `fmod` set `torch.fmod` (the dividend's sign, C `fmod`). Integer
    division by zero is undefined. ```mlir
    %y = lathe.mod %a, %b {fmod} : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$lhs, Lathe_ArithTensor:$rhs,
                   UnitAttr:$fmod);
}

// shift_left(a, b) = a << b; shift_right(a, b) = a >> b
def Lathe_ShiftLeftOp : Lathe_BinaryOp<"shift_left", [], Lathe_IntegerTensor> {
  let summary = "broadcasting bitwise left shift";
  let description = [{
    `torch.bitwise_left_shift` (ONNX `BitShift` LEFT). A shift by the element
    width or more (or, for signed amounts, by a negative amount) gives 0.
    ```mlir
    %y = lathe.shift_left %a, %b : tensor<8xui8>, tensor<ui8> -> tensor<8xui8>
    ```
  }];
}

def Lathe_ShiftRightOp : Lathe_BinaryOp<"shift_right", [], Lathe_IntegerTensor> {
  let summary = "broadcasting bitwise right shift";
  let description = [{
    `torch.bitwise_right_shift` (ONNX `BitShift` RIGHT): logical on unsigned
    elements, arithmetic (sign-filling) on signed ones. A shift by the
    element width or more (or by a negative amount) gives 0, or -1 for a
    negative signed value. ```mlir
    %y = lathe.shift_right %a, %b : tensor<8xui8>, tensor<ui8> -> tensor<8xui8>
    ```
  }];
}

// prelu(x, slope) = x >= 0 ? x : slope * x
def Lathe_PReluOp : Lathe_BinaryOp<"prelu", [], Lathe_FloatTensor> {
  let summary = "parametric leaky ReLU with a broadcast slope";
  let description = [{
    `torch.nn.PReLU`: the learned slope broadcasts against the input.
    ```mlir
    %y = lathe.prelu %x, %slope : tensor<1x3x4xf32>, tensor<3x1xf32> -> tensor<1x3x4xf32>
    ```
  }];
}

class Lathe_CompareOp<string mnemonic, string relation, string torch>
    : Lathe_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "broadcasting comparison a " # relation # " b, giving booleans";
  let description = [{
    `}] # torch # [{` with NumPy-style broadcasting, on float or signless
    integer tensors (NaN compares unequal and unordered). ```mlir
    %y = lathe.}] # mnemonic # [{ %a, %b : tensor<8xf32>, tensor<f32> -> tensor<8xi1>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$lhs, Lathe_AnyTensor:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Lathe_EqualOp : Lathe_CompareOp<"equal", "==", "torch.eq">;
def Lathe_GreaterOp : Lathe_CompareOp<"greater", ">", "torch.gt">;
def Lathe_GreaterEqualOp : Lathe_CompareOp<"greater_equal", ">=", "torch.ge">;
def Lathe_LessOp : Lathe_CompareOp<"less", "<", "torch.lt">;
def Lathe_LessEqualOp : Lathe_CompareOp<"less_equal", "<=", "torch.le">;

class Lathe_LogicalOp<string mnemonic, string torch>
    : Lathe_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "broadcasting logical " # mnemonic # " of booleans";
  let description = [{
    `}] # torch # [{` with NumPy-style broadcasting. ```mlir
    %y = lathe.}] # mnemonic # [{ %a, %b : tensor<8xi1>, tensor<8xi1> -> tensor<8xi1>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$lhs, RankedTensorOf<[I1]>:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Lathe_AndOp : Lathe_LogicalOp<"and", "torch.logical_and">;
def Lathe_OrOp : Lathe_LogicalOp<"or", "torch.logical_or">;
def Lathe_XorOp : Lathe_LogicalOp<"xor", "torch.logical_xor">;

def Lathe_NotOp : Lathe_Op<"not", [SameOperandsAndResultType]> {
  let summary = "logical negation of booleans";
  let description = [{
    `torch.logical_not`. ```mlir
    %y = lathe.not %a : tensor<8xi1>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$input);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

// where(c, a, b)[i] = c[i] ? a[i] : b[i], all broadcast
def Lathe_WhereOp : Lathe_Op<"where", [InferTypeOpAdaptor]> {
  let summary = "element-wise selection by a boolean condition";
  let description = [{
    `torch.where(condition, a, b)` with NumPy-style broadcasting of all three.
    ```mlir
    %y = lathe.where %c, %a, %b : tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$condition, Lathe_AnyTensor:$lhs,
                   Lathe_AnyTensor:$rhs);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` type($condition) "
                       "`,` type($lhs) `,` type($rhs) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Math: contractions
//===----------------------------------------------------------------------===//

// gemm(A, B, C) = alpha * op(A) op(B) + beta * C
def Lathe_GemmOp : Lathe_Op<"gemm", [InferTypeOpAdaptor]> {
  let summary = "general matrix multiply, the form of torch.nn.Linear";
  let description = [{
    `Y = alpha * op(A) * op(B) + beta * C`, where `op` transposes its operand when
    `trans_a` / `trans_b` is set and `C` (optional) broadcasts to the `M x N`
    result. `torch.nn.Linear(in, out)` is `gemm(x, W, b) {trans_b = true}`.
    ```mlir
    %y = lathe.gemm %x, %w, %b {trans_b = true}
        : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$a, Lathe_FloatTensor:$b,
                   Optional<Lathe_FloatTensor>:$c,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat =
      "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)";
}

// matmul(a, b) = torch.matmul(a, b)
def Lathe_MatmulOp : Lathe_Op<"matmul", [InferTypeOpAdaptor]> {
  let summary = "matrix product with torch.matmul's rank rules";
  let description = [{
    Floats, or signed integers accumulated in their own type (quantized
    models multiply int32 values). 1-D operands are promoted to matrices (and the added dimension removed from
    the result); batch dimensions broadcast NumPy-style.
    ```mlir
    %y = lathe.matmul %a, %b : tensor<2x4x16xf32>, tensor<16x8xf32> -> tensor<2x4x8xf32>
    ```
  }];
  let arguments = (ins Lathe_NumericTensor:$lhs, Lathe_NumericTensor:$rhs);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Math: reductions
//===----------------------------------------------------------------------===//

class Lathe_ReduceOp<string mnemonic, string torch, string formula,
                     Type tensor = Lathe_NumericTensor>
    : Lathe_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = formula # " over the listed axes";
  let description = [{
    `}] # torch # [{` over `axes` (sorted, distinct, non-negative; empty
    means no reduction: the result is the input). With `keepdims` the reduced
    dimensions stay with size 1, as `keepdim=True`.
    ```mlir
    %y = lathe.}] # mnemonic # [{ %x {axes = array<i64: 1>, keepdims = false}
        : tensor<4x10xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins tensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Lathe_ReduceSumOp : Lathe_ReduceOp<"reduce_sum", "torch.sum", "sum", Lathe_ArithTensor>;
def Lathe_ReduceMeanOp : Lathe_ReduceOp<"reduce_mean", "torch.mean", "mean", Lathe_ArithTensor>;
def Lathe_ReduceMaxOp : Lathe_ReduceOp<"reduce_max", "torch.amax", "maximum", Lathe_ArithTensor>;
def Lathe_ReduceMinOp : Lathe_ReduceOp<"reduce_min", "torch.amin", "minimum", Lathe_ArithTensor>;
def Lathe_ReduceProdOp : Lathe_ReduceOp<"reduce_prod", "torch.prod", "product", Lathe_ArithTensor>;
def Lathe_ReduceL1Op
    : Lathe_ReduceOp<"reduce_l1", "torch.linalg.vector_norm(ord=1)", "sum of |x|">;
def Lathe_ReduceL2Op
    : Lathe_ReduceOp<"reduce_l2", "torch.linalg.vector_norm(ord=2)", "sqrt of sum of x^2">;
def Lathe_ReduceSumSquareOp
    : Lathe_ReduceOp<"reduce_sum_square", "torch.sum(x * x)", "sum of x^2">;
def Lathe_ReduceLogSumOp
    : Lathe_ReduceOp<"reduce_log_sum", "torch.log(torch.sum(x))", "log of sum">;
def Lathe_ReduceLogSumExpOp
    : Lathe_ReduceOp<"reduce_log_sum_exp", "torch.logsumexp", "log of sum of exp (stable)">;

class Lathe_ArgReduceOp<string mnemonic, string torch>
    : Lathe_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "index of the " # !if(!eq(mnemonic, "argmax"), "largest", "smallest") # " element along an axis";
  let description = [{
    `}] # torch # [{(dim=axis, keepdim)`: int64 indices; ties give the first
    index, or the last with `select_last_index`. ```mlir
    %i = lathe.}] # mnemonic # [{ %x {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4x1xi64>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                   DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Lathe_ArgMaxOp : Lathe_ArgReduceOp<"argmax", "torch.argmax">;
def Lathe_ArgMinOp : Lathe_ArgReduceOp<"argmin", "torch.argmin">;

//===----------------------------------------------------------------------===//
// NN: convolution, normalization, pooling, softmax
//===----------------------------------------------------------------------===//

// conv2d(x, w, b)[n, f, oh, ow] =
//   b[f] + sum_{c in group(f), kh, kw} x[n, c, oh*s0 + kh*d0 - p_top, ow*s1 + kw*d1 - p_left] * w[f, c', kh, kw]
def Lathe_Conv2dOp : Lathe_Op<"conv2d", [InferTypeOpAdaptor]> {
  let summary = "2-D convolution over an NCHW input";
  let description = [{
    `torch.nn.Conv2d`, on floats or (for quantized models) signed integers
    accumulated in their own type. `weight` is `F x C/groups x KH x KW`; `bias` (optional) is
    `F`. `pads` is `[top, left, bottom, right]` (asymmetric padding allowed; zero
    fill), `strides` and `dilations` are `[h, w]`. The output is
    `floor((H + top + bottom - d0*(KH-1) - 1) / s0) + 1` high, likewise wide.
    ```mlir
    %y = lathe.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = (ins Lathe_NumericTensor:$input, Lathe_NumericTensor:$weight,
                   Optional<Lathe_NumericTensor>:$bias,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

// conv_transpose2d(x, w) = the gradient of conv2d with respect to its input
def Lathe_ConvTranspose2dOp : Lathe_Op<"conv_transpose2d", [InferTypeOpAdaptor]> {
  let summary = "2-D transposed convolution over an NCHW input";
  let description = [{
    `torch.nn.ConvTranspose2d`. `weight` is `C x F/groups x KH x KW`; `bias`
    (optional) is `F`. `pads` (`[top, left, bottom, right]`) crop the full
    output; `output_padding` adds rows/columns at the bottom/right. The
    output is `(H - 1) * s0 - top - bottom + d0 * (KH - 1) + output_padding0
    + 1` high, likewise wide.
    ```mlir
    %y = lathe.conv_transpose2d %x, %w {strides = array<i64: 2, 2>}
        : (tensor<1x4x3x3xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x7x7xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Optional<Lathe_FloatTensor>:$bias,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$output_padding,
                   DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

// batch_norm(x) = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c]
def Lathe_BatchNormOp : Lathe_Op<"batch_norm", [InferTypeOpAdaptor]> {
  let summary = "batch normalization with running statistics (inference)";
  let description = [{
    `torch.nn.BatchNorm1d/2d/3d` in evaluation mode: channel dimension 1,
    running `mean` and `var` of size C. `momentum` is kept for training.
    ```mlir
    %y = lathe.batch_norm %x, %scale, %bias, %mean, %var {epsilon = 1.0e-05 : f32}
        : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
           tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Lathe_FloatTensor:$bias, Lathe_FloatTensor:$mean,
                   Lathe_FloatTensor:$var,
                   DefaultValuedAttr<F32Attr, "1e-5">:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.1">:$momentum);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale `,` $bias `,` $mean `,` $var attr-dict "
                       "`:` functional-type(operands, results)";
}

// layer_norm(x) = (x - mean) / sqrt(var + epsilon) * scale + bias over dims [axis, rank)
def Lathe_LayerNormOp : Lathe_Op<"layer_norm", [InferTypeOpAdaptor]> {
  let summary = "layer normalization over the trailing dimensions";
  let description = [{
    `torch.nn.LayerNorm`: mean and (biased) variance over dimensions
    `[axis, rank)`; `scale` and the optional `bias` broadcast against those
    dimensions. Also returns the mean and 1 / sqrt(var + epsilon), shaped as
    the input with size 1 in the normalized dimensions (what the backward
    pass needs). ```mlir
    %y, %mean, %rstd = lathe.layer_norm %x, %scale, %bias {axis = 1 : i64}
        : (tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>)
        -> (tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Optional<Lathe_FloatTensor>:$bias, I64Attr:$axis,
                   DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs Lathe_FloatTensor:$result, Lathe_FloatTensor:$mean,
                 Lathe_FloatTensor:$inv_std_dev);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

def Lathe_GroupNormOp : Lathe_Op<"group_norm", [InferTypeOpAdaptor]> {
  let summary = "group normalization (instance normalization at groups = C)";
  let description = [{
    `torch.nn.GroupNorm(groups, C, eps)` / `torch.nn.InstanceNorm*d(affine)`:
    the channels of an `N x C x ...` input split into `groups` groups; each
    (sample, group) is normalized by its own mean and (biased) variance, then
    scaled and shifted per channel. Also returns the `N x groups` mean and
    1 / sqrt(var + epsilon). ```mlir
    %y, %m, %r = lathe.group_norm %x, %scale, %bias {groups = 2 : i64}
        : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
        -> (tensor<1x4x8x8xf32>, tensor<1x2xf32>, tensor<1x2xf32>)
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Lathe_FloatTensor:$bias, I64Attr:$groups,
                   DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs Lathe_FloatTensor:$result, Lathe_FloatTensor:$mean,
                 Lathe_FloatTensor:$inv_std_dev);
  let assemblyFormat = "$input `,` $scale `,` $bias attr-dict `:` "
                       "functional-type(operands, results)";
}

// max_pool2d(x)[n, c, oh, ow] = max_{kh, kw} x[n, c, oh*s0 + kh*d0 - p_top, ow*s1 + kw*d1 - p_left]
def Lathe_MaxPool2dOp : Lathe_Op<"max_pool2d", [InferTypeOpAdaptor]> {
  let summary = "2-D max pooling over an NCHW input";
  let description = [{
    `torch.nn.MaxPool2d`. Padding is `-inf`; with `ceil_mode` the output size
    rounds up, but a window must start inside the input or its left padding.
    ```mlir
    %y = lathe.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
        : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
  let results = (outs Lathe_ArithTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Lathe_MaxPoolIndicesOp : Lathe_Op<"max_pool_with_indices", [InferTypeOpAdaptor]> {
  let summary = "2-D or 3-D max pooling that also returns where each maximum was";
  let description = [{
    `torch.nn.MaxPool2d/3d(return_indices=True)` over an `N x C x H x W` or
    `N x C x D x H x W` input, with the indices as ONNX defines them: the
    row-major offset of each chosen element in the whole input
    (`((n C + c) H + h) W + w` in 2-D; PyTorch's per-plane offset is that
    minus the plane's start). With `column_major` (ONNX storage_order=1)
    the spatial part of the offset is column-major instead
    (`(n C + c) H W + w H + h`). The first maximum of a window wins. A 1-D
    pooling is the 2-D one over `H = 1`, whose offsets are the same.
    Strides, pads (all begins, then all ends) and dilations have one entry
    per spatial dimension.
    ```mlir
    %y, %i = lathe.max_pool_with_indices %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
        pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
        : tensor<1x4x8x8xf32> -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>)
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, DenseI64ArrayAttr:$kernel,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "false">:$column_major);
  let results = (outs Lathe_ArithTensor:$result, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` `(` type($result) `,` type($indices) `)`";
}

// avg_pool2d(x)[n, c, oh, ow] = sum_window x / count(window)
def Lathe_AvgPool2dOp : Lathe_Op<"avg_pool2d", [InferTypeOpAdaptor]> {
  let summary = "2-D average pooling over an NCHW input";
  let description = [{
    `torch.nn.AvgPool2d`. With `count_include_pad` the divisor counts the zero
    padding (but never the extra positions `ceil_mode` adds past it); without,
    only input elements.
    ```mlir
    %y = lathe.avg_pool2d %x {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>}
        : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "true">:$count_include_pad);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

// adaptive_avg_pool2d(x)[n, c, i, j] = mean of x[n, c, floor(i*H/OH) : ceil((i+1)*H/OH), ...]
def Lathe_Conv3dOp : Lathe_Op<"conv3d", [InferTypeOpAdaptor]> {
  let summary = "3-D convolution over an NCDHW input";
  let description = [{
    `torch.nn.Conv3d`: as `conv2d` with a depth dimension. `weight` is
    `F x C/groups x KD x KH x KW`; `pads` is `[front, top, left, back,
    bottom, right]`; `strides` and `dilations` are `[d, h, w]`.
    ```mlir
    %y = lathe.conv3d %x, %w {pads = array<i64: 1, 1, 1, 1, 1, 1>}
        : (tensor<1x2x4x4x4xf32>, tensor<3x2x3x3x3xf32>) -> tensor<1x3x4x4x4xf32>
    ```
  }];
  let arguments = (ins Lathe_NumericTensor:$input, Lathe_NumericTensor:$weight,
                   Optional<Lathe_NumericTensor>:$bias,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

def Lathe_ConvTranspose3dOp : Lathe_Op<"conv_transpose3d", [InferTypeOpAdaptor]> {
  let summary = "3-D transposed convolution over an NCDHW input";
  let description = [{
    `torch.nn.ConvTranspose3d`: as `conv_transpose2d` with a depth dimension
    (`pads` is `[front, top, left, back, bottom, right]`).
    ```mlir
    %y = lathe.conv_transpose3d %x, %w {strides = array<i64: 2, 2, 2>}
        : (tensor<1x4x3x3x3xf32>, tensor<4x2x3x3x3xf32>) -> tensor<1x2x7x7x7xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Optional<Lathe_FloatTensor>:$bias,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$dilations,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0}">:$output_padding,
                   DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

def Lathe_MaxPool3dOp : Lathe_Op<"max_pool3d", [InferTypeOpAdaptor]> {
  let summary = "3-D max pooling over an NCDHW input";
  let description = [{
    `torch.nn.MaxPool3d`, as `max_pool2d` with a depth dimension.
    ```mlir
    %y = lathe.max_pool3d %x {kernel = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>}
        : tensor<1x4x8x8x8xf32> -> tensor<1x4x4x4x4xf32>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
  let results = (outs Lathe_ArithTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Lathe_AvgPool3dOp : Lathe_Op<"avg_pool3d", [InferTypeOpAdaptor]> {
  let summary = "3-D average pooling over an NCDHW input";
  let description = [{
    `torch.nn.AvgPool3d`, as `avg_pool2d` with a depth dimension.
    ```mlir
    %y = lathe.avg_pool3d %x {kernel = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>}
        : tensor<1x4x8x8x8xf32> -> tensor<1x4x4x4x4xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0, 0, 0}">:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "true">:$count_include_pad);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Lathe_AdaptiveAvgPool2dOp
    : Lathe_Op<"adaptive_avg_pool2d", [InferTypeOpAdaptor]> {
  let summary = "2-D adaptive average pooling to a fixed output size";
  let description = [{
    `torch.nn.AdaptiveAvgPool2d`; global average pooling is `output_size = [1, 1]`.
    ```mlir
    %y = lathe.adaptive_avg_pool2d %x {output_size = array<i64: 1, 1>}
        : tensor<1x512x7x7xf32> -> tensor<1x512x1x1xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DenseI64ArrayAttr:$output_size);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

class Lathe_SoftmaxBase<string mnemonic>
    : Lathe_Op<mnemonic, [SameOperandsAndResultType]> {
  let arguments = (ins Lathe_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

// softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x), along `axis`
def Lathe_SoftmaxOp : Lathe_SoftmaxBase<"softmax"> {
  let summary = "softmax along one axis";
  let description = [{
    `torch.nn.Softmax(dim=axis)`; `axis` is non-negative (frontends normalize it).
    ```mlir
    %y = lathe.softmax %x {axis = 1 : i64} : tensor<4x10xf32>
    ```
  }];
}

// log_softmax(x)_i = x_i - max x - log sum_j exp(x_j - max x), along `axis`
def Lathe_LogSoftmaxOp : Lathe_SoftmaxBase<"log_softmax"> {
  let summary = "log of softmax along one axis";
  let description = [{
    `torch.nn.LogSoftmax(dim=axis)`. ```mlir
    %y = lathe.log_softmax %x {axis = 1 : i64} : tensor<4x10xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Tensor: shape and layout
//===----------------------------------------------------------------------===//

def Lathe_ReshapeOp : Lathe_Op<"reshape"> {
  let summary = "reinterpret a tensor's elements in row-major order";
  let description = [{
    `torch.reshape` and `torch.flatten`: the result type names the new static
    shape, which must hold as many elements as the input.
    ```mlir
    %y = lathe.reshape %x : tensor<1x16x4x4xf32> -> tensor<1x256xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

// transpose(x)[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]
def Lathe_TransposeOp : Lathe_Op<"transpose", [InferTypeOpAdaptor]> {
  let summary = "permute dimensions";
  let description = [{
    `torch.permute`: result dimension `k` is input dimension `perm[k]`.
    ```mlir
    %y = lathe.transpose %x {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

// concat(a, b)[..., i, ...] = i < size_a ? a[..., i, ...] : b[..., i - size_a, ...]
def Lathe_ConcatOp : Lathe_Op<"concat", [InferTypeOpAdaptor]> {
  let summary = "join tensors along one axis";
  let description = [{
    `torch.cat(dim=axis)`: every input has the same rank, element type and
    sizes except along `axis` (non-negative). ```mlir
    %y = lathe.concat(%a, %b) {axis = 1 : i64}
        : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Lathe_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat =
      "`(` $inputs `)` attr-dict `:` functional-type($inputs, results)";
}

// slice(x)[i] = x[starts + i * steps]
def Lathe_SliceOp : Lathe_Op<"slice", [InferTypeOpAdaptor]> {
  let summary = "a strided window of a tensor";
  let description = [{
    `x[a:b:s, ...]` / `torch.narrow`: per dimension a start, a size and a
    positive step (resolved by the frontend from ONNX's starts/ends/axes/
    steps). ```mlir
    %y = lathe.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: 2, 3>,
                         steps = array<i64: 1, 2>} : tensor<2x8xf32> -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$steps);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

// expand(x)[i] = x[bcast(i)]
// flip(x)[.., i, ..] = x[.., n - 1 - i, ..] for each flipped dimension
def Lathe_FlipOp : Lathe_Op<"flip", [SameOperandsAndResultType]> {
  let summary = "reverse the order of elements along dimensions";
  let description = [{
    `torch.flip(x, dims)`; also what an ONNX Slice with negative steps
    becomes (a positive-step slice, then a flip). ```mlir
    %y = lathe.flip %x {dims = array<i64: 1>} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Lathe_ExpandOp : Lathe_Op<"expand"> {
  let summary = "broadcast a tensor to a larger shape";
  let description = [{
    `Tensor.expand` / ONNX Expand: the result type names the shape, which the
    input broadcasts to NumPy-style. ```mlir
    %y = lathe.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

// pad(x)[i] = x[i - low] inside, value outside
def Lathe_PadModeAttr : I64EnumAttr<"PadMode", "how padding is filled", [
    I64EnumAttrCase<"constant", 0>, I64EnumAttrCase<"reflect", 1>,
    I64EnumAttrCase<"edge", 2>, I64EnumAttrCase<"wrap", 3>]> {
  let cppNamespace = "::lathe";
}

def Lathe_PadOp : Lathe_Op<"pad", [InferTypeOpAdaptor]> {
  let summary = "padding of every dimension";
  let description = [{
    `torch.nn.functional.pad` with mode `constant` (0, the default: `value`),
    `reflect` (1: mirrored without repeating the edge; pads below the
    dimension's size), `edge` (2: `replicate`) or `wrap` (3: `circular`; pads
    up to the dimension's size). `pads` holds the low pads of every
    dimension, then the high pads (ONNX order); all are non-negative.
    ```mlir
    %y = lathe.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f64}
        : tensor<1x3x4x4xf32> -> tensor<1x3x6x6xf32>
    %z = lathe.pad %x {mode = 1 : i64, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>}
        : tensor<1x3x4x4xf32> -> tensor<1x3x6x6xf32>
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<F64Attr, "0.0">:$value,
                   DefaultValuedAttr<Lathe_PadModeAttr, "::lathe::PadMode::constant">:$mode);
  let results = (outs Lathe_ArithTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

class Lathe_TriangleOp<string mnemonic, string keep>
    : Lathe_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "keep the " # keep # " triangle of the last two dimensions";
  let description = [{
    `torch.}] # mnemonic # [{(diagonal)`: element (i, j) of each matrix is kept
    when j - i is }] # !if(!eq(mnemonic, "triu"), ">=", "<=") # [{ `diagonal`, else zero.
    ```mlir
    %y = lathe.}] # mnemonic # [{ %x {diagonal = 1 : i64} : tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input,
                   DefaultValuedAttr<I64Attr, "0">:$diagonal);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Lathe_TriuOp : Lathe_TriangleOp<"triu", "upper">;
def Lathe_TrilOp : Lathe_TriangleOp<"tril", "lower">;

// cast(x)[i] = convert(x[i])
def Lathe_CastOp : Lathe_Op<"cast", [SameOperandsAndResultShape]> {
  let summary = "element type conversion";
  let description = [{
    `Tensor.to(dtype)` between float (f16, bf16, f32, f64), signed and
    unsigned integer (8 to 64 bits) and boolean (`i1`) elements. Float to
    integer truncates toward zero; anything to boolean is `x != 0`; integers
    wrap when narrowed and widen by their own signedness.
    ```mlir
    %y = lathe.cast %x : tensor<8xf32> to tensor<8xi64>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat, Lathe_IntElement,
                                      Lathe_UnsignedElement, I1]>:$input);
  let results = (outs RankedTensorOf<[AnyFloat, Lathe_IntElement,
                                     Lathe_UnsignedElement, I1]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
}

// gather(x, idx)[a, i, b] = x[a, idx[i], b]   (a: dims before axis)
def Lathe_GatherOp : Lathe_Op<"gather", [InferTypeOpAdaptor]> {
  let summary = "select slices along an axis by run-time indices";
  let description = [{
    `torch.index_select` / `nn.Embedding` / `torch.take` along one axis: the
    result is `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Negative
    indices count from the end; an index outside `[-n, n)` is clamped to the
    nearest valid one (the generated code never reads out of bounds).
    ```mlir
    %y = lathe.gather %table, %ids {axis = 0 : i64}
        : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<2x5x16xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input,
                   RankedTensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` `(` type($input) `,` type($indices) `)`
    `->` type($result)
  }];
}

// gather_elements(x, idx)[i..., j, k...] = x[i..., idx[i..., j, k...], k...]
def Lathe_GatherElementsOp : Lathe_Op<"gather_elements", [InferTypeOpAdaptor]> {
  let summary = "pick one element along an axis per index";
  let description = [{
    `torch.gather(x, axis, indices)`: indices have the input's rank and are
    no larger in any other dimension; the result has the indices' shape.
    Negative indices count from the end; out-of-range ones are clamped.
    ```mlir
    %y = lathe.gather_elements %x, %ids {axis = 1 : i64}
        : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input,
                   RankedTensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` `(` type($input) `,` type($indices) `)`
    `->` type($result)
  }];
}

def Lathe_ResizeModeAttr : I64EnumAttr<"ResizeMode", "how resize interpolates", [
    I64EnumAttrCase<"nearest", 0>, I64EnumAttrCase<"linear", 1>,
    I64EnumAttrCase<"cubic", 2>]> {
  let cppNamespace = "::lathe";
}

def Lathe_CoordinateModeAttr : I64EnumAttr<"CoordinateMode",
    "how an output coordinate maps to an input coordinate", [
    I64EnumAttrCase<"half_pixel", 0>, I64EnumAttrCase<"pytorch_half_pixel", 1>,
    I64EnumAttrCase<"align_corners", 2>, I64EnumAttrCase<"asymmetric", 3>,
    I64EnumAttrCase<"tf_crop_and_resize", 4>,
    I64EnumAttrCase<"half_pixel_symmetric", 5>,
    I64EnumAttrCase<"tf_half_pixel_for_nn", 6>]> {
  let cppNamespace = "::lathe";
}

def Lathe_NearestModeAttr : I64EnumAttr<"NearestMode",
    "how nearest resize rounds", [
    I64EnumAttrCase<"round_prefer_floor", 0>, I64EnumAttrCase<"round_prefer_ceil", 1>,
    I64EnumAttrCase<"floor", 2>, I64EnumAttrCase<"ceil", 3>]> {
  let cppNamespace = "::lathe";
}

// resize(x)[o] = interpolate(x, coordinate(o))
def Lathe_ResizeOp : Lathe_Op<"resize"> {
  let summary = "nearest, (multi-)linear or cubic resampling";
  let description = [{
    `torch.nn.Upsample` / `UpsamplingNearest2d` / `UpsamplingBilinear2d` /
    `F.interpolate` and ONNX Resize: the result type gives the output size;
    `scales` (one per dimension) enter the coordinate mapping as ONNX
    defines it (`half_pixel`: `(o + 0.5) / scale - 0.5`; `align_corners`:
    `o (in - 1) / (out - 1)`; `asymmetric`: `o / scale`; `pytorch_half_pixel`
    as `half_pixel` but 0 when `out` is 1; `tf_half_pixel_for_nn`:
    `(o + 0.5) / scale`; `tf_crop_and_resize` inside `roi`
    (`[starts..., ends...]`, outside points take `extrapolation_value`)).
    Linear and cubic (coefficient `cubic_coeff_a`) taps beyond the edge
    repeat it, or with `exclude_outside` get weight 0 (the rest
    renormalized). ```mlir
    %y = lathe.resize %x {mode = 1 : i64, coordinate_mode = 2 : i64,
                          scales = array<f64: 1.0, 1.0, 2.0, 2.0>}
        : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, DenseF64ArrayAttr:$scales,
                   DefaultValuedAttr<Lathe_ResizeModeAttr, "::lathe::ResizeMode::nearest">:$mode,
                   DefaultValuedAttr<Lathe_CoordinateModeAttr, "::lathe::CoordinateMode::half_pixel">:$coordinate_mode,
                   DefaultValuedAttr<Lathe_NearestModeAttr, "::lathe::NearestMode::round_prefer_floor">:$nearest_mode,
                   DefaultValuedAttr<F64Attr, "-0.75">:$cubic_coeff_a,
                   UnitAttr:$exclude_outside,
                   DefaultValuedAttr<F64Attr, "0.0">:$extrapolation_value,
                   OptionalAttr<DenseF64ArrayAttr>:$roi);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Lathe_ScatterReductionAttr : I64EnumAttr<"ScatterReduction",
    "how a scatter combines an update with the value it lands on", [
    I64EnumAttrCase<"none", 0>, I64EnumAttrCase<"add", 1>,
    I64EnumAttrCase<"mul", 2>, I64EnumAttrCase<"max", 3>,
    I64EnumAttrCase<"min", 4>]> {
  let cppNamespace = "::lathe";
}

// scatter_elements(x, idx, u): y = x; y[i.., idx[i..], k..] (op)= u[i.., j, k..]
def Lathe_ScatterElementsOp : Lathe_Op<"scatter_elements", [InferTypeOpAdaptor]> {
  let summary = "write updates into a copy at per-element indices";
  let description = [{
    `Tensor.scatter(axis, index, src)` / `scatter_add` / `scatter_reduce`:
    `indices` and `updates` share a shape of the input's rank (no larger in
    the other dimensions). Updates apply in row-major order, so with
    duplicate indices and no `reduction` the last one wins. Negative indices
    count from the end; out-of-range ones are clamped.
    ```mlir
    %y = lathe.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = 1 : i64}
        : (tensor<3x5xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x5xf32>
    ```
  }];
  let arguments = (ins Lathe_NumericTensor:$input,
                   RankedTensorOf<[I32, I64]>:$indices,
                   Lathe_NumericTensor:$updates, I64Attr:$axis,
                   DefaultValuedAttr<Lathe_ScatterReductionAttr, "::lathe::ScatterReduction::none">:$reduction);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `,` $updates attr-dict `:` `(` type($input) `,`
    type($indices) `,` type($updates) `)` `->` type($result)
  }];
}

// scatter_nd(x, idx, u): y = x; y[idx[q..]] (op)= u[q..]
def Lathe_ScatterNdOp : Lathe_Op<"scatter_nd", [InferTypeOpAdaptor]> {
  let summary = "write update slices into a copy at index tuples";
  let description = [{
    `x.index_put_(indices, values)` / ONNX ScatterND: the last dimension of
    `indices` (size k) holds coordinates into the input's first k
    dimensions; `updates` has shape `indices.shape[:-1] + x.shape[k:]`.
    Updates apply in row-major order.
    ```mlir
    %y = lathe.scatter_nd %x, %i, %u
        : (tensor<4x6xf32>, tensor<2x1xi64>, tensor<2x6xf32>) -> tensor<4x6xf32>
    ```
  }];
  let arguments = (ins Lathe_NumericTensor:$input,
                   RankedTensorOf<[I32, I64]>:$indices,
                   Lathe_NumericTensor:$updates,
                   DefaultValuedAttr<Lathe_ScatterReductionAttr, "::lathe::ScatterReduction::none">:$reduction);
  let results = (outs Lathe_NumericTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `,` $updates attr-dict `:` `(` type($input) `,`
    type($indices) `,` type($updates) `)` `->` type($result)
  }];
}

def Lathe_GridPaddingAttr : I64EnumAttr<"GridPadding",
    "what grid_sample reads outside the input", [
    I64EnumAttrCase<"zeros", 0>, I64EnumAttrCase<"border", 1>,
    I64EnumAttrCase<"reflection", 2>]> {
  let cppNamespace = "::lathe";
}

// grid_sample(x, g)[n, c, i, j] = interpolate(x[n, c], unnormalize(g[n, i, j]))
def Lathe_GridSampleOp : Lathe_Op<"grid_sample", [InferTypeOpAdaptor]> {
  let summary = "sample an NCHW input at normalized grid points";
  let description = [{
    `torch.nn.functional.grid_sample`: `grid` is `N x Ho x Wo x 2` holding
    (x, y) in [-1, 1] (with `align_corners` the extremes are the corner
    pixels' centres, without it their outer edges); `mode` nearest (0,
    half to even), linear (1, bilinear) or cubic (2, bicubic, A = -0.75);
    `padding` zeros, border or reflection, as PyTorch defines them.
    ```mlir
    %y = lathe.grid_sample %x, %g {mode = 1 : i64}
        : (tensor<1x3x8x8xf32>, tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$grid,
                   DefaultValuedAttr<Lathe_ResizeModeAttr, "::lathe::ResizeMode::linear">:$mode,
                   DefaultValuedAttr<Lathe_GridPaddingAttr, "::lathe::GridPadding::zeros">:$padding,
                   UnitAttr:$align_corners);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grid attr-dict `:` `(` type($input) `,` type($grid) `)` `->`
    type($result)
  }];
}

def Lathe_DistributionAttr : I64EnumAttr<"Distribution",
    "what a random op draws from", [
    I64EnumAttrCase<"uniform", 0>, I64EnumAttrCase<"normal", 1>]> {
  let cppNamespace = "::lathe";
}

// random()[i] = transform(splitmix64(seed, offset + i))
def Lathe_RandomOp : Lathe_Op<"random"> {
  let summary = "random numbers from a seeded counter-based generator";
  let description = [{
    `torch.rand` / `torch.randn` / `torch.normal` (and, compared against a
    probability, `torch.bernoulli`): element `i` (row-major) is a pure
    function of `seed` and the counter `offset + i` (SplitMix64), so a run
    is reproducible bit for bit, elements are independent of how the work is
    split across threads, and a caller advances the stream by passing a new
    `offset` (absent: 0). `uniform` draws from `[a, b)` (24 random bits for
    f32, 53 for f64); `normal` has mean `a` and standard deviation `b` (Box-
    Muller on counters 2i and 2i + 1).
    ```mlir
    %u = lathe.random {distribution = 0 : i64, a = 0.0, b = 1.0, seed = 42 : i64} : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Optional<RankedTensorOf<[I64]>>:$offset,
                   DefaultValuedAttr<Lathe_DistributionAttr, "::lathe::Distribution::uniform">:$distribution,
                   DefaultValuedAttr<F64Attr, "0.0">:$a,
                   DefaultValuedAttr<F64Attr, "1.0">:$b, I64Attr:$seed);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = "($offset^ `:` type($offset))? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

// dropout(x) = x in inference; x * keep / (1 - ratio) in training
def Lathe_DropoutOp : Lathe_Op<"dropout", [AllTypesMatch<["input", "output"]>]> {
  let summary = "dropout: the identity in inference, random zeroing in training";
  let description = [{
    `torch.nn.Dropout` (and, with `channelwise`, `Dropout1d/2d/3d`, which
    drop whole channels: one draw per `N x C` position, broadcast over the
    spatial dimensions). In inference (`forward`, `eval_step`) the output is
    the input and `mask` is all true. When training, `lathe-training-mode`
    replaces the op: each element (or channel) is kept where a `lathe.random`
    uniform draw is at least `ratio`, kept elements are scaled by
    `1 / (1 - ratio)`, and `ratio = 1` zeroes everything, as PyTorch does.
    The draws come from `seed` and a counter that advances with the step
    number, so a training run is reproducible and resumes bit for bit.
    `mask` is ONNX Dropout's second output (true where kept).
    ```mlir
    %y, %m = lathe.dropout %x {ratio = 0.5, seed = 0 : i64} : tensor<4x8xf32> -> tensor<4x8xi1>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, F64Attr:$ratio,
                   DefaultValuedAttr<I64Attr, "0">:$seed, UnitAttr:$channelwise);
  let results = (outs Lathe_FloatTensor:$output, RankedTensorOf<[I1]>:$mask);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($mask)";
  let hasVerifier = 1;
}

// gather_nd(x, idx)[b.., q..] = x[b.., idx[b.., q.., :], ..]
def Lathe_GatherNdOp : Lathe_Op<"gather_nd", [InferTypeOpAdaptor]> {
  let summary = "gather slices at index tuples";
  let description = [{
    ONNX GatherND / `x[idx[..., 0], idx[..., 1], ...]`: the last dimension
    of `indices` (size k) holds coordinates into the input's dimensions
    after the first `batch_dims` (which input and indices share). The result
    is `indices.shape[:-1] + x.shape[batch_dims + k:]`. Negative coordinates
    count from the end; out-of-range ones are clamped.
    ```mlir
    %y = lathe.gather_nd %x, %i : (tensor<4x6xf32>, tensor<3x2xi64>) -> tensor<3xf32>
    ```
  }];
  let arguments = (ins Lathe_AnyTensor:$input,
                   RankedTensorOf<[I32, I64]>:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` `(` type($input) `,` type($indices) `)`
    `->` type($result)
  }];
}

// top_k(x): the k largest (or smallest) along axis, sorted, and their indices
def Lathe_TopKOp : Lathe_Op<"top_k", [InferTypeOpAdaptor]> {
  let summary = "the k largest or smallest elements along an axis";
  let description = [{
    `torch.topk(x, k, axis, largest, sorted=True)`: values in order (largest
    first, or smallest first) and their int64 indices; equal values keep
    index order. Work is quadratic in the axis length.
    ```mlir
    %v, %i = lathe.top_k %x {axis = 1 : i64, k = 2 : i64}
        : tensor<3x8xf32> -> (tensor<3x2xf32>, tensor<3x2xi64>)
    ```
  }];
  let arguments = (ins Lathe_ArithTensor:$input, I64Attr:$k, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs Lathe_ArithTensor:$values, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` `(` type($values) `,` type($indices) `)`";
}

def Lathe_ConstantOp : Lathe_Op<"constant", [ConstantLike, InferTypeOpAdaptor]> {
  let summary = "a literal tensor";
  let description = [{
    A small literal (a shape, a scale). Trained values are parameters, never
    constants. ```mlir
    %c = lathe.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Lathe_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Loss: criteria with torch.nn's reduction
//===----------------------------------------------------------------------===//

def Lathe_ReductionAttr : I64EnumAttr<"Reduction", "a loss's reduction", [
    I64EnumAttrCase<"none", 0>, I64EnumAttrCase<"mean", 1>,
    I64EnumAttrCase<"sum", 2>, I64EnumAttrCase<"batchmean", 3>]> {
  let cppNamespace = "::lathe";
}

def Lathe_IndexTensor : RankedTensorOf<[I32, I64]>;

// A torch.nn criterion: `none` keeps the per-element (or per-sample) losses,
// `mean` and `sum` reduce them to a scalar. `lathe-decompose-losses` rewrites
// each into the lathe ops of its definition, before autodiff and lowering.
class Lathe_LossOp<string mnemonic, list<Trait> traits = []>
    : Lathe_Op<mnemonic, !listconcat([InferTypeOpAdaptor], traits)> {
  let results = (outs Lathe_FloatTensor:$result);
}

class Lathe_PointwiseLossOp<string mnemonic, dag extraAttrs = (ins)>
    : Lathe_LossOp<mnemonic> {
  let arguments = !con((ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction),
      extraAttrs);
  let assemblyFormat = "$input `,` $target attr-dict `:` functional-type(operands, results)";
}

// l1_loss(x, t) = |x - t|
def Lathe_L1LossOp : Lathe_PointwiseLossOp<"l1_loss"> {
  let summary = "mean absolute error";
  let description = [{
    `torch.nn.L1Loss(reduction)`: `|x - t|` per element (shapes broadcast).
    ```mlir
    %l = lathe.l1_loss %x, %t : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
    ```
  }];
}

// mse_loss(x, t) = (x - t)^2
def Lathe_MseLossOp : Lathe_PointwiseLossOp<"mse_loss"> {
  let summary = "mean squared error";
  let description = [{
    `torch.nn.MSELoss(reduction)`: `(x - t)^2` per element.
    ```mlir
    %l = lathe.mse_loss %x, %t {reduction = 2 : i64} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
    ```
  }];
}

// smooth_l1_loss(x, t) = |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta
def Lathe_SmoothL1LossOp : Lathe_PointwiseLossOp<"smooth_l1_loss",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$beta)> {
  let summary = "smooth L1 loss";
  let description = [{
    `torch.nn.SmoothL1Loss(reduction, beta)`, `d = x - t`: quadratic below
    `beta`, linear above; `beta = 0` is the L1 loss.
    ```mlir
    %l = lathe.smooth_l1_loss %x, %t {beta = 0.5 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// huber_loss(x, t) = |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)
def Lathe_HuberLossOp : Lathe_PointwiseLossOp<"huber_loss",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$delta)> {
  let summary = "Huber loss";
  let description = [{
    `torch.nn.HuberLoss(reduction, delta)`, `d = x - t`.
    ```mlir
    %l = lathe.huber_loss %x, %t {delta = 2.0 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// soft_margin_loss(x, y) = log(1 + exp(-y x))
def Lathe_SoftMarginLossOp : Lathe_PointwiseLossOp<"soft_margin_loss"> {
  let summary = "two-class logistic loss";
  let description = [{
    `torch.nn.SoftMarginLoss(reduction)`: `log(1 + exp(-y x))` per element
    for targets `y` of 1 or -1.
    ```mlir
    %l = lathe.soft_margin_loss %x, %y : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// kl_div_loss(x, t) = t (log t - x), or exp(t) (t - x) with log_target
def Lathe_KlDivLossOp : Lathe_PointwiseLossOp<"kl_div_loss",
    (ins DefaultValuedAttr<BoolAttr, "false">:$log_target)> {
  let summary = "Kullback-Leibler divergence";
  let description = [{
    `torch.nn.KLDivLoss(reduction, log_target)` with log-probabilities `x`:
    `t (log t - x)` (0 where `t = 0`), or `exp(t) (t - x)` when the target is
    a log-probability too. `batchmean` divides the sum by the batch size
    (dimension 0); it is the only loss that accepts it.
    ```mlir
    %l = lathe.kl_div_loss %x, %t {reduction = 3 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
    ```
  }];
}

// poisson_nll_loss(x, t) = exp(x) - t x, or x - t log(x + eps)
def Lathe_PoissonNllLossOp : Lathe_PointwiseLossOp<"poisson_nll_loss",
    (ins DefaultValuedAttr<BoolAttr, "true">:$log_input,
         DefaultValuedAttr<BoolAttr, "false">:$full,
         DefaultValuedAttr<F64Attr, "1e-8">:$eps)> {
  let summary = "negative log-likelihood of a Poisson target";
  let description = [{
    `torch.nn.PoissonNLLLoss(log_input, full, eps, reduction)`: `exp(x) - t x`
    when `x` is the log of the rate, else `x - t log(x + eps)`. With `full`,
    Stirling's term `t log t - t + 0.5 log(2 pi t)` is added where `t > 1`.
    ```mlir
    %l = lathe.poisson_nll_loss %x, %t {full = true} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// hinge_embedding_loss(x, y) = y = 1 ? x : max(0, margin - x)
def Lathe_HingeEmbeddingLossOp : Lathe_PointwiseLossOp<"hinge_embedding_loss",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$margin)> {
  let summary = "hinge embedding loss";
  let description = [{
    `torch.nn.HingeEmbeddingLoss(margin, reduction)` for targets of 1 or -1:
    `x` where `y = 1`, `max(0, margin - x)` where `y = -1` (a target that is
    neither adds both terms, as PyTorch does).
    ```mlir
    %l = lathe.hinge_embedding_loss %x, %y {margin = 2.0 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
}

// bce_loss(x, t) = -w (t log x + (1 - t) log(1 - x)), each log at least -100
def Lathe_BceLossOp : Lathe_LossOp<"bce_loss"> {
  let summary = "binary cross-entropy on probabilities";
  let description = [{
    `torch.nn.BCELoss(weight, reduction)`; each log is clamped at -100 as in
    PyTorch. The optional weight broadcasts against the input.
    ```mlir
    %l = lathe.bce_loss %p, %t weight %w : (tensor<8x3xf32>, tensor<8x3xf32>, tensor<3xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// bce_with_logits_loss(x, t) = w ((1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)))
def Lathe_BceWithLogitsLossOp : Lathe_LossOp<"bce_with_logits_loss", [AttrSizedOperandSegments]> {
  let summary = "binary cross-entropy on logits";
  let description = [{
    `torch.nn.BCEWithLogitsLoss(weight, reduction, pos_weight)`, computed
    stably from the logits. `weight` broadcasts against the input;
    `pos_weight` weighs the positive term per class (the last dimension).
    ```mlir
    %l = lathe.bce_with_logits_loss %x, %t pos_weight %pw : (tensor<8x3xf32>, tensor<8x3xf32>, tensor<3xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      Optional<Lathe_FloatTensor>:$weight, Optional<Lathe_FloatTensor>:$pos_weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? (`pos_weight` $pos_weight^)? attr-dict `:` functional-type(operands, results)";
}

// multilabel_soft_margin_loss(x, y)[n] = -mean_c w_c (y log s(x) + (1 - y) log s(-x))
def Lathe_MultilabelSoftMarginLossOp : Lathe_LossOp<"multilabel_soft_margin_loss"> {
  let summary = "multi-label one-versus-all logistic loss";
  let description = [{
    `torch.nn.MultiLabelSoftMarginLoss(weight, reduction)` on `N x C` (or `C`)
    logits and 0/1 targets of that shape: the per-class logistic losses,
    weighted per class, averaged over the classes; `none` keeps one per
    sample.
    ```mlir
    %l = lathe.multilabel_soft_margin_loss %x, %y : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// cross_entropy_loss(x, t) = nll_loss(log_softmax(x, 1), t), smoothed
def Lathe_CrossEntropyLossOp : Lathe_LossOp<"cross_entropy_loss"> {
  let summary = "cross-entropy of logits against classes or probabilities";
  let description = [{
    `torch.nn.CrossEntropyLoss(weight, ignore_index, reduction,
    label_smoothing)` on `N x C x d...` (or `C`) logits. The target is either
    class indices `N x d...` (`ignore_index` counts for nothing; `mean`
    divides by the summed weights of the counted elements) or class
    probabilities of the input's shape (`mean` divides by the number of
    samples `N x d...`). `label_smoothing` mixes the target with the uniform
    distribution as PyTorch does.
    ```mlir
    %l = lathe.cross_entropy_loss %x, %t {label_smoothing = 0.1 : f64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
      RankedTensorOf<[AnyFloat, I32, I64]>:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
      DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// multi_margin_loss(x, y)[n] = sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C
def Lathe_MultiMarginLossOp : Lathe_LossOp<"multi_margin_loss"> {
  let summary = "multi-class hinge loss";
  let description = [{
    `torch.nn.MultiMarginLoss(p, margin, weight, reduction)` on `N x C` (or
    `C`) scores and class indices `N` (or a scalar); `p` is 1 or 2, the
    weight is per class and multiplies after the power.
    ```mlir
    %l = lathe.multi_margin_loss %x, %y {p = 2 : i64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_IndexTensor:$target,
      Optional<Lathe_FloatTensor>:$weight,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<I64Attr, "1">:$p,
      DefaultValuedAttr<F64Attr, "1.0">:$margin);
  let assemblyFormat = "$input `,` $target (`weight` $weight^)? attr-dict `:` functional-type(operands, results)";
}

// multilabel_margin_loss(x, y)[n] = sum_{j in y} sum_{i not in y} max(0, 1 - x_j + x_i) / C
def Lathe_MultilabelMarginLossOp : Lathe_LossOp<"multilabel_margin_loss"> {
  let summary = "multi-label hinge loss";
  let description = [{
    `torch.nn.MultiLabelMarginLoss(reduction)` on `N x C` (or `C`) scores;
    each target row lists class indices, ended by the first -1 (or by its
    end). Every listed class is pushed above every unlisted one by 1.
    ```mlir
    %l = lathe.multilabel_margin_loss %x, %y : (tensor<8x5xf32>, tensor<8x5xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_IndexTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction);
  let assemblyFormat = "$input `,` $target attr-dict `:` functional-type(operands, results)";
}

// margin_ranking_loss(x1, x2, y) = max(0, -y (x1 - x2) + margin)
def Lathe_MarginRankingLossOp : Lathe_LossOp<"margin_ranking_loss"> {
  let summary = "margin ranking loss";
  let description = [{
    `torch.nn.MarginRankingLoss(margin, reduction)`: targets of 1 say `x1`
    should rank higher, -1 that `x2` should. Shapes broadcast.
    ```mlir
    %l = lathe.margin_ranking_loss %a, %b, %y {margin = 0.5 : f64} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input1, Lathe_FloatTensor:$input2,
      Lathe_FloatTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<F64Attr, "0.0">:$margin);
  let assemblyFormat = "$input1 `,` $input2 `,` $target attr-dict `:` functional-type(operands, results)";
}

// cosine_embedding_loss(x1, x2, y)[n] = y = 1 ? 1 - cos : max(0, cos - margin)
def Lathe_CosineEmbeddingLossOp : Lathe_LossOp<"cosine_embedding_loss"> {
  let summary = "cosine embedding loss";
  let description = [{
    `torch.nn.CosineEmbeddingLoss(margin, reduction)` on `N x D` (or `D`)
    pairs and targets `N` (or a scalar) of 1 or -1; the cosine is taken
    with 1e-12 added to each squared norm, as PyTorch does.
    ```mlir
    %l = lathe.cosine_embedding_loss %a, %b, %y : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input1, Lathe_FloatTensor:$input2,
      Lathe_FloatTensor:$target,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<F64Attr, "0.0">:$margin);
  let assemblyFormat = "$input1 `,` $input2 `,` $target attr-dict `:` functional-type(operands, results)";
}

// triplet_margin_loss(a, p, n) = max(0, margin + d(a, p) - d(a, n))
def Lathe_TripletMarginLossOp : Lathe_LossOp<"triplet_margin_loss"> {
  let summary = "triplet margin loss";
  let description = [{
    `torch.nn.TripletMarginLoss(margin, p, eps, swap, reduction)` on `N x D`
    (or `D`) anchors, positives and negatives; `d(u, v) = ||u - v + eps||_p`
    over the last dimension (`torch.pairwise_distance`). With `swap` the
    negative distance is the smaller of `d(a, n)` and `d(p, n)`.
    ```mlir
    %l = lathe.triplet_margin_loss %a, %p, %n {swap = true} : (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$anchor, Lathe_FloatTensor:$positive,
      Lathe_FloatTensor:$negative,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<F64Attr, "1.0">:$margin,
      DefaultValuedAttr<F64Attr, "2.0">:$p,
      DefaultValuedAttr<F64Attr, "1e-6">:$eps,
      DefaultValuedAttr<BoolAttr, "false">:$swap);
  let assemblyFormat = "$anchor `,` $positive `,` $negative attr-dict `:` functional-type(operands, results)";
}

// ctc_loss(lp, y, Tn, Sn)[n] = -log sum over alignments of y[n, :Sn] in lp[:Tn, n]
def Lathe_CtcLossOp : Lathe_LossOp<"ctc_loss"> {
  let summary = "connectionist temporal classification loss";
  let description = [{
    `torch.nn.CTCLoss(blank, reduction, zero_infinity)` on log-probabilities
    `T x N x C`, targets either padded `N x S` or concatenated (rank 1, the
    samples' targets one after another), and per-sample input and target
    lengths `N`. The loss of a sample is minus the log of the summed
    probability of every alignment of its target to its first
    `input_lengths[n]` steps; `mean` divides each by its target length (at
    least 1) before averaging over the batch. An impossible alignment gives
    `inf`, or 0 with `zero_infinity`.
    ```mlir
    %l = lathe.ctc_loss %lp, %y, %tn, %sn : (tensor<50x8x20xf32>, tensor<8x10xi64>, tensor<8xi64>, tensor<8xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$log_probs, Lathe_IndexTensor:$targets,
      Lathe_IndexTensor:$input_lengths, Lathe_IndexTensor:$target_lengths,
      DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
      DefaultValuedAttr<I64Attr, "0">:$blank,
      DefaultValuedAttr<BoolAttr, "false">:$zero_infinity);
  let assemblyFormat = "$log_probs `,` $targets `,` $input_lengths `,` $target_lengths attr-dict `:` functional-type(operands, results)";
}

// nll_loss(x, t)[n, d...] = -w[t] * x[n, t[n, d...], d...]; 0 where t = ignore
def Lathe_NllLossOp : Lathe_Op<"nll_loss", [InferTypeOpAdaptor]> {
  let summary = "negative log-likelihood loss";
  let description = [{
    `torch.nn.NLLLoss(weight, ignore_index, reduction)` on log-probabilities
    `N x C x d1...` (or `N x C`) and class indices `N x d1...`. Elements whose
    target equals `ignore_index` contribute nothing (and no weight). `mean`
    divides by the summed weights of the counted elements (NaN when none
    count), `sum` adds, `none` keeps the `N x d1...` losses. A target outside
    `[0, C)` that is not ignored is clamped (never read out of bounds).
    ```mlir
    %l = lathe.nll_loss %logp, %target weight %w {reduction = 1 : i64}
        : (tensor<8x10xf32>, tensor<8xi64>, tensor<10xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$input,
                   RankedTensorOf<[I32, I64]>:$target,
                   Optional<Lathe_FloatTensor>:$weight,
                   DefaultValuedAttr<Lathe_ReductionAttr, "::lathe::Reduction::mean">:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Lathe_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $target (`weight` $weight^)? attr-dict `:` `(` type($input) `,`
    type($target) (`,` type($weight)^)? `)` `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// RNN: recurrent layers over a whole sequence
//===----------------------------------------------------------------------===//

def Lathe_DirectionAttr : I64EnumAttr<"Direction", "which way a recurrent layer runs", [
    I64EnumAttrCase<"forward", 0>, I64EnumAttrCase<"reverse", 1>,
    I64EnumAttrCase<"bidirectional", 2>]> {
  let cppNamespace = "::lathe";
}

def Lathe_NonlinearityAttr : I64EnumAttr<"Nonlinearity", "an Elman RNN's activation", [
    I64EnumAttrCase<"tanh", 0>, I64EnumAttrCase<"relu", 1>]> {
  let cppNamespace = "::lathe";
}

class Lathe_RecurrentOp<string mnemonic, int gates, string torch, string cell,
                        string extra = "">
    : Lathe_Op<mnemonic, [AttrSizedOperandSegments]> {
  let summary = "`" # torch # "` layer over a whole sequence";
  let description = extra # [{
    One layer of `}] # torch # [{` in ONNX's layout: input `T x N x I`,
    weights `W: D x }] # gates # [{H x I`, `R: D x }] # gates # [{H x H`,
    optional bias `D x }] # !mul(2, gates) # [{H` (input then recurrent
    bias), optional initial state `D x N x H`; `D` is 2 when bidirectional.
    Results: every step's hidden state `T x D x N x H`, and the last hidden
    state `D x N x H`}] # cell # [{. `clip`, when set, bounds the gates'
    pre-activations. Optional `sequence_lens` (`N`, at most `T`) end each
    sample early: its later outputs are zero and its last state is the one
    at its own last step (the reverse direction starts there). Weights are
    parameters, so the layer trains.
    ```mlir
    %y, %h}] # !if(!eq(gates, 4), ", %c", "") # [{ = lathe.}] # mnemonic # [{ %x, %w, %r {hidden_size = 8 : i64}
        : (tensor<5x2x3xf32>, tensor<1x}] # !mul(gates, 8) # [{x3xf32>, tensor<1x}] # !mul(gates, 8) # [{x8xf32>)
        -> (tensor<5x1x2x8xf32>, tensor<1x2x8xf32>}] # !if(!eq(gates, 4), ", tensor<1x2x8xf32>", "") # [{)
    ```
  }];
  let hasVerifier = 1;
}

def Lathe_RnnOp : Lathe_RecurrentOp<"rnn", 1, "torch.nn.RNN", ""> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Lathe_FloatTensor:$recurrence, Optional<Lathe_FloatTensor>:$bias,
                   Optional<Lathe_FloatTensor>:$initial_h,
                   Optional<Lathe_IndexTensor>:$sequence_lens, I64Attr:$hidden_size,
                   DefaultValuedAttr<Lathe_DirectionAttr, "::lathe::Direction::forward">:$direction,
                   DefaultValuedAttr<Lathe_NonlinearityAttr, "::lathe::Nonlinearity::tanh">:$nonlinearity,
                   OptionalAttr<F32Attr>:$clip);
  let results = (outs Lathe_FloatTensor:$y, Lathe_FloatTensor:$y_h);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)? (`initial_h` $initial_h^)?
    (`sequence_lens` $sequence_lens^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Lathe_GruOp : Lathe_RecurrentOp<"gru", 3, "torch.nn.GRU", "", [{
    Gates in ONNX order (update z, reset r, candidate n). With
    `linear_before_reset` (PyTorch's form) the reset gate scales
    `h R_n^T + b_Rn`; without it, it scales `h` before the product.
  }]> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Lathe_FloatTensor:$recurrence, Optional<Lathe_FloatTensor>:$bias,
                   Optional<Lathe_FloatTensor>:$initial_h,
                   Optional<Lathe_IndexTensor>:$sequence_lens, I64Attr:$hidden_size,
                   DefaultValuedAttr<Lathe_DirectionAttr, "::lathe::Direction::forward">:$direction,
                   UnitAttr:$linear_before_reset, OptionalAttr<F32Attr>:$clip);
  let results = (outs Lathe_FloatTensor:$y, Lathe_FloatTensor:$y_h);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)? (`initial_h` $initial_h^)?
    (`sequence_lens` $sequence_lens^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Lathe_LstmOp : Lathe_RecurrentOp<"lstm", 4, "torch.nn.LSTM",
    ", and the last cell state `D x N x H`", [{
    Gates in ONNX order (input i, output o, forget f, cell c); optional
    initial cell state `D x N x H` and peephole weights `D x 3H` (i, o, f).
  }]> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Lathe_FloatTensor:$recurrence, Optional<Lathe_FloatTensor>:$bias,
                   Optional<Lathe_FloatTensor>:$initial_h,
                   Optional<Lathe_FloatTensor>:$initial_c,
                   Optional<Lathe_FloatTensor>:$peepholes,
                   Optional<Lathe_IndexTensor>:$sequence_lens, I64Attr:$hidden_size,
                   DefaultValuedAttr<Lathe_DirectionAttr, "::lathe::Direction::forward">:$direction,
                   OptionalAttr<F32Attr>:$clip);
  let results = (outs Lathe_FloatTensor:$y, Lathe_FloatTensor:$y_h,
                 Lathe_FloatTensor:$y_c);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)? (`initial_h` $initial_h^)?
    (`initial_c` $initial_c^)? (`peepholes` $peepholes^)?
    (`sequence_lens` $sequence_lens^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Differentiation inside a graph
//===----------------------------------------------------------------------===//

def Lathe_GradientOp : Lathe_Op<"gradient", [AttrSizedOperandSegments,
                                              InferTypeOpAdaptor]> {
  let summary = "the gradient of a value with respect to earlier values";
  let description = [{
    `torch.autograd.grad(y.sum(), xs)` within the graph (ONNX's Gradient):
    one result per `xs` value, of its type, holding the gradient of the sum
    of `y` with respect to it through the ops that compute `y` (zero where
    `y` does not depend on it). No gradient flows through the `held`
    values. `lathe-expand-gradients` replaces the op with the backward ops
    that the gradient rules build. ```mlir
    %da, %db = lathe.gradient %c wrt(%a, %b) held()
        : (tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
    ```
  }];
  let arguments = (ins Lathe_FloatTensor:$y, Variadic<Lathe_FloatTensor>:$xs,
                   Variadic<Lathe_FloatTensor>:$held);
  let results = (outs Variadic<Lathe_FloatTensor>:$grads);
  let assemblyFormat = [{
    $y `wrt` `(` $xs `)` `held` `(` $held `)` attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // LATHE_OPS_TD
