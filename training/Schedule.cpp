// torch.optim.lr_scheduler's schedules in closed form.
#include "training/Schedule.h"

#include <algorithm>

namespace lathe::training {

/// OneCycleLR's two phases of cos annealing: |first| to |peak| until step
/// pct_start * total - 1, then |peak| to |last|.
double Schedule::oneCycle(double first, double peak, double last, int64_t step,
                          int64_t totalSteps) const {
  auto anneal = [](double a, double b, double pct) {
    return b + (a - b) / 2 * (1 + std::cos(M_PI * pct));
  };
  double p1 = o.pctStart * double(totalSteps) - 1;
  if (double(step) <= p1)
    return anneal(first, peak, double(step) / p1);
  return anneal(peak, last,
                (double(step) - p1) / (double(totalSteps) - 1 - p1));
}

/// CyclicLR's triangle: |low| at the cycle's ends, |high| in its middle.
double Schedule::cyclic(double low, double high, int64_t step) const {
  double up = double(o.stepSizeUp);
  double cycle = std::floor(1 + double(step) / (2 * up));
  double x = std::abs(double(step) / up - 2 * cycle + 1);
  return low + (high - low) * std::max(0.0, 1 - x);
}

double Schedule::momentum(int64_t step, int64_t totalSteps) const {
  bool one = o.schedule == "onecycle";
  double base = o.baseMomentum >= 0 ? o.baseMomentum : one ? 0.85 : 0.8;
  double max = o.maxMomentum >= 0 ? o.maxMomentum : one ? 0.95 : 0.9;
  return one ? oneCycle(max, base, max, step, totalSteps)
             : cyclic(max, base, step);
}

double Schedule::at(int64_t epoch, int64_t step, int64_t totalSteps) const {
  double lr = o.lr;
  const std::string &s = o.schedule;
  if (s == "step")
    return lr * std::pow(o.gamma, double(epoch / o.stepSize));
  if (s == "multistep") {
    int k = 0;
    for (int64_t m : o.milestones)
      k += epoch >= m;
    return lr * std::pow(o.gamma, k);
  }
  if (s == "exponential")
    return lr * std::pow(o.gamma, double(epoch));
  if (s == "cosine") {
    int64_t tmax = o.tMax > 0 ? o.tMax : o.epochs;
    return o.etaMin +
           (lr - o.etaMin) * (1 + std::cos(M_PI * double(epoch) / tmax)) / 2;
  }
  if (s == "cosine_restarts") {
    int64_t ti = o.t0, tcur = epoch;
    while (tcur >= ti) {
      tcur -= ti;
      ti *= o.tMult;
    }
    return o.etaMin +
           (lr - o.etaMin) * (1 + std::cos(M_PI * double(tcur) / ti)) / 2;
  }
  if (s == "onecycle") {
    double initial = o.lr / 25.0;
    return oneCycle(initial, o.lr, initial / 1e4, step, totalSteps);
  }
  if (s == "cyclic")
    return cyclic(o.lr, o.maxLr, step);
  if (s == "plateau")
    return plateauLr > 0 ? plateauLr : lr;
  return lr;
}

void Schedule::observe(double metric) {
  if (o.schedule != "plateau")
    return;
  if (plateauLr == 0)
    plateauLr = o.lr;
  if (metric < best * (1 - 1e-4)) {
    best = metric;
    bad = 0;
  } else if (++bad > o.patience) {
    plateauLr *= o.factor;
    bad = 0;
  }
}

} // namespace lathe::training
