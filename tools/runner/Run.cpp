// Running an artifact on .npy files (lathe run, lathe-run), and timing it.
#include "tools/runner/Runner.h"

#include "lathe/runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

namespace lathe::runner {
namespace {

struct ContextDeleter {
  void operator()(lathe_context_t *c) const { lathe_context_destroy(c); }
};
struct ModuleDeleter {
  void operator()(lathe_module_t *m) const { lathe_module_destroy(m); }
};
struct TensorDeleter {
  void operator()(lathe_tensor_t *t) const { lathe_tensor_destroy(t); }
};
using TensorPtr = std::unique_ptr<lathe_tensor_t, TensorDeleter>;

std::string shapeOf(const lathe_tensor_info_t &info) {
  std::string s;
  for (size_t i = 0; i < info.rank; ++i)
    s += (i ? "x" : "") + std::to_string(info.dims[i]);
  return s.empty() ? "scalar" : s;
}

/// Splits "name=file" into its parts; "file" alone gives an empty name.
std::pair<std::string, std::string> splitBinding(const std::string &entry) {
  size_t eq = entry.find('=');
  if (eq == std::string::npos)
    return {"", entry};
  return {entry.substr(0, eq), entry.substr(eq + 1)};
}

/// Binds "name=file" / positional "file" entries to the tensors |infos|
/// names; returns the file per index, or an error message.
std::string bindFiles(const std::vector<std::string> &entries,
                      const std::vector<lathe_tensor_info_t> &infos,
                      const char *what, std::vector<std::string> &files) {
  files.assign(infos.size(), "");
  size_t positional = 0;
  for (const std::string &entry : entries) {
    auto [name, file] = splitBinding(entry);
    size_t index = infos.size();
    if (name.empty()) {
      index = positional++;
    } else {
      for (size_t i = 0; i < infos.size(); ++i)
        if (name == infos[i].name)
          index = i;
      if (index == infos.size()) {
        std::string names;
        for (const auto &info : infos)
          names += std::string(names.empty() ? "" : ", ") + info.name;
        return std::string("the model has no ") + what + " named '" + name +
               "' (it has: " + names + ")";
      }
    }
    if (index >= infos.size())
      return std::string("more ") + what + "s given than the model has (" +
             std::to_string(infos.size()) + ")";
    if (!files[index].empty())
      return std::string(what) + " '" + infos[index].name + "' given twice";
    files[index] = file;
  }
  return "";
}

void summarize(const lathe_tensor_info_t &info, const lathe_tensor_t *t) {
  lathe_tensor_info_t ti;
  lathe_tensor_info(t, &ti);
  std::cout << info.name << ": " << lathe_dtype_name(ti.dtype) << " "
            << shapeOf(ti);
  size_t count = lathe_tensor_num_bytes(t) / lathe_dtype_size(ti.dtype);
  if (ti.dtype == LATHE_F32 && count) {
    const float *v = static_cast<const float *>(lathe_tensor_data(t));
    double sum = 0, mn = v[0], mx = v[0];
    for (size_t i = 0; i < count; ++i) {
      sum += v[i];
      mn = std::min<double>(mn, v[i]);
      mx = std::max<double>(mx, v[i]);
    }
    std::cout << "  min " << mn << "  max " << mx << "  mean " << sum / count
              << "\n  first values:";
    for (size_t i = 0; i < std::min<size_t>(count, 8); ++i)
      std::cout << " " << v[i];
  }
  std::cout << "\n";
}

/// Prints the index of the largest value of each row (the last dimension)
/// of a float output: a classifier's predicted classes.
void printClasses(const lathe_tensor_info_t &info, const lathe_tensor_t *t) {
  lathe_tensor_info_t ti;
  lathe_tensor_info(t, &ti);
  if ((ti.dtype != LATHE_F32 && ti.dtype != LATHE_F64) || ti.rank == 0)
    return;
  int64_t width = ti.dims[ti.rank - 1];
  size_t count = lathe_tensor_num_bytes(t) / lathe_dtype_size(ti.dtype);
  if (width <= 0)
    return;
  auto at = [&](size_t i) {
    return ti.dtype == LATHE_F32
               ? double(static_cast<const float *>(lathe_tensor_data(t))[i])
               : static_cast<const double *>(lathe_tensor_data(t))[i];
  };
  std::cout << info.name << " classes:";
  for (size_t row = 0; row * size_t(width) < count; ++row) {
    size_t best = 0;
    for (size_t j = 1; j < size_t(width); ++j)
      if (at(row * size_t(width) + j) > at(row * size_t(width) + best))
        best = j;
    std::cout << " " << best;
  }
  std::cout << "\n";
}

/// Runs |inputs| through "forward" |repeat| times after |warmup| untimed
/// calls; prints the median and the fastest call. Returns false (the
/// context holds why) when a call fails.
bool timeForward(lathe_context_t *context, lathe_module_t *module,
                 const std::vector<lathe_tensor_t *> &inputs, size_t numOutputs,
                 int repeat, int warmup) {
  std::vector<double> ms;
  std::vector<lathe_tensor_t *> outputs(numOutputs, nullptr);
  for (int call = 0; call < warmup + repeat; ++call) {
    auto start = std::chrono::steady_clock::now();
    lathe_status_t status =
        lathe_module_run(context, module, "forward", inputs.data(),
                         inputs.size(), outputs.data(), outputs.size());
    auto end = std::chrono::steady_clock::now();
    for (lathe_tensor_t *&t : outputs) {
      lathe_tensor_destroy(t);
      t = nullptr;
    }
    if (status != LATHE_OK)
      return false;
    if (call >= warmup)
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  double median = ms.size() % 2
                      ? ms[ms.size() / 2]
                      : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  int threads = lathe_context_num_threads(context);
  std::ostringstream line;
  line << std::fixed << std::setprecision(4) << "latency: median " << median
       << " ms, min " << ms.front() << " ms over " << repeat << " calls ("
       << warmup << " warm-up, " << threads
       << (threads == 1 ? " thread)" : " threads)");
  std::cout << line.str() << "\n";
  return true;
}

} // namespace

int runArtifact(const RunOptions &options) {
  lathe_context_t *rawContext = nullptr;
  lathe_context_options_t contextOptions;
  lathe_context_options_init(&contextOptions);
  contextOptions.num_threads = options.threads;
  if (lathe_context_create(&contextOptions, &rawContext) != LATHE_OK)
    return reportError("cannot create a runtime context");
  std::unique_ptr<lathe_context_t, ContextDeleter> context(rawContext);
  auto failed = [&]() {
    return reportError(lathe_context_last_error(rawContext));
  };

  lathe_module_t *rawModule = nullptr;
  if (lathe_module_load(rawContext, options.artifact.c_str(), &rawModule) !=
      LATHE_OK)
    return failed();
  std::unique_ptr<lathe_module_t, ModuleDeleter> module(rawModule);

  std::vector<lathe_tensor_info_t> inInfo(lathe_module_num_inputs(rawModule));
  std::vector<lathe_tensor_info_t> outInfo(lathe_module_num_outputs(rawModule));
  for (size_t i = 0; i < inInfo.size(); ++i)
    lathe_module_input_info(rawModule, i, &inInfo[i]);
  for (size_t i = 0; i < outInfo.size(); ++i)
    lathe_module_output_info(rawModule, i, &outInfo[i]);

  std::vector<std::string> inFiles, outFiles;
  std::string problem = bindFiles(options.inputs, inInfo, "input", inFiles);
  if (problem.empty())
    problem = bindFiles(options.outputs, outInfo, "output", outFiles);
  if (!problem.empty())
    return reportError(problem);

  std::vector<TensorPtr> inputs;
  std::vector<lathe_tensor_t *> inputPtrs;
  for (size_t i = 0; i < inInfo.size(); ++i) {
    if (inFiles[i].empty())
      return reportError(std::string("missing input '") + inInfo[i].name +
                         "' (" + lathe_dtype_name(inInfo[i].dtype) + " " +
                         shapeOf(inInfo[i]) + "): pass --input " +
                         inInfo[i].name + "=file.npy");
    lathe_tensor_t *t = nullptr;
    if (lathe_tensor_load_npy(rawContext, inFiles[i].c_str(), &t) != LATHE_OK)
      return failed();
    inputs.emplace_back(t);
    inputPtrs.push_back(t);
  }
  if (options.repeat > 0 &&
      !timeForward(rawContext, rawModule, inputPtrs, outInfo.size(),
                   options.repeat, options.warmup))
    return failed();
  std::vector<lathe_tensor_t *> outputs(outInfo.size(), nullptr);
  if (lathe_module_run(rawContext, rawModule, "forward", inputPtrs.data(),
                       inputPtrs.size(), outputs.data(),
                       outputs.size()) != LATHE_OK)
    return failed();
  std::vector<TensorPtr> owned;
  for (lathe_tensor_t *t : outputs)
    owned.emplace_back(t);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (options.classes)
      printClasses(outInfo[i], outputs[i]);
    if (outFiles[i].empty()) {
      summarize(outInfo[i], outputs[i]);
      continue;
    }
    if (lathe_tensor_save_npy(rawContext, outputs[i], outFiles[i].c_str()) !=
        LATHE_OK)
      return failed();
    std::cout << "wrote " << outFiles[i] << " (" << outInfo[i].name << ")\n";
  }
  return 0;
}

} // namespace lathe::runner
