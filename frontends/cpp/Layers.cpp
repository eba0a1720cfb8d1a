// The DSL's layers: torch.nn's modules over the functional API, their
// options checked, errors naming the module path; and the containers.
#include "frontends/cpp/Arguments.h"
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lathe::nn {

using detail::checkPositive;
using detail::checkSpatialInput;
using detail::expand;
using detail::fail;
using detail::failIn;
using detail::shape_text;
using detail::Trace;

namespace F = functional;

// ---------------------------------------------------------------------------
// Layers.
// ---------------------------------------------------------------------------

LinearImpl::LinearImpl(const LinearOptions &o) : Module("Linear"), options(o) {
  if (o.in_features() < 0 || o.out_features() < 0)
    fail("lathe::nn: Linear(" + std::to_string(o.in_features()) + ", " +
         std::to_string(o.out_features()) + "): negative features");
  weight =
      register_parameter("weight", zeros({o.out_features(), o.in_features()}));
  if (o.bias())
    bias = register_parameter("bias", zeros({o.out_features()}));
  reset_parameters();
}

/// torch's reset_parameters for Linear and convolutions: weight
/// kaiming_uniform(a = sqrt(5)), bias uniform(+-1/sqrt(fan_in)).
static void resetWeightAndBias(Tensor &weight, Tensor &bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    int64_t fanIn = init::fan_in_and_fan_out(weight).first;
    double bound = fanIn > 0 ? 1.0 / std::sqrt(double(fanIn)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

void LinearImpl::reset_parameters() { resetWeightAndBias(weight, bias); }

Tensor LinearImpl::forward(const Tensor &x) {
  if (x.dim() < 1 || x.size(-1) != options.in_features())
    failIn(*this, "the input " + shape_text(x.sizes()) +
                      " does not end in in_features " +
                      std::to_string(options.in_features()) + " (weight " +
                      shape_text(weight.sizes()) + ")");
  return F::linear(x, weight, bias);
}

static const char *convName(int rank, bool transposed) {
  static const char *names[2][3] = {
      {"Conv1d", "Conv2d", "Conv3d"},
      {"ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}};
  return names[transposed][rank - 1];
}

static void checkChannels(const char *name, int64_t in, int64_t out,
                          int64_t groups) {
  if (groups <= 0 || in <= 0 || out <= 0 || in % groups || out % groups)
    fail(std::string("lathe::nn: ") + name + ": in_channels " +
         std::to_string(in) + " and out_channels " + std::to_string(out) +
         " must be positive and divisible by groups " + std::to_string(groups));
}

/// Fails, naming |m|, unless |x| is a batch of |in| channels of |rank|
/// spatial dimensions (the convolution's |weight| shown).
static void checkConvInput(const Module &m, const Tensor &x, int rank,
                           int64_t in, const Tensor &weight) {
  checkSpatialInput(m, x, rank);
  if (x.size(1) != in)
    failIn(m, "the input " + shape_text(x.sizes()) + " has " +
                  std::to_string(x.size(1)) + " channels, in_channels is " +
                  std::to_string(in) + " (weight " +
                  shape_text(weight.sizes()) + ")");
}

ConvImpl::ConvImpl(int r, const ConvOptions &o)
    : Module(convName(r, false)), rank(r), options(o) {
  checkChannels(convName(r, false), o.in_channels(), o.out_channels(),
                o.groups());
  std::vector<int64_t> kernel = expand(o.kernel_size(), r, "kernel_size");
  checkPositive(kernel, "kernel_size");
  if (o.is_padding_same())
    for (int64_t s : expand(o.stride(), r, "stride"))
      if (s != 1)
        fail(std::string("lathe::nn: ") + type_name() +
             ": padding='same' needs stride 1 (as torch)");
  std::vector<int64_t> shape = {o.out_channels(), o.in_channels() / o.groups()};
  shape.insert(shape.end(), kernel.begin(), kernel.end());
  weight = register_parameter("weight", zeros(shape));
  if (o.bias())
    bias = register_parameter("bias", zeros({o.out_channels()}));
  reset_parameters();
}

void ConvImpl::reset_parameters() { resetWeightAndBias(weight, bias); }

Tensor ConvImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkConvInput(*this, x, rank, options.in_channels(), weight);
  std::vector<int64_t> kernel(weight.sizes().begin() + 2, weight.sizes().end());
  std::vector<int64_t> dilation = expand(options.dilation(), rank, "dilation");
  // Padding per dimension at the front, then the back.
  std::vector<int64_t> front, back;
  if (options.is_padding_same()) {
    for (int i = 0; i < rank; ++i) {
      int64_t total = dilation[size_t(i)] * (kernel[size_t(i)] - 1);
      front.push_back(total / 2);
      back.push_back(total - total / 2);
    }
  } else {
    front = back = expand(options.padding(), rank, "padding");
  }
  Tensor input = x;
  if (options.padding_mode() != kZeros) {
    // torch pads with the mode first, then convolves without padding.
    std::vector<int64_t> pairs;
    for (int i = rank - 1; i >= 0; --i) {
      pairs.push_back(front[size_t(i)]);
      pairs.push_back(back[size_t(i)]);
    }
    const char *mode = options.padding_mode() == kReflect     ? "reflect"
                       : options.padding_mode() == kReplicate ? "replicate"
                                                              : "circular";
    input = F::pad(x, pairs, mode);
    front.assign(size_t(rank), 0);
    back.assign(size_t(rank), 0);
  }
  detail::WindowSpec w;
  w.stride = expand(options.stride(), rank, "stride");
  w.padding = front;
  w.padding.insert(w.padding.end(), back.begin(), back.end());
  w.dilation = dilation;
  checkPositive(w.stride, "stride");
  checkPositive(w.dilation, "dilation");
  return Trace::of({&input}).conv(input, weight, bias, w, options.groups());
}

ConvTransposeImpl::ConvTransposeImpl(int r, const ConvTransposeOptions &o)
    : Module(convName(r, true)), rank(r), options(o) {
  checkChannels(convName(r, true), o.in_channels(), o.out_channels(),
                o.groups());
  std::vector<int64_t> kernel = expand(o.kernel_size(), r, "kernel_size");
  checkPositive(kernel, "kernel_size");
  std::vector<int64_t> shape = {o.in_channels(), o.out_channels() / o.groups()};
  shape.insert(shape.end(), kernel.begin(), kernel.end());
  weight = register_parameter("weight", zeros(shape));
  if (o.bias())
    bias = register_parameter("bias", zeros({o.out_channels()}));
  reset_parameters();
}

void ConvTransposeImpl::reset_parameters() { resetWeightAndBias(weight, bias); }

Tensor ConvTransposeImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkConvInput(*this, x, rank, options.in_channels(), weight);
  std::vector<int64_t> stride = expand(options.stride(), rank, "stride"),
                       dilation = expand(options.dilation(), rank, "dilation"),
                       outPad = expand(options.output_padding(), rank,
                                       "output_padding");
  for (int i = 0; i < rank; ++i)
    if (outPad[size_t(i)] < 0 || (outPad[size_t(i)] >= stride[size_t(i)] &&
                                  outPad[size_t(i)] >= dilation[size_t(i)]))
      failIn(*this, "output_padding " + shape_text(outPad) +
                        " must be smaller than either stride " +
                        shape_text(stride) + " or dilation " +
                        shape_text(dilation));
  return F::conv_transpose(x, weight, bias, stride, options.padding(), outPad,
                           options.groups(), dilation);
}

static const char *poolName(bool max, int rank) {
  static const char *names[2][3] = {{"AvgPool1d", "AvgPool2d", "AvgPool3d"},
                                    {"MaxPool1d", "MaxPool2d", "MaxPool3d"}};
  return names[max][rank - 1];
}

MaxPoolImpl::MaxPoolImpl(int r, const MaxPoolOptions &o)
    : Module(poolName(true, r)), rank(r), options(o) {}

Tensor MaxPoolImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkSpatialInput(*this, x, rank);
  return F::max_pool(x, options);
}

AvgPoolImpl::AvgPoolImpl(int r, const AvgPoolOptions &o)
    : Module(poolName(false, r)), rank(r), options(o) {}

Tensor AvgPoolImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkSpatialInput(*this, x, rank);
  return F::avg_pool(x, options);
}

AdaptivePoolImpl::AdaptivePoolImpl(int r, bool isMax, ExpandingArray size)
    : Module(std::string(isMax ? "AdaptiveMaxPool" : "AdaptiveAvgPool") +
             std::to_string(r) + "d"),
      rank(r), max(isMax), output_size(std::move(size)) {}

Tensor AdaptivePoolImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkSpatialInput(*this, x, rank);
  return max ? F::adaptive_max_pool(x, output_size)
             : F::adaptive_avg_pool(x, output_size);
}

BatchNormImpl::BatchNormImpl(int r, const BatchNormOptions &o)
    : Module(r == 1   ? "BatchNorm1d"
             : r == 2 ? "BatchNorm2d"
                      : "BatchNorm3d"),
      rank(r), options(o) {
  int64_t c = o.num_features();
  if (c <= 0)
    fail(std::string("lathe::nn: ") + type_name() +
         ": num_features must be positive");
  if (o.affine()) {
    weight = register_parameter("weight", ones({c}));
    bias = register_parameter("bias", zeros({c}));
  }
  if (o.track_running_stats()) {
    running_mean = register_buffer("running_mean", zeros({c}));
    running_var = register_buffer("running_var", ones({c}));
    num_batches_tracked =
        register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}

void BatchNormImpl::reset_parameters() {
  if (weight.defined()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
  if (running_mean.defined()) {
    init::zeros_(running_mean);
    init::ones_(running_var);
    init::zeros_(num_batches_tracked);
  }
}

Tensor BatchNormImpl::forward(const Tensor &x) {
  // BatchNorm1d takes N x C or N x C x L; 2d and 3d N x C x spatial.
  bool rankOk =
      rank == 1 ? (x.dim() == 2 || x.dim() == 3) : x.dim() == rank + 2;
  if (!rankOk)
    failIn(*this,
           "expected an input of rank " +
               std::string(rank == 1 ? "2 or 3" : std::to_string(rank + 2)) +
               ", got " + shape_text(x.sizes()));
  if (x.size(1) != options.num_features())
    failIn(*this, "the input " + shape_text(x.sizes()) + " has " +
                      std::to_string(x.size(1)) +
                      " channels, num_features is " +
                      std::to_string(options.num_features()));
  return F::batch_norm(x, running_mean, running_var, weight, bias,
                       is_training() || !running_mean.defined(),
                       options.momentum().value_or(0.1), options.eps());
}

LayerNormImpl::LayerNormImpl(const LayerNormOptions &o)
    : Module("LayerNorm"), options(o) {
  checkPositive(o.normalized_shape(), "normalized_shape");
  if (o.elementwise_affine()) {
    weight = register_parameter("weight", ones(o.normalized_shape()));
    if (o.bias())
      bias = register_parameter("bias", zeros(o.normalized_shape()));
  }
}

Tensor LayerNormImpl::forward(const Tensor &x) {
  int64_t n = int64_t(options.normalized_shape().size());
  if (n > x.dim() ||
      !std::equal(options.normalized_shape().begin(),
                  options.normalized_shape().end(), x.sizes().end() - n))
    failIn(*this, "normalized_shape " + shape_text(options.normalized_shape()) +
                      " is not the end of the input's " +
                      shape_text(x.sizes()));
  return F::layer_norm(x, options.normalized_shape(), weight, bias,
                       options.eps());
}

GroupNormImpl::GroupNormImpl(const GroupNormOptions &o)
    : Module("GroupNorm"), options(o) {
  if (o.num_groups() <= 0 || o.num_channels() <= 0 ||
      o.num_channels() % o.num_groups())
    fail("lathe::nn: GroupNorm: num_channels " +
         std::to_string(o.num_channels()) +
         " must be divisible by num_groups " + std::to_string(o.num_groups()));
  if (o.affine()) {
    weight = register_parameter("weight", ones({o.num_channels()}));
    bias = register_parameter("bias", zeros({o.num_channels()}));
  }
}

Tensor GroupNormImpl::forward(const Tensor &x) {
  if (x.dim() < 2 || x.size(1) != options.num_channels())
    failIn(*this, "the input " + shape_text(x.sizes()) +
                      " does not have num_channels " +
                      std::to_string(options.num_channels()) +
                      " in dimension 1");
  return F::group_norm(x, options.num_groups(), weight, bias, options.eps());
}

FlattenImpl::FlattenImpl(const FlattenOptions &o)
    : Module("Flatten"), options(o) {}

Tensor FlattenImpl::forward(const Tensor &x) {
  return x.flatten(options.start_dim(), options.end_dim());
}

DropoutImpl::DropoutImpl(const DropoutOptions &o)
    : Module("Dropout"), options(o) {
  if (o.p() < 0 || o.p() > 1)
    fail("lathe::nn: Dropout: p must be in [0, 1], got " +
         std::to_string(o.p()));
}

Tensor DropoutImpl::forward(const Tensor &x) {
  return F::dropout(x, options.p(), is_training());
}

FeatureDropoutImpl::FeatureDropoutImpl(std::string type_name, double prob)
    : Module(std::move(type_name)), p(prob) {
  if (p < 0 || p > 1)
    fail("lathe::nn: " + this->type_name() + ": p must be in [0, 1], got " +
         std::to_string(p));
}

Tensor FeatureDropoutImpl::forward(const Tensor &x) {
  Trace &t = Trace::of({&x});
  if (p == 0 || (!is_training() && !t.isTrainingBuild()))
    return x;
  if (type_name() == "AlphaDropout")
    failIn(*this, "AlphaDropout in a training build is not supported yet");
  if (x.dim() < 3)
    failIn(*this, "expected N x C x spatial..., got " + shape_text(x.sizes()));
  return t.dropout(x, p, /*channelwise=*/true);
}

PReLUImpl::PReLUImpl(int64_t num_parameters, double init) : Module("PReLU") {
  if (num_parameters <= 0)
    fail("lathe::nn: PReLU: num_parameters must be positive");
  weight = register_parameter("weight", full({num_parameters}, init));
}

Tensor PReLUImpl::forward(const Tensor &x) {
  if (weight.size(0) != 1 && (x.dim() < 2 || x.size(1) != weight.size(0)))
    failIn(*this, "the input " + shape_text(x.sizes()) + " does not have " +
                      std::to_string(weight.size(0)) +
                      " channels in dimension 1");
  return F::prelu(x, weight);
}

InstanceNormImpl::InstanceNormImpl(int r, const InstanceNormOptions &o)
    : Module(r == 1   ? "InstanceNorm1d"
             : r == 2 ? "InstanceNorm2d"
                      : "InstanceNorm3d"),
      rank(r), options(o) {
  if (o.num_features() <= 0)
    fail(std::string("lathe::nn: ") + type_name() +
         ": num_features must be positive");
  if (o.track_running_stats())
    fail(std::string("lathe::nn: ") + type_name() +
         ": track_running_stats is not supported yet");
  if (o.affine()) {
    weight = register_parameter("weight", ones({o.num_features()}));
    bias = register_parameter("bias", zeros({o.num_features()}));
  }
}

Tensor InstanceNormImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkSpatialInput(*this, x, rank);
  if (x.size(1) != options.num_features() && options.affine())
    failIn(*this, "the input " + shape_text(x.sizes()) + " has " +
                      std::to_string(x.size(1)) +
                      " channels, num_features is " +
                      std::to_string(options.num_features()));
  return F::instance_norm(x, weight, bias, options.eps());
}

BilinearImpl::BilinearImpl(int64_t in1, int64_t in2, int64_t out, bool hasBias)
    : Module("Bilinear") {
  if (in1 <= 0 || in2 <= 0 || out <= 0)
    fail("lathe::nn: Bilinear: the features must be positive");
  weight = register_parameter("weight", zeros({out, in1, in2}));
  double bound = 1.0 / std::sqrt(double(in1));
  init::uniform_(weight, -bound, bound);
  if (hasBias) {
    bias = register_parameter("bias", zeros({out}));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor BilinearImpl::forward(const Tensor &x1, const Tensor &x2) {
  if (x1.dim() < 1 || x2.dim() < 1 || x1.size(-1) != weight.size(1) ||
      x2.size(-1) != weight.size(2) ||
      !std::equal(x1.sizes().begin(), x1.sizes().end() - 1, x2.sizes().begin(),
                  x2.sizes().end() - 1))
    failIn(*this, "the inputs " + shape_text(x1.sizes()) + " and " +
                      shape_text(x2.sizes()) + " do not fit the weight " +
                      shape_text(weight.sizes()));
  return F::bilinear(x1, x2, weight, bias);
}

LPPoolImpl::LPPoolImpl(int r, double p, ExpandingArray kernel,
                       ExpandingArray strideIn, bool ceil)
    : Module(r == 1   ? "LPPool1d"
             : r == 2 ? "LPPool2d"
                      : "LPPool3d"),
      rank(r), norm_type(p), kernel_size(std::move(kernel)),
      stride(std::move(strideIn)), ceil_mode(ceil) {}

Tensor LPPoolImpl::forward(const Tensor &x) {
  if (x.dim() == rank + 1) // Unbatched, C x spatial, as torch takes it.
    return forward(x.unsqueeze(0)).squeeze(0);
  checkSpatialInput(*this, x, rank);
  return F::lp_pool(x, norm_type, kernel_size, stride, ceil_mode);
}

void ModuleListImpl::add(std::shared_ptr<Module> module) {
  if (!module)
    fail("lathe::nn: ModuleList: a null module");
  register_module(std::to_string(items_.size()), *module);
  items_.push_back(std::move(module));
}

bool ModuleDictImpl::contains(const std::string &key) const {
  for (const auto &item : items_)
    if (item.first == key)
      return true;
  return false;
}

std::vector<std::string> ModuleDictImpl::keys() const {
  std::vector<std::string> out;
  for (const auto &item : items_)
    out.push_back(item.first);
  return out;
}

std::shared_ptr<Module> ModuleDictImpl::find(const std::string &key) const {
  for (const auto &item : items_)
    if (item.first == key)
      return item.second;
  fail("lathe::nn: ModuleDict has no key '" + key + "'");
}

void ModuleDictImpl::add(const std::string &key,
                         std::shared_ptr<Module> module) {
  if (!module)
    fail("lathe::nn: ModuleDict: a null module for '" + key + "'");
  register_module(key, *module);
  items_.push_back({key, std::move(module)});
}

ParameterListImpl::ParameterListImpl(std::vector<Tensor> parameters)
    : Module("ParameterList") {
  for (Tensor &t : parameters)
    append(std::move(t));
}

void ParameterListImpl::append(Tensor parameter) {
  items_.push_back(
      register_parameter(std::to_string(items_.size()), std::move(parameter)));
}

void SequentialImpl::append(std::shared_ptr<Module> module,
                            std::function<Tensor(const Tensor &)> call) {
  register_module(std::to_string(calls_.size()), *module);
  // The child is owned through the handle kept in |call|.
  calls_.push_back(
      [module, call = std::move(call)](const Tensor &x) { return call(x); });
}

Tensor SequentialImpl::forward(const Tensor &x) {
  Tensor y = x;
  for (const auto &call : calls_)
    y = call(y);
  return y;
}

} // namespace lathe::nn
