// The artifact descriptor's vocabulary, shared by the compiler (which writes
// descriptors) and the runtime (which parses them): header-only, no LLVM.
// The format itself is documented in docs/artifact.md.
#ifndef LATHE_RUNTIME_DESCRIPTOR_H
#define LATHE_RUNTIME_DESCRIPTOR_H

#include "lathe/abi.h"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace lathe::descriptor {

/// The first line of every descriptor is "lathe-artifact <version>".
inline constexpr int kVersion = LATHE_ABI_VERSION;
inline constexpr std::string_view kMagic = "lathe-artifact";

/// Element type names, indexed by lathe_dtype_t.
inline constexpr const char *kDTypeNames[] = {
    "f32", "f64", "i32", "i64", "i8",  "u8",  "bool",
    "i16", "u16", "u32", "u64", "f16", "bf16"};

inline const char *dtypeName(lathe_dtype_t dtype) {
  return unsigned(dtype) < std::size(kDTypeNames) ? kDTypeNames[dtype] : "?";
}

inline bool parseDType(std::string_view name, lathe_dtype_t &out) {
  for (size_t i = 0; i < std::size(kDTypeNames); ++i)
    if (name == kDTypeNames[i]) {
      out = lathe_dtype_t(i);
      return true;
    }
  return false;
}

/// What an entry point does, as its `entry <name> <kind>` record says; the
/// runtime decides how to call an entry by this, never by its name.
enum class EntryKind { Infer, Evaluate, Gradient, Update };

inline constexpr const char *kEntryKindNames[] = {"infer", "evaluate",
                                                  "gradient", "update"};

inline const char *entryKindName(EntryKind kind) {
  return kEntryKindNames[int(kind)];
}

inline bool parseEntryKind(std::string_view name, EntryKind &out) {
  for (size_t i = 0; i < std::size(kEntryKindNames); ++i)
    if (name == kEntryKindNames[i]) {
      out = EntryKind(i);
      return true;
    }
  return false;
}

/// The instruction-set extensions an artifact's `cpu-features` record may
/// name (LLVM's feature names, which are also GCC's
/// __builtin_cpu_supports names on x86): the compiler records those its
/// target machine has enabled, and the runtime refuses to load the
/// artifact on a CPU that lacks one (the code may use any of them; running
/// it there would die of an illegal instruction). X(name) per feature.
// (clang-format does not settle on a layout for this list.)
// clang-format off
#define LATHE_X86_CPU_FEATURES(X)                                              \
  X("sse3") X("ssse3") X("sse4.1") X("sse4.2") X("popcnt") X("pclmul")         \
  X("avx") X("avx2") X("fma") X("f16c") X("bmi") X("bmi2") X("lzcnt")          \
  X("movbe") X("adx") X("avxvnni")                                             \
  X("avx512f") X("avx512cd") X("avx512bw") X("avx512dq") X("avx512vl")         \
  X("avx512ifma") X("avx512vbmi") X("avx512vbmi2") X("avx512vnni")             \
  X("avx512bitalg") X("avx512vpopcntdq") X("avx512bf16") X("avx512fp16")       \
  X("gfni") X("vaes") X("vpclmulqdq") X("amx-tile") X("amx-int8") X("amx-bf16")
// clang-format on
#define LATHE_CPU_FEATURE_NAME(name) name,
inline constexpr const char *kX86CpuFeatures[] = {
    LATHE_X86_CPU_FEATURES(LATHE_CPU_FEATURE_NAME)};
inline constexpr const char *kAArch64CpuFeatures[] = {
    "fullfp16", "dotprod", "i8mm", "bf16", "sve", "sve2"};
#undef LATHE_CPU_FEATURE_NAME

/// |text| (a tensor name, a file name, a criterion: data from the model
/// file or the command line) as one descriptor field: '%', spaces, control
/// characters and DEL as %XX (two upper-case hex digits), every other byte
/// as is, so that no name can add a record or a field.
inline std::string escapeField(std::string_view text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '%') {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

/// The text escapeField encoded; false for a malformed escape (a '%' not
/// followed by two hex digits) or a raw space or control character.
inline bool unescapeField(std::string_view field, std::string &out) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < field.size(); ++i) {
    auto c = static_cast<unsigned char>(field[i]);
    if (c <= 0x20 || c == 0x7f)
      return false;
    if (c != '%') {
      out += field[i];
      continue;
    }
    if (i + 2 >= field.size())
      return false;
    int hi = digit(field[i + 1]), lo = digit(field[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out += char(hi * 16 + lo);
    i += 2;
  }
  return true;
}

/// FNV-1a 64: the weights checksum of `weights` records and of checkpoints.
inline uint64_t fnv1a64(const char *data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= uint8_t(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace lathe::descriptor

#endif // LATHE_RUNTIME_DESCRIPTOR_H
