// The C++ DSL's functional API (lathe/nn.h): torch::nn::functional.
#ifndef LATHE_NN_FUNCTIONAL_H
#define LATHE_NN_FUNCTIONAL_H

#include "lathe/nn/options.h"
#include "lathe/nn/tensor.h"

namespace lathe::nn {

// ---------------------------------------------------------------------------
// Functional API (torch::nn::functional).
// ---------------------------------------------------------------------------
namespace functional {
Tensor relu(const Tensor &x);
Tensor relu6(const Tensor &x);
Tensor leaky_relu(const Tensor &x, double negative_slope = 0.01);
Tensor elu(const Tensor &x, double alpha = 1.0);
Tensor selu(const Tensor &x);
Tensor celu(const Tensor &x, double alpha = 1.0);
/// approximate: "none" (erf) or "tanh".
Tensor gelu(const Tensor &x, const std::string &approximate = "none");
Tensor silu(const Tensor &x);
Tensor mish(const Tensor &x);
Tensor sigmoid(const Tensor &x);
Tensor tanh(const Tensor &x);
Tensor hardtanh(const Tensor &x, double min_val = -1.0, double max_val = 1.0);
Tensor hardsigmoid(const Tensor &x);
Tensor hardswish(const Tensor &x);
Tensor softplus(const Tensor &x, double beta = 1.0, double threshold = 20.0);
Tensor softsign(const Tensor &x);
Tensor logsigmoid(const Tensor &x);
Tensor softmax(const Tensor &x, int64_t dim);
Tensor log_softmax(const Tensor &x, int64_t dim);

/// torch's F.linear: x weight^T + bias (bias may be undefined).
Tensor linear(const Tensor &x, const Tensor &weight,
              const Tensor &bias = Tensor());
/// N x C x d1..dn (n = 1..3) convolution; padding per dimension (or one
/// for all); padding_mode zeros.
Tensor conv(const Tensor &x, const Tensor &weight, const Tensor &bias,
            ExpandingArray stride = {1}, ExpandingArray padding = {0},
            ExpandingArray dilation = {1}, int64_t groups = 1);
Tensor conv_transpose(const Tensor &x, const Tensor &weight, const Tensor &bias,
                      ExpandingArray stride = {1}, ExpandingArray padding = {0},
                      ExpandingArray output_padding = {0}, int64_t groups = 1,
                      ExpandingArray dilation = {1});
Tensor max_pool(const Tensor &x, const MaxPoolOptions &options);
Tensor avg_pool(const Tensor &x, const AvgPoolOptions &options);
Tensor max_pool1d(const Tensor &x, ExpandingArray kernel_size);
Tensor max_pool2d(const Tensor &x, ExpandingArray kernel_size);
Tensor max_pool3d(const Tensor &x, ExpandingArray kernel_size);
Tensor avg_pool2d(const Tensor &x, ExpandingArray kernel_size);
/// Output size per spatial dimension (one for all).
Tensor adaptive_avg_pool(const Tensor &x, ExpandingArray output_size);
Tensor adaptive_avg_pool2d(const Tensor &x, ExpandingArray output_size);
/// Batch statistics when |training| (and a training build), else the
/// running ones.
Tensor batch_norm(const Tensor &x, const Tensor &running_mean,
                  const Tensor &running_var, const Tensor &weight,
                  const Tensor &bias, bool training, double momentum,
                  double eps);
Tensor layer_norm(const Tensor &x, std::vector<int64_t> normalized_shape,
                  const Tensor &weight, const Tensor &bias, double eps = 1e-5);
Tensor group_norm(const Tensor &x, int64_t num_groups, const Tensor &weight,
                  const Tensor &bias, double eps = 1e-5);
Tensor dropout(const Tensor &x, double p, bool training);
/// pad: (left, right) pairs from the last dimension backwards (torch's);
/// mode "constant", "reflect", "replicate" or "circular".
Tensor pad(const Tensor &x, std::vector<int64_t> pad,
           const std::string &mode = "constant", double value = 0.0);
Tensor flatten(const Tensor &x, int64_t start_dim = 0, int64_t end_dim = -1);
/// torch.nn.functional.interpolate over the spatial dimensions of
/// N x C x d1..dn: an output |size| or a |scale_factor| (one for all
/// dimensions or one each); mode "nearest", "linear", "bilinear",
/// "trilinear" or "bicubic"; |align_corners| for the interpolating modes.
Tensor interpolate(const Tensor &x, std::vector<int64_t> size = {},
                   std::vector<double> scale_factor = {},
                   const std::string &mode = "nearest",
                   std::optional<bool> align_corners = std::nullopt);
/// Max pooling with torch's indices (each maximum's offset within its
/// N, C plane, int64).
std::tuple<Tensor, Tensor> max_pool_with_indices(const Tensor &x,
                                                 const MaxPoolOptions &options);
/// torch.nn.LPPool1d/2d/3d: (sum of x^p over each window)^(1/p), the
/// window's values taken absolute (torch's equals it for even p or
/// non-negative input); stride defaults to the kernel.
Tensor lp_pool(const Tensor &x, double norm_type, ExpandingArray kernel_size,
               ExpandingArray stride = {}, bool ceil_mode = false);
/// torch.nn.AdaptiveMaxPool1d/2d/3d (windows floor(i in / out) to
/// ceil((i + 1) in / out)).
Tensor adaptive_max_pool(const Tensor &x, ExpandingArray output_size);
/// torch.nn.LocalResponseNorm across channels.
Tensor local_response_norm(const Tensor &x, int64_t size, double alpha = 1e-4,
                           double beta = 0.75, double k = 1.0);
/// torch.nn.RReLU in evaluation mode: leaky ReLU of slope (lower + upper)
/// / 2 (random slopes are for training builds, not supported yet).
Tensor rrelu(const Tensor &x, double lower = 1.0 / 8, double upper = 1.0 / 3,
             bool training = false);
// Criteria as ops of the graph (torch.nn.functional's; reduction "none",
// "mean" or "sum"; kl_div also "batchmean"). Weights may be undefined.
Tensor cross_entropy(const Tensor &input, const Tensor &target,
                     const Tensor &weight = Tensor(),
                     int64_t ignore_index = -100,
                     const std::string &reduction = "mean",
                     double label_smoothing = 0.0);
Tensor nll_loss(const Tensor &input, const Tensor &target,
                const Tensor &weight = Tensor(), int64_t ignore_index = -100,
                const std::string &reduction = "mean");
Tensor mse_loss(const Tensor &input, const Tensor &target,
                const std::string &reduction = "mean");
Tensor l1_loss(const Tensor &input, const Tensor &target,
               const std::string &reduction = "mean");
Tensor smooth_l1_loss(const Tensor &input, const Tensor &target,
                      const std::string &reduction = "mean", double beta = 1.0);
Tensor huber_loss(const Tensor &input, const Tensor &target,
                  const std::string &reduction = "mean", double delta = 1.0);
Tensor kl_div(const Tensor &input, const Tensor &target,
              const std::string &reduction = "mean", bool log_target = false);
Tensor binary_cross_entropy(const Tensor &input, const Tensor &target,
                            const Tensor &weight = Tensor(),
                            const std::string &reduction = "mean");
Tensor binary_cross_entropy_with_logits(const Tensor &input,
                                        const Tensor &target,
                                        const Tensor &weight = Tensor(),
                                        const std::string &reduction = "mean",
                                        const Tensor &pos_weight = Tensor());
/// One-hot int64 rows of |num_classes| after |indices|' dimensions.
Tensor one_hot(const Tensor &indices, int64_t num_classes);
/// torch.nn.Threshold: x > threshold ? x : value.
Tensor threshold(const Tensor &x, double threshold, double value);
Tensor softshrink(const Tensor &x, double lambd = 0.5);
Tensor hardshrink(const Tensor &x, double lambd = 0.5);
Tensor tanhshrink(const Tensor &x);
/// |weight| of size 1 or C (dimension 1 of x).
Tensor prelu(const Tensor &x, const Tensor &weight);
/// The first half of |dim| times the sigmoid of the second.
Tensor glu(const Tensor &x, int64_t dim = -1);
Tensor softmin(const Tensor &x, int64_t dim);
Tensor instance_norm(const Tensor &x, const Tensor &weight = Tensor(),
                     const Tensor &bias = Tensor(), double eps = 1e-5);
Tensor pixel_shuffle(const Tensor &x, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor &x, int64_t downscale_factor);
/// The p-norm of x1 - x2 + eps over the last dimension.
Tensor pairwise_distance(const Tensor &x1, const Tensor &x2, double p = 2.0,
                         double eps = 1e-6, bool keepdim = false);
Tensor cosine_similarity(const Tensor &x1, const Tensor &x2, int64_t dim = 1,
                         double eps = 1e-8);
/// Rows of |weight| at |indices| (int64 or int32, any shape), renormalized
/// to |max_norm| (in |norm_type|) when given.
Tensor embedding(const Tensor &indices, const Tensor &weight,
                 std::optional<double> max_norm = std::nullopt,
                 double norm_type = 2.0);
/// x1^T A x2 + b per output feature: |weight| out x in1 x in2.
Tensor bilinear(const Tensor &x1, const Tensor &x2, const Tensor &weight,
                const Tensor &bias = Tensor());
} // namespace functional

} // namespace lathe::nn

#endif // LATHE_NN_FUNCTIONAL_H
