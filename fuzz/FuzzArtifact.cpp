// Fuzz target for reading an artifact without loading it: the ELF file's
// headers, dynamic symbols and relocations (runtime/Elf.cpp) and the
// descriptor's records (runtime/Module.cpp), through lathe_module_inspect,
// then every describing call on what it accepted.
#include "fuzz/FuzzContext.h"
#include "fuzz/FuzzFile.h"

#include "lathe/runtime.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lathe_context_t *context = lathe::fuzz::context();
  lathe::fuzz::InputFile file(data, size);
  lathe_module_t *module = nullptr;
  if (lathe_module_inspect(context, file.c_str(), &module) != LATHE_OK)
    return 0;
  size_t total = std::strlen(lathe_module_name(module)) +
                 std::strlen(lathe_module_target(module)) +
                 std::strlen(lathe_module_descriptor(module));
  lathe_tensor_info_t info;
  for (size_t e = 0; e < lathe_module_num_entries(module); ++e) {
    const char *entry = lathe_module_entry_name(module, e);
    for (size_t i = 0; i < lathe_module_entry_num_inputs(module, entry); ++i)
      if (lathe_module_entry_input_info(module, entry, i, &info) == LATHE_OK)
        for (size_t d = 0; d < info.rank; ++d)
          total += size_t(info.dims[d]);
    for (size_t i = 0; i < lathe_module_entry_num_outputs(module, entry); ++i)
      if (lathe_module_entry_output_info(module, entry, i, &info) == LATHE_OK)
        total += std::strlen(info.name);
  }
  for (size_t i = 0; i < lathe_module_num_params(module); ++i)
    if (lathe_module_param_info(module, i, &info) == LATHE_OK)
      total += info.rank;
  int64_t ignore = 0;
  total += std::strlen(lathe_module_criterion(module, &ignore));
  // Running what inspect opened must be refused, not attempted.
  lathe_tensor_t *out = nullptr;
  if (lathe_module_run(context, module, "forward", nullptr, 0, &out, 0) ==
      LATHE_OK)
    __builtin_trap();
  lathe_module_destroy(module);
  return int(total & 0);
}
