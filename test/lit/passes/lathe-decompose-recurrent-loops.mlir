// RUN: lathe-opt %s --lathe-decompose-recurrent --split-input-file | FileCheck %s
// Recurrent layers become one scf.for over time per direction: the input
// projection of every step at once before it, one recurrent product per
// iteration, outputs and state updated in place.

// CHECK-LABEL: func.func @lstm_loop
//       CHECK:   lathe.matmul %{{.*}} : tensor<5x3x4xf32>, tensor<4x20xf32> -> tensor<5x3x20xf32>
//       CHECK:   %[[Y0:.*]] = tensor.empty() : tensor<5x3x5xf32>
//       CHECK:   %[[H0:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0] [1, 3, 5] [1, 1, 1] : tensor<3x5xf32> into tensor<2x3x5xf32>
//       CHECK:   %[[C0:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0] [1, 3, 5] [1, 1, 1] : tensor<3x5xf32> into tensor<2x3x5xf32>
//       CHECK:   %[[FOR:.*]]:3 = scf.for %[[S:[a-z0-9]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[Y:.*]] = %[[Y0]], %[[H:.*]] = %[[H0]], %[[C:.*]] = %[[C0]])
//       CHECK:     %[[FROM:.*]] = arith.remui %[[S]], %{{.*}} : index
//       CHECK:     %[[TO:.*]] = arith.subi %{{.*}}, %[[FROM]] : index
//       CHECK:     tensor.extract_slice %[[H]][%[[FROM]], 0, 0] [1, 3, 5] [1, 1, 1] : tensor<2x3x5xf32> to tensor<3x5xf32>
//       CHECK:     tensor.extract_slice %{{.*}}[%[[S]], 0, 0] [1, 3, 20] [1, 1, 1] : tensor<5x3x20xf32> to tensor<3x20xf32>
//       CHECK:     lathe.matmul %{{.*}} : tensor<3x5xf32>, tensor<5x20xf32> -> tensor<3x20xf32>
//       CHECK:     lathe.sigmoid
//       CHECK:     lathe.tanh
//       CHECK:     %[[NY:.*]] = tensor.insert_slice %{{.*}} into %[[Y]][%[[S]], 0, 0] [1, 3, 5] [1, 1, 1]
//       CHECK:     %[[NH:.*]] = tensor.insert_slice %{{.*}} into %[[H]][%[[TO]], 0, 0] [1, 3, 5] [1, 1, 1]
//       CHECK:     %[[NC:.*]] = tensor.insert_slice %{{.*}} into %[[C]][%[[TO]], 0, 0] [1, 3, 5] [1, 1, 1]
//       CHECK:     scf.yield %[[NY]], %[[NH]], %[[NC]]
// The state after 5 steps is in row 1.
//       CHECK:   lathe.slice %[[FOR]]#1 {sizes = array<i64: 1, 3, 5>, starts = array<i64: 1, 0, 0>
//   CHECK-NOT:   lathe.lstm
func.func @lstm_loop(%x: tensor<5x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>, %b: tensor<1x40xf32>)
    -> (tensor<5x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>) {
  %y, %h, %c = lathe.lstm %x, %w, %r bias %b {hidden_size = 5 : i64}
      : (tensor<5x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>, tensor<1x40xf32>)
      -> (tensor<5x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
  return %y, %h, %c : tensor<5x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>
}

// -----

// Reverse: step s reads and writes row T - 1 - s; sequence_lens: which
// samples run, per step, computed once before the loop.
// CHECK-LABEL: func.func @rnn_reverse_sequence_lens
//       CHECK:   %[[ACTIVE:.*]] = lathe.greater %{{.*}}, %{{.*}} : tensor<1x2x1xf32>, tensor<3x1x1xf32> -> tensor<3x2x1xi1>
//       CHECK:   scf.for %[[S:[a-z0-9]+]] =
//       CHECK:     %[[AT:.*]] = arith.subi %{{.*}}, %[[S]] : index
//       CHECK:     tensor.extract_slice %[[ACTIVE]][%[[AT]], 0, 0] [1, 2, 1] [1, 1, 1] : tensor<3x2x1xi1> to tensor<2x1xi1>
//       CHECK:     tensor.extract_slice %{{.*}}[%[[AT]], 0, 0] [1, 2, 4] [1, 1, 1] : tensor<3x2x4xf32> to tensor<2x4xf32>
//       CHECK:     lathe.where
//       CHECK:     tensor.insert_slice %{{.*}} into %{{.*}}[%[[AT]], 0, 0] [1, 2, 4] [1, 1, 1]
//   CHECK-NOT:   lathe.rnn
func.func @rnn_reverse_sequence_lens(%x: tensor<3x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %lens: tensor<2xi32>)
    -> tensor<3x1x2x4xf32> {
  %y, %h = lathe.rnn %x, %w, %r sequence_lens %lens {hidden_size = 4 : i64, direction = 1 : i64}
      : (tensor<3x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, tensor<2xi32>) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>)
  return %y : tensor<3x1x2x4xf32>
}

// -----

// Inside a graph that ONNX's Gradient differentiates, the steps stay
// unrolled.
// CHECK-LABEL: func.func @rnn_under_gradient
//   CHECK-NOT:   scf.for
//       CHECK:   lathe.tanh
//       CHECK:   lathe.tanh
func.func @rnn_under_gradient(%x: tensor<2x1x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>)
    -> tensor<1x4x3xf32> {
  %y, %h = lathe.rnn %x, %w, %r {hidden_size = 4 : i64}
      : (tensor<2x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>) -> (tensor<2x1x1x4xf32>, tensor<1x1x4xf32>)
  %g = lathe.gradient %y wrt(%w) held() : (tensor<2x1x1x4xf32>, tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  return %g : tensor<1x4x3xf32>
}
