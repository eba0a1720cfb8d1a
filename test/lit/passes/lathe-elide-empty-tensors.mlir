// RUN: lathe-opt %s --lathe-elide-empty-tensors | FileCheck %s
// A tensor with no elements is computed by nothing: empty results become
// tensor.empty, the body never reads an empty argument, and the function's
// empty arguments and results cross the boundary as rank-1 tensors.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<0xf32> {lathe.input = "x"}, %[[Y:.*]]: tensor<2x4x3xf32> {lathe.input = "y"})
// CHECK-SAME: -> (tensor<2x4x3xf32> {lathe.output = "cat"}, tensor<0xf32> {lathe.output = "sq"})
// CHECK-NOT: lathe.mul
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x0x3xf32>
// CHECK: %[[C:.*]] = lathe.concat(%[[E]], %[[Y]])
// CHECK: %[[F:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[C]], %[[F]]
func.func @forward(%x: tensor<2x0x3xf32> {lathe.input = "x"},
                   %y: tensor<2x4x3xf32> {lathe.input = "y"})
    -> (tensor<2x4x3xf32> {lathe.output = "cat"},
        tensor<2x0x3xf32> {lathe.output = "sq"}) {
  %sq = lathe.mul %x, %x : tensor<2x0x3xf32>, tensor<2x0x3xf32> -> tensor<2x0x3xf32>
  %cat = lathe.concat(%x, %y) {axis = 1 : i64} : (tensor<2x0x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %cat, %sq : tensor<2x4x3xf32>, tensor<2x0x3xf32>
}
