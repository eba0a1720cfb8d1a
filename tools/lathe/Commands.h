// The lathe command line: one function per subcommand.
#ifndef LATHE_TOOLS_LATHE_COMMANDS_H
#define LATHE_TOOLS_LATHE_COMMANDS_H

#include "compiler/Pipeline.h"

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
  std::vector<std::string> inputShapes;    ///< "name=1x3x224x224".
  std::vector<std::string> frozenInputs;   ///< "name=file.npy".
  std::vector<std::string> sequenceInputs; ///< "name=2x3,2x3".
  std::vector<std::string> absentInputs;   ///< Empty optional inputs.
  std::string weights = "embedded";
  std::string target = "cpu", triple, cpu;
  bool printIR = false;
  /// --train: add eval_step and train_step (loss, autodiff, optimizer).
  bool train = false;
  TrainingOptions training;
};

struct RunOptions {
  std::string artifact;
  std::vector<std::string> inputs;  ///< "name=file.npy" or "file.npy".
  std::vector<std::string> outputs; ///< "name=file.npy" or "file.npy".
  int threads = 0;                  ///< 0: one per CPU.
  bool classes = false; ///< Print each row's argmax (a classifier's class).
};

struct InspectOptions {
  std::string path;
  std::vector<std::string> inputShapes;
  std::vector<std::string> sequenceInputs;
  std::vector<std::string> absentInputs;
};

/// The metadata keys lathe train writes into its checkpoints (beside the
/// runtime's own) and lathe export reads.
namespace checkpoint_key {
inline constexpr const char kEpoch[] = "lathe.epoch";
inline constexpr const char kBatch[] = "lathe.batch";
inline constexpr const char kSeed[] = "lathe.seed";
inline constexpr const char kPlateauLr[] = "lathe.plateau_lr";
inline constexpr const char kPlateauBest[] = "lathe.plateau_best";
inline constexpr const char kPlateauBad[] = "lathe.plateau_bad";
inline constexpr const char kOnnx[] = "lathe.onnx";
inline constexpr const char kOptimizer[] = "lathe.optimizer";
inline constexpr const char kOnnxHash[] = "lathe.onnx_hash";
} // namespace checkpoint_key

struct TrainOptions {
  std::string model, data, val, checkpoint, resume, logdir;
  double valSplit = 0.0;
  int64_t epochs = 10, batchSize = 64, maxSteps = 0;
  bool keepLast = false;
  uint64_t seed = 0;
  bool shuffle = true;
  int threads = 0;
  double lr = 1e-3;
  /// constant, step, multistep, exponential, cosine, cosine_restarts,
  /// onecycle, cyclic, plateau (torch.optim.lr_scheduler's, per epoch;
  /// onecycle and cyclic per step).
  std::string schedule = "constant";
  double gamma = 0.1, etaMin = 0.0, pctStart = 0.3, maxLr = 0.0, factor = 0.1;
  int64_t stepSize = 10, tMax = 0, t0 = 10, tMult = 1, stepSizeUp = 2000,
          patience = 10;
  std::vector<int64_t> milestones;
  /// onecycle and cyclic also cycle the momentum (sgd, rmsprop) or beta1
  /// (adam, adamw, adamax) between these (negative: the schedule's
  /// defaults, 0.85-0.95 and 0.8-0.9), as torch's cycle_momentum=True.
  bool cycleMomentum = true;
  double baseMomentum = -1.0, maxMomentum = -1.0;
  TrainingOptions training;
};

struct ExportOptions {
  std::string checkpoint, output, model;
};

int runCompile(const CompileOptions &options);
int runTrain(const TrainOptions &options);
int runExport(const ExportOptions &options);
int runRun(const RunOptions &options);
int runInspect(const InspectOptions &options);

/// Prints "lathe: error: <message>" to stderr and returns exit code 1.
int reportError(const std::string &message);

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
