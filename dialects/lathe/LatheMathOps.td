// The math family: element-wise ops, activations, comparisons and logic, contractions, reductions.
#ifndef LATHE_MATH_OPS_TD
#define LATHE_MATH_OPS_TD

include "dialects/lathe/LatheBase.td"

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
  let hasFolder = 1;
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
  let hasFolder = 1;
}

def Lathe_SubOp : Lathe_BinaryOp<"sub"> {
  let summary = "broadcasting subtraction";
  let description = [{
    `torch.sub` with NumPy-style broadcasting. ```mlir
    %y = lathe.sub %a, %b : tensor<8x16xf32>, tensor<1x16xf32> -> tensor<8x16xf32>
    ```
  }];
  let hasFolder = 1;
}

def Lathe_MulOp : Lathe_BinaryOp<"mul"> {
  let summary = "broadcasting multiplication";
  let description = [{
    `torch.mul` with NumPy-style broadcasting. ```mlir
    %y = lathe.mul %a, %b : tensor<8x16xf32>, tensor<f32> -> tensor<8x16xf32>
    ```
  }];
  let hasFolder = 1;
}

def Lathe_DivOp : Lathe_BinaryOp<"div"> {
  let summary = "broadcasting true division";
  let description = [{
    `torch.div` with NumPy-style broadcasting. ```mlir
    %y = lathe.div %a, %b : tensor<8x16xf32>, tensor<8x1xf32> -> tensor<8x16xf32>
    ```
  }];
  let hasFolder = 1;
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

#endif // LATHE_MATH_OPS_TD
