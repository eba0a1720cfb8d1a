// MNIST-style IDX files (big-endian arrays with a 4-byte magic).
#include "runtime/Internal.h"

#include <cerrno>
#include <cstring>
#include <fstream>

using namespace lathe::runtime;

extern "C" {

lathe_status_t lathe_tensor_load_idx(lathe_context_t *context, const char *path,
                                     lathe_tensor_t **out_tensor) {
  if (!path || !out_tensor)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_load_idx: NULL path or output");
  *out_tensor = nullptr;
  std::string where = path;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(context, LATHE_NOT_FOUND,
                where + ": cannot open: " + std::strerror(errno));
  unsigned char magic[4];
  if (!in.read(reinterpret_cast<char *>(magic), 4) || magic[0] || magic[1] ||
      magic[3] == 0)
    return fail(context, LATHE_INVALID_ARGUMENT,
                where + ": not an IDX file (bad magic number)");
  // Element type: u8, i8, i16 (read as i32), i32, f32, f64.
  lathe_dtype_t dtype;
  size_t fileSize;
  switch (magic[2]) {
  case 0x08:
    dtype = LATHE_U8, fileSize = 1;
    break;
  case 0x09:
    dtype = LATHE_I8, fileSize = 1;
    break;
  case 0x0B:
    dtype = LATHE_I32, fileSize = 2;
    break;
  case 0x0C:
    dtype = LATHE_I32, fileSize = 4;
    break;
  case 0x0D:
    dtype = LATHE_F32, fileSize = 4;
    break;
  case 0x0E:
    dtype = LATHE_F64, fileSize = 8;
    break;
  default:
    return fail(context, LATHE_INVALID_ARGUMENT,
                where + ": unknown IDX element type 0x" +
                    "0123456789abcdef"[magic[2] >> 4] +
                    "0123456789abcdef"[magic[2] & 15]);
  }
  std::vector<int64_t> dims(magic[3]);
  for (int64_t &d : dims) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char *>(b), 4))
      return fail(context, LATHE_INVALID_ARGUMENT,
                  where + ": truncated IDX header");
    d = int64_t(b[0]) << 24 | int64_t(b[1]) << 16 | int64_t(b[2]) << 8 | b[3];
  }
  size_t count;
  if (!elementCount(dims.data(), dims.size(), count))
    return fail(context, LATHE_INVALID_ARGUMENT, where + ": bad dimensions");
  in.seekg(0, std::ios::end);
  auto end = size_t(in.tellg());
  size_t header = 4 + 4 * dims.size();
  if (end != header + count * fileSize)
    return fail(context, LATHE_INVALID_ARGUMENT,
                where + ": holds " + std::to_string(end - header) +
                    " data bytes, the header announces " +
                    std::to_string(count * fileSize));
  lathe_tensor_t *t = nullptr;
  if (lathe_status_t s = createTensor(context, dtype, dims, &t); s != LATHE_OK)
    return s;
  in.seekg(std::streamoff(header));
  std::vector<unsigned char> raw(count * fileSize);
  if (!in.read(reinterpret_cast<char *>(raw.data()),
               std::streamsize(raw.size()))) {
    lathe_tensor_destroy(t);
    return fail(context, LATHE_IO_ERROR, where + ": read failed");
  }
  // Big-endian to the host's (little-endian) order.
  auto *out = static_cast<unsigned char *>(t->data);
  for (size_t i = 0; i < count; ++i) {
    const unsigned char *e = raw.data() + i * fileSize;
    if (magic[2] == 0x0B) {
      auto v = int32_t(int16_t(uint16_t(e[0]) << 8 | e[1]));
      std::memcpy(out + i * 4, &v, 4);
      continue;
    }
    for (size_t k = 0; k < fileSize; ++k)
      out[i * fileSize + k] = e[fileSize - 1 - k];
  }
  *out_tensor = t;
  return LATHE_OK;
}

} // extern "C"
