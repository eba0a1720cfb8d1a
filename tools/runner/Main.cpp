// lathe-run: run and describe Lathe artifacts with the runtime library
// alone (no compiler, LLVM, MLIR or protobuf), for machines that deploy
// models rather than compile them.
#include "tools/runner/Runner.h"

#include <CLI/CLI.hpp>

using namespace lathe::runner;

int main(int argc, char **argv) {
  setProgramName("lathe-run");
  CLI::App app{"lathe-run: run a compiled Lathe artifact on .npy files, time "
               "it, or describe it. Needs only the Lathe runtime library.\n"
               "  lathe-run lenet.so --input x=batch.npy --output y=out.npy\n"
               "  lathe-run lenet.so --input x=batch.npy --repeat 100 -t 2\n"
               "  lathe-run --inspect lenet.so",
               "lathe-run"};
  app.set_version_flag("--version", "lathe-run " LATHE_VERSION);
  RunOptions options;
  addRunOptions(app, options);
  bool inspect = false;
  auto *inspectFlag =
      app.add_flag("--inspect", inspect,
                   "Describe the artifact (entry points, inputs, outputs, "
                   "parameters) instead of running it");
  for (const char *runOnly : {"--input", "--output", "--classes", "--repeat"})
    inspectFlag->excludes(app.get_option(runOnly));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (inspect)
    return inspectArtifact(options.artifact);
  return runArtifact(options);
}
