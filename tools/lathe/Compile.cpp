// lathe compile: an ONNX model becomes a shared object, object, header, MLIR.
#include "tools/lathe/Commands.h"
#include "tools/lathe/Diagnostics.h"

#include "compiler/Artifact.h"
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

/// A C identifier derived from a file name: "resnet-18" -> "resnet_18".
static std::string identifierFrom(llvm::StringRef stem) {
  std::string id;
  for (char ch : stem)
    id += (isalnum(ch) || ch == '_') ? ch : '_';
  if (id.empty() || isdigit(id[0]))
    id = "m_" + id;
  return id;
}

static llvm::Error writeOutput(const std::string &path,
                               llvm::ArrayRef<char> data) {
  if (auto err = writeFileAtomically(path, data))
    return err;
  std::cout << "wrote " << path << " (" << data.size() << " bytes)\n";
  return llvm::Error::success();
}

int runCompile(const CompileOptions &options) {
  std::vector<std::string> emit = options.emit;
  if (emit.empty())
    emit.push_back("so");
  auto wants = [&](const char *kind) {
    return std::find(emit.begin(), emit.end(), kind) != emit.end();
  };
  bool onlyText = !wants("so") && !wants("obj") && !wants("header");

  // Output base: -o without its extension, or the model's stem here.
  std::string base = options.output;
  if (base.empty()) {
    base = llvm::sys::path::stem(options.model).str();
  } else {
    llvm::StringRef ext = llvm::sys::path::extension(base);
    if (ext == ".so" || ext == ".o" || ext == ".h" || ext == ".mlir")
      base = base.substr(0, base.size() - ext.size());
  }
  std::string name = options.name.empty()
                         ? identifierFrom(llvm::sys::path::filename(base))
                         : options.name;
  if (!isCIdentifier(name))
    return reportError("--name '" + name + "' is not a C identifier");
  // Before any work: a folder that is not there would only show up as a
  // failed link at the end.
  if (!onlyText || !options.output.empty()) {
    llvm::StringRef folder = llvm::sys::path::parent_path(base);
    if (!folder.empty() && !llvm::sys::fs::is_directory(folder))
      return reportError(base + ": the output folder " + folder.str() +
                         " does not exist");
  }

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

  // Text outputs go to stdout when no -o was given and nothing binary is due.
  auto writeText = [&](const std::string &ext) -> int {
    std::string text;
    llvm::raw_string_ostream os(text);
    model->module->print(os);
    if (onlyText && options.output.empty()) {
      std::cout << text;
      return 0;
    }
    if (auto err = writeOutput(base + ext, {text.data(), text.size()}))
      return reportError(llvm::toString(std::move(err)));
    return 0;
  };
  if (wants("mlir") && writeText(".mlir"))
    return 1;
  if (wants("llvm-dialect")) {
    TargetOptions targetOptions;
    targetOptions.name = options.target;
    targetOptions.triple = options.triple;
    targetOptions.cpu = options.cpu;
    auto target = makeTarget(targetOptions);
    if (!target)
      return reportError(llvm::toString(target.takeError()));
    if (mlir::failed(
            lowerToLLVMDialect(*model->module, **target, options.printIR)))
      return diagnostics.fail("lowering failed");
    return writeText(".llvm.mlir");
  }
  if (onlyText)
    return 0;

  ArtifactOptions artifactOptions;
  artifactOptions.name = name;
  artifactOptions.target = options.target;
  artifactOptions.triple = options.triple;
  artifactOptions.cpu = options.cpu;
  artifactOptions.externalWeights = options.weights == "external";
  artifactOptions.weightsFileName =
      llvm::sys::path::filename(base).str() + ".weights";
  artifactOptions.printIR = options.printIR;
  auto artifact = compileModel(*model, artifactOptions);
  if (!artifact)
    return diagnostics.fail(llvm::toString(artifact.takeError()));

  // Nothing is written until everything compiled; each file atomically.
  if (wants("obj"))
    if (auto err = writeOutput(base + ".o", artifact->object))
      return reportError(llvm::toString(std::move(err)));
  if (wants("header"))
    if (auto err = writeOutput(
            base + ".h", {artifact->header.data(), artifact->header.size()}))
      return reportError(llvm::toString(std::move(err)));
  if (artifactOptions.externalWeights)
    if (auto err = writeOutput(base + ".weights", artifact->weights))
      return reportError(llvm::toString(std::move(err)));
  if (wants("so")) {
    if (auto err = writeSharedObject(*artifact, base + ".so"))
      return reportError(llvm::toString(std::move(err)));
    std::cout << "wrote " << base << ".so\n";
  }
  return 0;
}

} // namespace lathe::cli
