// The frontend-neutral model builder.
#include "frontends/ModelBuilder.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace lathe {

ModelBuilder::ModelBuilder(MLIRContext &context, Location loc)
    : ctx(context), b(&context) {
  ctx.getOrLoadDialect<func::FuncDialect>();
  ctx.getOrLoadDialect<LatheDialect>();
  module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  func = func::FuncOp::create(b, loc, "forward", b.getFunctionType({}, {}));
  b.setInsertionPointToEnd(func.addEntryBlock());
}

FailureOr<Value> ModelBuilder::addInput(StringRef name, RankedTensorType type,
                                        Location loc) {
  if (!params.empty())
    return emitError(loc) << "input '" << name
                          << "' comes after a parameter; inputs come first";
  if (name.empty() || !names.insert(name.str()).second)
    return emitError(loc) << "input name '" << name
                          << "' is empty or already used";
  // Shapes come from model files: every size computed from them must fit.
  if (!checkedSize(type.getShape(), (type.getElementTypeBitWidth() + 7) / 8))
    return emitError(loc) << "input '" << name << "' has type " << type
                          << ", whose size does not fit in 2^62 bytes";
  inputNames.push_back(name.str());
  return func.getBody().front().addArgument(type, loc);
}

FailureOr<Value> ModelBuilder::addParameter(Parameter p, Location loc) {
  if (p.name.empty() || !names.insert(p.name).second)
    return emitError(loc) << "parameter name '" << p.name
                          << "' is empty or already used";
  auto size = checkedSize(p.shape, dtypeSize(p.dtype));
  if (!size)
    return emitError(loc) << "parameter '" << p.name
                          << "' has an invalid or too large shape";
  if (p.bytes.size() != size->second)
    return emitError(loc) << "parameter '" << p.name << "' holds "
                          << p.bytes.size() << " bytes; its shape and dtype "
                          << "need " << size->second;
  auto type = RankedTensorType::get(p.shape, elementType(&ctx, p.dtype));
  params.push_back(std::move(p));
  return func.getBody().front().addArgument(type, loc);
}

FailureOr<Model> ModelBuilder::finish(ArrayRef<Output> outputs, Location loc) {
  if (!module)
    return emitError(loc) << "the model builder was already finished";
  SmallVector<Value> results;
  SmallVector<Attribute> resultAttrs;
  std::set<std::string> outputNames;
  for (const Output &o : outputs) {
    if (!o.value || !isa<RankedTensorType>(o.value.getType()))
      return emitError(loc)
             << "output '" << o.name << "' is not a ranked tensor";
    if (o.name.empty() || !outputNames.insert(o.name).second)
      return emitError(loc)
             << "output name '" << o.name << "' is empty or already used";
    results.push_back(o.value);
    resultAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kOutputAttr, b.getStringAttr(o.name))));
  }
  Block &body = func.getBody().front();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(&body);
  func::ReturnOp::create(b, loc, results);
  func.setFunctionType(b.getFunctionType(body.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  SmallVector<Attribute> argAttrs;
  for (const std::string &name : inputNames)
    argAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr(kInputAttr, b.getStringAttr(name))));
  for (const Parameter &p : params)
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(kParamAttr, b.getStringAttr(p.name))));
  func.setAllArgAttrs(argAttrs);
  func.setAllResultAttrs(resultAttrs);
  if (failed(verify(*module)))
    return failure();
  Model model;
  model.module = std::move(module);
  model.params = std::move(params);
  return model;
}

} // namespace lathe
