// Rewriting what an entry function returns.
#include "compiler/FunctionResults.h"

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

} // namespace lathe
