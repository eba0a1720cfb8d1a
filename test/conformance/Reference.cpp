// The harness's own reader of reference tensors (see Reference.h): nothing
// here calls the importer's decoder, so a decoding bug there cannot hide
// behind the same bug in the expected values.
#include "Reference.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace lathe::conformance {
namespace {

// TensorProto.DataType, as numbered in onnx.proto.
enum : int {
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBfloat16 = 16,
};

llvm::Error failure(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Bytes per element, 0 for a type the harness does not compare.
size_t elementBytes(int type) {
  switch (type) {
  case kUint8:
  case kInt8:
  case kBool:
    return 1;
  case kUint16:
  case kInt16:
  case kFloat16:
  case kBfloat16:
    return 2;
  case kFloat:
  case kInt32:
  case kUint32:
    return 4;
  case kInt64:
  case kDouble:
  case kUint64:
    return 8;
  default:
    return 0;
  }
}

/// IEEE 754 binary16 to double, by its definition.
double halfValue(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(double(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(double(mantissa | 0x400), exponent - 25);
  return sign ? -magnitude : magnitude;
}

double bfloat16Value(uint16_t b) {
  uint32_t word = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &word, 4);
  return f;
}

template <typename T> T load(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// Appends a float16 or bfloat16 element (|r|'s type) given by its bits.
void appendHalfBits(Reference &r, uint16_t bits) {
  r.bits.push_back(bits);
  r.floats.push_back(r.type == kFloat16 ? halfValue(bits)
                                        : bfloat16Value(bits));
}

/// Appends the little-endian element at |p| of |r|'s type.
void appendBytes(Reference &r, const char *p) {
  switch (r.type) {
  case kFloat:
    r.floats.push_back(load<float>(p));
    return;
  case kDouble:
    r.floats.push_back(load<double>(p));
    return;
  case kFloat16:
  case kBfloat16:
    appendHalfBits(r, load<uint16_t>(p));
    return;
  case kUint8:
    r.ints.push_back(load<uint8_t>(p));
    return;
  case kInt8:
    r.ints.push_back(load<int8_t>(p));
    return;
  case kBool:
    r.ints.push_back(load<uint8_t>(p) != 0);
    return;
  case kUint16:
    r.ints.push_back(load<uint16_t>(p));
    return;
  case kInt16:
    r.ints.push_back(load<int16_t>(p));
    return;
  case kInt32:
    r.ints.push_back(load<int32_t>(p));
    return;
  case kUint32:
    r.ints.push_back(load<uint32_t>(p));
    return;
  case kInt64:
  case kUint64:
    r.ints.push_back(load<int64_t>(p));
    return;
  default:
    return;
  }
}

/// Appends an element held in int32_data (every type narrower than 32 bits
/// and int32 itself): the value, or a 16-bit float's bit pattern.
void appendInt32Field(Reference &r, int32_t v) {
  switch (r.type) {
  case kFloat16:
  case kBfloat16:
    appendHalfBits(r, uint16_t(v));
    return;
  case kBool:
    r.ints.push_back(v != 0);
    return;
  case kUint8:
    r.ints.push_back(uint8_t(v));
    return;
  case kInt8:
    r.ints.push_back(int8_t(v));
    return;
  case kUint16:
    r.ints.push_back(uint16_t(v));
    return;
  case kInt16:
    r.ints.push_back(int16_t(v));
    return;
  default:
    r.ints.push_back(v);
  }
}

/// The ONNX type of a runtime dtype.
int onnxTypeOf(lathe_dtype_t dtype) {
  switch (dtype) {
  case LATHE_F32:
    return kFloat;
  case LATHE_F64:
    return kDouble;
  case LATHE_I32:
    return kInt32;
  case LATHE_I64:
    return kInt64;
  case LATHE_I8:
    return kInt8;
  case LATHE_U8:
    return kUint8;
  case LATHE_BOOL:
    return kBool;
  case LATHE_I16:
    return kInt16;
  case LATHE_U16:
    return kUint16;
  case LATHE_U32:
    return kUint32;
  case LATHE_U64:
    return kUint64;
  case LATHE_F16:
    return kFloat16;
  case LATHE_BF16:
    return kBfloat16;
  }
  return 0;
}

/// The number of elements of |shape|, or -1 when a dimension is negative
/// or the product overflows.
int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return -1;
  return n;
}

} // namespace

std::string shapeText(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? "x" : "") << shape[i];
  os << "]";
  return os.str();
}

bool Reference::isFloat() const {
  return type == kFloat || type == kDouble || type == kFloat16 ||
         type == kBfloat16;
}

llvm::Expected<Reference> decodeReference(const onnx::TensorProto &proto) {
  Reference r;
  r.type = proto.data_type();
  r.shape.assign(proto.dims().begin(), proto.dims().end());
  size_t width = elementBytes(r.type);
  if (!width)
    return failure("element type " + std::to_string(r.type) +
                   " is not compared by the harness");
  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    return failure("the reference is in external data");
  int64_t n = elementCount(r.shape);
  if (n < 0)
    return failure("shape " + shapeText(r.shape) + " is not a valid shape");
  auto counted = [&](size_t have) -> llvm::Error {
    if (have == size_t(n))
      return llvm::Error::success();
    return failure("holds " + std::to_string(have) + " elements, its shape " +
                   shapeText(r.shape) + " " + std::to_string(n));
  };
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (raw.size() % width)
      return failure("raw_data of " + std::to_string(raw.size()) +
                     " bytes is not a whole number of elements");
    if (auto err = counted(raw.size() / width))
      return err;
    for (size_t at = 0; at < raw.size(); at += width)
      appendBytes(r, raw.data() + at);
    return r;
  }
  switch (r.type) {
  case kFloat:
    if (auto err = counted(size_t(proto.float_data_size())))
      return err;
    for (float v : proto.float_data())
      r.floats.push_back(v);
    break;
  case kDouble:
    if (auto err = counted(size_t(proto.double_data_size())))
      return err;
    for (double v : proto.double_data())
      r.floats.push_back(v);
    break;
  case kInt64:
    if (auto err = counted(size_t(proto.int64_data_size())))
      return err;
    for (int64_t v : proto.int64_data())
      r.ints.push_back(v);
    break;
  case kUint32:
  case kUint64:
    if (auto err = counted(size_t(proto.uint64_data_size())))
      return err;
    for (uint64_t v : proto.uint64_data())
      r.ints.push_back(int64_t(v));
    break;
  default:
    if (auto err = counted(size_t(proto.int32_data_size())))
      return err;
    for (int32_t v : proto.int32_data())
      appendInt32Field(r, v);
  }
  return r;
}

llvm::Expected<Reference> readRuntimeTensor(const lathe_tensor_t *tensor) {
  lathe_tensor_info_t info;
  lathe_tensor_info(tensor, &info);
  Reference r;
  r.type = onnxTypeOf(info.dtype);
  r.shape.assign(info.dims, info.dims + info.rank);
  size_t width = elementBytes(r.type);
  int64_t n = elementCount(r.shape);
  if (!width || n < 0 || lathe_tensor_num_bytes(tensor) != size_t(n) * width)
    return failure("the runtime tensor's size contradicts its type and shape");
  const char *data = static_cast<const char *>(lathe_tensor_data(tensor));
  for (int64_t i = 0; i < n; ++i)
    appendBytes(r, data + size_t(i) * width);
  return r;
}

void reinterpretAsBfloat16(Reference &reference) {
  if (reference.type != kUint16)
    return;
  reference.type = kBfloat16;
  for (int64_t v : reference.ints)
    appendHalfBits(reference, uint16_t(v));
  reference.ints.clear();
}

namespace {

/// "" when |got| and |want| have the same type and shape.
std::string sameLayout(const Reference &got, const Reference &want) {
  if (got.type != want.type)
    return "has element type " + std::to_string(got.type) + ", expected " +
           std::to_string(want.type);
  if (got.shape != want.shape)
    return "has shape " + shapeText(got.shape) + ", expected " +
           shapeText(want.shape);
  if (got.size() != want.size())
    return "has " + std::to_string(got.size()) + " elements, expected " +
           std::to_string(want.size());
  return "";
}

std::string elementMismatch(size_t i, double got, double want) {
  std::ostringstream os;
  os.precision(9);
  os << "element " << i << " is " << got << ", expected " << want;
  return os.str();
}

void noteError(Errors &errors, double a, double b) {
  double err = std::fabs(a - b);
  errors.maxAbs = std::max(errors.maxAbs, err);
  if (b != 0)
    errors.maxRel = std::max(errors.maxRel, err / std::fabs(b));
}

} // namespace

std::string compareReference(const Reference &got, const Reference &want,
                             double rtol, double atol, Errors &errors) {
  if (std::string layout = sameLayout(got, want); !layout.empty())
    return layout;
  if (!want.isFloat()) {
    for (size_t i = 0; i < want.ints.size(); ++i)
      if (got.ints[i] != want.ints[i])
        return elementMismatch(i, double(got.ints[i]), double(want.ints[i]));
    return "";
  }
  for (size_t i = 0; i < want.floats.size(); ++i) {
    double a = got.floats[i], b = want.floats[i];
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) && std::isnan(b))
        continue;
      return elementMismatch(i, a, b);
    }
    if (std::isinf(a) || std::isinf(b)) {
      if (a == b)
        continue;
      return elementMismatch(i, a, b);
    }
    noteError(errors, a, b);
    if (!(std::fabs(a - b) <= atol + rtol * std::fabs(b)))
      return elementMismatch(i, a, b);
  }
  return "";
}

std::string compareTruncatedBfloat16(const Reference &got,
                                     const Reference &want, Errors &errors) {
  if (std::string layout = sameLayout(got, want); !layout.empty())
    return layout;
  if (got.type != kBfloat16 || got.bits.size() != want.bits.size())
    return "is not a bfloat16 tensor";
  for (size_t i = 0; i < want.bits.size(); ++i) {
    double a = got.floats[i], b = want.floats[i];
    bool nan = std::isnan(b);
    uint16_t g = got.bits[i], w = want.bits[i];
    if (nan ? !std::isnan(a) : (g != w && g != uint16_t(w + 1)))
      return elementMismatch(i, a, b) +
             " (more than the rounding to bfloat16 apart)";
    if (!nan && !std::isinf(a) && !std::isinf(b))
      noteError(errors, a, b);
  }
  return "";
}

} // namespace lathe::conformance
