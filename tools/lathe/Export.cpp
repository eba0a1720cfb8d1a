// lathe export: a training checkpoint's parameters written back into the
// ONNX model it was trained from.
#include "tools/lathe/Commands.h"
#include "tools/lathe/RunFolder.h"

#include "compiler/Artifact.h"
#include "frontends/onnx/OnnxModel.h"
#include "lathe/runtime.h"

#include "llvm/Support/FileSystem.h"

#include <iostream>
#include <map>

namespace lathe::cli {

int runExport(const ExportOptions &o) {
  lathe_context_t *ctx = nullptr;
  if (lathe_context_create(nullptr, &ctx) != LATHE_OK)
    return reportError("cannot create a runtime context");
  std::string so = o.checkpoint + "/model.so";
  std::string ckpt = o.checkpoint + "/checkpoint.safetensors";
  lathe_module_t *module = nullptr;
  lathe_trainer_t *trainer = nullptr;
  auto done = [&](int rc) {
    lathe_trainer_destroy(trainer);
    lathe_module_destroy(module);
    lathe_context_destroy(ctx);
    return rc;
  };
  if (lathe_module_load(ctx, so.c_str(), &module) != LATHE_OK ||
      lathe_trainer_create(ctx, module, &trainer) != LATHE_OK ||
      lathe_trainer_load(ctx, trainer, ckpt.c_str()) != LATHE_OK)
    return done(reportError(lathe_context_last_error(ctx)));
  std::string model = o.model, why;
  if (model.empty() &&
      (model = findTrainedModel(trainer, o.checkpoint, why)).empty())
    return done(reportError(ckpt + ": " + why));
  // With --averaged, each parameter's "<param>.ax" state instead.
  std::map<std::string, size_t> stateIndex;
  for (size_t i = 0; i < lathe_module_num_state(module); ++i) {
    lathe_tensor_info_t info;
    lathe_module_state_info(module, i, &info);
    stateIndex[info.name] = i;
  }
  std::map<std::string, std::vector<char>> values;
  for (size_t i = 0; i < lathe_module_num_params(module); ++i) {
    lathe_tensor_info_t info;
    lathe_module_param_info(module, i, &info);
    const lathe_tensor_t *t = lathe_trainer_param(trainer, i);
    if (o.averaged) {
      auto it = stateIndex.find(std::string(info.name) + ".ax");
      if (it == stateIndex.end())
        return done(reportError("--averaged: " + ckpt +
                                " holds no average of parameter '" + info.name +
                                "' (only --optimizer asgd keeps one)"));
      t = lathe_trainer_state(trainer, it->second);
    }
    const char *data = static_cast<const char *>(lathe_tensor_data(t));
    values[info.name].assign(data, data + lathe_tensor_num_bytes(t));
  }
  auto bytes = replaceInitializers(model, values);
  if (!bytes)
    return done(reportError(llvm::toString(bytes.takeError())));
  if (auto err = writeFileAtomically(o.output, {bytes->data(), bytes->size()}))
    return done(reportError(llvm::toString(std::move(err))));
  std::cout << "wrote " << o.output << " (" << values.size()
            << (o.averaged ? " averaged" : " trained") << " parameters, step "
            << lathe_trainer_steps(trainer) << ")\n";
  return done(0);
}

} // namespace lathe::cli
