// Layer builders every frontend shares: torch.nn layers' forward as lathe
// ops, with torch.nn-style arguments. Each checks its operands and
// arguments, reports a problem as a diagnostic at |loc| and returns
// failure (never aborts). The ONNX importer parses a node's attributes
// into these arguments; the C++ DSL will take them from its modules.
//
// Window ops (convolution, pooling) take N x C x d1..dn inputs, n = 1..3; a
// 1-D op runs as the 2-D one over unit height.
#ifndef LATHE_FRONTENDS_LAYERS_H
#define LATHE_FRONTENDS_LAYERS_H

#include "mlir/IR/Builders.h"

#include <optional>
#include <utility>

namespace lathe::layers {

/// A window op's geometry over its n spatial dimensions, as torch.nn's
/// layers take it, except that padding may differ at the two ends of a
/// dimension. An empty list means the default (stride and dilation 1,
/// padding 0).
struct Window {
  llvm::SmallVector<int64_t> kernel;   ///< n; pooling only (a convolution's
                                       ///< is its weight's).
  llvm::SmallVector<int64_t> stride;   ///< n.
  llvm::SmallVector<int64_t> padding;  ///< 2n: each dimension's front, then
                                       ///< each dimension's back.
  llvm::SmallVector<int64_t> dilation; ///< n.
  bool ceilMode = false;               ///< Pooling's ceil_mode.

  /// torch's padding=(p1, ..., pn): pi at both ends of dimension i.
  static llvm::SmallVector<int64_t> symmetric(llvm::ArrayRef<int64_t> padding);
};

/// torch.nn.Conv1d/2d/3d: |x| N x C x d..., |weight| O x C/groups x k...,
/// |bias| O or null.
mlir::FailureOr<mlir::Value> conv(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value x, mlir::Value weight,
                                  mlir::Value bias, const Window &window,
                                  int64_t groups = 1);

/// torch.nn.ConvTranspose1d/2d/3d: |weight| C x O/groups x k...,
/// |outputPadding| n (empty: 0). Padding may be negative: the output then
/// grows at that end by elements no input reaches, which hold the bias
/// alone (an output size beyond the full transposed convolution, as ONNX
/// Runtime computes it).
mlir::FailureOr<mlir::Value>
convTranspose(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
              mlir::Value weight, mlir::Value bias, const Window &window,
              llvm::ArrayRef<int64_t> outputPadding, int64_t groups = 1);

/// torch.nn.MaxPool1d/2d/3d over |window| (kernel required).
mlir::FailureOr<mlir::Value> maxPool(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Value x, const Window &window);

/// MaxPool with return_indices=True: the values and each maximum's offset
/// in the whole input, as ONNX defines it (row-major; the spatial part
/// column-major with |columnMajor|); PyTorch's per-plane index is that
/// minus the plane's start.
mlir::FailureOr<std::pair<mlir::Value, mlir::Value>>
maxPoolWithIndices(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                   const Window &window, bool columnMajor = false);

/// torch.nn.AvgPool1d/2d/3d (no dilation), with count_include_pad.
mlir::FailureOr<mlir::Value> avgPool(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Value x, const Window &window,
                                     bool countIncludePad);

/// torch.nn.LPPool1d/2d/3d as ONNX's LpPool defines it: each window's
/// (sum of |x|^p)^(1/p), |p| > 0; padding adds zeros, and in ceil mode a
/// window reaching past the padded input sums what it covers (no
/// dilation).
mlir::FailureOr<mlir::Value> lpPool(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value x, const Window &window,
                                    double p);

/// The p-norm over every spatial dimension, kept as size 1
/// (GlobalLpPool): N x C x 1 x ... x 1.
mlir::FailureOr<mlir::Value>
globalLpPool(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, double p);

/// The mean over every spatial dimension, kept as size 1
/// (AdaptiveAvgPoolNd(1)): N x C x 1 x ... x 1.
mlir::FailureOr<mlir::Value> globalAvgPool(mlir::OpBuilder &b,
                                           mlir::Location loc, mlir::Value x);

/// torch.nn.Linear: |x| ... x in_features, |weight| out x in, |bias| out or
/// null: x weight^T + bias over any leading dimensions.
mlir::FailureOr<mlir::Value> linear(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value x, mlir::Value weight,
                                    mlir::Value bias);

/// torch.nn.BatchNorm1d/2d/3d in evaluation mode (a training build's step
/// uses batch statistics, lathe-training-mode): channel dimension 1,
/// running statistics of size C; |weight| and |bias| null for
/// affine=False. |momentum| is torch's (the weight of the batch's
/// statistics in the running ones, 0.1 by default).
mlir::FailureOr<mlir::Value>
batchNorm(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
          mlir::Value weight, mlir::Value bias, mlir::Value runningMean,
          mlir::Value runningVar, double eps = 1e-5, double momentum = 0.1);

/// A normalization's result with the statistics its backward pass uses.
struct Normalized {
  mlir::Value y;
  mlir::Value mean;      ///< Shaped as the op defines it.
  mlir::Value invStdDev; ///< 1 / sqrt(var + eps), likewise.
};

/// torch.nn.LayerNorm over dimensions [axis, rank) of |x| (torch's
/// normalized_shape is the trailing rank - axis dimensions); |weight| and
/// |bias| shaped as those dimensions, or null (elementwise_affine=False,
/// bias=False).
mlir::FailureOr<Normalized> layerNorm(mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::Value x, int64_t axis,
                                      mlir::Value weight, mlir::Value bias,
                                      double eps = 1e-5);

/// torch.nn.GroupNorm(groups, C, eps, affine): |weight| and |bias| of size
/// C, or null.
mlir::FailureOr<Normalized> groupNorm(mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::Value x, int64_t groups,
                                      mlir::Value weight, mlir::Value bias,
                                      double eps = 1e-5);

/// torch.nn.InstanceNorm1d/2d/3d (without running statistics): group
/// normalization with one group per channel.
mlir::FailureOr<mlir::Value> instanceNorm(mlir::OpBuilder &b,
                                          mlir::Location loc, mlir::Value x,
                                          mlir::Value weight, mlir::Value bias,
                                          double eps = 1e-5);

/// The recurrent layers (lathe.rnn, lathe.gru, lathe.lstm: one layer of
/// torch.nn.RNN / GRU / LSTM over a whole sequence, weights in the ops'
/// ONNX layout and gate order, which Lathe's rnn ops document).
enum class Recurrence { Rnn, Gru, Lstm };

struct RecurrentOptions {
  int64_t hiddenSize = 0; ///< 0: the recurrence weight's last dimension.
  bool bidirectional = false;
  bool reverse = false;           ///< One direction, from the last step back.
  bool batchFirst = false;        ///< N x T x I in; N x T x D x H and N x D x H
                                  ///< out (ONNX's layout=1).
  bool relu = false;              ///< Rnn: nonlinearity='relu' instead of tanh.
  bool linearBeforeReset = false; ///< Gru: the reset gate applied after the
                                  ///< recurrence's product (torch's GRU).
  std::optional<float> clip;      ///< Bound on the gates' pre-activations.
};

/// A recurrent layer's results: every step's hidden state (T x D x N x H,
/// or N x T x D x H batch first), the last hidden state (D x N x H, or
/// N x D x H) and, for an LSTM, the last cell state (likewise).
struct RecurrentResult {
  mlir::Value y, h, c;
};

/// One recurrent layer of |kind| over |x| (T x N x I, or N x T x I batch
/// first) with weights |w| (D x gH x I), |r| (D x gH x H) and optional
/// |bias| (D x 2gH), initial states |h0|, |c0| (LSTM) shaped as the
/// results' last states, LSTM |peepholes| (D x 3H), and per-sample
/// |lengths| (N); null for those absent.
mlir::FailureOr<RecurrentResult>
recurrent(mlir::OpBuilder &b, mlir::Location loc, Recurrence kind,
          mlir::Value x, mlir::Value w, mlir::Value r, mlir::Value bias,
          mlir::Value h0, mlir::Value c0, mlir::Value peepholes,
          mlir::Value lengths, const RecurrentOptions &options);

} // namespace lathe::layers

#endif // LATHE_FRONTENDS_LAYERS_H
