// RUN: lathe-opt %s --lathe-decompose-losses --split-input-file | FileCheck %s
// Criteria become the lathe ops of their definitions; only nll_loss stays.

// CHECK-LABEL: func.func @mse
//       CHECK:   %[[D:.*]] = lathe.sub %arg0, %arg1
//       CHECK:   %[[S:.*]] = lathe.mul %[[D]], %[[D]]
//       CHECK:   lathe.reduce_mean %[[S]]
//   CHECK-NOT:   lathe.mse_loss
func.func @mse(%x: tensor<4x3xf32>, %t: tensor<4x3xf32>) -> tensor<f32> {
  %0 = lathe.mse_loss %x, %t : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Class targets: nll_loss of log_softmax, plus the smoothing term.
// CHECK-LABEL: func.func @cross_entropy_smoothing
//       CHECK:   %[[LP:.*]] = lathe.log_softmax %arg0 {axis = 1 : i64}
//       CHECK:   lathe.nll_loss %[[LP]], %arg1 {ignore_index = -100 : i64}
//       CHECK:   lathe.reduce_sum %[[LP]]
//   CHECK-NOT:   lathe.cross_entropy_loss
func.func @cross_entropy_smoothing(%x: tensor<4x3xf32>, %t: tensor<4xi64>) -> tensor<f32> {
  %0 = lathe.cross_entropy_loss %x, %t {label_smoothing = 0.2 : f64} : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CTC: the alpha recursion unrolled over the 3 steps (2 updates), each a
// log-sum-exp of three shifted terms; none keeps one loss per sample.
// CHECK-LABEL: func.func @ctc
//       CHECK:   lathe.gather_elements %arg0
// CHECK-COUNT-2:   lathe.log {{.*}} : tensor<2x5xf32>
//       CHECK:   lathe.gather_elements
//       CHECK:   -> tensor<2xf32>
//   CHECK-NOT:   lathe.ctc_loss
func.func @ctc(%lp: tensor<3x2x4xf32>, %y: tensor<2x2xi64>, %n: tensor<2xi64>) -> tensor<2xf32> {
  %0 = lathe.ctc_loss %lp, %y, %n, %n {reduction = 0 : i64} : (tensor<3x2x4xf32>, tensor<2x2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
