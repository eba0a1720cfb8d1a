// lathe inspect: describe an ONNX model or a compiled artifact.
#include "tools/lathe/Commands.h"
#include "tools/lathe/Diagnostics.h"

#include "compiler/Pipeline.h"
#include "compiler/graph/ModelStats.h"
#include "frontends/onnx/OnnxImporter.h"
#include "lathe/runtime.h"

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

std::string humanCount(double v) {
  const char *units[] = {"", " K", " M", " G", " T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  std::ostringstream os;
  os << std::setprecision(u ? 3 : 0) << std::fixed << v << units[u];
  return os.str();
}

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
            << humanCount(double(summary->parameterElements)) << " values, "
            << humanCount(double(summary->parameterBytes)) << "B\n";
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
  std::cout << "FLOPs      " << humanCount(double(stats.flops))
            << " per forward call\n"
            << "supported  yes: every node compiles\n";
  return 0;
}

int inspectArtifact(const InspectOptions &options) {
  lathe_context_t *context = nullptr;
  if (lathe_context_create(nullptr, &context) != LATHE_OK)
    return reportError("cannot create a runtime context");
  lathe_module_t *module = nullptr;
  if (lathe_module_load(context, options.path.c_str(), &module) != LATHE_OK) {
    int rc = reportError(lathe_context_last_error(context));
    lathe_context_destroy(context);
    return rc;
  }
  auto print = [](const char *label, const lathe_tensor_info_t &info) {
    std::string shape;
    for (size_t d = 0; d < info.rank; ++d)
      shape += (d ? "x" : "") + std::to_string(info.dims[d]);
    std::cout << label << info.name << ": " << lathe_dtype_name(info.dtype)
              << " " << (shape.empty() ? "scalar" : shape) << "\n";
  };
  std::cout << "artifact   " << options.path << "\n"
            << "name       " << lathe_module_name(module) << "\n"
            << "target     " << lathe_module_target(module) << "\n";
  // Every entry point (a training build has eval_step, train_step and
  // perhaps gradient besides forward), with its hyperparameters, inputs
  // and outputs.
  // "entry <name> <kind>" records, each followed by its "hyper" records.
  std::map<std::string, std::vector<std::string>> hyper;
  std::map<std::string, std::string> kind;
  std::string section;
  for (llvm::StringRef line :
       llvm::split(lathe_module_descriptor(module), '\n'))
    if (line.consume_front("entry ")) {
      auto [name, entryKind] = line.split(' ');
      section = name.str();
      kind[section] = entryKind.str();
    } else if (line.consume_front("hyper ")) {
      hyper[section].push_back(line.str());
    }
  lathe_tensor_info_t info;
  for (size_t e = 0; e < lathe_module_num_entries(module); ++e) {
    const char *entry = lathe_module_entry_name(module, e);
    std::cout << "entry      " << entry << " (" << kind[entry];
    for (size_t h = 0; h < hyper[entry].size(); ++h)
      std::cout << (h ? ", " : "; hyperparameters ") << hyper[entry][h];
    std::cout << ")\n";
    for (size_t i = 0; i < lathe_module_entry_num_inputs(module, entry); ++i)
      if (lathe_module_entry_input_info(module, entry, i, &info) == LATHE_OK)
        print("  input    ", info);
    for (size_t i = 0; i < lathe_module_entry_num_outputs(module, entry); ++i)
      if (lathe_module_entry_output_info(module, entry, i, &info) == LATHE_OK)
        print("  output   ", info);
  }
  if (size_t n = lathe_module_num_state(module))
    std::cout << "state      " << n << " optimizer tensors\n";
  size_t values = 0, bytes = 0;
  for (size_t i = 0; i < lathe_module_num_params(module); ++i) {
    if (lathe_module_param_info(module, i, &info) != LATHE_OK)
      continue;
    size_t n = 1;
    for (size_t d = 0; d < info.rank; ++d)
      n *= size_t(info.dims[d]);
    values += n;
    bytes += n * lathe_dtype_size(info.dtype);
  }
  std::cout << "parameters " << lathe_module_num_params(module) << " tensors, "
            << humanCount(double(values)) << " values, "
            << humanCount(double(bytes)) << "B\n";
  std::string descriptor = lathe_module_descriptor(module);
  for (llvm::StringRef line : llvm::split(descriptor, '\n'))
    if (line.starts_with("weights "))
      std::cout << "weights    " << line.drop_front(8).str() << "\n";
  int64_t ignoreIndex = 0;
  if (std::string criterion = lathe_module_criterion(module, &ignoreIndex);
      !criterion.empty())
    std::cout << "criterion  " << criterion
              << (criterion == "cross_entropy" || criterion == "nll"
                      ? " (ignore_index " + std::to_string(ignoreIndex) + ")"
                      : "")
              << "\n";
  lathe_module_destroy(module);
  lathe_context_destroy(context);
  return 0;
}

} // namespace

int runInspect(const InspectOptions &options) {
  if (llvm::StringRef(options.path).ends_with(".so"))
    return inspectArtifact(options);
  return inspectOnnx(options);
}

} // namespace lathe::cli
