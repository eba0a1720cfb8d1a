// Describing an artifact (lathe inspect X.so, lathe-run --inspect).
#include "tools/runner/Runner.h"

#include "lathe/runtime.h"

#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace lathe::runner {
namespace {

void printTensor(const char *label, const lathe_tensor_info_t &info) {
  std::string shape;
  for (size_t d = 0; d < info.rank; ++d)
    shape += (d ? "x" : "") + std::to_string(info.dims[d]);
  std::cout << label << info.name << ": " << lathe_dtype_name(info.dtype) << " "
            << (shape.empty() ? "scalar" : shape) << "\n";
}

/// Whether |line| starts with |prefix|; if so, drops it.
bool consumePrefix(std::string &line, const std::string &prefix) {
  if (line.compare(0, prefix.size(), prefix) != 0)
    return false;
  line.erase(0, prefix.size());
  return true;
}

} // namespace

int inspectArtifact(const std::string &path) {
  lathe_context_t *context = nullptr;
  if (lathe_context_create(nullptr, &context) != LATHE_OK)
    return reportError("cannot create a runtime context");
  lathe_module_t *module = nullptr;
  // Read from the file: none of the artifact's code runs.
  if (lathe_module_inspect(context, path.c_str(), &module) != LATHE_OK) {
    int rc = reportError(lathe_context_last_error(context));
    lathe_context_destroy(context);
    return rc;
  }
  // Every entry point (a training build has eval_step, train_step and
  // perhaps gradient besides forward), with its hyperparameters, inputs
  // and outputs: the descriptor's "entry <name> <kind>" records, each
  // followed by its "hyper" records; and its "weights" record.
  std::map<std::string, std::vector<std::string>> hyper;
  std::map<std::string, std::string> kind;
  std::vector<std::string> weights, cpuFeatures;
  std::string section;
  std::istringstream descriptor(lathe_module_descriptor(module));
  for (std::string line; std::getline(descriptor, line);)
    if (consumePrefix(line, "entry ")) {
      size_t space = line.find(' ');
      section = line.substr(0, space);
      kind[section] = space == std::string::npos ? "" : line.substr(space + 1);
    } else if (consumePrefix(line, "hyper ")) {
      hyper[section].push_back(line);
    } else if (consumePrefix(line, "weights ")) {
      weights.push_back(line);
    } else if (consumePrefix(line, "cpu-features ")) {
      cpuFeatures.push_back(line);
    }
  std::cout << "artifact   " << path << "\n"
            << "name       " << lathe_module_name(module) << "\n"
            << "target     " << lathe_module_target(module) << "\n";
  for (const std::string &f : cpuFeatures)
    std::cout << "needs      " << f << "\n";
  lathe_tensor_info_t info;
  for (size_t e = 0; e < lathe_module_num_entries(module); ++e) {
    const char *entry = lathe_module_entry_name(module, e);
    std::cout << "entry      " << entry << " (" << kind[entry];
    for (size_t h = 0; h < hyper[entry].size(); ++h)
      std::cout << (h ? ", " : "; hyperparameters ") << hyper[entry][h];
    std::cout << ")\n";
    for (size_t i = 0; i < lathe_module_entry_num_inputs(module, entry); ++i)
      if (lathe_module_entry_input_info(module, entry, i, &info) == LATHE_OK)
        printTensor("  input    ", info);
    for (size_t i = 0; i < lathe_module_entry_num_outputs(module, entry); ++i)
      if (lathe_module_entry_output_info(module, entry, i, &info) == LATHE_OK)
        printTensor("  output   ", info);
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
  for (const std::string &w : weights)
    std::cout << "weights    " << w << "\n";
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

} // namespace lathe::runner
