// Whether the running CPU has the instruction-set extensions an artifact
// was compiled to use (its descriptor's `cpu-features` record).
#include "runtime/Descriptor.h"
#include "runtime/Internal.h"

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace lathe::runtime {
namespace {

/// 1: this CPU has |feature|; 0: it lacks it; -1: this runtime cannot tell
/// (a name of another architecture, or one it does not know).
int hasFeature(const std::string &feature) {
#if defined(__x86_64__)
  // __builtin_cpu_supports takes literal names: one test per feature.
#define LATHE_X86_FEATURE(name)                                                \
  if (feature == name)                                                         \
    return __builtin_cpu_supports(name) ? 1 : 0;
  LATHE_X86_CPU_FEATURES(LATHE_X86_FEATURE)
#undef LATHE_X86_FEATURE
#elif defined(__aarch64__)
  // Each feature's auxiliary-vector word and bit.
  static const struct {
    const char *name;
    unsigned long word, bit;
  } kHwcaps[] = {{"fullfp16", AT_HWCAP, HWCAP_ASIMDHP},
                 {"dotprod", AT_HWCAP, HWCAP_ASIMDDP},
                 {"sve", AT_HWCAP, HWCAP_SVE},
                 {"i8mm", AT_HWCAP2, HWCAP2_I8MM},
                 {"bf16", AT_HWCAP2, HWCAP2_BF16},
                 {"sve2", AT_HWCAP2, HWCAP2_SVE2}};
  for (const auto &cap : kHwcaps)
    if (feature == cap.name)
      return (getauxval(cap.word) & cap.bit) ? 1 : 0;
#endif
  return -1;
}

} // namespace

std::string missingCpuFeatures(const std::vector<std::string> &features) {
  std::string missing;
  for (const std::string &f : features)
    if (hasFeature(f) != 1)
      missing += (missing.empty() ? "" : ", ") + f;
  return missing;
}

} // namespace lathe::runtime
