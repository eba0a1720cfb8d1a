// The nn family: convolution, normalization, pooling, softmax.
#ifndef LATHE_NN_OPS_TD
#define LATHE_NN_OPS_TD

include "dialects/lathe/LatheBase.td"

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

#endif // LATHE_NN_OPS_TD
