// Writing what a compile produces, per --emit kind.
#include "compiler/Emit.h"

#include "compiler/Pipeline.h"
#include "compiler/targets/Target.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cctype>

namespace lathe {

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string identifierFrom(llvm::StringRef stem) {
  std::string id;
  for (char ch : stem)
    id += (isalnum(uint8_t(ch)) || ch == '_') ? ch : '_';
  if (id.empty() || isdigit(uint8_t(id[0])))
    id = "m_" + id;
  return id;
}

llvm::Error
emitModel(Model &model, const EmitOptions &options,
          llvm::function_ref<void(const std::string &, size_t)> wrote) {
  std::vector<std::string> kinds = options.kinds;
  if (kinds.empty())
    kinds.push_back("so");
  for (const std::string &kind : kinds)
    if (std::find(std::begin(kEmitKinds), std::end(kEmitKinds), kind) ==
        std::end(kEmitKinds))
      return error("unknown emit kind '" + kind +
                   "' (known: so, obj, header, mlir, llvm-dialect)");
  auto wants = [&](const char *kind) {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  };
  bool onlyText = !wants("so") && !wants("obj") && !wants("header");
  bool toStream = onlyText && options.textStream;
  const std::string &base = options.base;

  ArtifactOptions artifactOptions = options.artifact;
  if (artifactOptions.name.empty())
    artifactOptions.name = identifierFrom(llvm::sys::path::filename(base));
  if (!isCIdentifier(artifactOptions.name))
    return error("--name '" + artifactOptions.name + "' is not a C identifier");
  artifactOptions.weightsFileName =
      llvm::sys::path::filename(base).str() + ".weights";
  // Before any work: a folder that is not there would only show up as a
  // failed link at the end.
  if (!toStream) {
    llvm::StringRef folder = llvm::sys::path::parent_path(base);
    if (!folder.empty() && !llvm::sys::fs::is_directory(folder))
      return error(base + ": the output folder " + folder + " does not exist");
  }

  auto write = [&](const std::string &path,
                   llvm::ArrayRef<char> data) -> llvm::Error {
    if (auto err = writeFileAtomically(path, data))
      return err;
    wrote(path, data.size());
    return llvm::Error::success();
  };
  auto writeText = [&](const std::string &ext) -> llvm::Error {
    std::string text;
    llvm::raw_string_ostream os(text);
    model.module->print(os);
    if (toStream) {
      *options.textStream << text;
      return llvm::Error::success();
    }
    return write(base + ext, {text.data(), text.size()});
  };
  if (wants("mlir"))
    if (auto err = writeText(".mlir"))
      return err;
  if (wants("llvm-dialect")) {
    auto target = makeTarget(targetOptionsOf(artifactOptions));
    if (!target)
      return target.takeError();
    if (mlir::failed(lowerToLLVMDialect(*model.module, **target,
                                        artifactOptions.printIR)))
      return error("lowering failed");
    return writeText(".llvm.mlir");
  }
  if (onlyText)
    return llvm::Error::success();

  auto artifact = compileModel(model, artifactOptions);
  if (!artifact)
    return artifact.takeError();
  // Nothing is written until everything compiled; each file atomically.
  if (wants("obj"))
    if (auto err = write(base + ".o", artifact->object))
      return err;
  if (wants("header"))
    if (auto err = write(base + ".h",
                         {artifact->header.data(), artifact->header.size()}))
      return err;
  if (artifactOptions.externalWeights)
    if (auto err = write(base + ".weights", artifact->weights))
      return err;
  if (wants("so")) {
    if (auto err = writeSharedObject(*artifact, base + ".so"))
      return err;
    uint64_t size = 0;
    llvm::sys::fs::file_size(base + ".so", size);
    wrote(base + ".so", size);
  }
  return llvm::Error::success();
}

} // namespace lathe
