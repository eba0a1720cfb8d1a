// The ONNX importer's internals, shared by the files that hold its op
// handlers by family (Import*.cpp); not part of the frontend's interface.
#ifndef LATHE_FRONTENDS_ONNX_IMPORTER_H
#define LATHE_FRONTENDS_ONNX_IMPORTER_H

#include "frontends/onnx/OnnxImporter.h"

#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/TensorBuilder.h"
#include "frontends/Layers.h"
#include "frontends/ModelBuilder.h"
#include "frontends/onnx/OnnxModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace lathe::onnx_import {

using namespace mlir;
using NodeProto = onnx::NodeProto;

inline const onnx::AttributeProto *findAttr(const NodeProto &node,
                                            StringRef name) {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

inline int64_t intAttr(const NodeProto &node, StringRef name,
                       int64_t fallback) {
  const auto *attr = findAttr(node, name);
  return attr ? attr->i() : fallback;
}

inline float floatAttr(const NodeProto &node, StringRef name, float fallback) {
  const auto *attr = findAttr(node, name);
  return attr ? attr->f() : fallback;
}

inline std::string stringAttr(const NodeProto &node, StringRef name,
                              StringRef fallback) {
  const auto *attr = findAttr(node, name);
  return attr ? attr->s() : fallback.str();
}

inline std::optional<SmallVector<int64_t>> intsAttr(const NodeProto &node,
                                                    StringRef name) {
  const auto *attr = findAttr(node, name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

inline std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "scalar" : s;
}

class Importer;

using Handler = LogicalResult (Importer::*)(const NodeProto &);

struct OpInfo {
  Handler handler;
  std::vector<std::string> attributes; ///< Every attribute the handler reads.
};

/// The domain of ONNX's training operators (optimizer updates).
constexpr const char *kTrainingDomain = "ai.onnx.preview.training";

/// True for the default ONNX domain ("" or "ai.onnx").
bool isDefaultDomain(StringRef domain);
/// The operators of the default domain.
const std::map<std::string, OpInfo> &opTable();
/// The operators of kTrainingDomain (ImportTraining.cpp).
const std::map<std::string, OpInfo> &trainingOpTable();
/// The entry of |node|'s op type in its domain's table; null when none.
const OpInfo *findOp(const NodeProto &node);

/// Why |node| cannot be imported, judged from its domain, op type and
/// attributes alone (|opset|: the model's default-domain opset, 0 when it
/// imports none); empty when it may be.
std::string unsupportedReason(const NodeProto &node, int64_t opset);

/// The node's name, or "<op type>_<index>" for an unnamed one.
std::string nodeName(const NodeProto &node, int index);

/// The model's opset of |domain| (0 when it imports none).
int64_t importedOpset(const onnx::ModelProto &model, StringRef domain);
/// The model's default-domain opset (0 when it declares none).
int64_t defaultOpset(const onnx::ModelProto &model);

class Importer {
public:
  Importer(MLIRContext &ctx, const onnx::ModelProto &model,
           const std::string &path, const ImportOptions &options)
      : ctx(ctx), b(&ctx), model(model), graph(model.graph()), path(path),
        options(options), opset(defaultOpset(model)) {
    modelDir = llvm::sys::path::parent_path(path).str();
  }

  FailureOr<Model> run();
  /// Imports |node| with its domain's handler at |loc|; an unsupported
  /// node is an error there.
  LogicalResult importNode(const NodeProto &node);
  /// "opset N" of |node|'s domain, for diagnostics.
  std::string opsetLabel(const NodeProto &node) const;

  // Op handlers, in the families of the dialect.
  LogicalResult unary(const NodeProto &node);
  LogicalResult binary(const NodeProto &node);
  LogicalResult activation(const NodeProto &node);
  LogicalResult predicate(const NodeProto &node);
  LogicalResult logicalNot(const NodeProto &node);
  LogicalResult where(const NodeProto &node);
  LogicalResult clip(const NodeProto &node);
  LogicalResult variadic(const NodeProto &node);
  LogicalResult gemm(const NodeProto &node);
  LogicalResult matmul(const NodeProto &node);
  LogicalResult reduce(const NodeProto &node);
  LogicalResult argReduce(const NodeProto &node);
  LogicalResult trilu(const NodeProto &node);
  LogicalResult det(const NodeProto &node);
  LogicalResult conv(const NodeProto &node);
  LogicalResult batchNorm(const NodeProto &node);
  LogicalResult convTranspose(const NodeProto &node);
  LogicalResult layerNorm(const NodeProto &node);
  LogicalResult maxPool(const NodeProto &node);
  LogicalResult roiAlign(const NodeProto &node);
  LogicalResult avgPool(const NodeProto &node);
  LogicalResult globalAvgPool(const NodeProto &node);
  LogicalResult lpPool(const NodeProto &node);
  LogicalResult globalLpPool(const NodeProto &node);
  LogicalResult softmax(const NodeProto &node);
  LogicalResult flatten(const NodeProto &node);
  LogicalResult reshape(const NodeProto &node);
  LogicalResult squeeze(const NodeProto &node);
  LogicalResult transpose(const NodeProto &node);
  LogicalResult pad(const NodeProto &node);
  LogicalResult identity(const NodeProto &node);
  LogicalResult dropout(const NodeProto &node);
  LogicalResult constant(const NodeProto &node);
  LogicalResult shape(const NodeProto &node);
  LogicalResult size(const NodeProto &node);
  LogicalResult constantOfShape(const NodeProto &node);
  LogicalResult gather(const NodeProto &node);
  LogicalResult gatherElements(const NodeProto &node);
  LogicalResult compress(const NodeProto &node);
  LogicalResult nonZero(const NodeProto &node);
  LogicalResult reverseSequence(const NodeProto &node);
  /// Gather / GatherElements of run-time data along |axis|.
  LogicalResult gatherAtRunTime(const NodeProto &node, int64_t axis);
  LogicalResult nllLoss(const NodeProto &node);
  LogicalResult recurrent(const NodeProto &node);
  LogicalResult range(const NodeProto &node);
  LogicalResult eyeLike(const NodeProto &node);
  LogicalResult window(const NodeProto &node);
  LogicalResult dft(const NodeProto &node);
  LogicalResult stft(const NodeProto &node);
  LogicalResult melWeightMatrix(const NodeProto &node);
  /// The discrete Fourier transform of the signal |re| + i |im| (|im| null:
  /// real) along |axis|, zero-padded or truncated to |length|, keeping the
  /// first |bins| bins; normalized by 1 / length when |inverse|. Returns the
  /// real and imaginary parts.
  FailureOr<std::pair<Value, Value>> buildDft(const NodeProto &node, Value re,
                                              Value im, int64_t axis,
                                              int64_t length, int64_t bins,
                                              bool inverse);
  /// The real and imaginary parts (the latter null for a real signal) of
  /// |x|, whose last dimension is 1 (real) or 2 (complex).
  FailureOr<std::pair<Value, Value>> complexParts(const NodeProto &node,
                                                  Value x);
  /// Sets output 0 of |node| to buildDft's transform of (|re|, |im|), as
  /// real and imaginary parts stacked along a new last dimension of 2.
  LogicalResult setDftOutput(const NodeProto &node, Value re, Value im,
                             int64_t axis, int64_t length, int64_t bins,
                             bool inverse);
  FailureOr<int64_t> lengthInput(const NodeProto &node, int i, StringRef what,
                                 int64_t fallback);
  LogicalResult cumSum(const NodeProto &node);
  LogicalResult oneHot(const NodeProto &node);
  LogicalResult hardmax(const NodeProto &node);
  LogicalResult tile(const NodeProto &node);
  LogicalResult depthToSpace(const NodeProto &node);
  LogicalResult instanceNorm(const NodeProto &node);
  LogicalResult groupNorm(const NodeProto &node);
  LogicalResult meanVarianceNorm(const NodeProto &node);
  LogicalResult globalMaxPool(const NodeProto &node);
  LogicalResult gelu(const NodeProto &node);
  LogicalResult resize(const NodeProto &node);
  LogicalResult scatter(const NodeProto &node);
  LogicalResult maxUnpool(const NodeProto &node);
  LogicalResult gridSample(const NodeProto &node);
  LogicalResult affineGrid(const NodeProto &node);
  LogicalResult random(const NodeProto &node);
  LogicalResult isSpecial(const NodeProto &node);
  LogicalResult gatherNd(const NodeProto &node);
  LogicalResult topK(const NodeProto &node);
  LogicalResult lrn(const NodeProto &node);
  LogicalResult einsum(const NodeProto &node);
  LogicalResult ifOp(const NodeProto &node);
  /// Imports the initializers and nodes of |graph|, an attribute of |node|
  /// (If's branch, a loop's body), into the current scope.
  LogicalResult importSubgraph(const NodeProto &node,
                               const onnx::GraphProto &graph);
  // Loops, unrolled at compile time (ImportLoop.cpp).
  LogicalResult loop(const NodeProto &node);
  LogicalResult scan(const NodeProto &node);
  /// A value bound to a body graph's input or read from its output: a
  /// compile-time tensor, a run-time one, a sequence (its tensors), or an
  /// empty optional.
  struct Binding {
    Value value;
    std::optional<TensorValue> constant;
    std::optional<std::vector<Value>> sequence;
    bool absent = false; ///< An empty optional.
  };
  /// Imports |body| once with its inputs bound to |inputs|; its names
  /// shadow the enclosing graph's only while it is imported. Returns its
  /// outputs.
  FailureOr<SmallVector<Binding>> importBody(const NodeProto &node,
                                             const onnx::GraphProto &body,
                                             ArrayRef<Binding> inputs);
  /// What the name |name| holds, as a binding; nullopt when nothing does.
  std::optional<Binding> lookupBinding(const std::string &name);
  /// What input |i| of |node| holds; an error names a missing input or one
  /// that no earlier node produces.
  FailureOr<Binding> inputBinding(const NodeProto &node, int i);
  /// Binds |name| to |binding|, in the map its kind belongs to.
  void bind(const std::string &name, Binding binding);
  /// |binding| as a run-time value (a constant op for a compile-time one);
  /// a sequence is an error.
  FailureOr<Value> bindingValue(const NodeProto &node, const Binding &binding);
  /// |parts| (equal shapes) stacked along a new dimension |axis|.
  FailureOr<Value> stackAlong(const NodeProto &node, ArrayRef<Value> parts,
                              int64_t axis);
  // ai.onnx.preview.training (ImportTraining.cpp).
  LogicalResult adagrad(const NodeProto &node);
  LogicalResult momentum(const NodeProto &node);
  LogicalResult adam(const NodeProto &node);
  LogicalResult gradient(const NodeProto &node);
  /// The operands of an optimizer update: the learning rate R and the
  /// update count T (one value each), then |groups| runs of n tensors (X,
  /// G, then the optimizer's state), each shaped and typed as its X.
  struct UpdateOperands {
    Value rate, count;
    SmallVector<SmallVector<Value>> runs; ///< runs[k][i]: tensor i of run k.
  };
  FailureOr<UpdateOperands> updateOperands(const NodeProto &node, int groups);
  /// |axis| in [-rank, rank) made non-negative; an error naming |node|
  /// otherwise.
  FailureOr<int64_t> resolveAxis(const NodeProto &node, int64_t axis,
                                 int64_t rank);
  LogicalResult softmaxCrossEntropy(const NodeProto &node);
  /// NegativeLogLikelihoodLoss on log-probabilities |logp| (shared by
  /// SoftmaxCrossEntropyLoss).
  FailureOr<Value> buildNllLoss(const NodeProto &node, Value logp);
  LogicalResult concat(const NodeProto &node);
  LogicalResult slice(const NodeProto &node);
  LogicalResult split(const NodeProto &node);
  /// |x| cut along |axis| into consecutive pieces of |sizes|.
  FailureOr<SmallVector<Value>> splitPieces(const NodeProto &node, Value x,
                                            int64_t axis,
                                            ArrayRef<int64_t> sizes);
  // Sequences (ImportSequence.cpp): lists of tensors known at compile time.
  LogicalResult sequenceConstruct(const NodeProto &node);
  LogicalResult sequenceInsert(const NodeProto &node);
  LogicalResult sequenceErase(const NodeProto &node);
  LogicalResult sequenceAt(const NodeProto &node);
  LogicalResult sequenceLength(const NodeProto &node);
  LogicalResult splitToSequence(const NodeProto &node);
  LogicalResult concatFromSequence(const NodeProto &node);
  LogicalResult sequenceMap(const NodeProto &node);
  // Optionals: an optional holding a value is that value; an empty one is
  // a name in |absent|.
  LogicalResult optional(const NodeProto &node);
  LogicalResult optionalHasElement(const NodeProto &node);
  LogicalResult optionalGetElement(const NodeProto &node);
  /// Binds output |i| of |node| to whatever the name |from| holds: a tensor
  /// (run-time or compile-time), a sequence or an empty optional.
  LogicalResult forwardValue(const NodeProto &node, const std::string &from,
                             int i);
  /// The sequence at input |i|, or null with an error emitted.
  const std::vector<Value> *sequenceInput(const NodeProto &node, int i);
  /// The compile-time position at input |i| (absent: |fallback|) in
  /// [-|size|, |size| + |extra|), made non-negative.
  FailureOr<int64_t> sequencePosition(const NodeProto &node, int i,
                                      int64_t size, int64_t extra,
                                      int64_t fallback);
  LogicalResult expand(const NodeProto &node);
  // Text featurization (ImportText.cpp).
  LogicalResult tfIdfVectorizer(const NodeProto &node);
  /// The static shape of input |i| (compile-time value or run-time tensor).
  FailureOr<SmallVector<int64_t>> shapeOf(const NodeProto &node, int i);
  /// The ints of an optional compile-time input (or attribute |attr| before
  /// |inputSince|); nullopt when absent.
  FailureOr<std::optional<SmallVector<int64_t>>> intsFrom(const NodeProto &node,
                                                          StringRef attr,
                                                          int index,
                                                          int64_t inputSince);
  LogicalResult castOp(const NodeProto &node);
  LogicalResult castLike(const NodeProto &node);
  LogicalResult mod(const NodeProto &node);
  LogicalResult bitShift(const NodeProto &node);
  LogicalResult quantizeLinear(const NodeProto &node);
  LogicalResult dequantizeLinear(const NodeProto &node);
  LogicalResult dynamicQuantizeLinear(const NodeProto &node);
  LogicalResult matmulInteger(const NodeProto &node);
  LogicalResult convInteger(const NodeProto &node);
  LogicalResult qlinearMatmul(const NodeProto &node);
  LogicalResult qlinearConv(const NodeProto &node);
  /// |x|, input |index| of |node| (8-bit integers), as int32 minus the zero
  /// point at input |zpIndex| (absent: 0), which holds one value or one per
  /// element of |axis| of |x|.
  FailureOr<Value> zeroPointShifted(const NodeProto &node, Value x, int index,
                                    int zpIndex, int64_t axis);
  /// The int32 product of inputs |a| and |b| minus their zero points (a's
  /// per row, b's per column).
  FailureOr<Value> shiftedMatmul(const NodeProto &node, int a, int aZero, int b,
                                 int bZero);
  /// The int32 convolution of inputs |x| and |w| minus their zero points
  /// (x's one value, w's per output channel), plus the int32 bias at input
  /// |bias| (-1: none), with the node's window attributes.
  FailureOr<Value> shiftedConv(const NodeProto &node, int x, int xZero, int w,
                               int wZero, int bias);
  /// A quantized result: saturate(round(|acc| * |scale| / y_scale) + y_zp)
  /// in y_zp's type, with y_scale and y_zp at inputs |yScaleIndex| and
  /// |yScaleIndex| + 1, one value or one per element of |axis|.
  FailureOr<Value> requantize(const NodeProto &node, Value acc, Value scale,
                              int yScaleIndex, int64_t axis);
  /// The float32 scale at input |index| over |result|: one value, or one
  /// per element of its dimension |axis| (negative: one value only).
  FailureOr<Value> productScale(const NodeProto &node, int index,
                                RankedTensorType result, int64_t axis,
                                StringRef what);
  /// A quantization scale or zero point, |what|, over a rank-|rank| tensor:
  /// one value (as a scalar), or one per element of |axis| (|channels| of
  /// them, reshaped to broadcast along it).
  FailureOr<Value> quantParam(const NodeProto &node, Value param, int64_t rank,
                              int64_t axis, int64_t channels, StringRef what);
  LogicalResult quantParams(const NodeProto &node, Value x, Value &scale,
                            Value &zeroPoint);
  /// saturate(round(x / scale) + zeroPoint) as element type |to| (8-bit);
  /// rounds halves to even; |zeroPoint| may be null.
  FailureOr<Value> quantize(const NodeProto &node, Value x, Value scale,
                            Value zeroPoint, Type to);
  /// saturate(round(x) + zeroPoint) as element type |to| (8-bit), halves
  /// to even; |zeroPoint| may be null.
  FailureOr<Value> roundToInteger(const NodeProto &node, Value x,
                                  Value zeroPoint, Type to);
  /// Pow(T, T1) -> T, converting the exponent (or, for an integer base and a
  /// float exponent, computing in float).
  LogicalResult power(const NodeProto &node, Value x, Value e);
  /// A PRelu slope read per channel as opsets before 7 did.
  FailureOr<Value> prelu6Slope(Value x, Value slope);
  /// |x| converted to element type |to| (itself when it already has it).
  FailureOr<Value> castTo(const NodeProto &node, Value x, Type to);
  /// The element type of input |i| without materializing a constant.
  FailureOr<Type> shapeOrTypeSource(const NodeProto &node, int i);
  /// Before opset 7, Add/Sub/Mul/Div/Pow broadcast only with broadcast=1,
  /// aligning |rhs| at |axis| of |lhs| (default: trailing).
  FailureOr<Value> legacyBroadcast(const NodeProto &node, Value lhs, Value rhs);

private:
  InFlightDiagnostic error(const NodeProto &node) {
    return emitError(loc) << node.op_type() << ": ";
  }
  Type mlirType(DType dtype);
  /// The graph inputs (not initializers) whose values |name| is computed
  /// from, in graph order.
  std::vector<std::string> graphInputsFeeding(const std::string &name);
  LogicalResult addInputs();
  /// The argument of tensor input |name| of type |type|.
  LogicalResult addTensorInput(const std::string &name,
                               const onnx::TypeProto::Tensor &type);
  /// The arguments of sequence input |name| of type |type|, one per tensor
  /// of its shapes in --sequence-input; they become the sequence's
  /// elements.
  LogicalResult addSequenceInput(const std::string &name,
                                 const onnx::TypeProto::Sequence &type);
  LogicalResult addOutputs(SmallVectorImpl<ModelBuilder::Output> &outputs);
  /// The ONNX checker's structural rules on |g| and its subgraphs
  /// (ImportChecks.cpp): input and output counts, attribute types and
  /// required attributes from each operator's schema, one producer per
  /// name. Emits an error at the offending node.
  LogicalResult checkStructure(const onnx::GraphProto &g);
  /// The types of |node|'s inputs against its schema's type constraints
  /// (ImportChecks.cpp): each allowed for its parameter, and the inputs of
  /// one type variable of one type. Emits an error at the node.
  LogicalResult checkInputTypes(const NodeProto &node);

  /// Whether |name| is known at compile time, so nodes reading it may fold.
  /// A trainable initializer is not: training changes it.
  bool isConstant(const std::string &name) const {
    return constants.count(name) != 0 && !trainable(name);
  }
  /// A float initializer of a training graph: a parameter the training
  /// steps change, so nothing folds its file value (a tied embedding's
  /// Transpose, a weight's Slice stay run-time ops on the parameter).
  bool trainable(const std::string &name) const {
    auto c = constants.find(name);
    return options.trainingGraph && c != constants.end() &&
           initializerNames.count(name) && isFloatDType(c->second.dtype);
  }
  bool hasInput(const NodeProto &node, int i) const {
    return node.input_size() > i && !node.input(i).empty();
  }
  /// The compile-time value of input |i|, or null with an error emitted.
  const TensorValue *constantInput(const NodeProto &node, int i,
                                   StringRef what);
  /// The run-time value of input |i|: a graph input, a node result, a
  /// parameter (float initializers) or a literal.
  FailureOr<Value> input(const NodeProto &node, int i);
  /// The run-time value of the tensor |name| (as input() reads one), for a
  /// node that names tensors in its attributes.
  FailureOr<Value> valueNamed(const NodeProto &node, const std::string &name);
  Value materialize(const std::string &name, const TensorValue &value);
  /// |value| as an attribute of its shape and element type.
  DenseElementsAttr denseAttr(const TensorValue &value);
  void setOutput(const NodeProto &node, int i, Value value) {
    values[node.output(i)] = value;
  }
  /// Whether a value of |elements| elements of |dtype| that |node| computes
  /// at compile time fits ImportOptions::maxConstantBytes; an error at the
  /// node naming the budget when it does not (or when the count overflows).
  LogicalResult checkFoldedSize(const NodeProto &node, double elements,
                                DType dtype);
  LogicalResult checkFoldedSize(const NodeProto &node, ArrayRef<int64_t> shape,
                                DType dtype);
  void setConstant(const NodeProto &node, int i, TensorValue value) {
    constants[node.output(i)] = std::move(value);
  }
  /// Input |i|, or a null Value when the node leaves it out.
  FailureOr<Value> optionalInput(const NodeProto &node, int i) {
    if (!hasInput(node, i))
      return Value();
    return input(node, i);
  }
  /// The operands of Conv and ConvTranspose: input, weight (same rank, 1-D
  /// or 2-D), optional bias, and the kernel size checked against
  /// kernel_shape.
  struct ConvOperands {
    Value input, weight, bias;
    RankedTensorType inputType;
    SmallVector<int64_t> kernel;
    int64_t spatial;
  };
  /// |xIndex|, |wIndex| and |biasIndex| say which node inputs they are
  /// (|biasIndex| -1: none).
  FailureOr<ConvOperands> convOperands(const NodeProto &node, StringRef what,
                                       int xIndex = 0, int wIndex = 1,
                                       int biasIndex = 2);
  /// The N-D convolution of |ops| with the node's strides, dilations, pads
  /// and group (1-D runs as 2-D over unit height).
  FailureOr<Value> buildConv(const NodeProto &node, const ConvOperands &ops);
  /// strides and dilations (default 1), one per spatial dimension.
  LogicalResult windowStrides(const NodeProto &node, size_t n,
                              SmallVectorImpl<int64_t> &strides,
                              SmallVectorImpl<int64_t> &dilations);
  /// strides, dilations (default 1) and pads (explicit or auto_pad) of a
  /// window op with |kernel|, checked to have one entry per spatial dim.
  LogicalResult windowAttrs(const NodeProto &node, RankedTensorType in,
                            ArrayRef<int64_t> kernel,
                            SmallVectorImpl<int64_t> &strides,
                            SmallVectorImpl<int64_t> &dilations,
                            SmallVectorImpl<int64_t> &pads);
  /// The window of a pooling node over input |in|: kernel_shape (1-D to
  /// 3-D, one entry per spatial dimension), strides, dilations, pads and
  /// ceil_mode; |what| names it in errors.
  LogicalResult poolWindow(const NodeProto &node, RankedTensorType in,
                           StringRef what, layers::Window &window);
  /// Resolves pads / auto_pad of a window op for input |in|.
  LogicalResult windowPads(const NodeProto &node, RankedTensorType in,
                           ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations,
                           SmallVectorImpl<int64_t> &pads);
  /// Builds an op whose result type is inferred; a shape error becomes a
  /// diagnostic at the node instead of an abort inside the builder.
  template <typename OpTy, typename... Args>
  FailureOr<Value> build(const NodeProto &node, Args &&...args) {
    auto op = buildOp<OpTy>(1, std::forward<Args>(args)...);
    if (failed(op))
      return failure();
    return (*op)->getResult(0);
  }
  /// Builds |OpTy| with |results| results whose types it infers from the
  /// operands and attributes; a failed inference is a diagnostic at the
  /// node, not an abort.
  template <typename OpTy, typename... Args>
  FailureOr<Operation *> buildOp(unsigned results, Args &&...args) {
    return createVerified<OpTy>(b, loc, results, std::forward<Args>(args)...);
  }
  /// Verifies a freshly built op (erased on failure); its first result.
  FailureOr<Value> finish(Operation *op) {
    auto verified = verifiedOrErased(op);
    if (failed(verified))
      return failure();
    return (*verified)->getResult(0);
  }
  /// A rank-0 constant of element type |elt|, float or integer (|v|
  /// truncated), to broadcast in a binary op.
  Value scalarConstant(Type elt, double v) {
    Attribute value = isa<IntegerType>(elt)
                          ? Attribute(b.getIntegerAttr(elt, int64_t(v)))
                          : Attribute(b.getFloatAttr(elt, v));
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get({}, elt), value));
  }
  FailureOr<Value> buildReshape(Value v, ArrayRef<int64_t> shape) {
    return reshapeVerified(b, loc, v, shape);
  }

  MLIRContext &ctx;
  OpBuilder b;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  std::string path, modelDir;
  const ImportOptions &options;
  /// Loop-body copies made so far (importBody), against options.maxUnroll.
  int64_t unrolledBodies = 0;
  int64_t opset;
  Location loc = UnknownLoc::get(&ctx);
  /// @forward, its inputs and parameters (created by run()).
  std::optional<ModelBuilder> forwardBuilder;
  func::FuncOp func;
  std::map<std::string, Value> values;
  std::map<std::string, TensorValue> constants;
  /// Sequence values by name: their length and elements are known at
  /// compile time (positions are compile-time inputs).
  std::map<std::string, std::vector<Value>> sequences;
  /// The names bound to empty optionals.
  std::set<std::string> absent;
  std::set<std::string> initializerNames;
};

} // namespace lathe::onnx_import

#endif // LATHE_FRONTENDS_ONNX_IMPORTER_H
