// The learning rate (and cycled momentum) of torch.optim.lr_scheduler's
// schedules, in closed form from the epoch and step.
#ifndef LATHE_TRAINING_SCHEDULE_H
#define LATHE_TRAINING_SCHEDULE_H

#include "training/Loop.h"

#include <cmath>
#include <cstdint>

namespace lathe::training {

struct Schedule {
  const LoopOptions &o;
  /// ReduceLROnPlateau's state (0: not started), saved in checkpoints.
  double plateauLr = 0, best = INFINITY;
  int64_t bad = 0;

  /// The learning rate at |epoch| (0-based) and |step| (0-based; onecycle
  /// and cyclic) of a run of |totalSteps| steps.
  double at(int64_t epoch, int64_t step, int64_t totalSteps) const;
  /// The momentum (or beta1) of |step| (0-based) while it cycles: falling
  /// as the learning rate rises.
  double momentum(int64_t step, int64_t totalSteps) const;
  /// ReduceLROnPlateau(mode=min, threshold=1e-4 relative) after an epoch
  /// whose metric is |metric|.
  void observe(double metric);

private:
  double oneCycle(double first, double peak, double last, int64_t step,
                  int64_t totalSteps) const;
  double cyclic(double low, double high, int64_t step) const;
};

} // namespace lathe::training

#endif // LATHE_TRAINING_SCHEDULE_H
