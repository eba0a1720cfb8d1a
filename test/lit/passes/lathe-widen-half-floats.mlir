// RUN: lathe-opt %s --lathe-widen-half-floats --split-input-file | FileCheck %s
// 16-bit float ops compute in f32; each op's results are rounded back once.

// CHECK-LABEL: func.func @chain
//  CHECK-SAME: (%[[A:.*]]: tensor<4xf16>, %[[B:.*]]: tensor<4xf16>)
//   CHECK-DAG:   %[[WA:.*]] = lathe.cast %[[A]] : tensor<4xf16> to tensor<4xf32>
//   CHECK-DAG:   %[[WB:.*]] = lathe.cast %[[B]] : tensor<4xf16> to tensor<4xf32>
//       CHECK:   %[[SUM:.*]] = lathe.add %[[WA]], %[[WB]] : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
//       CHECK:   %[[R:.*]] = lathe.cast %[[SUM]] : tensor<4xf32> to tensor<4xf16>
//       CHECK:   %[[W:.*]] = lathe.cast %[[R]] : tensor<4xf16> to tensor<4xf32>
//       CHECK:   %[[SM:.*]] = lathe.softmax %[[W]] {axis = 0 : i64} : tensor<4xf32>
//       CHECK:   %[[Y:.*]] = lathe.cast %[[SM]] : tensor<4xf32> to tensor<4xf16>
//       CHECK:   %[[W2:.*]] = lathe.cast %[[Y]] : tensor<4xf16> to tensor<4xf32>
// Results of other types keep them.
//       CHECK:   %[[I:.*]] = lathe.argmax %[[W2]] {{.*}} : tensor<4xf32> -> tensor<i64>
//       CHECK:   return %[[Y]], %[[I]] : tensor<4xf16>, tensor<i64>
func.func @chain(%a: tensor<4xf16>, %b: tensor<4xf16>) -> (tensor<4xf16>, tensor<i64>) {
  %y = lathe.add %a, %b : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  %s = lathe.softmax %y {axis = 0 : i64} : tensor<4xf16>
  %i = lathe.argmax %s {axis = 0 : i64, keepdims = false} : tensor<4xf16> -> tensor<i64>
  return %s, %i : tensor<4xf16>, tensor<i64>
}

// -----

// bf16 alike; a matrix product accumulates in f32. Casts, constants and ops
// without 16-bit floats are left alone.
// CHECK-LABEL: func.func @matmul_bf16
//       CHECK:   %[[C:.*]] = lathe.constant dense<1.000000e+00> : tensor<3x2xbf16>
//       CHECK:   %[[WC:.*]] = lathe.cast %[[C]] : tensor<3x2xbf16> to tensor<3x2xf32>
//       CHECK:   lathe.matmul %{{.*}}, %[[WC]] : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
//       CHECK:   lathe.cast %{{.*}} : tensor<4x2xf32> to tensor<4x2xbf16>
//       CHECK:   lathe.relu %{{.*}} : tensor<4x2xf32>
//   CHECK-NOT:   lathe.cast
//       CHECK:   return
func.func @matmul_bf16(%x: tensor<4x3xbf16>, %z: tensor<4x2xf32>) -> (tensor<4x2xbf16>, tensor<4x2xf32>) {
  %c = lathe.constant dense<1.0> : tensor<3x2xbf16>
  %y = lathe.matmul %x, %c : tensor<4x3xbf16>, tensor<3x2xbf16> -> tensor<4x2xbf16>
  %r = lathe.relu %z : tensor<4x2xf32>
  return %y, %r : tensor<4x2xbf16>, tensor<4x2xf32>
}
