// Whether the running CPU has the instruction-set extensions an artifact
// was compiled to use (its descriptor's `cpu-features` record).
#include "runtime/Descriptor.h"
#include "runtime/Internal.h"

#include <cstring>

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
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (feature == "fullfp16")
    return (hw & HWCAP_ASIMDHP) ? 1 : 0;
  if (feature == "dotprod")
    return (hw & HWCAP_ASIMDDP) ? 1 : 0;
  if (feature == "sve")
    return (hw & HWCAP_SVE) ? 1 : 0;
  if (feature == "i8mm")
    return (hw2 & HWCAP2_I8MM) ? 1 : 0;
  if (feature == "bf16")
    return (hw2 & HWCAP2_BF16) ? 1 : 0;
  if (feature == "sve2")
    return (hw2 & HWCAP2_SVE2) ? 1 : 0;
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
