// The ONNX frontend: an .onnx file becomes a lathe-dialect Model.
#include "frontends/onnx/OnnxImporter.h"

#include "dialects/lathe/LatheDialect.h"
#include "frontends/onnx/OnnxModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>

using namespace mlir;

namespace lathe {
namespace {

using NodeProto = onnx::NodeProto;

//===----------------------------------------------------------------------===//
// Attribute access
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *findAttr(const NodeProto &node, StringRef name) {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t intAttr(const NodeProto &node, StringRef name, int64_t fallback) {
  const auto *attr = findAttr(node, name);
  return attr ? attr->i() : fallback;
}

float floatAttr(const NodeProto &node, StringRef name, float fallback) {
  const auto *attr = findAttr(node, name);
  return attr ? attr->f() : fallback;
}

std::string stringAttr(const NodeProto &node, StringRef name,
                       StringRef fallback) {
  const auto *attr = findAttr(node, name);
  return attr ? attr->s() : fallback.str();
}

std::optional<SmallVector<int64_t>> intsAttr(const NodeProto &node,
                                             StringRef name) {
  const auto *attr = findAttr(node, name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "scalar" : s;
}

//===----------------------------------------------------------------------===//
// The table of supported ops
//===----------------------------------------------------------------------===//

class Importer;
using Handler = LogicalResult (Importer::*)(const NodeProto &);

struct OpInfo {
  Handler handler;
  std::vector<std::string> attributes; ///< Every attribute the handler reads.
};

const std::map<std::string, OpInfo> &opTable();

/// Why |node| cannot be imported, judged from its op type and attributes
/// alone; empty when it may be.
std::string unsupportedReason(const NodeProto &node) {
  const auto &table = opTable();
  auto it = table.find(node.op_type());
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return "operator domain '" + node.domain() + "' is not supported";
  if (it == table.end())
    return "operator " + node.op_type() + " is not supported";
  for (const auto &attr : node.attribute())
    if (std::find(it->second.attributes.begin(), it->second.attributes.end(),
                  attr.name()) == it->second.attributes.end())
      return "attribute '" + attr.name() + "' of " + node.op_type() +
             " is not supported";
  return "";
}

std::string nodeName(const NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

int64_t defaultOpset(const onnx::ModelProto &model) {
  for (const auto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      return entry.version();
  return 0;
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

class Importer {
public:
  Importer(MLIRContext &ctx, const onnx::ModelProto &model,
           const std::string &path, const ImportOptions &options)
      : ctx(ctx), b(&ctx), model(model), graph(model.graph()), path(path),
        options(options), opset(defaultOpset(model)) {
    modelDir = llvm::sys::path::parent_path(path).str();
  }

  FailureOr<Model> run();

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
  LogicalResult conv(const NodeProto &node);
  LogicalResult batchNorm(const NodeProto &node);
  LogicalResult convTranspose(const NodeProto &node);
  LogicalResult layerNorm(const NodeProto &node);
  LogicalResult maxPool(const NodeProto &node);
  LogicalResult avgPool(const NodeProto &node);
  LogicalResult globalAvgPool(const NodeProto &node);
  LogicalResult softmax(const NodeProto &node);
  LogicalResult flatten(const NodeProto &node);
  LogicalResult reshape(const NodeProto &node);
  LogicalResult squeeze(const NodeProto &node);
  LogicalResult transpose(const NodeProto &node);
  LogicalResult pad(const NodeProto &node);
  LogicalResult identity(const NodeProto &node);
  LogicalResult constant(const NodeProto &node);
  LogicalResult shape(const NodeProto &node);
  LogicalResult size(const NodeProto &node);
  LogicalResult constantOfShape(const NodeProto &node);
  LogicalResult gather(const NodeProto &node);
  LogicalResult gatherElements(const NodeProto &node);
  /// Gather / GatherElements of run-time data along |axis|.
  LogicalResult gatherAtRunTime(const NodeProto &node, int64_t axis);
  LogicalResult nllLoss(const NodeProto &node);
  LogicalResult recurrent(const NodeProto &node);
  LogicalResult range(const NodeProto &node);
  LogicalResult eyeLike(const NodeProto &node);
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
  LogicalResult ifOp(const NodeProto &node);
  /// group_norm of |x| with per-channel |scale| and |bias| (epsilon from the
  /// node); its first result.
  FailureOr<Value> finishGroupNorm(const NodeProto &node, Value x, Value scale,
                                   Value bias, int64_t groups);
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
  LogicalResult expand(const NodeProto &node);
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
  LogicalResult addInputs();
  LogicalResult addOutputs(SmallVectorImpl<Value> &results,
                           SmallVectorImpl<Attribute> &resultAttrs);

  bool isConstant(const std::string &name) const {
    return constants.count(name) != 0;
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
  Value materialize(const std::string &name, const TensorValue &value);
  void setOutput(const NodeProto &node, int i, Value value) {
    values[node.output(i)] = value;
  }
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
  FailureOr<ConvOperands> convOperands(const NodeProto &node, StringRef what);
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
  /// N x C x L viewed as N x C x 1 x L (1-D window ops run as 2-D ones).
  FailureOr<Value> liftTo2d(Value v) {
    auto shape =
        SmallVector<int64_t>(cast<RankedTensorType>(v.getType()).getShape());
    shape.insert(shape.begin() + 2, 1);
    return buildReshape(v, shape);
  }
  /// The 2-D window attributes of a 1-D one: unit height, no height pads.
  static void lift1dWindow(SmallVectorImpl<int64_t> &strides,
                           SmallVectorImpl<int64_t> &dilations,
                           SmallVectorImpl<int64_t> &pads) {
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
    pads.assign({0, pads[0], 0, pads[1]});
  }
  /// Sets output 0 to |y|, dropping the unit height of a lifted 1-D op.
  LogicalResult setWindowOutput(const NodeProto &node, Value y,
                                int64_t spatial) {
    if (spatial == 1) {
      auto shape =
          SmallVector<int64_t>(cast<RankedTensorType>(y.getType()).getShape());
      shape.erase(shape.begin() + 2);
      auto flat = buildReshape(y, shape);
      if (failed(flat))
        return failure();
      y = *flat;
    }
    setOutput(node, 0, y);
    return success();
  }
  /// Resolves pads / auto_pad of a window op for input |in|.
  LogicalResult windowPads(const NodeProto &node, RankedTensorType in,
                           ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations,
                           SmallVectorImpl<int64_t> &pads);
  /// Builds an op whose result type is inferred; a shape error becomes a
  /// diagnostic at the node instead of an abort inside the builder.
  template <typename OpTy, typename... Args>
  FailureOr<Value> build(const NodeProto &node, Args &&...args) {
    auto op =
        OpTy::create(b, loc, NoneType::get(&ctx), std::forward<Args>(args)...);
    SmallVector<Type> types;
    if (failed(OpTy::inferReturnTypes(
            &ctx, loc, op->getOperands(), op->getRawDictionaryAttrs(),
            op->getPropertiesStorage(), op->getRegions(), types))) {
      op->erase();
      return failure();
    }
    op->getResult(0).setType(types[0]);
    return finish(op);
  }
  /// Verifies a freshly built op; erases it on failure.
  FailureOr<Value> finish(Operation *op) {
    if (failed(verify(op))) {
      op->erase();
      return failure();
    }
    return op->getResult(0);
  }
  FailureOr<Value> buildReshape(Value v, ArrayRef<int64_t> shape) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getShape() == shape)
      return v;
    return finish(ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v));
  }

  MLIRContext &ctx;
  OpBuilder b;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  std::string path, modelDir;
  const ImportOptions &options;
  int64_t opset;
  Location loc = UnknownLoc::get(&ctx);
  func::FuncOp func;
  std::map<std::string, Value> values;
  std::map<std::string, TensorValue> constants;
  std::set<std::string> initializerNames;
  std::vector<Parameter> params;
};

Type Importer::mlirType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return b.getF32Type();
  case DType::F64:
    return b.getF64Type();
  case DType::I32:
    return b.getI32Type();
  case DType::I64:
    return b.getI64Type();
  case DType::I8:
    return b.getIntegerType(8);
  case DType::U8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case DType::Bool:
    return b.getI1Type();
  }
  return {};
}

const TensorValue *Importer::constantInput(const NodeProto &node, int i,
                                           StringRef what) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i << " (" << what << ")";
    return nullptr;
  }
  auto it = constants.find(node.input(i));
  if (it == constants.end()) {
    error(node) << "input '" << node.input(i) << "' (" << what
                << ") must be known at compile time (an initializer or a "
                   "Constant)";
    return nullptr;
  }
  return &it->second;
}

Value Importer::materialize(const std::string &name, const TensorValue &value) {
  auto type = RankedTensorType::get(value.shape, mlirType(value.dtype));
  bool isFloat = value.dtype == DType::F32 || value.dtype == DType::F64;
  if (isFloat && initializerNames.count(name)) {
    // A trainable value: a named parameter of the entry function.
    Block &body = func.getBody().front();
    Value arg = body.addArgument(type, UnknownLoc::get(&ctx));
    params.push_back({name, value.dtype, value.shape, value.bytes});
    values[name] = arg;
    return arg;
  }
  DenseElementsAttr attr;
  if (value.dtype == DType::Bool) {
    // Booleans are one byte each in ONNX, bit-packed in MLIR's raw form.
    SmallVector<bool> bits;
    for (char byte : value.bytes)
      bits.push_back(byte != 0);
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  } else {
    attr = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(value.bytes.data(), value.bytes.size()));
  }
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  Value c = ConstantOp::create(b, NameLoc::get(b.getStringAttr(name)), attr);
  values[name] = c;
  return c;
}

FailureOr<Value> Importer::input(const NodeProto &node, int i) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i;
    return failure();
  }
  const std::string &name = node.input(i);
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto c = constants.find(name);
  if (c != constants.end())
    return materialize(name, c->second);
  error(node) << "input '" << name << "' is not produced by any earlier node";
  return failure();
}

LogicalResult Importer::addInputs() {
  Block &body = func.getBody().front();
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()) ||
        options.frozenInputs.count(in.name()))
      continue; // Older exporters list initializers as inputs too.
    Location inLoc = NameLoc::get(b.getStringAttr(in.name()));
    if (!in.type().has_tensor_type())
      return emitError(inLoc) << "input '" << in.name() << "' is not a tensor";
    const auto &tt = in.type().tensor_type();
    auto dtype = dtypeFromOnnx(tt.elem_type());
    if (!dtype)
      return emitError(inLoc) << "input '" << in.name()
                              << "': " << llvm::toString(dtype.takeError());
    SmallVector<int64_t> shape;
    auto override = options.inputShapes.find(in.name());
    if (override != options.inputShapes.end()) {
      shape.assign(override->second.begin(), override->second.end());
      if (tt.has_shape() && tt.shape().dim_size() != int(shape.size()))
        return emitError(inLoc)
               << "--input-shape " << in.name() << " gives rank "
               << shape.size() << " but the model declares rank "
               << tt.shape().dim_size();
    } else {
      if (!tt.has_shape())
        return emitError(inLoc)
               << "input '" << in.name()
               << "' has no declared shape; pass --input-shape " << in.name()
               << "=<d0>x<d1>...";
      for (const auto &dim : tt.shape().dim()) {
        if (!dim.has_dim_value() || dim.dim_value() <= 0)
          return emitError(inLoc)
                 << "input '" << in.name() << "' has symbolic dimension '"
                 << (dim.has_dim_param() ? dim.dim_param() : "?")
                 << "'; pass --input-shape " << in.name()
                 << "=<d0>x<d1>... to fix it";
        shape.push_back(dim.dim_value());
      }
    }
    Value arg =
        body.addArgument(RankedTensorType::get(shape, mlirType(*dtype)), inLoc);
    values[in.name()] = arg;
  }
  for (const auto &[name, value] : options.frozenInputs) {
    bool found = false;
    for (const auto &in : graph.input())
      found |= in.name() == name && !initializerNames.count(name);
    if (!found)
      return emitError(UnknownLoc::get(&ctx))
             << "--freeze-input names '" << name
             << "', which is not an input of the model";
    TensorValue v;
    v.dtype = value.dtype;
    v.shape = value.shape;
    v.bytes = value.bytes;
    if (size_t(v.numElements()) * dtypeSize(v.dtype) != v.bytes.size())
      return emitError(UnknownLoc::get(&ctx)) << "--freeze-input " << name
                                              << ": the value's size does not "
                                                 "match its shape";
    constants[name] = std::move(v);
  }
  for (const auto &[name, shape] : options.inputShapes) {
    bool found = false;
    for (const auto &in : graph.input())
      found |= in.name() == name && !initializerNames.count(name);
    if (!found)
      return emitError(UnknownLoc::get(&ctx))
             << "--input-shape names '" << name
             << "', which is not an input of the model";
  }
  return success();
}

LogicalResult Importer::addOutputs(SmallVectorImpl<Value> &results,
                                   SmallVectorImpl<Attribute> &resultAttrs) {
  for (const auto &out : graph.output()) {
    Value v;
    auto it = values.find(out.name());
    if (it != values.end())
      v = it->second;
    else if (isConstant(out.name()))
      v = materialize(out.name(), constants[out.name()]);
    if (!v)
      return emitError(NameLoc::get(b.getStringAttr(out.name())))
             << "output '" << out.name() << "' is not produced by any node";
    results.push_back(v);
    resultAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kOutputAttr, b.getStringAttr(out.name()))));
  }
  return success();
}

FailureOr<Model> Importer::run() {
  // Every unsupported node at once, before anything is built.
  bool unsupported = false;
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto &node = graph.node(i);
    std::string reason = unsupportedReason(node);
    if (!reason.empty()) {
      emitError(NameLoc::get(b.getStringAttr(nodeName(node, i))))
          << reason << " (opset " << opset << ")";
      unsupported = true;
    }
  }
  if (unsupported)
    return failure();

  for (const auto &init : graph.initializer()) {
    initializerNames.insert(init.name());
    auto value = decodeTensor(init, modelDir);
    if (!value)
      return emitError(NameLoc::get(b.getStringAttr(init.name())))
             << llvm::toString(value.takeError());
    constants[init.name()] = std::move(*value);
  }

  Model result;
  result.module = ModuleOp::create(FileLineColLoc::get(&ctx, path, 0, 0));
  b.setInsertionPointToEnd(result.module->getBody());
  func = func::FuncOp::create(b, result.module->getLoc(), "forward",
                              b.getFunctionType({}, {}));
  Block *body = func.addEntryBlock();
  if (failed(addInputs()))
    return failure();

  b.setInsertionPointToEnd(body);
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto &node = graph.node(i);
    loc = NameLoc::get(b.getStringAttr(nodeName(node, i)));
    Handler handler = opTable().at(node.op_type()).handler;
    if (failed((this->*handler)(node)))
      return failure();
  }
  loc = UnknownLoc::get(&ctx);

  SmallVector<Value> results;
  SmallVector<Attribute> resultAttrs;
  if (failed(addOutputs(results, resultAttrs)))
    return failure();
  func::ReturnOp::create(b, result.module->getLoc(), results);
  // Buffers cross the artifact boundary as bare pointers: an empty one
  // cannot (yet).
  for (auto [i, type] : llvm::enumerate(ValueRange(results).getTypes()))
    if (cast<RankedTensorType>(type).getNumElements() == 0)
      return emitError(NameLoc::get(b.getStringAttr(graph.output(i).name())))
             << "output '" << graph.output(i).name()
             << "' has no elements (shape "
             << shapeString(cast<RankedTensorType>(type).getShape())
             << "); zero-size inputs and outputs are not supported yet";
  for (BlockArgument arg : body->getArguments())
    if (cast<RankedTensorType>(arg.getType()).getNumElements() == 0)
      return emitError(arg.getLoc())
             << "an input or parameter has no elements; zero-size inputs "
                "and outputs are not supported yet";

  func.setFunctionType(b.getFunctionType(body->getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  SmallVector<Attribute> argAttrs;
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()) ||
        options.frozenInputs.count(in.name()))
      continue;
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kInputAttr, b.getStringAttr(in.name()))));
  }
  for (const Parameter &p : params)
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kParamAttr, b.getStringAttr(p.name))));
  func.setAllArgAttrs(argAttrs);
  func.setAllResultAttrs(resultAttrs);
  if (failed(verify(*result.module)))
    return failure();
  result.params = std::move(params);
  return result;
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

LogicalResult Importer::unary(const NodeProto &node) {
  const std::string &opType = node.op_type();
  if ((opType == "Neg" || opType == "Abs") && hasInput(node, 0) &&
      isConstant(node.input(0))) {
    // Shape arithmetic on int64 compile-time values stays compile-time.
    const TensorValue &v = constants[node.input(0)];
    if (v.dtype == DType::I64) {
      TensorValue out = v;
      for (int64_t i = 0; i < v.numElements(); ++i) {
        int64_t r = opType == "Neg" ? -v.intAt(i) : std::abs(v.intAt(i));
        std::memcpy(out.bytes.data() + i * 8, &r, 8);
      }
      setConstant(node, 0, std::move(out));
      return success();
    }
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  static const std::map<std::string,
                        std::function<Value(OpBuilder &, Location, Value)>>
      builders = {
          {"Relu",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ReluOp::create(b, l, v);
           }},
          {"Sigmoid",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SigmoidOp::create(b, l, v);
           }},
          {"Tanh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return TanhOp::create(b, l, v);
           }},
          {"Exp",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ExpOp::create(b, l, v);
           }},
          {"Log",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return LogOp::create(b, l, v);
           }},
          {"Sqrt",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SqrtOp::create(b, l, v);
           }},
          {"Neg",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return NegOp::create(b, l, v);
           }},
          {"Abs",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AbsOp::create(b, l, v);
           }},
          {"Reciprocal",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ReciprocalOp::create(b, l, v);
           }},
          {"Floor",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return FloorOp::create(b, l, v);
           }},
          {"Ceil",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return CeilOp::create(b, l, v);
           }},
          {"Round",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return RoundOp::create(b, l, v);
           }},
          {"Sign",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SignOp::create(b, l, v);
           }},
          {"Erf",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return ErfOp::create(b, l, v);
           }},
          {"Sin",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SinOp::create(b, l, v);
           }},
          {"Cos",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return CosOp::create(b, l, v);
           }},
          {"Tan",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return TanOp::create(b, l, v);
           }},
          {"Asin",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AsinOp::create(b, l, v);
           }},
          {"Acos",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AcosOp::create(b, l, v);
           }},
          {"Atan",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AtanOp::create(b, l, v);
           }},
          {"Sinh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SinhOp::create(b, l, v);
           }},
          {"Cosh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return CoshOp::create(b, l, v);
           }},
          {"Asinh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AsinhOp::create(b, l, v);
           }},
          {"Acosh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AcoshOp::create(b, l, v);
           }},
          {"Atanh",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return AtanhOp::create(b, l, v);
           }},
          {"Softplus",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SoftplusOp::create(b, l, v);
           }},
          {"Softsign",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return SoftsignOp::create(b, l, v);
           }},
          {"HardSwish",
           [](OpBuilder &b, Location l, Value v) -> Value {
             return HardSwishOp::create(b, l, v);
           }},
      };
  const std::string &op = node.op_type();
  bool integerOk = op == "Neg" || op == "Abs" || op == "Sign" || op == "Relu";
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  if (!isa<FloatType>(elt) &&
      !(integerOk && elt.isSignlessInteger() && !elt.isInteger(1)))
    return error(node) << "expected a floating-point"
                       << (integerOk ? " or signed integer" : "") << " input";
  auto y = finish(builders.at(op)(b, loc, *x).getDefiningOp());
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Integer arithmetic on compile-time values (shape computations).
static TensorValue foldBinary(const std::string &opType, const TensorValue &a,
                              const TensorValue &c) {
  TensorValue out;
  out.dtype = DType::I64;
  const TensorValue &big = a.numElements() >= c.numElements() ? a : c;
  out.shape = big.shape;
  int64_t n = out.numElements();
  out.bytes.resize(n * 8);
  for (int64_t i = 0; i < n; ++i) {
    int64_t x = a.intAt(a.numElements() == 1 ? 0 : i);
    int64_t y = c.intAt(c.numElements() == 1 ? 0 : i);
    int64_t r = opType == "Add"   ? x + y
                : opType == "Sub" ? x - y
                : opType == "Mul" ? x * y
                                  : (y == 0 ? 0 : x / y);
    std::memcpy(out.bytes.data() + i * 8, &r, 8);
  }
  return out;
}

LogicalResult Importer::binary(const NodeProto &node) {
  const std::string &opType = node.op_type();
  bool foldable =
      opType == "Add" || opType == "Sub" || opType == "Mul" || opType == "Div";
  if (foldable && isConstant(node.input(0)) && isConstant(node.input(1))) {
    const TensorValue &x = constants[node.input(0)],
                      &y = constants[node.input(1)];
    bool integral = x.dtype == DType::I64 || x.dtype == DType::I32;
    bool simple = x.numElements() == y.numElements() || x.numElements() == 1 ||
                  y.numElements() == 1;
    if (integral && x.dtype == y.dtype && simple) {
      setConstant(node, 0, foldBinary(node.op_type(), x, y));
      return success();
    }
  }
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  rhs = legacyBroadcast(node, *lhs, *rhs);
  if (failed(rhs))
    return failure();
  const std::string &op = opType;
  if (op == "Pow")
    return power(node, *lhs, *rhs);
  FailureOr<Value> y;
  if (op == "Add")
    y = build<AddOp>(node, *lhs, *rhs);
  else if (op == "Sub")
    y = build<SubOp>(node, *lhs, *rhs);
  else if (op == "Mul")
    y = build<MulOp>(node, *lhs, *rhs);
  else if (op == "Div")
    y = build<DivOp>(node, *lhs, *rhs);
  else if (auto slope = prelu6Slope(*lhs, *rhs); succeeded(slope))
    y = build<PReluOp>(node, *lhs, *slope);
  else
    return failure();
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

FailureOr<Value> Importer::legacyBroadcast(const NodeProto &node, Value lhs,
                                           Value rhs) {
  if (opset >= 7 || !intAttr(node, "broadcast", 0))
    return rhs;
  auto a = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  int64_t axis = intAttr(node, "axis", a.getRank() - r.getRank());
  if (axis < 0)
    axis += a.getRank();
  if (axis < 0 || axis + r.getRank() > a.getRank()) {
    error(node) << "broadcast axis " << axis << " does not fit operand shapes "
                << shapeString(a.getShape()) << " and "
                << shapeString(r.getShape());
    return failure();
  }
  SmallVector<int64_t> shape(r.getShape());
  shape.append(a.getRank() - axis - r.getRank(), 1);
  return buildReshape(rhs, shape);
}

FailureOr<Value> Importer::prelu6Slope(Value x, Value slope) {
  // Before opset 7 a rank-1 slope holds one value per channel (dimension 1).
  auto xt = cast<RankedTensorType>(x.getType());
  auto st = cast<RankedTensorType>(slope.getType());
  if (opset >= 7 || st.getRank() != 1 || xt.getRank() < 3 ||
      st.getDimSize(0) != xt.getDimSize(1))
    return slope;
  SmallVector<int64_t> shape(xt.getRank() - 1, 1);
  shape[0] = st.getDimSize(0);
  return buildReshape(slope, shape);
}

LogicalResult Importer::power(const NodeProto &node, Value x, Value e) {
  // Pow(T, T1) -> T: a float exponent of an integer base is applied in
  // float, then truncated back (as NumPy's power(...).astype(T)).
  Type base = cast<RankedTensorType>(x.getType()).getElementType();
  Type exp = cast<RankedTensorType>(e.getType()).getElementType();
  Value xv = x;
  bool viaFloat = isa<IntegerType>(base) && isa<FloatType>(exp);
  auto xc = castTo(node, x, viaFloat ? exp : base);
  auto ec = castTo(node, e, viaFloat ? exp : base);
  if (failed(xc) || failed(ec))
    return failure();
  xv = *xc;
  auto y = build<PowOp>(node, xv, *ec);
  if (failed(y))
    return failure();
  if (viaFloat) {
    y = castTo(node, *y, base);
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::mod(const NodeProto &node) {
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  bool fmod = intAttr(node, "fmod", 0) != 0;
  if (!fmod &&
      isa<FloatType>(cast<RankedTensorType>(lhs->getType()).getElementType()))
    return error(node) << "fmod=0 is defined for integer inputs only";
  auto y = build<ModOp>(node, *lhs, *rhs, fmod);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

/// Index |i| of an operand with |n| elements in an element-wise op over
/// |total| elements (equal sizes, or a single broadcast element).
static int64_t foldIndex(int64_t n, int64_t i) { return n == 1 ? 0 : i; }

/// True when every value has |total| elements or one.
static bool foldable(ArrayRef<const TensorValue *> values, int64_t &total) {
  total = 1;
  for (const TensorValue *v : values)
    total = std::max(total, v->numElements());
  return llvm::all_of(values, [&](const TensorValue *v) {
    return v->numElements() == total || v->numElements() == 1;
  });
}

LogicalResult Importer::predicate(const NodeProto &node) {
  // Comparisons of int64 compile-time values (shape arithmetic) fold.
  if (node.op_type() == "Equal" && isConstant(node.input(0)) &&
      isConstant(node.input(1))) {
    const TensorValue &a = constants[node.input(0)],
                      &c = constants[node.input(1)];
    int64_t total;
    if (a.dtype == DType::I64 && c.dtype == DType::I64 &&
        foldable({&a, &c}, total)) {
      TensorValue out;
      out.dtype = DType::Bool;
      out.shape = (a.numElements() >= c.numElements() ? a : c).shape;
      for (int64_t i = 0; i < total; ++i)
        out.bytes.push_back(a.intAt(foldIndex(a.numElements(), i)) ==
                            c.intAt(foldIndex(c.numElements(), i)));
      setConstant(node, 0, std::move(out));
      return success();
    }
  }
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  const std::string &op = node.op_type();
  FailureOr<Value> y =
      op == "Equal"            ? build<EqualOp>(node, *lhs, *rhs)
      : op == "Greater"        ? build<GreaterOp>(node, *lhs, *rhs)
      : op == "GreaterOrEqual" ? build<GreaterEqualOp>(node, *lhs, *rhs)
      : op == "Less"           ? build<LessOp>(node, *lhs, *rhs)
      : op == "LessOrEqual"    ? build<LessEqualOp>(node, *lhs, *rhs)
      : op == "And"            ? build<AndOp>(node, *lhs, *rhs)
      : op == "Or"             ? build<OrOp>(node, *lhs, *rhs)
                               : build<XorOp>(node, *lhs, *rhs);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::logicalNot(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = finish(NotOp::create(b, loc, x->getType(), *x));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::where(const NodeProto &node) {
  if (isConstant(node.input(0)) && isConstant(node.input(1)) &&
      isConstant(node.input(2))) {
    const TensorValue &c = constants[node.input(0)],
                      &x = constants[node.input(1)],
                      &y = constants[node.input(2)];
    int64_t total;
    if (x.dtype == y.dtype && foldable({&c, &x, &y}, total)) {
      TensorValue out;
      out.dtype = x.dtype;
      for (const TensorValue *v : {&c, &x, &y})
        if (v->numElements() == total)
          out.shape = v->shape;
      size_t elt = dtypeSize(x.dtype);
      for (int64_t i = 0; i < total; ++i) {
        const TensorValue &from =
            c.intAt(foldIndex(c.numElements(), i)) ? x : y;
        const char *src =
            from.bytes.data() + foldIndex(from.numElements(), i) * elt;
        out.bytes.insert(out.bytes.end(), src, src + elt);
      }
      setConstant(node, 0, std::move(out));
      return success();
    }
  }
  auto c = input(node, 0), lhs = input(node, 1), rhs = input(node, 2);
  if (failed(c) || failed(lhs) || failed(rhs))
    return failure();
  auto y = build<WhereOp>(node, *c, *lhs, *rhs);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::activation(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType()))
    return error(node) << "expected a floating-point input";
  const std::string &op = node.op_type();
  auto f = [&](StringRef name, float fallback) {
    return b.getF32FloatAttr(floatAttr(node, name, fallback));
  };
  Type t = x->getType();
  Operation *made;
  if (op == "Elu")
    made = EluOp::create(b, loc, t, *x, f("alpha", 1.0f));
  else if (op == "Selu")
    made = SeluOp::create(b, loc, t, *x, f("alpha", 1.67326319217681884765625f),
                          f("gamma", 1.05070102214813232421875f));
  else if (op == "Celu")
    made = CeluOp::create(b, loc, t, *x, f("alpha", 1.0f));
  else if (op == "LeakyRelu")
    made = LeakyReluOp::create(b, loc, t, *x, f("alpha", 0.01f));
  else if (op == "HardSigmoid")
    made =
        HardSigmoidOp::create(b, loc, t, *x, f("alpha", 0.2f), f("beta", 0.5f));
  else if (op == "ThresholdedRelu")
    made = ThresholdedReluOp::create(b, loc, t, *x, f("alpha", 1.0f));
  else
    made = ShrinkOp::create(b, loc, t, *x, f("bias", 0.0f), f("lambd", 0.5f));
  auto y = finish(made);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::clip(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  FloatAttr lo, hi;
  if (opset < 11) {
    if (const auto *a = findAttr(node, "min"))
      lo = b.getF64FloatAttr(a->f());
    if (const auto *a = findAttr(node, "max"))
      hi = b.getF64FloatAttr(a->f());
  } else {
    for (int i : {1, 2}) {
      if (!hasInput(node, i) || !isConstant(node.input(i)))
        continue;
      const TensorValue &v = constants[node.input(i)];
      if (v.numElements() != 1)
        return error(node) << (i == 1 ? "min" : "max") << " must be a scalar";
      (i == 1 ? lo : hi) = b.getF64FloatAttr(
          isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType())
              ? v.floatAt(0)
              : double(v.intAt(0)));
    }
  }
  auto y = finish(ClipOp::create(b, loc, x->getType(), *x, lo, hi));
  if (failed(y))
    return failure();
  // Bounds known only at run time: max(x, min), then min(., max).
  for (int i : {1, 2}) {
    if (opset < 11 || !hasInput(node, i) || isConstant(node.input(i)))
      continue;
    auto bound = input(node, i);
    if (failed(bound))
      return failure();
    if (cast<RankedTensorType>(bound->getType()).getNumElements() != 1)
      return error(node) << (i == 1 ? "min" : "max") << " must be a scalar";
    y = i == 1 ? build<MaxOp>(node, *y, *bound)
               : build<MinOp>(node, *y, *bound);
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::variadic(const NodeProto &node) {
  // Max, Min, Sum, Mean: a left fold of broadcasting binary ops.
  const std::string &op = node.op_type();
  auto acc = input(node, 0);
  if (failed(acc))
    return failure();
  Value y = *acc;
  for (int i = 1; i < node.input_size(); ++i) {
    auto next = input(node, i);
    if (failed(next))
      return failure();
    FailureOr<Value> r = op == "Max"   ? build<MaxOp>(node, y, *next)
                         : op == "Min" ? build<MinOp>(node, y, *next)
                                       : build<AddOp>(node, y, *next);
    if (failed(r))
      return failure();
    y = *r;
  }
  if (op == "Mean" && node.input_size() > 1) {
    auto type = cast<RankedTensorType>(y.getType());
    auto scalar = RankedTensorType::get({}, type.getElementType());
    Value count = ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            scalar,
            b.getFloatAttr(type.getElementType(), double(node.input_size()))));
    auto mean = build<DivOp>(node, y, count);
    if (failed(mean))
      return failure();
    y = *mean;
  }
  setOutput(node, 0, y);
  return success();
}

LogicalResult Importer::gemm(const NodeProto &node) {
  auto a = input(node, 0), bb = input(node, 1);
  if (failed(a) || failed(bb))
    return failure();
  auto c = optionalInput(node, 2);
  if (failed(c))
    return failure();
  auto y = build<GemmOp>(node, *a, *bb, *c,
                         b.getF32FloatAttr(floatAttr(node, "alpha", 1.0f)),
                         b.getF32FloatAttr(floatAttr(node, "beta", 1.0f)),
                         b.getBoolAttr(intAttr(node, "transA", 0) != 0),
                         b.getBoolAttr(intAttr(node, "transB", 0) != 0));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::matmul(const NodeProto &node) {
  auto lhs = input(node, 0), rhs = input(node, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  auto y = build<MatmulOp>(node, *lhs, *rhs);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::reduce(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  SmallVector<int64_t> axes;
  bool given = false;
  if (auto a = intsAttr(node, "axes")) {
    axes = *a;
    given = true;
  } else if (hasInput(node, 1)) {
    const TensorValue *v = constantInput(node, 1, "axes");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      axes.push_back(v->intAt(i));
    given = true;
  }
  if (!given || axes.empty()) {
    axes.clear();
    // Empty axes: every axis, unless noop_with_empty_axes asks for none.
    if (intAttr(node, "noop_with_empty_axes", 0) == 0)
      for (int64_t d = 0; d < rank; ++d)
        axes.push_back(d);
  }
  for (int64_t &a : axes) {
    auto resolved = resolveAxis(node, a, rank);
    if (failed(resolved))
      return failure();
    a = *resolved;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  auto keep = b.getBoolAttr(intAttr(node, "keepdims", 1) != 0);
  const std::string &op = node.op_type();
  FailureOr<Value> y =
      op == "ReduceSum"    ? build<ReduceSumOp>(node, *x, axesAttr, keep)
      : op == "ReduceMean" ? build<ReduceMeanOp>(node, *x, axesAttr, keep)
      : op == "ReduceMax"  ? build<ReduceMaxOp>(node, *x, axesAttr, keep)
      : op == "ReduceMin"  ? build<ReduceMinOp>(node, *x, axesAttr, keep)
      : op == "ReduceProd" ? build<ReduceProdOp>(node, *x, axesAttr, keep)
      : op == "ReduceL1"   ? build<ReduceL1Op>(node, *x, axesAttr, keep)
      : op == "ReduceL2"   ? build<ReduceL2Op>(node, *x, axesAttr, keep)
      : op == "ReduceSumSquare"
          ? build<ReduceSumSquareOp>(node, *x, axesAttr, keep)
      : op == "ReduceLogSum"
          ? build<ReduceLogSumOp>(node, *x, axesAttr, keep)
          : build<ReduceLogSumExpOp>(node, *x, axesAttr, keep);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::argReduce(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto resolved = resolveAxis(node, intAttr(node, "axis", 0), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  auto axisAttr = b.getI64IntegerAttr(axis);
  auto keep = b.getBoolAttr(intAttr(node, "keepdims", 1) != 0);
  auto last = b.getBoolAttr(intAttr(node, "select_last_index", 0) != 0);
  FailureOr<Value> y = node.op_type() == "ArgMax"
                           ? build<ArgMaxOp>(node, *x, axisAttr, keep, last)
                           : build<ArgMinOp>(node, *x, axisAttr, keep, last);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::trilu(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t k = 0;
  if (hasInput(node, 1)) {
    const TensorValue *v = constantInput(node, 1, "k");
    if (!v)
      return failure();
    k = v->intAt(0);
  }
  Type t = x->getType();
  Operation *op =
      intAttr(node, "upper", 1)
          ? TriuOp::create(b, loc, t, *x, b.getI64IntegerAttr(k)).getOperation()
          : TrilOp::create(b, loc, t, *x, b.getI64IntegerAttr(k))
                .getOperation();
  auto y = finish(op);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

//===----------------------------------------------------------------------===//
// NN
//===----------------------------------------------------------------------===//

LogicalResult Importer::windowPads(const NodeProto &node, RankedTensorType in,
                                   ArrayRef<int64_t> kernel,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> dilations,
                                   SmallVectorImpl<int64_t> &pads) {
  size_t n = kernel.size();
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  auto explicitPads = intsAttr(node, "pads");
  if (autoPad == "NOTSET") {
    pads.assign(explicitPads ? *explicitPads : SmallVector<int64_t>(2 * n, 0));
    if (pads.size() != 2 * n)
      return error(node) << "expected " << 2 * n << " pads, got "
                         << pads.size();
    return success();
  }
  pads.assign(2 * n, 0);
  if (autoPad == "VALID")
    return success();
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return error(node) << "unknown auto_pad '" << autoPad << "'";
  for (size_t i = 0; i < n; ++i) {
    int64_t size = in.getDimSize(in.getRank() - n + i);
    int64_t out = (size + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - size);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + n] = autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

LogicalResult Importer::windowStrides(const NodeProto &node, size_t n,
                                      SmallVectorImpl<int64_t> &strides,
                                      SmallVectorImpl<int64_t> &dilations) {
  SmallVector<int64_t> ones(n, 1);
  strides.assign(intsAttr(node, "strides").value_or(ones));
  dilations.assign(intsAttr(node, "dilations").value_or(ones));
  if (strides.size() != n || dilations.size() != n)
    return error(node) << "expected " << n << " strides and dilations, got "
                       << strides.size() << " and " << dilations.size();
  return success();
}

LogicalResult Importer::windowAttrs(const NodeProto &node, RankedTensorType in,
                                    ArrayRef<int64_t> kernel,
                                    SmallVectorImpl<int64_t> &strides,
                                    SmallVectorImpl<int64_t> &dilations,
                                    SmallVectorImpl<int64_t> &pads) {
  if (failed(windowStrides(node, kernel.size(), strides, dilations)))
    return failure();
  return windowPads(node, in, kernel, strides, dilations, pads);
}

FailureOr<Importer::ConvOperands> Importer::convOperands(const NodeProto &node,
                                                         StringRef what) {
  auto x = input(node, 0), w = input(node, 1), bias = optionalInput(node, 2);
  if (failed(x) || failed(w) || failed(bias))
    return failure();
  ConvOperands ops;
  ops.input = *x;
  ops.weight = *w;
  ops.bias = *bias;
  ops.inputType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  ops.spatial = ops.inputType.getRank() - 2;
  if (ops.spatial < 1 || ops.spatial > 3 ||
      wType.getRank() != ops.inputType.getRank()) {
    error(node) << "only 1-D to 3-D " << what
                << " is supported, got input rank " << ops.inputType.getRank()
                << " and weight rank " << wType.getRank();
    return failure();
  }
  ops.kernel.assign(wType.getShape().drop_front(2).begin(),
                    wType.getShape().end());
  if (auto ks = intsAttr(node, "kernel_shape"); ks && *ks != ops.kernel) {
    error(node) << "kernel_shape " << shapeString(*ks)
                << " does not match the weight's " << shapeString(ops.kernel);
    return failure();
  }
  return ops;
}

LogicalResult Importer::conv(const NodeProto &node) {
  auto ops = convOperands(node, "convolution");
  if (failed(ops))
    return failure();
  SmallVector<int64_t> strides, dilations, pads;
  if (failed(windowAttrs(node, ops->inputType, ops->kernel, strides, dilations,
                         pads)))
    return failure();
  Value in = ops->input, weight = ops->weight;
  if (ops->spatial == 3) {
    auto y = build<Conv3dOp>(
        node, in, weight, ops->bias, b.getDenseI64ArrayAttr(strides),
        b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
        b.getI64IntegerAttr(intAttr(node, "group", 1)));
    if (failed(y))
      return failure();
    setOutput(node, 0, *y);
    return success();
  }
  if (ops->spatial == 1) {
    // Conv1d as Conv2d over N x C x 1 x L.
    auto lifted = liftTo2d(in);
    auto liftedW = liftTo2d(weight);
    if (failed(lifted) || failed(liftedW))
      return failure();
    in = *lifted;
    weight = *liftedW;
    lift1dWindow(strides, dilations, pads);
  }
  auto y = build<Conv2dOp>(
      node, in, weight, ops->bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
      b.getI64IntegerAttr(intAttr(node, "group", 1)));
  if (failed(y))
    return failure();
  return setWindowOutput(node, *y, ops->spatial);
}

LogicalResult Importer::convTranspose(const NodeProto &node) {
  auto ops = convOperands(node, "transposed convolution");
  if (failed(ops))
    return failure();
  int64_t spatial = ops->spatial;
  RankedTensorType xType = ops->inputType;
  ArrayRef<int64_t> kernel = ops->kernel;
  SmallVector<int64_t> strides, dilations;
  if (failed(windowStrides(node, spatial, strides, dilations)))
    return failure();
  SmallVector<int64_t> outPad = intsAttr(node, "output_padding")
                                    .value_or(SmallVector<int64_t>(spatial, 0));
  if (int64_t(outPad.size()) != spatial)
    return error(node) << "expected " << spatial << " output paddings";
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  auto outputShape = intsAttr(node, "output_shape");
  SmallVector<int64_t> pads(2 * spatial, 0);
  if (auto explicitPads = intsAttr(node, "pads");
      explicitPads && !outputShape && autoPad == "NOTSET") {
    pads = *explicitPads;
  } else if (outputShape || autoPad == "SAME_UPPER" ||
             autoPad == "SAME_LOWER") {
    // Pads that give the requested output size (input * stride for SAME).
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = xType.getDimSize(2 + i);
      int64_t out = outputShape
                        ? (*outputShape)[outputShape->size() - spatial + i]
                        : in * strides[i];
      int64_t total = strides[i] * (in - 1) + outPad[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - out;
      if (total < 0)
        return error(node) << "output_shape " << out
                           << " needs negative padding, which is not "
                              "supported";
      bool upper = autoPad != "SAME_LOWER";
      pads[i] = upper ? total / 2 : total - total / 2;
      pads[i + spatial] = total - pads[i];
    }
  } else if (autoPad != "NOTSET" && autoPad != "VALID") {
    return error(node) << "unknown auto_pad '" << autoPad << "'";
  }
  if (int64_t(pads.size()) != 2 * spatial)
    return error(node) << "expected " << 2 * spatial << " pads";
  Value in = ops->input, weight = ops->weight;
  if (spatial == 3) {
    auto y = build<ConvTranspose3dOp>(
        node, in, weight, ops->bias, b.getDenseI64ArrayAttr(strides),
        b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
        b.getDenseI64ArrayAttr(outPad),
        b.getI64IntegerAttr(intAttr(node, "group", 1)));
    if (failed(y))
      return failure();
    setOutput(node, 0, *y);
    return success();
  }
  if (spatial == 1) {
    auto lifted = liftTo2d(in), liftedW = liftTo2d(weight);
    if (failed(lifted) || failed(liftedW))
      return failure();
    in = *lifted;
    weight = *liftedW;
    lift1dWindow(strides, dilations, pads);
    outPad.insert(outPad.begin(), 0);
  }
  auto y = build<ConvTranspose2dOp>(
      node, in, weight, ops->bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
      b.getDenseI64ArrayAttr(outPad),
      b.getI64IntegerAttr(intAttr(node, "group", 1)));
  if (failed(y))
    return failure();
  return setWindowOutput(node, *y, spatial);
}

LogicalResult Importer::batchNorm(const NodeProto &node) {
  if (intAttr(node, "training_mode", 0) != 0)
    return error(node) << "training_mode=1 is not supported in inference "
                          "graphs; export the model in eval mode";
  if (intAttr(node, "spatial", 1) != 1)
    return error(node) << "spatial=0 is not supported";
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return error(node) << "outputs beyond Y (running statistics) are only "
                            "produced in training mode";
  SmallVector<Value> ins;
  for (int i = 0; i < 5; ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  auto y =
      build<BatchNormOp>(node, ins[0], ins[1], ins[2], ins[3], ins[4],
                         b.getF32FloatAttr(floatAttr(node, "epsilon", 1e-5f)),
                         b.getF32FloatAttr(floatAttr(node, "momentum", 0.9f)));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::layerNorm(const NodeProto &node) {
  if (intAttr(node, "stash_type", 1) != 1)
    return error(node) << "stash_type other than 1 (float32 statistics) is "
                          "not supported";
  auto x = input(node, 0), scale = input(node, 1),
       bias = optionalInput(node, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto resolved = resolveAxis(node, intAttr(node, "axis", -1), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  Type none = NoneType::get(&ctx);
  auto op =
      LayerNormOp::create(b, loc, TypeRange{none, none, none}, *x, *scale,
                          *bias, b.getI64IntegerAttr(axis),
                          b.getF32FloatAttr(floatAttr(node, "epsilon", 1e-5f)));
  SmallVector<Type> types;
  if (failed(LayerNormOp::inferReturnTypes(
          &ctx, loc, op->getOperands(), op->getRawDictionaryAttrs(),
          op->getPropertiesStorage(), op->getRegions(), types))) {
    op->erase();
    return failure();
  }
  for (auto [result, type] : llvm::zip(op->getResults(), types))
    result.setType(type);
  if (failed(finish(op)))
    return failure();
  for (int i = 0; i < node.output_size() && i < 3; ++i)
    if (!node.output(i).empty())
      setOutput(node, i, op->getResult(i));
  return success();
}

LogicalResult Importer::maxPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  bool withIndices = node.output_size() > 1 && !node.output(1).empty();
  if (intAttr(node, "storage_order", 0) != 0)
    return error(node) << "storage_order=1 (column-major indices) is not "
                          "supported";
  auto xType = cast<RankedTensorType>(x->getType());
  auto kernel = intsAttr(node, "kernel_shape");
  if (!kernel)
    return error(node) << "missing required attribute kernel_shape";
  int64_t spatial = xType.getRank() - 2;
  if (spatial < 1 || spatial > 3 || int64_t(kernel->size()) != spatial)
    return error(node) << "only 1-D to 3-D max pooling is supported, got "
                          "input rank "
                       << xType.getRank() << " and a " << kernel->size()
                       << "-D kernel";
  SmallVector<int64_t> strides, dilations, pads;
  if (failed(windowAttrs(node, xType, *kernel, strides, dilations, pads)))
    return failure();
  Value in = *x;
  if (withIndices && spatial != 2)
    return error(node) << "the Indices output is supported for 2-D max "
                          "pooling only";
  if (withIndices) {
    Operation *made = MaxPool2dIndicesOp::create(
        b, loc, in, b.getDenseI64ArrayAttr(*kernel),
        b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(pads),
        b.getDenseI64ArrayAttr(dilations),
        b.getBoolAttr(intAttr(node, "ceil_mode", 0)));
    if (failed(finish(made)))
      return failure();
    setOutput(node, 0, made->getResult(0));
    setOutput(node, 1, made->getResult(1));
    return success();
  }
  if (spatial == 3) {
    auto y = build<MaxPool3dOp>(node, in, b.getDenseI64ArrayAttr(*kernel),
                                b.getDenseI64ArrayAttr(strides),
                                b.getDenseI64ArrayAttr(pads),
                                b.getDenseI64ArrayAttr(dilations),
                                b.getBoolAttr(intAttr(node, "ceil_mode", 0)));
    if (failed(y))
      return failure();
    setOutput(node, 0, *y);
    return success();
  }
  if (spatial == 1) {
    auto lifted = liftTo2d(in);
    if (failed(lifted))
      return failure();
    in = *lifted;
    kernel->insert(kernel->begin(), 1);
    lift1dWindow(strides, dilations, pads);
  }
  auto y = build<MaxPool2dOp>(node, in, b.getDenseI64ArrayAttr(*kernel),
                              b.getDenseI64ArrayAttr(strides),
                              b.getDenseI64ArrayAttr(pads),
                              b.getDenseI64ArrayAttr(dilations),
                              b.getBoolAttr(intAttr(node, "ceil_mode", 0)));
  if (failed(y))
    return failure();
  return setWindowOutput(node, *y, spatial);
}

LogicalResult Importer::avgPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto kernel = intsAttr(node, "kernel_shape");
  if (!kernel)
    return error(node) << "missing required attribute kernel_shape";
  int64_t spatial = xType.getRank() - 2;
  if (spatial < 1 || spatial > 3 || int64_t(kernel->size()) != spatial)
    return error(node) << "only 1-D to 3-D average pooling is supported, "
                          "got input rank "
                       << xType.getRank() << " and a " << kernel->size()
                       << "-D kernel";
  SmallVector<int64_t> strides, dilations, pads;
  if (failed(windowAttrs(node, xType, *kernel, strides, dilations, pads)))
    return failure();
  if (llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return error(node) << "dilated average pooling is not supported";
  Value in = *x;
  if (spatial == 3) {
    auto y = build<AvgPool3dOp>(
        node, in, b.getDenseI64ArrayAttr(*kernel),
        b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(pads),
        b.getBoolAttr(intAttr(node, "ceil_mode", 0)),
        b.getBoolAttr(intAttr(node, "count_include_pad", 0) != 0));
    if (failed(y))
      return failure();
    setOutput(node, 0, *y);
    return success();
  }
  if (spatial == 1) {
    auto lifted = liftTo2d(in);
    if (failed(lifted))
      return failure();
    in = *lifted;
    kernel->insert(kernel->begin(), 1);
    lift1dWindow(strides, dilations, pads);
  }
  auto y = build<AvgPool2dOp>(
      node, in, b.getDenseI64ArrayAttr(*kernel),
      b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(pads),
      b.getBoolAttr(intAttr(node, "ceil_mode", 0)),
      b.getBoolAttr(intAttr(node, "count_include_pad", 0) != 0));
  if (failed(y))
    return failure();
  return setWindowOutput(node, *y, spatial);
}

LogicalResult Importer::globalAvgPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  if (rank < 3)
    return error(node) << "expected an N x C x D1 ... input, got rank " << rank;
  auto y =
      rank == 4
          ? build<AdaptiveAvgPool2dOp>(node, *x, b.getDenseI64ArrayAttr({1, 1}))
          : build<ReduceMeanOp>(node, *x,
                                b.getDenseI64ArrayAttr(llvm::to_vector(
                                    llvm::seq<int64_t>(2, rank))),
                                b.getBoolAttr(true));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::softmax(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto resolved =
      resolveAxis(node, intAttr(node, "axis", opset >= 13 ? -1 : 1), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  bool isLog = node.op_type() == "LogSoftmax";
  Value in = *x;
  if (opset < 13 && axis != rank - 1) {
    // Before opset 13 the input is coerced to 2-D at |axis|.
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? outer : inner) *= type.getDimSize(d);
    auto flat = buildReshape(in, {outer, inner});
    if (failed(flat))
      return failure();
    in = *flat;
    axis = 1;
  }
  FailureOr<Value> y =
      isLog ? finish(LogSoftmaxOp::create(b, loc, in.getType(), in, axis))
            : finish(SoftmaxOp::create(b, loc, in.getType(), in, axis));
  if (failed(y))
    return failure();
  auto back = buildReshape(*y, type.getShape());
  if (failed(back))
    return failure();
  setOutput(node, 0, *back);
  return success();
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

/// A rank-1 int64 compile-time value.
static TensorValue int64Vector(ArrayRef<int64_t> values) {
  TensorValue v;
  v.dtype = DType::I64;
  v.shape = {int64_t(values.size())};
  v.bytes.resize(values.size() * 8);
  if (!values.empty())
    std::memcpy(v.bytes.data(), values.data(), values.size() * 8);
  return v;
}

/// Copy of |value| with a new shape (same element count).
static TensorValue withShape(const TensorValue &value,
                             ArrayRef<int64_t> shape) {
  TensorValue v = value;
  v.shape.assign(shape.begin(), shape.end());
  return v;
}

LogicalResult Importer::flatten(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank(), axis = intAttr(node, "axis", 1);
  if (axis < -rank || axis > rank)
    return error(node) << "axis " << axis << " is out of range for rank "
                       << rank;
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= type.getDimSize(d);
  auto y = buildReshape(*x, {outer, inner});
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::reshape(const NodeProto &node) {
  const TensorValue *shapeValue = constantInput(node, 1, "shape");
  if (!shapeValue)
    return failure();
  bool allowZero = intAttr(node, "allowzero", 0) != 0;
  auto inShape = [&]() -> SmallVector<int64_t> {
    if (isConstant(node.input(0)))
      return SmallVector<int64_t>(
          ArrayRef<int64_t>(constants[node.input(0)].shape));
    auto it = values.find(node.input(0));
    if (it == values.end())
      return {};
    return SmallVector<int64_t>(
        cast<RankedTensorType>(it->second.getType()).getShape());
  }();
  int64_t count = 1;
  for (int64_t d : inShape)
    count *= d;
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (int64_t i = 0; i < shapeValue->numElements(); ++i) {
    int64_t d = shapeValue->intAt(i);
    if (d == 0 && !allowZero) {
      if (i >= int64_t(inShape.size()))
        return error(node) << "shape entry " << i
                           << " is 0 (copy) but the input has rank "
                           << inShape.size();
      d = inShape[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return error(node) << "shape has more than one -1";
      inferred = i;
      d = 1;
    } else if (d < 0) {
      return error(node) << "shape entry " << d << " is invalid";
    }
    known *= d;
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return error(node) << "cannot infer -1: " << count
                         << " elements do not divide by " << known;
    shape[inferred] = count / known;
  }
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  if (total != count)
    return error(node) << "cannot reshape " << shapeString(inShape) << " to "
                       << shapeString(shape);
  if (isConstant(node.input(0))) {
    setConstant(node, 0, withShape(constants[node.input(0)], shape));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = buildReshape(*x, shape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::squeeze(const NodeProto &node) {
  bool unsqueeze = node.op_type() == "Unsqueeze";
  SmallVector<int64_t> axes;
  bool hasAxes = false;
  if (auto a = intsAttr(node, "axes")) {
    axes = *a;
    hasAxes = true;
  } else if (hasInput(node, 1)) {
    const TensorValue *v = constantInput(node, 1, "axes");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      axes.push_back(v->intAt(i));
    hasAxes = true;
  }
  SmallVector<int64_t> inShape;
  if (isConstant(node.input(0))) {
    inShape.assign(constants[node.input(0)].shape.begin(),
                   constants[node.input(0)].shape.end());
  } else {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    inShape.assign(cast<RankedTensorType>(x->getType()).getShape().begin(),
                   cast<RankedTensorType>(x->getType()).getShape().end());
  }
  SmallVector<int64_t> shape;
  if (unsqueeze) {
    if (!hasAxes)
      return error(node) << "missing axes";
    int64_t outRank = inShape.size() + axes.size();
    SmallVector<bool> isNew(outRank, false);
    for (int64_t a : axes) {
      if (a < -outRank || a >= outRank)
        return error(node) << "axis " << a << " is out of range";
      isNew[a < 0 ? a + outRank : a] = true;
    }
    size_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
      shape.push_back(isNew[d] ? 1 : inShape[next++]);
  } else {
    int64_t rank = inShape.size();
    SmallVector<bool> drop(rank, false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank)
        return error(node) << "axis " << a << " is out of range";
      int64_t d = a < 0 ? a + rank : a;
      if (inShape[d] != 1)
        return error(node) << "cannot squeeze dimension " << d << " of size "
                           << inShape[d];
      drop[d] = true;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!(hasAxes ? drop[d] : inShape[d] == 1))
        shape.push_back(inShape[d]);
  }
  if (isConstant(node.input(0))) {
    setConstant(node, 0, withShape(constants[node.input(0)], shape));
    return success();
  }
  auto y = buildReshape(values[node.input(0)], shape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::transpose(const NodeProto &node) {
  auto shape = shapeOf(node, 0);
  if (failed(shape))
    return failure();
  int64_t rank = shape->size();
  SmallVector<int64_t> perm;
  if (auto p = intsAttr(node, "perm"))
    perm = *p;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (sorted != llvm::to_vector(llvm::seq<int64_t>(0, rank)))
    return error(node) << "perm is not a permutation of 0.." << rank - 1;
  if (isConstant(node.input(0))) {
    // Shape arithmetic (exporters transpose pad lists) stays compile-time.
    const TensorValue &v = constants[node.input(0)];
    TensorValue out;
    out.dtype = v.dtype;
    for (int64_t d : perm)
      out.shape.push_back(v.shape[d]);
    size_t elt = dtypeSize(v.dtype);
    int64_t count = v.numElements();
    SmallVector<int64_t> strides(rank, 1), index(rank, 0);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * v.shape[d + 1];
    out.bytes.resize(count * elt);
    for (int64_t i = 0; i < count; ++i) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += index[d] * strides[perm[d]];
      std::memcpy(out.bytes.data() + i * elt, v.bytes.data() + src * elt, elt);
      for (int64_t d = rank - 1; d >= 0 && ++index[d] == out.shape[d]; --d)
        index[d] = 0;
    }
    setConstant(node, 0, std::move(out));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = build<TransposeOp>(node, *x, b.getDenseI64ArrayAttr(perm));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::pad(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  std::string modeName = stringAttr(node, "mode", "constant");
  std::optional<PadMode> mode = symbolizePadMode(modeName);
  if (!mode)
    return error(node) << "mode '" << modeName
                       << "' is not constant, reflect, edge or wrap";
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> given;
  double value = 0.0;
  SmallVector<int64_t> axes;
  if (opset < 11) {
    given = intsAttr(node, "pads").value_or(SmallVector<int64_t>());
    value = floatAttr(node, "value", 0.0f);
  } else {
    const TensorValue *p = constantInput(node, 1, "pads");
    if (!p)
      return failure();
    for (int64_t i = 0; i < p->numElements(); ++i)
      given.push_back(p->intAt(i));
    if (hasInput(node, 2)) {
      const TensorValue *v = constantInput(node, 2, "constant_value");
      if (!v)
        return failure();
      if (v->numElements() > 0)
        value = v->floatAt(0);
    }
    if (hasInput(node, 3)) {
      const TensorValue *a = constantInput(node, 3, "axes");
      if (!a)
        return failure();
      for (int64_t i = 0; i < a->numElements(); ++i) {
        auto axis = resolveAxis(node, a->intAt(i), rank);
        if (failed(axis))
          return failure();
        axes.push_back(*axis);
      }
    }
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  int64_t n = axes.size();
  if (int64_t(given.size()) != 2 * n)
    return error(node) << "expected " << 2 * n << " pads, got " << given.size();
  // Positive pads pad; negative ones crop afterwards.
  SmallVector<int64_t> pads(2 * rank, 0), starts(rank, 0),
      sizes(type.getShape()), steps(rank, 1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = axes[i], lo = given[i], hi = given[i + n];
    pads[d] = std::max<int64_t>(lo, 0);
    pads[d + rank] = std::max<int64_t>(hi, 0);
    starts[d] = std::max<int64_t>(-lo, 0);
    sizes[d] += lo + hi;
    if (sizes[d] <= 0)
      return error(node) << "pads crop dimension " << d << " to nothing";
  }
  auto y =
      build<PadOp>(node, *x, b.getDenseI64ArrayAttr(pads),
                   b.getF64FloatAttr(value), PadModeAttr::get(&ctx, *mode));
  if (failed(y))
    return failure();
  if (llvm::any_of(given, [](int64_t p) { return p < 0; })) {
    y = build<SliceOp>(node, *y, b.getDenseI64ArrayAttr(starts),
                       b.getDenseI64ArrayAttr(sizes),
                       b.getDenseI64ArrayAttr(steps));
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::identity(const NodeProto &node) {
  // Identity, and Dropout in inference: the output is the input.
  if (node.op_type() == "Dropout") {
    bool training = false;
    if (hasInput(node, 2)) {
      const TensorValue *mode = constantInput(node, 2, "training_mode");
      if (!mode)
        return failure();
      training = mode->intAt(0) != 0;
    }
    double ratio = floatAttr(node, "ratio", 0.5f);
    if (opset >= 12 && hasInput(node, 1)) {
      const TensorValue *r = constantInput(node, 1, "ratio");
      if (!r)
        return failure();
      ratio = r->floatAt(0);
    }
    if (training && ratio != 0.0)
      return error(node) << "training_mode=true is not supported in "
                            "inference graphs (dropout belongs to training)";
    if (node.output_size() > 1 && !node.output(1).empty()) {
      // In inference (or at ratio 0) every element is kept.
      auto shape = shapeOf(node, 0);
      if (failed(shape))
        return failure();
      TensorValue mask;
      mask.dtype = DType::Bool;
      mask.shape.assign(shape->begin(), shape->end());
      mask.bytes.assign(mask.numElements(), 1);
      setConstant(node, 1, std::move(mask));
    }
  }
  if (isConstant(node.input(0))) {
    setConstant(node, 0, constants[node.input(0)]);
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  setOutput(node, 0, *x);
  return success();
}

LogicalResult Importer::constant(const NodeProto &node) {
  if (node.attribute_size() != 1)
    return error(node) << "expected exactly one value attribute";
  const auto &attr = node.attribute(0);
  if (attr.name() == "value") {
    auto value = decodeTensor(attr.t(), modelDir);
    if (!value)
      return error(node) << llvm::toString(value.takeError());
    setConstant(node, 0, std::move(*value));
  } else if (attr.name() == "value_float" || attr.name() == "value_floats") {
    TensorValue v;
    std::vector<float> fs =
        attr.name() == "value_float"
            ? std::vector<float>{attr.f()}
            : std::vector<float>(attr.floats().begin(), attr.floats().end());
    if (attr.name() == "value_floats")
      v.shape = {int64_t(fs.size())};
    v.bytes.resize(fs.size() * 4);
    std::memcpy(v.bytes.data(), fs.data(), v.bytes.size());
    setConstant(node, 0, std::move(v));
  } else if (attr.name() == "value_int") {
    setConstant(node, 0, withShape(int64Vector({attr.i()}), {}));
  } else if (attr.name() == "value_ints") {
    setConstant(node, 0,
                int64Vector(SmallVector<int64_t>(attr.ints().begin(),
                                                 attr.ints().end())));
  } else {
    return error(node) << "attribute '" << attr.name() << "' is not supported";
  }
  return success();
}

LogicalResult Importer::shape(const NodeProto &node) {
  SmallVector<int64_t> dims;
  if (isConstant(node.input(0))) {
    dims.assign(constants[node.input(0)].shape.begin(),
                constants[node.input(0)].shape.end());
  } else {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    auto s = cast<RankedTensorType>(x->getType()).getShape();
    dims.assign(s.begin(), s.end());
  }
  int64_t rank = dims.size();
  int64_t start = intAttr(node, "start", 0), end = intAttr(node, "end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  setConstant(node, 0,
              int64Vector(ArrayRef<int64_t>(dims).slice(start, end - start)));
  return success();
}

LogicalResult Importer::size(const NodeProto &node) {
  auto dims = shapeOf(node, 0);
  if (failed(dims))
    return failure();
  int64_t count = 1;
  for (int64_t d : *dims)
    count *= d;
  setConstant(node, 0, withShape(int64Vector({count}), {}));
  return success();
}

LogicalResult Importer::constantOfShape(const NodeProto &node) {
  const TensorValue *shape = constantInput(node, 0, "shape");
  if (!shape)
    return failure();
  TensorValue fill;
  fill.dtype = DType::F32;
  fill.bytes.assign(4, 0); // Default: a float 0.
  if (const auto *attr = findAttr(node, "value")) {
    auto v = decodeTensor(attr->t(), modelDir);
    if (!v)
      return error(node) << llvm::toString(v.takeError());
    if (v->numElements() != 1)
      return error(node) << "value must hold one element";
    fill = std::move(*v);
  }
  TensorValue out;
  out.dtype = fill.dtype;
  for (int64_t i = 0; i < shape->numElements(); ++i) {
    if (shape->intAt(i) < 0)
      return error(node) << "negative dimension " << shape->intAt(i);
    out.shape.push_back(shape->intAt(i));
  }
  for (int64_t i = 0, n = out.numElements(); i < n; ++i)
    out.bytes.insert(out.bytes.end(), fill.bytes.begin(), fill.bytes.end());
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::gather(const NodeProto &node) {
  int64_t axis = intAttr(node, "axis", 0);
  bool shapeMath = hasInput(node, 1) && isConstant(node.input(0)) &&
                   isConstant(node.input(1)) &&
                   constants[node.input(0)].shape.size() == 1 &&
                   (axis == 0 || axis == -1);
  if (!shapeMath)
    return gatherAtRunTime(node, axis);
  // Shape computations stay compile-time values.
  const TensorValue *data = constantInput(node, 0, "data");
  const TensorValue *indices = constantInput(node, 1, "indices");
  if (!data || !indices)
    return failure();
  int64_t n = data->shape[0];
  TensorValue out;
  out.dtype = data->dtype;
  out.shape = indices->shape;
  size_t elt = dtypeSize(data->dtype);
  for (int64_t i = 0; i < indices->numElements(); ++i) {
    int64_t idx = indices->intAt(i);
    if (idx < -n || idx >= n)
      return error(node) << "index " << idx << " is out of range for " << n
                         << " elements";
    if (idx < 0)
      idx += n;
    out.bytes.insert(out.bytes.end(), data->bytes.begin() + idx * elt,
                     data->bytes.begin() + (idx + 1) * elt);
  }
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::gatherAtRunTime(const NodeProto &node, int64_t axis) {
  auto data = input(node, 0), indices = input(node, 1);
  if (failed(data) || failed(indices))
    return failure();
  auto resolved = resolveAxis(
      node, axis, cast<RankedTensorType>(data->getType()).getRank());
  if (failed(resolved))
    return failure();
  axis = *resolved;
  auto y = node.op_type() == "Gather"
               ? build<GatherOp>(node, *data, *indices, axis)
               : build<GatherElementsOp>(node, *data, *indices, axis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::gatherElements(const NodeProto &node) {
  return gatherAtRunTime(node, intAttr(node, "axis", 0));
}

FailureOr<SmallVector<int64_t>> Importer::shapeOf(const NodeProto &node,
                                                  int i) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i;
    return failure();
  }
  if (isConstant(node.input(i)))
    return SmallVector<int64_t>(
        ArrayRef<int64_t>(constants[node.input(i)].shape));
  auto v = input(node, i);
  if (failed(v))
    return failure();
  return SmallVector<int64_t>(cast<RankedTensorType>(v->getType()).getShape());
}

FailureOr<std::optional<SmallVector<int64_t>>>
Importer::intsFrom(const NodeProto &node, StringRef attr, int index,
                   int64_t inputSince) {
  if (opset < inputSince)
    return intsAttr(node, attr);
  if (!hasInput(node, index))
    return std::optional<SmallVector<int64_t>>();
  const TensorValue *v = constantInput(node, index, attr);
  if (!v)
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < v->numElements(); ++i)
    out.push_back(v->intAt(i));
  return std::optional<SmallVector<int64_t>>(out);
}

/// Row-major strided copy of a compile-time value: |starts|, |sizes| and
/// |steps| per dimension.
static TensorValue sliceValue(const TensorValue &v, ArrayRef<int64_t> starts,
                              ArrayRef<int64_t> sizes,
                              ArrayRef<int64_t> steps) {
  TensorValue out;
  out.dtype = v.dtype;
  out.shape.assign(sizes.begin(), sizes.end());
  size_t elt = dtypeSize(v.dtype);
  int64_t rank = v.shape.size(), count = out.numElements();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * v.shape[d + 1];
  out.bytes.resize(count * elt);
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (starts[d] + index[d] * steps[d]) * strides[d];
    std::memcpy(out.bytes.data() + i * elt, v.bytes.data() + src * elt, elt);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == sizes[d]; --d)
      index[d] = 0;
  }
  return out;
}

LogicalResult Importer::concat(const NodeProto &node) {
  bool allConstant = true;
  for (int i = 0; i < node.input_size(); ++i)
    allConstant &=
        isConstant(node.input(i)) && constants[node.input(i)].shape.size() == 1;
  if (allConstant) {
    // Shape arithmetic on compile-time values.
    TensorValue out;
    for (int i = 0; i < node.input_size(); ++i) {
      const TensorValue &v = constants[node.input(i)];
      if (i == 0)
        out.dtype = v.dtype;
      else if (v.dtype != out.dtype)
        return error(node) << "inputs of different element types";
      out.bytes.insert(out.bytes.end(), v.bytes.begin(), v.bytes.end());
    }
    out.shape = {int64_t(out.bytes.size() / dtypeSize(out.dtype))};
    setConstant(node, 0, std::move(out));
    return success();
  }
  SmallVector<Value> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  auto resolved = resolveAxis(node, intAttr(node, "axis", 0), rank);
  if (failed(resolved))
    return failure();
  int64_t axis = *resolved;
  auto y = build<ConcatOp>(node, inputs, b.getI64IntegerAttr(axis));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::slice(const NodeProto &node) {
  auto shape = shapeOf(node, 0);
  if (failed(shape))
    return failure();
  auto starts = intsFrom(node, "starts", 1, 10);
  auto ends = intsFrom(node, "ends", 2, 10);
  auto axes = intsFrom(node, "axes", 3, 10);
  auto steps = intsFrom(node, "steps", 4, 10);
  if (failed(starts) || failed(ends) || failed(axes) || failed(steps))
    return failure();
  if (!*starts || !*ends || (*starts)->size() != (*ends)->size())
    return error(node) << "expected starts and ends of one length";
  int64_t rank = shape->size(), n = (*starts)->size();
  SmallVector<int64_t> offs(rank, 0), sizes(*shape), strides(rank, 1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t axis = *axes ? (**axes)[i] : i;
    if (axis < -rank || axis >= rank)
      return error(node) << "axis " << axis << " is out of range";
    if (axis < 0)
      axis += rank;
    int64_t step = *steps ? (**steps)[i] : 1;
    if (step == 0)
      return error(node) << "steps must not be 0";
    int64_t dim = (*shape)[axis];
    int64_t start = (**starts)[i], end = (**ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      sizes[axis] = end > start ? (end - start + step - 1) / step : 0;
    } else {
      // Walks down from start while above end (-1: through element 0).
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      sizes[axis] = start > end ? (start - end - step - 1) / -step : 0;
    }
    offs[axis] = start;
    strides[axis] = step;
  }
  if (isConstant(node.input(0))) {
    setConstant(node, 0,
                sliceValue(constants[node.input(0)], offs, sizes, strides));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  // A negative step is the positive-step slice from its last element,
  // then flipped.
  SmallVector<int64_t> flipped;
  for (int64_t d = 0; d < rank; ++d) {
    if (strides[d] < 0) {
      offs[d] += (sizes[d] - 1) * strides[d];
      strides[d] = -strides[d];
      flipped.push_back(d);
    }
    if (sizes[d] == 0)
      offs[d] = 0; // An empty slice starts anywhere valid.
  }
  auto y = build<SliceOp>(node, *x, b.getDenseI64ArrayAttr(offs),
                          b.getDenseI64ArrayAttr(sizes),
                          b.getDenseI64ArrayAttr(strides));
  if (failed(y))
    return failure();
  if (!flipped.empty()) {
    y = finish(FlipOp::create(b, loc, *y, b.getDenseI64ArrayAttr(flipped)));
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::split(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = shape.size(), axis = intAttr(node, "axis", 0);
  if (axis < -rank || axis >= rank)
    return error(node) << "axis " << axis << " is out of range";
  if (axis < 0)
    axis += rank;
  auto parts = intsFrom(node, "split", 1, 13);
  if (failed(parts))
    return failure();
  int64_t outputs = node.output_size(), dim = shape[axis];
  SmallVector<int64_t> sizes;
  if (*parts) {
    sizes = **parts;
  } else {
    // Equal parts; the last one smaller when the size does not divide.
    int64_t each = (dim + outputs - 1) / outputs;
    for (int64_t i = 0; i < outputs; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
  }
  if (int64_t(sizes.size()) != outputs)
    return error(node) << "split lists " << sizes.size() << " sizes for "
                       << outputs << " outputs";
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    SmallVector<int64_t> offs(rank, 0), size(shape), step(rank, 1);
    offs[axis] = offset;
    size[axis] = sizes[i];
    offset += sizes[i];
    if (offset > dim)
      return error(node) << "split sizes exceed dimension " << axis << " (size "
                         << dim << ")";
    auto y = build<SliceOp>(node, *x, b.getDenseI64ArrayAttr(offs),
                            b.getDenseI64ArrayAttr(size),
                            b.getDenseI64ArrayAttr(step));
    if (failed(y))
      return failure();
    if (!node.output(i).empty())
      setOutput(node, i, *y);
  }
  return success();
}

LogicalResult Importer::expand(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  const TensorValue *target = constantInput(node, 1, "shape");
  if (!target)
    return failure();
  SmallVector<int64_t> want;
  for (int64_t i = 0; i < target->numElements(); ++i)
    want.push_back(target->intAt(i));
  auto type = cast<RankedTensorType>(x->getType());
  auto shape = broadcastShapes(type.getShape(), want);
  if (failed(shape))
    return error(node) << "cannot broadcast " << shapeString(type.getShape())
                       << " to " << shapeString(want);
  auto y = finish(ExpandOp::create(
      b, loc, RankedTensorType::get(*shape, type.getElementType()), *x));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

//===----------------------------------------------------------------------===//
// Creation, indexing and rearrangement
//===----------------------------------------------------------------------===//

FailureOr<int64_t> Importer::resolveAxis(const NodeProto &node, int64_t axis,
                                         int64_t rank) {
  if (axis < -rank || axis >= rank) {
    error(node) << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Appends |v| to |t| converted to |t|'s element type.
static void appendElement(TensorValue &t, double f, int64_t i) {
  auto put = [&](auto x) {
    const char *p = reinterpret_cast<const char *>(&x);
    t.bytes.insert(t.bytes.end(), p, p + sizeof(x));
  };
  switch (t.dtype) {
  case DType::F32:
    put(float(f));
    break;
  case DType::F64:
    put(f);
    break;
  case DType::I32:
    put(int32_t(i));
    break;
  case DType::I64:
    put(i);
    break;
  case DType::I8:
    put(int8_t(i));
    break;
  case DType::U8:
    put(uint8_t(i));
    break;
  case DType::Bool:
    put(uint8_t(i != 0));
    break;
  }
}

static bool isFloatDType(DType d) { return d == DType::F32 || d == DType::F64; }

LogicalResult Importer::range(const NodeProto &node) {
  const TensorValue *start = constantInput(node, 0, "start");
  const TensorValue *limit = constantInput(node, 1, "limit");
  const TensorValue *delta = constantInput(node, 2, "delta");
  if (!start || !limit || !delta)
    return failure();
  if (start->numElements() != 1 || limit->numElements() != 1 ||
      delta->numElements() != 1)
    return error(node) << "start, limit and delta must be scalars";
  TensorValue out;
  out.dtype = start->dtype;
  bool isFloat = isFloatDType(out.dtype);
  double s = start->floatAt(0), l = limit->floatAt(0), d = delta->floatAt(0);
  if (d == 0)
    return error(node) << "delta must not be zero";
  int64_t n = std::max<int64_t>(int64_t(std::ceil((l - s) / d)), 0);
  if (n == 0)
    return error(node) << "the range is empty; zero-size tensors are not "
                          "supported yet";
  out.shape = {n};
  for (int64_t i = 0; i < n; ++i)
    appendElement(out, s + double(i) * d,
                  isFloat ? 0 : start->intAt(0) + i * delta->intAt(0));
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::eyeLike(const NodeProto &node) {
  auto shape = shapeOf(node, 0);
  if (failed(shape))
    return failure();
  if (shape->size() != 2)
    return error(node) << "expected a 2-D input, got rank " << shape->size();
  TensorValue out;
  if (const auto *attr = findAttr(node, "dtype")) {
    auto d = dtypeFromOnnx(int(attr->i()));
    if (!d)
      return error(node) << llvm::toString(d.takeError());
    out.dtype = *d;
  } else if (isConstant(node.input(0))) {
    out.dtype = constants[node.input(0)].dtype;
  } else {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    Type elt = cast<RankedTensorType>(x->getType()).getElementType();
    out.dtype = elt.isF64()         ? DType::F64
                : elt.isInteger(64) ? DType::I64
                : elt.isInteger(32) ? DType::I32
                                    : DType::F32;
  }
  out.shape = {(*shape)[0], (*shape)[1]};
  int64_t k = intAttr(node, "k", 0);
  for (int64_t i = 0; i < out.shape[0]; ++i)
    for (int64_t j = 0; j < out.shape[1]; ++j)
      appendElement(out, j - i == k ? 1.0 : 0.0, j - i == k ? 1 : 0);
  setConstant(node, 0, std::move(out));
  return success();
}

LogicalResult Importer::cumSum(const NodeProto &node) {
  auto x = input(node, 0);
  const TensorValue *axisValue = constantInput(node, 1, "axis");
  if (failed(x) || !axisValue)
    return failure();
  if (axisValue->numElements() != 1)
    return error(node) << "axis must be a scalar";
  auto axis = resolveAxis(node, axisValue->intAt(0),
                          cast<RankedTensorType>(x->getType()).getRank());
  if (failed(axis))
    return failure();
  auto y = finish(CumSumOp::create(b, loc, x->getType(), *x, *axis,
                                   intAttr(node, "exclusive", 0) != 0,
                                   intAttr(node, "reverse", 0) != 0));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::oneHot(const NodeProto &node) {
  auto indices = input(node, 0);
  const TensorValue *depth = constantInput(node, 1, "depth");
  auto values = input(node, 2);
  if (failed(indices) || !depth || failed(values))
    return failure();
  if (depth->numElements() != 1)
    return error(node) << "depth must be a scalar";
  Value idx = *indices;
  Type idxElt = cast<RankedTensorType>(idx.getType()).getElementType();
  if (!idxElt.isInteger(32) && !idxElt.isInteger(64)) {
    auto cast64 = castTo(node, idx, b.getI64Type());
    if (failed(cast64))
      return failure();
    idx = *cast64;
  }
  int64_t rank = cast<RankedTensorType>(idx.getType()).getRank() + 1;
  auto axis = resolveAxis(node, intAttr(node, "axis", -1), rank);
  if (failed(axis))
    return failure();
  auto y =
      build<OneHotOp>(node, idx, *values, int64_t(depth->floatAt(0)), *axis);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::hardmax(const NodeProto &node) {
  // hardmax(x) = one_hot(argmax(x, axis), dim, axis) with [0, 1].
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto axis =
      resolveAxis(node, intAttr(node, "axis", opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  Value in = *x;
  if (opset < 13) {
    // Before opset 13 the input is coerced to 2-D at |axis|.
    int64_t outer = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= type.getDimSize(d);
    auto flat = buildReshape(in, {outer, type.getNumElements() / outer});
    if (failed(flat))
      return failure();
    in = *flat;
    *axis = 1;
  }
  auto inType = cast<RankedTensorType>(in.getType());
  auto idx = build<ArgMaxOp>(node, in, b.getI64IntegerAttr(*axis),
                             b.getBoolAttr(false), b.getBoolAttr(false));
  if (failed(idx))
    return failure();
  Type elt = inType.getElementType();
  auto valuesType = RankedTensorType::get({2}, elt);
  Value values = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(valuesType,
                             ArrayRef<Attribute>{b.getFloatAttr(elt, 0.0),
                                                 b.getFloatAttr(elt, 1.0)}));
  auto y = build<OneHotOp>(node, *idx, values, inType.getDimSize(*axis), *axis);
  if (failed(y))
    return failure();
  auto out = buildReshape(*y, type.getShape());
  if (failed(out))
    return failure();
  setOutput(node, 0, *out);
  return success();
}

LogicalResult Importer::tile(const NodeProto &node) {
  // tile(x, r) = reshape(expand(reshape(x, [1, d0, 1, d1, ...]),
  //                             [r0, d0, r1, d1, ...]), [r0 d0, r1 d1, ...]).
  auto x = input(node, 0);
  const TensorValue *repeats = constantInput(node, 1, "repeats");
  if (failed(x) || !repeats)
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (repeats->numElements() != type.getRank())
    return error(node) << "expected " << type.getRank() << " repeats, got "
                       << repeats->numElements();
  SmallVector<int64_t> interleaved, expanded, result;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t r = repeats->intAt(d);
    if (r < 1)
      return error(node) << "repeats must be positive, got " << r;
    interleaved.append({1, type.getDimSize(d)});
    expanded.append({r, type.getDimSize(d)});
    result.push_back(r * type.getDimSize(d));
  }
  auto lifted = buildReshape(*x, interleaved);
  if (failed(lifted))
    return failure();
  auto wide = finish(ExpandOp::create(
      b, loc, RankedTensorType::get(expanded, type.getElementType()), *lifted));
  if (failed(wide))
    return failure();
  auto y = buildReshape(*wide, result);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::depthToSpace(const NodeProto &node) {
  // PixelShuffle / PixelUnshuffle: reshape, transpose, reshape.
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() != 4)
    return error(node) << "expected an NCHW input, got rank " << type.getRank();
  int64_t bs = intAttr(node, "blocksize", 0);
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2), w = type.getDimSize(3);
  SmallVector<int64_t> split, perm, out;
  if (node.op_type() == "DepthToSpace") {
    if (bs < 1 || c % (bs * bs) != 0)
      return error(node) << "blocksize " << bs << " must divide the " << c
                         << " channels twice";
    std::string mode = stringAttr(node, "mode", "DCR");
    if (mode == "DCR") {
      split = {n, bs, bs, c / (bs * bs), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (mode == "CRD") {
      split = {n, c / (bs * bs), bs, bs, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return error(node) << "mode '" << mode << "' is not DCR or CRD";
    }
    out = {n, c / (bs * bs), h * bs, w * bs};
  } else {
    if (bs < 1 || h % bs != 0 || w % bs != 0)
      return error(node) << "blocksize " << bs << " must divide the " << h
                         << "x" << w << " spatial size";
    split = {n, c, h / bs, bs, w / bs, bs};
    perm = {0, 3, 5, 1, 2, 4};
    out = {n, c * bs * bs, h / bs, w / bs};
  }
  auto blocks = buildReshape(*x, split);
  if (failed(blocks))
    return failure();
  auto moved = build<TransposeOp>(node, *blocks, b.getDenseI64ArrayAttr(perm));
  if (failed(moved))
    return failure();
  auto y = buildReshape(*moved, out);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::resize(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  bool legacy = node.op_type() == "Upsample" || opset < 11;
  // Inputs: Upsample-7 has scales as an attribute; Upsample-9 and Resize-10
  // take (X, scales); Resize-11+ takes (X, roi, scales, sizes).
  int scalesInput = legacy ? 1 : 2, sizesInput = legacy ? -1 : 3;
  std::vector<double> given;
  bool haveScales = false;
  if (node.op_type() == "Upsample" && opset < 9) {
    if (const auto *a = findAttr(node, "scales")) {
      given.assign(a->floats().begin(), a->floats().end());
      haveScales = true;
    }
  } else if (hasInput(node, scalesInput)) {
    const TensorValue *v = constantInput(node, scalesInput, "scales");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      given.push_back(v->floatAt(i));
    haveScales = !given.empty();
  }
  std::vector<int64_t> sizes;
  if (sizesInput >= 0 && hasInput(node, sizesInput)) {
    const TensorValue *v = constantInput(node, sizesInput, "sizes");
    if (!v)
      return failure();
    for (int64_t i = 0; i < v->numElements(); ++i)
      sizes.push_back(v->intAt(i));
  }
  if (haveScales == !sizes.empty())
    return error(node) << "expected exactly one of scales and sizes";
  SmallVector<int64_t> axes;
  if (auto a = intsAttr(node, "axes")) {
    for (int64_t v : *a) {
      auto r = resolveAxis(node, v, rank);
      if (failed(r))
        return failure();
      axes.push_back(*r);
    }
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  size_t count = haveScales ? given.size() : sizes.size();
  if (count != axes.size())
    return error(node) << "expected " << axes.size() << " "
                       << (haveScales ? "scales" : "sizes") << ", got "
                       << count;
  if (intAttr(node, "antialias", 0) != 0)
    return error(node) << "antialias=1 is not supported";
  SmallVector<double> scales(rank, 1.0);
  SmallVector<int64_t> out(type.getShape());
  if (haveScales) {
    for (size_t i = 0; i < axes.size(); ++i) {
      if (!(given[i] > 0))
        return error(node) << "scales must be positive, got " << given[i];
      scales[axes[i]] = given[i];
      out[axes[i]] =
          int64_t(std::floor(double(type.getDimSize(axes[i])) * given[i]));
    }
  } else {
    std::string policy =
        stringAttr(node, "keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" &&
        policy != "not_smaller")
      return error(node) << "keep_aspect_ratio_policy '" << policy
                         << "' is not stretch, not_larger or not_smaller";
    double common = policy == "not_larger" ? 1e300 : 0.0;
    for (size_t i = 0; i < axes.size(); ++i) {
      double ratio = double(sizes[i]) / double(type.getDimSize(axes[i]));
      common = policy == "not_larger" ? std::min(common, ratio)
                                      : std::max(common, ratio);
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t in = type.getDimSize(axes[i]);
      if (policy == "stretch") {
        out[axes[i]] = sizes[i];
        scales[axes[i]] = double(sizes[i]) / double(in);
      } else {
        scales[axes[i]] = common;
        out[axes[i]] = int64_t(std::round(common * double(in)));
      }
    }
  }
  for (int64_t d : out)
    if (d <= 0)
      return error(node) << "the output would be empty; zero-size tensors "
                            "are not supported yet";
  std::string modeName = stringAttr(node, "mode", "nearest");
  std::optional<ResizeMode> mode = symbolizeResizeMode(
      modeName == "bilinear" || modeName == "trilinear" ? "linear" : modeName);
  if (!mode)
    return error(node) << "mode '" << modeName
                       << "' is not nearest, linear or cubic";
  std::string cmName =
      legacy ? "asymmetric"
             : stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  std::optional<CoordinateMode> cm = symbolizeCoordinateMode(cmName);
  if (!cm)
    return error(node) << "coordinate_transformation_mode '" << cmName
                       << "' is not supported";
  std::string nmName =
      legacy ? "floor" : stringAttr(node, "nearest_mode", "round_prefer_floor");
  std::optional<NearestMode> nm = symbolizeNearestMode(nmName);
  if (!nm)
    return error(node) << "nearest_mode '" << nmName << "' is not supported";
  DenseF64ArrayAttr roi;
  if (*cm == CoordinateMode::tf_crop_and_resize) {
    const TensorValue *r = constantInput(node, 1, "roi");
    if (!r)
      return failure();
    SmallVector<double> full(2 * rank, 0.0);
    for (int64_t d = 0; d < rank; ++d)
      full[rank + d] = 1.0;
    if (size_t(r->numElements()) != 2 * axes.size())
      return error(node) << "expected a roi of " << 2 * axes.size()
                         << " values, got " << r->numElements();
    for (size_t i = 0; i < axes.size(); ++i) {
      full[axes[i]] = r->floatAt(i);
      full[rank + axes[i]] = r->floatAt(i + axes.size());
    }
    roi = b.getDenseF64ArrayAttr(full);
  }
  auto y = finish(ResizeOp::create(
      b, loc, RankedTensorType::get(out, type.getElementType()), *x,
      b.getDenseF64ArrayAttr(scales), ResizeModeAttr::get(&ctx, *mode),
      CoordinateModeAttr::get(&ctx, *cm), NearestModeAttr::get(&ctx, *nm),
      b.getF64FloatAttr(floatAttr(node, "cubic_coeff_a", -0.75f)),
      intAttr(node, "exclude_outside", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getF64FloatAttr(floatAttr(node, "extrapolation_value", 0.0f)), roi));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::scatter(const NodeProto &node) {
  auto x = input(node, 0), idx = input(node, 1), upd = input(node, 2);
  if (failed(x) || failed(idx) || failed(upd))
    return failure();
  std::string name = stringAttr(node, "reduction", "none");
  std::optional<ScatterReduction> reduction = symbolizeScatterReduction(name);
  if (!reduction)
    return error(node) << "reduction '" << name
                       << "' is not none, add, mul, max or min";
  auto reductionAttr = ScatterReductionAttr::get(&ctx, *reduction);
  FailureOr<Value> y;
  if (node.op_type() == "ScatterND") {
    y = build<ScatterNdOp>(node, *x, *idx, *upd, reductionAttr);
  } else {
    auto axis = resolveAxis(node, intAttr(node, "axis", 0),
                            cast<RankedTensorType>(x->getType()).getRank());
    if (failed(axis))
      return failure();
    y = build<ScatterElementsOp>(node, *x, *idx, *upd,
                                 b.getI64IntegerAttr(*axis), reductionAttr);
  }
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::maxUnpool(const NodeProto &node) {
  // y = zeros(output shape); y.flat[indices] = x: a scatter_nd on the
  // flattened tensors.
  auto x = input(node, 0), idx = input(node, 1);
  if (failed(x) || failed(idx))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t spatial = xType.getRank() - 2;
  auto kernel = intsAttr(node, "kernel_shape");
  if (!kernel || int64_t(kernel->size()) != spatial)
    return error(node) << "expected a kernel_shape of " << spatial << " values";
  SmallVector<int64_t> strides =
      intsAttr(node, "strides").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> pads =
      intsAttr(node, "pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  if (int64_t(strides.size()) != spatial || int64_t(pads.size()) != 2 * spatial)
    return error(node) << "expected " << spatial << " strides and "
                       << 2 * spatial << " pads";
  // Indices address the default output; output_shape extends it at the end.
  SmallVector<int64_t> out(xType.getShape().take_front(2));
  for (int64_t i = 0; i < spatial; ++i)
    out.push_back((xType.getDimSize(2 + i) - 1) * strides[i] + (*kernel)[i] -
                  pads[i] - pads[i + spatial]);
  SmallVector<int64_t> requested(out);
  if (hasInput(node, 2)) {
    const TensorValue *shape = constantInput(node, 2, "output_shape");
    if (!shape)
      return failure();
    requested.clear();
    for (int64_t i = 0; i < shape->numElements(); ++i)
      requested.push_back(shape->intAt(i));
    if (requested.size() != out.size())
      return error(node) << "output_shape must have " << out.size()
                         << " dimensions";
    for (size_t d = 0; d < out.size(); ++d)
      if (requested[d] < out[d])
        return error(node) << "output_shape " << shapeString(requested)
                           << " is smaller than the unpooled "
                           << shapeString(out);
  }
  int64_t total = 1;
  for (int64_t d : out)
    total *= d;
  Type elt = xType.getElementType();
  Value zeros = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({total}, elt),
                             b.getFloatAttr(elt, 0.0)));
  int64_t m = xType.getNumElements();
  auto values = buildReshape(*x, {m});
  auto positions = buildReshape(*idx, {m, 1});
  if (failed(values) || failed(positions))
    return failure();
  auto flat = build<ScatterNdOp>(
      node, zeros, *positions, *values,
      ScatterReductionAttr::get(&ctx, ScatterReduction::none));
  if (failed(flat))
    return failure();
  auto y = buildReshape(*flat, out);
  if (failed(y))
    return failure();
  if (requested != out) {
    SmallVector<int64_t> extend(out.size(), 0);
    for (size_t d = 0; d < out.size(); ++d)
      extend.push_back(requested[d] - out[d]);
    y = build<PadOp>(node, *y, b.getDenseI64ArrayAttr(extend),
                     b.getF64FloatAttr(0.0),
                     PadModeAttr::get(&ctx, PadMode::constant));
    if (failed(y))
      return failure();
  }
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::gridSample(const NodeProto &node) {
  auto x = input(node, 0), grid = input(node, 1);
  if (failed(x) || failed(grid))
    return failure();
  std::string modeName =
      stringAttr(node, "mode", opset >= 20 ? "linear" : "bilinear");
  std::optional<ResizeMode> mode =
      modeName == "bilinear"  ? std::optional(ResizeMode::linear)
      : modeName == "bicubic" ? std::optional(ResizeMode::cubic)
                              : symbolizeResizeMode(modeName);
  if (!mode)
    return error(node) << "mode '" << modeName << "' is not supported";
  std::string padName = stringAttr(node, "padding_mode", "zeros");
  std::optional<GridPadding> padding = symbolizeGridPadding(padName);
  if (!padding)
    return error(node) << "padding_mode '" << padName
                       << "' is not zeros, border or reflection";
  auto y = build<GridSampleOp>(
      node, *x, *grid, ResizeModeAttr::get(&ctx, *mode),
      GridPaddingAttr::get(&ctx, *padding),
      intAttr(node, "align_corners", 0) ? b.getUnitAttr() : UnitAttr());
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::affineGrid(const NodeProto &node) {
  // grid = base @ theta^T, base holding (x, y[, z], 1) of every output
  // point in normalized coordinates (x fastest).
  auto theta = input(node, 0);
  const TensorValue *size = constantInput(node, 1, "size");
  if (failed(theta) || !size)
    return failure();
  auto tType = cast<RankedTensorType>(theta->getType());
  int64_t spatial = size->numElements() - 2;
  if ((spatial != 2 && spatial != 3) || tType.getRank() != 3 ||
      tType.getDimSize(1) != spatial || tType.getDimSize(2) != spatial + 1)
    return error(node) << "expected theta N x 2 x 3 with a 4-element size, "
                          "or N x 3 x 4 with a 5-element size";
  bool align = intAttr(node, "align_corners", 0) != 0;
  SmallVector<int64_t> dims; // D, H, W (outermost first)
  for (int64_t i = 2; i < size->numElements(); ++i)
    dims.push_back(size->intAt(i));
  int64_t points = 1;
  for (int64_t d : dims)
    points *= d;
  auto coord = [&](int64_t i, int64_t n) {
    if (align)
      return n == 1 ? 0.0 : -1.0 + 2.0 * double(i) / double(n - 1);
    return (2.0 * double(i) + 1.0) / double(n) - 1.0;
  };
  SmallVector<double> base;
  for (int64_t p = 0; p < points; ++p) {
    SmallVector<int64_t> at(dims.size());
    for (int64_t d = dims.size() - 1, rest = p; d >= 0; --d) {
      at[d] = rest % dims[d];
      rest /= dims[d];
    }
    for (int64_t d = dims.size() - 1; d >= 0; --d) // x, y[, z]
      base.push_back(coord(at[d], dims[d]));
    base.push_back(1.0);
  }
  Type elt = tType.getElementType();
  SmallVector<Attribute> values;
  for (double v : base)
    values.push_back(b.getFloatAttr(elt, v));
  Value baseValue = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({1, points, spatial + 1}, elt), values));
  auto thetaT =
      build<TransposeOp>(node, *theta, b.getDenseI64ArrayAttr({0, 2, 1}));
  if (failed(thetaT))
    return failure();
  auto grid = build<MatmulOp>(node, baseValue, *thetaT);
  if (failed(grid))
    return failure();
  SmallVector<int64_t> shape = {tType.getDimSize(0)};
  llvm::append_range(shape, dims);
  shape.push_back(spatial);
  auto y = buildReshape(*grid, shape);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::random(const NodeProto &node) {
  const std::string &op = node.op_type();
  bool like = op == "RandomUniformLike" || op == "RandomNormalLike" ||
              op == "Bernoulli";
  SmallVector<int64_t> shape;
  Type elt = b.getF32Type();
  Value probability;
  if (like) {
    auto x = input(node, 0);
    if (failed(x))
      return failure();
    auto t = cast<RankedTensorType>(x->getType());
    shape.assign(t.getShape().begin(), t.getShape().end());
    elt = t.getElementType();
    probability = *x;
  } else {
    auto s = intsAttr(node, "shape");
    if (!s)
      return error(node) << "missing required attribute shape";
    shape = *s;
  }
  Type outElt = elt;
  if (const auto *a = findAttr(node, "dtype")) {
    auto d = dtypeFromOnnx(int(a->i()));
    if (!d)
      return error(node) << llvm::toString(d.takeError());
    outElt = mlirType(*d);
  }
  // Without a seed each node still gets its own stream, from its position.
  int64_t seed = findAttr(node, "seed")
                     ? int64_t(floatAttr(node, "seed", 0.0f))
                     : int64_t(std::hash<std::string>()(node.name() + "#" +
                                                        node.output(0)));
  bool bernoulli = op == "Bernoulli";
  Type drawElt = bernoulli ? elt : outElt;
  if (!isa<FloatType>(drawElt))
    return error(node) << "random values of a non-float type are not "
                          "supported";
  bool normal = op == "RandomNormal" || op == "RandomNormalLike";
  double a =
      normal ? floatAttr(node, "mean", 0.0f) : floatAttr(node, "low", 0.0f);
  double bParam =
      normal ? floatAttr(node, "scale", 1.0f) : floatAttr(node, "high", 1.0f);
  if (bernoulli) {
    a = 0.0;
    bParam = 1.0;
  }
  auto y = finish(RandomOp::create(
      b, loc, RankedTensorType::get(shape, drawElt), Value(),
      DistributionAttr::get(&ctx, normal ? Distribution::normal
                                         : Distribution::uniform),
      b.getF64FloatAttr(a), b.getF64FloatAttr(bParam),
      b.getI64IntegerAttr(seed)));
  if (failed(y))
    return failure();
  if (bernoulli) {
    // bernoulli(p) = (u < p), as the element type asked for.
    y = build<LessOp>(node, *y, probability);
    if (failed(y))
      return failure();
  }
  y = castTo(node, *y, outElt);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::isSpecial(const NodeProto &node) {
  // isnan(x) = x != x; isinf(x) = x == +inf (detect_positive) or x == -inf
  // (detect_negative).
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  if (!isa<FloatType>(elt))
    return error(node) << "expected a floating-point input";
  if (node.op_type() == "IsNaN") {
    auto same = build<EqualOp>(node, *x, *x);
    if (failed(same))
      return failure();
    auto y = finish(NotOp::create(b, loc, same->getType(), *same));
    if (failed(y))
      return failure();
    setOutput(node, 0, *y);
    return success();
  }
  auto scalar = [&](double v) -> Value {
    return ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, elt),
                               b.getFloatAttr(elt, v)));
  };
  double inf = std::numeric_limits<double>::infinity();
  bool pos = intAttr(node, "detect_positive", 1) != 0,
       neg = intAttr(node, "detect_negative", 1) != 0;
  FailureOr<Value> y;
  if (pos && neg) {
    auto magnitude = finish(AbsOp::create(b, loc, *x));
    if (failed(magnitude))
      return failure();
    y = build<EqualOp>(node, *magnitude, scalar(inf));
  } else {
    // Neither: compare with NaN, which is never equal.
    double target = pos ? inf : neg ? -inf : std::nan("");
    y = build<EqualOp>(node, *x, scalar(target));
  }
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::gatherNd(const NodeProto &node) {
  auto x = input(node, 0), idx = input(node, 1);
  if (failed(x) || failed(idx))
    return failure();
  auto y = build<GatherNdOp>(
      node, *x, *idx, b.getI64IntegerAttr(intAttr(node, "batch_dims", 0)));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::topK(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t k;
  if (opset < 10) {
    k = intAttr(node, "k", 0);
  } else {
    const TensorValue *kv = constantInput(node, 1, "K");
    if (!kv)
      return failure();
    if (kv->numElements() != 1)
      return error(node) << "K must hold one value";
    k = kv->intAt(0);
  }
  auto axis = resolveAxis(node, intAttr(node, "axis", -1),
                          cast<RankedTensorType>(x->getType()).getRank());
  if (failed(axis))
    return failure();
  Operation *made = TopKOp::create(
      b, loc, *x, b.getI64IntegerAttr(k), b.getI64IntegerAttr(*axis),
      b.getBoolAttr(intAttr(node, "largest", 1) != 0));
  if (failed(finish(made)))
    return failure();
  setOutput(node, 0, made->getResult(0));
  if (node.output_size() > 1 && !node.output(1).empty())
    setOutput(node, 1, made->getResult(1));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization beyond batch and layer norm

LogicalResult Importer::lrn(const NodeProto &node) {
  // y = x / (bias + alpha / size * sum over the channel window of x^2)^beta,
  // the window [c - floor((size-1)/2), c + ceil((size-1)/2)]: squares,
  // zero-padded along channels, summed as `size` shifted slices.
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t size = intAttr(node, "size", 0), rank = type.getRank();
  if (size < 1 || rank < 3)
    return error(node) << "expected a positive size and an N x C x ... input";
  auto sq = build<MulOp>(node, *x, *x);
  if (failed(sq))
    return failure();
  SmallVector<int64_t> pads(2 * rank, 0);
  pads[1] = (size - 1) / 2;
  pads[rank + 1] = size - 1 - pads[1];
  auto padded = build<PadOp>(node, *sq, b.getDenseI64ArrayAttr(pads),
                             b.getF64FloatAttr(0.0),
                             PadModeAttr::get(&ctx, PadMode::constant));
  if (failed(padded))
    return failure();
  FailureOr<Value> sum = failure();
  for (int64_t k = 0; k < size; ++k) {
    SmallVector<int64_t> starts(rank, 0), steps(rank, 1);
    starts[1] = k;
    auto part = build<SliceOp>(node, *padded, b.getDenseI64ArrayAttr(starts),
                               b.getDenseI64ArrayAttr(type.getShape()),
                               b.getDenseI64ArrayAttr(steps));
    if (failed(part))
      return failure();
    sum = k == 0 ? part : build<AddOp>(node, *sum, *part);
    if (failed(sum))
      return failure();
  }
  Type elt = type.getElementType();
  auto scalar = [&](double v) -> Value {
    return ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, elt),
                               b.getFloatAttr(elt, v)));
  };
  double alpha = floatAttr(node, "alpha", 1e-4f),
         beta = floatAttr(node, "beta", 0.75f),
         bias = floatAttr(node, "bias", 1.0f);
  auto scaled = build<MulOp>(node, *sum, scalar(alpha / double(size)));
  if (failed(scaled))
    return failure();
  auto base = build<AddOp>(node, *scaled, scalar(bias));
  if (failed(base))
    return failure();
  auto den = build<PowOp>(node, *base, scalar(beta));
  if (failed(den))
    return failure();
  auto y = build<DivOp>(node, *x, *den);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

//===----------------------------------------------------------------------===//

LogicalResult Importer::instanceNorm(const NodeProto &node) {
  auto x = input(node, 0), scale = input(node, 1), bias = input(node, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() < 3)
    return error(node) << "expected an N x C x D1 ... input, got rank "
                       << type.getRank();
  auto y = finishGroupNorm(node, *x, *scale, *bias, type.getDimSize(1));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::groupNorm(const NodeProto &node) {
  auto x = input(node, 0), scale = input(node, 1), bias = input(node, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  if (intAttr(node, "stash_type", 1) != 1)
    return error(node) << "stash_type other than 1 (float32 statistics) is "
                          "not supported";
  auto type = cast<RankedTensorType>(x->getType());
  int64_t groups = intAttr(node, "num_groups", 0);
  if (type.getRank() < 2 || groups <= 0 || type.getDimSize(1) % groups != 0)
    return error(node) << "num_groups " << groups
                       << " must divide the channels of an N x C x ... input";
  Value s = *scale, bi = *bias;
  if (opset < 21) {
    // Opsets 18-20 hold one scale and bias per group: repeat per channel.
    int64_t per = type.getDimSize(1) / groups;
    for (Value *v : {&s, &bi}) {
      auto t = cast<RankedTensorType>(v->getType());
      if (t.getRank() != 1 || t.getDimSize(0) != groups)
        return error(node) << "expected scale and bias of " << groups
                           << " elements (one per group)";
      auto column = buildReshape(*v, {groups, 1});
      if (failed(column))
        return failure();
      auto wide = finish(ExpandOp::create(
          b, loc, RankedTensorType::get({groups, per}, t.getElementType()),
          *column));
      if (failed(wide))
        return failure();
      auto flat = buildReshape(*wide, {groups * per});
      if (failed(flat))
        return failure();
      *v = *flat;
    }
  }
  auto y = finishGroupNorm(node, *x, s, bi, groups);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

FailureOr<Value> Importer::finishGroupNorm(const NodeProto &node, Value x,
                                           Value scale, Value bias,
                                           int64_t groups) {
  auto type = cast<RankedTensorType>(x.getType());
  auto stats = RankedTensorType::get({type.getDimSize(0), groups},
                                     type.getElementType());
  auto op =
      GroupNormOp::create(b, loc, TypeRange{type, stats, stats}, x, scale, bias,
                          b.getI64IntegerAttr(groups),
                          b.getF32FloatAttr(floatAttr(node, "epsilon", 1e-5f)));
  SmallVector<Type> inferred;
  if (failed(GroupNormOp::inferReturnTypes(
          &ctx, loc, op->getOperands(), op->getRawDictionaryAttrs(),
          op->getPropertiesStorage(), op->getRegions(), inferred))) {
    op->erase();
    return failure();
  }
  return finish(op);
}

LogicalResult Importer::meanVarianceNorm(const NodeProto &node) {
  // (x - mean) / (sqrt(mean((x - mean)^2)) + 1e-9) over axes (default 0,2,3).
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  SmallVector<int64_t> axes;
  for (int64_t a :
       intsAttr(node, "axes").value_or(SmallVector<int64_t>{0, 2, 3})) {
    auto r = resolveAxis(node, a, rank);
    if (failed(r))
      return failure();
    axes.push_back(*r);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  auto keep = b.getBoolAttr(true);
  auto mean = build<ReduceMeanOp>(node, *x, axesAttr, keep);
  if (failed(mean))
    return failure();
  auto dev = build<SubOp>(node, *x, *mean);
  if (failed(dev))
    return failure();
  auto sq = build<MulOp>(node, *dev, *dev);
  if (failed(sq))
    return failure();
  auto var = build<ReduceMeanOp>(node, *sq, axesAttr, keep);
  if (failed(var))
    return failure();
  auto sd = finish(SqrtOp::create(b, loc, *var));
  if (failed(sd))
    return failure();
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  Value eps =
      ConstantOp::create(b, loc,
                         DenseElementsAttr::get(RankedTensorType::get({}, elt),
                                                b.getFloatAttr(elt, 1e-9)));
  auto den = build<AddOp>(node, *sd, eps);
  if (failed(den))
    return failure();
  auto y = build<DivOp>(node, *dev, *den);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::globalMaxPool(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  if (rank < 3)
    return error(node) << "expected an N x C x D1 ... input, got rank " << rank;
  auto axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  auto y = build<ReduceMaxOp>(node, *x, b.getDenseI64ArrayAttr(axes),
                              b.getBoolAttr(true));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::gelu(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  std::string approximate = stringAttr(node, "approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return error(node) << "approximate '" << approximate
                       << "' is not none or tanh";
  if (!isa<FloatType>(cast<RankedTensorType>(x->getType()).getElementType()))
    return error(node) << "expected a floating-point input";
  auto y =
      finish(GeluOp::create(b, loc, x->getType(), *x, approximate == "tanh"));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

//===----------------------------------------------------------------------===//
// RNN
//===----------------------------------------------------------------------===//

LogicalResult Importer::recurrent(const NodeProto &node) {
  const std::string &op = node.op_type();
  auto x = input(node, 0), w = input(node, 1), r = input(node, 2);
  auto bias = optionalInput(node, 3);
  auto initialH = optionalInput(node, 5);
  FailureOr<Value> initialC = Value(), peepholes = Value();
  if (op == "LSTM") {
    initialC = optionalInput(node, 6);
    peepholes = optionalInput(node, 7);
  }
  if (failed(x) || failed(w) || failed(r) || failed(bias) || failed(initialH) ||
      failed(initialC) || failed(peepholes))
    return failure();
  int64_t layout = intAttr(node, "layout", 0);
  Value xs = *x, h0 = *initialH, c0 = *initialC;
  auto permute = [&](Value v, ArrayRef<int64_t> perm) -> FailureOr<Value> {
    return build<TransposeOp>(node, v, b.getDenseI64ArrayAttr(perm));
  };
  if (layout == 1) {
    // Batch-major (batch_first): N x T x I in, N x D x H states.
    auto t = permute(xs, {1, 0, 2});
    if (failed(t))
      return failure();
    xs = *t;
    for (Value *s : {&h0, &c0}) {
      if (!*s)
        continue;
      auto ts = permute(*s, {1, 0, 2});
      if (failed(ts))
        return failure();
      *s = *ts;
    }
  } else if (layout != 0) {
    return error(node) << "layout " << layout << " is not 0 or 1";
  }
  auto xType = cast<RankedTensorType>(xs.getType());
  if (xType.getRank() != 3)
    return error(node) << "expected a rank-3 input, got rank "
                       << xType.getRank();
  int64_t t = xType.getDimSize(0), n = xType.getDimSize(1);
  if (hasInput(node, 4)) {
    // Only sequences that all run the full length are supported.
    const TensorValue *lens = constantInput(node, 4, "sequence_lens");
    if (!lens)
      return failure();
    for (int64_t i = 0; i < lens->numElements(); ++i)
      if (lens->intAt(i) != t)
        return error(node) << "sequence_lens shorter than the sequence (" << t
                           << ") are not supported yet";
  }
  std::string dirName = stringAttr(node, "direction", "forward");
  std::optional<Direction> direction = symbolizeDirection(dirName);
  if (!direction)
    return error(node) << "direction '" << dirName
                       << "' is not forward, reverse or bidirectional";
  int64_t d = *direction == Direction::bidirectional ? 2 : 1;
  int64_t hidden = intAttr(node, "hidden_size", 0);
  if (hidden <= 0) {
    // hidden_size is optional in ONNX: R is D x gH x H.
    hidden = cast<RankedTensorType>(r->getType()).getShape().back();
  }
  // Activations: the defaults (and Relu for an Elman RNN) are supported.
  std::vector<std::string> acts;
  if (const auto *a = findAttr(node, "activations"))
    acts.assign(a->strings().begin(), a->strings().end());
  std::vector<std::string> expected =
      op == "LSTM"  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
      : op == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                    : std::vector<std::string>{"Tanh"};
  Nonlinearity nonlinearity = Nonlinearity::tanh;
  if (!acts.empty()) {
    auto lower = [](std::string s) {
      for (char &c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    if (op == "RNN" && lower(acts[0]) == "relu")
      nonlinearity = Nonlinearity::relu;
    for (size_t i = 0; i < acts.size(); ++i) {
      std::string want = lower(expected[i % expected.size()]);
      bool ok = lower(acts[i]) == want ||
                (op == "RNN" && lower(acts[i]) == lower(acts[0]) &&
                 nonlinearity == Nonlinearity::relu);
      if (!ok || acts.size() != expected.size() * size_t(d))
        return error(node) << "activations other than the defaults (or Relu "
                              "for RNN) are not supported";
    }
  }
  if (findAttr(node, "activation_alpha") || findAttr(node, "activation_beta"))
    return error(node) << "activation_alpha / activation_beta are not "
                          "supported (the default activations take none)";
  if (intAttr(node, "input_forget", 0) != 0)
    return error(node) << "input_forget=1 (coupled input and forget gates) "
                          "is not supported";
  FloatAttr clip;
  if (const auto *c = findAttr(node, "clip"))
    clip = b.getF32FloatAttr(c->f());
  Type elt = xType.getElementType();
  auto yType = RankedTensorType::get({t, d, n, hidden}, elt);
  auto stateType = RankedTensorType::get({d, n, hidden}, elt);
  auto hiddenAttr = b.getI64IntegerAttr(hidden);
  auto dirAttr = DirectionAttr::get(&ctx, *direction);
  Operation *made;
  if (op == "LSTM")
    made = LstmOp::create(b, loc, TypeRange{yType, stateType, stateType}, xs,
                          *w, *r, *bias, h0, c0, *peepholes, hiddenAttr,
                          dirAttr, clip);
  else if (op == "GRU")
    made = GruOp::create(
        b, loc, TypeRange{yType, stateType}, xs, *w, *r, *bias, h0, hiddenAttr,
        dirAttr,
        intAttr(node, "linear_before_reset", 0) ? b.getUnitAttr() : UnitAttr(),
        clip);
  else
    made = RnnOp::create(b, loc, TypeRange{yType, stateType}, xs, *w, *r, *bias,
                         h0, hiddenAttr, dirAttr,
                         NonlinearityAttr::get(&ctx, nonlinearity), clip);
  if (failed(finish(made)))
    return failure();
  for (int i = 0; i < node.output_size() && i < int(made->getNumResults());
       ++i) {
    if (node.output(i).empty())
      continue;
    Value v = made->getResult(i);
    if (layout == 1) {
      auto p = i == 0 ? permute(v, {2, 0, 1, 3}) : permute(v, {1, 0, 2});
      if (failed(p))
        return failure();
      v = *p;
    }
    setOutput(node, i, v);
  }
  return success();
}

LogicalResult Importer::ifOp(const NodeProto &node) {
  // Exporters branch on shapes; with the condition known at compile time the
  // chosen branch is imported in place of the node.
  const TensorValue *cond = constantInput(node, 0, "cond");
  if (!cond)
    return failure();
  if (cond->numElements() != 1)
    return error(node) << "cond must hold one value";
  bool taken = cond->intAt(0) != 0;
  const auto *attr = findAttr(node, taken ? "then_branch" : "else_branch");
  if (!attr || !attr->has_g())
    return error(node) << "missing " << (taken ? "then" : "else") << "_branch";
  const onnx::GraphProto &branch = attr->g();
  if (branch.output_size() != node.output_size())
    return error(node) << "the branch has " << branch.output_size()
                       << " outputs for " << node.output_size();
  for (const auto &init : branch.initializer()) {
    auto value = decodeTensor(init, modelDir);
    if (!value)
      return error(node) << llvm::toString(value.takeError());
    constants[init.name()] = std::move(*value);
  }
  Location outer = loc;
  for (int i = 0; i < branch.node_size(); ++i) {
    const NodeProto &inner = branch.node(i);
    loc = NameLoc::get(b.getStringAttr(nodeName(inner, i)));
    std::string reason = unsupportedReason(inner);
    if (!reason.empty())
      return emitError(loc) << reason << " (opset " << opset << ")";
    if (failed((this->*opTable().at(inner.op_type()).handler)(inner)))
      return failure();
  }
  loc = outer;
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &from = branch.output(i).name();
    if (isConstant(from)) {
      setConstant(node, i, constants[from]);
      continue;
    }
    auto v = values.find(from);
    if (v == values.end())
      return error(node) << "branch output '" << from
                         << "' is not produced by the branch";
    setOutput(node, i, v->second);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

FailureOr<Value> Importer::buildNllLoss(const NodeProto &node, Value logp) {
  auto target = input(node, 1);
  auto weight = optionalInput(node, 2);
  if (failed(target) || failed(weight))
    return failure();
  std::string name = stringAttr(node, "reduction", "mean");
  std::optional<Reduction> reduction = symbolizeReduction(name);
  if (!reduction) {
    error(node) << "reduction '" << name
                << "' is not one of none, mean and sum";
    return failure();
  }
  IntegerAttr ignore;
  if (const auto *a = findAttr(node, "ignore_index"))
    ignore = b.getI64IntegerAttr(a->i());
  return build<NllLossOp>(node, logp, *target, *weight, *reduction, ignore);
}

LogicalResult Importer::nllLoss(const NodeProto &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = buildNllLoss(node, *x);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

LogicalResult Importer::softmaxCrossEntropy(const NodeProto &node) {
  // cross_entropy(x, t) = nll_loss(log_softmax(x, axis 1), t).
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  if (cast<RankedTensorType>(x->getType()).getRank() < 2)
    return error(node) << "expected N x C (x d...) scores";
  auto logp = finish(LogSoftmaxOp::create(b, loc, x->getType(), *x, 1));
  if (failed(logp))
    return failure();
  auto y = buildNllLoss(node, *logp);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  if (node.output_size() > 1 && !node.output(1).empty())
    setOutput(node, 1, *logp);
  return success();
}

LogicalResult Importer::castOp(const NodeProto &node) {
  auto to = dtypeFromOnnx(int(intAttr(node, "to", 0)));
  if (!to)
    return error(node) << llvm::toString(to.takeError());
  if (isConstant(node.input(0))) {
    const TensorValue &v = constants[node.input(0)];
    TensorValue out;
    out.dtype = *to;
    out.shape = v.shape;
    size_t elt = dtypeSize(*to);
    out.bytes.resize(v.numElements() * elt);
    for (int64_t i = 0; i < v.numElements(); ++i) {
      char *dst = out.bytes.data() + i * elt;
      auto put = [&](auto x) { std::memcpy(dst, &x, sizeof(x)); };
      switch (*to) {
      case DType::F32:
        put(float(v.floatAt(i)));
        break;
      case DType::F64:
        put(double(v.floatAt(i)));
        break;
      case DType::I32:
        put(int32_t(v.intAt(i)));
        break;
      case DType::I64:
        put(int64_t(v.intAt(i)));
        break;
      case DType::I8:
        put(int8_t(v.intAt(i)));
        break;
      case DType::U8:
        put(uint8_t(v.intAt(i)));
        break;
      case DType::Bool:
        put(uint8_t(v.floatAt(i) != 0));
        break;
      }
    }
    setConstant(node, 0, std::move(out));
    return success();
  }
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto y = castTo(node, *x, mlirType(*to));
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

FailureOr<Value> Importer::castTo(const NodeProto &node, Value x, Type to) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == to)
    return x;
  if (type.getElementType().isUnsignedInteger() || to.isUnsignedInteger()) {
    error(node) << "unsigned element types are not supported at run time yet";
    return failure();
  }
  return finish(
      CastOp::create(b, loc, RankedTensorType::get(type.getShape(), to), x));
}

LogicalResult Importer::castLike(const NodeProto &node) {
  auto x = input(node, 0);
  auto like = shapeOrTypeSource(node, 1);
  if (failed(x) || failed(like))
    return failure();
  auto y = castTo(node, *x, *like);
  if (failed(y))
    return failure();
  setOutput(node, 0, *y);
  return success();
}

FailureOr<Type> Importer::shapeOrTypeSource(const NodeProto &node, int i) {
  if (hasInput(node, i) && isConstant(node.input(i)))
    return mlirType(constants[node.input(i)].dtype);
  auto v = input(node, i);
  if (failed(v))
    return failure();
  return cast<RankedTensorType>(v->getType()).getElementType();
}

const std::map<std::string, OpInfo> &opTable() {
  using I = Importer;
  static const std::map<std::string, OpInfo> table = {
      {"Relu", {&I::unary, {}}},
      {"Sigmoid", {&I::unary, {}}},
      {"Tanh", {&I::unary, {}}},
      {"Exp", {&I::unary, {}}},
      {"Log", {&I::unary, {}}},
      {"Sqrt", {&I::unary, {}}},
      {"Neg", {&I::unary, {}}},
      {"Abs", {&I::unary, {}}},
      {"Add", {&I::binary, {"broadcast", "axis", "consumed_inputs"}}},
      {"Sub", {&I::binary, {"broadcast", "axis", "consumed_inputs"}}},
      {"Mul", {&I::binary, {"broadcast", "axis", "consumed_inputs"}}},
      {"Div", {&I::binary, {"broadcast", "axis", "consumed_inputs"}}},
      {"Pow", {&I::binary, {"broadcast", "axis"}}},
      {"Mod", {&I::mod, {"fmod"}}},
      {"PRelu", {&I::binary, {}}},
      {"Equal", {&I::predicate, {}}},
      {"Greater", {&I::predicate, {}}},
      {"GreaterOrEqual", {&I::predicate, {}}},
      {"Less", {&I::predicate, {}}},
      {"LessOrEqual", {&I::predicate, {}}},
      {"And", {&I::predicate, {}}},
      {"Or", {&I::predicate, {}}},
      {"Xor", {&I::predicate, {}}},
      {"Not", {&I::logicalNot, {}}},
      {"Where", {&I::where, {}}},
      {"Max", {&I::variadic, {}}},
      {"Min", {&I::variadic, {}}},
      {"Sum", {&I::variadic, {}}},
      {"Mean", {&I::variadic, {}}},
      {"Reciprocal", {&I::unary, {}}},
      {"Floor", {&I::unary, {}}},
      {"Ceil", {&I::unary, {}}},
      {"Round", {&I::unary, {}}},
      {"Sign", {&I::unary, {}}},
      {"Erf", {&I::unary, {}}},
      {"Sin", {&I::unary, {}}},
      {"Cos", {&I::unary, {}}},
      {"Tan", {&I::unary, {}}},
      {"Asin", {&I::unary, {}}},
      {"Acos", {&I::unary, {}}},
      {"Atan", {&I::unary, {}}},
      {"Sinh", {&I::unary, {}}},
      {"Cosh", {&I::unary, {}}},
      {"Asinh", {&I::unary, {}}},
      {"Acosh", {&I::unary, {}}},
      {"Atanh", {&I::unary, {}}},
      {"Softplus", {&I::unary, {}}},
      {"Softsign", {&I::unary, {}}},
      {"HardSwish", {&I::unary, {}}},
      {"Elu", {&I::activation, {"alpha"}}},
      {"Selu", {&I::activation, {"alpha", "gamma"}}},
      {"Celu", {&I::activation, {"alpha"}}},
      {"LeakyRelu", {&I::activation, {"alpha"}}},
      {"HardSigmoid", {&I::activation, {"alpha", "beta"}}},
      {"ThresholdedRelu", {&I::activation, {"alpha"}}},
      {"Shrink", {&I::activation, {"bias", "lambd"}}},
      {"Clip", {&I::clip, {"min", "max"}}},
      {"Gemm", {&I::gemm, {"alpha", "beta", "transA", "transB", "broadcast"}}},
      {"MatMul", {&I::matmul, {}}},
      {"ArgMax", {&I::argReduce, {"axis", "keepdims", "select_last_index"}}},
      {"ArgMin", {&I::argReduce, {"axis", "keepdims", "select_last_index"}}},
      {"Trilu", {&I::trilu, {"upper"}}},
      {"ReduceSum", {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceMean",
       {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceMax", {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceMin", {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceProd",
       {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceL1", {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceL2", {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceSumSquare",
       {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceLogSum",
       {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"ReduceLogSumExp",
       {&I::reduce, {"axes", "keepdims", "noop_with_empty_axes"}}},
      {"Conv",
       {&I::conv,
        {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}}},
      {"ConvTranspose",
       {&I::convTranspose,
        {"auto_pad", "dilations", "group", "kernel_shape", "output_padding",
         "output_shape", "pads", "strides"}}},
      {"BatchNormalization",
       {&I::batchNorm,
        {"epsilon", "momentum", "training_mode", "spatial", "is_test",
         "consumed_inputs"}}},
      {"LayerNormalization",
       {&I::layerNorm, {"axis", "epsilon", "stash_type"}}},
      {"MaxPool",
       {&I::maxPool,
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
         "storage_order", "strides"}}},
      {"AveragePool",
       {&I::avgPool,
        {"auto_pad", "ceil_mode", "count_include_pad", "dilations",
         "kernel_shape", "pads", "strides"}}},
      {"GlobalAveragePool", {&I::globalAvgPool, {}}},
      {"Softmax", {&I::softmax, {"axis"}}},
      {"LogSoftmax", {&I::softmax, {"axis"}}},
      {"Flatten", {&I::flatten, {"axis"}}},
      {"Reshape", {&I::reshape, {"allowzero"}}},
      {"Squeeze", {&I::squeeze, {"axes"}}},
      {"Unsqueeze", {&I::squeeze, {"axes"}}},
      {"Transpose", {&I::transpose, {"perm"}}},
      {"Pad", {&I::pad, {"mode", "pads", "value"}}},
      {"Identity", {&I::identity, {}}},
      {"Dropout", {&I::identity, {"ratio", "seed"}}},
      {"Constant",
       {&I::constant,
        {"value", "value_float", "value_floats", "value_int", "value_ints"}}},
      {"Shape", {&I::shape, {"start", "end"}}},
      {"Size", {&I::size, {}}},
      {"ConstantOfShape", {&I::constantOfShape, {"value"}}},
      {"Gather", {&I::gather, {"axis"}}},
      {"GatherElements", {&I::gatherElements, {"axis"}}},
      {"NegativeLogLikelihoodLoss",
       {&I::nllLoss, {"ignore_index", "reduction"}}},
      {"SoftmaxCrossEntropyLoss",
       {&I::softmaxCrossEntropy, {"ignore_index", "reduction"}}},
      {"Concat", {&I::concat, {"axis"}}},
      {"Slice", {&I::slice, {"starts", "ends", "axes"}}},
      {"Split", {&I::split, {"axis", "split"}}},
      {"Expand", {&I::expand, {}}},
      {"Cast", {&I::castOp, {"to", "saturate"}}},
      {"Range", {&I::range, {}}},
      {"RNN",
       {&I::recurrent,
        {"activation_alpha", "activation_beta", "activations", "clip",
         "direction", "hidden_size", "layout"}}},
      {"GRU",
       {&I::recurrent,
        {"activation_alpha", "activation_beta", "activations", "clip",
         "direction", "hidden_size", "layout", "linear_before_reset"}}},
      {"LSTM",
       {&I::recurrent,
        {"activation_alpha", "activation_beta", "activations", "clip",
         "direction", "hidden_size", "input_forget", "layout"}}},
      {"EyeLike", {&I::eyeLike, {"dtype", "k"}}},
      {"CumSum", {&I::cumSum, {"exclusive", "reverse"}}},
      {"OneHot", {&I::oneHot, {"axis"}}},
      {"Hardmax", {&I::hardmax, {"axis"}}},
      {"Tile", {&I::tile, {}}},
      {"DepthToSpace", {&I::depthToSpace, {"blocksize", "mode"}}},
      {"SpaceToDepth", {&I::depthToSpace, {"blocksize"}}},
      {"InstanceNormalization", {&I::instanceNorm, {"epsilon"}}},
      {"GroupNormalization",
       {&I::groupNorm, {"epsilon", "num_groups", "stash_type"}}},
      {"MeanVarianceNormalization", {&I::meanVarianceNorm, {"axes"}}},
      {"GlobalMaxPool", {&I::globalMaxPool, {}}},
      {"Gelu", {&I::gelu, {"approximate"}}},
      {"Resize",
       {&I::resize,
        {"antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a",
         "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy",
         "mode", "nearest_mode"}}},
      {"Upsample", {&I::resize, {"mode", "scales"}}},
      {"Scatter", {&I::scatter, {"axis"}}},
      {"MaxUnpool", {&I::maxUnpool, {"kernel_shape", "pads", "strides"}}},
      {"AffineGrid", {&I::affineGrid, {"align_corners"}}},
      {"RandomUniform",
       {&I::random, {"dtype", "high", "low", "seed", "shape"}}},
      {"RandomNormal",
       {&I::random, {"dtype", "mean", "scale", "seed", "shape"}}},
      {"RandomUniformLike", {&I::random, {"dtype", "high", "low", "seed"}}},
      {"RandomNormalLike", {&I::random, {"dtype", "mean", "scale", "seed"}}},
      {"Bernoulli", {&I::random, {"dtype", "seed"}}},
      {"IsNaN", {&I::isSpecial, {}}},
      {"GatherND", {&I::gatherNd, {"batch_dims"}}},
      {"LRN", {&I::lrn, {"alpha", "beta", "bias", "size"}}},
      {"If", {&I::ifOp, {"else_branch", "then_branch"}}},
      {"TopK", {&I::topK, {"axis", "k", "largest", "sorted"}}},
      {"IsInf", {&I::isSpecial, {"detect_negative", "detect_positive"}}},
      {"GridSample",
       {&I::gridSample, {"align_corners", "mode", "padding_mode"}}},
      {"ScatterElements", {&I::scatter, {"axis", "reduction"}}},
      {"ScatterND", {&I::scatter, {"reduction"}}},
      {"CastLike", {&I::castLike, {"saturate"}}},
  };
  return table;
}

} // namespace

FailureOr<Model> importOnnx(MLIRContext &ctx, const std::string &path,
                            const ImportOptions &options) {
  ctx.getOrLoadDialect<LatheDialect>();
  ctx.getOrLoadDialect<func::FuncDialect>();
  auto model = readOnnxFile(path);
  if (!model) {
    emitError(UnknownLoc::get(&ctx)) << llvm::toString(model.takeError());
    return failure();
  }
  int64_t opset = defaultOpset(**model);
  if (opset < 1 || opset > 21) {
    emitError(UnknownLoc::get(&ctx))
        << path << ": opset " << opset << " is not supported (1 to 21 are)";
    return failure();
  }
  Importer importer(ctx, **model, path, options);
  return importer.run();
}

llvm::Expected<OnnxSummary> summarizeOnnx(const std::string &path) {
  auto model = readOnnxFile(path);
  if (!model)
    return model.takeError();
  const onnx::GraphProto &graph = (*model)->graph();
  OnnxSummary summary;
  summary.opset = defaultOpset(**model);
  summary.producer =
      (*model)->producer_name() + ((*model)->producer_version().empty()
                                       ? ""
                                       : " " + (*model)->producer_version());
  std::set<std::string> initNames;
  for (const auto &init : graph.initializer()) {
    initNames.insert(init.name());
    ++summary.numParameters;
    int64_t n = 1;
    for (int64_t d : init.dims())
      n *= d;
    summary.parameterElements += n;
    auto dtype = dtypeFromOnnx(init.data_type());
    summary.parameterBytes += n * (dtype ? dtypeSize(*dtype) : 0);
    if (!dtype)
      llvm::consumeError(dtype.takeError());
  }
  auto describe = [](const onnx::ValueInfoProto &v) {
    OnnxSummary::Value out;
    out.name = v.name();
    const auto &tt = v.type().tensor_type();
    auto dtype = dtypeFromOnnx(tt.elem_type());
    out.dtype = dtype ? dtypeName(*dtype) : "unsupported";
    if (!dtype)
      llvm::consumeError(dtype.takeError());
    if (!tt.has_shape()) {
      out.shape = "unknown";
    } else {
      for (int i = 0; i < tt.shape().dim_size(); ++i) {
        const auto &d = tt.shape().dim(i);
        out.shape +=
            (i ? "x" : "") +
            (d.has_dim_value() ? std::to_string(d.dim_value()) : d.dim_param());
      }
      if (tt.shape().dim_size() == 0)
        out.shape = "scalar";
    }
    return out;
  };
  for (const auto &in : graph.input())
    if (!initNames.count(in.name()))
      summary.inputs.push_back(describe(in));
  for (const auto &out : graph.output())
    summary.outputs.push_back(describe(out));
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto &node = graph.node(i);
    ++summary.opCounts[node.op_type()];
    std::string reason = unsupportedReason(node);
    if (!reason.empty())
      summary.unsupported.push_back(
          {nodeName(node, i), node.op_type(), reason});
  }
  return summary;
}

} // namespace lathe
