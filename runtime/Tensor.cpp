// Contexts, tensors and NumPy .npy files.
#include "runtime/Internal.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <zlib.h>

using namespace lathe::runtime;

namespace lathe::runtime {

lathe_status_t fail(lathe_context_t *context, lathe_status_t status,
                    const std::string &message) {
  if (context)
    context->lastError = message;
  return status;
}

bool elementCount(const int64_t *dims, size_t rank, size_t &out) {
  out = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return false;
    if (dims[i] != 0 && out > SIZE_MAX / size_t(dims[i]))
      return false;
    out *= size_t(dims[i]);
  }
  return true;
}

std::string shapeText(const std::vector<int64_t> &dims) {
  if (dims.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

void *contextScratch(lathe_context_t *context, size_t bytes) {
  if (bytes <= context->scratchBytes && context->scratch)
    return context->scratch;
  size_t rounded = (std::max<size_t>(bytes, 64) + 63) / 64 * 64;
  void *fresh = std::aligned_alloc(64, rounded);
  if (!fresh)
    return nullptr;
  std::free(context->scratch);
  context->scratch = fresh;
  context->scratchBytes = rounded;
  return fresh;
}

lathe_status_t createTensor(lathe_context_t *context, lathe_dtype_t dtype,
                            const std::vector<int64_t> &dims,
                            lathe_tensor_t **out_tensor) {
  return lathe_tensor_create(context, dtype, dims.size(), dims.data(),
                             out_tensor);
}

} // namespace lathe::runtime

lathe_context::~lathe_context() { std::free(scratch); }

extern "C" {

void lathe_context_options_init(lathe_context_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
}

lathe_status_t lathe_context_create(const lathe_context_options_t *options,
                                    lathe_context_t **out_context) {
  if (!out_context)
    return LATHE_INVALID_ARGUMENT;
  *out_context = nullptr;
  if (options && options->struct_size != sizeof(lathe_context_options_t))
    return LATHE_INCOMPATIBLE;
  if (options && options->num_threads < 0)
    return LATHE_INVALID_ARGUMENT;
  auto *context = new (std::nothrow) lathe_context;
  if (!context)
    return LATHE_OUT_OF_MEMORY;
  int threads = options ? options->num_threads : 0;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  context->numThreads = threads;
  *out_context = context;
  return LATHE_OK;
}

int lathe_context_num_threads(const lathe_context_t *context) {
  return context ? context->numThreads : 0;
}

const lathe_env_t *lathe_context_env(lathe_context_t *context) {
  if (!context)
    return nullptr;
  lathe_env_t &env = context->env;
  env = lathe_env_t{};
  env.struct_size = sizeof(lathe_env_t);
  if (context->numThreads > 1) {
    if (!context->pool)
      context->pool = std::make_unique<ThreadPool>(context->numThreads);
    env.parallel_for = ThreadPool::parallelForCallback;
    env.pool = context->pool.get();
  }
  env.allreduce = context->allreduce;
  env.comm = context->comm;
  return &env;
}

lathe_status_t lathe_context_set_allreduce(
    lathe_context_t *context,
    int32_t (*allreduce)(void *, void *, int64_t, lathe_dtype_t), void *comm) {
  if (!context)
    return LATHE_INVALID_ARGUMENT;
  context->allreduce = allreduce;
  context->comm = allreduce ? comm : nullptr;
  return LATHE_OK;
}

void lathe_context_destroy(lathe_context_t *context) { delete context; }

const char *lathe_context_last_error(const lathe_context_t *context) {
  return context ? context->lastError.c_str() : "no context";
}

lathe_status_t lathe_context_set_error(lathe_context_t *context,
                                       lathe_status_t status,
                                       const char *message) {
  return fail(context, status, message ? message : "");
}

const char *lathe_status_name(lathe_status_t status) {
  switch (status) {
  case LATHE_OK:
    return "LATHE_OK";
  case LATHE_INVALID_ARGUMENT:
    return "LATHE_INVALID_ARGUMENT";
  case LATHE_NOT_FOUND:
    return "LATHE_NOT_FOUND";
  case LATHE_IO_ERROR:
    return "LATHE_IO_ERROR";
  case LATHE_INCOMPATIBLE:
    return "LATHE_INCOMPATIBLE";
  case LATHE_OUT_OF_MEMORY:
    return "LATHE_OUT_OF_MEMORY";
  case LATHE_INTERNAL:
    return "LATHE_INTERNAL";
  }
  return "LATHE_UNKNOWN_STATUS";
}

const char *lathe_dtype_name(lathe_dtype_t dtype) {
  return lathe::descriptor::dtypeName(dtype);
}

size_t lathe_dtype_size(lathe_dtype_t dtype) {
  static const size_t sizes[] = {4, 8, 4, 8, 1, 1, 1, 2, 2, 4, 8, 2, 2};
  return unsigned(dtype) < std::size(sizes) ? sizes[dtype] : 0;
}

lathe_status_t lathe_tensor_create(lathe_context_t *context,
                                   lathe_dtype_t dtype, size_t rank,
                                   const int64_t *dims,
                                   lathe_tensor_t **out_tensor) {
  if (!out_tensor || (rank && !dims) || !lathe_dtype_size(dtype))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_create: invalid dtype, dims or output pointer");
  *out_tensor = nullptr;
  size_t count;
  if (!elementCount(dims, rank, count) ||
      count > SIZE_MAX / 64 / lathe_dtype_size(dtype))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_create: negative or overflowing dimensions");
  size_t bytes = count * lathe_dtype_size(dtype);
  size_t rounded = (bytes + 63) / 64 * 64;
  void *data = std::aligned_alloc(64, rounded ? rounded : 64);
  auto *tensor = new (std::nothrow) lathe_tensor;
  if (!data || !tensor) {
    std::free(data);
    delete tensor;
    return fail(context, LATHE_OUT_OF_MEMORY,
                "out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  std::memset(data, 0, rounded ? rounded : 64);
  tensor->dtype = dtype;
  tensor->dims.assign(dims, dims + rank);
  tensor->data = data;
  tensor->owned = true;
  *out_tensor = tensor;
  return LATHE_OK;
}

lathe_status_t lathe_tensor_wrap(lathe_context_t *context, lathe_dtype_t dtype,
                                 size_t rank, const int64_t *dims, void *data,
                                 lathe_tensor_t **out_tensor) {
  size_t count;
  if (!out_tensor || (rank && !dims) || !lathe_dtype_size(dtype) ||
      !elementCount(dims, rank, count) || (!data && count != 0))
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_wrap: invalid dtype, dims, data or output");
  auto *tensor = new (std::nothrow) lathe_tensor;
  if (!tensor)
    return fail(context, LATHE_OUT_OF_MEMORY, "out of memory");
  tensor->dtype = dtype;
  tensor->dims.assign(dims, dims + rank);
  tensor->data = data;
  *out_tensor = tensor;
  return LATHE_OK;
}

void lathe_tensor_destroy(lathe_tensor_t *tensor) {
  if (!tensor)
    return;
  if (tensor->owned)
    std::free(tensor->data);
  delete tensor;
}

void *lathe_tensor_data(const lathe_tensor_t *tensor) {
  return tensor ? tensor->data : nullptr;
}

void lathe_tensor_info(const lathe_tensor_t *tensor,
                       lathe_tensor_info_t *out_info) {
  if (!tensor || !out_info)
    return;
  out_info->name = "";
  out_info->dtype = tensor->dtype;
  out_info->rank = tensor->dims.size();
  out_info->dims = tensor->dims.data();
}

size_t lathe_tensor_num_bytes(const lathe_tensor_t *tensor) {
  if (!tensor)
    return 0;
  size_t count = 1;
  elementCount(tensor->dims.data(), tensor->dims.size(), count);
  return count * lathe_dtype_size(tensor->dtype);
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// The .npy descr of |dtype|; NULL for bf16, which NumPy lacks.
static const char *npyDescr(lathe_dtype_t dtype) {
  static const char *descrs[] = {"<f4", "<f8", "<i4",  "<i8", "|i1",
                                 "|u1", "|b1", "<i2",  "<u2", "<u4",
                                 "<u8", "<f2", nullptr};
  return descrs[dtype];
}

/// Value of key |key| in a .npy header dict, as written (quotes kept).
static bool headerField(const std::string &header, const std::string &key,
                        std::string &out) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  size_t colon = header.find(':', at);
  if (colon == std::string::npos)
    return false;
  size_t start = header.find_first_not_of(" ", colon + 1);
  if (start == std::string::npos)
    return false;
  size_t end = header[start] == '(' ? header.find(')', start) + 1
                                    : header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0)
    return false;
  out = header.substr(start, end - start);
  return true;
}

} // extern "C"

/// Reads one .npy array from |in| (|path| names it in messages).
static lathe_status_t readNpy(lathe_context_t *context, std::istream &in,
                              const std::string &path,
                              lathe_tensor_t **out_tensor) {
  auto bad = [&](const std::string &why) {
    return fail(context, LATHE_INVALID_ARGUMENT,
                std::string(path) + ": not a supported .npy file: " + why);
  };
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return bad("missing the \\x93NUMPY magic");
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    unsigned char len[2];
    if (!in.read(reinterpret_cast<char *>(len), 2))
      return bad("truncated header");
    headerLen = len[0] | (len[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char len[4];
    if (!in.read(reinterpret_cast<char *>(len), 4))
      return bad("truncated header");
    headerLen =
        len[0] | (len[1] << 8) | (len[2] << 16) | (uint32_t(len[3]) << 24);
    if (headerLen > (1u << 24))
      return bad("header too large");
  } else {
    return bad("format version " + std::to_string(int(magic[6])));
  }
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen))
    return bad("truncated header");
  std::string descr, order, shape;
  if (!headerField(header, "descr", descr) ||
      !headerField(header, "fortran_order", order) ||
      !headerField(header, "shape", shape))
    return bad("header lacks descr, fortran_order or shape");
  if (order != "False")
    return bad("Fortran-ordered arrays are not supported (use C order)");
  lathe_dtype_t dtype;
  bool known = false;
  for (int i = 0; i < kDTypeCount && !known; ++i)
    if (npyDescr(lathe_dtype_t(i)) &&
        descr == std::string("'") + npyDescr(lathe_dtype_t(i)) + "'") {
      dtype = lathe_dtype_t(i);
      known = true;
    }
  if (!known)
    return bad("element type " + descr +
               " (supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 "
               "|b1)");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    return bad("shape " + shape + " is not a tuple");
  std::vector<int64_t> dims;
  std::string inner = shape.substr(1, shape.size() - 2);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t s = item.find_first_not_of(" ");
    if (s == std::string::npos)
      continue;
    char *end = nullptr;
    long long v = std::strtoll(item.c_str() + s, &end, 10);
    if (v < 0 || end == item.c_str() + s)
      return bad("shape " + shape);
    dims.push_back(v);
  }
  // The data must be there before it is allocated: a header of a few
  // bytes may declare any shape.
  size_t count = 1;
  if (!elementCount(dims.data(), dims.size(), count) ||
      count > std::numeric_limits<size_t>::max() / lathe_dtype_size(dtype))
    return bad("shape " + shape + " has more elements than can be addressed");
  std::streampos dataStart = in.tellg();
  in.seekg(0, std::ios::end);
  std::streampos dataEnd = in.tellg();
  in.seekg(dataStart);
  if (dataStart < 0 || dataEnd < dataStart ||
      uint64_t(dataEnd - dataStart) < count * lathe_dtype_size(dtype))
    return bad("the data is shorter than shape " + shape + " needs");
  lathe_tensor_t *tensor = nullptr;
  lathe_status_t status = createTensor(context, dtype, dims, &tensor);
  if (status != LATHE_OK)
    return status;
  size_t bytes = lathe_tensor_num_bytes(tensor);
  if (!in.read(static_cast<char *>(tensor->data), std::streamsize(bytes))) {
    lathe_tensor_destroy(tensor);
    return bad("the data is shorter than shape " + shape + " needs");
  }
  *out_tensor = tensor;
  return LATHE_OK;
}

/// Where a zip archive's member lies and how it is stored.
struct ZipMember {
  uint64_t offset = 0; ///< Of its data (past the local header).
  uint32_t method = 0; ///< 0: stored; 8: deflated.
  uint64_t compressedSize = 0, size = 0;
  uint32_t crc = 0;
};

/// Member |member| of the zip archive |in|, from its central directory;
/// "" or the reason it is not usable.
static std::string findZipMember(std::istream &in, const std::string &member,
                                 ZipMember &out) {
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  int64_t tail = std::min<int64_t>(size, 65536 + 22);
  std::string buf(tail, '\0');
  in.seekg(size - tail);
  if (!in.read(buf.data(), tail))
    return "cannot read the zip directory";
  auto u16 = [](const char *p) {
    return uint32_t(uint8_t(p[0]) | uint8_t(p[1]) << 8);
  };
  auto u32 = [&](const char *p) { return u16(p) | u16(p + 2) << 16; };
  auto u64 = [&](const char *p) { return u32(p) | uint64_t(u32(p + 4)) << 32; };
  size_t eocd = buf.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos || eocd + 22 > buf.size())
    return "not a zip archive (no end of central directory)";
  uint32_t entries = u16(&buf[eocd + 10]);
  uint64_t dirOffset = u32(&buf[eocd + 16]);
  in.seekg(int64_t(dirOffset));
  for (uint32_t e = 0; e < entries; ++e) {
    char h[46];
    if (!in.read(h, 46) || u32(h) != 0x02014b50)
      return "corrupt zip central directory";
    uint32_t nameLen = u16(h + 28), extraLen = u16(h + 30),
             commentLen = u16(h + 32);
    std::string name(nameLen, '\0');
    in.read(name.data(), nameLen);
    std::string extra(extraLen, '\0');
    in.read(extra.data(), extraLen);
    in.seekg(commentLen, std::ios::cur);
    if (!in)
      return "corrupt zip central directory";
    if (name != member)
      continue;
    out.method = u16(h + 10);
    out.crc = u32(h + 16);
    out.compressedSize = u32(h + 20);
    out.size = u32(h + 24);
    uint64_t local = u32(h + 42);
    // ZIP64: the fields saturated at 0xffffffff follow, in this order, in
    // the extra field of id 1.
    for (size_t i = 0; i + 4 <= extra.size();) {
      uint32_t id = u16(&extra[i]), len = u16(&extra[i + 2]);
      if (i + 4 + len > extra.size())
        return "corrupt zip extra field for " + member;
      if (id == 1) {
        size_t at = i + 4, end = i + 4 + len;
        for (uint64_t *field : {&out.size, &out.compressedSize, &local})
          if (*field == 0xffffffffu) {
            if (at + 8 > end)
              return "corrupt zip64 field for " + member;
            *field = u64(&extra[at]);
            at += 8;
          }
      }
      i += 4 + len;
    }
    if (out.method != 0 && out.method != 8)
      return "member " + member + " uses zip compression method " +
             std::to_string(out.method) + " (supported: stored, deflated)";
    char lh[30];
    in.seekg(int64_t(local));
    if (!in.read(lh, 30) || u32(lh) != 0x04034b50)
      return "corrupt zip local header for " + member;
    out.offset = local + 30 + u16(lh + 26) + u16(lh + 28);
    if (out.offset > uint64_t(size) ||
        out.compressedSize > uint64_t(size) - out.offset)
      return "member " + member + " lies past the end of the archive";
    return "";
  }
  return "no array named '" + member.substr(0, member.size() - 4) + "'";
}

/// The |m.size| bytes that the deflated member |m| of |in| holds, checked
/// against its CRC-32; "" or why not.
static std::string inflateMember(std::istream &in, const ZipMember &m,
                                 const std::string &member, std::string &out) {
  // The size the directory states bounds the output: a member that
  // inflates to more is refused, not followed. Deflate expands at most
  // 1032:1, so a larger stated size is a corrupt (or hostile) directory.
  if (m.size / 1032 > m.compressedSize + 1)
    return "member " + member + " states " + std::to_string(m.size) +
           " bytes from " + std::to_string(m.compressedSize) +
           " compressed, more than deflate can expand to";
  std::string packed(m.compressedSize, '\0');
  in.clear();
  in.seekg(int64_t(m.offset));
  if (!in.read(packed.data(), std::streamsize(packed.size())))
    return "cannot read member " + member;
  try {
    out.assign(m.size, '\0');
  } catch (const std::bad_alloc &) {
    return "member " + member + " states " + std::to_string(m.size) +
           " bytes, more than can be allocated";
  }
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) // Raw deflate, as zip stores it.
    return "cannot start inflating " + member;
  z.next_in = reinterpret_cast<Bytef *>(packed.data());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  uint64_t inLeft = packed.size(), outLeft = out.size();
  const uint64_t chunk = uint64_t(1) << 30; // zlib counts in uInt.
  int rc = Z_OK;
  do {
    if (z.avail_in == 0 && inLeft) {
      z.avail_in = uInt(std::min(inLeft, chunk));
      inLeft -= z.avail_in;
    }
    if (z.avail_out == 0 && outLeft) {
      z.avail_out = uInt(std::min(outLeft, chunk));
      outLeft -= z.avail_out;
    }
    // Z_OK means progress; without input or room it is Z_BUF_ERROR.
    rc = inflate(&z, Z_NO_FLUSH);
  } while (rc == Z_OK);
  uint64_t produced =
      uint64_t(z.next_out - reinterpret_cast<Bytef *>(out.data()));
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != m.size)
    return "member " + member + " is not valid deflate data of " +
           std::to_string(m.size) + " bytes";
  uLong crc = 0;
  for (uint64_t at = 0; at < out.size(); at += chunk)
    crc = crc32(crc, reinterpret_cast<const Bytef *>(out.data()) + at,
                uInt(std::min<uint64_t>(out.size() - at, chunk)));
  if (uint32_t(crc) != m.crc)
    return "member " + member + " fails its CRC-32 check (corrupted)";
  return "";
}

extern "C" {

lathe_status_t lathe_tensor_load_npy(lathe_context_t *context, const char *path,
                                     lathe_tensor_t **out_tensor) {
  if (!path || !out_tensor)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_load_npy: NULL path or output");
  *out_tensor = nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(context, LATHE_NOT_FOUND,
                std::string(path) + ": cannot open: " + std::strerror(errno));
  return readNpy(context, in, path, out_tensor);
}

lathe_status_t lathe_tensor_load_npz(lathe_context_t *context, const char *path,
                                     const char *name,
                                     lathe_tensor_t **out_tensor) {
  if (!path || !name || !out_tensor)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_load_npz: NULL path, name or output");
  *out_tensor = nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(context, LATHE_NOT_FOUND,
                std::string(path) + ": cannot open: " + std::strerror(errno));
  ZipMember m;
  std::string member = std::string(name) + ".npy";
  std::string problem = findZipMember(in, member, m);
  if (!problem.empty())
    return fail(context,
                problem.rfind("no array", 0) == 0 ? LATHE_NOT_FOUND
                                                  : LATHE_INVALID_ARGUMENT,
                std::string(path) + ": " + problem);
  std::string where = std::string(path) + ":" + name;
  if (m.method == 8) { // numpy.savez_compressed
    std::string bytes;
    if (std::string why = inflateMember(in, m, member, bytes); !why.empty())
      return fail(context, LATHE_INVALID_ARGUMENT,
                  std::string(path) + ": " + why);
    std::istringstream unpacked(std::move(bytes));
    return readNpy(context, unpacked, where, out_tensor);
  }
  in.clear();
  in.seekg(int64_t(m.offset));
  return readNpy(context, in, where, out_tensor);
}

lathe_status_t lathe_tensor_save_npy(lathe_context_t *context,
                                     const lathe_tensor_t *tensor,
                                     const char *path) {
  if (!tensor || !path)
    return fail(context, LATHE_INVALID_ARGUMENT,
                "lathe_tensor_save_npy: NULL tensor or path");
  if (!npyDescr(tensor->dtype))
    return fail(context, LATHE_INVALID_ARGUMENT,
                std::string(path) + ": NumPy has no " +
                    lathe_dtype_name(tensor->dtype) +
                    " element type; cast the tensor before saving");
  std::string dict = std::string("{'descr': '") + npyDescr(tensor->dtype) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor->dims.size(); ++i)
    dict +=
        std::to_string(tensor->dims[i]) + (tensor->dims.size() == 1      ? ","
                                           : i + 1 < tensor->dims.size() ? ", "
                                                                         : "");
  dict += "), }";
  // Pad so that magic + length + dict + '\n' is a multiple of 64.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string temp = std::string(path) + ".tmp-" + std::to_string(getpid());
  FILE *f = std::fopen(temp.c_str(), "wb");
  if (!f)
    return fail(context, LATHE_IO_ERROR,
                std::string(path) + ": cannot write: " + std::strerror(errno));
  unsigned char prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              (unsigned char)(dict.size() & 0xff),
                              (unsigned char)(dict.size() >> 8)};
  size_t bytes = lathe_tensor_num_bytes(tensor);
  bool ok = std::fwrite(prefix, 1, 10, f) == 10 &&
            std::fwrite(dict.data(), 1, dict.size(), f) == dict.size() &&
            std::fwrite(tensor->data, 1, bytes, f) == bytes;
  ok = (std::fflush(f) == 0) && ok;
  ok = (fsync(fileno(f)) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path) != 0) {
    std::string why = std::strerror(errno);
    std::remove(temp.c_str());
    return fail(context, LATHE_IO_ERROR,
                std::string(path) + ": cannot write: " + why);
  }
  return LATHE_OK;
}

} // extern "C"
