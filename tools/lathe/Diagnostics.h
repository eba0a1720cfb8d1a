// Printing MLIR diagnostics as one clear line each: where (the ONNX node),
// what, and the model file.
#ifndef LATHE_TOOLS_LATHE_DIAGNOSTICS_H
#define LATHE_TOOLS_LATHE_DIAGNOSTICS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include <iostream>
#include <string>

namespace lathe::cli {

class DiagnosticPrinter {
public:
  DiagnosticPrinter(mlir::MLIRContext &context, std::string file)
      : file(std::move(file)),
        handler(&context, [this](mlir::Diagnostic &diag) {
          print(diag);
          return mlir::success();
        }) {}

  /// Exit code for a failed step: prints |summary| unless a diagnostic
  /// already explained the failure.
  int fail(const std::string &summary) {
    if (errors == 0)
      std::cerr << "lathe: error: " << summary << "\n";
    return 1;
  }

private:
  static std::string where(mlir::Location loc) {
    if (auto name = mlir::dyn_cast<mlir::NameLoc>(loc))
      return "node '" + name.getName().str() + "'";
    if (auto fused = mlir::dyn_cast<mlir::FusedLoc>(loc))
      for (mlir::Location inner : fused.getLocations()) {
        std::string w = where(inner);
        if (!w.empty())
          return w;
      }
    if (auto callSite = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
      return where(callSite.getCallee());
    return "";
  }

  void print(mlir::Diagnostic &diag) {
    const char *severity = "note";
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error) {
      severity = "error";
      ++errors;
    } else if (diag.getSeverity() == mlir::DiagnosticSeverity::Warning) {
      severity = "warning";
    }
    std::string w = where(diag.getLocation());
    std::string text = diag.str();
    // A message that starts with the file (the model reader's) names it
    // once.
    if (text.rfind(file + ": ", 0) == 0)
      text.erase(0, file.size() + 2);
    std::cerr << "lathe: " << severity << ": " << file
              << (w.empty() ? "" : ": " + w) << ": " << text << "\n";
  }

  std::string file;
  int errors = 0;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace lathe::cli

#endif // LATHE_TOOLS_LATHE_DIAGNOSTICS_H
