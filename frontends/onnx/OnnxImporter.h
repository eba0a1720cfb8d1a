// The ONNX frontend: an .onnx file becomes a lathe-dialect Model.
#ifndef LATHE_FRONTENDS_ONNX_ONNXIMPORTER_H
#define LATHE_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "frontends/Model.h"

#include "llvm/Support/Error.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
}

namespace lathe {

/// A tensor value handed to the importer (row-major, little-endian).
struct FrozenValue {
  DType dtype = DType::I64;
  std::vector<int64_t> shape;
  std::vector<char> bytes;
};

struct ImportOptions {
  /// Static shapes for inputs, overriding (or fixing symbolic) dimensions of
  /// the model's declared input shapes.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Inputs fixed to a value at compile time: they become constants (so
  /// they may feed shapes, axes or slice bounds) and leave the signature.
  std::map<std::string, FrozenValue> frozenInputs;
  /// The shapes of the tensors of each sequence input, its length their
  /// count: the sequence becomes one input per tensor, NAME[0], NAME[1]...
  /// (a sequence output likewise becomes one output per tensor).
  std::map<std::string, std::vector<std::vector<int64_t>>> sequenceInputs;
  /// Optional inputs compiled without a value: they are empty optionals
  /// (OptionalHasElement is false) and leave the signature. An optional
  /// input not named here holds a value, an input like any other.
  std::set<std::string> absentInputs;
  /// The graph is a model's training form (lathe train, compile --train):
  /// nodes in training mode (Dropout's training_mode, BatchNormalization's)
  /// import as the layer, whose inference entry points use inference
  /// semantics and whose training entry points train. Otherwise such nodes
  /// are refused, since an inference build cannot honour them.
  bool trainingGraph = false;
  /// The most bytes one value computed at compile time may hold (Range,
  /// ConstantOfShape, EyeLike, windows folded from constants): a model
  /// asking for more is refused at the node instead of exhausting memory.
  int64_t maxConstantBytes = int64_t(1) << 30;
  /// The most loop-body copies the import may make in the whole model
  /// (Loop, Scan and SequenceMap are unrolled; a nested loop counts each
  /// inner iteration of each outer one): a model asking for more is refused
  /// at the loop instead of growing without bound.
  int64_t maxUnroll = 16384;
};

/// Converts the ONNX model at |path|. Errors are emitted as diagnostics on
/// |ctx| at the offending node (location: the node's name); every
/// unsupported node is reported before the import starts.
mlir::FailureOr<Model> importOnnx(mlir::MLIRContext &ctx,
                                  const std::string &path,
                                  const ImportOptions &options);

/// One node Lathe cannot compile, and why.
struct UnsupportedNode {
  std::string name;
  std::string opType;
  std::string reason;
};

/// A graph-level description of an ONNX model, read without compiling it.
struct OnnxSummary {
  int64_t opset = 0;
  std::string producer;
  struct Value {
    std::string name;
    std::string dtype;
    std::string shape; ///< e.g. "1x3x224x224", symbolic dims by name.
  };
  std::vector<Value> inputs, outputs;
  std::map<std::string, int64_t> opCounts;
  int64_t numParameters = 0; ///< Initializer tensors.
  int64_t parameterElements = 0;
  int64_t parameterBytes = 0;
  std::vector<UnsupportedNode> unsupported;
};

/// Reads |path| and lists its inputs, outputs, op counts, parameters and
/// every node the importer cannot handle, all at once.
llvm::Expected<OnnxSummary> summarizeOnnx(const std::string &path);

} // namespace lathe

#endif // LATHE_FRONTENDS_ONNX_ONNXIMPORTER_H
