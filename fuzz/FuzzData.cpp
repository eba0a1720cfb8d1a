// Fuzz target for the runtime's data readers: .npy, .npz (zip, deflate,
// ZIP64) and IDX. LATHE_FUZZ_FORMAT picks the reader at build time (one
// binary per format, each with its own corpus).
#include "fuzz/FuzzContext.h"
#include "fuzz/FuzzFile.h"

#include "lathe/runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lathe_context_t *context = lathe::fuzz::context();
  lathe::fuzz::InputFile file(data, size);
  lathe_tensor_t *tensor = nullptr;
#if LATHE_FUZZ_FORMAT == 0
  lathe_tensor_load_npy(context, file.c_str(), &tensor);
#elif LATHE_FUZZ_FORMAT == 1
  // Both arrays a data file usually has.
  for (const char *name : {"x", "target"}) {
    lathe_tensor_load_npz(context, file.c_str(), name, &tensor);
    if (tensor) // Every byte of a loaded tensor must be readable.
      for (size_t i = 0, n = lathe_tensor_num_bytes(tensor); i < n; i += 64)
        (void)static_cast<volatile char *>(lathe_tensor_data(tensor))[i];
    lathe_tensor_destroy(tensor);
    tensor = nullptr;
  }
#else
  lathe_tensor_load_idx(context, file.c_str(), &tensor);
#endif
  lathe_tensor_destroy(tensor);
  return 0;
}
