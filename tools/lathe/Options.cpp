// Parsing of option values shared by several lathe subcommands.
#include "tools/lathe/Commands.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace lathe::cli {

bool parseInputShapes(const std::vector<std::string> &entries,
                      std::map<std::string, std::vector<int64_t>> &out,
                      std::string &error) {
  for (const std::string &entry : entries) {
    size_t eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      error = "--input-shape '" + entry + "' is not name=AxBxC";
      return false;
    }
    std::vector<int64_t> dims;
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(entry).substr(eq + 1).split(parts, 'x');
    for (llvm::StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0) {
        error = "--input-shape '" + entry +
                "': dimensions must be non-negative integers";
        return false;
      }
      dims.push_back(d);
    }
    out[entry.substr(0, eq)] = dims;
  }
  return true;
}

} // namespace lathe::cli
