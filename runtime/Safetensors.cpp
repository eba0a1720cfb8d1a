// safetensors files: reading, checking and writing them whole.
#include "runtime/Safetensors.h"

#include "runtime/Internal.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace lathe::runtime {

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

namespace {

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

/// The dtype named |name| in a file, if Lathe has it.
bool dtypeNamed(const std::string &name, lathe_dtype_t &out) {
  for (int d = LATHE_F32; d <= LATHE_BF16; ++d)
    if (name == safetensorsDType(lathe_dtype_t(d))) {
      out = lathe_dtype_t(d);
      return true;
    }
  return false;
}

/// Checks one header entry |t| named |name| against a data section of
/// |dataSize| bytes; the reason in |error| when it does not fit.
bool readEntry(const std::string &name, const Json &t, uint64_t dataSize,
               SafetensorsEntry &out, std::string &error) {
  std::string where = "tensor '" + name + "' ";
  if (t.kind != Json::Object) {
    error = where + "is not described by an object";
    return false;
  }
  const Json *dtype = t.get("dtype"), *shape = t.get("shape"),
             *offsets = t.get("data_offsets");
  out.name = name;
  if (!dtype || dtype->kind != Json::String ||
      !dtypeNamed(dtype->text, out.dtype)) {
    error = where + "has an unknown dtype" +
            (dtype ? " '" + dtype->text + "'" : std::string());
    return false;
  }
  if (!shape || shape->kind != Json::Array) {
    error = where + "has no shape";
    return false;
  }
  uint64_t count = 1;
  for (const Json &d : shape->items) {
    if (d.kind != Json::Number || d.number < 0 ||
        (d.number && count > (uint64_t(1) << 62) / uint64_t(d.number))) {
      error = where + "has a bad shape";
      return false;
    }
    out.dims.push_back(d.number);
    count *= uint64_t(d.number);
  }
  uint64_t bytes = count * lathe_dtype_size(out.dtype);
  if (!offsets || offsets->kind != Json::Array || offsets->items.size() != 2 ||
      offsets->items[0].number < 0 ||
      offsets->items[1].number < offsets->items[0].number ||
      uint64_t(offsets->items[1].number) > dataSize ||
      uint64_t(offsets->items[1].number - offsets->items[0].number) != bytes) {
    error = where + "has bad data offsets (its shape " + shapeText(out.dims) +
            " needs " + std::to_string(bytes) + " bytes)";
    return false;
  }
  out.begin = uint64_t(offsets->items[0].number);
  out.end = uint64_t(offsets->items[1].number);
  return true;
}

} // namespace

const SafetensorsEntry *SafetensorsFile::find(const std::string &name) const {
  for (const SafetensorsEntry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

lathe_status_t readSafetensors(const std::string &path, SafetensorsFile &out,
                               std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return LATHE_NOT_FOUND;
  }
  uint64_t size = uint64_t(in.tellg());
  in.seekg(0);
  out.bytes.assign(size, '\0');
  if (!in.read(out.bytes.data(), std::streamsize(size))) {
    error = "read failed";
    return LATHE_IO_ERROR;
  }
  if (size < 8) {
    error = "truncated (" + std::to_string(size) + " bytes)";
    return LATHE_INCOMPATIBLE;
  }
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= uint64_t(uint8_t(out.bytes[i])) << (8 * i);
  if (length > size - 8) {
    error = "truncated: the header claims " + std::to_string(length) +
            " bytes, the file has " + std::to_string(size - 8);
    return LATHE_INCOMPATIBLE;
  }
  std::string header = out.bytes.substr(8, length);
  JsonParser parser{header, 0, {}};
  Json root;
  if (!parser.parse(root) || root.kind != Json::Object) {
    error = "malformed header (" +
            (parser.error.empty() ? "not an object" : parser.error) + ")";
    return LATHE_INCOMPATIBLE;
  }
  out.dataStart = 8 + length;
  for (const auto &[name, value] : root.fields) {
    if (name == "__metadata__") {
      for (const auto &f : value.fields)
        out.metadata.push_back({f.first, f.second.text});
      continue;
    }
    SafetensorsEntry entry;
    if (!readEntry(name, value, out.dataSize(), entry, error))
      return LATHE_INCOMPATIBLE;
    out.entries.push_back(std::move(entry));
  }
  return LATHE_OK;
}

std::string safetensorsData(const std::vector<SafetensorsSource> &tensors) {
  std::string data;
  for (const SafetensorsSource &t : tensors)
    data.append(t.data, t.bytes);
  return data;
}

lathe_status_t writeSafetensors(
    const std::string &path, const std::vector<SafetensorsSource> &tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &error) {
  std::ostringstream header;
  header << "{";
  size_t at = 0;
  for (const SafetensorsSource &t : tensors) {
    header << jsonString(t.name) << ":{\"dtype\":\""
           << safetensorsDType(t.dtype) << "\",\"shape\":[";
    for (size_t i = 0; i < t.dims.size(); ++i)
      header << (i ? "," : "") << t.dims[i];
    header << "],\"data_offsets\":[" << at << "," << at + t.bytes << "]},";
    at += t.bytes;
  }
  header << "\"__metadata__\":{";
  for (size_t i = 0; i < metadata.size(); ++i)
    header << (i ? "," : "") << jsonString(metadata[i].first) << ":"
           << jsonString(metadata[i].second);
  header << "}}";
  std::string h = header.str();
  while ((h.size() + 8) % 8)
    h += ' '; // The data section starts 8-byte aligned.
  uint64_t length = h.size();
  std::string temp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    error = temp + ": cannot create: " + std::strerror(errno);
    return LATHE_IO_ERROR;
  }
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
  bool ok = writeAll(len, 8) && writeAll(h.data(), h.size());
  for (const SafetensorsSource &t : tensors)
    ok = ok && writeAll(t.data, t.bytes);
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    error = path + ": cannot write: " + std::strerror(errno);
    std::remove(temp.c_str());
    return LATHE_IO_ERROR;
  }
  // Make the rename itself durable.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return LATHE_OK;
}

} // namespace lathe::runtime

using namespace lathe::runtime;

struct lathe_tensor_file {
  std::vector<std::string> names;
  std::vector<lathe_tensor_t *> tensors;
  std::vector<std::pair<std::string, std::string>> metadata;

  ~lathe_tensor_file() {
    for (lathe_tensor_t *t : tensors)
      lathe_tensor_destroy(t);
  }
};

extern "C" {

lathe_status_t lathe_safetensors_load(lathe_context_t *context,
                                      const char *path,
                                      lathe_tensor_file_t **out_file) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!path || !out_file)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_safetensors_load: NULL path or out_file");
  *out_file = nullptr;
  SafetensorsFile file;
  std::string error;
  if (lathe_status_t status = readSafetensors(path, file, error);
      status != LATHE_OK)
    return fail(context, status,
                std::string(path) + ": " +
                    (status == LATHE_INCOMPATIBLE
                         ? "not a valid safetensors file: " + error
                         : error));
  auto out = std::make_unique<lathe_tensor_file>();
  for (const SafetensorsEntry &e : file.entries) {
    lathe_tensor_t *t = nullptr;
    if (lathe_status_t status = createTensor(context, e.dtype, e.dims, &t);
        status != LATHE_OK)
      return status;
    out->tensors.push_back(t);
    out->names.push_back(e.name);
    if (e.end > e.begin)
      std::memcpy(t->data, file.data(e), e.end - e.begin);
  }
  out->metadata = std::move(file.metadata);
  *out_file = out.release();
  return LATHE_OK;
}

size_t lathe_tensor_file_count(const lathe_tensor_file_t *file) {
  return file ? file->tensors.size() : 0;
}

const char *lathe_tensor_file_name(const lathe_tensor_file_t *file,
                                   size_t index) {
  if (!file || index >= file->names.size())
    return nullptr;
  return file->names[index].c_str();
}

const lathe_tensor_t *lathe_tensor_file_tensor(const lathe_tensor_file_t *file,
                                               size_t index) {
  if (!file || index >= file->tensors.size())
    return nullptr;
  return file->tensors[index];
}

const char *lathe_tensor_file_metadata(const lathe_tensor_file_t *file,
                                       const char *key) {
  if (!file || !key)
    return "";
  const char *found = "";
  for (const auto &[k, v] : file->metadata)
    if (k == key)
      found = v.c_str(); // The last of a repeated key.
  return found;
}

void lathe_tensor_file_destroy(lathe_tensor_file_t *file) { delete file; }

lathe_status_t lathe_safetensors_save(lathe_context_t *context,
                                      const char *path, size_t count,
                                      const char *const *names,
                                      const lathe_tensor_t *const *tensors,
                                      size_t num_metadata,
                                      const char *const *metadata_keys,
                                      const char *const *metadata_values) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  if (!path || (count && (!names || !tensors)) ||
      (num_metadata && (!metadata_keys || !metadata_values)))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_safetensors_save: NULL path, names, tensors or "
                "metadata");
  std::vector<SafetensorsSource> sources;
  for (size_t i = 0; i < count; ++i) {
    if (!names[i] || !*names[i] || !tensors[i])
      return fail(context, LATHE_INVALID_ARGUMENT,
                  std::string(path) + ": tensor " + std::to_string(i) +
                      " has no name or value");
    for (size_t j = 0; j < i; ++j)
      if (std::strcmp(names[i], names[j]) == 0)
        return fail(context, LATHE_INVALID_ARGUMENT,
                    std::string(path) + ": tensor name '" + names[i] +
                        "' is given twice");
    const lathe_tensor_t *t = tensors[i];
    sources.push_back({names[i], t->dtype, t->dims,
                       static_cast<const char *>(t->data),
                       lathe_tensor_num_bytes(t)});
  }
  std::vector<std::pair<std::string, std::string>> metadata;
  for (size_t i = 0; i < num_metadata; ++i)
    if (metadata_keys[i] && metadata_values[i])
      metadata.push_back({metadata_keys[i], metadata_values[i]});
  std::string error;
  if (writeSafetensors(path, sources, metadata, error) != LATHE_OK)
    return fail(context, LATHE_IO_ERROR, error);
  return LATHE_OK;
}

} // extern "C"
