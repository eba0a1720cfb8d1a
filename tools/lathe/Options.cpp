// Parsing of option values shared by several lathe subcommands.
#include "tools/lathe/Commands.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace lathe::cli {

/// |text| as dimensions AxBxC ("scalar": none); false when a dimension is
/// not a non-negative integer.
static bool parseDims(llvm::StringRef text, std::vector<int64_t> &dims) {
  dims.clear();
  if (text == "scalar")
    return true;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return false;
    dims.push_back(d);
  }
  return true;
}

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
    if (!parseDims(llvm::StringRef(entry).substr(eq + 1), dims)) {
      error = "--input-shape '" + entry +
              "': dimensions must be non-negative integers";
      return false;
    }
    out[entry.substr(0, eq)] = dims;
  }
  return true;
}

bool parseSequenceInputs(
    const std::vector<std::string> &entries,
    std::map<std::string, std::vector<std::vector<int64_t>>> &out,
    std::string &error) {
  for (const std::string &entry : entries) {
    size_t eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--sequence-input '" + entry +
              "' is not name=AxB,CxD,... (one shape per tensor)";
      return false;
    }
    std::vector<std::vector<int64_t>> shapes;
    llvm::StringRef list = llvm::StringRef(entry).substr(eq + 1);
    if (!list.empty()) {
      llvm::SmallVector<llvm::StringRef> parts;
      list.split(parts, ',');
      for (llvm::StringRef p : parts) {
        shapes.emplace_back();
        if (!parseDims(p, shapes.back())) {
          error = "--sequence-input '" + entry + "': '" + p.str() +
                  "' is not a shape AxBxC (or scalar)";
          return false;
        }
      }
    }
    out[entry.substr(0, eq)] = std::move(shapes);
  }
  return true;
}

} // namespace lathe::cli
