// RUN: lathe-opt %s "--lathe-training-mode=sync-batch-norm=true replicas=4" | FileCheck %s
// With sync-batch-norm, batch norm's statistics are averaged across the
// replicas (the mean, then the mean squared deviation from it), and the
// running variance's unbiased count is the whole batch of every replica:
// 2 x 4 x 4 elements per channel here, times 4 replicas = 128, so the
// new variance weighs the batch's by (1 - momentum) * 128 / 127.

// CHECK-LABEL: func.func @gradient
// CHECK: %[[M:.*]] = lathe.reduce_mean %arg0
// CHECK: %[[MEAN:.*]] = lathe.all_reduce_mean %[[M]] : tensor<1x3x1x1xf32>
// CHECK: %[[C:.*]] = lathe.sub %arg0, %[[MEAN]]
// CHECK: %[[V:.*]] = lathe.reduce_mean
// CHECK: %[[VAR:.*]] = lathe.all_reduce_mean %[[V]] : tensor<1x3x1x1xf32>
// CHECK: lathe.constant dense<0.100787{{[0-9]*}}>
// CHECK: return
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
