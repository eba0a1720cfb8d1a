// RUN: lathe-opt %s --split-input-file --verify-diagnostics
// Each op rejects inconsistent operands and attributes with a clear message.

func.func @add_not_broadcastable(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{lathe.add expected broadcastable shapes, got tensor<4x3xf32> and tensor<4xf32>}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.add %a, %b : tensor<4x3xf32>, tensor<4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @add_wrong_result(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.add %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @sigmoid_int(%a: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = lathe.sigmoid %a : tensor<4xi32>
  return
}

// -----

func.func @gemm_inner(%a: tensor<4x16xf32>, %b: tensor<8x15xf32>) {
  // expected-error @+2 {{lathe.gemm expected matching inner dimensions, got 16 and 15}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.gemm %a, %b {trans_b = true} : (tensor<4x16xf32>, tensor<8x15xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<4x16xf32>, %b: tensor<16x8xf32>, %c: tensor<3xf32>) {
  // expected-error @+2 {{lathe.gemm expected C to broadcast to 4x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.gemm %a, %b, %c : (tensor<4x16xf32>, tensor<16x8xf32>, tensor<3xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<4x16xf32>, %b: tensor<15x8xf32>) {
  // expected-error @+2 {{lathe.matmul expected matching inner dimensions, got 16 and 15}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.matmul %a, %b : tensor<4x16xf32>, tensor<15x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{lathe.conv2d expected groups to divide input channels 4 and output channels 6, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w {groups = 3 : i64} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_weight_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error @+2 {{lathe.conv2d expected weight dimension 1 to be 4 (channels / groups), got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w : (tensor<1x4x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{lathe.conv2d expected rank-4 input and weight, got ranks 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w : (tensor<4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{lathe.conv2d expected strides in [1, 2147483648], got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w {strides = array<i64: 0, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{lathe.conv2d expected a bias of 6 elements}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w, %b : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<5xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_too_small(%x: tensor<1x4x2x2xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{lathe.conv2d kernel is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w : (tensor<1x4x2x2xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x1xf32>
  return
}

// -----

func.func @bn_channels(%x: tensor<1x4x8x8xf32>, %s: tensor<3xf32>) {
  // expected-error @+2 {{lathe.batch_norm expected per-channel operands of 4 elements}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.batch_norm %x, %s, %s, %s, %s : (tensor<1x4x8x8xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @pool_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{lathe.avg_pool2d expected 2 kernel sizes, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.avg_pool2d %x {kernel = array<i64: 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x7x7xf32>
  return
}

// -----

func.func @pool_indices_rank(%x: tensor<4x8x8xf32>) {
  // expected-error @+2 {{lathe.max_pool_with_indices expected a rank-4 or rank-5 input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = lathe.max_pool_with_indices %x {kernel = array<i64: 2>, strides = array<i64: 1>,
                                        pads = array<i64: 0, 0>, dilations = array<i64: 1>}
      : tensor<4x8x8xf32> -> (tensor<4x8x7xf32>, tensor<4x8x7xi64>)
  return
}

// -----

func.func @pool_indices_window(%x: tensor<1x4x4x8x8xf32>) {
  // expected-error @+2 {{lathe.max_pool_with_indices expected 3 strides, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = lathe.max_pool_with_indices %x {kernel = array<i64: 2, 2, 2>, strides = array<i64: 1, 1>,
                                        pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>}
      : tensor<1x4x4x8x8xf32> -> (tensor<1x4x3x7x7xf32>, tensor<1x4x3x7x7xi64>)
  return
}

// -----

func.func @pool_rank(%x: tensor<4x8x8xf32>) {
  // expected-error @+2 {{lathe.max_pool2d expected a rank-4 input, got rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.max_pool2d %x {kernel = array<i64: 2, 2>} : tensor<4x8x8xf32> -> tensor<4x7x7xf32>
  return
}

// -----

func.func @adaptive_size(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{lathe.adaptive_avg_pool2d expected two positive output sizes}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.adaptive_avg_pool2d %x {output_size = array<i64: 0, 1>} : tensor<1x4x8x8xf32> -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{'lathe.softmax' op expected axis in [0, 2), got 2}}
  %0 = lathe.softmax %x {axis = 2 : i64} : tensor<4x10xf32>
  return
}

// -----

// A negative axis is reported as given (the frontend resolves it first).
func.func @softmax_negative_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{'lathe.softmax' op expected axis in [0, 2), got -1}}
  %0 = lathe.softmax %x {axis = -1 : i64} : tensor<4x10xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{'lathe.reshape' op expected 40 elements in the result, got 42}}
  %0 = lathe.reshape %x : tensor<4x10xf32> -> tensor<6x7xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{lathe.transpose expected a permutation of 0..1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.transpose %x {perm = array<i64: 0, 0>} : tensor<4x10xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{lathe.pad expected non-negative pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.pad %x {pads = array<i64: 0, -1, 0, 0>} : tensor<4x10xf32> -> tensor<4x9xf32>
  return
}

// -----

func.func @reduce_axes(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{lathe.reduce_sum expected sorted, distinct axes in [0, 2), got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.reduce_sum %x {axes = array<i64: 1, 0>} : tensor<4x10xf32> -> tensor<1x1xf32>
  return
}

// -----

func.func @concat_sizes(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+2 {{lathe.concat expected equal sizes outside axis 1, got 3 and 2 in dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.concat(%a, %b) {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<8xf32>) {
  // expected-error @+2 {{lathe.slice reads past the end of dimension 0 (size 8)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.slice %x {starts = array<i64: 4>, sizes = array<i64: 3>, steps = array<i64: 2>} : tensor<8xf32> -> tensor<3xf32>
  return
}

// -----

func.func @expand_shape(%x: tensor<3x2xf32>) {
  // expected-error @+1 {{'lathe.expand' op expected the input to broadcast to the result shape}}
  %0 = lathe.expand %x : tensor<3x2xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<4x16xf32>, %s: tensor<8xf32>) {
  // expected-error @+2 {{lathe.layer_norm expected scale and bias to broadcast to the normalized dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = lathe.layer_norm %x, %s {axis = 1 : i64} : (tensor<4x16xf32>, tensor<8xf32>) -> (tensor<4x16xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  return
}

// -----

func.func @relu_unsigned(%a: tensor<4xui8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or 8/16/32/64-bit signless integer values}}
  %0 = lathe.relu %a : tensor<4xui8>
  return
}

// -----

func.func @shift_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8/16/32/64-bit signless integer or 8/16/32/64-bit unsigned integer values}}
  %0 = lathe.shift_left %a, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @add_mixed_signedness(%a: tensor<4xui8>, %b: tensor<4xi8>) {
  // expected-error @+2 {{lathe.add expected operands of one element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.add %a, %b : tensor<4xui8>, tensor<4xi8> -> tensor<4xui8>
  return
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{lathe.conv_transpose2d expected output padding below the stride or dilation, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv_transpose2d %x, %w {output_padding = array<i64: 1, 0>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x11x10xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'lathe.cast' op requires the same shape for all operands and results}}
  %0 = lathe.cast %x : tensor<4xf32> to tensor<2xi32>
  return
}

// -----

func.func @add_mixed(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+2 {{lathe.add expected operands of one element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.add %a, %b : tensor<4xf32>, tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

func.func @neg_bool(%a: tensor<4xi1>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or 8/16/32/64-bit signless integer values}}
  %0 = lathe.neg %a : tensor<4xi1>
  return
}

// -----

func.func @nll_target_shape(%x: tensor<4x3x5xf32>, %t: tensor<4x3xi64>) {
  // expected-error @+2 {{lathe.nll_loss expected a target of shape N x d... matching the input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.nll_loss %x, %t : (tensor<4x3x5xf32>, tensor<4x3xi64>) -> tensor<f32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<4x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+2 {{lathe.gather_elements expected indices of the input's rank 2, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.gather_elements %x, %i {axis = 1 : i64} : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @pad_reflect_too_wide(%x: tensor<1x4xf32>) {
  // expected-error @+2 {{lathe.pad reflect pads of 4 do not fit dimension 1 of size 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.pad %x {mode = 1 : i64, pads = array<i64: 0, 4, 0, 0>} : tensor<1x4xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @group_norm_groups(%x: tensor<1x6x4xf32>, %s: tensor<6xf32>) {
  // expected-error @+2 {{lathe.group_norm expected groups dividing the 6 channels, got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %m, %r = lathe.group_norm %x, %s, %s {groups = 4 : i64} : (tensor<1x6x4xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<1x6x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>)
  return
}

// -----

func.func @cumsum_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{'lathe.cumsum' op expected axis in [0, 1), got 1}}
  %0 = lathe.cumsum %x {axis = 1 : i64} : tensor<4xf32>
  return
}

// -----

func.func @lstm_weight_shape(%x: tensor<2x3x4xf32>, %w: tensor<1x16x4xf32>, %r: tensor<1x20x5xf32>) {
  // expected-error @+1 {{'lathe.lstm' op expected weight of shape 1x20x4, got tensor<1x16x4xf32>}}
  %y, %h, %c = lathe.lstm %x, %w, %r {hidden_size = 5 : i64}
      : (tensor<2x3x4xf32>, tensor<1x16x4xf32>, tensor<1x20x5xf32>)
      -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
  return
}

// -----

func.func @resize_scales(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{'lathe.resize' op expected 2 scales, got 1}}
  %0 = lathe.resize %x {scales = array<f64: 2.0>} : tensor<1x4xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @grid_sample_grid(%x: tensor<1x3x8x8xf32>, %g: tensor<1x4x4x3xf32>) {
  // expected-error @+2 {{lathe.grid_sample expected an N x C x H x W input and an N x Ho x Wo x 2 grid of its type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.grid_sample %x, %g : (tensor<1x3x8x8xf32>, tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{lathe.top_k expected k in [1, 4], got 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %v, %i = lathe.top_k %x {axis = 1 : i64, k = 5 : i64} : tensor<3x4xf32> -> (tensor<3x5xf32>, tensor<3x5xi64>)
  return
}

// -----

func.func @einsum_sizes(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{lathe.einsum letter 'j' has sizes 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.einsum(%a, %b) {equation = "ij,jk->ik"} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @dropout_ratio(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'lathe.dropout' op expected a ratio in [0, 1], got 1.5}}
  %0, %1 = lathe.dropout %x {ratio = 1.5 : f64} : tensor<4x8xf32> -> tensor<4x8xi1>
  return
}

// -----

func.func @dropout_channelwise_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'lathe.dropout' op channelwise dropout expected an N x C x ... input}}
  %0, %1 = lathe.dropout %x {ratio = 0.5 : f64, channelwise} : tensor<8xf32> -> tensor<8xi1>
  return
}

// -----

func.func @loss_batchmean(%x: tensor<8x5xf32>) {
  // expected-error @+2 {{lathe.mse_loss does not take reduction batchmean (only lathe.kl_div_loss does)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.mse_loss %x, %x {reduction = 3 : i64} : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  return
}

// -----

func.func @loss_shapes(%x: tensor<8x5xf32>, %t: tensor<8x4xf32>) {
  // expected-error @+2 {{lathe.l1_loss expected operands of one element type and broadcastable shapes}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.l1_loss %x, %t : (tensor<8x5xf32>, tensor<8x4xf32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_target(%x: tensor<8x5xf32>, %t: tensor<5xi64>) {
  // expected-error @+2 {{lathe.cross_entropy_loss expected class targets of shape N x d... matching the input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.cross_entropy_loss %x, %t : (tensor<8x5xf32>, tensor<5xi64>) -> tensor<f32>
  return
}

// -----

func.func @multi_margin_p(%x: tensor<8x5xf32>, %t: tensor<8xi64>) {
  // expected-error @+2 {{lathe.multi_margin_loss expected p of 1 or 2, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.multi_margin_loss %x, %t {p = 3 : i64} : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
  return
}

// -----

func.func @ctc_blank(%lp: tensor<6x8x5xf32>, %y: tensor<8x3xi64>, %n: tensor<8xi64>) {
  // expected-error @+2 {{lathe.ctc_loss expected a blank class in [0, 5), got 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.ctc_loss %lp, %y, %n, %n {blank = 5 : i64} : (tensor<6x8x5xf32>, tensor<8x3xi64>, tensor<8xi64>, tensor<8xi64>) -> tensor<f32>
  return
}

// -----

func.func @ctc_lengths(%lp: tensor<6x8x5xf32>, %y: tensor<8x3xi64>, %n: tensor<4xi64>) {
  // expected-error @+2 {{lathe.ctc_loss expected one input length and one target length per sample (N = 8)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.ctc_loss %lp, %y, %n, %n : (tensor<6x8x5xf32>, tensor<8x3xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<f32>
  return
}

// -----

func.func @matmul_mixed(%a: tensor<2x3xf32>, %b: tensor<3x4xi32>) {
  // expected-error @+2 {{lathe.matmul expected operands of one element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xi32> -> tensor<2x4xf32>
  return
}

// -----

func.func @conv_mixed(%x: tensor<1x2x5x5xi32>, %w: tensor<3x2x3x3xi32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{lathe.conv2d expected input, weight and bias of one element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv2d %x, %w, %b : (tensor<1x2x5x5xi32>, tensor<3x2x3x3xi32>, tensor<3xf32>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @gradient_of_nothing(%y: tensor<3xf32>) {
  // expected-error @+2 {{lathe.gradient expected at least one value to differentiate with respect to}}
  // expected-error @+1 {{failed to infer returned types}}
  lathe.gradient %y wrt() held() : (tensor<3xf32>) -> ()
  return
}

// -----

func.func @gradient_wrong_type(%y: tensor<3xf32>, %a: tensor<2xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %g = lathe.gradient %y wrt(%a) held() : (tensor<3xf32>, tensor<2xf32>) -> tensor<3xf32>
  return
}
