// lathe-opt: mlir-opt with the lathe dialect and passes registered.
#include "compiler/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  lathe::registerLathePasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registry.insert<lathe::LatheDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Lathe optimizer driver\n", registry));
}
