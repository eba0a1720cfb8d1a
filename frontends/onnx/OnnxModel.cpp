// Reading ONNX files safely: the protobuf, its tensors and external data.
#include "frontends/onnx/OnnxModel.h"

#include "onnx/onnx_pb.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace lathe {

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The IEEE semantics of a 16-bit float dtype.
static const llvm::fltSemantics &halfSemantics(DType type) {
  return type == DType::F16 ? llvm::APFloat::IEEEhalf()
                            : llvm::APFloat::BFloat();
}

int64_t TensorValue::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

template <typename T> static T load(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

int64_t TensorValue::intAt(int64_t i) const {
  const char *p = bytes.data() + i * dtypeSize(dtype);
  switch (dtype) {
  case DType::I64:
  case DType::U64:
    return load<int64_t>(p);
  case DType::I32:
    return load<int32_t>(p);
  case DType::U32:
    return load<uint32_t>(p);
  case DType::I16:
    return load<int16_t>(p);
  case DType::U16:
    return load<uint16_t>(p);
  case DType::I8:
    return int8_t(*p);
  case DType::U8:
  case DType::Bool:
    return uint8_t(*p);
  case DType::F32:
  case DType::F64:
  case DType::F16:
  case DType::BF16: {
    // Saturating: a float out of int64's range (or NaN) from a model file
    // must not be undefined behaviour; the callers' range checks refuse it.
    double v = floatAt(i);
    if (std::isnan(v))
      return 0;
    if (v >= 9223372036854775808.0)
      return std::numeric_limits<int64_t>::max();
    if (v < -9223372036854775808.0)
      return std::numeric_limits<int64_t>::min();
    return int64_t(v);
  }
  }
  return 0;
}

double TensorValue::floatAt(int64_t i) const {
  const char *p = bytes.data() + i * dtypeSize(dtype);
  switch (dtype) {
  case DType::F32:
    return load<float>(p);
  case DType::F64:
    return load<double>(p);
  case DType::F16:
  case DType::BF16:
    return llvm::APFloat(halfSemantics(dtype),
                         llvm::APInt(16, load<uint16_t>(p)))
        .convertToDouble();
  case DType::U64:
    return double(load<uint64_t>(p));
  default:
    return double(intAt(i));
  }
}

void TensorValue::append(double f, int64_t i) {
  size_t at = bytes.size();
  bytes.resize(at + dtypeSize(dtype));
  char *dst = bytes.data() + at;
  auto put = [&](auto x) { std::memcpy(dst, &x, sizeof(x)); };
  switch (dtype) {
  case DType::F32:
    return put(float(f));
  case DType::F64:
    return put(f);
  case DType::F16:
  case DType::BF16: {
    llvm::APFloat h(f);
    bool lost;
    h.convert(halfSemantics(dtype), llvm::APFloat::rmNearestTiesToEven, &lost);
    return put(uint16_t(h.bitcastToAPInt().getZExtValue()));
  }
  case DType::I64:
  case DType::U64:
    return put(i);
  case DType::I32:
  case DType::U32:
    return put(int32_t(i));
  case DType::I16:
  case DType::U16:
    return put(int16_t(i));
  case DType::I8:
  case DType::U8:
    return put(int8_t(i));
  case DType::Bool:
    return put(uint8_t(f != 0));
  }
}

llvm::Expected<std::unique_ptr<onnx::ModelProto>>
readOnnxFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return error(path + ": cannot read: " + buffer.getError().message());
  // Messages nest 3 deep per subgraph level (graph, node, attribute);
  // protobuf's default limit of 100 stops at about 32 levels.
  constexpr int kMaxDepth = 1000;
  auto parse = [&](onnx::ModelProto &into, int depth) {
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
        int((*buffer)->getBufferSize()));
    stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
    stream.SetRecursionLimit(depth);
    return into.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage();
  };
  auto model = std::make_unique<onnx::ModelProto>();
  if (!parse(*model, kMaxDepth)) {
    onnx::ModelProto deeper;
    if (parse(deeper, 2 * kMaxDepth))
      return error(path + ": its subgraphs nest deeper than the " +
                   std::to_string(kMaxDepth) +
                   " protobuf messages Lathe reads");
    return error(path + ": not a valid ONNX model (protobuf parsing failed; "
                        "is the file truncated?)");
  }
  if (!model->has_graph())
    return error(path + ": not a valid ONNX model (it has no graph)");
  return model;
}

llvm::Expected<DType> dtypeFromOnnx(int onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return DType::F32;
  case onnx::TensorProto::DOUBLE:
    return DType::F64;
  case onnx::TensorProto::INT32:
    return DType::I32;
  case onnx::TensorProto::INT64:
    return DType::I64;
  case onnx::TensorProto::INT8:
    return DType::I8;
  case onnx::TensorProto::UINT8:
    return DType::U8;
  case onnx::TensorProto::BOOL:
    return DType::Bool;
  case onnx::TensorProto::INT16:
    return DType::I16;
  case onnx::TensorProto::UINT16:
    return DType::U16;
  case onnx::TensorProto::UINT32:
    return DType::U32;
  case onnx::TensorProto::UINT64:
    return DType::U64;
  case onnx::TensorProto::FLOAT16:
    return DType::F16;
  case onnx::TensorProto::BFLOAT16:
    return DType::BF16;
  default:
    return error("unsupported ONNX element type " +
                 onnx::TensorProto::DataType_Name(
                     onnx::TensorProto::DataType(onnxType)));
  }
}

/// Reads |length| bytes at |offset| of |location| under |modelDir| into |out|.
static llvm::Error readExternal(const std::string &modelDir,
                                const std::string &location, uint64_t offset,
                                uint64_t length, std::vector<char> &out) {
  if (location.empty() || llvm::sys::path::is_absolute(location))
    return error("external data location '" + location +
                 "' must be a relative path inside the model's folder");
  for (auto it = llvm::sys::path::begin(location),
            end = llvm::sys::path::end(location);
       it != end; ++it)
    if (*it == "..")
      return error("external data location '" + location +
                   "' leaves the model's folder");
  llvm::SmallString<256> full(modelDir);
  llvm::sys::path::append(full, location);
  // Resolve symbolic links too: the real file must stay inside the folder.
  llvm::SmallString<256> realDir, realFile;
  if (llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, realDir) ||
      llvm::sys::fs::real_path(full, realFile))
    return error("external data file '" + location +
                 "' not found next to "
                 "the model");
  if (!llvm::StringRef(realFile).starts_with(llvm::Twine(realDir, "/").str()))
    return error("external data file '" + location +
                 "' resolves outside the model's folder");
  uint64_t size = 0;
  if (llvm::sys::fs::file_size(realFile, size))
    return error("cannot stat external data file '" + location + "'");
  if (offset > size || length > size - offset)
    return error("external data '" + location + "' range [" +
                 llvm::Twine(offset) + ", " + llvm::Twine(offset + length) +
                 ") exceeds the file's " + llvm::Twine(size) + " bytes");
  auto buffer = llvm::MemoryBuffer::getFileSlice(realFile, length, offset);
  if (!buffer)
    return error("cannot read external data '" + location +
                 "': " + buffer.getError().message());
  out.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  return llvm::Error::success();
}

llvm::Expected<TensorValue> decodeTensor(const onnx::TensorProto &tensor,
                                         const std::string &modelDir) {
  TensorValue value;
  auto dtype = dtypeFromOnnx(tensor.data_type());
  if (!dtype)
    return dtype.takeError();
  value.dtype = *dtype;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return error("tensor '" + tensor.name() + "' has a negative dimension");
    value.shape.push_back(d);
  }
  auto size = checkedSize(value.shape, dtypeSize(value.dtype));
  if (!size)
    return error("tensor '" + tensor.name() + "' declares a shape whose " +
                 "size overflows (more than 2^62 elements or bytes)");
  const uint64_t count = size->first;
  const uint64_t expected = size->second;
  auto &bytes = value.bytes;

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = expected;
    bool hasLength = false;
    for (const auto &entry : tensor.external_data()) {
      llvm::StringRef val(entry.value());
      if (entry.key() == "location") {
        location = entry.value();
      } else if (entry.key() == "offset") {
        if (val.getAsInteger(10, offset))
          return error("tensor '" + tensor.name() + "' has a bad offset");
      } else if (entry.key() == "length") {
        hasLength = true;
        if (val.getAsInteger(10, length))
          return error("tensor '" + tensor.name() + "' has a bad length");
      }
    }
    if (hasLength && length != expected)
      return error("tensor '" + tensor.name() + "' external length " +
                   llvm::Twine(length) + " does not match its shape (" +
                   llvm::Twine(expected) + " bytes)");
    if (auto err = readExternal(modelDir, location, offset, expected, bytes))
      return error("tensor '" + tensor.name() +
                   "': " + llvm::toString(std::move(err)));
    return value;
  }

  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != expected)
      return error("tensor '" + tensor.name() + "' holds " +
                   llvm::Twine(tensor.raw_data().size()) +
                   " bytes but its shape needs " + llvm::Twine(expected));
    bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
    return value;
  }

  // Typed fields: converted element by element to the declared type (the
  // count checked before anything is allocated).
  auto store = [&](auto field, auto convert) -> llvm::Error {
    if (uint64_t(field.size()) != count)
      return error("tensor '" + tensor.name() + "' holds " +
                   llvm::Twine(field.size()) + " values but its shape needs " +
                   llvm::Twine(count));
    bytes.resize(expected);
    for (uint64_t i = 0; i < count; ++i)
      convert(bytes.data() + i * dtypeSize(value.dtype), field.Get(int(i)));
    return llvm::Error::success();
  };
  auto copyAs = [](auto type) {
    return [](char *dst, auto v) {
      decltype(type) t = decltype(type)(v);
      std::memcpy(dst, &t, sizeof(t));
    };
  };
  llvm::Error err = [&]() -> llvm::Error {
    switch (value.dtype) {
    case DType::F32:
      return store(tensor.float_data(), copyAs(float()));
    case DType::F64:
      return store(tensor.double_data(), copyAs(double()));
    case DType::I64:
      return store(tensor.int64_data(), copyAs(int64_t()));
    case DType::I32:
      return store(tensor.int32_data(), copyAs(int32_t()));
    case DType::I8:
      return store(tensor.int32_data(), copyAs(int8_t()));
    case DType::U8:
    case DType::Bool:
      return store(tensor.int32_data(), copyAs(uint8_t()));
    case DType::I16:
      return store(tensor.int32_data(), copyAs(int16_t()));
    // 16-bit floats travel as their bit patterns in int32_data.
    case DType::U16:
    case DType::F16:
    case DType::BF16:
      return store(tensor.int32_data(), copyAs(uint16_t()));
    case DType::U32:
      return store(tensor.uint64_data(), copyAs(uint32_t()));
    case DType::U64:
      return store(tensor.uint64_data(), copyAs(uint64_t()));
    }
    return llvm::Error::success();
  }();
  if (err)
    return err;
  return value;
}

llvm::Expected<std::string>
replaceInitializers(const std::string &path,
                    const std::map<std::string, std::vector<char>> &values) {
  auto model = readOnnxFile(path);
  if (!model)
    return model.takeError();
  std::map<std::string, bool> used;
  for (onnx::TensorProto &t :
       *(*model)->mutable_graph()->mutable_initializer()) {
    auto it = values.find(t.name());
    if (it == values.end())
      continue;
    auto dtype = dtypeFromOnnx(t.data_type());
    if (!dtype)
      return dtype.takeError();
    auto size = checkedSize(
        llvm::SmallVector<int64_t>(t.dims().begin(), t.dims().end()),
        dtypeSize(*dtype));
    if (!size || size->second != it->second.size())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          path + ": initializer '" + t.name() + "' holds " +
              (size ? std::to_string(size->second) : std::string("too many")) +
              " bytes, the trained "
              "value " +
              std::to_string(it->second.size()));
    t.clear_float_data();
    t.clear_double_data();
    t.clear_int32_data();
    t.clear_int64_data();
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::DEFAULT);
    t.set_raw_data(it->second.data(), it->second.size());
    used[t.name()] = true;
  }
  for (const auto &v : values)
    if (!used.count(v.first))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     path + " has no initializer '" + v.first +
                                         "'");
  // Inference mode: Dropout reads a constant false, batch norms drop the
  // training outputs (a training build imports them only unread).
  onnx::GraphProto *graph = (*model)->mutable_graph();
  const std::string inference = "lathe_inference_mode";
  bool needFalse = false;
  for (onnx::NodeProto &node : *graph->mutable_node()) {
    if (node.op_type() == "Dropout" && node.input_size() > 2 &&
        !node.input(2).empty()) {
      node.set_input(2, inference);
      needFalse = true;
    }
    if (node.op_type() == "BatchNormalization") {
      for (onnx::AttributeProto &a : *node.mutable_attribute())
        if (a.name() == "training_mode")
          a.set_i(0);
      while (node.output_size() > 1)
        node.mutable_output()->RemoveLast();
    }
  }
  if (needFalse) {
    onnx::NodeProto *constant = graph->add_node();
    constant->set_op_type("Constant");
    constant->set_name(inference);
    constant->add_output(inference);
    onnx::AttributeProto *value = constant->add_attribute();
    value->set_name("value");
    value->set_type(onnx::AttributeProto::TENSOR);
    value->mutable_t()->set_data_type(onnx::TensorProto::BOOL);
    value->mutable_t()->add_int32_data(0);
    // First, so that the graph stays in topological order.
    for (int i = graph->node_size() - 1; i > 0; --i)
      graph->mutable_node()->SwapElements(i, i - 1);
  }
  std::string bytes;
  if (!(*model)->SerializeToString(&bytes))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot serialize the updated model");
  return bytes;
}

} // namespace lathe
