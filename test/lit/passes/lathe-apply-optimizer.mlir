// RUN: lathe-opt %s "--lathe-apply-optimizer=optimizer=sgd momentum=0.9" \
// RUN:   | FileCheck %s --check-prefix=SGD
// RUN: lathe-opt %s "--lathe-apply-optimizer=optimizer=adam" \
// RUN:   | FileCheck %s --check-prefix=ADAM
// RUN: not lathe-opt %s "--lathe-apply-optimizer=optimizer=lion" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ERR
// @gradient (loss and lathe.grad results) becomes @train_step: optimizer
// state and the lr / step hyperparameters as arguments, the updated
// parameter and state as results.

// SGD-LABEL: func.func @train_step
// SGD-SAME: %[[W:[a-z0-9]+]]: tensor<3xf32> {lathe.param = "w"}
// SGD-SAME: %[[BUF:[a-z0-9]+]]: tensor<3xf32> {lathe.state = "w.momentum_buffer", lathe.state_init = 0.000000e+00 : f64}
// SGD-SAME: %[[LR:[a-z0-9]+]]: tensor<f64> {lathe.hyper = "lr"}, %[[STEP:[a-z0-9]+]]: tensor<f64> {lathe.hyper = "step"}
// SGD-SAME: -> (tensor<f32> {lathe.output = "loss"}, tensor<3xf32> {lathe.param = "w"}, tensor<3xf32> {lathe.state = "w.momentum_buffer"})
// The first step takes the gradient as the buffer (torch's momentum_buffer
// is None then); later steps buf * momentum + grad.
// SGD: %[[FIRST:.*]] = lathe.equal %[[STEP]]
// SGD: %[[M:.*]] = lathe.mul %[[BUF]]
// SGD: %[[NEXT:.*]] = lathe.add %[[M]]
// SGD: %[[B:.*]] = lathe.where %[[FIRST]], %{{.*}}, %[[NEXT]]
// SGD: %[[LR32:.*]] = lathe.cast %[[LR]]
// SGD: %[[D:.*]] = lathe.mul %[[B]], %[[LR32]]
// SGD: %[[NEW:.*]] = lathe.sub %[[W]], %[[D]]
// SGD: return %{{.*}}, %[[NEW]], %[[B]]

// ADAM-LABEL: func.func @train_step
// ADAM-SAME: {lathe.state = "w.exp_avg", lathe.state_init = 0.000000e+00 : f64}
// ADAM-SAME: {lathe.state = "w.exp_avg_sq", lathe.state_init = 0.000000e+00 : f64}
// ADAM-SAME: -> (tensor<f32> {lathe.output = "loss"}, tensor<3xf32> {lathe.param = "w"}, tensor<3xf32> {lathe.state = "w.exp_avg"}, tensor<3xf32> {lathe.state = "w.exp_avg_sq"})
// ADAM: lathe.sqrt

// ERR: error: unknown optimizer 'lion' (expected sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, sparse_adam, rprop, asgd or lbfgs)
func.func @gradient(%x: tensor<3xf32> {lathe.input = "x"}, %w: tensor<3xf32> {lathe.param = "w"})
    -> (tensor<f32> {lathe.output = "loss"}, tensor<3xf32> {lathe.grad = "w"}) {
  %y = lathe.mul %x, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = lathe.reduce_sum %y {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %l, %x : tensor<f32>, tensor<3xf32>
}
