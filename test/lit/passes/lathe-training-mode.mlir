// RUN: lathe-opt %s --lathe-training-mode=seed=5 --split-input-file | FileCheck %s
// @gradient trains: batch norm from batch statistics with the running
// statistics' updates as results, dropout from counter-based draws of the
// step; @forward keeps inference semantics.

// CHECK-LABEL: func.func @forward
// CHECK: lathe.dropout
// CHECK-LABEL: func.func @gradient
// CHECK-SAME: %[[STEP:[a-z0-9]+]]: tensor<f64> {lathe.hyper = "step"}
// CHECK-NOT: lathe.dropout
// CHECK: lathe.cast %[[STEP]] : tensor<f64> to tensor<i64>
// CHECK: %[[OFFSET:.*]] = lathe.add
// CHECK: %[[U:.*]] = lathe.random %[[OFFSET]] : tensor<i64> {seed = 7 : i64} : tensor<4x8xf64>
// CHECK: lathe.less %[[U]]
// CHECK: %[[U2:.*]] = lathe.random %{{.*}} : tensor<i64> {seed = 5 : i64} : tensor<4x3x1x1xf64>
// CHECK: return
func.func @forward(%x: tensor<4x8xf32> {lathe.input = "x"}) -> (tensor<4x8xf32> {lathe.output = "y"}) {
  %y, %m = lathe.dropout %x {ratio = 0.5 : f64, seed = 2 : i64} : tensor<4x8xf32> -> tensor<4x8xi1>
  return %y : tensor<4x8xf32>
}
func.func @gradient(%x: tensor<4x8xf32> {lathe.input = "x"}, %z: tensor<4x3x2x2xf32> {lathe.input = "z"})
    -> (tensor<4x8xf32> {lathe.output = "y"}, tensor<4x3x2x2xf32> {lathe.output = "w"}) {
  %y, %m = lathe.dropout %x {ratio = 0.5 : f64, seed = 2 : i64} : tensor<4x8xf32> -> tensor<4x8xi1>
  %w, %n = lathe.dropout %z {ratio = 0.2 : f64, channelwise} : tensor<4x3x2x2xf32> -> tensor<4x3x2x2xi1>
  return %y, %w : tensor<4x8xf32>, tensor<4x3x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @gradient
// CHECK-SAME: {lathe.update = "bn.running_mean"}
// CHECK-SAME: {lathe.update = "bn.running_var"}
// CHECK-NOT: lathe.batch_norm
// CHECK: lathe.reduce_mean
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
func.func @forward(%x: tensor<2x3x4x4xf32> {lathe.input = "x"}) -> (tensor<2x3x4x4xf32> {lathe.output = "y"}) {
  return %x : tensor<2x3x4x4xf32>
}
func.func @gradient(%x: tensor<2x3x4x4xf32> {lathe.input = "x"},
                    %s: tensor<3xf32> {lathe.param = "bn.weight"}, %b: tensor<3xf32> {lathe.param = "bn.bias"},
                    %mean: tensor<3xf32> {lathe.param = "bn.running_mean"}, %var: tensor<3xf32> {lathe.param = "bn.running_var"})
    -> (tensor<2x3x4x4xf32> {lathe.output = "y"}) {
  %y = lathe.batch_norm %x, %s, %b, %mean, %var {epsilon = 1.0e-5 : f32, momentum = 0.9 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  return %y : tensor<2x3x4x4xf32>
}
