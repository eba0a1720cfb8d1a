// RUN: lathe-opt %s --lathe-transpose-weights --split-input-file | FileCheck %s
// A Linear weight (N x K, read as gemm's transposed B) is stored K x N at
// compile time, and the gemm reads it as it is: [[1, 2, 3], [4, 5, 6]]
// becomes [[1, 4], [2, 5], [3, 6]].

// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[W:[^:]*]]: tensor<3x2xf32> {lathe.param = "fc.weight", lathe.value = dense_resource<fc.weight> : tensor<3x2xf32>}
// CHECK: lathe.gemm %{{.*}}, %[[W]], %{{.*}} :
// CHECK-NOT: trans_b
// CHECK-SAME: (tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK: fc.weight: "0x080000000000803F00008040000000400000A040000040400000C040"
func.func @forward(%x: tensor<4x3xf32> {lathe.input = "x"},
    %w: tensor<2x3xf32> {lathe.param = "fc.weight", lathe.value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>},
    %b: tensor<2xf32> {lathe.param = "fc.bias", lathe.value = dense<0.0> : tensor<2xf32>})
    -> (tensor<4x2xf32> {lathe.output = "y"}) {
  %y = lathe.gemm %x, %w, %b {trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// The weight is also read as it is (returned): it keeps its layout.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: tensor<2x3xf32> {lathe.param = "w"
// CHECK: lathe.gemm %{{.*}}, %{{.*}} {trans_b = true}
func.func @forward(%x: tensor<4x3xf32> {lathe.input = "x"},
    %w: tensor<2x3xf32> {lathe.param = "w", lathe.value = dense<1.0> : tensor<2x3xf32>})
    -> (tensor<4x2xf32>, tensor<2x3xf32>) {
  %y = lathe.gemm %x, %w {trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %y, %w : tensor<4x2xf32>, tensor<2x3xf32>
}

// -----

// A training build (more entries than @forward) keeps every parameter.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: tensor<2x3xf32> {lathe.param = "w"
// CHECK: lathe.gemm %{{.*}}, %{{.*}} {trans_b = true}
func.func @forward(%x: tensor<4x3xf32> {lathe.input = "x"},
    %w: tensor<2x3xf32> {lathe.param = "w", lathe.value = dense<1.0> : tensor<2x3xf32>})
    -> tensor<4x2xf32> {
  %y = lathe.gemm %x, %w {trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
func.func @train_step(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}
