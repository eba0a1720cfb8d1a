// RUN: lathe-opt %s --lathe-expand-gradients --split-input-file --verify-diagnostics | FileCheck %s
// lathe.gradient becomes the backward ops of its y in place: the seed is
// ones shaped as y, a held value stops the gradient, an x that y does not
// depend on gets zeros, and an op without a rule on the path is refused.

// d sum(a * b) / da = b (times the seed of ones), / db = a.
// CHECK-LABEL: func.func @product
// CHECK-NOT: lathe.gradient
// CHECK: %[[Y:.*]] = lathe.mul %[[A:[a-z0-9]+]], %[[B:[a-z0-9]+]]
// CHECK: %[[ONES:.*]] = lathe.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK-DAG: %[[DA:.*]] = lathe.mul %[[ONES]], %[[B]]
// CHECK-DAG: %[[DB:.*]] = lathe.mul %[[ONES]], %[[A]]
// CHECK: return %[[Y]], %[[DA]], %[[DB]]
func.func @product(%a: tensor<3xf32>, %b: tensor<3xf32>)
    -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y = lathe.mul %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %da, %db = lathe.gradient %y wrt(%a, %b) held()
      : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  return %y, %da, %db : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// y = tanh(a) * a with tanh(a) held: only the second factor's path counts,
// d/da = tanh(a); c is not on y's path and gets zeros.
// CHECK-LABEL: func.func @held
// CHECK: %[[T:.*]] = lathe.tanh %[[A:[a-z0-9]+]]
// CHECK: %[[ONES:.*]] = lathe.constant dense<1.000000e+00>
// CHECK: %[[DA:.*]] = lathe.mul %[[ONES]], %[[T]]
// CHECK-NOT: lathe.tanh
// CHECK: %[[ZERO:.*]] = lathe.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: return %[[DA]], %[[ZERO]]
func.func @held(%a: tensor<2xf32>, %c: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %t = lathe.tanh %a : tensor<2xf32>
  %y = lathe.mul %t, %a : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %da, %dc = lathe.gradient %y wrt(%a, %c) held(%t)
      : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return %da, %dc : tensor<2xf32>, tensor<2xf32>
}

// -----

func.func @no_rule(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'tensor.extract_slice' has no gradient rule, so the Gradient op cannot differentiate through it}}
  %s = tensor.extract_slice %a[0] [2] [1] : tensor<3xf32> to tensor<2xf32>
  %da = lathe.gradient %s wrt(%a) held() : (tensor<2xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %da : tensor<3xf32>
}
