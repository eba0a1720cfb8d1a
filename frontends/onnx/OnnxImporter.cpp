// The ONNX frontend: an .onnx file becomes a lathe-dialect Model. This file
// holds the importer's driver and the op table; the handlers live in
// Import<Family>.cpp.
#include "frontends/onnx/Importer.h"

#include <iomanip>
#include <sstream>

namespace lathe::onnx_import {

bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

const OpInfo *findOp(const NodeProto &node) {
  const std::map<std::string, OpInfo> *table =
      isDefaultDomain(node.domain())     ? &opTable()
      : node.domain() == kTrainingDomain ? &trainingOpTable()
                                         : nullptr;
  if (!table)
    return nullptr;
  auto it = table->find(node.op_type());
  return it == table->end() ? nullptr : &it->second;
}

std::string unsupportedReason(const NodeProto &node, int64_t opset) {
  bool inDefault = isDefaultDomain(node.domain());
  if (!inDefault && node.domain() != kTrainingDomain)
    return "operator domain '" + node.domain() + "' is not supported";
  if (inDefault && opset == 0)
    return "operator " + node.op_type() +
           " is in the default ONNX domain, which the model does not import";
  const OpInfo *info = findOp(node);
  if (!info)
    return "operator " + node.op_type() + " is not supported";
  for (const auto &attr : node.attribute())
    if (std::find(info->attributes.begin(), info->attributes.end(),
                  attr.name()) == info->attributes.end())
      return "attribute '" + attr.name() + "' of " + node.op_type() +
             " is not supported";
  return "";
}

std::string nodeName(const NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

int64_t importedOpset(const onnx::ModelProto &model, StringRef domain) {
  for (const auto &entry : model.opset_import())
    if (isDefaultDomain(entry.domain()) ? isDefaultDomain(domain)
                                        : entry.domain() == domain)
      return entry.version();
  return 0;
}

int64_t defaultOpset(const onnx::ModelProto &model) {
  return importedOpset(model, "");
}

LogicalResult Importer::importNode(const NodeProto &node) {
  std::string reason = unsupportedReason(node, opset);
  if (!reason.empty())
    return emitError(loc) << reason << " (" << opsetLabel(node) << ")";
  if (failed(checkInputTypes(node)))
    return failure();
  return (this->*findOp(node)->handler)(node);
}

std::string Importer::opsetLabel(const NodeProto &node) const {
  if (isDefaultDomain(node.domain()))
    return "opset " + std::to_string(opset);
  return node.domain() + " opset " +
         std::to_string(importedOpset(model, node.domain()));
}

Type Importer::mlirType(DType dtype) { return elementType(&ctx, dtype); }

const TensorValue *Importer::constantInput(const NodeProto &node, int i,
                                           StringRef what) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i << " (" << what << ")";
    return nullptr;
  }
  auto it = constants.find(node.input(i));
  if (it == constants.end()) {
    auto diag = error(node);
    diag << "input '" << node.input(i) << "' (" << what
         << ") must be known at compile time (an initializer or a Constant)";
    std::vector<std::string> roots = graphInputsFeeding(node.input(i));
    if (!roots.empty())
      diag << "; it is computed from graph input '" << roots.front()
           << "': fix that with --freeze-input " << roots.front()
           << "=FILE.npy";
    return nullptr;
  }
  return &it->second;
}

std::vector<std::string> Importer::graphInputsFeeding(const std::string &name) {
  auto found = values.find(name);
  if (found == values.end())
    return {};
  llvm::SmallPtrSet<Value, 16> seen;
  llvm::SmallPtrSet<Value, 4> arguments;
  SmallVector<Value> work = {found->second};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (isa<BlockArgument>(v))
      arguments.insert(v);
    else
      llvm::append_range(work, v.getDefiningOp()->getOperands());
  }
  std::vector<std::string> roots;
  for (const auto &in : graph.input()) {
    auto v = values.find(in.name());
    if (v != values.end() && arguments.count(v->second) &&
        !initializerNames.count(in.name()))
      roots.push_back(in.name());
  }
  return roots;
}

DenseElementsAttr Importer::denseAttr(const TensorValue &value) {
  auto type = RankedTensorType::get(value.shape, mlirType(value.dtype));
  if (value.dtype == DType::Bool) {
    // Booleans are one byte each in ONNX, bit-packed in MLIR's raw form.
    SmallVector<bool> bits;
    for (char byte : value.bytes)
      bits.push_back(byte != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(value.bytes.data(), value.bytes.size()));
}

Value Importer::materialize(const std::string &name, const TensorValue &value) {
  if (isFloatDType(value.dtype) && initializerNames.count(name)) {
    // A trainable value: a named parameter of the entry function. (Its
    // bytes fill its shape, and a name is materialized once, so the
    // builder accepts it.)
    auto arg = forwardBuilder->addParameter(
        {name, value.dtype, value.shape, value.bytes}, UnknownLoc::get(&ctx));
    if (succeeded(arg)) {
      values[name] = *arg;
      return *arg;
    }
  }
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  Value c = ConstantOp::create(b, NameLoc::get(b.getStringAttr(name)),
                               denseAttr(value));
  values[name] = c;
  return c;
}

FailureOr<Value> Importer::input(const NodeProto &node, int i) {
  if (!hasInput(node, i)) {
    error(node) << "missing input " << i;
    return failure();
  }
  return valueNamed(node, node.input(i));
}

FailureOr<Value> Importer::valueNamed(const NodeProto &node,
                                      const std::string &name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto c = constants.find(name);
  if (c != constants.end())
    return materialize(name, c->second);
  if (sequences.count(name)) {
    error(node) << "input '" << name << "' is a sequence, not a tensor";
    return failure();
  }
  error(node) << "input '" << name << "' is not produced by any earlier node";
  return failure();
}

std::optional<Importer::Binding>
Importer::lookupBinding(const std::string &name) {
  Binding binding;
  if (trainable(name) && !values.count(name))
    materialize(name, constants[name]);
  if (auto c = constants.find(name); c != constants.end() && !trainable(name))
    binding.constant = c->second;
  else if (auto seq = sequences.find(name); seq != sequences.end())
    binding.sequence = seq->second;
  else if (absent.count(name))
    binding.absent = true;
  else if (auto v = values.find(name); v != values.end())
    binding.value = v->second;
  else
    return std::nullopt;
  return binding;
}

FailureOr<Importer::Binding> Importer::inputBinding(const NodeProto &node,
                                                    int i) {
  if (!hasInput(node, i))
    return error(node) << "missing input " << i;
  auto binding = lookupBinding(node.input(i));
  if (!binding)
    return error(node) << "input '" << node.input(i)
                       << "' is not produced by any earlier node";
  return std::move(*binding);
}

void Importer::bind(const std::string &name, Binding binding) {
  if (binding.absent)
    absent.insert(name);
  else if (binding.constant)
    constants[name] = std::move(*binding.constant);
  else if (binding.sequence)
    sequences[name] = std::move(*binding.sequence);
  else
    values[name] = binding.value;
}

LogicalResult Importer::addInputs() {
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()) ||
        options.frozenInputs.count(in.name()))
      continue; // Older exporters list initializers as inputs too.
    Location inLoc = NameLoc::get(b.getStringAttr(in.name()));
    // An optional input holds a value unless --absent-input says otherwise.
    const onnx::TypeProto *type = &in.type();
    if (type->has_optional_type()) {
      if (options.absentInputs.count(in.name())) {
        absent.insert(in.name());
        continue;
      }
      type = &type->optional_type().elem_type();
    } else if (options.absentInputs.count(in.name())) {
      return emitError(inLoc) << "--absent-input names '" << in.name()
                              << "', which is not an optional input";
    }
    LogicalResult added =
        type->has_sequence_type()
            ? addSequenceInput(in.name(), type->sequence_type())
        : type->has_tensor_type()
            ? addTensorInput(in.name(), type->tensor_type())
            : emitError(inLoc) << "input '" << in.name()
                               << "' is not a tensor; a model's inputs must "
                                  "be tensors, sequences of tensors or "
                                  "optionals of those";
    if (failed(added))
      return failure();
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
  for (const std::string &name : options.absentInputs) {
    bool found = false;
    for (const auto &in : graph.input())
      found |= in.name() == name;
    if (!found)
      return emitError(UnknownLoc::get(&ctx))
             << "--absent-input names '" << name
             << "', which is not an input of the model";
  }
  for (const auto &entry : options.sequenceInputs) {
    bool found = false;
    for (const auto &in : graph.input())
      found |= in.name() == entry.first &&
               (in.type().has_sequence_type() ||
                (in.type().has_optional_type() &&
                 in.type().optional_type().elem_type().has_sequence_type()));
    if (!found)
      return emitError(UnknownLoc::get(&ctx))
             << "--sequence-input names '" << entry.first
             << "', which is not a sequence input of the model";
  }
  return success();
}

/// The input or output name of tensor |i| of sequence |name|: NAME[i].
static std::string elementName(const std::string &name, size_t i) {
  return name + "[" + std::to_string(i) + "]";
}

LogicalResult Importer::addTensorInput(const std::string &name,
                                       const onnx::TypeProto::Tensor &tt) {
  Location inLoc = NameLoc::get(b.getStringAttr(name));
  auto dtype = dtypeFromOnnx(tt.elem_type());
  if (!dtype)
    return emitError(inLoc)
           << "input '" << name << "': " << llvm::toString(dtype.takeError());
  SmallVector<int64_t> shape;
  auto override = options.inputShapes.find(name);
  if (override != options.inputShapes.end()) {
    shape.assign(override->second.begin(), override->second.end());
    if (tt.has_shape() && tt.shape().dim_size() != int(shape.size()))
      return emitError(inLoc)
             << "--input-shape " << name << " gives rank " << shape.size()
             << " but the model declares rank " << tt.shape().dim_size();
  } else {
    if (!tt.has_shape())
      return emitError(inLoc) << "input '" << name
                              << "' has no declared shape; pass --input-shape "
                              << name << "=<d0>x<d1>...";
    for (const auto &dim : tt.shape().dim()) {
      if (!dim.has_dim_value() || dim.dim_value() < 0)
        return emitError(inLoc)
               << "input '" << name << "' has symbolic dimension '"
               << (dim.has_dim_param() ? dim.dim_param() : "?")
               << "'; pass --input-shape " << name << "=<d0>x<d1>... to fix it";
      shape.push_back(dim.dim_value());
    }
  }
  auto arg = forwardBuilder->addInput(
      name, RankedTensorType::get(shape, mlirType(*dtype)), inLoc);
  if (failed(arg))
    return failure();
  values[name] = *arg;
  return success();
}

LogicalResult Importer::addSequenceInput(const std::string &name,
                                         const onnx::TypeProto::Sequence &st) {
  Location inLoc = NameLoc::get(b.getStringAttr(name));
  auto given = options.sequenceInputs.find(name);
  if (given == options.sequenceInputs.end())
    return emitError(inLoc)
           << "input '" << name
           << "' is a sequence, whose length and shapes Lathe needs at "
              "compile time; pass --sequence-input "
           << name << "=<shape>,<shape>... (one AxBxC per tensor)";
  const auto &elem = st.elem_type();
  if (!elem.has_tensor_type())
    return emitError(inLoc) << "input '" << name
                            << "' is a sequence of non-tensors; Lathe "
                               "compiles sequences of tensors";
  const auto &tt = elem.tensor_type();
  auto dtype = dtypeFromOnnx(tt.elem_type());
  if (!dtype)
    return emitError(inLoc)
           << "input '" << name << "': " << llvm::toString(dtype.takeError());
  std::vector<Value> elements;
  for (size_t i = 0; i < given->second.size(); ++i) {
    const std::vector<int64_t> &shape = given->second[i];
    if (tt.has_shape()) {
      bool fits = tt.shape().dim_size() == int(shape.size());
      for (int d = 0; fits && d < tt.shape().dim_size(); ++d)
        fits = !tt.shape().dim(d).has_dim_value() ||
               tt.shape().dim(d).dim_value() == shape[d];
      if (!fits)
        return emitError(inLoc)
               << "--sequence-input " << name << ": tensor " << i
               << " has shape " << shapeString(shape)
               << ", which the model's declared element shape does not allow";
    }
    auto arg = forwardBuilder->addInput(
        elementName(name, i), RankedTensorType::get(shape, mlirType(*dtype)),
        inLoc);
    if (failed(arg))
      return failure();
    elements.push_back(*arg);
  }
  sequences[name] = std::move(elements);
  return success();
}

LogicalResult
Importer::addOutputs(SmallVectorImpl<ModelBuilder::Output> &outputs) {
  for (const auto &out : graph.output()) {
    Value v;
    auto it = values.find(out.name());
    if (it != values.end())
      v = it->second;
    else if (constants.count(out.name()))
      v = materialize(out.name(), constants[out.name()]);
    else if (absent.count(out.name()))
      continue; // An empty optional: no tensor to return.
    else if (auto seq = sequences.find(out.name()); seq != sequences.end()) {
      // One output per tensor of the sequence, NAME[i].
      for (size_t i = 0; i < seq->second.size(); ++i)
        outputs.push_back({elementName(out.name(), i), seq->second[i]});
      continue;
    }
    if (!v)
      return emitError(NameLoc::get(b.getStringAttr(out.name())))
             << "output '" << out.name() << "' is not produced by any node";
    outputs.push_back({out.name(), v});
  }
  return success();
}

FailureOr<Model> Importer::run() {
  // Every unsupported node at once, before anything is built.
  bool unsupported = false;
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto &node = graph.node(i);
    std::string reason = unsupportedReason(node, opset);
    if (!reason.empty()) {
      emitError(NameLoc::get(b.getStringAttr(nodeName(node, i))))
          << reason << " (" << opsetLabel(node) << ")";
      unsupported = true;
    }
  }
  if (unsupported || failed(checkStructure(graph)))
    return failure();

  for (const auto &init : graph.initializer()) {
    initializerNames.insert(init.name());
    auto value = decodeTensor(init, modelDir);
    if (!value)
      return emitError(NameLoc::get(b.getStringAttr(init.name())))
             << llvm::toString(value.takeError());
    constants[init.name()] = std::move(*value);
  }

  Location modelLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  forwardBuilder.emplace(ctx, modelLoc);
  func = forwardBuilder->forward();
  if (failed(addInputs()))
    return failure();

  b.setInsertionPointToEnd(&func.getBody().front());
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto &node = graph.node(i);
    loc = NameLoc::get(b.getStringAttr(nodeName(node, i)));
    if (failed(importNode(node)))
      return failure();
  }
  loc = UnknownLoc::get(&ctx);

  SmallVector<ModelBuilder::Output> outputs;
  if (failed(addOutputs(outputs)))
    return failure();
  return forwardBuilder->finish(outputs, modelLoc);
}

LogicalResult Importer::checkFoldedSize(const NodeProto &node, double elements,
                                        DType dtype) {
  double bytes = elements * double(dtypeSize(dtype));
  if (bytes <= double(options.maxConstantBytes))
    return success();
  auto count = [](double v) {
    std::ostringstream os;
    if (v < 9e18)
      os << uint64_t(v);
    else
      os << std::setprecision(3) << v;
    return os.str();
  };
  return error(node) << "its compile-time value would hold " << count(elements)
                     << " elements (" << count(bytes)
                     << " bytes), over --max-constant-bytes "
                     << options.maxConstantBytes;
}

LogicalResult Importer::checkFoldedSize(const NodeProto &node,
                                        ArrayRef<int64_t> shape, DType dtype) {
  double elements = 1;
  for (int64_t d : shape)
    elements *= double(d);
  return checkFoldedSize(node, elements, dtype);
}

FailureOr<int64_t> Importer::resolveAxis(const NodeProto &node, int64_t axis,
                                         int64_t rank) {
  if (axis < -rank || axis >= rank) {
    error(node) << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<Value> Importer::castTo(const NodeProto &node, Value x, Type to) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == to)
    return x;
  return finish(
      CastOp::create(b, loc, RankedTensorType::get(type.getShape(), to), x));
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
      {"BitShift", {&I::bitShift, {"direction"}}},
      {"QuantizeLinear",
       {&I::quantizeLinear,
        {"axis", "saturate", "block_size", "output_dtype"}}},
      {"DequantizeLinear", {&I::dequantizeLinear, {"axis", "block_size"}}},
      {"DynamicQuantizeLinear", {&I::dynamicQuantizeLinear, {}}},
      {"MatMulInteger", {&I::matmulInteger, {}}},
      {"ConvInteger",
       {&I::convInteger,
        {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}}},
      {"QLinearMatMul", {&I::qlinearMatmul, {}}},
      {"QLinearConv",
       {&I::qlinearConv,
        {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}}},
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
      {"Det", {&I::det, {}}},
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
      {"RoiAlign",
       {&I::roiAlign,
        {"coordinate_transformation_mode", "mode", "output_height",
         "output_width", "sampling_ratio", "spatial_scale"}}},
      {"MaxPool",
       {&I::maxPool,
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
         "storage_order", "strides"}}},
      {"AveragePool",
       {&I::avgPool,
        {"auto_pad", "ceil_mode", "count_include_pad", "dilations",
         "kernel_shape", "pads", "strides"}}},
      {"GlobalAveragePool", {&I::globalAvgPool, {}}},
      {"LpPool",
       {&I::lpPool,
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "p", "pads",
         "strides"}}},
      {"GlobalLpPool", {&I::globalLpPool, {"p"}}},
      {"Softmax", {&I::softmax, {"axis"}}},
      {"LogSoftmax", {&I::softmax, {"axis"}}},
      {"Flatten", {&I::flatten, {"axis"}}},
      {"Reshape", {&I::reshape, {"allowzero"}}},
      {"Squeeze", {&I::squeeze, {"axes"}}},
      {"Unsqueeze", {&I::squeeze, {"axes"}}},
      {"Transpose", {&I::transpose, {"perm"}}},
      {"Pad", {&I::pad, {"mode", "pads", "value"}}},
      {"Identity", {&I::identity, {}}},
      {"Dropout", {&I::dropout, {"ratio", "seed"}}},
      {"Constant",
       {&I::constant,
        {"value", "value_float", "value_floats", "value_int", "value_ints"}}},
      {"Shape", {&I::shape, {"start", "end"}}},
      {"Size", {&I::size, {}}},
      {"ConstantOfShape", {&I::constantOfShape, {"value"}}},
      {"Gather", {&I::gather, {"axis"}}},
      {"ReverseSequence", {&I::reverseSequence, {"batch_axis", "time_axis"}}},
      {"GatherElements", {&I::gatherElements, {"axis"}}},
      {"Compress", {&I::compress, {"axis"}}},
      {"NonZero", {&I::nonZero, {}}},
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
      {"DFT", {&I::dft, {"axis", "inverse", "onesided"}}},
      {"STFT", {&I::stft, {"onesided"}}},
      {"MelWeightMatrix", {&I::melWeightMatrix, {"output_datatype"}}},
      {"HannWindow", {&I::window, {"output_datatype", "periodic"}}},
      {"HammingWindow", {&I::window, {"output_datatype", "periodic"}}},
      {"BlackmanWindow", {&I::window, {"output_datatype", "periodic"}}},
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
      {"Einsum", {&I::einsum, {"equation"}}},
      {"If", {&I::ifOp, {"else_branch", "then_branch"}}},
      {"TopK", {&I::topK, {"axis", "k", "largest", "sorted"}}},
      {"IsInf", {&I::isSpecial, {"detect_negative", "detect_positive"}}},
      {"GridSample",
       {&I::gridSample, {"align_corners", "mode", "padding_mode"}}},
      {"ScatterElements", {&I::scatter, {"axis", "reduction"}}},
      {"ScatterND", {&I::scatter, {"reduction"}}},
      {"CastLike", {&I::castLike, {"saturate"}}},
      {"Loop", {&I::loop, {"body"}}},
      {"Scan",
       {&I::scan,
        {"body", "directions", "num_scan_inputs", "scan_input_axes",
         "scan_input_directions", "scan_output_axes",
         "scan_output_directions"}}},
      {"SequenceConstruct", {&I::sequenceConstruct, {}}},
      {"SequenceEmpty", {&I::sequenceConstruct, {"dtype"}}},
      {"SequenceInsert", {&I::sequenceInsert, {}}},
      {"SequenceErase", {&I::sequenceErase, {}}},
      {"SequenceAt", {&I::sequenceAt, {}}},
      {"SequenceLength", {&I::sequenceLength, {}}},
      {"SplitToSequence", {&I::splitToSequence, {"axis", "keepdims"}}},
      {"ConcatFromSequence", {&I::concatFromSequence, {"axis", "new_axis"}}},
      {"SequenceMap", {&I::sequenceMap, {"body"}}},
      {"Optional", {&I::optional, {"type"}}},
      {"OptionalHasElement", {&I::optionalHasElement, {}}},
      {"OptionalGetElement", {&I::optionalGetElement, {}}},
      {"TfIdfVectorizer",
       {&I::tfIdfVectorizer,
        {"max_gram_length", "max_skip_count", "min_gram_length", "mode",
         "ngram_counts", "ngram_indexes", "pool_int64s", "weights"}}},
  };
  return table;
}

} // namespace lathe::onnx_import

namespace lathe {
using namespace onnx_import;

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
  // A model of training operators alone needs no default-domain opset.
  if (opset == 0 && importedOpset(**model, kTrainingDomain) == 0) {
    std::string imports;
    for (const auto &entry : (*model)->opset_import())
      imports += (imports.empty() ? "" : ", ") + entry.domain() + " " +
                 std::to_string(entry.version());
    emitError(UnknownLoc::get(&ctx))
        << path
        << ": the model imports no opset of the default ONNX domain (it "
           "imports: "
        << (imports.empty() ? std::string("nothing") : imports)
        << "); Lathe compiles opsets 1 to 21 of the default domain";
    return failure();
  }
  if (opset < 0 || opset > 21) {
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
    // Optionals and sequences wrap a tensor type: "sequence of f32".
    std::string kind;
    const onnx::TypeProto *type = &v.type();
    for (;;) {
      if (type->has_optional_type()) {
        kind += "optional ";
        type = &type->optional_type().elem_type();
      } else if (type->has_sequence_type()) {
        kind += "sequence of ";
        type = &type->sequence_type().elem_type();
      } else {
        break;
      }
    }
    if (!type->has_tensor_type()) {
      out.dtype = kind + "non-tensor";
      return out;
    }
    const auto &tt = type->tensor_type();
    auto dtype = dtypeFromOnnx(tt.elem_type());
    out.dtype = kind + (dtype ? dtypeName(*dtype) : "unsupported");
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
    std::string reason = unsupportedReason(node, summary.opset);
    if (!reason.empty())
      summary.unsupported.push_back(
          {nodeName(node, i), node.op_type(), reason});
  }
  return summary;
}

} // namespace lathe
