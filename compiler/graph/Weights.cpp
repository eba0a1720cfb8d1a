// Weights as attributes of @forward's parameter arguments.
#include "compiler/graph/Weights.h"
#include "dialects/lathe/Attributes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace lathe {

Attribute makeWeight(RankedTensorType type, StringRef name,
                     ArrayRef<char> bytes) {
  return DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(double)));
}

std::optional<ArrayRef<char>> weightBytes(Attribute value,
                                          std::vector<char> &storage) {
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  auto dense = dyn_cast_or_null<DenseElementsAttr>(value);
  if (!dense || dense.getElementType().getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  if (!dense.isSplat())
    return dense.getRawData();
  ArrayRef<char> one = dense.getRawData();
  storage.clear();
  for (int64_t i = 0; i < dense.getNumElements(); ++i)
    storage.insert(storage.end(), one.begin(), one.end());
  return ArrayRef<char>(storage);
}

LogicalResult attachWeights(ModuleOp module, std::vector<Parameter> &params) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return module.emitError("the module has no @forward function");
  size_t next = 0;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    auto name = forward.getArgAttrOfType<StringAttr>(i, kParamAttr);
    if (!name)
      continue;
    if (next == params.size() || params[next].name != name.getValue())
      return forward.emitError("parameter argument '")
             << name.getValue() << "' has no value in the model";
    auto type = cast<RankedTensorType>(forward.getArgument(i).getType());
    Parameter &p = params[next++];
    size_t bytes = size_t(type.getNumElements()) *
                   size_t((type.getElementTypeBitWidth() + 7) / 8);
    if (p.bytes.size() != bytes)
      return forward.emitError("parameter '")
             << p.name << "' holds " << p.bytes.size() << " bytes; its type "
             << type << " needs " << bytes;
    forward.setArgAttr(i, kValueAttr, makeWeight(type, p.name, p.bytes));
    p.bytes = {};
  }
  if (next != params.size())
    return forward.emitError("the model lists ")
           << params.size() << " parameter values for " << next
           << " parameters";
  params.clear();
  return success();
}

FailureOr<std::vector<Parameter>> detachWeights(ModuleOp module) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return module.emitError("the module has no @forward function");
  std::vector<Parameter> params;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    auto name = forward.getArgAttrOfType<StringAttr>(i, kParamAttr);
    if (!name)
      continue;
    auto type = cast<RankedTensorType>(forward.getArgument(i).getType());
    std::vector<char> storage;
    auto bytes = weightBytes(forward.getArgAttr(i, kValueAttr), storage);
    auto dtype = dtypeOf(type.getElementType());
    if (!bytes || !dtype)
      return forward.emitError("parameter '")
             << name.getValue() << "' has no value of its type " << type;
    params.push_back({name.getValue().str(), *dtype,
                      std::vector<int64_t>(type.getShape()),
                      std::vector<char>(bytes->begin(), bytes->end())});
  }
  for (auto f : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      f.removeArgAttr(i, kValueAttr);
  return params;
}

} // namespace lathe
