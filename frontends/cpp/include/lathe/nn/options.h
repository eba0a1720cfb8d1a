// The C++ DSL's layer options (lathe/nn.h): libtorch's names and defaults.
#ifndef LATHE_NN_OPTIONS_H
#define LATHE_NN_OPTIONS_H

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace lathe::nn {

// ---------------------------------------------------------------------------
// Options (libtorch's names and defaults; setters chain).
// ---------------------------------------------------------------------------

#define LATHE_ARG(T, name)                                                     \
public:                                                                        \
  auto &name(const T &v) {                                                     \
    name##_ = v;                                                               \
    return *this;                                                              \
  }                                                                            \
  const T &name() const { return name##_; }                                    \
                                                                               \
private:                                                                       \
  T name##_

/// A size given once for every spatial dimension (3) or per dimension
/// ({3, 1}), as libtorch's ExpandingArray; empty means the default.
class ExpandingArray {
public:
  ExpandingArray() = default;
  ExpandingArray(int64_t v) : values_{v} {}
  ExpandingArray(std::initializer_list<int64_t> v) : values_(v) {}
  ExpandingArray(std::vector<int64_t> v) : values_(std::move(v)) {}
  const std::vector<int64_t> &values() const { return values_; }
  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  int64_t operator[](size_t i) const { return values_[i]; }

private:
  std::vector<int64_t> values_;
};

enum class PaddingMode { Zeros, Reflect, Replicate, Circular };
inline constexpr PaddingMode kZeros = PaddingMode::Zeros;
inline constexpr PaddingMode kReflect = PaddingMode::Reflect;
inline constexpr PaddingMode kReplicate = PaddingMode::Replicate;
inline constexpr PaddingMode kCircular = PaddingMode::Circular;

/// Conv1d/2d/3d's options. padding may also be "same" or "valid"
/// (padding_same()/padding_valid()).
struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels,
              ExpandingArray kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels),
        kernel_size_(std::move(kernel_size)) {}
  ConvOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : ConvOptions(in_channels, out_channels, ExpandingArray{kernel_size}) {}
  auto &padding(int64_t p) {
    padding_ = {p};
    return *this;
  }
  auto &padding(ExpandingArray p) {
    padding_ = std::move(p);
    return *this;
  }
  const ExpandingArray &padding() const { return padding_; }
  auto &padding_same() {
    same_ = true;
    return *this;
  }
  auto &padding_valid() {
    padding_ = {0};
    return *this;
  }
  bool is_padding_same() const { return same_; }
  LATHE_ARG(int64_t, in_channels);
  LATHE_ARG(int64_t, out_channels);
  LATHE_ARG(ExpandingArray, kernel_size);
  LATHE_ARG(ExpandingArray, stride) = {1};
  LATHE_ARG(ExpandingArray, dilation) = {1};
  LATHE_ARG(int64_t, groups) = 1;
  LATHE_ARG(bool, bias) = true;
  LATHE_ARG(PaddingMode, padding_mode) = kZeros;

private:
  ExpandingArray padding_ = {0};
  bool same_ = false;
};
using Conv1dOptions = ConvOptions;
using Conv2dOptions = ConvOptions;
using Conv3dOptions = ConvOptions;

struct ConvTransposeOptions {
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels,
                       ExpandingArray kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels),
        kernel_size_(std::move(kernel_size)) {}
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels,
                       int64_t kernel_size)
      : ConvTransposeOptions(in_channels, out_channels,
                             ExpandingArray{kernel_size}) {}
  LATHE_ARG(int64_t, in_channels);
  LATHE_ARG(int64_t, out_channels);
  LATHE_ARG(ExpandingArray, kernel_size);
  LATHE_ARG(ExpandingArray, stride) = {1};
  LATHE_ARG(ExpandingArray, padding) = {0};
  LATHE_ARG(ExpandingArray, output_padding) = {0};
  LATHE_ARG(ExpandingArray, dilation) = {1};
  LATHE_ARG(int64_t, groups) = 1;
  LATHE_ARG(bool, bias) = true;
};
using ConvTranspose1dOptions = ConvTransposeOptions;
using ConvTranspose2dOptions = ConvTransposeOptions;
using ConvTranspose3dOptions = ConvTransposeOptions;

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  LATHE_ARG(int64_t, in_features);
  LATHE_ARG(int64_t, out_features);
  LATHE_ARG(bool, bias) = true;
};

/// MaxPool1d/2d/3d: stride defaults to the kernel size.
struct MaxPoolOptions {
  MaxPoolOptions(ExpandingArray kernel_size)
      : kernel_size_(std::move(kernel_size)) {}
  MaxPoolOptions(int64_t kernel_size) : kernel_size_({kernel_size}) {}
  LATHE_ARG(ExpandingArray, kernel_size);
  LATHE_ARG(ExpandingArray, stride);
  LATHE_ARG(ExpandingArray, padding) = {0};
  LATHE_ARG(ExpandingArray, dilation) = {1};
  LATHE_ARG(bool, ceil_mode) = false;
};
using MaxPool1dOptions = MaxPoolOptions;
using MaxPool2dOptions = MaxPoolOptions;
using MaxPool3dOptions = MaxPoolOptions;

struct AvgPoolOptions {
  AvgPoolOptions(ExpandingArray kernel_size)
      : kernel_size_(std::move(kernel_size)) {}
  AvgPoolOptions(int64_t kernel_size) : kernel_size_({kernel_size}) {}
  LATHE_ARG(ExpandingArray, kernel_size);
  LATHE_ARG(ExpandingArray, stride);
  LATHE_ARG(ExpandingArray, padding) = {0};
  LATHE_ARG(bool, ceil_mode) = false;
  LATHE_ARG(bool, count_include_pad) = true;
  LATHE_ARG(std::optional<int64_t>, divisor_override);
};
using AvgPool1dOptions = AvgPoolOptions;
using AvgPool2dOptions = AvgPoolOptions;
using AvgPool3dOptions = AvgPoolOptions;

struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}
  LATHE_ARG(int64_t, num_features);
  LATHE_ARG(double, eps) = 1e-5;
  LATHE_ARG(std::optional<double>, momentum) = 0.1;
  LATHE_ARG(bool, affine) = true;
  LATHE_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;
using BatchNorm3dOptions = BatchNormOptions;

struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape)
      : normalized_shape_(std::move(normalized_shape)) {}
  LATHE_ARG(std::vector<int64_t>, normalized_shape);
  LATHE_ARG(double, eps) = 1e-5;
  LATHE_ARG(bool, elementwise_affine) = true;
  LATHE_ARG(bool, bias) = true;
};

struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels)
      : num_groups_(num_groups), num_channels_(num_channels) {}
  LATHE_ARG(int64_t, num_groups);
  LATHE_ARG(int64_t, num_channels);
  LATHE_ARG(double, eps) = 1e-5;
  LATHE_ARG(bool, affine) = true;
};

struct FlattenOptions {
  LATHE_ARG(int64_t, start_dim) = 1;
  LATHE_ARG(int64_t, end_dim) = -1;
};

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}
  LATHE_ARG(double, p);
  LATHE_ARG(bool, inplace) = false;
};

/// What RNN, LSTM and GRU's options set, as plain values.
struct RNNSettings {
  int64_t input_size = 0, hidden_size = 0, num_layers = 1;
  bool bias = true, batch_first = false;
  double dropout = 0.0;
  bool bidirectional = false;
};

/// RNN, LSTM and GRU's common options (torch's); setters return the
/// options' own type, so they chain with the type's own options.
template <typename Derived> struct RNNOptionsT {
  RNNOptionsT(int64_t input_size, int64_t hidden_size) {
    s_.input_size = input_size;
    s_.hidden_size = hidden_size;
  }
#define LATHE_RNN_ARG(T, name)                                                 \
  Derived &name(const T &v) {                                                  \
    s_.name = v;                                                               \
    return static_cast<Derived &>(*this);                                      \
  }                                                                            \
  T name() const { return s_.name; }
  LATHE_RNN_ARG(int64_t, input_size)
  LATHE_RNN_ARG(int64_t, hidden_size)
  LATHE_RNN_ARG(int64_t, num_layers)
  LATHE_RNN_ARG(bool, bias)
  LATHE_RNN_ARG(bool, batch_first)
  LATHE_RNN_ARG(double, dropout)
  LATHE_RNN_ARG(bool, bidirectional)
#undef LATHE_RNN_ARG
  const RNNSettings &settings() const { return s_; }

private:
  RNNSettings s_;
};
struct RNNOptions : RNNOptionsT<RNNOptions> {
  using RNNOptionsT<RNNOptions>::RNNOptionsT;
  /// "tanh" or "relu".
  LATHE_ARG(std::string, nonlinearity) = "tanh";
};
struct LSTMOptions : RNNOptionsT<LSTMOptions> {
  using RNNOptionsT<LSTMOptions>::RNNOptionsT;
  LATHE_ARG(int64_t, proj_size) = 0;
};
struct GRUOptions : RNNOptionsT<GRUOptions> {
  using RNNOptionsT<GRUOptions>::RNNOptionsT;
};

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  LATHE_ARG(int64_t, num_embeddings);
  LATHE_ARG(int64_t, embedding_dim);
  LATHE_ARG(std::optional<int64_t>, padding_idx);
  LATHE_ARG(std::optional<double>, max_norm);
  LATHE_ARG(double, norm_type) = 2.0;
  LATHE_ARG(bool, scale_grad_by_freq) = false;
  LATHE_ARG(bool, sparse) = false;
};

struct InstanceNormOptions {
  InstanceNormOptions(int64_t num_features) : num_features_(num_features) {}
  LATHE_ARG(int64_t, num_features);
  LATHE_ARG(double, eps) = 1e-5;
  LATHE_ARG(double, momentum) = 0.1;
  LATHE_ARG(bool, affine) = false;
  LATHE_ARG(bool, track_running_stats) = false;
};

struct MultiheadAttentionOptions {
  MultiheadAttentionOptions(int64_t embed_dim, int64_t num_heads)
      : embed_dim_(embed_dim), num_heads_(num_heads) {}
  LATHE_ARG(int64_t, embed_dim);
  LATHE_ARG(int64_t, num_heads);
  LATHE_ARG(double, dropout) = 0.0;
  LATHE_ARG(bool, bias) = true;
  LATHE_ARG(bool, add_bias_kv) = false;
  LATHE_ARG(bool, add_zero_attn) = false;
  LATHE_ARG(int64_t, kdim) = 0; ///< 0: embed_dim.
  LATHE_ARG(int64_t, vdim) = 0; ///< 0: embed_dim.
  LATHE_ARG(bool, batch_first) = false;
};

/// TransformerEncoderLayer / TransformerDecoderLayer's options.
struct TransformerLayerOptions {
  TransformerLayerOptions(int64_t d_model, int64_t nhead)
      : d_model_(d_model), nhead_(nhead) {}
  LATHE_ARG(int64_t, d_model);
  LATHE_ARG(int64_t, nhead);
  LATHE_ARG(int64_t, dim_feedforward) = 2048;
  LATHE_ARG(double, dropout) = 0.1;
  /// "relu" or "gelu".
  LATHE_ARG(std::string, activation) = "relu";
  LATHE_ARG(double, layer_norm_eps) = 1e-5;
  LATHE_ARG(bool, batch_first) = false;
  LATHE_ARG(bool, norm_first) = false;
  LATHE_ARG(bool, bias) = true;
};
using TransformerEncoderLayerOptions = TransformerLayerOptions;
using TransformerDecoderLayerOptions = TransformerLayerOptions;

struct TransformerOptions {
  LATHE_ARG(int64_t, d_model) = 512;
  LATHE_ARG(int64_t, nhead) = 8;
  LATHE_ARG(int64_t, num_encoder_layers) = 6;
  LATHE_ARG(int64_t, num_decoder_layers) = 6;
  LATHE_ARG(int64_t, dim_feedforward) = 2048;
  LATHE_ARG(double, dropout) = 0.1;
  LATHE_ARG(std::string, activation) = "relu";
  LATHE_ARG(double, layer_norm_eps) = 1e-5;
  LATHE_ARG(bool, batch_first) = false;
  LATHE_ARG(bool, norm_first) = false;
  LATHE_ARG(bool, bias) = true;
};

#undef LATHE_ARG

} // namespace lathe::nn

#endif // LATHE_NN_OPTIONS_H
