// DSL tensors: values, symbolic tensors' operations (through the trace),
// creation, initialization and the seeded generator.
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace lathe {

namespace {
/// The generator's state: a seed and a counter; value i of a seed is a
/// hash of both (SplitMix64), so draws do not depend on the platform.
struct Generator {
  uint64_t seed = 0, counter = 0;
  uint64_t next() {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + (++counter);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform on [0, 1) with 53 bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
  }
};
Generator &generator() {
  static thread_local Generator g;
  return g;
}
} // namespace

void manual_seed(uint64_t seed) {
  generator().seed = seed;
  generator().counter = 0;
}

namespace nn {

using detail::fail;
using detail::TensorImpl;
using detail::Trace;

size_t element_size(DType dtype) {
  switch (dtype) {
  case DType::Float32:
  case DType::Int32:
    return 4;
  case DType::Float64:
  case DType::Int64:
    return 8;
  case DType::Bool:
    return 1;
  }
  return 4;
}

namespace detail {

void fail(const std::string &message) { throw Error(message); }

void failIn(const Module &m, const std::string &message) {
  fail((m.path().empty() ? std::string("forward") : m.path()) + " (" +
       m.type_name() + "): " + message);
}

lathe_dtype_t runtime_dtype(DType d) {
  switch (d) {
  case DType::Float32:
    return LATHE_F32;
  case DType::Float64:
    return LATHE_F64;
  case DType::Int64:
    return LATHE_I64;
  case DType::Int32:
    return LATHE_I32;
  case DType::Bool:
    return LATHE_BOOL;
  }
  return LATHE_F32;
}

std::optional<DType> dsl_dtype(lathe_dtype_t d) {
  switch (d) {
  case LATHE_F32:
    return kFloat32;
  case LATHE_F64:
    return kFloat64;
  case LATHE_I64:
    return kInt64;
  case LATHE_I32:
    return kInt32;
  case LATHE_BOOL:
    return kBool;
  default:
    return std::nullopt;
  }
}

std::string shape_text(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

int64_t checked_numel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d && n > (int64_t(1) << 62) / d))
      fail("lathe::nn: shape " + shape_text(shape) +
           " has a negative or too large dimension");
    n *= d;
  }
  return n;
}

Tensor make_value(std::vector<int64_t> shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->bytes.assign(size_t(checked_numel(shape)) * element_size(dtype), 0);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  return Tensor(impl);
}

} // namespace detail

namespace {

const char *dtypeName(DType d) {
  switch (d) {
  case DType::Float32:
    return "float32";
  case DType::Float64:
    return "float64";
  case DType::Int64:
    return "int64";
  case DType::Int32:
    return "int32";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

const TensorImpl &checkedImpl(const Tensor &t, const char *what) {
  if (!t.defined())
    fail(std::string("lathe::nn: ") + what + " of an undefined tensor");
  return *t.impl();
}

/// |d| in [0, rank) (negative counts from the end, as torch's).
int64_t normDim(int64_t d, int64_t rank, const char *what) {
  int64_t n = d < 0 ? d + rank : d;
  if (n < 0 || n >= rank)
    fail(std::string("lathe::nn: ") + what + ": dimension " +
         std::to_string(d) + " is out of range for a tensor of rank " +
         std::to_string(rank));
  return n;
}

/// Fills every element of a value tensor from |f| (as double).
template <typename F> void fill(Tensor &t, F f) {
  TensorImpl &impl = *t.impl();
  if (impl.trace)
    fail("lathe::nn: initializing a symbolic tensor");
  int64_t n = detail::checked_numel(impl.shape);
  for (int64_t i = 0; i < n; ++i) {
    double v = f();
    switch (impl.dtype) {
    case DType::Float32:
      reinterpret_cast<float *>(impl.bytes.data())[i] = float(v);
      break;
    case DType::Float64:
      reinterpret_cast<double *>(impl.bytes.data())[i] = v;
      break;
    case DType::Int64:
      reinterpret_cast<int64_t *>(impl.bytes.data())[i] = int64_t(v);
      break;
    case DType::Int32:
      reinterpret_cast<int32_t *>(impl.bytes.data())[i] = int32_t(v);
      break;
    case DType::Bool:
      impl.bytes[size_t(i)] = v != 0;
      break;
    }
  }
}

} // namespace

bool Tensor::is_symbolic() const { return impl_ && impl_->trace; }
DType Tensor::dtype() const { return checkedImpl(*this, "dtype").dtype; }
const std::vector<int64_t> &Tensor::sizes() const {
  return checkedImpl(*this, "sizes").shape;
}
int64_t Tensor::size(int64_t d) const {
  return sizes()[size_t(normDim(d, dim(), "size"))];
}
int64_t Tensor::numel() const { return detail::checked_numel(sizes()); }

template <typename T> static DType dtypeFor() {
  if constexpr (std::is_same_v<T, float>)
    return DType::Float32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::Float64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::Int64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::Int32;
  else
    return DType::Bool;
}

template <typename T> const T *Tensor::data_ptr() const {
  const TensorImpl &impl = checkedImpl(*this, "data_ptr");
  if (impl.trace)
    fail("lathe::nn: data_ptr of a symbolic tensor (it has no values until "
         "the compiled artifact runs)");
  if (impl.dtype != dtypeFor<T>())
    fail(std::string("lathe::nn: data_ptr<") + dtypeName(dtypeFor<T>()) +
         "> of a " + dtypeName(impl.dtype) + " tensor");
  return reinterpret_cast<const T *>(impl.bytes.data());
}
template <typename T> T *Tensor::data_ptr() {
  return const_cast<T *>(static_cast<const Tensor *>(this)->data_ptr<T>());
}
template const float *Tensor::data_ptr<float>() const;
template const double *Tensor::data_ptr<double>() const;
template const int64_t *Tensor::data_ptr<int64_t>() const;
template const int32_t *Tensor::data_ptr<int32_t>() const;
template const bool *Tensor::data_ptr<bool>() const;
template float *Tensor::data_ptr<float>();
template double *Tensor::data_ptr<double>();
template int64_t *Tensor::data_ptr<int64_t>();
template int32_t *Tensor::data_ptr<int32_t>();
template bool *Tensor::data_ptr<bool>();

void Tensor::copy_(const Tensor &other) {
  TensorImpl &to = *impl_;
  const TensorImpl &from = checkedImpl(other, "copy_");
  if (to.trace || from.trace)
    fail("lathe::nn: copy_ between symbolic tensors");
  if (to.shape != from.shape || to.dtype != from.dtype)
    fail("lathe::nn: copy_ of a " + std::string(dtypeName(from.dtype)) + " " +
         detail::shape_text(from.shape) + " tensor into a " +
         dtypeName(to.dtype) + " " + detail::shape_text(to.shape) + " one");
  to.bytes = from.bytes;
}

Tensor Tensor::clone() const {
  const TensorImpl &impl = checkedImpl(*this, "clone");
  if (impl.trace)
    return *this; // Symbolic values are immutable.
  return Tensor(std::make_shared<TensorImpl>(impl));
}

// --- shape operations ------------------------------------------------------

Tensor Tensor::reshape(std::vector<int64_t> shape) const {
  int64_t total = numel(), known = 1, inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && inferred < 0) {
      inferred = int64_t(i);
      continue;
    }
    if (shape[i] < 0)
      fail("lathe::nn: reshape to " + detail::shape_text(shape) +
           ": a negative size other than one -1");
    known *= shape[i];
  }
  if (inferred >= 0 && known > 0 && total % known == 0)
    shape[size_t(inferred)] = total / known;
  if (detail::checked_numel(shape) != total)
    fail("lathe::nn: cannot reshape " + detail::shape_text(sizes()) + " (" +
         std::to_string(total) + " elements) to " + detail::shape_text(shape));
  if (shape == sizes())
    return *this;
  // A value reshaped while forward is traced stays that value (a
  // parameter keeps its name); outside a trace it is a reshaped copy.
  if (!is_symbolic() && !Trace::current()) {
    Tensor out = clone();
    out.impl()->shape = shape;
    return out;
  }
  return Trace::of({this}).reshape(*this, shape);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  int64_t rank = dim();
  if (rank == 0)
    return reshape({1});
  int64_t s = normDim(start_dim, rank, "flatten"),
          e = normDim(end_dim, rank, "flatten");
  if (s > e)
    fail("lathe::nn: flatten: start_dim " + std::to_string(start_dim) +
         " comes after end_dim " + std::to_string(end_dim));
  std::vector<int64_t> shape(sizes().begin(), sizes().begin() + s);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i)
    merged *= sizes()[size_t(i)];
  shape.push_back(merged);
  shape.insert(shape.end(), sizes().begin() + e + 1, sizes().end());
  return reshape(shape);
}

Tensor Tensor::unflatten(int64_t d, std::vector<int64_t> parts) const {
  int64_t n = normDim(d, dim(), "unflatten");
  std::vector<int64_t> shape(sizes().begin(), sizes().begin() + n);
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == -1)
      inferred = int64_t(i);
    else
      known *= parts[i];
  }
  if (inferred >= 0 && known)
    parts[size_t(inferred)] = sizes()[size_t(n)] / known;
  shape.insert(shape.end(), parts.begin(), parts.end());
  shape.insert(shape.end(), sizes().begin() + n + 1, sizes().end());
  return reshape(shape);
}

Tensor Tensor::permute(std::vector<int64_t> dims) const {
  int64_t rank = dim();
  if (int64_t(dims.size()) != rank)
    fail("lathe::nn: permute of a rank-" + std::to_string(rank) +
         " tensor needs " + std::to_string(rank) + " dimensions, got " +
         detail::shape_text(dims));
  std::vector<bool> seen(size_t(rank), false);
  for (int64_t &d : dims) {
    d = normDim(d, rank, "permute");
    if (seen[size_t(d)])
      fail("lathe::nn: permute: dimension " + std::to_string(d) +
           " is given twice");
    seen[size_t(d)] = true;
  }
  bool identity = true;
  for (int64_t i = 0; i < rank; ++i)
    identity = identity && dims[size_t(i)] == i;
  if (identity)
    return *this;
  return Trace::of({this}).transpose(*this, dims);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  int64_t rank = dim();
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i)
    perm[size_t(i)] = i;
  std::swap(perm[size_t(normDim(dim0, rank, "transpose"))],
            perm[size_t(normDim(dim1, rank, "transpose"))]);
  return permute(perm);
}

Tensor Tensor::squeeze(std::optional<int64_t> d) const {
  std::vector<int64_t> shape;
  std::optional<int64_t> only;
  if (d)
    only = normDim(*d, dim(), "squeeze");
  for (int64_t i = 0; i < dim(); ++i)
    if (sizes()[size_t(i)] != 1 || (only && *only != i))
      shape.push_back(sizes()[size_t(i)]);
  return reshape(shape);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  int64_t n = normDim(d, dim() + 1, "unsqueeze");
  std::vector<int64_t> shape = sizes();
  shape.insert(shape.begin() + n, 1);
  return reshape(shape);
}

// --- element-wise and reductions ------------------------------------------

using detail::Binary;
using detail::Reduce;
using detail::Unary;

static Tensor unary(Unary op, const Tensor &x, double a = 0, double b = 0) {
  return Trace::of({&x}).unary(op, x, a, b);
}

Tensor Tensor::relu() const { return unary(Unary::Relu, *this); }
Tensor Tensor::sigmoid() const { return unary(Unary::Sigmoid, *this); }
Tensor Tensor::tanh() const { return unary(Unary::Tanh, *this); }
Tensor Tensor::exp() const { return unary(Unary::Exp, *this); }
Tensor Tensor::log() const { return unary(Unary::Log, *this); }
Tensor Tensor::sqrt() const { return unary(Unary::Sqrt, *this); }
Tensor Tensor::abs() const { return unary(Unary::Abs, *this); }
Tensor Tensor::neg() const { return unary(Unary::Neg, *this); }
Tensor Tensor::clamp(std::optional<double> min,
                     std::optional<double> max) const {
  double none = std::numeric_limits<double>::quiet_NaN();
  return unary(Unary::Clip, *this, min ? *min : none, max ? *max : none);
}
Tensor Tensor::pow(double exponent) const {
  Trace &t = Trace::of({this});
  return t.binary(Binary::Pow, *this, t.scalar(exponent, *this));
}

static std::vector<int64_t> axes(const Tensor &x, std::vector<int64_t> dims,
                                 const char *what) {
  if (dims.empty())
    for (int64_t i = 0; i < x.dim(); ++i)
      dims.push_back(i);
  for (int64_t &d : dims)
    d = normDim(d, x.dim(), what);
  std::sort(dims.begin(), dims.end());
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end())
    fail(std::string("lathe::nn: ") + what + ": a dimension is given twice");
  return dims;
}

Tensor Tensor::sum(std::vector<int64_t> dims, bool keepdim) const {
  return Trace::of({this}).reduce(Reduce::Sum, *this, axes(*this, dims, "sum"),
                                  keepdim);
}
Tensor Tensor::mean(std::vector<int64_t> dims, bool keepdim) const {
  return Trace::of({this}).reduce(Reduce::Mean, *this,
                                  axes(*this, dims, "mean"), keepdim);
}
Tensor Tensor::amax(std::vector<int64_t> dims, bool keepdim) const {
  return Trace::of({this}).reduce(Reduce::Max, *this, axes(*this, dims, "amax"),
                                  keepdim);
}
Tensor Tensor::matmul(const Tensor &other) const {
  return Trace::of({this, &other}).matmul(*this, other);
}
Tensor Tensor::softmax(int64_t d) const {
  return Trace::of({this}).softmax(*this, normDim(d, dim(), "softmax"), false);
}
Tensor Tensor::log_softmax(int64_t d) const {
  return Trace::of({this}).softmax(*this, normDim(d, dim(), "log_softmax"),
                                   true);
}

static Tensor binary(Binary op, const Tensor &a, const Tensor &b) {
  return Trace::of({&a, &b}).binary(op, a, b);
}
static Tensor binary(Binary op, const Tensor &a, double b) {
  Trace &t = Trace::of({&a});
  return t.binary(op, a, t.scalar(b, a));
}
static Tensor binary(Binary op, double a, const Tensor &b) {
  Trace &t = Trace::of({&b});
  return t.binary(op, t.scalar(a, b), b);
}

Tensor operator+(const Tensor &a, const Tensor &b) {
  return binary(Binary::Add, a, b);
}
Tensor operator-(const Tensor &a, const Tensor &b) {
  return binary(Binary::Sub, a, b);
}
Tensor operator*(const Tensor &a, const Tensor &b) {
  return binary(Binary::Mul, a, b);
}
Tensor operator/(const Tensor &a, const Tensor &b) {
  return binary(Binary::Div, a, b);
}
Tensor operator+(const Tensor &a, double b) {
  return binary(Binary::Add, a, b);
}
Tensor operator-(const Tensor &a, double b) {
  return binary(Binary::Sub, a, b);
}
Tensor operator*(const Tensor &a, double b) {
  return binary(Binary::Mul, a, b);
}
Tensor operator/(const Tensor &a, double b) {
  return binary(Binary::Div, a, b);
}
Tensor operator+(double a, const Tensor &b) {
  return binary(Binary::Add, a, b);
}
Tensor operator-(double a, const Tensor &b) {
  return binary(Binary::Sub, a, b);
}
Tensor operator*(double a, const Tensor &b) {
  return binary(Binary::Mul, a, b);
}
Tensor operator/(double a, const Tensor &b) {
  return binary(Binary::Div, a, b);
}
Tensor operator-(const Tensor &a) { return a.neg(); }

// --- indexing, broadcasting, comparisons ----------------------------------

Tensor Tensor::expand(std::vector<int64_t> target) const {
  if (int64_t(target.size()) < dim())
    fail("lathe::nn: expand of " + detail::shape_text(sizes()) + " to " +
         detail::shape_text(target) + ": fewer dimensions than the tensor");
  size_t lead = target.size() - size_t(dim());
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t have = i < lead ? 1 : sizes()[i - lead];
    if (target[i] == -1 && i >= lead)
      target[i] = have;
    if (target[i] < 0 || (have != 1 && have != target[i]))
      fail("lathe::nn: cannot expand " + detail::shape_text(sizes()) + " to " +
           detail::shape_text(target));
  }
  if (target == sizes())
    return *this;
  return Trace::of({this}).expand(*this, target);
}

Tensor Tensor::repeat(std::vector<int64_t> repeats) const {
  if (int64_t(repeats.size()) < dim())
    fail("lathe::nn: repeat needs at least one count per dimension of " +
         detail::shape_text(sizes()));
  // Each dimension d of size s repeated r times: insert a dimension of r
  // before it, broadcast, merge.
  size_t lead = repeats.size() - size_t(dim());
  std::vector<int64_t> padded(lead, 1);
  padded.insert(padded.end(), sizes().begin(), sizes().end());
  std::vector<int64_t> interleaved, expanded, out;
  for (size_t i = 0; i < padded.size(); ++i) {
    if (repeats[i] < 0)
      fail("lathe::nn: repeat counts must not be negative");
    interleaved.insert(interleaved.end(), {1, padded[i]});
    expanded.insert(expanded.end(), {repeats[i], padded[i]});
    out.push_back(repeats[i] * padded[i]);
  }
  return reshape(interleaved).expand(expanded).reshape(out);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end,
                     int64_t step) const {
  int64_t n = normDim(d, dim(), "slice"), len = sizes()[size_t(n)];
  if (step <= 0)
    fail("lathe::nn: slice step must be positive");
  if (start < 0)
    start += len;
  if (end < 0)
    end += len;
  start = std::clamp<int64_t>(start, 0, len);
  end = std::clamp<int64_t>(end, start, len);
  std::vector<int64_t> starts(size_t(dim()), 0), sizesOut = sizes(),
                                                 steps(size_t(dim()), 1);
  starts[size_t(n)] = start;
  sizesOut[size_t(n)] = (end - start + step - 1) / step;
  steps[size_t(n)] = step;
  return Trace::of({this}).slice(*this, starts, sizesOut, steps);
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t d) const {
  int64_t n = normDim(d, dim(), "split"), len = sizes()[size_t(n)];
  if (split_size <= 0)
    fail("lathe::nn: split size must be positive");
  std::vector<Tensor> out;
  for (int64_t at = 0; at < len; at += split_size)
    out.push_back(slice(n, at, std::min(len, at + split_size)));
  return out;
}

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t d) const {
  if (chunks <= 0)
    fail("lathe::nn: chunk count must be positive");
  int64_t len = sizes()[size_t(normDim(d, dim(), "chunk"))];
  return split(std::max<int64_t>(1, (len + chunks - 1) / chunks), d);
}

Tensor Tensor::index_select(int64_t d, const Tensor &index) const {
  if (index.dim() != 1)
    fail("lathe::nn: index_select needs a 1-D index, got " +
         detail::shape_text(index.sizes()));
  return Trace::of({this, &index})
      .gather(*this, index, normDim(d, dim(), "index_select"));
}

Tensor Tensor::gather(int64_t d, const Tensor &index) const {
  return Trace::of({this, &index})
      .gatherElements(*this, index, normDim(d, dim(), "gather"));
}

Tensor Tensor::masked_fill(const Tensor &mask, double value) const {
  Trace &t = Trace::of({this, &mask});
  return t.where(mask, t.scalar(value, *this), *this);
}

Tensor Tensor::to(DType target) const {
  if (target == dtype())
    return *this;
  return Trace::of({this}).cast(*this, target);
}

Tensor Tensor::amin(std::vector<int64_t> dims, bool keepdim) const {
  return Trace::of({this}).reduce(Reduce::Min, *this, axes(*this, dims, "amin"),
                                  keepdim);
}
Tensor Tensor::argmax(int64_t d, bool keepdim) const {
  return Trace::of({this}).argReduce(*this, normDim(d, dim(), "argmax"),
                                     keepdim, true);
}
Tensor Tensor::argmin(int64_t d, bool keepdim) const {
  return Trace::of({this}).argReduce(*this, normDim(d, dim(), "argmin"),
                                     keepdim, false);
}

Tensor Tensor::eq(const Tensor &o) const {
  return binary(Binary::Equal, *this, o);
}
Tensor Tensor::gt(const Tensor &o) const {
  return binary(Binary::Greater, *this, o);
}
Tensor Tensor::lt(const Tensor &o) const {
  return binary(Binary::Less, *this, o);
}
Tensor Tensor::ge(const Tensor &o) const {
  return binary(Binary::GreaterEqual, *this, o);
}
Tensor Tensor::le(const Tensor &o) const {
  return binary(Binary::LessEqual, *this, o);
}
Tensor Tensor::eq(double o) const { return binary(Binary::Equal, *this, o); }
Tensor Tensor::gt(double o) const { return binary(Binary::Greater, *this, o); }
Tensor Tensor::lt(double o) const { return binary(Binary::Less, *this, o); }
Tensor Tensor::ge(double o) const {
  return binary(Binary::GreaterEqual, *this, o);
}
Tensor Tensor::le(double o) const {
  return binary(Binary::LessEqual, *this, o);
}

Tensor stack(const std::vector<Tensor> &tensors, int64_t dim) {
  if (tensors.empty())
    fail("lathe::nn: stack of no tensors");
  int64_t d = normDim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor &t : tensors) {
    if (t.sizes() != tensors[0].sizes())
      fail("lathe::nn: stack of tensors of different shapes " +
           detail::shape_text(tensors[0].sizes()) + " and " +
           detail::shape_text(t.sizes()));
    parts.push_back(t.unsqueeze(d));
  }
  return cat(parts, d);
}

Tensor where(const Tensor &condition, const Tensor &x, const Tensor &y) {
  return Trace::of({&condition, &x, &y}).where(condition, x, y);
}

Tensor einsum(const std::string &equation, const std::vector<Tensor> &tensors) {
  const Tensor *first = tensors.empty() ? nullptr : &tensors[0];
  return Trace::of({first}).einsum(equation, tensors);
}

Tensor matmul(const Tensor &a, const Tensor &b) { return a.matmul(b); }

Tensor bmm(const Tensor &a, const Tensor &b) {
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0))
    fail("lathe::nn: bmm needs two B x n x m tensors of one batch, got " +
         detail::shape_text(a.sizes()) + " and " +
         detail::shape_text(b.sizes()));
  return a.matmul(b);
}

// --- creation -------------------------------------------------------------

Tensor arange(double start, double end, double step) {
  if (step == 0 || !std::isfinite(start) || !std::isfinite(end))
    fail("lathe::nn: arange needs finite bounds and a nonzero step");
  int64_t n = std::max<int64_t>(0, int64_t(std::ceil((end - start) / step)));
  bool integral = start == std::floor(start) && end == std::floor(end) &&
                  step == std::floor(step);
  Tensor t = detail::make_value({n}, integral ? kInt64 : kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    double v = start + double(i) * step;
    if (integral)
      t.data_ptr<int64_t>()[i] = int64_t(v);
    else
      t.data_ptr<float>()[i] = float(v);
  }
  return t;
}
Tensor arange(double end) { return arange(0.0, end, 1.0); }

Tensor linspace(double start, double end, int64_t steps) {
  if (steps < 0)
    fail("lathe::nn: linspace needs a non-negative number of steps");
  Tensor t = detail::make_value({steps}, kFloat32);
  for (int64_t i = 0; i < steps; ++i)
    t.data_ptr<float>()[i] =
        steps == 1
            ? float(start)
            : float(start + (end - start) * double(i) / double(steps - 1));
  return t;
}

Tensor eye(int64_t n, int64_t m) {
  if (m < 0)
    m = n;
  Tensor t = detail::make_value({n, m}, kFloat32);
  for (int64_t i = 0; i < std::min(n, m); ++i)
    t.data_ptr<float>()[i * m + i] = 1.0f;
  return t;
}

Tensor zeros_like(const Tensor &t) { return zeros(t.sizes(), t.dtype()); }
Tensor ones_like(const Tensor &t) { return ones(t.sizes(), t.dtype()); }
Tensor full_like(const Tensor &t, double value) {
  return full(t.sizes(), value, t.dtype());
}

Tensor zeros(std::vector<int64_t> shape, DType dtype) {
  return detail::make_value(std::move(shape), dtype);
}
Tensor ones(std::vector<int64_t> shape, DType dtype) {
  return full(std::move(shape), 1.0, dtype);
}
Tensor full(std::vector<int64_t> shape, double value, DType dtype) {
  Tensor t = detail::make_value(std::move(shape), dtype);
  fill(t, [&] { return value; });
  return t;
}
Tensor rand(std::vector<int64_t> shape, DType dtype) {
  Tensor t = detail::make_value(std::move(shape), dtype);
  fill(t, [] { return generator().uniform(); });
  return t;
}
Tensor randn(std::vector<int64_t> shape, DType dtype) {
  Tensor t = detail::make_value(std::move(shape), dtype);
  fill(t, [] { return generator().normal(); });
  return t;
}
Tensor tensor(std::vector<float> values, std::vector<int64_t> shape) {
  if (detail::checked_numel(shape) != int64_t(values.size()))
    fail("lathe::nn: tensor: " + std::to_string(values.size()) +
         " values do not fill shape " + detail::shape_text(shape));
  Tensor t = detail::make_value(std::move(shape), kFloat32);
  std::memcpy(t.impl()->bytes.data(), values.data(),
              values.size() * sizeof(float));
  return t;
}
Tensor cat(const std::vector<Tensor> &tensors, int64_t dim) {
  if (tensors.empty())
    fail("lathe::nn: cat of no tensors");
  const Tensor &first = tensors.front();
  const Tensor *symbolic = &first;
  for (const Tensor &t : tensors)
    if (t.is_symbolic())
      symbolic = &t;
  return Trace::of({symbolic})
      .concat(tensors, normDim(dim, first.dim(), "cat"));
}

// --- initialization -------------------------------------------------------

namespace init {
Tensor &uniform_(Tensor &t, double a, double b) {
  fill(t, [&] { return a + (b - a) * generator().uniform(); });
  return t;
}
Tensor &normal_(Tensor &t, double mean, double std) {
  fill(t, [&] { return mean + std * generator().normal(); });
  return t;
}
Tensor &constant_(Tensor &t, double value) {
  fill(t, [&] { return value; });
  return t;
}
Tensor &zeros_(Tensor &t) { return constant_(t, 0.0); }
Tensor &ones_(Tensor &t) { return constant_(t, 1.0); }

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor &t) {
  if (t.dim() < 2)
    fail("lathe::nn::init: fan in and fan out need a tensor of rank 2 or "
         "more, got " +
         detail::shape_text(t.sizes()));
  int64_t receptive = 1;
  for (int64_t i = 2; i < t.dim(); ++i)
    receptive *= t.sizes()[size_t(i)];
  return {t.sizes()[1] * receptive, t.sizes()[0] * receptive};
}

Tensor &kaiming_uniform_(Tensor &t, double a) {
  int64_t fanIn = fan_in_and_fan_out(t).first;
  double gain = std::sqrt(2.0 / (1.0 + a * a));
  double bound = fanIn ? gain * std::sqrt(3.0 / double(fanIn)) : 0.0;
  return uniform_(t, -bound, bound);
}

Tensor &xavier_uniform_(Tensor &t, double gain) {
  auto [fanIn, fanOut] = fan_in_and_fan_out(t);
  double bound =
      fanIn + fanOut ? gain * std::sqrt(6.0 / double(fanIn + fanOut)) : 0.0;
  return uniform_(t, -bound, bound);
}
} // namespace init

} // namespace nn
} // namespace lathe
