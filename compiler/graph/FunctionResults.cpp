// Rewriting an entry function's results and hyperparameter arguments.
#include "compiler/graph/FunctionResults.h"

#include "dialects/lathe/LatheDialect.h"

using namespace mlir;

namespace lathe {

void setFunctionResults(func::FuncOp func, ArrayRef<Value> results,
                        ArrayRef<DictionaryAttr> attrs) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  OpBuilder b(ret);
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  SmallVector<Type> types;
  for (Value v : results)
    types.push_back(v.getType());
  func.setType(FunctionType::get(func.getContext(),
                                 func.getFunctionType().getInputs(), types));
  func.setAllResultAttrs(attrs);
}

BlockArgument hyperArgument(func::FuncOp func, StringRef name,
                            std::optional<unsigned> at) {
  for (BlockArgument arg : func.getArguments())
    if (auto n =
            func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kHyperAttr))
      if (n.getValue() == name)
        return arg;
  OpBuilder b(func.getContext());
  unsigned index = at.value_or(func.getNumArguments());
  (void)func.insertArgument(
      index, RankedTensorType::get({}, b.getF64Type()),
      b.getDictionaryAttr(b.getNamedAttr(kHyperAttr, b.getStringAttr(name))),
      func.getLoc());
  return func.getArgument(index);
}

} // namespace lathe
