// The learning rate (and cycled momentum) of torch.optim.lr_scheduler's
// schedules, from the epoch and step.
#ifndef LATHE_TRAINING_SCHEDULE_H
#define LATHE_TRAINING_SCHEDULE_H

#include "training/Expression.h"
#include "training/Loop.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace lathe::training {

class Schedule {
public:
  /// The schedule of |o|, whose options passed check(). Keeps a reference.
  explicit Schedule(const LoopOptions &o);

  /// "" when |o|'s schedule is well formed (its lr-lambda parses, its
  /// sequential/chained schedules parse and are per-epoch ones, the
  /// milestones match) and gives a finite, non-negative learning rate at
  /// every epoch of the run; else why not, naming the option.
  static std::string check(const LoopOptions &o);

  /// The learning rate at |epoch| (0-based) and |step| (0-based; onecycle
  /// and cyclic) of a run of |totalSteps| steps.
  double at(int64_t epoch, int64_t step, int64_t totalSteps) const;
  /// The momentum (or beta1) of |step| (0-based) while it cycles: falling
  /// as the learning rate rises.
  double momentum(int64_t step, int64_t totalSteps) const;
  /// ReduceLROnPlateau(mode=min, threshold=1e-4 relative) after an epoch
  /// whose metric is |metric|.
  void observe(double metric);

  /// ReduceLROnPlateau's state (0: not started), saved in checkpoints.
  double plateauLr = 0, best = INFINITY;
  int64_t bad = 0;

private:
  /// One per-epoch schedule of a sequential or chained one (or the
  /// schedule itself when it is per-epoch): its options and factor.
  struct Part {
    LoopOptions o;
    Expression lambda;
  };
  const LoopOptions &o;
  std::vector<Part> parts;
  /// The per-epoch learning rates computed so far, by torch's recursion.
  mutable std::vector<double> epochLrs;

  static std::string parseParts(const LoopOptions &o, std::vector<Part> &out);
  double epochLr(int64_t epoch) const;
  double oneCycle(double first, double peak, double last, int64_t step,
                  int64_t totalSteps) const;
  double cyclic(double low, double high, int64_t step) const;
};

/// Whether |schedule| is one that sequential and chained combine (it sets
/// the learning rate once per epoch, from the epoch alone).
bool isEpochSchedule(const std::string &schedule);

} // namespace lathe::training

#endif // LATHE_TRAINING_SCHEDULE_H
