// RUN: lathe-opt %s --lathe-fold-batch-norm --split-input-file | FileCheck %s
// An inference batch norm after a convolution folds into the convolution's
// weights: s = scale / sqrt(var + eps) = [4/2, 3/3] = [2, 1];
// W' = W s = [1*2, 2*1]; b' = (0 - mean) s + bias = [-0.5*2 + 1, -1*1 + 5].
// The batch norm's bias parameter carries b'; scale, mean and var leave.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x2x2xf32> {lathe.input = "x"}, %[[W:.*]]: tensor<2x1x1x1xf32> {lathe.param = "conv.weight", lathe.value = dense_resource<conv.weight> : tensor<2x1x1x1xf32>}, %[[B:.*]]: tensor<2xf32> {lathe.param = "bn.bias", lathe.value = dense_resource<bn.bias> : tensor<2xf32>})
// CHECK-NEXT: %[[Y:.*]] = lathe.conv2d %[[X]], %[[W]], %[[B]]
// CHECK-NOT: lathe.batch_norm
// CHECK-NEXT: return %[[Y]]
// CHECK: conv.weight: "0x080000000000004000000040"
// CHECK: bn.bias: "0x080000000000000000008040"
func.func @forward(%x: tensor<1x1x2x2xf32> {lathe.input = "x"},
    %w: tensor<2x1x1x1xf32> {lathe.param = "conv.weight", lathe.value = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>},
    %scale: tensor<2xf32> {lathe.param = "bn.weight", lathe.value = dense<[4.0, 3.0]> : tensor<2xf32>},
    %bias: tensor<2xf32> {lathe.param = "bn.bias", lathe.value = dense<[1.0, 5.0]> : tensor<2xf32>},
    %mean: tensor<2xf32> {lathe.param = "bn.running_mean", lathe.value = dense<[0.5, 1.0]> : tensor<2xf32>},
    %var: tensor<2xf32> {lathe.param = "bn.running_var", lathe.value = dense<[3.0, 8.0]> : tensor<2xf32>})
    -> (tensor<1x2x2x2xf32> {lathe.output = "y"}) {
  %c = lathe.conv2d %x, %w : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = lathe.batch_norm %c, %scale, %bias, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// The convolution's output is read elsewhere too: nothing folds.
// CHECK-LABEL: func.func @forward
// CHECK: lathe.batch_norm
func.func @forward(%x: tensor<1x1x2x2xf32> {lathe.input = "x"},
    %w: tensor<2x1x1x1xf32> {lathe.param = "w", lathe.value = dense<1.0> : tensor<2x1x1x1xf32>},
    %s: tensor<2xf32> {lathe.param = "s", lathe.value = dense<1.0> : tensor<2xf32>},
    %b: tensor<2xf32> {lathe.param = "b", lathe.value = dense<0.0> : tensor<2xf32>},
    %m: tensor<2xf32> {lathe.param = "m", lathe.value = dense<0.0> : tensor<2xf32>},
    %v: tensor<2xf32> {lathe.param = "v", lathe.value = dense<1.0> : tensor<2xf32>})
    -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %c = lathe.conv2d %x, %w : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = lathe.batch_norm %c, %s, %b, %m, %v : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y, %c : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}

// -----

// A training build (more than @forward): its batch norms train, nothing
// folds.
// CHECK-LABEL: func.func @forward
// CHECK: lathe.batch_norm
// CHECK-LABEL: func.func @eval_step
func.func @forward(%x: tensor<1x1x2x2xf32> {lathe.input = "x"},
    %w: tensor<2x1x1x1xf32> {lathe.param = "w", lathe.value = dense<1.0> : tensor<2x1x1x1xf32>},
    %s: tensor<2xf32> {lathe.param = "s", lathe.value = dense<1.0> : tensor<2xf32>},
    %b: tensor<2xf32> {lathe.param = "b", lathe.value = dense<0.0> : tensor<2xf32>},
    %m: tensor<2xf32> {lathe.param = "m", lathe.value = dense<0.0> : tensor<2xf32>},
    %v: tensor<2xf32> {lathe.param = "v", lathe.value = dense<1.0> : tensor<2xf32>})
    -> tensor<1x2x2x2xf32> {
  %c = lathe.conv2d %x, %w : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = lathe.batch_norm %c, %s, %b, %m, %v : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
func.func @eval_step(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  return %x : tensor<1x1x2x2xf32>
}
