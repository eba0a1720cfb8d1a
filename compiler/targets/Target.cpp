// The target registry: `--target` names map to their constructors.
#include "compiler/targets/Target.h"

#include "compiler/targets/cpu/CpuTarget.h"

namespace lathe {

const char *knownTargets() { return "cpu"; }

llvm::Expected<std::unique_ptr<Target>>
makeTarget(const TargetOptions &options) {
  if (options.name == "cpu")
    return makeCpuTarget(options);
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown target '" + options.name +
                                     "' (known: " + knownTargets() + ")");
}

} // namespace lathe
