// RUN: lathe-opt %s --lathe-autodiff --split-input-file --verify-diagnostics | FileCheck %s
// Reverse mode over @gradient: each parameter's gradient becomes a result
// marked lathe.grad; an op without a gradient rule on the path from a
// parameter to the loss is refused by name.

// CHECK-LABEL: func.func @gradient
// CHECK-SAME: -> (tensor<f32> {lathe.output = "loss"}, tensor<3xf32> {lathe.grad = "w"})
// CHECK: %[[Y:.*]] = lathe.mul %[[X:[a-z0-9]+]], %[[W:[a-z0-9]+]]
// CHECK: %[[L:.*]] = lathe.reduce_sum %[[Y]]
// CHECK: %[[G:.*]] = lathe.mul %{{.*}}, %[[X]]
// CHECK: return %[[L]], %[[G]]
func.func @gradient(%x: tensor<3xf32> {lathe.input = "x"}, %w: tensor<3xf32> {lathe.param = "w"})
    -> (tensor<f32> {lathe.output = "loss"}) {
  %y = lathe.mul %x, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = lathe.reduce_sum %y {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

func.func @gradient(%w: tensor<3xf32> {lathe.param = "w"}) -> (tensor<f32> {lathe.output = "loss"}) {
  // expected-error @+1 {{'tensor.extract_slice' has no gradient rule}}
  %s = tensor.extract_slice %w[0] [2] [1] : tensor<3xf32> to tensor<2xf32>
  %l = lathe.reduce_sum %s {axes = array<i64: 0>, keepdims = false} : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
