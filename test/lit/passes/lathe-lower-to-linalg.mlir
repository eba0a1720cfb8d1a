// RUN: lathe-opt %s --lathe-lower-to-linalg --split-input-file | FileCheck %s
// Every lathe op lowers to upstream ops; no lathe op is left behind.

// CHECK-LABEL: func.func @relu
//       CHECK:   linalg.generic
//       CHECK:     arith.maximumf
//   CHECK-NOT:   lathe.
func.func @relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = lathe.relu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Broadcasting reads the size-1 / missing dimensions at a constant index.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
//       CHECK:   linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
//       CHECK:     arith.addf
func.func @add_broadcast(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = lathe.add %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// gemm with trans_b reads B as (n, k); alpha and C come in an epilogue.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @gemm
//       CHECK:   linalg.fill
//       CHECK:   linalg.generic {indexing_maps = [#[[A]], #[[BT]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
//       CHECK:   linalg.generic
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
func.func @gemm(%a: tensor<4x16xf32>, %b: tensor<8x16xf32>, %c: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = lathe.gemm %a, %b, %c {trans_b = true, alpha = 2.0 : f32}
      : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Batched matmul broadcasts the rank-2 operand over the batch.
// CHECK-DAG: #[[L:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-LABEL: func.func @matmul_batched
//       CHECK:   linalg.generic {indexing_maps = [#[[L]], #[[R]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
func.func @matmul_batched(%a: tensor<2x4x16xf32>, %b: tensor<16x8xf32>) -> tensor<2x4x8xf32> {
  %0 = lathe.matmul %a, %b : tensor<2x4x16xf32>, tensor<16x8xf32> -> tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

// Integer products (quantized models) multiply and add as integers.
// CHECK-LABEL: func.func @matmul_int
//       CHECK:   arith.muli %{{.*}} : i32
//       CHECK:   arith.addi %{{.*}} : i32
func.func @matmul_int(%a: tensor<4x16xi32>, %b: tensor<16x8xi32>) -> tensor<4x8xi32> {
  %0 = lathe.matmul %a, %b : tensor<4x16xi32>, tensor<16x8xi32> -> tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}

// -----

// conv2d pads its input and accumulates into the broadcast bias.
// CHECK-LABEL: func.func @conv
//       CHECK:   tensor.pad %{{.*}} low[0, 0, 1, 2] high[0, 0, 0, 1]
//       CHECK:   linalg.generic
//       CHECK:   linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x4x7xf32> {
  %0 = lathe.conv2d %x, %w, %b {strides = array<i64: 2, 1>, pads = array<i64: 1, 2, 0, 1>,
                                dilations = array<i64: 1, 2>}
      : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x7xf32>
  return %0 : tensor<1x6x4x7xf32>
}

// -----

// Grouped conv2d runs on N x G x C/G x H x W views.
// CHECK-LABEL: func.func @conv_grouped
//       CHECK:   tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3]
//       CHECK:   tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 8]
//       CHECK:   linalg.conv_2d_ngchw_gfchw
//       CHECK:   tensor.collapse_shape
func.func @conv_grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = lathe.conv2d %x, %w {groups = 2 : i64}
      : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// -----

// CHECK-LABEL: func.func @batch_norm
//       CHECK:   math.sqrt
//       CHECK:   arith.divf
//       CHECK:   tensor.expand_shape
//       CHECK:   linalg.generic
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
func.func @batch_norm(%x: tensor<1x4x8x8xf32>, %s: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = lathe.batch_norm %x, %s, %s, %s, %s
      : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
      -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// ceil_mode adds one more high pad row/column of -inf for the last window.
// CHECK-LABEL: func.func @max_pool_ceil
//       CHECK:   %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
//       CHECK:   tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 2, 2]
//       CHECK:     tensor.yield %[[NEGINF]]
//       CHECK:   linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @max_pool_ceil(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x5x5xf32> {
  %0 = lathe.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                            pads = array<i64: 1, 1, 1, 1>, ceil_mode = true}
      : tensor<1x4x8x8xf32> -> tensor<1x4x5x5xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// -----

// Without count_include_pad the corner windows divide by fewer elements.
// CHECK-LABEL: func.func @avg_pool_exclude_pad
//       CHECK:   linalg.pooling_nchw_sum
//       CHECK:   arith.constant dense<{{\[\[}}4.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<3x3xf32>
//       CHECK:   arith.divf
func.func @avg_pool_exclude_pad(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %0 = lathe.avg_pool2d %x {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>,
                            count_include_pad = false}
      : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Adaptive pooling 5 -> 3 uses overlapping windows [0,2) [1,4) [3,5).
// CHECK-LABEL: func.func @adaptive
//       CHECK:   arith.constant dense<{{\[\[}}5.000000e-01, 5.000000e-01, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.333333343, 0.333333343, 0.333333343, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 5.000000e-01, 5.000000e-01]]> : tensor<3x5xf32>
//       CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
func.func @adaptive(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x1xf32> {
  %0 = lathe.adaptive_avg_pool2d %x {output_size = array<i64: 3, 1>}
      : tensor<1x2x5x5xf32> -> tensor<1x2x3x1xf32>
  return %0 : tensor<1x2x3x1xf32>
}

// -----

// CHECK-LABEL: func.func @log_softmax
//       CHECK:   arith.maximumf
//       CHECK:   arith.subf
//       CHECK:   math.exp
//       CHECK:   arith.addf
//       CHECK:   math.log
//       CHECK:   arith.subf
func.func @log_softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = lathe.log_softmax %x {axis = 1 : i64} : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

// CHECK-LABEL: func.func @reshape
//       CHECK:   %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x4x2x2xf32> into tensor<16xf32>
//       CHECK:   tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [2, 8]
func.func @reshape(%x: tensor<1x4x2x2xf32>) -> tensor<2x8xf32> {
  %0 = lathe.reshape %x : tensor<1x4x2x2xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_pad_constant
//       CHECK:   linalg.transpose ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<8x4xf32>) permutation = [1, 0]
//       CHECK:   tensor.pad %{{.*}} low[1, 0] high[0, 2]
//       CHECK:   arith.constant dense<1.000000e+00> : tensor<2xf32>
func.func @transpose_pad_constant(%x: tensor<4x8xf32>) -> (tensor<8x4xf32>, tensor<5x10xf32>, tensor<2xf32>) {
  %0 = lathe.transpose %x {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %1 = lathe.pad %x {pads = array<i64: 1, 0, 0, 2>} : tensor<4x8xf32> -> tensor<5x10xf32>
  %2 = lathe.constant dense<1.0> : tensor<2xf32>
  return %0, %1, %2 : tensor<8x4xf32>, tensor<5x10xf32>, tensor<2xf32>
}

// -----

// reduce_l2 over dim 1 without keepdims: a reduction into 4 elements, then
// the square root.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduce_l2
//       CHECK:   linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<4x10xf32>) outs(%{{.*}} : tensor<4xf32>)
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
//       CHECK:   math.sqrt
func.func @reduce_l2(%x: tensor<4x10xf32>) -> tensor<4xf32> {
  %0 = lathe.reduce_l2 %x {axes = array<i64: 1>, keepdims = false} : tensor<4x10xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// log_sum_exp is shifted by the maximum for stability.
// CHECK-LABEL: func.func @reduce_log_sum_exp
//       CHECK:   arith.maximumf
//       CHECK:   arith.subf
//       CHECK:   math.exp
//       CHECK:   math.log
//       CHECK:   arith.addf
func.func @reduce_log_sum_exp(%x: tensor<4x10xf32>) -> tensor<1x10xf32> {
  %0 = lathe.reduce_log_sum_exp %x {axes = array<i64: 0>} : tensor<4x10xf32> -> tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}

// -----

// clip without a lower bound is one minimum; selu scales elu; prelu selects.
// CHECK-LABEL: func.func @activations
//       CHECK:   linalg.generic
//   CHECK-NOT:     arith.maximumf
//       CHECK:     arith.minimumf
//       CHECK:   linalg.generic
//       CHECK:     math.expm1
//       CHECK:     arith.select
//       CHECK:     arith.mulf
//       CHECK:   linalg.generic
//       CHECK:     arith.cmpf oge
//       CHECK:     arith.select
func.func @activations(%x: tensor<8xf32>, %s: tensor<1xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %0 = lathe.clip %x {max = 6.0 : f64} : tensor<8xf32>
  %1 = lathe.selu %x : tensor<8xf32>
  %2 = lathe.prelu %x, %s : tensor<8xf32>, tensor<1xf32> -> tensor<8xf32>
  return %0, %1, %2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// concat inserts each input at its running offset; slice is one strided
// extract_slice; expand reads its input broadcast.
// CHECK-LABEL: func.func @concat_slice_expand
//       CHECK:   %[[E:.*]] = tensor.empty() : tensor<2x8xf32>
//       CHECK:   %[[I0:.*]] = tensor.insert_slice %{{.*}} into %[[E]][0, 0] [2, 3] [1, 1]
//       CHECK:   tensor.insert_slice %{{.*}} into %[[I0]][0, 3] [2, 5] [1, 1]
//       CHECK:   tensor.extract_slice %{{.*}}[0, 1] [2, 3] [1, 2]
//       CHECK:   linalg.generic
//       CHECK:     linalg.yield %{{.*}} : f32
func.func @concat_slice_expand(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<1x8xf32>)
    -> (tensor<2x8xf32>, tensor<2x3xf32>, tensor<4x8xf32>) {
  %0 = lathe.concat(%a, %b) {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %1 = lathe.slice %0 {starts = array<i64: 0, 1>, sizes = array<i64: 2, 3>, steps = array<i64: 1, 2>} : tensor<2x8xf32> -> tensor<2x3xf32>
  %2 = lathe.expand %c : tensor<1x8xf32> -> tensor<4x8xf32>
  return %0, %1, %2 : tensor<2x8xf32>, tensor<2x3xf32>, tensor<4x8xf32>
}

// -----

// layer_norm: a sum and a sum of squared deviations over the trailing
// dimension (kept with size 1), rsqrt, then one normalizing generic.
// CHECK-LABEL: func.func @layer_norm
//       CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
//       CHECK:   arith.divf
//       CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
//       CHECK:   math.rsqrt
//       CHECK:   linalg.generic
//       CHECK:     arith.subf
//       CHECK:     arith.mulf
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
func.func @layer_norm(%x: tensor<4x16xf32>, %s: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %y:3 = lathe.layer_norm %x, %s, %b {axis = 1 : i64}
      : (tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  return %y#0 : tensor<4x16xf32>
}

// -----

// argmax keeps the best value and its index; a later element wins only
// when strictly greater. triu compares column - row with the diagonal.
// CHECK-LABEL: func.func @argmax_triu
//       CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<4x10xf32>) outs(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xi64>)
//       CHECK:     arith.cmpf ogt
//       CHECK:     linalg.index 1
//       CHECK:     arith.select
//       CHECK:     arith.select
//       CHECK:   linalg.generic
//       CHECK:     linalg.index 0
//       CHECK:     linalg.index 1
//       CHECK:     arith.cmpi sge
func.func @argmax_triu(%x: tensor<4x10xf32>) -> (tensor<4xi64>, tensor<4x10xf32>) {
  %0 = lathe.argmax %x {axis = 1 : i64, keepdims = false} : tensor<4x10xf32> -> tensor<4xi64>
  %1 = lathe.triu %x {diagonal = 2 : i64} : tensor<4x10xf32>
  return %0, %1 : tensor<4xi64>, tensor<4x10xf32>
}

// -----

// Comparisons pick float or signed integer predicates by type.
// CHECK-LABEL: func.func @compare_where
//       CHECK:     arith.cmpf olt
//       CHECK:     arith.cmpi slt
//       CHECK:     arith.select
func.func @compare_where(%a: tensor<4xf32>, %b: tensor<4xf32>, %u: tensor<4xi32>, %v: tensor<4xi32>)
    -> (tensor<4xi1>, tensor<4xf32>) {
  %0 = lathe.less %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
  %1 = lathe.less %u, %v : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  %2 = lathe.where %1, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0, %2 : tensor<4xi1>, tensor<4xf32>
}

// -----

// conv_transpose2d: x scattered with stride 2 into zeros padded by
// d * (K - 1) - pad = 1 (plus output_padding 1 at the end), the weight's
// channels swapped and kernel flipped, then a stride-1 convolution.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, -d3 + 2, -d4 + 2)>
// CHECK-LABEL: func.func @conv_transpose
//       CHECK:   linalg.fill {{.*}} -> tensor<1x4x18x18xf32>
//       CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [1, 4, 8, 8] [1, 1, 2, 2]
//       CHECK:   linalg.generic {indexing_maps = [#[[FLIP]], {{.*}}]
//       CHECK:   linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
func.func @conv_transpose(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x2x16x16xf32> {
  %0 = lathe.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>}
      : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x16x16xf32>
  return %0 : tensor<1x2x16x16xf32>
}

// -----

// CHECK-LABEL: func.func @integer_arith
//       CHECK:   arith.addi
//       CHECK:   arith.divsi
//       CHECK:   arith.maxsi
//       CHECK:   math.absi
//       CHECK:   arith.remsi
//       CHECK:   arith.xori
//       CHECK:   arith.addi
//   CHECK-NOT:   lathe.
func.func @integer_arith(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = lathe.add %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %1 = lathe.div %0, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %2 = lathe.relu %1 : tensor<4xi32>
  %3 = lathe.abs %2 : tensor<4xi32>
  %4 = lathe.mod %3, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %4 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @fmod_float
//       CHECK:   arith.remf
//   CHECK-NOT:   arith.xori
func.func @fmod_float(%a: tensor<4xf32>, %b: tensor<f32>) -> tensor<4xf32> {
  %0 = lathe.mod %a, %b {fmod} : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @casts
//       CHECK:   arith.fptosi %{{.*}} : f32 to i64
//       CHECK:   arith.cmpi ne
//       CHECK:   arith.uitofp %{{.*}} : i1 to f64
//   CHECK-NOT:   lathe.
func.func @casts(%x: tensor<4xf32>) -> tensor<4xf64> {
  %0 = lathe.cast %x : tensor<4xf32> to tensor<4xi64>
  %1 = lathe.cast %0 : tensor<4xi64> to tensor<4xi1>
  %2 = lathe.cast %1 : tensor<4xi1> to tensor<4xf64>
  return %2 : tensor<4xf64>
}

// -----

// CHECK-LABEL: func.func @gather_rows
//       CHECK:   linalg.generic
//       CHECK:     arith.index_cast
//       CHECK:     arith.minsi
//       CHECK:     tensor.extract
//   CHECK-NOT:   lathe.
func.func @gather_rows(%t: tensor<10x4xf32>, %i: tensor<2x3xi64>) -> tensor<2x3x4xf32> {
  %0 = lathe.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @nll_mean_weighted
//       CHECK:   linalg.generic
//       CHECK:     tensor.extract
//       CHECK:     arith.cmpi eq
//       CHECK:     arith.negf
//       CHECK:   arith.divf
//   CHECK-NOT:   lathe.
func.func @nll_mean_weighted(%x: tensor<4x3xf32>, %t: tensor<4xi64>, %w: tensor<3xf32>) -> tensor<f32> {
  %0 = lathe.nll_loss %x, %t weight %w {ignore_index = -1 : i64} : (tensor<4x3xf32>, tensor<4xi64>, tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @cumsum_reverse
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
//       CHECK:     arith.cmpi sge
//   CHECK-NOT:   lathe.
func.func @cumsum_reverse(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = lathe.cumsum %x {axis = 1 : i64, reverse} : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @pad_reflect
//       CHECK:   linalg.generic
//       CHECK:     arith.select
//       CHECK:     tensor.extract
//   CHECK-NOT:   tensor.pad
//   CHECK-NOT:   lathe.
func.func @pad_reflect(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x6x6xf32> {
  %0 = lathe.pad %x {mode = 1 : i64, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x1x6x6xf32>
  return %0 : tensor<1x1x6x6xf32>
}

// -----

// CHECK-LABEL: func.func @group_norm
//       CHECK:   tensor.collapse_shape
//       CHECK:   math.rsqrt
//   CHECK-NOT:   lathe.
func.func @group_norm(%x: tensor<2x4x3x3xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %y, %m, %r = lathe.group_norm %x, %s, %b {groups = 2 : i64} : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x2xf32>, tensor<2x2xf32>)
  return %y : tensor<2x4x3x3xf32>
}

// -----

// CHECK-LABEL: func.func @one_hot_gelu
//       CHECK:   tensor.extract
//       CHECK:   linalg.generic
//       CHECK:     arith.cmpi eq
//       CHECK:   math.erf
//   CHECK-NOT:   lathe.
func.func @one_hot_gelu(%i: tensor<4xi64>, %v: tensor<2xf32>) -> tensor<4x10xf32> {
  %0 = lathe.one_hot %i, %v {axis = 1 : i64, depth = 10 : i64} : (tensor<4xi64>, tensor<2xf32>) -> tensor<4x10xf32>
  %1 = lathe.gelu %0 : tensor<4x10xf32>
  return %1 : tensor<4x10xf32>
}

// -----

// CHECK: #[[FLIP:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 7)>
// CHECK-LABEL: func.func @flip
//       CHECK:   linalg.generic {indexing_maps = [#[[FLIP]]
//   CHECK-NOT:   lathe.
func.func @flip(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = lathe.flip %x {dims = array<i64: 1>} : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @resize_bilinear
//       CHECK:   linalg.generic
//       CHECK:     math.floor
//   CHECK-COUNT-4:     tensor.extract
//       CHECK:     arith.truncf
//   CHECK-NOT:   lathe.
func.func @resize_bilinear(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  %0 = lathe.resize %x {mode = 1 : i64, scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x4x4xf32> -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @conv3d_grouped
//       CHECK:   tensor.pad
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]
//   CHECK-NOT:   lathe.
func.func @conv3d_grouped(%x: tensor<1x4x5x5x5xf32>, %w: tensor<6x2x3x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x5x5x5xf32> {
  %0 = lathe.conv3d %x, %w, %b {groups = 2 : i64, pads = array<i64: 1, 1, 1, 1, 1, 1>} : (tensor<1x4x5x5x5xf32>, tensor<6x2x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x5x5x5xf32>
  return %0 : tensor<1x6x5x5x5xf32>
}

// -----

// CHECK-LABEL: func.func @pools3d
//       CHECK:   arith.maximumf
//       CHECK:   arith.divf
//   CHECK-NOT:   lathe.
func.func @pools3d(%x: tensor<1x2x4x4x4xf32>) -> tensor<1x2x2x2x2xf32> {
  %0 = lathe.max_pool3d %x {kernel = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>} : tensor<1x2x4x4x4xf32> -> tensor<1x2x2x2x2xf32>
  %1 = lathe.avg_pool3d %0 {kernel = array<i64: 3, 3, 3>, pads = array<i64: 1, 1, 1, 1, 1, 1>, count_include_pad = false} : tensor<1x2x2x2x2xf32> -> tensor<1x2x2x2x2xf32>
  return %1 : tensor<1x2x2x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @scatter_add
//       CHECK:   scf.for {{.*}} iter_args
//       CHECK:     arith.remui
//       CHECK:     tensor.extract
//       CHECK:     arith.addf
//       CHECK:     tensor.insert
//   CHECK-NOT:   lathe.
func.func @scatter_add(%x: tensor<3x5xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) -> tensor<3x5xf32> {
  %0 = lathe.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = 1 : i64} : (tensor<3x5xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func.func @random_normal
//       CHECK:   linalg.generic
//       CHECK:     arith.shrui
//       CHECK:     arith.uitofp
//       CHECK:     math.log
//       CHECK:     math.cos
//   CHECK-NOT:   lathe.
func.func @random_normal() -> tensor<4x8xf32> {
  %0 = lathe.random {distribution = 1 : i64, a = 0.0, b = 1.0, seed = 42 : i64} : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @einsum_bmm
//       CHECK:   linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
//   CHECK-NOT:   lathe.
func.func @einsum_bmm(%a: tensor<5x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<5x2x4xf32> {
  %0 = lathe.einsum(%a, %b) {equation = "bij,bjk->bik"} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}
