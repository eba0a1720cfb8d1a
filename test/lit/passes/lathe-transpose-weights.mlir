// RUN: lathe-opt %s --lathe-transpose-weights --split-input-file | FileCheck %s
// A Linear weight (N x K, read as gemm's transposed B) is stored K x N at
// compile time, and the gemm reads it as it is: [[1, 2, 3], [4, 5, 6]]
// becomes [[1, 4], [2, 5], [3, 6]], each row padded with zeros to a 64-byte
// line (16 floats), the bias too; the result is sliced back to 2 columns.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[W:[^:]*]]: tensor<3x16xf32> {lathe.param = "fc.weight", lathe.value = dense_resource<fc.weight> : tensor<3x16xf32>}
// CHECK-SAME: %[[B:[^:]*]]: tensor<16xf32> {lathe.param = "fc.bias", lathe.value = dense_resource<fc.bias> : tensor<16xf32>}
// CHECK: %[[P:.*]] = lathe.gemm %{{.*}}, %[[W]], %[[B]] :
// CHECK-NOT: trans_b
// CHECK-SAME: (tensor<4x3xf32>, tensor<3x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
// CHECK: %[[Y:.*]] = lathe.slice %[[P]] {sizes = array<i64: 4, 2>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>}
// CHECK: return %[[Y]]
// CHECK: fc.weight: "0x080000000000803F000080400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000400000A0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040400000C0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
// CHECK: fc.bias: "0x080000000000003F0000C0BF0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
func.func @forward(%x: tensor<4x3xf32> {lathe.input = "x"},
    %w: tensor<2x3xf32> {lathe.param = "fc.weight", lathe.value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>},
    %b: tensor<2xf32> {lathe.param = "fc.bias", lathe.value = dense<[0.5, -1.5]> : tensor<2xf32>})
    -> (tensor<4x2xf32> {lathe.output = "y"}) {
  %y = lathe.gemm %x, %w, %b {trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// The bias is read elsewhere too: the weight is transposed but not padded
// (the bias could not pad with it).
// CHECK-LABEL: func.func @forward
// CHECK-SAME: tensor<3x2xf32> {lathe.param = "w"
// CHECK: lathe.gemm %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-NOT: lathe.slice
func.func @forward(%x: tensor<4x3xf32> {lathe.input = "x"},
    %w: tensor<2x3xf32> {lathe.param = "w", lathe.value = dense<1.0> : tensor<2x3xf32>},
    %b: tensor<2xf32> {lathe.param = "b", lathe.value = dense<1.0> : tensor<2xf32>})
    -> (tensor<4x2xf32>, tensor<2xf32>) {
  %y = lathe.gemm %x, %w, %b {trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y, %b : tensor<4x2xf32>, tensor<2xf32>
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
