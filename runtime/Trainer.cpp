// Trainers: mutable parameters and optimizer state of a training build,
// train_step calls, and safetensors checkpoints.
#include "runtime/Internal.h"
#include "runtime/Lbfgs.h"
#include "runtime/Safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <unistd.h>

using namespace lathe::runtime;

struct lathe_trainer {
  const lathe_module *module = nullptr;
  void *params = nullptr, *state = nullptr;
  int64_t steps = 0;
  std::map<std::string, double> hyper; ///< Set by lathe_trainer_set_hyper.
  std::vector<lathe_tensor> paramViews, stateViews;
  std::map<std::string, std::string> metadata;

  ~lathe_trainer() {
    std::free(params);
    std::free(state);
  }
};

namespace {

void *alignedZeros(uint64_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded ? rounded : 64);
  if (p)
    std::memset(p, 0, rounded ? rounded : 64);
  return p;
}

size_t numBytes(const TensorDesc &t) {
  size_t n = 1;
  for (int64_t d : t.dims)
    n *= size_t(d);
  return n * lathe_dtype_size(t.dtype);
}

/// Fills state tensor |t| in |blob| with its initial value.
void initialize(void *blob, const TensorDesc &t) {
  char *at = static_cast<char *>(blob) + t.offset;
  size_t n = numBytes(t) / lathe_dtype_size(t.dtype);
  for (size_t i = 0; i < n; ++i) {
    if (t.dtype == LATHE_F32)
      reinterpret_cast<float *>(at)[i] = float(t.init);
    else if (t.dtype == LATHE_F64)
      reinterpret_cast<double *>(at)[i] = t.init;
  }
}

/// Every tensor a checkpoint holds: parameters, then optimizer state.
struct Stored {
  const TensorDesc *desc;
  char *data;
};

std::vector<Stored> storedTensors(const lathe_trainer &t) {
  std::vector<Stored> all;
  for (const TensorDesc &p : t.module->params)
    all.push_back({&p, static_cast<char *>(t.params) + p.offset});
  for (const TensorDesc &s : t.module->state)
    all.push_back({&s, static_cast<char *>(t.state) + s.offset});
  return all;
}

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

/// One train_step of |module| on |trainer|'s parameters and state; the
/// step count advances on success.
/// Borrowed tensors over the tensors |descs| lays out in |blob|.
std::vector<lathe_tensor> views(const std::vector<TensorDesc> &descs,
                                void *blob) {
  std::vector<lathe_tensor> out;
  for (const TensorDesc &d : descs) {
    lathe_tensor view;
    view.dtype = d.dtype;
    view.dims = d.dims;
    view.data = static_cast<char *>(blob) + d.offset;
    out.push_back(view);
  }
  return out;
}

lathe_status_t step(lathe_context_t *context, lathe_trainer_t *trainer,
                    const lathe_module &module, double lr,
                    lathe_tensor_t *const *inputs, size_t num_inputs,
                    lathe_tensor_t **out_outputs, size_t num_outputs) {
  HyperValues hyper{lr, trainer->steps + 1, &trainer->hyper};
  lathe_status_t status =
      module.lbfgs.enabled
          ? lbfgsStep(context, module, trainer->params, trainer->state, hyper,
                      inputs, num_inputs, out_outputs, num_outputs)
          : runEntry(context, module, "train_step", trainer->params,
                     trainer->state, hyper, inputs, num_inputs, out_outputs,
                     num_outputs);
  if (status == LATHE_OK)
    ++trainer->steps;
  return status;
}

/// The metadata key of the checksum over the other metadata.
constexpr const char kMetadataChecksum[] = "lathe.metadata_checksum";

/// FNV-1a over |meta|'s keys and values in key order, as hex.
std::string metadataChecksum(const std::map<std::string, std::string> &meta) {
  std::string all;
  for (const auto &[key, value] : meta) {
    all += key;
    all += '\0';
    all += value;
    all += '\0';
  }
  return hex64(fnv1a64(all.data(), all.size()));
}

} // namespace

extern "C" {

lathe_status_t lathe_trainer_create(lathe_context_t *context,
                                    const lathe_module_t *module,
                                    lathe_trainer_t **out_trainer) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!module || !out_trainer)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_trainer_create: NULL module or output");
  *out_trainer = nullptr;
  if (std::string why = notRunnable(*module); !why.empty())
    return fail(context, LATHE_INVALID_ARGUMENT, why);
  if (!findEntry(*module, "train_step"))
    return fail(context, LATHE_NOT_FOUND,
                module->name + " has no train_step entry point: compile it "
                               "with `lathe compile --train`");
  std::unique_ptr<lathe_trainer> t(new (std::nothrow) lathe_trainer);
  if (!t)
    return fail(context, LATHE_OUT_OF_MEMORY, "out of memory");
  t->module = module;
  t->params = alignedZeros(module->weightBytes);
  t->state = alignedZeros(module->stateBytes);
  if (!t->params || !t->state)
    return fail(context, LATHE_OUT_OF_MEMORY, "out of memory for parameters");
  const void *weights =
      module->weights ? module->weights : module->embeddedWeights;
  if (module->weightBytes && !weights)
    return fail(context, LATHE_INCOMPATIBLE,
                module->name + ": the artifact's weights are not found");
  if (module->weightBytes)
    std::memcpy(t->params, weights, module->weightBytes);
  for (const TensorDesc &s : module->state)
    initialize(t->state, s);
  t->paramViews = views(module->params, t->params);
  t->stateViews = views(module->state, t->state);
  *out_trainer = t.release();
  return LATHE_OK;
}

void lathe_trainer_destroy(lathe_trainer_t *trainer) { delete trainer; }

lathe_status_t
lathe_trainer_step(lathe_context_t *context, lathe_trainer_t *trainer,
                   double lr, lathe_tensor_t *const *inputs, size_t num_inputs,
                   lathe_tensor_t **out_outputs, size_t num_outputs) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!trainer)
    return fail(context, LATHE_INVALID_ARGUMENT, "NULL trainer");
  return step(context, trainer, *trainer->module, lr, inputs, num_inputs,
              out_outputs, num_outputs);
}

lathe_status_t
lathe_trainer_step_module(lathe_context_t *context, lathe_trainer_t *trainer,
                          const lathe_module_t *module, double lr,
                          lathe_tensor_t *const *inputs, size_t num_inputs,
                          lathe_tensor_t **out_outputs, size_t num_outputs) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!trainer || !module)
    return fail(context, LATHE_INVALID_ARGUMENT, "NULL trainer or module");
  // The same parameters and state, laid out alike.
  auto same = [](const std::vector<TensorDesc> &a,
                 const std::vector<TensorDesc> &b) {
    if (a.size() != b.size())
      return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].name != b[i].name || a[i].dtype != b[i].dtype ||
          a[i].dims != b[i].dims || a[i].offset != b[i].offset)
        return false;
    return true;
  };
  const lathe_module &own = *trainer->module;
  if (!same(module->params, own.params) || !same(module->state, own.state) ||
      module->weightBytes != own.weightBytes ||
      module->stateBytes != own.stateBytes)
    return fail(context, LATHE_INCOMPATIBLE,
                module->name +
                    "'s parameters or optimizer state differ from "
                    "the trainer's " +
                    own.name + "'s");
  return step(context, trainer, *module, lr, inputs, num_inputs, out_outputs,
              num_outputs);
}

lathe_status_t
lathe_trainer_run(lathe_context_t *context, const lathe_trainer_t *trainer,
                  const char *entry, lathe_tensor_t *const *inputs,
                  size_t num_inputs, lathe_tensor_t **out_outputs,
                  size_t num_outputs) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!trainer || !entry)
    return fail(context, LATHE_INVALID_ARGUMENT, "NULL trainer or entry");
  if (std::strcmp(entry, "train_step") == 0)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "use lathe_trainer_step for train_step");
  return runEntry(context, *trainer->module, entry, trainer->params, nullptr,
                  {0.0, trainer->steps + 1, &trainer->hyper}, inputs,
                  num_inputs, out_outputs, num_outputs);
}

lathe_status_t lathe_trainer_set_hyper(lathe_context_t *context,
                                       lathe_trainer_t *trainer,
                                       const char *name, double value) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!trainer || !name)
    return fail(context, LATHE_INVALID_ARGUMENT, "NULL trainer or name");
  if (std::strcmp(name, "lr") == 0 || std::strcmp(name, "step") == 0)
    return fail(context, LATHE_INVALID_ARGUMENT,
                std::string("'") + name +
                    "' is not set this way: lr is lathe_trainer_step's "
                    "argument, step the trainer's count");
  // A name no entry of the module takes would be stored and never used: a
  // misspelled "momentum" would silently leave the old value in force.
  std::vector<std::string> taken;
  for (const auto &entry : trainer->module->entries)
    for (const std::string &h : entry.hyper)
      if (h != "lr" && h != "step" &&
          std::find(taken.begin(), taken.end(), h) == taken.end())
        taken.push_back(h);
  if (std::find(taken.begin(), taken.end(), name) == taken.end()) {
    std::string list;
    for (const std::string &h : taken)
      list += (list.empty() ? "" : ", ") + h;
    return fail(context, LATHE_INVALID_ARGUMENT,
                std::string("no step of model '") + trainer->module->name +
                    "' takes hyperparameter '" + name + "' (" +
                    (list.empty() ? std::string("it takes none besides lr")
                                  : "it takes: " + list) +
                    ")");
  }
  trainer->hyper[name] = value;
  return LATHE_OK;
}

const lathe_module_t *lathe_trainer_module(const lathe_trainer_t *trainer) {
  return trainer ? trainer->module : nullptr;
}

int64_t lathe_trainer_steps(const lathe_trainer_t *trainer) {
  return trainer ? trainer->steps : 0;
}

const lathe_tensor_t *lathe_trainer_param(const lathe_trainer_t *trainer,
                                          size_t index) {
  if (!trainer || index >= trainer->paramViews.size())
    return nullptr;
  return &trainer->paramViews[index];
}

const lathe_tensor_t *lathe_trainer_state(const lathe_trainer_t *trainer,
                                          size_t index) {
  if (!trainer || index >= trainer->stateViews.size())
    return nullptr;
  return &trainer->stateViews[index];
}

lathe_status_t
lathe_trainer_save(lathe_context_t *context, const lathe_trainer_t *trainer,
                   const char *path, const char *const *metadata_keys,
                   const char *const *metadata_values, size_t num_metadata) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!trainer || !path ||
      (num_metadata && (!metadata_keys || !metadata_values)))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_trainer_save: NULL trainer, path or metadata");
  std::vector<SafetensorsSource> tensors;
  for (const Stored &s : storedTensors(*trainer))
    tensors.push_back(
        {s.desc->name, s.desc->dtype, s.desc->dims, s.data, numBytes(*s.desc)});
  std::string data = safetensorsData(tensors);
  // Every metadata pair in order (a caller's after Lathe's, the later of a
  // repeated key winning, as the reader keeps them), then the checksum of
  // them all, so that a corrupted step or epoch is refused too.
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"format", "pt"},
      {"lathe.model", trainer->module->name},
      {"lathe.step", std::to_string(trainer->steps)},
      {"lathe.checksum", hex64(fnv1a64(data.data(), data.size()))}};
  for (size_t i = 0; i < num_metadata; ++i)
    if (metadata_keys[i] && metadata_values[i] &&
        std::string(metadata_keys[i]) != kMetadataChecksum)
      pairs.push_back({metadata_keys[i], metadata_values[i]});
  std::map<std::string, std::string> meta;
  for (const auto &[key, value] : pairs)
    meta[key] = value;
  pairs.push_back({kMetadataChecksum, metadataChecksum(meta)});
  std::string error;
  if (writeSafetensors(path, tensors, pairs, error) != LATHE_OK)
    return fail(context, LATHE_IO_ERROR, error);
  return LATHE_OK;
}

lathe_status_t lathe_trainer_load(lathe_context_t *context,
                                  lathe_trainer_t *trainer, const char *path) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!trainer || !path)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_trainer_load: NULL trainer or path");
  std::string where = std::string(path) + ": ";
  SafetensorsFile file;
  std::string error;
  if (lathe_status_t status = readSafetensors(path, file, error);
      status != LATHE_OK)
    return fail(context, status,
                where + (status == LATHE_INCOMPATIBLE
                             ? "not a valid checkpoint: " + error
                             : error));
  auto bad = [&](const std::string &why) {
    return fail(context, LATHE_INCOMPATIBLE,
                where + "not a valid checkpoint: " + why);
  };
  std::map<std::string, std::string> metadata;
  for (const auto &[key, value] : file.metadata)
    metadata[key] = value;
  if (metadata["lathe.model"] != trainer->module->name)
    return bad("it was written for model '" + metadata["lathe.model"] +
               "', not '" + trainer->module->name + "'");
  const char *data = file.bytes.data() + file.dataStart;
  if (metadata["lathe.checksum"] != hex64(fnv1a64(data, file.dataSize())))
    return bad("checksum mismatch (truncated or corrupted data)");
  // (Checkpoints written before the metadata had a checksum have none.)
  if (auto sum = metadata.find(kMetadataChecksum); sum != metadata.end()) {
    std::string want = sum->second;
    metadata.erase(sum);
    if (metadataChecksum(metadata) != want)
      return bad("checksum mismatch in its metadata (the step, epoch or "
                 "options it records are corrupted)");
  }
  std::vector<Stored> all = storedTensors(*trainer);
  if (file.entries.size() != all.size())
    return bad("it holds " + std::to_string(file.entries.size()) +
               " tensors, this model and optimizer have " +
               std::to_string(all.size()));
  // Check everything before changing anything.
  std::vector<std::pair<const char *, size_t>> sources;
  for (const Stored &s : all) {
    const SafetensorsEntry *t = file.find(s.desc->name);
    if (!t)
      return bad("tensor '" + s.desc->name + "' is missing");
    if (t->dtype != s.desc->dtype)
      return bad("tensor '" + s.desc->name + "' has the wrong dtype");
    if (t->dims != s.desc->dims)
      return bad("tensor '" + s.desc->name + "' has shape " +
                 shapeText(t->dims) + ", expected " + shapeText(s.desc->dims));
    sources.push_back({file.data(*t), numBytes(*s.desc)});
  }
  char *end = nullptr;
  long long steps = std::strtoll(metadata["lathe.step"].c_str(), &end, 10);
  if (metadata["lathe.step"].empty() || *end || steps < 0)
    return bad("no valid step count");
  for (size_t i = 0; i < all.size(); ++i)
    std::memcpy(all[i].data, sources[i].first, sources[i].second);
  trainer->steps = steps;
  trainer->metadata = std::move(metadata);
  return LATHE_OK;
}

const char *lathe_trainer_metadata(const lathe_trainer_t *trainer,
                                   const char *key) {
  if (!trainer || !key)
    return "";
  auto it = trainer->metadata.find(key);
  return it == trainer->metadata.end() ? "" : it->second.c_str();
}

} // extern "C"
