// The artifact commands that need only the runtime library: run an
// artifact (and time it), and describe one. `lathe-run` is made of them
// alone, so a machine that never compiles a model runs artifacts without
// LLVM, MLIR or protobuf; `lathe run` and `lathe inspect X.so` call the
// same functions.
#ifndef LATHE_TOOLS_RUNNER_RUNNER_H
#define LATHE_TOOLS_RUNNER_RUNNER_H

#include <string>
#include <vector>

namespace CLI {
class App;
} // namespace CLI

namespace lathe::runner {

struct RunOptions {
  std::string artifact;
  std::vector<std::string> inputs;  ///< "name=file.npy" or "file.npy".
  std::vector<std::string> outputs; ///< "name=file.npy" or "file.npy".
  int threads = 0;                  ///< 0: one per CPU.
  bool classes = false; ///< Print each row's argmax (a classifier's class).
  int repeat = 0;       ///< Time this many calls (0: run once, untimed).
  int warmup = 1;       ///< Untimed calls before the timed ones.
};

/// The most threads -t takes: more than any machine has, few enough that a
/// pool of them can be created.
inline constexpr int kMaxThreads = 4096;

/// Registers the artifact, --input, --output, --threads, --classes,
/// --repeat and --warmup of a run command on |app|.
void addRunOptions(CLI::App &app, RunOptions &options);

/// Loads |options.artifact|, runs its forward entry point on the .npy
/// inputs and writes or summarizes the outputs; with --repeat, prints the
/// median and minimum latency. Returns the exit code.
int runArtifact(const RunOptions &options);

/// Describes the artifact at |path| (target, entry points with their
/// inputs and outputs, parameters, weights, criterion). Returns the exit
/// code.
int inspectArtifact(const std::string &path);

/// The program named in error lines ("lathe" unless a main sets it).
void setProgramName(const char *name);

/// Prints "<program>: error: <message>" to stderr and returns exit code 1.
int reportError(const std::string &message);

/// |v| with an SI suffix: 1234567 -> "1.235 M".
std::string humanCount(double v);

} // namespace lathe::runner

#endif // LATHE_TOOLS_RUNNER_RUNNER_H
