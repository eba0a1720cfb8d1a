// The DSL's layers and functional API: torch.nn's arguments checked and
// turned into the trace's ops (the shared layer builders).
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace lathe::nn {

using detail::fail;
using detail::failIn;
using detail::shape_text;
using detail::Trace;
using detail::Unary;

namespace {

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

} // namespace

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
  checkSpatialInput(*this, x, rank);
  if (x.size(1) != options.in_channels())
    failIn(*this, "the input " + shape_text(x.sizes()) + " has " +
                      std::to_string(x.size(1)) + " channels, in_channels is " +
                      std::to_string(options.in_channels()) + " (weight " +
                      shape_text(weight.sizes()) + ")");
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
  checkSpatialInput(*this, x, rank);
  if (x.size(1) != options.in_channels())
    failIn(*this, "the input " + shape_text(x.sizes()) + " has " +
                      std::to_string(x.size(1)) + " channels, in_channels is " +
                      std::to_string(options.in_channels()));
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

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions &o)
    : Module("Embedding"), options(o) {
  if (o.num_embeddings() <= 0 || o.embedding_dim() <= 0)
    fail("lathe::nn: Embedding: num_embeddings and embedding_dim must be "
         "positive");
  if (o.padding_idx() && (*o.padding_idx() >= o.num_embeddings() ||
                          *o.padding_idx() < -o.num_embeddings()))
    fail("lathe::nn: Embedding: padding_idx must be within num_embeddings");
  weight = register_parameter("weight",
                              zeros({o.num_embeddings(), o.embedding_dim()}));
  init::normal_(weight);
  if (o.padding_idx()) {
    int64_t row = *o.padding_idx() < 0 ? *o.padding_idx() + o.num_embeddings()
                                       : *o.padding_idx();
    float *w = weight.data_ptr<float>();
    for (int64_t j = 0; j < o.embedding_dim(); ++j)
      w[row * o.embedding_dim() + j] = 0.0f;
  }
}

Tensor EmbeddingImpl::forward(const Tensor &indices) {
  if (indices.dtype() != kInt64 && indices.dtype() != kInt32)
    failIn(*this, "the indices " + shape_text(indices.sizes()) +
                      " must be int64 or int32");
  return F::embedding(indices, weight, options.max_norm(), options.norm_type());
}

static const char *rnnName(RNNImplBase::Kind k) {
  return k == RNNImplBase::Kind::Rnn    ? "RNN"
         : k == RNNImplBase::Kind::Lstm ? "LSTM"
                                        : "GRU";
}

static int64_t gateCount(RNNImplBase::Kind k) {
  return k == RNNImplBase::Kind::Rnn ? 1 : k == RNNImplBase::Kind::Lstm ? 4 : 3;
}

/// lathe::layers::Recurrence's value for |k|.
static int recurrenceOf(RNNImplBase::Kind k) {
  return k == RNNImplBase::Kind::Rnn ? 0 : k == RNNImplBase::Kind::Gru ? 1 : 2;
}

/// A torch recurrent weight or bias (gH x ... or gH) in the ops' ONNX gate
/// order, with a leading direction dimension of 1: LSTM i f g o -> i o f
/// c, GRU r z n -> z r h.
static Tensor onnxGateOrder(Trace &t, RNNImplBase::Kind kind, const Tensor &p,
                            int64_t h) {
  std::vector<int64_t> order =
      kind == RNNImplBase::Kind::Lstm  ? std::vector<int64_t>{0, 3, 1, 2}
      : kind == RNNImplBase::Kind::Gru ? std::vector<int64_t>{1, 0, 2}
                                       : std::vector<int64_t>{0};
  int64_t g = int64_t(order.size());
  Tensor perm = zeros({g}, kInt64);
  for (int64_t i = 0; i < g; ++i)
    perm.data_ptr<int64_t>()[i] = order[size_t(i)];
  std::vector<int64_t> shape = p.sizes();
  std::vector<int64_t> split = {g, h}, one = {1};
  split.insert(split.end(), shape.begin() + 1, shape.end());
  one.insert(one.end(), shape.begin(), shape.end());
  return t.gather(p.reshape(split), perm, 0).reshape(one);
}

RNNImplBase::RNNImplBase(Kind k, const RNNSettings &o, bool r)
    : Module(rnnName(k)), kind(k), options(o), relu(r) {
  if (o.input_size <= 0 || o.hidden_size <= 0 || o.num_layers <= 0)
    fail(std::string("lathe::nn: ") + rnnName(k) +
         ": input_size, hidden_size and num_layers must be positive");
  if (o.dropout < 0 || o.dropout > 1)
    fail(std::string("lathe::nn: ") + rnnName(k) +
         ": dropout must be in [0, 1]");
  int64_t g = gateCount(k), h = o.hidden_size;
  int dirs = o.bidirectional ? 2 : 1;
  for (int64_t l = 0; l < o.num_layers; ++l)
    for (int d = 0; d < dirs; ++d) {
      std::string suffix =
          "_l" + std::to_string(l) + (d ? std::string("_reverse") : "");
      int64_t in = l == 0 ? o.input_size : h * dirs;
      register_parameter("weight_ih" + suffix, zeros({g * h, in}));
      register_parameter("weight_hh" + suffix, zeros({g * h, h}));
      if (o.bias) {
        register_parameter("bias_ih" + suffix, zeros({g * h}));
        register_parameter("bias_hh" + suffix, zeros({g * h}));
      }
    }
  reset_parameters();
}

void RNNImplBase::reset_parameters() {
  double bound = 1.0 / std::sqrt(double(options.hidden_size));
  for (auto &[name, t] : named_parameters(false))
    init::uniform_(t, -bound, bound);
}

std::tuple<Tensor, Tensor, Tensor>
RNNImplBase::run(const Tensor &input, const Tensor &h0, const Tensor &c0) {
  const RNNSettings &o = options;
  if (input.dim() == 2) {
    // Unbatched, T x I (torch's): a batch of one, whatever batch_first.
    auto one = [](const Tensor &s) {
      return s.defined() ? s.unsqueeze(1) : Tensor();
    };
    Tensor x = o.batch_first ? input.unsqueeze(0) : input.unsqueeze(1);
    auto [y, hn, cn] = run(x, one(h0), one(c0));
    return {y.squeeze(o.batch_first ? 0 : 1), hn.squeeze(1),
            cn.defined() ? cn.squeeze(1) : Tensor()};
  }
  int64_t h = o.hidden_size, layers = o.num_layers;
  int dirs = o.bidirectional ? 2 : 1;
  if (input.dim() != 3 || input.size(2) != o.input_size)
    failIn(*this, "expected an input of rank 3 ending in input_size " +
                      std::to_string(o.input_size) + " (" +
                      (o.batch_first ? "N x T x I" : "T x N x I") +
                      ", or T x I unbatched), got " +
                      shape_text(input.sizes()));
  Tensor x = o.batch_first ? input.transpose(0, 1) : input;
  int64_t n = x.size(1);
  std::vector<int64_t> stateShape = {layers * dirs, n, h};
  for (const Tensor *s : {&h0, &c0})
    if (s->defined() && s->sizes() != stateShape)
      failIn(*this, "the initial state " + shape_text(s->sizes()) +
                        " is not num_layers * directions x N x hidden_size " +
                        shape_text(stateShape));
  Trace &t = Trace::of({&x});
  std::map<std::string, Tensor> params;
  for (auto &[name, p] : named_parameters(false))
    params[name] = p;
  auto reordered = [&](const Tensor &p) {
    return onnxGateOrder(t, kind, p, h);
  };
  /// Rows [l * dirs, (l + 1) * dirs) of a state.
  auto layerState = [&](const Tensor &s, int64_t l) {
    if (!s.defined())
      return Tensor();
    Tensor idx = zeros({1}, kInt64);
    idx.data_ptr<int64_t>()[0] = l;
    return t.gather(s.reshape({layers, dirs, n, h}), idx, 0)
        .reshape({dirs, n, h});
  };
  std::vector<Tensor> hs, cs;
  for (int64_t l = 0; l < layers; ++l) {
    std::vector<Tensor> w, r, b;
    for (int d = 0; d < dirs; ++d) {
      std::string suffix =
          "_l" + std::to_string(l) + (d ? std::string("_reverse") : "");
      w.push_back(reordered(params["weight_ih" + suffix]));
      r.push_back(reordered(params["weight_hh" + suffix]));
      if (o.bias)
        b.push_back(cat({reordered(params["bias_ih" + suffix]),
                         reordered(params["bias_hh" + suffix])},
                        1));
    }
    auto [y, hn, cn] = t.recurrent(
        kind == Kind::Rnn   ? 0
        : kind == Kind::Gru ? 1
                            : 2,
        x, dirs == 1 ? w[0] : cat(w, 0), dirs == 1 ? r[0] : cat(r, 0),
        b.empty()   ? Tensor()
        : dirs == 1 ? b[0]
                    : cat(b, 0),
        layerState(h0, l), kind == Kind::Lstm ? layerState(c0, l) : Tensor(),
        dirs == 2, relu);
    hs.push_back(hn);
    if (cn.defined())
      cs.push_back(cn);
    // T x D x N x H -> T x N x D*H.
    x = y.permute({0, 2, 1, 3}).reshape({y.size(0), n, dirs * h});
    if (l + 1 < layers && o.dropout > 0)
      x = F::dropout(x, o.dropout, is_training());
  }
  Tensor out = o.batch_first ? x.transpose(0, 1) : x;
  Tensor hAll = layers == 1 ? hs[0] : cat(hs, 0);
  Tensor cAll = cs.empty() ? Tensor() : layers == 1 ? cs[0] : cat(cs, 0);
  return {out, hAll, cAll};
}

RNNImpl::RNNImpl(const RNNOptions &o)
    : RNNImplBase(Kind::Rnn, o.settings(), o.nonlinearity() == "relu") {
  if (o.nonlinearity() != "tanh" && o.nonlinearity() != "relu")
    fail("lathe::nn: RNN: nonlinearity is 'tanh' or 'relu', got '" +
         o.nonlinearity() + "'");
}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor &x, const Tensor &hx) {
  auto [y, h, c] = run(x, hx, Tensor());
  return {y, h};
}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor &x, const Tensor &hx) {
  auto [y, h, c] = run(x, hx, Tensor());
  return {y, h};
}

LSTMImpl::LSTMImpl(const LSTMOptions &o)
    : RNNImplBase(Kind::Lstm, o.settings()) {
  if (o.proj_size() != 0)
    fail("lathe::nn: LSTM: proj_size is not supported yet (it must be 0)");
}

std::tuple<Tensor, std::tuple<Tensor, Tensor>>
LSTMImpl::forward(const Tensor &x, const std::tuple<Tensor, Tensor> &hx) {
  auto [y, h, c] = run(x, std::get<0>(hx), std::get<1>(hx));
  return {y, {h, c}};
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

EmbeddingBagImpl::EmbeddingBagImpl(const EmbeddingBagOptions &o)
    : Module("EmbeddingBag"), options(o) {
  if (o.num_embeddings <= 0 || o.embedding_dim <= 0)
    fail("lathe::nn: EmbeddingBag: num_embeddings and embedding_dim must be "
         "positive");
  if (o.mode_ != "mean" && o.mode_ != "sum" && o.mode_ != "max")
    fail("lathe::nn: EmbeddingBag: mode is mean, sum or max, got '" + o.mode_ +
         "'");
  weight =
      register_parameter("weight", zeros({o.num_embeddings, o.embedding_dim}));
  init::normal_(weight);
  if (o.padding_idx_) {
    int64_t row = *o.padding_idx_ < 0 ? *o.padding_idx_ + o.num_embeddings
                                      : *o.padding_idx_;
    if (row < 0 || row >= o.num_embeddings)
      fail("lathe::nn: EmbeddingBag: padding_idx must be within "
           "num_embeddings");
    for (int64_t j = 0; j < o.embedding_dim; ++j)
      weight.data_ptr<float>()[row * o.embedding_dim + j] = 0.0f;
  }
}

Tensor EmbeddingBagImpl::forward(const Tensor &input,
                                 const Tensor &per_sample_weights) {
  if (input.dim() != 2)
    failIn(*this, "expected bags of one size, N x L indices, got " +
                      shape_text(input.sizes()) +
                      " (1-D input with offsets is not supported yet)");
  if (per_sample_weights.defined() &&
      (options.mode_ != "sum" || per_sample_weights.sizes() != input.sizes()))
    failIn(*this, "per_sample_weights must have the input's shape and mode "
                  "sum");
  Tensor rows = F::embedding(input, weight); // N x L x D
  Trace &t = Trace::of({&rows});
  // Entries counted: all, or those that are not padding_idx.
  Tensor keep;
  if (options.padding_idx_) {
    int64_t pad = *options.padding_idx_ < 0
                      ? *options.padding_idx_ + options.num_embeddings
                      : *options.padding_idx_;
    keep = input.eq(double(pad)).to(kFloat32);
    keep = (1.0 - keep).unsqueeze(2); // N x L x 1
  }
  if (options.mode_ == "max") {
    Tensor scores = rows;
    if (keep.defined())
      scores =
          t.where(keep.gt(0.5), rows,
                  t.scalar(-std::numeric_limits<double>::infinity(), rows));
    Tensor m = scores.amax({1});
    // A bag of padding alone gives zeros, as torch's.
    return t.where(m.gt(-std::numeric_limits<double>::infinity()), m,
                   t.scalar(0.0, m));
  }
  Tensor weighted = rows;
  if (per_sample_weights.defined())
    weighted = weighted * per_sample_weights.unsqueeze(2);
  if (keep.defined())
    weighted = weighted * keep;
  Tensor sum = weighted.sum({1});
  if (options.mode_ == "sum")
    return sum;
  Tensor count = keep.defined() ? keep.sum({1}).clamp(1.0, std::nullopt)
                                : full({1}, double(input.size(1)));
  return sum / count;
}

RNNCellImplBase::RNNCellImplBase(RNNImplBase::Kind k, int64_t in, int64_t h,
                                 bool bias, bool r)
    : Module(k == RNNImplBase::Kind::Rnn    ? "RNNCell"
             : k == RNNImplBase::Kind::Lstm ? "LSTMCell"
                                            : "GRUCell"),
      kind(k), input_size(in), hidden_size(h), relu(r) {
  if (in <= 0 || h <= 0)
    fail(std::string("lathe::nn: ") + type_name() +
         ": input_size and hidden_size must be positive");
  int64_t g = gateCount(k);
  weight_ih = register_parameter("weight_ih", zeros({g * h, in}));
  weight_hh = register_parameter("weight_hh", zeros({g * h, h}));
  if (bias) {
    bias_ih = register_parameter("bias_ih", zeros({g * h}));
    bias_hh = register_parameter("bias_hh", zeros({g * h}));
  }
  double bound = 1.0 / std::sqrt(double(h));
  for (auto &[name, t] : named_parameters(false))
    init::uniform_(t, -bound, bound);
}

std::tuple<Tensor, Tensor>
RNNCellImplBase::step(const Tensor &x, const Tensor &h, const Tensor &c) {
  if (x.dim() != 2 || x.size(1) != input_size)
    failIn(*this, "expected an input N x " + std::to_string(input_size) +
                      ", got " + shape_text(x.sizes()));
  std::vector<int64_t> state = {x.size(0), hidden_size};
  for (const Tensor *s : {&h, &c})
    if (s->defined() && s->sizes() != state)
      failIn(*this, "the state " + shape_text(s->sizes()) + " is not " +
                        shape_text(state));
  Trace &t = Trace::of({&x});
  Tensor b;
  if (bias_ih.defined())
    b = cat({onnxGateOrder(t, kind, bias_ih, hidden_size),
             onnxGateOrder(t, kind, bias_hh, hidden_size)},
            1);
  auto one = [](const Tensor &s) {
    return s.defined() ? s.unsqueeze(0) : Tensor();
  };
  auto [y, hn, cn] = t.recurrent(
      recurrenceOf(kind), x.unsqueeze(0),
      onnxGateOrder(t, kind, weight_ih, hidden_size),
      onnxGateOrder(t, kind, weight_hh, hidden_size), b, one(h),
      kind == RNNImplBase::Kind::Lstm ? one(c) : Tensor(), false, relu);
  return {hn.squeeze(0), cn.defined() ? cn.squeeze(0) : Tensor()};
}

RNNCellImpl::RNNCellImpl(int64_t in, int64_t h, bool bias,
                         const std::string &nonlinearity)
    : RNNCellImplBase(RNNImplBase::Kind::Rnn, in, h, bias,
                      nonlinearity == "relu") {
  if (nonlinearity != "tanh" && nonlinearity != "relu")
    fail("lathe::nn: RNNCell: nonlinearity is 'tanh' or 'relu', got '" +
         nonlinearity + "'");
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
