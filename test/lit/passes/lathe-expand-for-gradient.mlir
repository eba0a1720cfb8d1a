// RUN: lathe-opt %s --lathe-expand-for-gradient | FileCheck %s
// grid_sample in @gradient becomes its taps (bilinear: four gathers of the
// NHWC input, weighted by the fractional parts); @forward keeps the kernel.

// CHECK-LABEL: func.func @forward
// CHECK: lathe.grid_sample
// CHECK-LABEL: func.func @gradient
// CHECK-NOT: lathe.grid_sample
// CHECK: lathe.floor
// CHECK-COUNT-4: lathe.gather_nd %{{.*}} {batch_dims = 1 : i64} : (tensor<1x4x5x2xf32>, tensor<1x3x2x2xi64>) -> tensor<1x3x2x2xf32>
// CHECK: lathe.transpose %{{.*}} {perm = array<i64: 0, 3, 1, 2>} : tensor<1x3x2x2xf32> -> tensor<1x2x3x2xf32>
// CHECK: return
func.func @forward(%x: tensor<1x2x4x5xf32> {lathe.input = "x"}, %g: tensor<1x3x2x2xf32> {lathe.input = "g"})
    -> (tensor<1x2x3x2xf32> {lathe.output = "y"}) {
  %y = lathe.grid_sample %x, %g {padding = 2 : i64} : (tensor<1x2x4x5xf32>, tensor<1x3x2x2xf32>) -> tensor<1x2x3x2xf32>
  return %y : tensor<1x2x3x2xf32>
}
func.func @gradient(%x: tensor<1x2x4x5xf32> {lathe.input = "x"}, %g: tensor<1x3x2x2xf32> {lathe.input = "g"})
    -> (tensor<1x2x3x2xf32> {lathe.output = "y"}) {
  %y = lathe.grid_sample %x, %g {padding = 2 : i64} : (tensor<1x2x4x5xf32>, tensor<1x3x2x2xf32>) -> tensor<1x2x3x2xf32>
  return %y : tensor<1x2x3x2xf32>
}
