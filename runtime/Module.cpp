// Loading artifacts: descriptor parsing, weights side files, running.
#include "runtime/Internal.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>

using namespace lathe::runtime;

namespace {

constexpr int kDescriptorVersion = 1;

struct TensorDesc {
  std::string name;
  lathe_dtype_t dtype = LATHE_F32;
  std::vector<int64_t> dims;
  uint64_t offset = 0;
};

using ForwardFn = int32_t (*)(const void *, void *const *, void *const *,
                              void *, const lathe_parallel_t *);

} // namespace

struct lathe_module {
  void *handle = nullptr;
  std::string descriptor, name, target, weightsFile;
  bool externalWeights = false;
  uint64_t weightBytes = 0, weightsHash = 0, scratchBytes = 0;
  std::vector<TensorDesc> inputs, outputs, params;
  void *weights = nullptr; ///< Side-file weights, or NULL for embedded.
  ForwardFn forward = nullptr;

  ~lathe_module() {
    std::free(weights);
    if (handle)
      dlclose(handle);
  }
};

namespace {

uint64_t fnv1a64(const char *data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= uint8_t(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

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
    if (kind == "lathe-artifact") {
      int version = 0;
      fields >> version;
      if (version != kDescriptorVersion)
        return "artifact format version " + std::to_string(version) +
               " is not supported by this runtime (it reads version " +
               std::to_string(kDescriptorVersion) + ")";
      sawHeader = true;
    } else if (kind == "name") {
      fields >> m.name;
    } else if (kind == "target") {
      m.target = rest();
    } else if (kind == "weights") {
      std::string where_;
      fields >> where_ >> m.weightBytes >> std::hex >> m.weightsHash >>
          std::dec;
      m.externalWeights = where_ == "external";
      if (m.externalWeights)
        m.weightsFile = rest();
    } else if (kind == "scratch") {
      fields >> m.scratchBytes;
    } else if (kind == "entry") {
      // Only forward exists in this format version.
    } else if (kind == "input" || kind == "output" || kind == "param") {
      TensorDesc t;
      std::string dtype, shape;
      fields >> dtype >> shape;
      if (kind == "param")
        fields >> t.offset;
      t.name = rest();
      if (!parseDType(dtype, t.dtype) || !parseShape(shape, t.dims) ||
          t.name.empty())
        return where + "malformed tensor record";
      (kind == "input"    ? m.inputs
       : kind == "output" ? m.outputs
                          : m.params)
          .push_back(std::move(t));
    } else if (!kind.empty()) {
      return where + "unknown record '" + kind + "'";
    }
  }
  if (!sawHeader || m.name.empty())
    return "the descriptor lacks its version or name";
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

lathe_status_t loadWeights(lathe_context_t *context, lathe_module &m,
                           const std::string &soPath) {
  if (m.weightsFile.empty() || m.weightsFile.find('/') != std::string::npos)
    return fail(context, LATHE_INCOMPATIBLE,
                soPath + ": invalid weights file name in the descriptor");
  std::string path = dirName(soPath) + "/" + m.weightsFile;
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
  std::ifstream probe(file);
  if (!probe)
    return fail(context, LATHE_NOT_FOUND,
                std::string(path) + ": cannot open: " + std::strerror(errno));
  std::unique_ptr<lathe_module> m(new (std::nothrow) lathe_module);
  if (!m)
    return fail(context, LATHE_OUT_OF_MEMORY, "out of memory");
  m->handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle)
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) +
                    ": not a loadable shared object: " + dlerror());
  auto **descriptor =
      static_cast<const char **>(dlsym(m->handle, "lathe_descriptor"));
  if (!descriptor || !*descriptor)
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": not a Lathe artifact (no "
                                    "lathe_descriptor symbol)");
  m->descriptor = *descriptor;
  std::string problem = parseDescriptor(m->descriptor, *m);
  if (!problem.empty())
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": " + problem);
  m->forward = reinterpret_cast<ForwardFn>(
      dlsym(m->handle, (m->name + "_forward").c_str()));
  if (!m->forward)
    return fail(context, LATHE_INCOMPATIBLE,
                std::string(path) + ": entry point " + m->name +
                    "_forward is missing");
  if (m->externalWeights) {
    lathe_status_t status = loadWeights(context, *m, file);
    if (status != LATHE_OK)
      return status;
  }
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
  if (!module || !entry || (num_inputs && !inputs) ||
      (num_outputs && !out_outputs))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_module_run: NULL module, entry, inputs or outputs");
  if (std::strcmp(entry, "forward") != 0)
    return fail(context, LATHE_NOT_FOUND,
                std::string("entry point '") + entry + "' does not exist in " +
                    module->name + " (it has: forward)");
  if (num_inputs != module->inputs.size())
    return fail(context, LATHE_INVALID_ARGUMENT,
                module->name + " takes " +
                    std::to_string(module->inputs.size()) + " inputs, got " +
                    std::to_string(num_inputs));
  if (num_outputs != module->outputs.size())
    return fail(context, LATHE_INVALID_ARGUMENT,
                module->name + " produces " +
                    std::to_string(module->outputs.size()) +
                    " outputs, asked for " + std::to_string(num_outputs));
  std::vector<void *> in(num_inputs), out(num_outputs);
  for (size_t i = 0; i < num_inputs; ++i) {
    const TensorDesc &want = module->inputs[i];
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
    lathe_status_t status = createTensor(context, module->outputs[i].dtype,
                                         module->outputs[i].dims, &made[i]);
    if (status != LATHE_OK) {
      cleanup();
      return status;
    }
    out[i] = made[i]->data;
  }
  void *scratch = contextScratch(context, module->scratchBytes);
  if (!scratch) {
    cleanup();
    return fail(context, LATHE_OUT_OF_MEMORY,
                "out of memory for " + std::to_string(module->scratchBytes) +
                    " bytes of scratch");
  }
  int32_t rc = module->forward(module->weights, in.data(), out.data(), scratch,
                               lathe_context_parallel(context));
  if (rc != 0) {
    cleanup();
    return fail(context, LATHE_INTERNAL,
                module->name + "_forward failed with code " +
                    std::to_string(rc));
  }
  for (size_t i = 0; i < num_outputs; ++i)
    out_outputs[i] = made[i];
  return LATHE_OK;
}

} // extern "C"
