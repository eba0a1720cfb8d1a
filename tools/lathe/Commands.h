// The lathe command line: one function per subcommand.
#ifndef LATHE_TOOLS_LATHE_COMMANDS_H
#define LATHE_TOOLS_LATHE_COMMANDS_H

#include "compiler/Pipeline.h"
#include "tools/runner/Runner.h"
#include "training/Loop.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lathe::cli {

struct CompileOptions {
  std::string model;
  std::string output;            ///< Base path; extensions are added per kind.
  std::vector<std::string> emit; ///< so, obj, header, mlir, llvm-dialect.
  std::string name;
  std::vector<std::string> inputShapes;        ///< "name=1x3x224x224".
  std::vector<std::string> frozenInputs;       ///< "name=file.npy".
  int64_t maxConstantBytes = int64_t(1) << 30; ///< Per folded value.
  int64_t maxUnroll = 16384; ///< Loop-body copies in the whole model.
  std::vector<std::string> sequenceInputs; ///< "name=2x3,2x3".
  std::vector<std::string> absentInputs;   ///< Empty optional inputs.
  std::string weights = "embedded";
  std::string target = "cpu", triple, cpu;
  bool printIR = false;
  /// --train: add eval_step and train_step (loss, autodiff, optimizer).
  bool train = false;
  TrainingOptions training;
};

struct InspectOptions {
  std::string path;
  std::vector<std::string> inputShapes;
  std::vector<std::string> sequenceInputs;
  std::vector<std::string> absentInputs;
};

/// The metadata keys lathe train adds to its checkpoints (beside the
/// runtime's and the training loop's) and lathe export reads.
namespace checkpoint_key {
inline constexpr const char kOnnx[] = "lathe.onnx"; ///< Absolute path.
/// The model's path relative to the run folder (so the folder can move).
inline constexpr const char kOnnxRelative[] = "lathe.onnx_relative";
inline constexpr const char kOptimizer[] = "lathe.optimizer";
inline constexpr const char kOnnxHash[] = "lathe.onnx_hash";
} // namespace checkpoint_key

/// lathe train: the command line's own options (data files, resumption,
/// logging, threads) and the table's (training/Options.def): the loop's and
/// the training build's.
struct TrainOptions {
  std::string model, data, val, resume, logdir;
  int threads = 0;
  /// Under mpirun: seconds a gradient all-reduce may wait for the other
  /// replicas before the run stops (0: no limit).
  double collectiveTimeout = 600;
  training::LoopOptions loop;
  TrainingOptions training;
};

struct ExportOptions {
  std::string checkpoint, output, model;
  bool averaged = false; ///< ASGD's averages ("<param>.ax") instead.
};

int runCompile(const CompileOptions &options);
int runTrain(const TrainOptions &options);
int runExport(const ExportOptions &options);
/// lathe inspect: an ONNX model, or an artifact (runner::inspectArtifact).
int runInspect(const InspectOptions &options);

/// Prints "lathe: error: <message>" to stderr and returns exit code 1.
using runner::reportError;

/// Parses "name=AxBxC" entries ("scalar": rank 0); on failure returns
/// false and sets |error|.
bool parseInputShapes(const std::vector<std::string> &entries,
                      std::map<std::string, std::vector<int64_t>> &out,
                      std::string &error);
/// Parses "name=AxB,CxD,..." entries: a sequence input's tensor shapes, in
/// order ("name=": an empty sequence); on failure returns false and sets
/// |error|.
bool parseSequenceInputs(
    const std::vector<std::string> &entries,
    std::map<std::string, std::vector<std::vector<int64_t>>> &out,
    std::string &error);

} // namespace lathe::cli

#endif // LATHE_TOOLS_LATHE_COMMANDS_H
