// RUN: lathe-opt %s | lathe-opt | FileCheck %s
// Every lathe op round-trips through its assembly format.

// CHECK-LABEL: func.func @math
func.func @math(%a: tensor<4x16xf32>, %b: tensor<16xf32>, %w: tensor<8x16xf32>,
                %c: tensor<8xf32>, %m: tensor<2x16x8xf32>) {
  // CHECK: lathe.relu %{{.*}} : tensor<4x16xf32>
  %0 = lathe.relu %a : tensor<4x16xf32>
  // CHECK: lathe.sigmoid
  %1 = lathe.sigmoid %a : tensor<4x16xf32>
  // CHECK: lathe.tanh
  %2 = lathe.tanh %a : tensor<4x16xf32>
  // CHECK: lathe.exp
  %3 = lathe.exp %a : tensor<4x16xf32>
  // CHECK: lathe.log
  %4 = lathe.log %a : tensor<4x16xf32>
  // CHECK: lathe.sqrt
  %5 = lathe.sqrt %a : tensor<4x16xf32>
  // CHECK: lathe.neg
  %6 = lathe.neg %a : tensor<4x16xf32>
  // CHECK: lathe.abs
  %7 = lathe.abs %a : tensor<4x16xf32>
  // CHECK: lathe.add %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  %8 = lathe.add %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.sub
  %9 = lathe.sub %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.mul
  %10 = lathe.mul %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.div
  %11 = lathe.div %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, trans_b = true}
  %12 = lathe.gemm %a, %w, %c {alpha = 0.5 : f32, trans_b = true}
      : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: lathe.gemm %{{.*}}, %{{.*}} {trans_b = true} : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  %13 = lathe.gemm %a, %w {trans_b = true}
      : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  // CHECK: lathe.matmul %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<2x16x8xf32> -> tensor<2x4x8xf32>
  %14 = lathe.matmul %a, %m : tensor<4x16xf32>, tensor<2x16x8xf32> -> tensor<2x4x8xf32>
  // CHECK: lathe.reduce_sum %{{.*}} {axes = array<i64: 1>} : tensor<4x16xf32> -> tensor<4x1xf32>
  %15 = lathe.reduce_sum %a {axes = array<i64: 1>} : tensor<4x16xf32> -> tensor<4x1xf32>
  // CHECK: lathe.reduce_mean %{{.*}} {axes = array<i64: 0, 1>, keepdims = false} : tensor<4x16xf32> -> tensor<f32>
  %16 = lathe.reduce_mean %a {axes = array<i64: 0, 1>, keepdims = false} : tensor<4x16xf32> -> tensor<f32>
  // CHECK: lathe.reduce_max
  %17 = lathe.reduce_max %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.reduce_min
  %18 = lathe.reduce_min %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.reduce_prod
  %19 = lathe.reduce_prod %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.reduce_l1
  %20 = lathe.reduce_l1 %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.reduce_l2
  %21 = lathe.reduce_l2 %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.reduce_sum_square
  %22 = lathe.reduce_sum_square %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.reduce_log_sum %
  %23 = lathe.reduce_log_sum %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  // CHECK: lathe.elu %{{.*}} {alpha = 2.000000e+00 : f32} : tensor<4x16xf32>
  %25 = lathe.elu %a {alpha = 2.0 : f32} : tensor<4x16xf32>
  // CHECK: lathe.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  %26 = lathe.clip %a {min = 0.0 : f64, max = 6.0 : f64} : tensor<4x16xf32>
  // CHECK: lathe.shrink %{{.*}} {bias = 5.000000e-01 : f32} : tensor<4x16xf32>
  %27 = lathe.shrink %a {bias = 0.5 : f32, lambd = 0.5 : f32} : tensor<4x16xf32>
  // CHECK: lathe.prelu %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  %28 = lathe.prelu %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.pow
  %29 = lathe.pow %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.erf
  %30 = lathe.erf %a : tensor<4x16xf32>
  // CHECK: lathe.argmax %{{.*}} {axis = 1 : i64, keepdims = false} : tensor<4x16xf32> -> tensor<4xi64>
  %31 = lathe.argmax %a {axis = 1 : i64, keepdims = false} : tensor<4x16xf32> -> tensor<4xi64>
  // CHECK: lathe.argmin %{{.*}} {axis = 0 : i64, select_last_index = true} : tensor<4x16xf32> -> tensor<1x16xi64>
  %32 = lathe.argmin %a {axis = 0 : i64, select_last_index = true} : tensor<4x16xf32> -> tensor<1x16xi64>
  // CHECK: lathe.triu %{{.*}} {diagonal = 1 : i64} : tensor<4x16xf32>
  %33 = lathe.triu %a {diagonal = 1 : i64} : tensor<4x16xf32>
  // CHECK: lathe.tril %{{.*}} : tensor<4x16xf32>
  %34 = lathe.tril %a : tensor<4x16xf32>
  // CHECK: lathe.greater %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xi1>
  %35 = lathe.greater %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xi1>
  // CHECK: lathe.not %{{.*}} : tensor<4x16xi1>
  %36 = lathe.not %35 : tensor<4x16xi1>
  // CHECK: lathe.and
  %37 = lathe.and %35, %36 : tensor<4x16xi1>, tensor<4x16xi1> -> tensor<4x16xi1>
  // CHECK: lathe.where %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x16xi1>, tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  %38 = lathe.where %37, %a, %b : tensor<4x16xi1>, tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: lathe.reduce_log_sum_exp
  %24 = lathe.reduce_log_sum_exp %a {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<1x16xf32>
  return
}

// CHECK-LABEL: func.func @integers
func.func @integers(%a: tensor<4xi64>, %b: tensor<i64>) {
  // CHECK: lathe.mod %{{.*}}, %{{.*}} : tensor<4xi64>, tensor<i64> -> tensor<4xi64>
  %0 = lathe.mod %a, %b : tensor<4xi64>, tensor<i64> -> tensor<4xi64>
  // CHECK: lathe.mod %{{.*}}, %{{.*}} {fmod} : tensor<4xi64>
  %1 = lathe.mod %a, %b {fmod} : tensor<4xi64>, tensor<i64> -> tensor<4xi64>
  // CHECK: lathe.neg %{{.*}} : tensor<4xi64>
  %2 = lathe.neg %a : tensor<4xi64>
  // CHECK: lathe.cast %{{.*}} : tensor<4xi64> to tensor<4xf32>
  %3 = lathe.cast %a : tensor<4xi64> to tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @gathers_and_losses
func.func @gathers_and_losses(%t: tensor<10x4xf32>, %i: tensor<2x3xi64>, %x: tensor<2x10xf32>, %y: tensor<2xi64>) {
  // CHECK: lathe.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %0 = lathe.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  // CHECK: lathe.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<10x4xf32>, tensor<10x2xi64>) -> tensor<10x2xf32>
  %idx = lathe.constant dense<0> : tensor<10x2xi64>
  %1 = lathe.gather_elements %t, %idx {axis = 1 : i64} : (tensor<10x4xf32>, tensor<10x2xi64>) -> tensor<10x2xf32>
  // CHECK: lathe.nll_loss %{{.*}}, %{{.*}} {reduction = 0 : i64} : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<2xf32>
  %2 = lathe.nll_loss %x, %y {reduction = 0 : i64} : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<2xf32>
  // CHECK: lathe.nll_loss %{{.*}}, %{{.*}} : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<f32>
  %3 = lathe.nll_loss %x, %y : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<f32>
  return
}

// CHECK-LABEL: func.func @nn
func.func @nn(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>,
              %s: tensor<4xf32>, %ls: tensor<4x8x8xf32>, %wt: tensor<4x2x3x3xf32>,
              %v: tensor<1x4x4x8x8xf32>) {
  // CHECK: lathe.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 2>, groups = 2 : i64, pads = array<i64: 1, 2, 0, 1>, strides = array<i64: 2, 1>}
  %0 = lathe.conv2d %x, %w, %b {strides = array<i64: 2, 1>, pads = array<i64: 1, 2, 0, 1>,
                                dilations = array<i64: 1, 2>, groups = 2 : i64}
      : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x7xf32>
  // CHECK: lathe.conv_transpose2d %{{.*}}, %{{.*}} {output_padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x18x18xf32>
  %ct = lathe.conv_transpose2d %x, %wt {strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>}
      : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x18x18xf32>
  // CHECK: lathe.batch_norm %{{.*}} {epsilon = 1.000000e-03 : f32}
  %1 = lathe.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-3 : f32}
      : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
      -> tensor<1x4x8x8xf32>
  // CHECK: lathe.max_pool2d %{{.*}} {ceil_mode = true, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x5x5xf32>
  %2 = lathe.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                            pads = array<i64: 1, 1, 1, 1>, ceil_mode = true}
      : tensor<1x4x8x8xf32> -> tensor<1x4x5x5xf32>
  // CHECK: lathe.max_pool_with_indices %{{.*}} {dilations = array<i64: 1, 2, 1>, kernel = array<i64: 2, 2, 3>, pads = array<i64: 0, 1, 0, 0, 1, 0>, strides = array<i64: 1, 2, 2>} : tensor<1x4x4x8x8xf32> -> (tensor<1x4x3x4x3xf32>, tensor<1x4x3x4x3xi64>)
  %mi:2 = lathe.max_pool_with_indices %v {kernel = array<i64: 2, 2, 3>, strides = array<i64: 1, 2, 2>,
                                          pads = array<i64: 0, 1, 0, 0, 1, 0>, dilations = array<i64: 1, 2, 1>}
      : tensor<1x4x4x8x8xf32> -> (tensor<1x4x3x4x3xf32>, tensor<1x4x3x4x3xi64>)
  // CHECK: lathe.avg_pool2d %{{.*}} {count_include_pad = false, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
  %3 = lathe.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                            count_include_pad = false}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  // CHECK: lathe.adaptive_avg_pool2d %{{.*}} {output_size = array<i64: 3, 5>}
  %4 = lathe.adaptive_avg_pool2d %x {output_size = array<i64: 3, 5>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x3x5xf32>
  // CHECK: lathe.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>)
  %ln:3 = lathe.layer_norm %x, %ls {axis = 1 : i64}
      : (tensor<1x4x8x8xf32>, tensor<4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>)
  // CHECK: lathe.softmax %{{.*}} {axis = 1 : i64} : tensor<1x4x8x8xf32>
  %5 = lathe.softmax %x {axis = 1 : i64} : tensor<1x4x8x8xf32>
  // CHECK: lathe.log_softmax %{{.*}} {axis = 3 : i64}
  %6 = lathe.log_softmax %x {axis = 3 : i64} : tensor<1x4x8x8xf32>
  return
}

// CHECK-LABEL: func.func @tensor
func.func @tensor(%x: tensor<1x4x2x2xf32>) {
  // CHECK: lathe.reshape %{{.*}} : tensor<1x4x2x2xf32> -> tensor<1x16xf32>
  %0 = lathe.reshape %x : tensor<1x4x2x2xf32> -> tensor<1x16xf32>
  // CHECK: lathe.transpose %{{.*}} {perm = array<i64: 0, 2, 3, 1>} : tensor<1x4x2x2xf32> -> tensor<1x2x2x4xf32>
  %1 = lathe.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x4x2x2xf32> -> tensor<1x2x2x4xf32>
  // CHECK: lathe.pad %{{.*}} {pads = array<i64: 0, 0, 1, 0, 0, 0, 0, 2>, value = 1.500000e+00 : f64} : tensor<1x4x2x2xf32> -> tensor<1x4x3x4xf32>
  %2 = lathe.pad %x {pads = array<i64: 0, 0, 1, 0, 0, 0, 0, 2>, value = 1.5 : f64}
      : tensor<1x4x2x2xf32> -> tensor<1x4x3x4xf32>
  // CHECK: lathe.concat(%{{.*}}, %{{.*}}) {axis = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x8x2x2xf32>
  %4 = lathe.concat(%x, %x) {axis = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x8x2x2xf32>
  // CHECK: lathe.slice %{{.*}} {sizes = array<i64: 1, 2, 2, 1>, starts = array<i64: 0, 1, 0, 1>, steps = array<i64: 1, 2, 1, 1>}
  %5 = lathe.slice %x {starts = array<i64: 0, 1, 0, 1>, sizes = array<i64: 1, 2, 2, 1>, steps = array<i64: 1, 2, 1, 1>} : tensor<1x4x2x2xf32> -> tensor<1x2x2x1xf32>
  // CHECK: lathe.expand %{{.*}} : tensor<1x4x2x2xf32> -> tensor<3x4x2x2xf32>
  %6 = lathe.expand %x : tensor<1x4x2x2xf32> -> tensor<3x4x2x2xf32>
  // CHECK: lathe.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %3 = lathe.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: lathe.dropout %{{.*}} {channelwise, ratio = 2.500000e-01 : f64, seed = 3 : i64} : tensor<1x4x2x2xf32> -> tensor<1x4x2x2xi1>
  %7, %8 = lathe.dropout %x {ratio = 0.25 : f64, seed = 3 : i64, channelwise} : tensor<1x4x2x2xf32> -> tensor<1x4x2x2xi1>
  return
}

// CHECK-LABEL: func.func @losses
func.func @losses(%x: tensor<8x5xf32>, %t: tensor<8x5xf32>, %c: tensor<8xi64>,
                  %w: tensor<5xf32>, %v: tensor<8xf32>, %lp: tensor<6x8x5xf32>,
                  %y: tensor<8x3xi64>) {
  // CHECK: lathe.mse_loss %{{.*}}, %{{.*}} {reduction = 2 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  %0 = lathe.mse_loss %x, %t {reduction = 2 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  // CHECK: lathe.smooth_l1_loss %{{.*}}, %{{.*}} {beta = 5.000000e-01 : f64, reduction = 0 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<8x5xf32>
  %1 = lathe.smooth_l1_loss %x, %t {beta = 0.5 : f64, reduction = 0 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<8x5xf32>
  // CHECK: lathe.kl_div_loss %{{.*}}, %{{.*}} {log_target = true, reduction = 3 : i64}
  %2 = lathe.kl_div_loss %x, %t {log_target = true, reduction = 3 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  // CHECK: lathe.bce_with_logits_loss %{{.*}}, %{{.*}} weight %{{.*}} pos_weight %{{.*}} : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<5xf32>) -> tensor<f32>
  %3 = lathe.bce_with_logits_loss %x, %t weight %w pos_weight %w : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<5xf32>) -> tensor<f32>
  // CHECK: lathe.bce_with_logits_loss %{{.*}}, %{{.*}} pos_weight %{{.*}} : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<5xf32>) -> tensor<f32>
  %4 = lathe.bce_with_logits_loss %x, %t pos_weight %w : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<5xf32>) -> tensor<f32>
  // CHECK: lathe.cross_entropy_loss %{{.*}}, %{{.*}} weight %{{.*}} {ignore_index = 3 : i64, label_smoothing = 1.000000e-01 : f64, reduction = 0 : i64} : (tensor<8x5xf32>, tensor<8xi64>, tensor<5xf32>) -> tensor<8xf32>
  %5 = lathe.cross_entropy_loss %x, %c weight %w {ignore_index = 3 : i64, label_smoothing = 0.1 : f64, reduction = 0 : i64}
      : (tensor<8x5xf32>, tensor<8xi64>, tensor<5xf32>) -> tensor<8xf32>
  // CHECK: lathe.cross_entropy_loss %{{.*}}, %{{.*}} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  %6 = lathe.cross_entropy_loss %x, %t : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  // CHECK: lathe.multi_margin_loss %{{.*}}, %{{.*}} {margin = 5.000000e-01 : f64, p = 2 : i64, reduction = 0 : i64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<8xf32>
  %7 = lathe.multi_margin_loss %x, %c {p = 2 : i64, margin = 0.5 : f64, reduction = 0 : i64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<8xf32>
  // CHECK: lathe.cosine_embedding_loss %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<8xf32>) -> tensor<f32>
  %8 = lathe.cosine_embedding_loss %x, %t, %v : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<8xf32>) -> tensor<f32>
  // CHECK: lathe.triplet_margin_loss %{{.*}}, %{{.*}}, %{{.*}} {p = 1.000000e+00 : f64, swap = true} : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  %9 = lathe.triplet_margin_loss %x, %t, %x {p = 1.0 : f64, swap = true} : (tensor<8x5xf32>, tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  // CHECK: lathe.ctc_loss %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {blank = 4 : i64, zero_infinity = true} : (tensor<6x8x5xf32>, tensor<8x3xi64>, tensor<8xi64>, tensor<8xi64>) -> tensor<f32>
  %10 = lathe.ctc_loss %lp, %y, %c, %c {blank = 4 : i64, zero_infinity = true} : (tensor<6x8x5xf32>, tensor<8x3xi64>, tensor<8xi64>, tensor<8xi64>) -> tensor<f32>
  return
}

// CHECK-LABEL: func.func @gradient
func.func @gradient(%a: tensor<3xf32>, %b: tensor<3xf32>, %z: tensor<3xf32>) {
  %y = lathe.mul %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  // CHECK: lathe.gradient %{{.*}} wrt(%{{.*}}, %{{.*}}) held(%{{.*}}) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  %da, %db = lathe.gradient %y wrt(%a, %b) held(%z) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  return
}
