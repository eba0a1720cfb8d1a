// Helpers that build small ONNX models in memory and compile them, for tests.
#ifndef LATHE_TEST_UNIT_ONNXBUILDER_H
#define LATHE_TEST_UNIT_ONNXBUILDER_H

#include "frontends/onnx/OnnxImporter.h"

#include "onnx/onnx_pb.h"

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace lathe::test {

/// A fresh, empty folder under the system temporary folder, removed with
/// everything in it when the test program exits.
std::string makeTempDir();

/// A model with the given default-domain opset and an empty graph.
onnx::ModelProto makeModel(int opset = 13);

/// Adds a graph input (float unless |elemType| says otherwise); a negative
/// dimension becomes symbolic ("batch").
void addInput(onnx::ModelProto &model, const std::string &name,
              std::vector<int64_t> dims,
              int elemType = onnx::TensorProto::FLOAT);
void addOutput(onnx::ModelProto &model, const std::string &name);

/// Adds a float32 initializer with |values| (raw_data).
onnx::TensorProto &addInitializer(onnx::ModelProto &model,
                                  const std::string &name,
                                  std::vector<int64_t> dims,
                                  std::vector<float> values);
/// Adds an int64 initializer (int64_data).
void addInt64Initializer(onnx::ModelProto &model, const std::string &name,
                         std::vector<int64_t> values);

/// Adds a node; attributes are set on the returned node by the caller.
onnx::NodeProto &addNode(onnx::ModelProto &model, const std::string &opType,
                         const std::string &name,
                         std::initializer_list<std::string> inputs,
                         std::initializer_list<std::string> outputs);
void setInts(onnx::NodeProto &node, const std::string &name,
             std::vector<int64_t> values);
void setInt(onnx::NodeProto &node, const std::string &name, int64_t value);
void setString(onnx::NodeProto &node, const std::string &name,
               const std::string &value);
void setStrings(onnx::NodeProto &node, const std::string &name,
                std::vector<std::string> values);
/// Adds an opset import of |domain| (besides the default domain's).
void addOpsetImport(onnx::ModelProto &model, const std::string &domain,
                    int64_t version);

/// Serializes |model| to |dir|/|file| and returns the path.
std::string save(const onnx::ModelProto &model, const std::string &dir,
                 const std::string &file = "model.onnx");

/// y = relu(x W^T + b) for x: 2x3, W: 4x3 (parameters "W", "b").
onnx::ModelProto linearReluModel();

/// Outcome of importing a file: success, and every diagnostic as one line.
struct ImportOutcome {
  bool ok = false;
  std::string diagnostics;
  std::vector<std::string> paramNames;
  std::vector<std::vector<char>> paramBytes; ///< In the order of paramNames.
  std::string ir;                            ///< The imported module, printed.
};
ImportOutcome importFile(
    const std::string &path,
    std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes = {},
    std::map<std::string, std::vector<std::vector<int64_t>>> sequenceInputs =
        {});

/// The outcome of importing |path| with every option of |options|.
ImportOutcome importWith(const std::string &path,
                         const lathe::ImportOptions &options);

/// Compiles the ONNX file |onnxPath| into |dir|/|name|.so (and a weights
/// side file when |externalWeights|); returns the .so path or "" with the
/// error in |error|.
std::string compileToSharedObject(const std::string &onnxPath,
                                  const std::string &dir,
                                  const std::string &name, bool externalWeights,
                                  std::string &error);

} // namespace lathe::test

#endif // LATHE_TEST_UNIT_ONNXBUILDER_H
