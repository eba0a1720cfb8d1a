// The tensor family: shape and layout, indexing, resize, constants, random values; and differentiation inside a graph.
#ifndef LATHE_TENSOR_OPS_TD
#define LATHE_TENSOR_OPS_TD

include "dialects/lathe/LatheBase.td"

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
  let hasFolder = 1;
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
  let hasFolder = 1;
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
  let hasFolder = 1;
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

#endif // LATHE_TENSOR_OPS_TD
