// Lathe's C++ DSL: networks written the way torch.nn (and libtorch's C++
// frontend) writes them, compiled ahead of time by lathe::compile.
//
//   struct Net : lathe::nn::Module {
//     lathe::nn::Linear fc1{784, 128}, fc2{128, 10};
//     Net() { register_modules(fc1, fc2); }
//     lathe::nn::Tensor forward(lathe::nn::Tensor x) {
//       return fc2(lathe::nn::functional::relu(fc1(x)));
//     }
//   };
//   Net net;
//   net.load_state_dict("net.safetensors");
//   lathe::compile(net, {{"x", {64, 784}}}, {"net", {"so", "header"}});
//
// Tensors are of two kinds. Parameters, buffers and tensors made by the
// creation functions (zeros, ones, randn, ...) hold values. The tensors
// forward works on while lathe::compile traces it are symbolic: each
// operation on them adds an op to the compiled graph, shapes are known and
// checked as the trace goes. A value tensor used in forward becomes a
// parameter of the artifact (a registered parameter or buffer, under its
// state_dict name) or a constant.
//
// Layers are shared handles over their implementation, as libtorch's
// (nn::Linear holds a LinearImpl; copies share it; `fc1->weight`); a user's
// own module derives from nn::Module and registers its parts by name.
// Errors (a bad shape in forward, a state dict that does not fit) throw
// lathe::Error whose message names the module path (`layer2.0.conv1`) or
// the state_dict key.
#ifndef LATHE_NN_H
#define LATHE_NN_H

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

namespace lathe {

/// What every DSL failure throws; the message names the place.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Seeds the generator that parameter initialization and the random
/// creation functions draw from (a counter-based generator: the same seed
/// gives the same values on every machine). Each thread has its own,
/// seeded 0 until this is called on it.
void manual_seed(uint64_t seed);

namespace nn {

/// Element types of DSL tensors (the artifact's f32, f64, i64, i32, bool).
enum class DType { Float32, Float64, Int64, Int32, Bool };
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kInt32 = DType::Int32;
inline constexpr DType kBool = DType::Bool;

/// Bytes per element of |dtype|.
size_t element_size(DType dtype);

namespace detail {
struct TensorImpl;
}

/// A tensor: a value (parameters, buffers, created tensors) or a symbolic
/// tensor of the graph being traced.
class Tensor {
public:
  /// An undefined tensor (an absent bias, say).
  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl)
      : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  /// True for a symbolic tensor of a trace.
  bool is_symbolic() const;
  DType dtype() const;
  const std::vector<int64_t> &sizes() const;
  int64_t dim() const { return int64_t(sizes().size()); }
  /// Dimension |d| (negative counts from the end).
  int64_t size(int64_t d) const;
  int64_t numel() const;

  /// A value tensor's elements (row-major); throws for a symbolic tensor
  /// or a T that is not its dtype's.
  template <typename T> T *data_ptr();
  template <typename T> const T *data_ptr() const;

  /// Copies |other|'s values into this value tensor (same shape and
  /// dtype); what load_state_dict does.
  void copy_(const Tensor &other);
  /// A value tensor of the same shape with its own copy of the data.
  Tensor clone() const;

  // Shape operations (torch.Tensor's): -1 in a shape is inferred.
  Tensor reshape(std::vector<int64_t> shape) const;
  Tensor view(std::vector<int64_t> shape) const { return reshape(shape); }
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, std::vector<int64_t> sizes) const;
  Tensor permute(std::vector<int64_t> dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor squeeze(std::optional<int64_t> dim = std::nullopt) const;
  Tensor unsqueeze(int64_t dim) const;

  // Element-wise and reductions.
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor neg() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor pow(double exponent) const;
  Tensor sum(std::vector<int64_t> dims = {}, bool keepdim = false) const;
  Tensor mean(std::vector<int64_t> dims = {}, bool keepdim = false) const;
  Tensor amax(std::vector<int64_t> dims, bool keepdim = false) const;
  Tensor matmul(const Tensor &other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // Indexing, broadcasting, comparisons (torch.Tensor's).
  /// Dimension sizes -1 keep the input's.
  Tensor expand(std::vector<int64_t> sizes) const;
  Tensor repeat(std::vector<int64_t> repeats) const;
  /// x[start:end:step] along |dim| (negative start and end count from the
  /// end; end clipped).
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const {
    return slice(dim, start, start + length);
  }
  /// Pieces of |split_size| along |dim| (the last may be smaller).
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  Tensor index_select(int64_t dim, const Tensor &index) const;
  /// torch.gather.
  Tensor gather(int64_t dim, const Tensor &index) const;
  Tensor masked_fill(const Tensor &mask, double value) const;
  Tensor to(DType dtype) const;
  Tensor amin(std::vector<int64_t> dims, bool keepdim = false) const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  /// Element-wise comparisons: bool tensors.
  Tensor eq(const Tensor &other) const;
  Tensor gt(const Tensor &other) const;
  Tensor lt(const Tensor &other) const;
  Tensor ge(const Tensor &other) const;
  Tensor le(const Tensor &other) const;
  Tensor eq(double other) const;
  Tensor gt(double other) const;
  Tensor lt(double other) const;
  Tensor ge(double other) const;
  Tensor le(double other) const;

  const std::shared_ptr<detail::TensorImpl> &impl() const { return impl_; }

private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

Tensor operator+(const Tensor &a, const Tensor &b);
Tensor operator-(const Tensor &a, const Tensor &b);
Tensor operator*(const Tensor &a, const Tensor &b);
Tensor operator/(const Tensor &a, const Tensor &b);
Tensor operator+(const Tensor &a, double b);
Tensor operator-(const Tensor &a, double b);
Tensor operator*(const Tensor &a, double b);
Tensor operator/(const Tensor &a, double b);
Tensor operator+(double a, const Tensor &b);
Tensor operator-(double a, const Tensor &b);
Tensor operator*(double a, const Tensor &b);
Tensor operator/(double a, const Tensor &b);
Tensor operator-(const Tensor &a);

// Creation: value tensors.
Tensor zeros(std::vector<int64_t> shape, DType dtype = kFloat32);
Tensor ones(std::vector<int64_t> shape, DType dtype = kFloat32);
Tensor full(std::vector<int64_t> shape, double value, DType dtype = kFloat32);
/// Uniform on [0, 1) and standard normal, from manual_seed's generator.
Tensor rand(std::vector<int64_t> shape, DType dtype = kFloat32);
Tensor randn(std::vector<int64_t> shape, DType dtype = kFloat32);
/// A float32 tensor holding |values| (row-major) in |shape|.
Tensor tensor(std::vector<float> values, std::vector<int64_t> shape);
/// Concatenation along |dim| (symbolic when any part is).
Tensor cat(const std::vector<Tensor> &tensors, int64_t dim = 0);
/// Concatenation along a new dimension |dim|.
Tensor stack(const std::vector<Tensor> &tensors, int64_t dim = 0);
/// |condition| ? |x| : |y|, broadcast.
Tensor where(const Tensor &condition, const Tensor &x, const Tensor &y);
/// torch.einsum in explicit or implicit form ("bij,bjk->bik").
Tensor einsum(const std::string &equation, const std::vector<Tensor> &tensors);
Tensor matmul(const Tensor &a, const Tensor &b);
Tensor bmm(const Tensor &a, const Tensor &b);
/// [start, end) by |step| (float32 unless every bound is integral: int64).
Tensor arange(double start, double end, double step = 1.0);
Tensor arange(double end);
Tensor linspace(double start, double end, int64_t steps);
Tensor eye(int64_t n, int64_t m = -1);
Tensor zeros_like(const Tensor &t);
Tensor ones_like(const Tensor &t);
Tensor full_like(const Tensor &t, double value);

/// Parameter initializers (torch.nn.init), in place on value tensors.
namespace init {
Tensor &uniform_(Tensor &t, double a = 0.0, double b = 1.0);
Tensor &normal_(Tensor &t, double mean = 0.0, double std = 1.0);
Tensor &constant_(Tensor &t, double value);
Tensor &zeros_(Tensor &t);
Tensor &ones_(Tensor &t);
/// fan_in and fan_out of a weight as torch computes them.
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor &t);
/// kaiming_uniform_(a, mode fan_in, leaky_relu): torch's default for
/// Linear and convolution weights is a = sqrt(5).
Tensor &kaiming_uniform_(Tensor &t, double a = 0.0);
Tensor &xavier_uniform_(Tensor &t, double gain = 1.0);
} // namespace init

class Module;

namespace detail {
/// Names the module whose forward runs, for the ops it adds and the
/// errors it raises (pushed by a layer handle's call).
class ModuleScope {
public:
  explicit ModuleScope(const Module &module);
  ~ModuleScope();
  ModuleScope(const ModuleScope &) = delete;
  ModuleScope &operator=(const ModuleScope &) = delete;

private:
  bool pushed_ = false;
};

/// Splits "a, b, c" (register_modules' stringized arguments).
std::vector<std::string> split_names(const char *names);

/// A module reached through a container: `->` reaches its members, a call
/// runs its forward under its module path, as a layer handle's.
template <typename T> class Scoped {
public:
  explicit Scoped(std::shared_ptr<T> impl) : impl_(std::move(impl)) {}
  T *operator->() const { return impl_.get(); }
  T &operator*() const { return *impl_; }
  template <typename... Args> decltype(auto) operator()(Args &&...args) {
    ModuleScope scope(*impl_);
    return impl_->forward(std::forward<Args>(args)...);
  }

private:
  std::shared_ptr<T> impl_;
};
} // namespace detail

/// The base of every module: named parameters, buffers and children, the
/// training flag, state dicts. Modules stay where they are built (no copy,
/// no move): children are registered by reference or shared through
/// their handles.
class Module {
public:
  explicit Module(std::string type_name = "Module");
  virtual ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  /// The class name errors show ("Conv2d"; "Module" for a user's module
  /// unless it passes its own).
  const std::string &type_name() const { return type_name_; }
  /// The module's path from the root last compiled or loaded
  /// ("layer2.0.conv1"; "" for the root).
  const std::string &path() const { return path_; }

  /// Training or evaluation mode, for this module and every child.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Parameters, buffers and children, each with its state_dict name
  /// ("features.0.weight"), in registration order, children after their
  /// parent's own.
  std::vector<std::pair<std::string, Tensor>>
  named_parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>>
  named_buffers(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Module *>> named_children() const;
  /// This module ("") and every descendant, depth first.
  std::vector<std::pair<std::string, Module *>> named_modules();
  /// Parameters and buffers (what torch's state_dict holds).
  std::vector<std::pair<std::string, Tensor>> state_dict() const;

  /// Reads a safetensors file (torch's state_dict saved with
  /// safetensors.torch.save_file, or save_state_dict's) into the
  /// parameters and buffers. Every key must exist and fit its shape and
  /// dtype; with |strict|, the file may hold no other key. Nothing changes
  /// unless everything fits; errors name the key.
  void load_state_dict(const std::string &path, bool strict = true);
  /// Writes the state dict as safetensors, atomically.
  void save_state_dict(const std::string &path) const;

  /// Sets every module's path() from this root.
  void assign_paths();

protected:
  Tensor &register_parameter(std::string name, Tensor tensor,
                             bool requires_grad = true);
  Tensor &register_buffer(std::string name, Tensor tensor);
  /// A member module (it must stay where it is while this one lives).
  template <typename M> M &register_module(std::string name, M &module) {
    add_child(std::move(name), module_pointer(module));
    return module;
  }
  /// Registers each argument under its own name (the macro
  /// register_modules(a, b, c) below passes the names).
  template <typename... Ms>
  void register_modules_named(const char *names, Ms &...modules) {
    std::vector<std::string> split = detail::split_names(names);
    size_t i = 0;
    (register_module(split.at(i++), modules), ...);
  }

private:
  template <typename M> static std::shared_ptr<Module> module_pointer(M &m) {
    if constexpr (std::is_base_of_v<Module, M>)
      return std::shared_ptr<Module>(std::shared_ptr<Module>(), &m);
    else
      return m.ptr(); // A layer handle: shares its implementation.
  }
  void add_child(std::string name, std::shared_ptr<Module> child);
  void set_paths(const std::string &prefix);

  struct Entry {
    std::string name;
    Tensor tensor;
    bool requires_grad = true;
  };
  std::string type_name_;
  std::string path_;
  bool training_ = true;
  std::vector<Entry> parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

/// register_modules(conv1, conv2, fc1): each member registered under its
/// own name, as the state dict names it.
#define register_modules(...) register_modules_named(#__VA_ARGS__, __VA_ARGS__)

/// A shared handle over a module implementation (libtorch's
/// ModuleHolder): copies share it, `->` reaches its members, a call runs
/// its forward under its module path.
template <typename Impl> class ModuleHolder {
public:
  template <typename... Args,
            typename = std::enable_if_t<
                !(sizeof...(Args) == 1 &&
                  (std::is_same_v<std::decay_t<Args>, ModuleHolder> && ...))>>
  ModuleHolder(Args &&...args)
      : impl_(std::make_shared<Impl>(std::forward<Args>(args)...)) {}
  explicit ModuleHolder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  /// An empty handle (libtorch's `nullptr` construction), to be assigned.
  ModuleHolder(std::nullptr_t) {}
  bool is_empty() const { return impl_ == nullptr; }

  Impl *operator->() const { return impl_.get(); }
  Impl &operator*() const { return *impl_; }
  const std::shared_ptr<Impl> &ptr() const { return impl_; }

  template <typename... Args> decltype(auto) operator()(Args &&...args) {
    detail::ModuleScope scope(*impl_);
    return impl_->forward(std::forward<Args>(args)...);
  }

private:
  std::shared_ptr<Impl> impl_;
};

/// Declares the handle Name for NameImpl (libtorch's TORCH_MODULE).
#define LATHE_MODULE(Name)                                                     \
  class Name : public ::lathe::nn::ModuleHolder<Name##Impl> {                  \
  public:                                                                      \
    using ::lathe::nn::ModuleHolder<Name##Impl>::ModuleHolder;                 \
  }

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

/// torch.nn.Embedding: weight num_embeddings x embedding_dim, normal(0, 1)
/// with the padding_idx row zero.
class EmbeddingImpl : public Module {
public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(const EmbeddingOptions &options);
  Tensor forward(const Tensor &indices);
  EmbeddingOptions options;
  Tensor weight;
};
LATHE_MODULE(Embedding);

/// torch.nn.EmbeddingBag over fixed-size bags (N x L indices): mode
/// "mean", "sum" or "max", padding_idx entries left out, per-sample
/// weights (mode sum).
struct EmbeddingBagOptions {
  EmbeddingBagOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings(num_embeddings), embedding_dim(embedding_dim) {}
  int64_t num_embeddings, embedding_dim;
  std::string mode_ = "mean";
  std::optional<int64_t> padding_idx_{};
  EmbeddingBagOptions &mode(std::string m) {
    mode_ = std::move(m);
    return *this;
  }
  EmbeddingBagOptions &padding_idx(int64_t i) {
    padding_idx_ = i;
    return *this;
  }
};
class EmbeddingBagImpl : public Module {
public:
  explicit EmbeddingBagImpl(const EmbeddingBagOptions &options);
  EmbeddingBagImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingBagImpl(EmbeddingBagOptions(num_embeddings, embedding_dim)) {}
  Tensor forward(const Tensor &input,
                 const Tensor &per_sample_weights = Tensor());
  EmbeddingBagOptions options;
  Tensor weight;
};
LATHE_MODULE(EmbeddingBag);

/// torch.nn.RNN / LSTM / GRU: num_layers, bidirectional, batch_first,
/// bias, dropout (between layers, training only); parameters
/// weight_ih_l{k}[_reverse], weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} in
/// torch's gate order.
class RNNImplBase : public Module {
public:
  enum class Kind { Rnn, Lstm, Gru };
  RNNImplBase(Kind kind, const RNNSettings &options, bool relu = false);
  void reset_parameters();
  /// The output sequence and the last hidden (and cell) state of every
  /// layer and direction; |h0| and |c0| may be undefined (zeros).
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor &x, const Tensor &h0,
                                         const Tensor &c0);
  Kind kind;
  RNNSettings options;
  bool relu;
};
class RNNImpl : public RNNImplBase {
public:
  RNNImpl(int64_t input_size, int64_t hidden_size)
      : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions &options);
  std::tuple<Tensor, Tensor> forward(const Tensor &x,
                                     const Tensor &hx = Tensor());
};
class GRUImpl : public RNNImplBase {
public:
  GRUImpl(int64_t input_size, int64_t hidden_size)
      : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions &options)
      : RNNImplBase(Kind::Gru, options.settings()) {}
  std::tuple<Tensor, Tensor> forward(const Tensor &x,
                                     const Tensor &hx = Tensor());
};
class LSTMImpl : public RNNImplBase {
public:
  LSTMImpl(int64_t input_size, int64_t hidden_size)
      : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions &options);
  std::tuple<Tensor, std::tuple<Tensor, Tensor>>
  forward(const Tensor &x,
          const std::tuple<Tensor, Tensor> &hx = std::tuple<Tensor, Tensor>());
};
LATHE_MODULE(RNN);
LATHE_MODULE(GRU);
LATHE_MODULE(LSTM);

/// torch.nn.RNNCell / LSTMCell / GRUCell: one step; weight_ih, weight_hh,
/// bias_ih, bias_hh in torch's gate order. Inputs N x I (states N x H,
/// zeros when undefined).
class RNNCellImplBase : public Module {
public:
  RNNCellImplBase(RNNImplBase::Kind kind, int64_t input_size,
                  int64_t hidden_size, bool bias, bool relu);
  /// The next hidden (and, for an LSTM cell, cell) state.
  std::tuple<Tensor, Tensor> step(const Tensor &x, const Tensor &h,
                                  const Tensor &c);
  RNNImplBase::Kind kind;
  int64_t input_size, hidden_size;
  bool relu;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};
class RNNCellImpl : public RNNCellImplBase {
public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true,
              const std::string &nonlinearity = "tanh");
  Tensor forward(const Tensor &x, const Tensor &hx = Tensor()) {
    return std::get<0>(step(x, hx, Tensor()));
  }
};
class GRUCellImpl : public RNNCellImplBase {
public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true)
      : RNNCellImplBase(RNNImplBase::Kind::Gru, input_size, hidden_size, bias,
                        false) {}
  Tensor forward(const Tensor &x, const Tensor &hx = Tensor()) {
    return std::get<0>(step(x, hx, Tensor()));
  }
};
class LSTMCellImpl : public RNNCellImplBase {
public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true)
      : RNNCellImplBase(RNNImplBase::Kind::Lstm, input_size, hidden_size, bias,
                        false) {}
  std::tuple<Tensor, Tensor>
  forward(const Tensor &x,
          const std::tuple<Tensor, Tensor> &hx = std::tuple<Tensor, Tensor>()) {
    return step(x, std::get<0>(hx), std::get<1>(hx));
  }
};
LATHE_MODULE(RNNCell);
LATHE_MODULE(GRUCell);
LATHE_MODULE(LSTMCell);

/// torch.nn.Sequential: children "0", "1", ... each called on the previous
/// one's output.
class SequentialImpl : public Module {
public:
  SequentialImpl() : Module("Sequential") {}
  template <typename... Ms>
  explicit SequentialImpl(Ms &&...modules) : Module("Sequential") {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  /// Appends a layer handle (shared) or a module built in place.
  template <typename M> void push_back(M &&module) {
    using D = std::decay_t<M>;
    if constexpr (std::is_base_of_v<Module, D>) {
      static_assert(!std::is_base_of_v<Module, D>,
                    "pass a layer handle (nn::Linear), or a shared_ptr to "
                    "your module");
    } else if constexpr (is_shared_ptr<D>::value) {
      append(module, [m = module](const Tensor &x) {
        detail::ModuleScope scope(*m);
        return m->forward(x);
      });
    } else {
      auto impl = module.ptr();
      append(impl, [impl](const Tensor &x) {
        detail::ModuleScope scope(*impl);
        return impl->forward(x);
      });
    }
  }
  Tensor forward(const Tensor &x);
  size_t size() const { return calls_.size(); }

private:
  template <typename T> struct is_shared_ptr : std::false_type {};
  template <typename T>
  struct is_shared_ptr<std::shared_ptr<T>> : std::true_type {};
  void append(std::shared_ptr<Module> module,
              std::function<Tensor(const Tensor &)> call);
  std::vector<std::function<Tensor(const Tensor &)>> calls_;
};
class Sequential : public ModuleHolder<SequentialImpl> {
public:
  Sequential() : ModuleHolder<SequentialImpl>() {}
  template <
      typename M, typename... Ms,
      typename = std::enable_if_t<!std::is_same_v<std::decay_t<M>, Sequential>>>
  Sequential(M &&first, Ms &&...rest)
      : ModuleHolder<SequentialImpl>(std::make_shared<SequentialImpl>(
            std::forward<M>(first), std::forward<Ms>(rest)...)) {}
};

/// torch.nn.ModuleList: modules "0", "1", ... called by the user's forward
/// (`list->at<nn::LinearImpl>(i)(x)` runs it under its path).
class ModuleListImpl : public Module {
public:
  ModuleListImpl() : Module("ModuleList") {}
  template <typename... Ms>
  explicit ModuleListImpl(Ms &&...modules) : Module("ModuleList") {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  /// A layer handle or a shared_ptr to a module.
  template <typename M> void push_back(M &&module) {
    add(detail_pointer(std::forward<M>(module)));
  }
  size_t size() const { return items_.size(); }
  std::shared_ptr<Module> ptr(size_t i) const { return items_.at(i); }
  /// Item |i| as |T| (its implementation class); throws for another.
  template <typename T> detail::Scoped<T> at(size_t i) const {
    auto typed = std::dynamic_pointer_cast<T>(items_.at(i));
    if (!typed)
      throw Error("ModuleList: item " + std::to_string(i) + " (" +
                  items_[i]->type_name() + ") is not of the type asked for");
    return detail::Scoped<T>(typed);
  }

private:
  template <typename M>
  static std::shared_ptr<Module> detail_pointer(M &&module) {
    using D = std::decay_t<M>;
    if constexpr (std::is_convertible_v<D, std::shared_ptr<Module>>)
      return module;
    else
      return module.ptr();
  }
  void add(std::shared_ptr<Module> module);
  std::vector<std::shared_ptr<Module>> items_;
};
LATHE_MODULE(ModuleList);

/// torch.nn.ModuleDict: modules by name, in insertion order.
class ModuleDictImpl : public Module {
public:
  ModuleDictImpl() : Module("ModuleDict") {}
  template <typename M> void insert(const std::string &key, M &&module) {
    using D = std::decay_t<M>;
    std::shared_ptr<Module> p;
    if constexpr (std::is_convertible_v<D, std::shared_ptr<Module>>)
      p = module;
    else
      p = module.ptr();
    add(key, std::move(p));
  }
  size_t size() const { return items_.size(); }
  bool contains(const std::string &key) const;
  std::vector<std::string> keys() const;
  template <typename T> detail::Scoped<T> at(const std::string &key) const {
    auto typed = std::dynamic_pointer_cast<T>(find(key));
    if (!typed)
      throw Error("ModuleDict: '" + key + "' is not of the type asked for");
    return detail::Scoped<T>(typed);
  }

private:
  std::shared_ptr<Module> find(const std::string &key) const;
  void add(const std::string &key, std::shared_ptr<Module> module);
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items_;
};
LATHE_MODULE(ModuleDict);

/// torch.nn.ParameterList: parameters "0", "1", ...
class ParameterListImpl : public Module {
public:
  ParameterListImpl() : Module("ParameterList") {}
  explicit ParameterListImpl(std::vector<Tensor> parameters);
  void append(Tensor parameter);
  size_t size() const { return items_.size(); }
  Tensor &operator[](size_t i) { return items_.at(i); }

private:
  std::vector<Tensor> items_;
};
LATHE_MODULE(ParameterList);

/// torch.nn.MultiheadAttention: in_proj_weight/in_proj_bias (or
/// q/k/v_proj_weight when kdim or vdim differ) and out_proj. Masks: an
/// attn_mask L x S or N*heads x L x S (bool: true masks out; float: added)
/// and a key_padding_mask N x S (bool: true masks out; float: added).
/// Returns the output and, with need_weights, the attention weights
/// (averaged over heads unless average_attn_weights is false).
class MultiheadAttentionImpl : public Module {
public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads)
      : MultiheadAttentionImpl(
            MultiheadAttentionOptions(embed_dim, num_heads)) {}
  explicit MultiheadAttentionImpl(const MultiheadAttentionOptions &options);
  void reset_parameters();
  std::tuple<Tensor, Tensor>
  forward(const Tensor &query, const Tensor &key, const Tensor &value,
          const Tensor &key_padding_mask = Tensor(), bool need_weights = true,
          const Tensor &attn_mask = Tensor(), bool average_attn_weights = true);
  MultiheadAttentionOptions options;
  Tensor in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight,
      v_proj_weight;
  Linear out_proj{nullptr};
};
LATHE_MODULE(MultiheadAttention);

/// torch.nn.TransformerEncoderLayer: self_attn, linear1, linear2, norm1,
/// norm2 (and dropouts), post- or pre-norm (norm_first).
class TransformerEncoderLayerImpl : public Module {
public:
  explicit TransformerEncoderLayerImpl(const TransformerLayerOptions &options);
  TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerEncoderLayerImpl(TransformerLayerOptions(d_model, nhead)) {}
  Tensor forward(const Tensor &src, const Tensor &src_mask = Tensor(),
                 const Tensor &src_key_padding_mask = Tensor());
  TransformerLayerOptions options;
  MultiheadAttention self_attn{nullptr};
  Linear linear1{nullptr}, linear2{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr};
  Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr};
};
LATHE_MODULE(TransformerEncoderLayer);

/// torch.nn.TransformerDecoderLayer: self_attn, multihead_attn, linear1,
/// linear2, norm1..3 (and dropouts).
class TransformerDecoderLayerImpl : public Module {
public:
  explicit TransformerDecoderLayerImpl(const TransformerLayerOptions &options);
  TransformerDecoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerDecoderLayerImpl(TransformerLayerOptions(d_model, nhead)) {}
  Tensor forward(const Tensor &tgt, const Tensor &memory,
                 const Tensor &tgt_mask = Tensor(),
                 const Tensor &memory_mask = Tensor(),
                 const Tensor &tgt_key_padding_mask = Tensor(),
                 const Tensor &memory_key_padding_mask = Tensor());
  TransformerLayerOptions options;
  MultiheadAttention self_attn{nullptr}, multihead_attn{nullptr};
  Linear linear1{nullptr}, linear2{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr},
      dropout3{nullptr};
};
LATHE_MODULE(TransformerDecoderLayer);

/// torch.nn.TransformerEncoder: layers.0 .. layers.{n-1} (each built from
/// |layer|'s options, as torch's copies), then an optional final norm
/// (LayerNorm of d_model with eps, when |norm| is true).
class TransformerEncoderImpl : public Module {
public:
  TransformerEncoderImpl(const TransformerLayerOptions &layer,
                         int64_t num_layers, bool norm = false);
  Tensor forward(const Tensor &src, const Tensor &mask = Tensor(),
                 const Tensor &src_key_padding_mask = Tensor());
  ModuleList layers;
  LayerNorm norm{nullptr};
};
LATHE_MODULE(TransformerEncoder);

class TransformerDecoderImpl : public Module {
public:
  TransformerDecoderImpl(const TransformerLayerOptions &layer,
                         int64_t num_layers, bool norm = false);
  Tensor forward(const Tensor &tgt, const Tensor &memory,
                 const Tensor &tgt_mask = Tensor(),
                 const Tensor &memory_mask = Tensor(),
                 const Tensor &tgt_key_padding_mask = Tensor(),
                 const Tensor &memory_key_padding_mask = Tensor());
  ModuleList layers;
  LayerNorm norm{nullptr};
};
LATHE_MODULE(TransformerDecoder);

/// torch.nn.Transformer: encoder and decoder, each with a final norm.
class TransformerImpl : public Module {
public:
  explicit TransformerImpl(const TransformerOptions &options = {});
  Tensor forward(const Tensor &src, const Tensor &tgt,
                 const Tensor &src_mask = Tensor(),
                 const Tensor &tgt_mask = Tensor(),
                 const Tensor &memory_mask = Tensor(),
                 const Tensor &src_key_padding_mask = Tensor(),
                 const Tensor &tgt_key_padding_mask = Tensor(),
                 const Tensor &memory_key_padding_mask = Tensor());
  /// L x L float mask: 0 on and below the diagonal, -inf above.
  static Tensor generate_square_subsequent_mask(int64_t size);
  TransformerOptions options;
  TransformerEncoder encoder{nullptr};
  TransformerDecoder decoder{nullptr};
};
LATHE_MODULE(Transformer);

} // namespace nn

// ---------------------------------------------------------------------------
// Compiling a module.
// ---------------------------------------------------------------------------

/// One input of forward.
struct InputSpec {
  std::string name{};
  std::vector<int64_t> shape{};
  nn::DType dtype = nn::kFloat32;
};

/// What lathe::compile writes (the options of `lathe compile`).
struct CompileOptions {
  /// Output path; its extension (.so/.o/.h/.mlir) is replaced per kind.
  std::string output{};
  /// so (default), obj, header, mlir, llvm-dialect.
  std::vector<std::string> emit{};
  /// Symbol prefix (a C identifier; default: from the output's file name).
  std::string name{};
  std::string target = "cpu";
  std::string target_cpu{};    ///< Default: this machine's CPU.
  std::string target_triple{}; ///< Default: this machine.
  bool external_weights = false;
  /// Names of forward's results (default "output", or output0, output1,
  /// ... for several).
  std::vector<std::string> output_names{};
  /// A training build: `lathe compile --train`'s options by name ("loss",
  /// "optimizer", "momentum", ...; lathe::train::build_options makes them
  /// from a criterion and an optimizer). The artifact then also exports
  /// eval_step and train_step, for the runtime's trainer.
  std::vector<std::pair<std::string, std::string>> training{};
};

namespace detail {
using Forward =
    std::function<std::vector<nn::Tensor>(const std::vector<nn::Tensor> &)>;
/// Traces |forward| on symbolic |inputs| with |root| in evaluation mode
/// (as torch.onnx.export does; its mode is restored after) and compiles.
void compile_traced(nn::Module &root, const std::vector<InputSpec> &inputs,
                    const CompileOptions &options, const Forward &forward);

inline std::vector<nn::Tensor> as_outputs(nn::Tensor t) { return {t}; }
inline std::vector<nn::Tensor> as_outputs(std::vector<nn::Tensor> ts) {
  return ts;
}
template <typename... Ts>
std::vector<nn::Tensor> as_outputs(const std::tuple<Ts...> &ts) {
  return std::apply(
      [](const auto &...t) { return std::vector<nn::Tensor>{t...}; }, ts);
}

template <typename M, typename Seq, typename = void>
struct ForwardArity : std::false_type {};
template <typename M, size_t... I>
struct ForwardArity<M, std::index_sequence<I...>,
                    std::void_t<decltype(std::declval<M &>().forward(
                        (void(I), std::declval<nn::Tensor>())...))>>
    : std::true_type {};

template <typename M, size_t... I>
std::vector<nn::Tensor> call_forward(M &m, const std::vector<nn::Tensor> &xs,
                                     std::index_sequence<I...>) {
  return as_outputs(m.forward(xs[I]...));
}

template <size_t N, typename M>
bool try_forward(M &m, const std::vector<nn::Tensor> &xs,
                 std::vector<nn::Tensor> &out) {
  if constexpr (ForwardArity<M, std::make_index_sequence<N>>::value) {
    if (xs.size() != N)
      return false;
    out = call_forward(m, xs, std::make_index_sequence<N>());
    return true;
  }
  return false;
}
} // namespace detail

namespace detail {
/// |module|'s forward over a list of symbolic tensors (one to four).
template <typename M> Forward forward_of(M &module) {
  return [&module](const std::vector<nn::Tensor> &xs) {
    std::vector<nn::Tensor> out;
    if (!(try_forward<1>(module, xs, out) || try_forward<2>(module, xs, out) ||
          try_forward<3>(module, xs, out) || try_forward<4>(module, xs, out)))
      throw Error("lathe: forward does not take " + std::to_string(xs.size()) +
                  " tensors");
    return out;
  };
}
} // namespace detail

/// Traces |module|'s forward on inputs of |inputs|' shapes and compiles it
/// into the files |options| names. Throws lathe::Error naming the module
/// path of a bad op, or what failed.
template <typename M>
void compile(M &module, const std::vector<InputSpec> &inputs,
             const CompileOptions &options) {
  if constexpr (!std::is_base_of_v<nn::Module, M>)
    compile(*module, inputs, options); // A layer handle.
  else
    detail::compile_traced(module, inputs, options, detail::forward_of(module));
}

} // namespace lathe

#endif // LATHE_NN_H
