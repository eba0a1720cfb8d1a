// Loading artifacts: descriptor parsing, weights side files, running.
#include "runtime/Elf.h"
#include "runtime/Internal.h"
#include "runtime/Lbfgs.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <sys/stat.h>

using namespace lathe::runtime;

lathe_module::~lathe_module() {
  std::free(weights);
  if (handle)
    dlclose(handle);
}

namespace lathe::runtime {

std::string notRunnable(const lathe_module &m) {
  if (m.handle)
    return "";
  return m.name + " was opened by lathe_module_inspect to be described, not "
                  "run: load it with lathe_module_load";
}

const ModuleEntry *findEntry(const lathe_module &m, const std::string &name) {
  for (const ModuleEntry &e : m.entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

} // namespace lathe::runtime

namespace {

bool parseShape(const std::string &text, std::vector<int64_t> &dims) {
  dims.clear();
  if (text == "scalar")
    return true;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, 'x')) {
    char *end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 0)
      return false;
    dims.push_back(v);
  }
  return true;
}

/// Parses the descriptor |text| into |m|; on failure returns the reason.
std::string parseDescriptor(const std::string &text, lathe_module &m) {
  std::istringstream lines(text);
  std::string line;
  int lineNo = 0;
  bool sawHeader = false;
  while (std::getline(lines, line)) {
    ++lineNo;
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    auto where = "descriptor line " + std::to_string(lineNo) + ": ";
    auto rest = [&]() {
      std::string r;
      std::getline(fields >> std::ws, r);
      return r;
    };
    if (kind == lathe::descriptor::kMagic) {
      int version = 0;
      fields >> version;
      if (version != lathe::descriptor::kVersion)
        return "artifact format version " + std::to_string(version) +
               " is not supported by this runtime (it reads version " +
               std::to_string(lathe::descriptor::kVersion) +
               "): compile the model again with this release's lathe";
      sawHeader = true;
    } else if (kind == "name") {
      fields >> m.name;
    } else if (kind == "target") {
      m.target = rest();
    } else if (kind == "cpu-features") {
      for (std::string feature; fields >> feature;)
        m.cpuFeatures.push_back(feature);
    } else if (kind == "weights") {
      std::string where_;
      fields >> where_ >> m.weightBytes >> std::hex >> m.weightsHash >>
          std::dec;
      m.externalWeights = where_ == "external";
      if (m.externalWeights)
        if (!lathe::descriptor::unescapeField(rest(), m.weightsFile))
          return where + "malformed weights file name";
    } else if (kind == "criterion") {
      fields >> m.ignoreIndex;
      if (!lathe::descriptor::unescapeField(rest(), m.criterion) ||
          m.criterion.empty())
        return where + "criterion without a well-formed name";
    } else if (kind == "lbfgs") {
      if (!lathe::runtime::parseLbfgsOptions(rest(), m.lbfgs))
        return where + "malformed lbfgs options";
    } else if (kind == "scratch") {
      fields >> m.scratchBytes;
    } else if (kind == "state") {
      fields >> m.stateBytes;
    } else if (kind == "entry") {
      ModuleEntry e;
      std::string entryKind;
      fields >> e.name >> entryKind;
      if (e.name.empty())
        return where + "entry without a name";
      if (!lathe::descriptor::parseEntryKind(entryKind, e.kind))
        return where + "entry '" + e.name + "' has no known kind ('" +
               entryKind + "')";
      m.entries.push_back(std::move(e));
    } else if (kind == "hyper") {
      if (m.entries.empty())
        return where + "hyper before any entry";
      m.entries.back().hyper.push_back(rest());
    } else if (kind == "input" || kind == "output" || kind == "param" ||
               kind == "state-tensor") {
      TensorDesc t;
      std::string dtype, shape;
      fields >> dtype >> shape;
      if (kind == "param" || kind == "state-tensor")
        fields >> t.offset;
      if (kind == "state-tensor")
        fields >> t.init;
      if (!lathe::descriptor::unescapeField(rest(), t.name))
        return where + "malformed tensor name";
      if (!fields.good() && !fields.eof())
        return where + "malformed tensor record";
      if (!lathe::descriptor::parseDType(dtype, t.dtype) ||
          !parseShape(shape, t.dims) || t.name.empty())
        return where + "malformed tensor record";
      if (kind == "param") {
        m.params.push_back(std::move(t));
      } else if (kind == "state-tensor") {
        m.state.push_back(std::move(t));
      } else {
        if (m.entries.empty())
          return where + kind + " before any entry";
        (kind == "input" ? m.entries.back().inputs : m.entries.back().outputs)
            .push_back(std::move(t));
      }
    } else if (!kind.empty()) {
      return where + "unknown record '" + kind + "'";
    }
  }
  if (!sawHeader || m.name.empty())
    return "the descriptor lacks its version or name";
  const ModuleEntry *forward = findEntry(m, "forward");
  if (!forward)
    return "the descriptor has no forward entry point";
  m.inputs = forward->inputs;
  m.outputs = forward->outputs;
  return "";
}

lathe_status_t describe(const std::vector<TensorDesc> &list, size_t index,
                        lathe_tensor_info_t *out_info) {
  if (!out_info || index >= list.size())
    return LATHE_INVALID_ARGUMENT;
  const TensorDesc &t = list[index];
  out_info->name = t.name.c_str();
  out_info->dtype = t.dtype;
  out_info->rank = t.dims.size();
  out_info->dims = t.dims.data();
  return LATHE_OK;
}

std::string dirName(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

/// "" when |path| is a regular file, else why not (a FIFO would block the
/// read forever, a device never end).
std::string regularFile(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return std::strerror(errno);
  if (!S_ISREG(st.st_mode))
    return "not a regular file";
  return "";
}

/// A module of the artifact at |file| (|path| as the caller named it) with
/// its descriptor read from the file and parsed, none of its code loaded.
lathe_status_t openDescriptor(lathe_context_t *context, const char *path,
                              const std::string &file,
                              std::unique_ptr<lathe_module> &out) {
  if (std::string why = regularFile(file); !why.empty())
    return fail(context, LATHE_NOT_FOUND,
                std::string(path) + ": cannot open: " + why);
  std::string text;
  if (std::string why = readElfDescriptor(file, text); !why.empty())
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": not a loadable shared object: " + why);
  out.reset(new (std::nothrow) lathe_module);
  if (!out)
    return fail(context, LATHE_OUT_OF_MEMORY, "out of memory");
  out->descriptor = text;
  if (std::string problem = parseDescriptor(text, *out); !problem.empty())
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": " + problem);
  return LATHE_OK;
}

lathe_status_t loadWeights(lathe_context_t *context, lathe_module &m,
                           const std::string &soPath) {
  if (m.weightsFile.empty() || m.weightsFile.find('/') != std::string::npos)
    return fail(context, LATHE_INCOMPATIBLE,
                soPath + ": invalid weights file name in the descriptor");
  std::string path = dirName(soPath) + "/" + m.weightsFile;
  if (std::string why = regularFile(path); !why.empty())
    return fail(
        context, LATHE_NOT_FOUND,
        path + ": cannot open the weights file this artifact needs: " + why);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return fail(context, LATHE_NOT_FOUND,
                path + ": cannot open the weights file this artifact needs: " +
                    std::strerror(errno));
  uint64_t size = uint64_t(in.tellg());
  if (size != m.weightBytes)
    return fail(context, LATHE_INVALID_ARGUMENT,
                path + ": holds " + std::to_string(size) +
                    " bytes, the artifact expects " +
                    std::to_string(m.weightBytes));
  size_t rounded = (m.weightBytes + 63) / 64 * 64;
  m.weights = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!m.weights)
    return fail(context, LATHE_OUT_OF_MEMORY, "out of memory for weights");
  in.seekg(0);
  if (!in.read(static_cast<char *>(m.weights), std::streamsize(size)))
    return fail(context, LATHE_IO_ERROR, path + ": read failed");
  if (fnv1a64(static_cast<char *>(m.weights), size) != m.weightsHash)
    return fail(context, LATHE_INVALID_ARGUMENT,
                path + ": checksum mismatch: the weights file does not belong "
                       "to this artifact or is corrupted");
  return LATHE_OK;
}

} // namespace

extern "C" {

lathe_status_t lathe_module_load(lathe_context_t *context, const char *path,
                                 lathe_module_t **out_module) {
  if (!path || !out_module)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_module_load: NULL path or output");
  *out_module = nullptr;
  std::string file(path);
  if (file.find('/') == std::string::npos)
    file = "./" + file; // dlopen would search the library path otherwise.
  // The descriptor first, from the file: an artifact for a CPU this one is
  // not, or no artifact at all, is refused before any of its code runs.
  std::unique_ptr<lathe_module> m;
  if (lathe_status_t status = openDescriptor(context, path, file, m))
    return status;
  if (std::string missing = missingCpuFeatures(m->cpuFeatures);
      !missing.empty())
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": compiled for a CPU with " + missing +
                    ", which this CPU lacks (target " + m->target +
                    "): compile it again for this machine's CPU, or pass "
                    "--target-cpu for the oldest CPU it must run on");
  m->handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle)
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) +
                    ": not a loadable shared object: " + dlerror());
  auto **descriptor =
      static_cast<const char **>(dlsym(m->handle, "lathe_descriptor"));
  if (!descriptor || !*descriptor || *descriptor != m->descriptor)
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": its loaded descriptor differs from "
                                    "the file's");
  for (ModuleEntry &e : m->entries) {
    e.fn = reinterpret_cast<lathe_entry_fn>(
        dlsym(m->handle, (m->name + "_" + e.name).c_str()));
    if (!e.fn)
      return fail(context, LATHE_INCOMPATIBLE,
                  std::string(path) + ": entry point " + m->name + "_" +
                      e.name + " is missing");
  }
  if (!m->externalWeights)
    m->embeddedWeights = dlsym(m->handle, (m->name + "_weights").c_str());
  if (m->externalWeights) {
    lathe_status_t status = loadWeights(context, *m, file);
    if (status != LATHE_OK)
      return status;
  }
  *out_module = m.release();
  return LATHE_OK;
}

lathe_status_t lathe_module_inspect(lathe_context_t *context, const char *path,
                                    lathe_module_t **out_module) {
  if (!path || !out_module)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_module_inspect: NULL path or output");
  *out_module = nullptr;
  std::unique_ptr<lathe_module> m;
  if (lathe_status_t status = openDescriptor(context, path, path, m))
    return status;
  *out_module = m.release();
  return LATHE_OK;
}

void lathe_module_destroy(lathe_module_t *module) { delete module; }

const char *lathe_module_name(const lathe_module_t *m) {
  return m ? m->name.c_str() : "";
}
const char *lathe_module_target(const lathe_module_t *m) {
  return m ? m->target.c_str() : "";
}
const char *lathe_module_descriptor(const lathe_module_t *m) {
  return m ? m->descriptor.c_str() : "";
}
size_t lathe_module_num_inputs(const lathe_module_t *m) {
  return m ? m->inputs.size() : 0;
}
size_t lathe_module_num_outputs(const lathe_module_t *m) {
  return m ? m->outputs.size() : 0;
}
size_t lathe_module_num_params(const lathe_module_t *m) {
  return m ? m->params.size() : 0;
}
lathe_status_t lathe_module_input_info(const lathe_module_t *m, size_t i,
                                       lathe_tensor_info_t *out_info) {
  return m ? describe(m->inputs, i, out_info) : LATHE_INVALID_ARGUMENT;
}
lathe_status_t lathe_module_output_info(const lathe_module_t *m, size_t i,
                                        lathe_tensor_info_t *out_info) {
  return m ? describe(m->outputs, i, out_info) : LATHE_INVALID_ARGUMENT;
}
lathe_status_t lathe_module_param_info(const lathe_module_t *m, size_t i,
                                       lathe_tensor_info_t *out_info) {
  return m ? describe(m->params, i, out_info) : LATHE_INVALID_ARGUMENT;
}

lathe_status_t lathe_module_run(lathe_context_t *context,
                                const lathe_module_t *module, const char *entry,
                                lathe_tensor_t *const *inputs,
                                size_t num_inputs, lathe_tensor_t **out_outputs,
                                size_t num_outputs) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!module || !entry)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_module_run: NULL module or entry");
  const ModuleEntry *e = findEntry(*module, entry);
  if (e && e->updates())
    return fail(context, LATHE_INVALID_ARGUMENT,
                "train_step updates parameters: run it through a "
                "lathe_trainer_t (lathe_trainer_step)");
  return runEntry(context, *module, entry, module->weights, nullptr, {}, inputs,
                  num_inputs, out_outputs, num_outputs);
}

size_t lathe_module_num_entries(const lathe_module_t *m) {
  return m ? m->entries.size() : 0;
}
const char *lathe_module_entry_name(const lathe_module_t *m, size_t index) {
  return m && index < m->entries.size() ? m->entries[index].name.c_str()
                                        : nullptr;
}
size_t lathe_module_entry_num_inputs(const lathe_module_t *m,
                                     const char *entry) {
  const ModuleEntry *e = m && entry ? findEntry(*m, entry) : nullptr;
  return e ? e->inputs.size() : 0;
}
size_t lathe_module_entry_num_outputs(const lathe_module_t *m,
                                      const char *entry) {
  const ModuleEntry *e = m && entry ? findEntry(*m, entry) : nullptr;
  return e ? e->outputs.size() : 0;
}
lathe_status_t lathe_module_entry_input_info(const lathe_module_t *m,
                                             const char *entry, size_t i,
                                             lathe_tensor_info_t *out_info) {
  const ModuleEntry *e = m && entry ? findEntry(*m, entry) : nullptr;
  return e ? describe(e->inputs, i, out_info) : LATHE_INVALID_ARGUMENT;
}
lathe_status_t lathe_module_entry_output_info(const lathe_module_t *m,
                                              const char *entry, size_t i,
                                              lathe_tensor_info_t *out_info) {
  const ModuleEntry *e = m && entry ? findEntry(*m, entry) : nullptr;
  return e ? describe(e->outputs, i, out_info) : LATHE_INVALID_ARGUMENT;
}
const char *lathe_module_criterion(const lathe_module_t *m,
                                   int64_t *out_ignore_index) {
  if (!m)
    return "";
  if (out_ignore_index)
    *out_ignore_index = m->ignoreIndex;
  return m->criterion.c_str();
}

size_t lathe_module_num_state(const lathe_module_t *m) {
  return m ? m->state.size() : 0;
}
lathe_status_t lathe_module_state_info(const lathe_module_t *m, size_t i,
                                       lathe_tensor_info_t *out_info) {
  return m ? describe(m->state, i, out_info) : LATHE_INVALID_ARGUMENT;
}

} // extern "C"

namespace lathe::runtime {

lathe_status_t runEntry(lathe_context_t *context, const lathe_module &module,
                        const std::string &entry, void *params, void *state,
                        const HyperValues &values,
                        lathe_tensor_t *const *inputs, size_t num_inputs,
                        lathe_tensor_t **out_outputs, size_t num_outputs) {
  if ((num_inputs && !inputs) || (num_outputs && !out_outputs))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_module_run: NULL inputs or outputs");
  if (std::string why = notRunnable(module); !why.empty())
    return fail(context, LATHE_INVALID_ARGUMENT, why);
  const ModuleEntry *e = findEntry(module, entry);
  if (!e) {
    std::string have;
    for (const ModuleEntry &x : module.entries)
      have += (have.empty() ? "" : ", ") + x.name;
    return fail(context, LATHE_NOT_FOUND,
                "entry point '" + entry + "' does not exist in " + module.name +
                    " (it has: " + have + ")");
  }
  if (num_inputs != e->inputs.size())
    return fail(context, LATHE_INVALID_ARGUMENT,
                module.name + " " + entry + " takes " +
                    std::to_string(e->inputs.size()) + " inputs, got " +
                    std::to_string(num_inputs));
  if (num_outputs != e->outputs.size())
    return fail(context, LATHE_INVALID_ARGUMENT,
                module.name + " " + entry + " produces " +
                    std::to_string(e->outputs.size()) + " outputs, asked for " +
                    std::to_string(num_outputs));
  std::vector<double> hyper;
  for (const std::string &h : e->hyper) {
    if (h == "lr" || h == "step") {
      hyper.push_back(h == "lr" ? values.lr : double(values.step));
      continue;
    }
    if (!values.named || !values.named->count(h))
      return fail(context, LATHE_INVALID_ARGUMENT,
                  module.name + " " + entry + " takes hyperparameter '" + h +
                      "': set it with lathe_trainer_set_hyper");
    hyper.push_back(values.named->at(h));
  }
  std::vector<void *> in(num_inputs), out(num_outputs);
  for (size_t i = 0; i < num_inputs; ++i) {
    const TensorDesc &want = e->inputs[i];
    const lathe_tensor_t *t = inputs[i];
    if (!t)
      return fail(context, LATHE_INVALID_ARGUMENT,
                  "input '" + want.name + "' is NULL");
    if (t->dtype != want.dtype || t->dims != want.dims)
      return fail(context, LATHE_INVALID_ARGUMENT,
                  "input '" + want.name + "' expects " +
                      lathe_dtype_name(want.dtype) + " " +
                      shapeText(want.dims) + ", got " +
                      lathe_dtype_name(t->dtype) + " " + shapeText(t->dims));
    in[i] = t->data;
  }
  std::vector<lathe_tensor_t *> made(num_outputs, nullptr);
  auto cleanup = [&]() {
    for (lathe_tensor_t *t : made)
      lathe_tensor_destroy(t);
  };
  for (size_t i = 0; i < num_outputs; ++i) {
    lathe_status_t status = createTensor(context, e->outputs[i].dtype,
                                         e->outputs[i].dims, &made[i]);
    if (status != LATHE_OK) {
      cleanup();
      return status;
    }
    out[i] = made[i]->data;
  }
  void *scratch = contextScratch(context, module.scratchBytes);
  if (!scratch) {
    cleanup();
    return fail(context, LATHE_OUT_OF_MEMORY,
                "out of memory for " + std::to_string(module.scratchBytes) +
                    " bytes of scratch");
  }
  // One signature for every kind (lathe/abi.h): an inference entry reads
  // |params| and ignores |state|; only an update writes them.
  int32_t rc = e->fn(params, e->updates() ? state : nullptr,
                     hyper.empty() ? nullptr : hyper.data(), in.data(),
                     out.data(), scratch, lathe_context_env(context));
  if (rc == LATHE_ENTRY_COLLECTIVE_FAILED) {
    cleanup();
    return fail(context, LATHE_INTERNAL,
                module.name + "_" + entry +
                    ": the gradient all-reduce across the replicas failed; "
                    "the parameters and optimizer state are unchanged");
  }
  if (rc != 0) {
    cleanup();
    return fail(context, LATHE_INTERNAL,
                module.name + "_" + entry + " failed with code " +
                    std::to_string(rc));
  }
  for (size_t i = 0; i < num_outputs; ++i)
    out_outputs[i] = made[i];
  return LATHE_OK;
}

} // namespace lathe::runtime
