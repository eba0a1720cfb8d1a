// What the artifact commands share: their options and their error lines.
#include "tools/runner/Runner.h"

#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>
#include <sstream>

namespace lathe::runner {
namespace {
const char *programName = "lathe";
} // namespace

void addRunOptions(CLI::App &app, RunOptions &o) {
  app.add_option("artifact", o.artifact, "The .so produced by lathe compile")
      ->required();
  app.add_option("-i,--input", o.inputs,
                 "An input as name=file.npy, or file.npy in input order "
                 "(repeatable)");
  app.add_option("-o,--output", o.outputs,
                 "Where to write an output: name=file.npy, or file.npy in "
                 "output order (repeatable). Without it, outputs are "
                 "summarized on stdout");
  app.add_option("-t,--threads", o.threads,
                 "Threads to run on (default 0: one per CPU)")
      ->check(CLI::Range(0, kMaxThreads));
  app.add_flag("--classes", o.classes,
               "Also print, for every float output, the index of the largest "
               "value along its last dimension for each row (a classifier's "
               "predicted classes)");
  app.add_option("--repeat", o.repeat,
                 "Time N calls of forward on the inputs and print the median "
                 "and minimum latency (the outputs are then those of one more "
                 "call)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--warmup", o.warmup,
                 "Untimed calls before the timed ones of --repeat (default 1)")
      ->check(CLI::Range(0, 1000000));
}

void setProgramName(const char *name) { programName = name; }

int reportError(const std::string &message) {
  std::cerr << programName << ": error: " << message << "\n";
  return 1;
}

std::string humanCount(double v) {
  const char *units[] = {"", " K", " M", " G", " T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  std::ostringstream os;
  os << std::setprecision(u ? 3 : 0) << std::fixed << v << units[u];
  return os.str();
}

} // namespace lathe::runner
