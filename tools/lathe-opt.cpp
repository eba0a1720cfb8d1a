// lathe-opt: mlir-opt with the lathe dialect and passes registered.
#include "compiler/Pipeline.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  lathe::registerLathePasses();
  lathe::registerLathePipelines();
  mlir::DialectRegistry registry;
  lathe::registerCompilerDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Lathe optimizer driver\n", registry));
}
