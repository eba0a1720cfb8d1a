// The C++ DSL's layers (lathe/nn.h): linear, convolution, pooling,
// normalization, dropout, activation and shape layers.
#ifndef LATHE_NN_LAYERS_H
#define LATHE_NN_LAYERS_H

#include "lathe/nn/functional.h"
#include "lathe/nn/module.h"
#include "lathe/nn/options.h"

namespace lathe::nn {

// ---------------------------------------------------------------------------
// Layers.
// ---------------------------------------------------------------------------

/// torch.nn.Linear(in, out, bias): weight out x in, bias out.
class LinearImpl : public Module {
public:
  LinearImpl(int64_t in_features, int64_t out_features)
      : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions &options);
  void reset_parameters();
  Tensor forward(const Tensor &x);
  LinearOptions options;
  Tensor weight, bias;
};
LATHE_MODULE(Linear);

/// torch.nn.Conv1d/2d/3d (|rank| spatial dimensions).
class ConvImpl : public Module {
public:
  ConvImpl(int rank, const ConvOptions &options);
  void reset_parameters();
  Tensor forward(const Tensor &x);
  int rank;
  ConvOptions options;
  Tensor weight, bias;
};
class Conv1dImpl : public ConvImpl {
public:
  Conv1dImpl(int64_t in, int64_t out, int64_t kernel)
      : Conv1dImpl(ConvOptions(in, out, kernel)) {}
  explicit Conv1dImpl(const ConvOptions &o) : ConvImpl(1, o) {}
};
class Conv2dImpl : public ConvImpl {
public:
  Conv2dImpl(int64_t in, int64_t out, int64_t kernel)
      : Conv2dImpl(ConvOptions(in, out, kernel)) {}
  explicit Conv2dImpl(const ConvOptions &o) : ConvImpl(2, o) {}
};
class Conv3dImpl : public ConvImpl {
public:
  Conv3dImpl(int64_t in, int64_t out, int64_t kernel)
      : Conv3dImpl(ConvOptions(in, out, kernel)) {}
  explicit Conv3dImpl(const ConvOptions &o) : ConvImpl(3, o) {}
};
LATHE_MODULE(Conv1d);
LATHE_MODULE(Conv2d);
LATHE_MODULE(Conv3d);

/// torch.nn.ConvTranspose1d/2d/3d.
class ConvTransposeImpl : public Module {
public:
  ConvTransposeImpl(int rank, const ConvTransposeOptions &options);
  void reset_parameters();
  Tensor forward(const Tensor &x);
  int rank;
  ConvTransposeOptions options;
  Tensor weight, bias;
};
class ConvTranspose1dImpl : public ConvTransposeImpl {
public:
  explicit ConvTranspose1dImpl(const ConvTransposeOptions &o)
      : ConvTransposeImpl(1, o) {}
};
class ConvTranspose2dImpl : public ConvTransposeImpl {
public:
  explicit ConvTranspose2dImpl(const ConvTransposeOptions &o)
      : ConvTransposeImpl(2, o) {}
};
class ConvTranspose3dImpl : public ConvTransposeImpl {
public:
  explicit ConvTranspose3dImpl(const ConvTransposeOptions &o)
      : ConvTransposeImpl(3, o) {}
};
LATHE_MODULE(ConvTranspose1d);
LATHE_MODULE(ConvTranspose2d);
LATHE_MODULE(ConvTranspose3d);

/// torch.nn.MaxPool1d/2d/3d and AvgPool1d/2d/3d.
class MaxPoolImpl : public Module {
public:
  MaxPoolImpl(int rank, const MaxPoolOptions &options);
  Tensor forward(const Tensor &x);
  int rank;
  MaxPoolOptions options;
};
class AvgPoolImpl : public Module {
public:
  AvgPoolImpl(int rank, const AvgPoolOptions &options);
  Tensor forward(const Tensor &x);
  int rank;
  AvgPoolOptions options;
};
#define LATHE_POOL(Name, Base, Options, Rank)                                  \
  class Name##Impl : public Base {                                             \
  public:                                                                      \
    Name##Impl(const Options &o) : Base(Rank, o) {}                            \
    Name##Impl(int64_t kernel) : Base(Rank, Options(kernel)) {}                \
  };                                                                           \
  LATHE_MODULE(Name)
LATHE_POOL(MaxPool1d, MaxPoolImpl, MaxPoolOptions, 1);
LATHE_POOL(MaxPool2d, MaxPoolImpl, MaxPoolOptions, 2);
LATHE_POOL(MaxPool3d, MaxPoolImpl, MaxPoolOptions, 3);
LATHE_POOL(AvgPool1d, AvgPoolImpl, AvgPoolOptions, 1);
LATHE_POOL(AvgPool2d, AvgPoolImpl, AvgPoolOptions, 2);
LATHE_POOL(AvgPool3d, AvgPoolImpl, AvgPoolOptions, 3);
#undef LATHE_POOL

/// torch.nn.AdaptiveAvgPool1d/2d/3d and AdaptiveMaxPool1d/2d/3d
/// (return_indices not supported yet).
class AdaptivePoolImpl : public Module {
public:
  AdaptivePoolImpl(int rank, bool max, ExpandingArray output_size);
  Tensor forward(const Tensor &x);
  int rank;
  bool max;
  ExpandingArray output_size;
};
#define LATHE_ADAPTIVE(Name, Rank, Max)                                        \
  class Name##Impl : public AdaptivePoolImpl {                                 \
  public:                                                                      \
    Name##Impl(ExpandingArray size)                                            \
        : AdaptivePoolImpl(Rank, Max, std::move(size)) {}                      \
    Name##Impl(int64_t size) : AdaptivePoolImpl(Rank, Max, {size}) {}          \
  };                                                                           \
  LATHE_MODULE(Name)
LATHE_ADAPTIVE(AdaptiveAvgPool1d, 1, false);
LATHE_ADAPTIVE(AdaptiveAvgPool2d, 2, false);
LATHE_ADAPTIVE(AdaptiveAvgPool3d, 3, false);
LATHE_ADAPTIVE(AdaptiveMaxPool1d, 1, true);
LATHE_ADAPTIVE(AdaptiveMaxPool2d, 2, true);
LATHE_ADAPTIVE(AdaptiveMaxPool3d, 3, true);
#undef LATHE_ADAPTIVE

/// torch.nn.BatchNorm1d/2d/3d: weight, bias (affine), running_mean,
/// running_var and num_batches_tracked (track_running_stats).
class BatchNormImpl : public Module {
public:
  BatchNormImpl(int rank, const BatchNormOptions &options);
  void reset_parameters();
  Tensor forward(const Tensor &x);
  int rank;
  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};
#define LATHE_BN(Name, Rank)                                                   \
  class Name##Impl : public BatchNormImpl {                                    \
  public:                                                                      \
    Name##Impl(const BatchNormOptions &o) : BatchNormImpl(Rank, o) {}          \
    Name##Impl(int64_t features)                                               \
        : BatchNormImpl(Rank, BatchNormOptions(features)) {}                   \
  };                                                                           \
  LATHE_MODULE(Name)
LATHE_BN(BatchNorm1d, 1);
LATHE_BN(BatchNorm2d, 2);
LATHE_BN(BatchNorm3d, 3);
#undef LATHE_BN

class LayerNormImpl : public Module {
public:
  explicit LayerNormImpl(const LayerNormOptions &options);
  LayerNormImpl(std::vector<int64_t> shape)
      : LayerNormImpl(LayerNormOptions(std::move(shape))) {}
  Tensor forward(const Tensor &x);
  LayerNormOptions options;
  Tensor weight, bias;
};
LATHE_MODULE(LayerNorm);

class GroupNormImpl : public Module {
public:
  explicit GroupNormImpl(const GroupNormOptions &options);
  GroupNormImpl(int64_t groups, int64_t channels)
      : GroupNormImpl(GroupNormOptions(groups, channels)) {}
  Tensor forward(const Tensor &x);
  GroupNormOptions options;
  Tensor weight, bias;
};
LATHE_MODULE(GroupNorm);

class FlattenImpl : public Module {
public:
  explicit FlattenImpl(const FlattenOptions &options = {});
  Tensor forward(const Tensor &x);
  FlattenOptions options;
};
LATHE_MODULE(Flatten);

class DropoutImpl : public Module {
public:
  explicit DropoutImpl(const DropoutOptions &options = {});
  DropoutImpl(double p) : DropoutImpl(DropoutOptions(p)) {}
  Tensor forward(const Tensor &x);
  DropoutOptions options;
};
LATHE_MODULE(Dropout);

class IdentityImpl : public Module {
public:
  IdentityImpl() : Module("Identity") {}
  Tensor forward(const Tensor &x) { return x; }
};
LATHE_MODULE(Identity);

/// A parameterless element-wise layer over a function of functional.
class ActivationImpl : public Module {
public:
  ActivationImpl(std::string type_name, std::function<Tensor(const Tensor &)> f)
      : Module(std::move(type_name)), f_(std::move(f)) {}
  Tensor forward(const Tensor &x) { return f_(x); }

private:
  std::function<Tensor(const Tensor &)> f_;
};
#define LATHE_ACTIVATION(Name, Call)                                           \
  class Name##Impl : public ActivationImpl {                                   \
  public:                                                                      \
    Name##Impl()                                                               \
        : ActivationImpl(#Name, [](const Tensor &x) { return Call; }) {}       \
  };                                                                           \
  LATHE_MODULE(Name)
LATHE_ACTIVATION(ReLU, functional::relu(x));
LATHE_ACTIVATION(ReLU6, functional::relu6(x));
LATHE_ACTIVATION(SELU, functional::selu(x));
LATHE_ACTIVATION(SiLU, functional::silu(x));
LATHE_ACTIVATION(Mish, functional::mish(x));
LATHE_ACTIVATION(Sigmoid, functional::sigmoid(x));
LATHE_ACTIVATION(Tanh, functional::tanh(x));
LATHE_ACTIVATION(Hardsigmoid, functional::hardsigmoid(x));
LATHE_ACTIVATION(Hardswish, functional::hardswish(x));
LATHE_ACTIVATION(Softsign, functional::softsign(x));
LATHE_ACTIVATION(LogSigmoid, functional::logsigmoid(x));
#undef LATHE_ACTIVATION

class LeakyReLUImpl : public ActivationImpl {
public:
  explicit LeakyReLUImpl(double negative_slope = 0.01)
      : ActivationImpl("LeakyReLU", [negative_slope](const Tensor &x) {
          return functional::leaky_relu(x, negative_slope);
        }) {}
};
LATHE_MODULE(LeakyReLU);
class ELUImpl : public ActivationImpl {
public:
  explicit ELUImpl(double alpha = 1.0)
      : ActivationImpl("ELU", [alpha](const Tensor &x) {
          return functional::elu(x, alpha);
        }) {}
};
LATHE_MODULE(ELU);
class CELUImpl : public ActivationImpl {
public:
  explicit CELUImpl(double alpha = 1.0)
      : ActivationImpl("CELU", [alpha](const Tensor &x) {
          return functional::celu(x, alpha);
        }) {}
};
LATHE_MODULE(CELU);
class GELUImpl : public ActivationImpl {
public:
  explicit GELUImpl(std::string approximate = "none")
      : ActivationImpl("GELU", [approximate](const Tensor &x) {
          return functional::gelu(x, approximate);
        }) {}
};
LATHE_MODULE(GELU);
class HardtanhImpl : public ActivationImpl {
public:
  explicit HardtanhImpl(double min_val = -1.0, double max_val = 1.0)
      : ActivationImpl("Hardtanh", [min_val, max_val](const Tensor &x) {
          return functional::hardtanh(x, min_val, max_val);
        }) {}
};
LATHE_MODULE(Hardtanh);
class SoftplusImpl : public ActivationImpl {
public:
  explicit SoftplusImpl(double beta = 1.0, double threshold = 20.0)
      : ActivationImpl("Softplus", [beta, threshold](const Tensor &x) {
          return functional::softplus(x, beta, threshold);
        }) {}
};
LATHE_MODULE(Softplus);
class SoftmaxImpl : public ActivationImpl {
public:
  explicit SoftmaxImpl(int64_t dim)
      : ActivationImpl("Softmax", [dim](const Tensor &x) {
          return functional::softmax(x, dim);
        }) {}
};
LATHE_MODULE(Softmax);
class LogSoftmaxImpl : public ActivationImpl {
public:
  explicit LogSoftmaxImpl(int64_t dim)
      : ActivationImpl("LogSoftmax", [dim](const Tensor &x) {
          return functional::log_softmax(x, dim);
        }) {}
};
LATHE_MODULE(LogSoftmax);

struct UpsampleOptions {
  std::vector<int64_t> size_{};
  std::vector<double> scale_factor_{};
  std::string mode_ = "nearest";
  std::optional<bool> align_corners_{};
  UpsampleOptions &size(std::vector<int64_t> v) {
    size_ = std::move(v);
    return *this;
  }
  UpsampleOptions &scale_factor(std::vector<double> v) {
    scale_factor_ = std::move(v);
    return *this;
  }
  UpsampleOptions &mode(std::string v) {
    mode_ = std::move(v);
    return *this;
  }
  UpsampleOptions &align_corners(bool v) {
    align_corners_ = v;
    return *this;
  }
};
/// torch.nn.Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d:
/// Upsample with mode nearest, or bilinear with align_corners).
class UpsampleImpl : public Module {
public:
  explicit UpsampleImpl(const UpsampleOptions &options)
      : Module("Upsample"), options(options) {}
  Tensor forward(const Tensor &x) {
    return functional::interpolate(x, options.size_, options.scale_factor_,
                                   options.mode_, options.align_corners_);
  }
  UpsampleOptions options;
};
LATHE_MODULE(Upsample);

class ThresholdImpl : public ActivationImpl {
public:
  ThresholdImpl(double threshold, double value)
      : ActivationImpl("Threshold", [threshold, value](const Tensor &x) {
          return functional::threshold(x, threshold, value);
        }) {}
};
LATHE_MODULE(Threshold);
class SoftshrinkImpl : public ActivationImpl {
public:
  explicit SoftshrinkImpl(double lambd = 0.5)
      : ActivationImpl("Softshrink", [lambd](const Tensor &x) {
          return functional::softshrink(x, lambd);
        }) {}
};
LATHE_MODULE(Softshrink);
class HardshrinkImpl : public ActivationImpl {
public:
  explicit HardshrinkImpl(double lambd = 0.5)
      : ActivationImpl("Hardshrink", [lambd](const Tensor &x) {
          return functional::hardshrink(x, lambd);
        }) {}
};
LATHE_MODULE(Hardshrink);
class TanhshrinkImpl : public ActivationImpl {
public:
  TanhshrinkImpl()
      : ActivationImpl("Tanhshrink", [](const Tensor &x) {
          return functional::tanhshrink(x);
        }) {}
};
LATHE_MODULE(Tanhshrink);
class GLUImpl : public ActivationImpl {
public:
  explicit GLUImpl(int64_t dim = -1)
      : ActivationImpl("GLU", [dim](const Tensor &x) {
          return functional::glu(x, dim);
        }) {}
};
LATHE_MODULE(GLU);
class SoftminImpl : public ActivationImpl {
public:
  explicit SoftminImpl(int64_t dim)
      : ActivationImpl("Softmin", [dim](const Tensor &x) {
          return functional::softmin(x, dim);
        }) {}
};
LATHE_MODULE(Softmin);
/// Softmax over the channels of N x C x H x W (or C x H x W).
class Softmax2dImpl : public ActivationImpl {
public:
  Softmax2dImpl()
      : ActivationImpl("Softmax2d",
                       [](const Tensor &x) { return x.softmax(-3); }) {}
};
LATHE_MODULE(Softmax2d);
class PixelShuffleImpl : public ActivationImpl {
public:
  explicit PixelShuffleImpl(int64_t factor)
      : ActivationImpl("PixelShuffle", [factor](const Tensor &x) {
          return functional::pixel_shuffle(x, factor);
        }) {}
};
LATHE_MODULE(PixelShuffle);
class PixelUnshuffleImpl : public ActivationImpl {
public:
  explicit PixelUnshuffleImpl(int64_t factor)
      : ActivationImpl("PixelUnshuffle", [factor](const Tensor &x) {
          return functional::pixel_unshuffle(x, factor);
        }) {}
};
LATHE_MODULE(PixelUnshuffle);
class UnflattenImpl : public ActivationImpl {
public:
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes)
      : ActivationImpl("Unflatten", [dim, sizes](const Tensor &x) {
          return x.unflatten(dim, sizes);
        }) {}
};
LATHE_MODULE(Unflatten);
/// Dropout2d/3d (whole channels) and AlphaDropout: the identity in
/// evaluation mode, which is how lathe::compile traces.
class FeatureDropoutImpl : public Module {
public:
  FeatureDropoutImpl(std::string type_name, double p);
  Tensor forward(const Tensor &x);
  double p;
};
class Dropout2dImpl : public FeatureDropoutImpl {
public:
  explicit Dropout2dImpl(double p = 0.5) : FeatureDropoutImpl("Dropout2d", p) {}
};
class Dropout3dImpl : public FeatureDropoutImpl {
public:
  explicit Dropout3dImpl(double p = 0.5) : FeatureDropoutImpl("Dropout3d", p) {}
};
class AlphaDropoutImpl : public FeatureDropoutImpl {
public:
  explicit AlphaDropoutImpl(double p = 0.5)
      : FeatureDropoutImpl("AlphaDropout", p) {}
};
LATHE_MODULE(Dropout2d);
LATHE_MODULE(Dropout3d);
LATHE_MODULE(AlphaDropout);

class RReLUImpl : public ActivationImpl {
public:
  explicit RReLUImpl(double lower = 1.0 / 8, double upper = 1.0 / 3)
      : ActivationImpl("RReLU", [lower, upper](const Tensor &x) {
          return functional::rrelu(x, lower, upper);
        }) {}
};
LATHE_MODULE(RReLU);

class LocalResponseNormImpl : public ActivationImpl {
public:
  explicit LocalResponseNormImpl(int64_t size, double alpha = 1e-4,
                                 double beta = 0.75, double k = 1.0)
      : ActivationImpl(
            "LocalResponseNorm", [size, alpha, beta, k](const Tensor &x) {
              return functional::local_response_norm(x, size, alpha, beta, k);
            }) {}
};
LATHE_MODULE(LocalResponseNorm);

/// torch.nn.LPPool1d/2d/3d(norm_type, kernel_size, stride, ceil_mode).
class LPPoolImpl : public Module {
public:
  LPPoolImpl(int rank, double norm_type, ExpandingArray kernel_size,
             ExpandingArray stride = {}, bool ceil_mode = false);
  Tensor forward(const Tensor &x);
  int rank;
  double norm_type;
  ExpandingArray kernel_size, stride;
  bool ceil_mode;
};
#define LATHE_LP(Name, Rank)                                                   \
  class Name##Impl : public LPPoolImpl {                                       \
  public:                                                                      \
    Name##Impl(double p, ExpandingArray kernel, ExpandingArray stride = {},    \
               bool ceil = false)                                              \
        : LPPoolImpl(Rank, p, std::move(kernel), std::move(stride), ceil) {}   \
  };                                                                           \
  LATHE_MODULE(Name)
LATHE_LP(LPPool1d, 1);
LATHE_LP(LPPool2d, 2);
LATHE_LP(LPPool3d, 3);
#undef LATHE_LP

/// torch.nn.PReLU(num_parameters, init).
class PReLUImpl : public Module {
public:
  explicit PReLUImpl(int64_t num_parameters = 1, double init = 0.25);
  Tensor forward(const Tensor &x);
  Tensor weight;
};
LATHE_MODULE(PReLU);

/// torch.nn.InstanceNorm1d/2d/3d (affine optional; running statistics are
/// not supported: track_running_stats must be false).
class InstanceNormImpl : public Module {
public:
  InstanceNormImpl(int rank, const InstanceNormOptions &options);
  Tensor forward(const Tensor &x);
  int rank;
  InstanceNormOptions options;
  Tensor weight, bias;
};
#define LATHE_IN(Name, Rank)                                                   \
  class Name##Impl : public InstanceNormImpl {                                 \
  public:                                                                      \
    Name##Impl(const InstanceNormOptions &o) : InstanceNormImpl(Rank, o) {}    \
    Name##Impl(int64_t features)                                               \
        : InstanceNormImpl(Rank, InstanceNormOptions(features)) {}             \
  };                                                                           \
  LATHE_MODULE(Name)
LATHE_IN(InstanceNorm1d, 1);
LATHE_IN(InstanceNorm2d, 2);
LATHE_IN(InstanceNorm3d, 3);
#undef LATHE_IN

class PairwiseDistanceImpl : public Module {
public:
  explicit PairwiseDistanceImpl(double p = 2.0, double eps = 1e-6,
                                bool keepdim = false)
      : Module("PairwiseDistance"), p(p), eps(eps), keepdim(keepdim) {}
  Tensor forward(const Tensor &x1, const Tensor &x2) {
    return functional::pairwise_distance(x1, x2, p, eps, keepdim);
  }
  double p, eps;
  bool keepdim;
};
LATHE_MODULE(PairwiseDistance);
class CosineSimilarityImpl : public Module {
public:
  explicit CosineSimilarityImpl(int64_t dim = 1, double eps = 1e-8)
      : Module("CosineSimilarity"), dim(dim), eps(eps) {}
  Tensor forward(const Tensor &x1, const Tensor &x2) {
    return functional::cosine_similarity(x1, x2, dim, eps);
  }
  int64_t dim;
  double eps;
};
LATHE_MODULE(CosineSimilarity);

/// torch.nn.Bilinear(in1, in2, out, bias): weight out x in1 x in2.
class BilinearImpl : public Module {
public:
  BilinearImpl(int64_t in1_features, int64_t in2_features, int64_t out_features,
               bool bias = true);
  Tensor forward(const Tensor &x1, const Tensor &x2);
  Tensor weight, bias;
};
LATHE_MODULE(Bilinear);

} // namespace lathe::nn

#endif // LATHE_NN_LAYERS_H
