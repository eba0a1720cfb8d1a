// The C++ DSL's tensors (lathe/nn.h): values and symbolic tensors of a
// trace, their operations, creation functions and initializers; lathe::Error.
#ifndef LATHE_NN_TENSOR_H
#define LATHE_NN_TENSOR_H

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
} // namespace nn

} // namespace lathe

#endif // LATHE_NN_TENSOR_H
