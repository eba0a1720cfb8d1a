// The DSL's functional API (torch::nn::functional): torch's arguments
// checked and turned into the trace's ops (the shared layer builders), and
// the argument helpers layers share (Arguments.h).
#include "frontends/cpp/Arguments.h"
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace lathe::nn {

using detail::checkPositive;
using detail::checkSpatialInput;
using detail::expand;
using detail::fail;
using detail::failIn;
using detail::shape_text;
using detail::Trace;
using detail::twice;
using detail::Unary;

namespace detail {

/// |a| for |rank| spatial dimensions: one value for all, or one each.
std::vector<int64_t> expand(const ExpandingArray &a, int rank,
                            const char *what) {
  if (int64_t(a.size()) == rank)
    return a.values();
  if (a.size() == 1)
    return std::vector<int64_t>(size_t(rank), a[0]);
  fail(std::string("lathe::nn: ") + what + " has " + std::to_string(a.size()) +
       " values for " + std::to_string(rank) + " spatial dimensions");
}

/// Symmetric padding |p| as every front, then every back.
std::vector<int64_t> twice(const std::vector<int64_t> &p) {
  std::vector<int64_t> out = p;
  out.insert(out.end(), p.begin(), p.end());
  return out;
}

void checkPositive(const std::vector<int64_t> &v, const char *what) {
  for (int64_t x : v)
    if (x <= 0)
      fail(std::string("lathe::nn: ") + what + " must be positive, got " +
           shape_text(v));
}

void checkSpatialInput(const Module &m, const Tensor &x, int rank) {
  if (x.dim() != rank + 2)
    failIn(m, "expected an input of rank " + std::to_string(rank + 2) +
                  " (N x C x " + std::to_string(rank) +
                  " spatial dimensions) or " + std::to_string(rank + 1) +
                  " (unbatched), got " + shape_text(x.sizes()));
}

} // namespace detail

// ---------------------------------------------------------------------------
// Functional.
// ---------------------------------------------------------------------------
namespace functional {

static Tensor unary(Unary op, const Tensor &x, double a = 0, double b = 0) {
  return Trace::of({&x}).unary(op, x, a, b);
}

Tensor relu(const Tensor &x) { return unary(Unary::Relu, x); }
Tensor relu6(const Tensor &x) { return hardtanh(x, 0.0, 6.0); }
Tensor leaky_relu(const Tensor &x, double slope) {
  return unary(Unary::LeakyRelu, x, slope);
}
Tensor elu(const Tensor &x, double alpha) {
  return unary(Unary::Elu, x, alpha);
}
Tensor selu(const Tensor &x) { return unary(Unary::Selu, x); }
Tensor celu(const Tensor &x, double alpha) {
  if (alpha == 0)
    fail("lathe::nn: celu: alpha must not be 0");
  return unary(Unary::Celu, x, alpha);
}
Tensor gelu(const Tensor &x, const std::string &approximate) {
  if (approximate != "none" && approximate != "tanh")
    fail("lathe::nn: gelu: approximate is 'none' or 'tanh', got '" +
         approximate + "'");
  return unary(Unary::Gelu, x, approximate == "tanh" ? 1 : 0);
}
Tensor silu(const Tensor &x) { return x * sigmoid(x); }
Tensor mish(const Tensor &x) { return x * tanh(softplus(x)); }
Tensor sigmoid(const Tensor &x) { return unary(Unary::Sigmoid, x); }
Tensor tanh(const Tensor &x) { return unary(Unary::Tanh, x); }
Tensor hardtanh(const Tensor &x, double min_val, double max_val) {
  if (min_val > max_val)
    fail("lathe::nn: hardtanh: min_val " + std::to_string(min_val) +
         " is above max_val " + std::to_string(max_val));
  return x.clamp(min_val, max_val);
}
Tensor hardsigmoid(const Tensor &x) {
  return unary(Unary::HardSigmoid, x, 1.0 / 6.0, 0.5);
}
Tensor hardswish(const Tensor &x) { return unary(Unary::HardSwish, x); }
Tensor softplus(const Tensor &x, double beta, double threshold) {
  // torch: log(1 + exp(beta x)) / beta, and x itself where beta x >
  // threshold.
  if (beta == 0)
    fail("lathe::nn: softplus: beta must not be 0");
  Trace &t = Trace::of({&x});
  Tensor bx = beta == 1.0 ? x : x * beta;
  Tensor y = unary(Unary::Softplus, bx);
  if (beta != 1.0)
    y = y / beta;
  return t.where(t.binary(detail::Binary::Greater, bx, t.scalar(threshold, x)),
                 x, y);
}
Tensor softsign(const Tensor &x) { return unary(Unary::Softsign, x); }
Tensor logsigmoid(const Tensor &x) { return -unary(Unary::Softplus, -x); }
Tensor softmax(const Tensor &x, int64_t dim) { return x.softmax(dim); }
Tensor log_softmax(const Tensor &x, int64_t dim) { return x.log_softmax(dim); }

Tensor linear(const Tensor &x, const Tensor &weight, const Tensor &bias) {
  return Trace::of({&x, &weight}).linear(x, weight, bias);
}

static detail::WindowSpec convWindow(int rank, const ExpandingArray &stride,
                                     const ExpandingArray &padding,
                                     const ExpandingArray &dilation) {
  detail::WindowSpec w;
  w.stride = expand(stride, rank, "stride");
  w.padding = twice(expand(padding, rank, "padding"));
  w.dilation = expand(dilation, rank, "dilation");
  checkPositive(w.stride, "stride");
  checkPositive(w.dilation, "dilation");
  return w;
}

Tensor conv(const Tensor &x, const Tensor &weight, const Tensor &bias,
            ExpandingArray stride, ExpandingArray padding,
            ExpandingArray dilation, int64_t groups) {
  int rank = int(weight.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: conv: the weight " + shape_text(weight.sizes()) +
         " is not out x in/groups x k1..kn with n = 1..3");
  return Trace::of({&x, &weight})
      .conv(x, weight, bias, convWindow(rank, stride, padding, dilation),
            groups);
}

Tensor conv_transpose(const Tensor &x, const Tensor &weight, const Tensor &bias,
                      ExpandingArray stride, ExpandingArray padding,
                      ExpandingArray output_padding, int64_t groups,
                      ExpandingArray dilation) {
  int rank = int(weight.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: conv_transpose: the weight " + shape_text(weight.sizes()) +
         " is not in x out/groups x k1..kn with n = 1..3");
  return Trace::of({&x, &weight})
      .convTranspose(x, weight, bias,
                     convWindow(rank, stride, padding, dilation),
                     expand(output_padding, rank, "output_padding"), groups);
}

static detail::WindowSpec poolWindow(int rank, const ExpandingArray &kernel,
                                     const ExpandingArray &stride,
                                     const ExpandingArray &padding,
                                     const ExpandingArray &dilation,
                                     bool ceil) {
  detail::WindowSpec w;
  w.kernel = expand(kernel, rank, "kernel_size");
  w.stride = stride.empty() ? w.kernel : expand(stride, rank, "stride");
  std::vector<int64_t> pad = expand(padding, rank, "padding");
  for (int i = 0; i < rank; ++i)
    if (pad[size_t(i)] < 0 || pad[size_t(i)] * 2 > w.kernel[size_t(i)])
      fail("lathe::nn: pooling: padding " + shape_text(pad) +
           " must be non-negative and at most half the kernel " +
           shape_text(w.kernel));
  w.padding = twice(pad);
  w.dilation = expand(dilation, rank, "dilation");
  w.ceilMode = ceil;
  checkPositive(w.kernel, "kernel_size");
  checkPositive(w.stride, "stride");
  checkPositive(w.dilation, "dilation");
  return w;
}

Tensor max_pool(const Tensor &x, const MaxPoolOptions &o) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: max_pool: expected N x C x d1..dn (n = 1..3), got " +
         shape_text(x.sizes()));
  return Trace::of({&x}).maxPool(x, poolWindow(rank, o.kernel_size(),
                                               o.stride(), o.padding(),
                                               o.dilation(), o.ceil_mode()));
}

Tensor avg_pool(const Tensor &x, const AvgPoolOptions &o) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: avg_pool: expected N x C x d1..dn (n = 1..3), got " +
         shape_text(x.sizes()));
  detail::WindowSpec w = poolWindow(rank, o.kernel_size(), o.stride(),
                                    o.padding(), {1}, o.ceil_mode());
  Trace &t = Trace::of({&x});
  if (!o.divisor_override())
    return t.avgPool(x, w, o.count_include_pad());
  // Each window's sum (a depthwise convolution with ones) over the divisor.
  int64_t divisor = *o.divisor_override();
  if (divisor <= 0)
    fail("lathe::nn: avg_pool: divisor_override must be positive");
  if (o.ceil_mode())
    fail("lathe::nn: avg_pool: divisor_override with ceil_mode is not "
         "supported");
  std::vector<int64_t> shape = {x.size(1), 1};
  shape.insert(shape.end(), w.kernel.begin(), w.kernel.end());
  Tensor ones = nn::ones(shape, x.dtype());
  detail::WindowSpec cw = w;
  cw.kernel.clear();
  cw.dilation.assign(size_t(rank), 1);
  return t.conv(x, ones, Tensor(), cw, x.size(1)) / double(divisor);
}

Tensor max_pool1d(const Tensor &x, ExpandingArray k) {
  return max_pool(x, MaxPoolOptions(std::move(k)));
}
Tensor max_pool2d(const Tensor &x, ExpandingArray k) {
  return max_pool(x, MaxPoolOptions(std::move(k)));
}
Tensor max_pool3d(const Tensor &x, ExpandingArray k) {
  return max_pool(x, MaxPoolOptions(std::move(k)));
}
Tensor avg_pool2d(const Tensor &x, ExpandingArray k) {
  return avg_pool(x, AvgPoolOptions(std::move(k)));
}

Tensor adaptive_avg_pool(const Tensor &x, ExpandingArray output_size) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: adaptive_avg_pool: expected N x C x d1..dn (n = 1..3), "
         "got " +
         shape_text(x.sizes()));
  std::vector<int64_t> size = expand(output_size, rank, "output_size");
  checkPositive(size, "output_size");
  Trace &t = Trace::of({&x});
  bool ones = true;
  for (int64_t d : size)
    ones = ones && d == 1;
  if (ones || rank == 2)
    return t.adaptiveAvgPool(x, size);
  if (rank == 1) // Over unit height.
    return t.adaptiveAvgPool(x.unsqueeze(2), {1, size[0]}).squeeze(2);
  fail("lathe::nn: adaptive_avg_pool3d to " + shape_text(size) +
       " is not supported (output size 1 is)");
}
Tensor adaptive_avg_pool2d(const Tensor &x, ExpandingArray output_size) {
  if (x.dim() != 4)
    fail("lathe::nn: adaptive_avg_pool2d: expected N x C x H x W, got " +
         shape_text(x.sizes()));
  return adaptive_avg_pool(x, std::move(output_size));
}

Tensor batch_norm(const Tensor &x, const Tensor &running_mean,
                  const Tensor &running_var, const Tensor &weight,
                  const Tensor &bias, bool training, double momentum,
                  double eps) {
  if (x.dim() < 2)
    fail("lathe::nn: batch_norm: expected N x C x ..., got " +
         shape_text(x.sizes()));
  if (!training && running_mean.defined() && running_var.defined())
    return Trace::of({&x}).batchNorm(x, weight, bias, running_mean, running_var,
                                     eps, momentum);
  // Batch statistics (biased variance), as torch normalizes with.
  std::vector<int64_t> axes = {0};
  std::vector<int64_t> stat(size_t(x.dim()), 1);
  stat[1] = x.size(1);
  for (int64_t i = 2; i < x.dim(); ++i)
    axes.push_back(i);
  Tensor mean = x.mean(axes, true);
  Tensor centered = x - mean;
  Tensor var = (centered * centered).mean(axes, true);
  Tensor y = centered / (var + eps).sqrt();
  if (weight.defined())
    y = y * weight.reshape(stat);
  if (bias.defined())
    y = y + bias.reshape(stat);
  return y;
}

Tensor layer_norm(const Tensor &x, std::vector<int64_t> normalized_shape,
                  const Tensor &weight, const Tensor &bias, double eps) {
  int64_t n = int64_t(normalized_shape.size());
  if (n == 0 || n > x.dim() ||
      !std::equal(normalized_shape.begin(), normalized_shape.end(),
                  x.sizes().end() - n))
    fail("lathe::nn: layer_norm: normalized_shape " +
         shape_text(normalized_shape) + " is not the end of the input's " +
         shape_text(x.sizes()));
  return Trace::of({&x}).layerNorm(x, x.dim() - n, weight, bias, eps);
}

Tensor group_norm(const Tensor &x, int64_t num_groups, const Tensor &weight,
                  const Tensor &bias, double eps) {
  if (x.dim() < 2 || num_groups <= 0 || x.size(1) % num_groups)
    fail("lathe::nn: group_norm: " + std::to_string(num_groups) +
         " groups do not divide the channels of " + shape_text(x.sizes()));
  return Trace::of({&x}).groupNorm(x, num_groups, weight, bias, eps);
}

Tensor dropout(const Tensor &x, double p, bool training) {
  if (p < 0 || p > 1)
    fail("lathe::nn: dropout probability has to be between 0 and 1, but "
         "got " +
         std::to_string(p));
  // A training build keeps the op (it gives dropout its training form).
  Trace &t = Trace::of({&x});
  if ((!training && !t.isTrainingBuild()) || p == 0)
    return x;
  return t.dropout(x, p);
}

Tensor pad(const Tensor &x, std::vector<int64_t> p, const std::string &mode,
           double value) {
  if (p.size() % 2 || int64_t(p.size() / 2) > x.dim())
    fail("lathe::nn: pad: " + std::to_string(p.size()) +
         " values are not (left, right) pairs for at most " +
         std::to_string(x.dim()) + " dimensions");
  detail::PadFill fill;
  if (mode == "constant")
    fill = detail::PadFill::Constant;
  else if (mode == "reflect")
    fill = detail::PadFill::Reflect;
  else if (mode == "replicate")
    fill = detail::PadFill::Edge;
  else if (mode == "circular")
    fill = detail::PadFill::Wrap;
  else
    fail("lathe::nn: pad: mode is constant, reflect, replicate or circular, "
         "got '" +
         mode + "'");
  size_t rank = size_t(x.dim());
  std::vector<int64_t> pads(2 * rank, 0);
  for (size_t i = 0; i < p.size() / 2; ++i) {
    size_t d = rank - 1 - i;
    pads[d] = p[2 * i];
    pads[rank + d] = p[2 * i + 1];
  }
  return Trace::of({&x}).pad(x, pads, fill, value);
}

Tensor flatten(const Tensor &x, int64_t start_dim, int64_t end_dim) {
  return x.flatten(start_dim, end_dim);
}

Tensor interpolate(const Tensor &x, std::vector<int64_t> size,
                   std::vector<double> scale_factor, const std::string &mode,
                   std::optional<bool> align_corners) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: interpolate: expected N x C x d1..dn (n = 1..3), got " +
         shape_text(x.sizes()));
  static const std::map<std::string, std::pair<int, int>> modes = {
      {"nearest", {0, 0}},
      {"linear", {1, 1}},
      {"bilinear", {1, 2}},
      {"trilinear", {1, 3}},
      {"bicubic", {2, 2}}};
  auto m = modes.find(mode);
  if (m == modes.end())
    fail("lathe::nn: interpolate: mode is nearest, linear, bilinear, "
         "trilinear or bicubic, got '" +
         mode + "'");
  if (m->second.second && m->second.second != rank)
    fail("lathe::nn: interpolate: mode " + mode + " needs " +
         std::to_string(m->second.second + 2) + "-D input, got " +
         shape_text(x.sizes()));
  if (m->second.first == 0 && align_corners)
    fail("lathe::nn: interpolate: align_corners is for the interpolating "
         "modes, not nearest");
  if (size.empty() == scale_factor.empty())
    fail("lathe::nn: interpolate: give either size or scale_factor");
  std::vector<double> scales = {1.0, 1.0};
  std::vector<int64_t> shape = {x.size(0), x.size(1)};
  for (int i = 0; i < rank; ++i) {
    int64_t in = x.size(2 + i);
    double scale;
    if (!size.empty()) {
      int64_t out = size.size() == 1 ? size[0] : size.at(size_t(i));
      if (size.size() != 1 && int(size.size()) != rank)
        fail("lathe::nn: interpolate: size has " + std::to_string(size.size()) +
             " values for " + std::to_string(rank) + " dimensions");
      if (out <= 0)
        fail("lathe::nn: interpolate: sizes must be positive");
      scale = double(out) / double(in);
      shape.push_back(out);
    } else {
      if (scale_factor.size() != 1 && int(scale_factor.size()) != rank)
        fail("lathe::nn: interpolate: scale_factor has " +
             std::to_string(scale_factor.size()) + " values for " +
             std::to_string(rank) + " dimensions");
      scale =
          scale_factor.size() == 1 ? scale_factor[0] : scale_factor[size_t(i)];
      if (!(scale > 0) || int64_t(std::floor(double(in) * scale)) <= 0)
        fail("lathe::nn: interpolate: scale_factor must give positive "
             "sizes");
      shape.push_back(int64_t(std::floor(double(in) * scale)));
    }
    scales.push_back(scale);
  }
  // torch: nearest reads floor(dst / scale); the interpolating modes
  // half-pixel centres, or corners aligned.
  int coordinate = m->second.first == 0            ? 3
                   : align_corners.value_or(false) ? 2
                                                   : 0;
  // Aligned corners map through the output length alone (as torch).
  if (coordinate == 2)
    for (int i = 0; i < rank; ++i)
      scales[size_t(2 + i)] =
          double(shape[size_t(2 + i)]) / double(x.size(2 + i));
  return Trace::of({&x}).resize(x, scales, shape, m->second.first, coordinate);
}

std::tuple<Tensor, Tensor> max_pool_with_indices(const Tensor &x,
                                                 const MaxPoolOptions &o) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: max_pool: expected N x C x d1..dn (n = 1..3), got " +
         shape_text(x.sizes()));
  Trace &t = Trace::of({&x});
  auto [values, offsets] = t.maxPoolWithIndices(
      x, poolWindow(rank, o.kernel_size(), o.stride(), o.padding(),
                    o.dilation(), o.ceil_mode()));
  // ONNX's offsets count from the whole input; torch's from the plane.
  int64_t planes = x.size(0) * x.size(1), plane = 1;
  for (int i = 0; i < rank; ++i)
    plane *= x.size(2 + i);
  std::vector<int64_t> shape(size_t(x.dim()), 1);
  shape[0] = x.size(0);
  shape[1] = x.size(1);
  Tensor starts = nn::zeros(shape, kInt64);
  for (int64_t i = 0; i < planes; ++i)
    starts.data_ptr<int64_t>()[i] = i * plane;
  return {values, offsets - starts};
}

Tensor lp_pool(const Tensor &x, double p, ExpandingArray kernel,
               ExpandingArray stride, bool ceil) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: lp_pool: expected N x C x d1..dn (n = 1..3), got " +
         shape_text(x.sizes()));
  if (!(p > 0))
    fail("lathe::nn: lp_pool: norm_type must be positive");
  return Trace::of({&x}).lpPool(
      x, poolWindow(rank, kernel, stride, {0}, {1}, ceil), p);
}

Tensor adaptive_max_pool(const Tensor &x, ExpandingArray output_size) {
  int rank = int(x.dim()) - 2;
  if (rank < 1 || rank > 3)
    fail("lathe::nn: adaptive_max_pool: expected N x C x d1..dn (n = 1..3), "
         "got " +
         shape_text(x.sizes()));
  std::vector<int64_t> size = expand(output_size, rank, "output_size");
  checkPositive(size, "output_size");
  // The maximum over a box is the maximum over each dimension in turn.
  Tensor y = x;
  for (int i = 0; i < rank; ++i) {
    int64_t d = 2 + i, in = x.size(d), out = size[size_t(i)];
    if (in % out == 0) {
      std::vector<int64_t> shape = y.sizes();
      shape[size_t(d)] = out;
      shape.insert(shape.begin() + d + 1, in / out);
      y = y.reshape(shape).amax({d + 1});
      continue;
    }
    std::vector<Tensor> parts;
    for (int64_t o = 0; o < out; ++o) {
      int64_t start = o * in / out, end = ((o + 1) * in + out - 1) / out;
      parts.push_back(y.slice(d, start, end).amax({d}, true));
    }
    y = cat(parts, d);
  }
  return y;
}

Tensor local_response_norm(const Tensor &x, int64_t size, double alpha,
                           double beta, double k) {
  if (x.dim() < 3 || size <= 0)
    fail("lathe::nn: local_response_norm: expected N x C x ... and a "
         "positive size, got " +
         shape_text(x.sizes()));
  // torch: the channel window's mean of x^2 (zeros past the ends), as
  // (k + alpha * mean)^beta.
  int64_t n = x.size(0), c = x.size(1), rest = x.numel() / (n * c);
  Tensor sq = (x * x).reshape({n, 1, c, rest});
  sq = pad(sq, {0, 0, size / 2, (size - 1) / 2});
  Tensor mean = avg_pool(sq, AvgPoolOptions({size, 1}).stride({1, 1}));
  Tensor div = (mean.reshape(x.sizes()) * alpha + k).pow(beta);
  return x / div;
}

Tensor rrelu(const Tensor &x, double lower, double upper, bool training) {
  if (lower > upper)
    fail("lathe::nn: rrelu: lower is above upper");
  Trace &t = Trace::of({&x});
  if (training || t.isTrainingBuild())
    fail("lathe::nn: rrelu: random slopes (training) are not supported yet");
  return leaky_relu(x, (lower + upper) / 2);
}

static Tensor criterion(detail::LossKind kind, const Tensor &input,
                        const Tensor &target, const Tensor &weight,
                        const Tensor &posWeight, const std::string &reduction,
                        double a = 0, int64_t ignore = -100,
                        bool flag = false) {
  return Trace::of({&input, &target})
      .loss(kind, input, target, weight, posWeight, reduction, a, ignore, flag);
}

Tensor cross_entropy(const Tensor &input, const Tensor &target,
                     const Tensor &weight, int64_t ignore_index,
                     const std::string &reduction, double label_smoothing) {
  return criterion(detail::LossKind::CrossEntropy, input, target, weight,
                   Tensor(), reduction, label_smoothing, ignore_index);
}
Tensor nll_loss(const Tensor &input, const Tensor &target, const Tensor &weight,
                int64_t ignore_index, const std::string &reduction) {
  return criterion(detail::LossKind::Nll, input, target, weight, Tensor(),
                   reduction, 0, ignore_index);
}
Tensor mse_loss(const Tensor &input, const Tensor &target,
                const std::string &reduction) {
  return criterion(detail::LossKind::Mse, input, target, Tensor(), Tensor(),
                   reduction);
}
Tensor l1_loss(const Tensor &input, const Tensor &target,
               const std::string &reduction) {
  return criterion(detail::LossKind::L1, input, target, Tensor(), Tensor(),
                   reduction);
}
Tensor smooth_l1_loss(const Tensor &input, const Tensor &target,
                      const std::string &reduction, double beta) {
  return criterion(detail::LossKind::SmoothL1, input, target, Tensor(),
                   Tensor(), reduction, beta);
}
Tensor huber_loss(const Tensor &input, const Tensor &target,
                  const std::string &reduction, double delta) {
  return criterion(detail::LossKind::Huber, input, target, Tensor(), Tensor(),
                   reduction, delta);
}
Tensor kl_div(const Tensor &input, const Tensor &target,
              const std::string &reduction, bool log_target) {
  return criterion(detail::LossKind::KlDiv, input, target, Tensor(), Tensor(),
                   reduction, 0, -100, log_target);
}
Tensor binary_cross_entropy(const Tensor &input, const Tensor &target,
                            const Tensor &weight,
                            const std::string &reduction) {
  return criterion(detail::LossKind::Bce, input, target, weight, Tensor(),
                   reduction);
}
Tensor binary_cross_entropy_with_logits(const Tensor &input,
                                        const Tensor &target,
                                        const Tensor &weight,
                                        const std::string &reduction,
                                        const Tensor &pos_weight) {
  return criterion(detail::LossKind::BceWithLogits, input, target, weight,
                   pos_weight, reduction);
}

Tensor one_hot(const Tensor &indices, int64_t num_classes) {
  if (indices.dtype() != kInt64 && indices.dtype() != kInt32)
    fail("lathe::nn: one_hot needs int64 or int32 indices");
  if (num_classes <= 0)
    fail("lathe::nn: one_hot: num_classes must be positive (inferring it "
         "from the values needs them at compile time)");
  return Trace::of({&indices}).oneHot(indices, num_classes, kInt64);
}

Tensor threshold(const Tensor &x, double threshold, double value) {
  Trace &t = Trace::of({&x});
  return t.where(t.binary(detail::Binary::Greater, x, t.scalar(threshold, x)),
                 x, t.scalar(value, x));
}
Tensor softshrink(const Tensor &x, double lambd) {
  if (lambd < 0)
    fail("lathe::nn: softshrink: lambd must be non-negative, got " +
         std::to_string(lambd));
  return unary(Unary::Shrink, x, lambd, lambd);
}
Tensor hardshrink(const Tensor &x, double lambd) {
  return unary(Unary::Shrink, x, 0.0, lambd);
}
Tensor tanhshrink(const Tensor &x) { return x - tanh(x); }

Tensor prelu(const Tensor &x, const Tensor &weight) {
  if (weight.dim() != 1 ||
      (weight.size(0) != 1 && (x.dim() < 2 || weight.size(0) != x.size(1))))
    fail("lathe::nn: prelu: the weight " + shape_text(weight.sizes()) +
         " has neither 1 nor the input's " + shape_text(x.sizes()) +
         " channel count of parameters");
  // The slope broadcast along dimension 1.
  std::vector<int64_t> shape(size_t(std::max<int64_t>(x.dim() - 1, 1)), 1);
  shape[0] = weight.size(0);
  Tensor slope = weight.size(0) == 1 ? weight : weight.reshape(shape);
  return Trace::of({&x}).binary(detail::Binary::PRelu, x, slope);
}

Tensor glu(const Tensor &x, int64_t dim) {
  int64_t d = dim < 0 ? dim + x.dim() : dim;
  if (d < 0 || d >= x.dim() || x.size(d) % 2)
    fail("lathe::nn: glu: dimension " + std::to_string(dim) + " of " +
         shape_text(x.sizes()) + " is not of even size");
  int64_t half = x.size(d) / 2;
  Tensor first = nn::zeros({half}, kInt64), second = nn::zeros({half}, kInt64);
  for (int64_t i = 0; i < half; ++i) {
    first.data_ptr<int64_t>()[i] = i;
    second.data_ptr<int64_t>()[i] = half + i;
  }
  Trace &t = Trace::of({&x});
  return t.gather(x, first, d) * sigmoid(t.gather(x, second, d));
}

Tensor softmin(const Tensor &x, int64_t dim) { return (-x).softmax(dim); }

Tensor instance_norm(const Tensor &x, const Tensor &weight, const Tensor &bias,
                     double eps) {
  if (x.dim() < 3)
    fail("lathe::nn: instance_norm: expected N x C x spatial..., got " +
         shape_text(x.sizes()));
  return Trace::of({&x}).groupNorm(x, x.size(1), weight, bias, eps);
}

Tensor pixel_shuffle(const Tensor &x, int64_t r) {
  if (x.dim() < 3 || r <= 0 || x.size(-3) % (r * r))
    fail("lathe::nn: pixel_shuffle: the channels of " + shape_text(x.sizes()) +
         " are not divisible by upscale_factor^2 = " + std::to_string(r * r));
  std::vector<int64_t> lead(x.sizes().begin(), x.sizes().end() - 3);
  int64_t c = x.size(-3) / (r * r), h = x.size(-2), w = x.size(-1);
  int64_t n = 1;
  for (int64_t d : lead)
    n *= d;
  Tensor y = x.reshape({n, c, r, r, h, w}).permute({0, 1, 4, 2, 5, 3});
  std::vector<int64_t> out = lead;
  out.insert(out.end(), {c, h * r, w * r});
  return y.reshape(out);
}

Tensor pixel_unshuffle(const Tensor &x, int64_t r) {
  if (x.dim() < 3 || r <= 0 || x.size(-2) % r || x.size(-1) % r)
    fail("lathe::nn: pixel_unshuffle: the height and width of " +
         shape_text(x.sizes()) + " are not divisible by downscale_factor " +
         std::to_string(r));
  std::vector<int64_t> lead(x.sizes().begin(), x.sizes().end() - 3);
  int64_t c = x.size(-3), h = x.size(-2) / r, w = x.size(-1) / r;
  int64_t n = 1;
  for (int64_t d : lead)
    n *= d;
  Tensor y = x.reshape({n, c, h, r, w, r}).permute({0, 1, 3, 5, 2, 4});
  std::vector<int64_t> out = lead;
  out.insert(out.end(), {c * r * r, h, w});
  return y.reshape(out);
}

Tensor pairwise_distance(const Tensor &x1, const Tensor &x2, double p,
                         double eps, bool keepdim) {
  Tensor d = (x1 - x2 + eps).abs();
  if (p == 2.0)
    return (d * d).sum({-1}, keepdim).sqrt();
  if (p == 1.0)
    return d.sum({-1}, keepdim);
  if (std::isinf(p))
    return d.amax({-1}, keepdim);
  if (p <= 0)
    fail("lathe::nn: pairwise_distance: p must be positive, got " +
         std::to_string(p));
  return d.pow(p).sum({-1}, keepdim).pow(1.0 / p);
}

Tensor cosine_similarity(const Tensor &x1, const Tensor &x2, int64_t dim,
                         double eps) {
  // torch: sum(x1 x2) / sqrt(clamp_min(|x1|^2 |x2|^2, eps^2)).
  Tensor dot = (x1 * x2).sum({dim});
  Tensor n = ((x1 * x1).sum({dim}) * (x2 * x2).sum({dim}))
                 .clamp(eps * eps, std::nullopt);
  return dot / n.sqrt();
}

Tensor embedding(const Tensor &indices, const Tensor &weight,
                 std::optional<double> max_norm, double norm_type) {
  if (indices.dtype() != kInt64 && indices.dtype() != kInt32)
    fail("lathe::nn: embedding: the indices must be int64 or int32, got a "
         "tensor of another dtype");
  if (weight.dim() != 2)
    fail("lathe::nn: embedding: the weight " + shape_text(weight.sizes()) +
         " is not num_embeddings x embedding_dim");
  Tensor rows = Trace::of({&indices, &weight}).gather(weight, indices, 0);
  if (!max_norm)
    return rows;
  // torch renormalizes each looked-up row whose norm exceeds max_norm to
  // max_norm / (norm + 1e-7) of itself.
  Tensor norm =
      norm_type == 2.0
          ? (rows * rows).sum({-1}, true).sqrt()
          : rows.abs().pow(norm_type).sum({-1}, true).pow(1.0 / norm_type);
  Trace &t = Trace::of({&rows});
  Tensor scale = t.where(
      t.binary(detail::Binary::Greater, norm, t.scalar(*max_norm, norm)),
      *max_norm / (norm + 1e-7), t.scalar(1.0, norm));
  return rows * scale;
}

Tensor bilinear(const Tensor &x1, const Tensor &x2, const Tensor &weight,
                const Tensor &bias) {
  if (weight.dim() != 3 || x1.dim() < 1 || x2.dim() < 1 ||
      x1.size(-1) != weight.size(1) || x2.size(-1) != weight.size(2))
    fail("lathe::nn: bilinear: inputs " + shape_text(x1.sizes()) + " and " +
         shape_text(x2.sizes()) + " do not fit the weight " +
         shape_text(weight.sizes()) + " (out x in1 x in2)");
  // y[.., o] = sum_ij x1[.., i] W[o, i, j] x2[.., j]: (x1 W_o) then a dot
  // with x2, for every o at once.
  int64_t out = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  std::vector<int64_t> lead(x1.sizes().begin(), x1.sizes().end() - 1);
  int64_t rows = 1;
  for (int64_t d : lead)
    rows *= d;
  Tensor a = x1.reshape({rows, in1});
  Tensor w = weight.permute({1, 0, 2}).reshape({in1, out * in2});
  Tensor t = a.matmul(w).reshape({rows, out, in2});
  Tensor y = (t * x2.reshape({rows, 1, in2})).sum({-1});
  if (bias.defined())
    y = y + bias;
  std::vector<int64_t> shape = lead;
  shape.push_back(out);
  return y.reshape(shape);
}

} // namespace functional

} // namespace lathe::nn
