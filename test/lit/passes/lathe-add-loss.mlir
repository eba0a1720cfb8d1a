// RUN: lathe-opt %s \
// RUN:   --lathe-add-loss | FileCheck %s --check-prefix=CE
// RUN: lathe-opt %s \
// RUN:   "--lathe-add-loss=loss=mse reduction=sum" | FileCheck %s --check-prefix=MSE
// RUN: lathe-opt %s \
// RUN:   "--lathe-add-loss=loss=nll ignore-index=3" | FileCheck %s --check-prefix=NLL
// @forward gains @eval_step and @gradient: the criterion on the first
// output, a new "target" input of the type the criterion compares with, the
// loss first among the results.

// The module names its criterion (and the target value it ignores) for the
// artifact's descriptor.
// CE: module attributes {lathe.criterion = "cross_entropy", lathe.ignore_index = -100 : i64}
// NLL: module attributes {lathe.criterion = "nll", lathe.ignore_index = 3 : i64}
// NLL: lathe.nll_loss
// MSE: module attributes {lathe.criterion = "mse"

// CE-LABEL: func.func @eval_step
// CE-SAME: (%[[X:.*]]: tensor<4x3xf32> {lathe.input = "x"}, %[[T:.*]]: tensor<4xi64> {lathe.input = "target"}, %[[W:.*]]: tensor<3x5xf32> {lathe.param = "w"})
// CE-SAME: -> (tensor<f32> {lathe.output = "loss"}, tensor<4x5xf32> {lathe.output = "y"})
// CE: %[[Y:.*]] = lathe.matmul %[[X]], %[[W]]
// CE: %[[L:.*]] = lathe.cross_entropy_loss %[[Y]], %[[T]]
// CE: return %[[L]], %[[Y]]
// CE-LABEL: func.func @gradient
// CE: lathe.cross_entropy_loss

// MSE-LABEL: func.func @eval_step
// MSE-SAME: tensor<4x5xf32> {lathe.input = "target"}
// MSE: lathe.mse_loss %{{.*}}, %{{.*}} {reduction = 2 : i64}
func.func @forward(%x: tensor<4x3xf32> {lathe.input = "x"}, %w: tensor<3x5xf32> {lathe.param = "w"})
    -> (tensor<4x5xf32> {lathe.output = "y"}) {
  %y = lathe.matmul %x, %w : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}
