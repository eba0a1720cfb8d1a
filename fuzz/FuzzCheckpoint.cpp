// Fuzz target for checkpoint loading (safetensors: header JSON, tensor
// extents, dtypes and shapes, both checksums, the metadata): a trainer of
// the training build named by LATHE_FUZZ_ARTIFACT loads each input as a
// checkpoint. A load that fails must leave the trainer as it was.
#include "fuzz/FuzzFile.h"

#include "lathe/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct Setup {
  lathe_context_t *context = nullptr;
  lathe_module_t *module = nullptr;
  lathe_trainer_t *trainer = nullptr;
  Setup() {
    const char *artifact = std::getenv("LATHE_FUZZ_ARTIFACT");
    if (!artifact) {
      std::fprintf(stderr, "set LATHE_FUZZ_ARTIFACT to a training build "
                           "(lathe compile --train)\n");
      std::exit(2);
    }
    lathe_context_create(nullptr, &context);
    if (lathe_module_load(context, artifact, &module) != LATHE_OK ||
        lathe_trainer_create(context, module, &trainer) != LATHE_OK) {
      std::fprintf(stderr, "%s\n", lathe_context_last_error(context));
      std::exit(2);
    }
  }
  /// Every parameter's bytes, to check that a failed load changed none.
  std::vector<char> params() const {
    std::vector<char> all;
    for (size_t i = 0; i < lathe_module_num_params(module); ++i) {
      const lathe_tensor_t *t = lathe_trainer_param(trainer, i);
      const char *p = static_cast<const char *>(lathe_tensor_data(t));
      all.insert(all.end(), p, p + lathe_tensor_num_bytes(t));
    }
    return all;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Setup setup;
  lathe::fuzz::InputFile file(data, size);
  std::vector<char> before = setup.params();
  if (lathe_trainer_load(setup.context, setup.trainer, file.c_str()) !=
      LATHE_OK) {
    if (setup.params() != before)
      __builtin_trap(); // A refused checkpoint changed the parameters.
    return 0;
  }
  for (const char *key : {"lathe.step", "lathe.epoch", "lathe.onnx"})
    (void)std::strlen(lathe_trainer_metadata(setup.trainer, key));
  return 0;
}
