// Reading ONNX files safely: the protobuf, its tensors and external data.
#ifndef LATHE_FRONTENDS_ONNX_ONNXMODEL_H
#define LATHE_FRONTENDS_ONNX_ONNXMODEL_H

#include "frontends/Model.h"

#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace lathe {

/// A decoded tensor value (an initializer or a Constant).
struct TensorValue {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t numElements() const;
  /// Element |i| converted to int64 / double (for shape arithmetic).
  int64_t intAt(int64_t i) const;
  double floatAt(int64_t i) const;
  /// Appends one element: |f| converted for float types (rounded to nearest
  /// for 16-bit ones), |i| wrapped for integers, |f| != 0 for booleans.
  void append(double f, int64_t i);
};

/// Parses the ONNX file at |path|. Fails with a message naming the file when
/// it is missing, unreadable or not a valid ModelProto.
llvm::Expected<std::unique_ptr<onnx::ModelProto>>
readOnnxFile(const std::string &path);

/// The ONNX file at |path| with the initializers named in |values| replaced
/// by those bytes (row-major, the initializer's own type and size) and its
/// nodes in inference mode (Dropout's training_mode false,
/// BatchNormalization's training_mode 0 with only its Y output), as a
/// serialized ModelProto. Fails naming an initializer whose size differs or
/// a value that names no initializer.
llvm::Expected<std::string>
replaceInitializers(const std::string &path,
                    const std::map<std::string, std::vector<char>> &values);

/// Maps an ONNX TensorProto data type to a DType, or fails naming it.
llvm::Expected<DType> dtypeFromOnnx(int onnxType);

/// Decodes |tensor|, reading external data from files under |modelDir| only:
/// absolute paths and paths leaving the folder are refused, and offsets and
/// lengths are checked against the file and the tensor's shape.
llvm::Expected<TensorValue> decodeTensor(const onnx::TensorProto &tensor,
                                         const std::string &modelDir);

} // namespace lathe

#endif // LATHE_FRONTENDS_ONNX_ONNXMODEL_H
