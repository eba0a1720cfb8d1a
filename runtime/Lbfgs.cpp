// torch.optim.LBFGS (with or without the strong-Wolfe line search) over a
// training build's @gradient entry. The arithmetic is float64; the
// history is kept in the trainer's state tensors "lbfgs.*" (in the
// parameters' dtype, declared by lathe-apply-optimizer), read at the start
// of each step and written at its end, so that a step resumed from a
// checkpoint is the step an uninterrupted run takes.
#include "runtime/Lbfgs.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

namespace lathe::runtime {

bool parseLbfgsOptions(const std::string &text, LbfgsOptions &out) {
  std::istringstream in(text);
  std::string search;
  LbfgsOptions o;
  in >> o.maxIter >> o.maxEval >> o.toleranceGrad >> o.toleranceChange >>
      o.historySize >> search;
  if (in.fail() || o.maxIter <= 0 || o.historySize <= 0 ||
      (search != "none" && search != "strong_wolfe"))
    return false;
  o.strongWolfe = search == "strong_wolfe";
  o.enabled = true;
  out = o;
  return true;
}

namespace {

using Vec = std::vector<double>;

double dot(const Vec &a, const Vec &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}
double absMax(const Vec &a) {
  double m = 0;
  for (double v : a)
    m = std::max(m, std::fabs(v));
  return m;
}
/// a += alpha * b.
void axpy(Vec &a, double alpha, const Vec &b) {
  for (size_t i = 0; i < a.size(); ++i)
    a[i] += alpha * b[i];
}

/// A span of a float32 or float64 blob, read and written as doubles.
struct Span {
  char *data = nullptr;
  lathe_dtype_t dtype = LATHE_F64;
  size_t size = 0;
  double get(size_t i) const {
    if (dtype == LATHE_F64)
      return reinterpret_cast<const double *>(data)[i];
    return reinterpret_cast<const float *>(data)[i];
  }
  void set(size_t i, double v) const {
    if (dtype == LATHE_F64)
      reinterpret_cast<double *>(data)[i] = v;
    else
      reinterpret_cast<float *>(data)[i] = float(v);
  }
  void read(Vec &out, size_t at = 0) const {
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = get(at + i);
  }
  void write(const Vec &v, size_t at = 0) const {
    for (size_t i = 0; i < v.size(); ++i)
      set(at + i, v[i]);
  }
};

/// The parameters trained, flattened in @gradient's order, and the
/// closure: loss and flat gradient at the current parameters.
class Problem {
public:
  Problem(lathe_context_t *context, const lathe_module &module, void *params,
          const HyperValues &hyper, lathe_tensor_t *const *inputs,
          size_t numInputs)
      : context(context), module(module), params(params), hyper(hyper),
        inputs(inputs), numInputs(numInputs) {}

  /// Finds the trained parameters from @gradient's outputs "grad:NAME".
  lathe_status_t init() {
    entry = findEntry(module, "gradient");
    if (!entry)
      return fail(context, LATHE_INCOMPATIBLE,
                  module.name + ": an lbfgs build without its gradient entry");
    for (size_t i = 0; i < entry->outputs.size(); ++i) {
      const std::string &name = entry->outputs[i].name;
      if (name.rfind("grad:", 0) != 0)
        continue;
      auto it = std::find_if(
          module.params.begin(), module.params.end(),
          [&](const TensorDesc &p) { return p.name == name.substr(5); });
      if (it == module.params.end())
        return fail(context, LATHE_INCOMPATIBLE,
                    module.name + ": gradient of an unknown parameter '" +
                        name.substr(5) + "'");
      size_t count = 1;
      for (int64_t d : it->dims)
        count *= size_t(d);
      trained.push_back({i, &*it, count});
      size += count;
    }
    return LATHE_OK;
  }

  size_t size = 0;

  /// Evaluates the closure. With |keep| (the first evaluation), the loss
  /// and model outputs go to keep[0..numKeep) instead of being freed.
  lathe_status_t evaluate(double &loss, Vec &grad,
                          lathe_tensor_t **keep = nullptr, size_t numKeep = 0) {
    size_t n = entry->outputs.size();
    std::vector<lathe_tensor_t *> outs(n, nullptr);
    lathe_status_t s = runEntry(context, module, "gradient", params, nullptr,
                                hyper, inputs, numInputs, outs.data(), n);
    if (s != LATHE_OK)
      return s;
    const lathe_tensor_t *l = outs[0];
    loss = l->dtype == LATHE_F64 ? *static_cast<const double *>(l->data)
                                 : *static_cast<const float *>(l->data);
    grad.assign(size, 0.0);
    size_t at = 0;
    for (const Trained &t : trained) {
      Span span{static_cast<char *>(outs[t.output]->data), t.param->dtype,
                t.count};
      for (size_t i = 0; i < t.count; ++i)
        grad[at + i] = span.get(i);
      at += t.count;
    }
    for (size_t i = 0; i < n; ++i) {
      if (i < numKeep)
        keep[i] = outs[i];
      else
        lathe_tensor_destroy(outs[i]);
    }
    return LATHE_OK;
  }

  void read(Vec &x) const {
    x.assign(size, 0.0);
    size_t at = 0;
    for (const Trained &t : trained) {
      for (size_t i = 0; i < t.count; ++i)
        x[at + i] = paramSpan(t).get(i);
      at += t.count;
    }
  }
  void write(const Vec &x) const {
    size_t at = 0;
    for (const Trained &t : trained) {
      for (size_t i = 0; i < t.count; ++i)
        paramSpan(t).set(i, x[at + i]);
      at += t.count;
    }
  }
  /// p += step * d, parameter by parameter (torch's _add_grad).
  void add(double step, const Vec &d) const {
    size_t at = 0;
    for (const Trained &t : trained) {
      Span p = paramSpan(t);
      for (size_t i = 0; i < t.count; ++i)
        p.set(i, p.get(i) + step * d[at + i]);
      at += t.count;
    }
  }

private:
  struct Trained {
    size_t output;
    const TensorDesc *param;
    size_t count;
  };
  Span paramSpan(const Trained &t) const {
    return {static_cast<char *>(params) + t.param->offset, t.param->dtype,
            t.count};
  }
  lathe_context_t *context;
  const lathe_module &module;
  void *params;
  HyperValues hyper;
  lathe_tensor_t *const *inputs;
  size_t numInputs;
  const ModuleEntry *entry = nullptr;
  std::vector<Trained> trained;
};

/// The minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2),
/// within |lo|..|hi| (torch's _cubic_interpolate).
double cubicMinimum(double x1, double f1, double g1, double x2, double f2,
                    double g2, double lo, double hi) {
  double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  double d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    double d2 = std::sqrt(d2sq);
    double at = x1 <= x2
                    ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return std::min(std::max(at, lo), hi);
  }
  return (lo + hi) / 2.;
}
double cubicMinimum(double x1, double f1, double g1, double x2, double f2,
                    double g2) {
  return x1 <= x2 ? cubicMinimum(x1, f1, g1, x2, f2, g2, x1, x2)
                  : cubicMinimum(x1, f1, g1, x2, f2, g2, x2, x1);
}

/// A point of the line search: step, loss, gradient, directional slope.
struct Point {
  double t = 0, f = 0;
  Vec g;
  double gtd = 0;
};

/// torch's _strong_wolfe (c1 1e-4, c2 0.9, tolerance 1e-9, 25 searches)
/// from |x| along |d|; the parameters are |x| again when it returns.
lathe_status_t strongWolfe(Problem &problem, const Vec &x, double t,
                           const Vec &d, double f, const Vec &g, double gtd,
                           Point &result, int64_t &evals) {
  const double c1 = 1e-4, c2 = 0.9, tolerance = 1e-9;
  const int maxLs = 25;
  double dNorm = absMax(d);
  auto evaluate = [&](double step, Point &p) -> lathe_status_t {
    problem.add(step, d);
    lathe_status_t s = problem.evaluate(p.f, p.g);
    problem.write(x);
    if (s != LATHE_OK)
      return s;
    p.t = step;
    p.gtd = dot(p.g, d);
    ++evals;
    return LATHE_OK;
  };
  Point now, prev{0, f, g, gtd};
  if (lathe_status_t s = evaluate(t, now); s != LATHE_OK)
    return s;
  Point bracket[2];
  int inBracket = 0;
  bool done = false;
  int ls = 0;
  while (ls < maxLs) {
    if (now.f > f + c1 * now.t * gtd || (ls > 1 && now.f >= prev.f)) {
      bracket[0] = prev, bracket[1] = now, inBracket = 2;
      break;
    }
    if (std::fabs(now.gtd) <= -c2 * gtd) {
      bracket[0] = now, inBracket = 1, done = true;
      break;
    }
    if (now.gtd >= 0) {
      bracket[0] = prev, bracket[1] = now, inBracket = 2;
      break;
    }
    double lo = now.t + 0.01 * (now.t - prev.t), hi = now.t * 10;
    double next =
        cubicMinimum(prev.t, prev.f, prev.gtd, now.t, now.f, now.gtd, lo, hi);
    prev = now;
    if (lathe_status_t s = evaluate(next, now); s != LATHE_OK)
      return s;
    ++ls;
  }
  if (ls == maxLs) {
    // torch keeps the slopes of its last bracket here; the zoom below
    // does not run (ls is spent), so they are never read.
    bracket[0] = Point{0, f, g, 0};
    bracket[1] = now;
    inBracket = 2;
  }
  bool insufficient = false;
  int low = bracket[0].f <= bracket[inBracket - 1].f ? 0 : 1;
  if (inBracket == 1)
    low = 0;
  while (!done && ls < maxLs) {
    if (std::fabs(bracket[1].t - bracket[0].t) * dNorm < tolerance)
      break;
    double step = cubicMinimum(bracket[0].t, bracket[0].f, bracket[0].gtd,
                               bracket[1].t, bracket[1].f, bracket[1].gtd);
    double top = std::max(bracket[0].t, bracket[1].t);
    double bottom = std::min(bracket[0].t, bracket[1].t);
    double eps = 0.1 * (top - bottom);
    if (std::min(top - step, step - bottom) < eps) {
      if (insufficient || step >= top || step <= bottom) {
        step = std::fabs(step - top) < std::fabs(step - bottom) ? top - eps
                                                                : bottom + eps;
        insufficient = false;
      } else {
        insufficient = true;
      }
    } else {
      insufficient = false;
    }
    Point p;
    if (lathe_status_t s = evaluate(step, p); s != LATHE_OK)
      return s;
    ++ls;
    int high = 1 - low;
    if (p.f > f + c1 * p.t * gtd || p.f >= bracket[low].f) {
      bracket[high] = p;
      low = bracket[0].f <= bracket[1].f ? 0 : 1;
    } else {
      if (std::fabs(p.gtd) <= -c2 * gtd)
        done = true;
      else if (p.gtd * (bracket[high].t - bracket[low].t) >= 0)
        bracket[high] = bracket[low];
      bracket[low] = p;
    }
  }
  result = bracket[low];
  return LATHE_OK;
}

/// The state tensors, by name.
Span stateSpan(const lathe_module &module, void *state, const char *name) {
  for (const TensorDesc &s : module.state)
    if (s.name == name) {
      size_t count = 1;
      for (int64_t d : s.dims)
        count *= size_t(d);
      return {static_cast<char *>(state) + s.offset, s.dtype, count};
    }
  return {};
}

/// Slots of lbfgs.scalars.
enum Scalar {
  kT,
  kHDiag,
  kPrevLoss,
  kNIter,
  kFuncEvals,
  kNumOld,
  kFirst,
  kHasPrev
};

} // namespace

lathe_status_t lbfgsStep(lathe_context_t *context, const lathe_module &module,
                         void *params, void *state, const HyperValues &hyper,
                         lathe_tensor_t *const *inputs, size_t num_inputs,
                         lathe_tensor_t **out_outputs, size_t num_outputs) {
  const LbfgsOptions &o = module.lbfgs;
  Problem problem(context, module, params, hyper, inputs, num_inputs);
  if (lathe_status_t s = problem.init(); s != LATHE_OK)
    return s;
  const size_t n = problem.size;
  const size_t history = size_t(o.historySize);
  Span dState = stateSpan(module, state, "lbfgs.d");
  Span prevState = stateSpan(module, state, "lbfgs.prev_flat_grad");
  Span dirsState = stateSpan(module, state, "lbfgs.old_dirs");
  Span stpsState = stateSpan(module, state, "lbfgs.old_stps");
  Span roState = stateSpan(module, state, "lbfgs.ro");
  Span scalarState = stateSpan(module, state, "lbfgs.scalars");
  if (!dState.data || !prevState.data || !dirsState.data || !stpsState.data ||
      !roState.data || !scalarState.data || dState.size != n ||
      dirsState.size != history * n || roState.size != history ||
      scalarState.size != 8)
    return fail(context, LATHE_INCOMPATIBLE,
                module.name + ": its lbfgs state does not match its "
                              "parameters");

  // The state as torch keeps it: the pairs oldest first.
  double scalars[8];
  for (int i = 0; i < 8; ++i)
    scalars[i] = scalarState.get(size_t(i));
  size_t numOld = size_t(scalars[kNumOld]), first = size_t(scalars[kFirst]);
  std::vector<Vec> oldDirs(numOld, Vec(n)), oldStps(numOld, Vec(n));
  Vec ro(numOld);
  for (size_t k = 0; k < numOld; ++k) {
    size_t slot = (first + k) % history;
    dirsState.read(oldDirs[k], slot * n);
    stpsState.read(oldStps[k], slot * n);
    ro[k] = roState.get(slot);
  }
  Vec d(n), prevFlatGrad(n);
  dState.read(d);
  prevState.read(prevFlatGrad);
  bool hasPrev = scalars[kHasPrev] != 0;
  double t = scalars[kT], hDiag = scalars[kHDiag];
  double prevLoss = scalars[kPrevLoss];
  int64_t nIterTotal = int64_t(scalars[kNIter]);
  int64_t funcEvals = int64_t(scalars[kFuncEvals]);

  double loss = 0;
  Vec flatGrad, start;
  problem.read(start);
  if (lathe_status_t s =
          problem.evaluate(loss, flatGrad, out_outputs, num_outputs);
      s != LATHE_OK)
    return s;
  // A later evaluation that fails leaves the parameters as they were, and
  // no outputs.
  auto failed = [&](lathe_status_t s) {
    problem.write(start);
    for (size_t i = 0; i < num_outputs; ++i) {
      lathe_tensor_destroy(out_outputs[i]);
      out_outputs[i] = nullptr;
    }
    return s;
  };
  int64_t currentEvals = 1;
  ++funcEvals;
  auto save = [&]() {
    scalarState.set(kT, t);
    scalarState.set(kHDiag, hDiag);
    scalarState.set(kPrevLoss, prevLoss);
    scalarState.set(kNIter, double(nIterTotal));
    scalarState.set(kFuncEvals, double(funcEvals));
    scalarState.set(kNumOld, double(numOld));
    scalarState.set(kFirst, 0);
    scalarState.set(kHasPrev, hasPrev ? 1 : 0);
    for (size_t k = 0; k < numOld; ++k) {
      dirsState.write(oldDirs[k], k * n);
      stpsState.write(oldStps[k], k * n);
      roState.set(k, ro[k]);
    }
    dState.write(d);
    prevState.write(prevFlatGrad);
    return LATHE_OK;
  };
  if (absMax(flatGrad) <= o.toleranceGrad) {
    scalarState.set(kFuncEvals, double(funcEvals));
    return LATHE_OK;
  }

  Vec x;
  std::vector<double> al(history);
  for (int64_t iter = 1; iter <= o.maxIter; ++iter) {
    ++nIterTotal;
    if (nIterTotal == 1) {
      for (size_t i = 0; i < n; ++i)
        d[i] = -flatGrad[i];
      oldDirs.clear(), oldStps.clear(), ro.clear();
      numOld = 0;
      hDiag = 1;
    } else {
      Vec y(n), s(n);
      for (size_t i = 0; i < n; ++i) {
        y[i] = flatGrad[i] - prevFlatGrad[i];
        s[i] = d[i] * t;
      }
      double ys = dot(y, s);
      if (ys > 1e-10) {
        if (oldDirs.size() == history) {
          oldDirs.erase(oldDirs.begin());
          oldStps.erase(oldStps.begin());
          ro.erase(ro.begin());
        }
        oldDirs.push_back(y);
        oldStps.push_back(s);
        ro.push_back(1. / ys);
        hDiag = ys / dot(y, y);
      }
      numOld = oldDirs.size();
      Vec q(n);
      for (size_t i = 0; i < n; ++i)
        q[i] = -flatGrad[i];
      for (size_t k = numOld; k-- > 0;) {
        al[k] = dot(oldStps[k], q) * ro[k];
        axpy(q, -al[k], oldDirs[k]);
      }
      for (size_t i = 0; i < n; ++i)
        d[i] = q[i] * hDiag;
      for (size_t k = 0; k < numOld; ++k) {
        double be = dot(oldDirs[k], d) * ro[k];
        axpy(d, al[k] - be, oldStps[k]);
      }
    }
    prevFlatGrad = flatGrad;
    hasPrev = true;
    prevLoss = loss;
    if (nIterTotal == 1) {
      double sum = 0;
      for (double v : flatGrad)
        sum += std::fabs(v);
      t = std::min(1., 1. / sum) * hyper.lr;
    } else {
      t = hyper.lr;
    }
    double gtd = dot(flatGrad, d);
    if (gtd > -o.toleranceChange)
      break;
    int64_t lsEvals = 0;
    bool optimal = false;
    if (o.strongWolfe) {
      problem.read(x);
      Point found;
      if (lathe_status_t s = strongWolfe(problem, x, t, d, loss, flatGrad, gtd,
                                         found, lsEvals);
          s != LATHE_OK)
        return failed(s);
      loss = found.f;
      flatGrad = found.g;
      t = found.t;
      problem.add(t, d);
      optimal = absMax(flatGrad) <= o.toleranceGrad;
    } else {
      problem.add(t, d);
      if (iter != o.maxIter) {
        if (lathe_status_t s = problem.evaluate(loss, flatGrad); s != LATHE_OK)
          return failed(s);
        optimal = absMax(flatGrad) <= o.toleranceGrad;
        lsEvals = 1;
      }
    }
    currentEvals += lsEvals;
    funcEvals += lsEvals;
    if (iter == o.maxIter || currentEvals >= o.maxEval || optimal)
      break;
    double stepMax = 0;
    for (double v : d)
      stepMax = std::max(stepMax, std::fabs(v * t));
    if (stepMax <= o.toleranceChange)
      break;
    if (std::fabs(loss - prevLoss) < o.toleranceChange)
      break;
  }
  return save();
}

} // namespace lathe::runtime
