// Fuzz target for the safetensors reader (state dicts: the C++ DSL's
// load_state_dict, lathe_safetensors_load): every accepted file's tensors
// must have their stated size and readable data, and writing them back
// and reading that again must give the same tensors.
#include "fuzz/FuzzFile.h"

#include "lathe/runtime.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

/// Where the byte sum goes, so that the reads are not optimized away.
volatile unsigned fuzzSink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static lathe_context_t *context = [] {
    lathe_context_t *c = nullptr;
    lathe_context_create(nullptr, &c);
    return c;
  }();
  lathe::fuzz::InputFile file(data, size);
  lathe_tensor_file_t *loaded = nullptr;
  if (lathe_safetensors_load(context, file.c_str(), &loaded) != LATHE_OK) {
    if (loaded || !*lathe_context_last_error(context))
      __builtin_trap(); // A refusal sets no file and gives a reason.
    return 0;
  }
  size_t n = lathe_tensor_file_count(loaded);
  std::vector<const char *> names;
  std::vector<const lathe_tensor_t *> tensors;
  unsigned sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const lathe_tensor_t *t = lathe_tensor_file_tensor(loaded, i);
    const char *name = lathe_tensor_file_name(loaded, i);
    if (!t || !name)
      __builtin_trap();
    lathe_tensor_info_t info;
    lathe_tensor_info(t, &info);
    size_t count = 1;
    for (size_t d = 0; d < info.rank; ++d)
      count *= size_t(info.dims[d]);
    if (lathe_tensor_num_bytes(t) != count * lathe_dtype_size(info.dtype))
      __builtin_trap(); // The stated shape and the data disagree.
    const unsigned char *p =
        static_cast<const unsigned char *>(lathe_tensor_data(t));
    for (size_t b = 0; b < lathe_tensor_num_bytes(t); ++b)
      sum += p[b];
    names.push_back(name);
    tensors.push_back(t);
  }
  (void)std::strlen(lathe_tensor_file_metadata(loaded, "format"));
  // Written back and read again: the same tensors (names may repeat in a
  // crafted header, which the writer refuses).
  // (In the working folder: the input itself is a /proc/self/fd path.)
  static const std::string again =
      "fuzz-safetensors-" + std::to_string(getpid()) + ".safetensors";
  if (lathe_safetensors_save(context, again.c_str(), n, names.data(),
                             tensors.data(), 0, nullptr, nullptr) == LATHE_OK) {
    lathe_tensor_file_t *reread = nullptr;
    if (lathe_safetensors_load(context, again.c_str(), &reread) != LATHE_OK ||
        lathe_tensor_file_count(reread) != n)
      __builtin_trap();
    for (size_t i = 0; i < n; ++i) {
      const lathe_tensor_t *a = tensors[i];
      const lathe_tensor_t *b = lathe_tensor_file_tensor(reread, i);
      if (lathe_tensor_num_bytes(a) != lathe_tensor_num_bytes(b) ||
          std::memcmp(lathe_tensor_data(a), lathe_tensor_data(b),
                      lathe_tensor_num_bytes(a)) != 0)
        __builtin_trap();
    }
    lathe_tensor_file_destroy(reread);
  }
  ::unlink(again.c_str());
  lathe_tensor_file_destroy(loaded);
  fuzzSink = sum; // Keeps the reads.
  return 0;
}
