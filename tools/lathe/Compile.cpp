// lathe compile: an ONNX model becomes a shared object, object, header, MLIR.
#include "tools/lathe/Commands.h"
#include "tools/lathe/Diagnostics.h"

#include "compiler/Emit.h"
#include "compiler/Pipeline.h"
#include "compiler/targets/Target.h"
#include "frontends/onnx/OnnxImporter.h"
#include "lathe/runtime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace lathe::cli {

/// A .npy file as a value for the importer (through the runtime's reader).
static llvm::Expected<FrozenValue> readNpyValue(const std::string &path) {
  lathe_context_t *ctx = nullptr;
  lathe_context_create(nullptr, &ctx);
  lathe_tensor_t *tensor = nullptr;
  if (lathe_tensor_load_npy(ctx, path.c_str(), &tensor) != LATHE_OK) {
    std::string message = lathe_context_last_error(ctx);
    lathe_context_destroy(ctx);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  }
  lathe_tensor_info_t info;
  lathe_tensor_info(tensor, &info);
  FrozenValue value;
  value.dtype = DType(info.dtype); // lathe_dtype_t and DType share an order.
  value.shape.assign(info.dims, info.dims + info.rank);
  const char *data = static_cast<const char *>(lathe_tensor_data(tensor));
  value.bytes.assign(data, data + lathe_tensor_num_bytes(tensor));
  lathe_tensor_destroy(tensor);
  lathe_context_destroy(ctx);
  return value;
}

int runCompile(const CompileOptions &options) {
  // Output base: -o without its extension, or the model's stem here.
  std::string base = options.output;
  if (base.empty()) {
    base = llvm::sys::path::stem(options.model).str();
  } else {
    llvm::StringRef ext = llvm::sys::path::extension(base);
    if (ext == ".so" || ext == ".o" || ext == ".h" || ext == ".mlir")
      base = base.substr(0, base.size() - ext.size());
  }
  EmitOptions emit;
  emit.base = base;
  emit.kinds = options.emit;
  emit.artifact.name = options.name;
  emit.artifact.target = options.target;
  emit.artifact.triple = options.triple;
  emit.artifact.cpu = options.cpu;
  emit.artifact.externalWeights = options.weights == "external";
  emit.artifact.printIR = options.printIR;
  // Text outputs go to stdout when no -o was given and nothing binary is due.
  if (options.output.empty())
    emit.textStream = &llvm::outs();
  if (!options.name.empty() && !isCIdentifier(options.name))
    return reportError("--name '" + options.name + "' is not a C identifier");

  ImportOptions importOptions;
  std::string shapeError;
  if (!parseInputShapes(options.inputShapes, importOptions.inputShapes,
                        shapeError) ||
      !parseSequenceInputs(options.sequenceInputs, importOptions.sequenceInputs,
                           shapeError))
    return reportError(shapeError);
  importOptions.absentInputs.insert(options.absentInputs.begin(),
                                    options.absentInputs.end());

  for (const std::string &entry : options.frozenInputs) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
      return reportError("--freeze-input '" + entry + "' is not name=file.npy");
    auto value = readNpyValue(entry.substr(eq + 1));
    if (!value)
      return reportError(llvm::toString(value.takeError()));
    importOptions.frozenInputs[entry.substr(0, eq)] = std::move(*value);
  }

  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  DiagnosticPrinter diagnostics(context, options.model);

  importOptions.trainingGraph = options.train;
  importOptions.maxConstantBytes = options.maxConstantBytes;
  importOptions.maxUnroll = options.maxUnroll;
  auto model = importOnnx(context, options.model, importOptions);
  if (mlir::failed(model))
    return diagnostics.fail("cannot import " + options.model);

  if (options.train &&
      mlir::failed(addTrainingEntryPoints(*model->module, options.training)))
    return diagnostics.fail("cannot build the training step of " +
                            options.model);

  auto written =
      emitModel(*model, emit, [](const std::string &path, size_t bytes) {
        std::cout << "wrote " << path << " (" << bytes << " bytes)\n";
      });
  if (written)
    return diagnostics.fail(llvm::toString(std::move(written)));
  return 0;
}

} // namespace lathe::cli
