// RUN: lathe-opt %s --canonicalize --split-input-file | FileCheck %s
// Folders compute at compile time what the generated code would compute:
// IEEE arithmetic in the element type, wrapping integers.

// CHECK-LABEL: func.func @constants
// CHECK-DAG: lathe.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: lathe.constant dense<{{\[\[}}3.000000e+00, 4.000000e+00, 5.000000e+00], [6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: lathe.constant dense<[3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]> : tensor<6xf32>
// CHECK-DAG: lathe.constant dense<{{\[\[}}2, 3, 4], [5, 6, -2147483648]]> : tensor<2x3xi32>
// CHECK-DAG: lathe.constant dense<0x7F800000> : tensor<2x3xf32>
// CHECK-DAG: lathe.constant dense<{{\[\[}}-1.000000e+00, -2.000000e+00, -3.000000e+00], [-4.000000e+00, -5.000000e+00, -6.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: lathe.constant dense<7.000000e+00> : tensor<4x2x3xf32>
// CHECK-NOT: lathe.transpose
// CHECK-NOT: lathe.add
// CHECK-NOT: lathe.neg
// CHECK-NOT: lathe.expand
// CHECK-NOT: lathe.reshape
func.func @constants() -> (tensor<3x2xf32>, tensor<2x3xf32>, tensor<6xf32>, tensor<2x3xi32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4x2x3xf32>) {
  %c = lathe.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %t = lathe.transpose %c {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %two = lathe.constant dense<2.0> : tensor<2x3xf32>
  %s = lathe.add %c, %two : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %r = lathe.reshape %s : tensor<2x3xf32> -> tensor<6xf32>
  %i = lathe.constant dense<[[1, 2, 3], [4, 5, 2147483647]]> : tensor<2x3xi32>
  %i1 = lathe.constant dense<1> : tensor<2x3xi32>
  %w = lathe.add %i, %i1 : tensor<2x3xi32>, tensor<2x3xi32> -> tensor<2x3xi32>
  %z = lathe.constant dense<0.0> : tensor<2x3xf32>
  %d = lathe.div %two, %z : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %n = lathe.neg %c : tensor<2x3xf32>
  %seven = lathe.constant dense<7.0> : tensor<2x3xf32>
  %e = lathe.expand %seven : tensor<2x3xf32> -> tensor<4x2x3xf32>
  return %t, %s, %r, %w, %d, %n, %e : tensor<3x2xf32>, tensor<2x3xf32>, tensor<6xf32>, tensor<2x3xi32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4x2x3xf32>
}

// -----

// Identities that hold for every value, NaN and -0 included: x * 1, 1 * x,
// x / 1, x - (+0), an identity transpose, a reshape or expand to the same
// type, reshape of reshape.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[R:.*]] = lathe.reshape %[[X]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[R]]
func.func @identities(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<3x2xf32>) {
  %one = lathe.constant dense<1.0> : tensor<f32>
  %zero = lathe.constant dense<0.0> : tensor<f32>
  %a = lathe.mul %x, %one : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %b = lathe.mul %one, %a : tensor<f32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %c = lathe.div %b, %one : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %d = lathe.sub %c, %zero : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %t = lathe.transpose %d {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %e = lathe.expand %t : tensor<2x3xf32> -> tensor<2x3xf32>
  %r1 = lathe.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %r2 = lathe.reshape %r1 : tensor<6xf32> -> tensor<3x2xf32>
  return %a, %b, %c, %d, %e, %r2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<3x2xf32>
}

// -----

// Not identities, or not this fold's to decide: x + 0 (-0 + 0 is +0),
// x - (-0), integer division, a broadcast that changes the type.
// CHECK-LABEL: func.func @kept
// CHECK: lathe.add
// CHECK: lathe.sub
// CHECK: lathe.div
// CHECK: lathe.mul
func.func @kept(%x: tensor<2x3xf32>, %i: tensor<2x3xi32>, %v: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi32>, tensor<2x3xf32>) {
  %zero = lathe.constant dense<0.0> : tensor<f32>
  %negzero = lathe.constant dense<-0.0> : tensor<f32>
  %a = lathe.add %x, %zero : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %s = lathe.sub %x, %negzero : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %c1 = lathe.constant dense<1> : tensor<2x3xi32>
  %q = lathe.div %i, %c1 : tensor<2x3xi32>, tensor<2x3xi32> -> tensor<2x3xi32>
  %ones = lathe.constant dense<1.0> : tensor<2x3xf32>
  %m = lathe.mul %v, %ones : tensor<3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %a, %s, %q, %m : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi32>, tensor<2x3xf32>
}
