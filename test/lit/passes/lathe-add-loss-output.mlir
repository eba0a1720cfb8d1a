// RUN: lathe-opt %s "--lathe-add-loss=loss=output:loss" | FileCheck %s
// RUN: not lathe-opt %s "--lathe-add-loss=loss=output:nope" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ERR
// loss=output:NAME takes the model's own scalar output: no criterion and no
// target are added; a name the model does not output is refused.

// CHECK-LABEL: func.func @eval_step
// CHECK-SAME: (%{{.*}}: tensor<3xf32> {lathe.input = "x"}, %{{.*}}: tensor<3xf32> {lathe.param = "w"})
// CHECK-SAME: -> (tensor<f32> {lathe.output = "loss"})
// CHECK-NOT: _loss
// CHECK-LABEL: func.func @gradient
// ERR: error: the model has no output named 'nope' to use as its loss
func.func @forward(%x: tensor<3xf32> {lathe.input = "x"}, %w: tensor<3xf32> {lathe.param = "w"})
    -> (tensor<f32> {lathe.output = "loss"}) {
  %y = lathe.mul %x, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = lathe.reduce_sum %y {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
