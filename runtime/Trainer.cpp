// Trainers: mutable parameters and optimizer state of a training build,
// train_step calls, and safetensors checkpoints.
#include "runtime/Internal.h"
#include "runtime/Lbfgs.h"

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

const char *safetensorsDType(lathe_dtype_t d) {
  switch (d) {
  case LATHE_F32:
    return "F32";
  case LATHE_F64:
    return "F64";
  case LATHE_I32:
    return "I32";
  case LATHE_I64:
    return "I64";
  case LATHE_I8:
    return "I8";
  case LATHE_U8:
    return "U8";
  case LATHE_BOOL:
    return "BOOL";
  case LATHE_I16:
    return "I16";
  case LATHE_U16:
    return "U16";
  case LATHE_U32:
    return "U32";
  case LATHE_U64:
    return "U64";
  case LATHE_F16:
    return "F16";
  case LATHE_BF16:
    return "BF16";
  }
  return "?";
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (uint8_t(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A small JSON reader for safetensors headers: objects, arrays, strings
/// and integers.
struct Json {
  enum Kind { Null, String, Number, Array, Object } kind = Null;
  std::string text;
  long long number = 0;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;

  const Json *get(const std::string &key) const {
    for (const auto &f : fields)
      if (f.first == key)
        return &f.second;
    return nullptr;
  }
};

struct JsonParser {
  const std::string &s;
  size_t i = 0;
  std::string error;

  void ws() {
    while (i < s.size() && std::isspace(uint8_t(s[i])))
      ++i;
  }
  bool fail(const std::string &why) {
    if (error.empty())
      error = why + " at byte " + std::to_string(i);
    return false;
  }
  bool parseString(std::string &out) {
    if (i >= s.size() || s[i] != '"')
      return fail("expected a string");
    ++i;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c == '\\') {
        if (i >= s.size())
          return fail("bad escape");
        char e = s[i++];
        if (e == 'u') {
          if (i + 4 > s.size())
            return fail("bad escape");
          out += char(std::strtol(s.substr(i, 4).c_str(), nullptr, 16));
          i += 4;
        } else {
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
      } else {
        out += c;
      }
    }
    if (i >= s.size())
      return fail("unterminated string");
    ++i;
    return true;
  }
  bool parse(Json &out, int depth = 0) {
    if (depth > 8)
      return fail("nesting too deep");
    ws();
    if (i >= s.size())
      return fail("unexpected end");
    char c = s[i];
    if (c == '"') {
      out.kind = Json::String;
      return parseString(out.text);
    }
    if (c == '{' || c == '[') {
      bool object = c == '{';
      out.kind = object ? Json::Object : Json::Array;
      ++i;
      ws();
      if (i < s.size() && s[i] == (object ? '}' : ']')) {
        ++i;
        return true;
      }
      while (true) {
        ws();
        std::string key;
        if (object) {
          if (!parseString(key))
            return false;
          ws();
          if (i >= s.size() || s[i++] != ':')
            return fail("expected ':'");
        }
        Json value;
        if (!parse(value, depth + 1))
          return false;
        if (object)
          out.fields.push_back({key, std::move(value)});
        else
          out.items.push_back(std::move(value));
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == (object ? '}' : ']')) {
          ++i;
          return true;
        }
        return fail("expected ',' or a closing bracket");
      }
    }
    if (c == '-' || std::isdigit(uint8_t(c))) {
      char *end = nullptr;
      out.kind = Json::Number;
      out.number = std::strtoll(s.c_str() + i, &end, 10);
      i = end - s.c_str();
      return true;
    }
    return fail("unexpected character");
  }
};

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
  std::vector<Stored> all = storedTensors(*trainer);
  std::string data;
  std::ostringstream header;
  header << "{";
  size_t at = 0;
  for (const Stored &s : all) {
    size_t n = numBytes(*s.desc);
    header << jsonString(s.desc->name) << ":{\"dtype\":\""
           << safetensorsDType(s.desc->dtype) << "\",\"shape\":[";
    for (size_t i = 0; i < s.desc->dims.size(); ++i)
      header << (i ? "," : "") << s.desc->dims[i];
    header << "],\"data_offsets\":[" << at << "," << at + n << "]},";
    data.append(s.data, n);
    at += n;
  }
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
  header << "\"__metadata__\":{";
  for (const auto &[key, value] : pairs) {
    header << jsonString(key) << ":" << jsonString(value) << ",";
    meta[key] = value;
  }
  header << "\"" << kMetadataChecksum << "\":\"" << metadataChecksum(meta)
         << "\"}}";
  std::string h = header.str();
  while ((h.size() + 8) % 8)
    h += ' '; // The data section starts 8-byte aligned.
  uint64_t length = h.size();
  std::string target(path);
  std::string temp = target + ".tmp." + std::to_string(getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return fail(context, LATHE_IO_ERROR,
                temp + ": cannot create: " + std::strerror(errno));
  auto writeAll = [&](const char *p, size_t n) {
    while (n) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        return false;
      }
      p += w;
      n -= size_t(w);
    }
    return true;
  };
  char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = char((length >> (8 * i)) & 0xff);
  bool ok = writeAll(len, 8) && writeAll(h.data(), h.size()) &&
            writeAll(data.data(), data.size()) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), target.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(temp.c_str());
    return fail(context, LATHE_IO_ERROR, target + ": cannot write: " + why);
  }
  // Make the rename itself durable.
  size_t slash = target.rfind('/');
  std::string dir = slash == std::string::npos ? "." : target.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
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
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return fail(context, LATHE_NOT_FOUND,
                where + "cannot open: " + std::strerror(errno));
  uint64_t size = uint64_t(in.tellg());
  in.seekg(0);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), std::streamsize(size)))
    return fail(context, LATHE_IO_ERROR, where + "read failed");
  auto bad = [&](const std::string &why) {
    return fail(context, LATHE_INCOMPATIBLE,
                where + "not a valid checkpoint: " + why);
  };
  if (size < 8)
    return bad("truncated (" + std::to_string(size) + " bytes)");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= uint64_t(uint8_t(bytes[i])) << (8 * i);
  if (length > size - 8)
    return bad("truncated: the header claims " + std::to_string(length) +
               " bytes, the file has " + std::to_string(size - 8));
  std::string header = bytes.substr(8, length);
  JsonParser parser{header, 0, {}};
  Json root;
  if (!parser.parse(root) || root.kind != Json::Object)
    return bad("malformed header (" + parser.error + ")");
  const char *data = bytes.data() + 8 + length;
  uint64_t dataSize = size - 8 - length;
  std::map<std::string, std::string> metadata;
  if (const Json *meta = root.get("__metadata__"))
    for (const auto &f : meta->fields)
      metadata[f.first] = f.second.text;
  if (metadata["lathe.model"] != trainer->module->name)
    return bad("it was written for model '" + metadata["lathe.model"] +
               "', not '" + trainer->module->name + "'");
  if (metadata["lathe.checksum"] != hex64(fnv1a64(data, dataSize)))
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
  size_t tensors = 0;
  for (const auto &f : root.fields)
    tensors += f.first != "__metadata__";
  if (tensors != all.size())
    return bad("it holds " + std::to_string(tensors) +
               " tensors, this model and optimizer have " +
               std::to_string(all.size()));
  // Check everything before changing anything.
  std::vector<std::pair<const char *, size_t>> sources;
  for (const Stored &s : all) {
    const Json *t = root.get(s.desc->name);
    if (!t || t->kind != Json::Object)
      return bad("tensor '" + s.desc->name + "' is missing");
    const Json *dtype = t->get("dtype"), *shape = t->get("shape"),
               *offsets = t->get("data_offsets");
    if (!dtype || dtype->text != safetensorsDType(s.desc->dtype))
      return bad("tensor '" + s.desc->name + "' has the wrong dtype");
    std::vector<int64_t> dims;
    if (shape)
      for (const Json &d : shape->items)
        dims.push_back(d.number);
    if (!shape || dims != s.desc->dims)
      return bad("tensor '" + s.desc->name + "' has shape " + shapeText(dims) +
                 ", expected " + shapeText(s.desc->dims));
    if (!offsets || offsets->items.size() != 2 ||
        offsets->items[0].number < 0 ||
        uint64_t(offsets->items[1].number) > dataSize ||
        uint64_t(offsets->items[1].number - offsets->items[0].number) !=
            numBytes(*s.desc))
      return bad("tensor '" + s.desc->name + "' has bad data offsets");
    sources.push_back({data + offsets->items[0].number, numBytes(*s.desc)});
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
