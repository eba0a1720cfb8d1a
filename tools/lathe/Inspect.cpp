// lathe inspect: describe an ONNX model or a compiled artifact.
#include "tools/lathe/Commands.h"
#include "tools/lathe/Diagnostics.h"

#include "compiler/Pipeline.h"
#include "compiler/graph/ModelStats.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"

#include "llvm/ADT/StringExtras.h"

#include <iomanip>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace lathe::cli {
namespace {

int inspectOnnx(const InspectOptions &options) {
  auto summary = summarizeOnnx(options.path);
  if (!summary)
    return reportError(llvm::toString(summary.takeError()));
  std::cout << "model      " << options.path << "\n"
            << "producer   " << summary->producer << "\n"
            << "opset      " << summary->opset << "\n";
  for (const auto &v : summary->inputs)
    std::cout << "input      " << v.name << ": " << v.dtype << " " << v.shape
              << "\n";
  for (const auto &v : summary->outputs)
    std::cout << "output     " << v.name << ": " << v.dtype << " " << v.shape
              << "\n";
  std::cout << "parameters " << summary->numParameters << " tensors, "
            << runner::humanCount(double(summary->parameterElements))
            << " values, "
            << runner::humanCount(double(summary->parameterBytes)) << "B\n";
  std::cout << "ops (ONNX)\n";
  for (const auto &[op, count] : summary->opCounts)
    std::cout << "  " << std::left << std::setw(24) << op << count << "\n";
  if (!summary->unsupported.empty()) {
    std::cout << "unsupported " << summary->unsupported.size() << " node(s):\n";
    for (const auto &u : summary->unsupported)
      std::cout << "  " << u.name << " (" << u.opType << "): " << u.reason
                << "\n";
    return 1;
  }

  // Everything is supported: import for the lathe ops and the FLOPs.
  ImportOptions importOptions;
  std::string shapeError;
  if (!parseInputShapes(options.inputShapes, importOptions.inputShapes,
                        shapeError) ||
      !parseSequenceInputs(options.sequenceInputs, importOptions.sequenceInputs,
                           shapeError))
    return reportError(shapeError);
  importOptions.absentInputs.insert(options.absentInputs.begin(),
                                    options.absentInputs.end());
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  DiagnosticPrinter diagnostics(context, options.path);
  auto model = importOnnx(context, options.path, importOptions);
  if (mlir::failed(model))
    return diagnostics.fail("cannot import " + options.path);
  ModelStats stats = computeModelStats(*model->module);
  std::cout << "ops (lathe)\n";
  for (const auto &[op, count] : stats.opCounts)
    std::cout << "  " << std::left << std::setw(24) << op << count << "\n";
  std::cout << "FLOPs      " << runner::humanCount(double(stats.flops))
            << " per forward call\n"
            << "supported  yes: every node compiles\n";
  return 0;
}

} // namespace

int runInspect(const InspectOptions &options) {
  if (llvm::StringRef(options.path).ends_with(".so"))
    return runner::inspectArtifact(options.path);
  return inspectOnnx(options);
}

} // namespace lathe::cli
