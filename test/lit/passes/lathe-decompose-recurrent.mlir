// RUN: lathe-opt %s --lathe-decompose-recurrent=loops=false --split-input-file | FileCheck %s
// Recurrent layers become their cells' lathe ops, unrolled over the sequence.

// CHECK-LABEL: func.func @lstm_two_steps
// One input projection for all steps, then one recurrent product per step.
//       CHECK:   lathe.matmul %{{.*}} : tensor<2x3x4xf32>, tensor<4x20xf32> -> tensor<2x3x20xf32>
//       CHECK:   lathe.matmul %{{.*}} : tensor<3x5xf32>, tensor<5x20xf32> -> tensor<3x20xf32>
//       CHECK:   lathe.sigmoid
//       CHECK:   lathe.tanh
//       CHECK:   lathe.matmul %{{.*}} : tensor<3x5xf32>, tensor<5x20xf32> -> tensor<3x20xf32>
//       CHECK:   lathe.concat
//   CHECK-NOT:   lathe.lstm
func.func @lstm_two_steps(%x: tensor<2x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>, %b: tensor<1x40xf32>)
    -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>) {
  %y, %h, %c = lathe.lstm %x, %w, %r bias %b {hidden_size = 5 : i64}
      : (tensor<2x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>, tensor<1x40xf32>)
      -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
  return %y, %h, %c : tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>
}

// -----

// CHECK-LABEL: func.func @gru_bidirectional
//       CHECK:   lathe.sigmoid
//       CHECK:   lathe.concat({{.*}}) {axis = 1 : i64} : (tensor<3x1x2x4xf32>, tensor<3x1x2x4xf32>) -> tensor<3x2x2x4xf32>
//   CHECK-NOT:   lathe.gru
func.func @gru_bidirectional(%x: tensor<3x2x6xf32>, %w: tensor<2x12x6xf32>, %r: tensor<2x12x4xf32>)
    -> tensor<3x2x2x4xf32> {
  %y, %h = lathe.gru %x, %w, %r {hidden_size = 4 : i64, direction = 2 : i64, linear_before_reset}
      : (tensor<3x2x6xf32>, tensor<2x12x6xf32>, tensor<2x12x4xf32>) -> (tensor<3x2x2x4xf32>, tensor<2x2x4xf32>)
  return %y : tensor<3x2x2x4xf32>
}

// -----

// CHECK-LABEL: func.func @rnn_relu
//       CHECK:   lathe.relu
//   CHECK-NOT:   lathe.rnn
func.func @rnn_relu(%x: tensor<2x1x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %h0: tensor<1x1x4xf32>)
    -> tensor<1x1x4xf32> {
  %y, %h = lathe.rnn %x, %w, %r initial_h %h0 {hidden_size = 4 : i64, nonlinearity = 1 : i64}
      : (tensor<2x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, tensor<1x1x4xf32>) -> (tensor<2x1x1x4xf32>, tensor<1x1x4xf32>)
  return %h : tensor<1x1x4xf32>
}

// -----

// sequence_lens: per step, samples past their length keep their state and
// output zeros.
// CHECK-LABEL: func.func @rnn_sequence_lens
//       CHECK:   %[[L:.*]] = lathe.cast %arg3 : tensor<2xi32> to tensor<2xf32>
//       CHECK:   %[[L2:.*]] = lathe.reshape %[[L]] : tensor<2xf32> -> tensor<2x1xf32>
//       CHECK:   %[[ON:.*]] = lathe.greater %[[L2]], %{{.*}} : tensor<2x1xf32>, tensor<f32> -> tensor<2x1xi1>
//       CHECK:   lathe.where %[[ON]], %{{.*}}, %{{.*}} : tensor<2x1xi1>, tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
//       CHECK:   lathe.where %[[ON]], %{{.*}}, %{{.*}} : tensor<2x1xi1>, tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
//   CHECK-NOT:   lathe.rnn
func.func @rnn_sequence_lens(%x: tensor<3x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %lens: tensor<2xi32>)
    -> tensor<3x1x2x4xf32> {
  %y, %h = lathe.rnn %x, %w, %r sequence_lens %lens {hidden_size = 4 : i64}
      : (tensor<3x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, tensor<2xi32>) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>)
  return %y : tensor<3x1x2x4xf32>
}
