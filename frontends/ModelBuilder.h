// The frontend-neutral model builder: what every frontend (ONNX, the C++
// DSL) uses to make a Model (Model.h): @forward's inputs, its parameters
// with their values, its body (through builder() and the layer builders of
// Layers.h) and its outputs, verified.
#ifndef LATHE_FRONTENDS_MODELBUILDER_H
#define LATHE_FRONTENDS_MODELBUILDER_H

#include "frontends/Model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <set>
#include <string>
#include <vector>

namespace lathe {

class ModelBuilder {
public:
  /// A module at |loc| holding an empty @forward, whose body builder()
  /// inserts into. Loads the dialects a model uses.
  ModelBuilder(mlir::MLIRContext &ctx, mlir::Location loc);

  /// Builds into @forward's body (at its end, unless moved).
  mlir::OpBuilder &builder() { return b; }
  mlir::func::FuncOp forward() { return func; }

  /// Adds input |name| of |type|; inputs come before every parameter, and
  /// names are unique among inputs and parameters. Errors go to |loc|.
  mlir::FailureOr<mlir::Value> addInput(llvm::StringRef name,
                                        mlir::RankedTensorType type,
                                        mlir::Location loc);

  /// Adds parameter |p| (its bytes fill its shape exactly) as an argument
  /// after the inputs, in order. Errors go to |loc|.
  mlir::FailureOr<mlir::Value> addParameter(Parameter p, mlir::Location loc);

  /// The parameters added so far, in order.
  const std::vector<Parameter> &parameters() const { return params; }

  /// One of the model's results.
  struct Output {
    std::string name;
    mlir::Value value;
  };

  /// Returns |outputs| from @forward (names unique, values ranked tensors),
  /// marks its arguments and results, verifies the module and hands over
  /// the model. The builder is spent afterwards.
  mlir::FailureOr<Model> finish(llvm::ArrayRef<Output> outputs,
                                mlir::Location loc);

private:
  mlir::MLIRContext &ctx;
  mlir::OpBuilder b;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  std::vector<std::string> inputNames;
  std::vector<Parameter> params;
  std::set<std::string> names;
};

} // namespace lathe

#endif // LATHE_FRONTENDS_MODELBUILDER_H
