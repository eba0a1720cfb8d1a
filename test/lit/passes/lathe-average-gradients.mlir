// RUN: lathe-opt %s --lathe-average-gradients | FileCheck %s
// RUN: lathe-opt %s --lathe-average-gradients --lathe-lower-to-linalg \
// RUN:   | FileCheck %s --check-prefix=LOWERED
// Data-parallel builds: each lathe.grad result of @gradient is averaged
// across the replicas right after the op that computes it (the order of
// the backward pass; an argument's at the start); the loss is not. A gradient
// returned twice is averaged once. The collective survives lowering.

// CHECK-LABEL: func.func @gradient
// CHECK: %[[MX:.*]] = lathe.all_reduce_mean %arg0 : tensor<3xf32>
// CHECK: %[[GW:.*]] = lathe.mul %{{.*}}, %{{.*}}
// CHECK-NEXT: %[[MW:.*]] = lathe.all_reduce_mean %[[GW]] : tensor<3xf32>
// CHECK-NEXT: %[[L:.*]] = lathe.reduce_sum
// CHECK-NEXT: return %[[L]], %[[MW]], %[[MX]], %[[MW]]
// LOWERED: lathe.all_reduce_mean %{{.*}} : tensor<3xf32>
func.func @gradient(%x: tensor<3xf32> {lathe.input = "x"}, %w: tensor<3xf32> {lathe.param = "w"},
                    %v: tensor<3xf32> {lathe.param = "v"})
    -> (tensor<f32> {lathe.output = "loss"}, tensor<3xf32> {lathe.grad = "w"},
        tensor<3xf32> {lathe.grad = "v"}, tensor<3xf32> {lathe.grad = "u"}) {
  %g = lathe.mul %x, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = lathe.reduce_sum %g {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %l, %g, %x, %g : tensor<f32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}
