// The training library's C++ API: a training run over a data set, on a
// trainer of the runtime (lathe/runtime.h). Batching, shuffling, the
// validation split, learning-rate schedules (momentum cycling included),
// validation, ReduceLROnPlateau, checkpoint cadence and exact resumption
// live here; logging, progress and signal handling are the caller's, through
// callbacks. lathe/training.h is the same as a C API; `lathe train` is a
// command line over it. Depends on the runtime only (no LLVM).
#ifndef LATHE_TRAINING_LOOP_H
#define LATHE_TRAINING_LOOP_H

#include "lathe/runtime.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lathe::training {

/// Destroys runtime objects: Owned<lathe_context_t>, Owned<lathe_module_t>,
/// Owned<lathe_tensor_t>, Owned<lathe_trainer_t> own what they hold.
struct RuntimeDeleter {
  void operator()(lathe_context_t *c) const { lathe_context_destroy(c); }
  void operator()(lathe_module_t *m) const { lathe_module_destroy(m); }
  void operator()(lathe_tensor_t *t) const { lathe_tensor_destroy(t); }
  void operator()(lathe_trainer_t *t) const { lathe_trainer_destroy(t); }
};
template <typename T> using Owned = std::unique_ptr<T, RuntimeDeleter>;

/// The loop's options: one field per LATHE_LOOP_* row of
/// training/Options.def (name, default and help there).
struct LoopOptions {
#define LATHE_LOOP_OPTION(field, name, Type, value, check, help)               \
  Type field = value;
#define LATHE_LOOP_LIST(field, name, Elem, check, help) std::vector<Elem> field;
#include "training/Options.def"
};

/// Sets option |name| (its training/Options.def name: "epochs",
/// "lr-schedule", ...) of |options| from |text| ("true"/"false" for a
/// switch, comma-separated for a list). Returns "" or why not, naming it.
LATHE_API std::string setLoopOption(LoopOptions &options,
                                    const std::string &name,
                                    const std::string &text);

/// Whether every option of |options| passes its check; "" or why not.
LATHE_API std::string checkLoopOptions(const LoopOptions &options);

/// Whether |options|' schedule cycles the momentum (or beta1) every step.
LATHE_API bool cyclesMomentum(const LoopOptions &options);

/// After each training step.
struct StepReport {
  int64_t step = 0;  ///< The step's number (the trainer's count, from 1).
  int64_t epoch = 0; ///< 0-based.
  int64_t epochs = 0;
  int64_t batch = 0;   ///< 0-based, within the epoch.
  int64_t batches = 0; ///< Steps per epoch.
  double lr = 0, loss = 0;
  double meanLoss = 0; ///< Over the epoch's steps so far (a resumed one's
                       ///< from before the checkpoint included).
  /// Over the epoch's steps so far; NaN unless the criterion classifies.
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  double msPerStep = 0; ///< Mean over the epoch's steps so far.
};

/// After each epoch (and its validation).
struct EpochReport {
  int64_t epoch = 0; ///< 0-based.
  int64_t epochs = 0;
  double lr = 0; ///< The learning rate of the epoch's last step.
  double trainLoss = 0;
  /// NaN when not measured: accuracies unless the criterion classifies,
  /// validation without validation data.
  double trainAccuracy = std::numeric_limits<double>::quiet_NaN();
  double valLoss = std::numeric_limits<double>::quiet_NaN();
  double valAccuracy = std::numeric_limits<double>::quiet_NaN();
  double msPerStep = 0;
};

/// What the caller hears; either may be empty. Returning false stops the
/// run (as after max-steps: a checkpoint is saved first).
struct Callbacks {
  std::function<bool(const StepReport &)> onStep;
  std::function<bool(const EpochReport &)> onEpoch;
};

/// How a run ended.
enum class End { Finished, MaxSteps, Stopped };

/// The metadata keys the loop writes into its checkpoints (beside the
/// runtime's own and the caller's).
namespace checkpoint_key {
inline constexpr const char kEpoch[] = "lathe.epoch";
inline constexpr const char kBatch[] = "lathe.batch";
inline constexpr const char kSeed[] = "lathe.seed";
inline constexpr const char kPlateauLr[] = "lathe.plateau_lr";
inline constexpr const char kPlateauBest[] = "lathe.plateau_best";
inline constexpr const char kPlateauBad[] = "lathe.plateau_bad";
/// A checkpoint written within an epoch: the epoch's tally so far (loss
/// sum, steps, correct and counted samples), so that a resumed run reports
/// (and a plateau schedule observes) the whole epoch's mean.
inline constexpr const char kEpochLossSum[] = "lathe.epoch_loss_sum";
inline constexpr const char kEpochSteps[] = "lathe.epoch_steps";
inline constexpr const char kEpochHits[] = "lathe.epoch_hits";
inline constexpr const char kEpochCounted[] = "lathe.epoch_counted";
} // namespace checkpoint_key

class LATHE_API Loop {
public:
  /// A run of |trainer| (of a training build) over |train|: one
  /// array per train_step input in order (the model's inputs, then the
  /// criterion's), dimension 0 indexing samples; validated on |val| (the
  /// same layout; empty: none, or the val-split fraction of |train|).
  /// Arrays and trainer are borrowed and must outlive the loop.
  /// Failures are recorded in |context| (lathe_context_last_error).
  static lathe_status_t
  create(lathe_context_t *context, lathe_trainer_t *trainer,
         const LoopOptions &options, std::vector<const lathe_tensor_t *> train,
         std::vector<const lathe_tensor_t *> val, std::unique_ptr<Loop> &out);
  ~Loop();

  /// Data-parallel training: this loop is replica |rank| of |world|. Each
  /// epoch every replica draws the same permutation (the same seed) and
  /// takes its own shard, as torch's DistributedSampler: the permutation
  /// padded with its own first samples to a multiple of |world|, every
  /// world-th sample from |rank| on; batches and the partial batch policy
  /// apply to the shard. Call before tailSamples() and run().
  lathe_status_t setReplica(int rank, int world);

  /// Samples trained on (this replica's shard) and validated on per epoch.
  int64_t trainSamples() const;
  int64_t valSamples() const;
  /// With keep-last: the size of each epoch's last partial batch (0: none),
  /// which setTailModule's build must take.
  int64_t tailSamples() const;
  /// The train_step of |tail| (another build of the same model and
  /// optimizer for tailSamples() samples) steps the partial batches.
  lathe_status_t setTailModule(const lathe_module_t *tail);

  /// Adds |key| = |value| to every checkpoint's metadata, after the loop's
  /// own keys, in the order added.
  void setMetadata(const std::string &key, const std::string &value);

  /// Continues from the checkpoint in folder |folder|: the trainer's
  /// parameters, state and step count, the epoch and batch to go on from
  /// (*outEpoch, *outBatch; 0-based) and the plateau schedule's state. A
  /// checkpoint of another seed is refused.
  lathe_status_t resume(const std::string &folder, int64_t *outEpoch,
                        int64_t *outBatch);

  /// The checkpoint file the run writes ("" without the checkpoint option).
  const std::string &checkpointPath() const;

  /// Trains to the last epoch, or until max-steps or a callback stops it.
  lathe_status_t run(const Callbacks &callbacks, End &end);

private:
  struct State;
  explicit Loop(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

} // namespace lathe::training

#endif // LATHE_TRAINING_LOOP_H
