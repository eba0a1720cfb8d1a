// safetensors files (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype,
// shape and data offsets (plus "__metadata__" string pairs), then the data.
// Read and written whole: checkpoints, state dicts, lathe_safetensors_*.
#ifndef LATHE_RUNTIME_SAFETENSORS_H
#define LATHE_RUNTIME_SAFETENSORS_H

#include "lathe/runtime.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lathe::runtime {

/// The file's name for |dtype| ("F32", "I64", "BOOL", ...).
const char *safetensorsDType(lathe_dtype_t dtype);

/// One tensor of a file as its header states it; its bytes are
/// data[begin, end) of the file's data section.
struct SafetensorsEntry {
  std::string name;
  lathe_dtype_t dtype = LATHE_F32;
  std::vector<int64_t> dims;
  uint64_t begin = 0, end = 0;
};

/// A whole file, parsed and checked: every entry has a dtype Lathe knows,
/// non-negative dimensions and offsets inside the data section that hold
/// exactly its elements. Entries in the header's order.
struct SafetensorsFile {
  std::string bytes; ///< The file.
  std::vector<SafetensorsEntry> entries;
  /// "__metadata__" in the header's order (a repeated key: both).
  std::vector<std::pair<std::string, std::string>> metadata;
  uint64_t dataStart = 0; ///< Where the data section starts in |bytes|.

  const char *data(const SafetensorsEntry &e) const {
    return bytes.data() + dataStart + e.begin;
  }
  uint64_t dataSize() const { return bytes.size() - dataStart; }
  const SafetensorsEntry *find(const std::string &name) const;
};

/// Reads |path|. On failure returns LATHE_NOT_FOUND or LATHE_IO_ERROR (the
/// file cannot be read) or LATHE_INCOMPATIBLE (it is no valid safetensors
/// file), with the reason, not naming the path, in |error|.
lathe_status_t readSafetensors(const std::string &path, SafetensorsFile &out,
                               std::string &error);

/// One tensor to write.
struct SafetensorsSource {
  std::string name;
  lathe_dtype_t dtype = LATHE_F32;
  std::vector<int64_t> dims;
  const char *data = nullptr;
  size_t bytes = 0;
};

/// The data section |tensors| make, in order (what a checksum covers).
std::string safetensorsData(const std::vector<SafetensorsSource> &tensors);

/// Writes |tensors| and |metadata| to |path| through a temporary file,
/// fsync and rename, so that an existing file is replaced only by a
/// complete one. On failure returns LATHE_IO_ERROR with the reason in
/// |error|.
lathe_status_t writeSafetensors(
    const std::string &path, const std::vector<SafetensorsSource> &tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    std::string &error);

} // namespace lathe::runtime

#endif // LATHE_RUNTIME_SAFETENSORS_H
