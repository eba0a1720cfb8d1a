// torch.optim.lr_scheduler's schedules. The per-epoch ones follow torch's
// own recursion (each scheduler's get_lr from the optimizer's current
// learning rate), which is what makes chained and sequential ones, and
// multiplicative ones inside them, come out as torch's; onecycle, cyclic
// and cosine_restarts are in closed form.
#include "training/Schedule.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace lathe::training {

bool isEpochSchedule(const std::string &s) {
  return s == "step" || s == "multistep" || s == "exponential" ||
         s == "cosine" || s == "linear" || s == "constant_factor" ||
         s == "polynomial" || s == "lambda" || s == "multiplicative";
}

namespace {

/// Python's a % b for integers (the sign of b).
int64_t floorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}

double constantFactor(const LoopOptions &o) {
  return std::isnan(o.factor) ? 1.0 / 3 : o.factor;
}
double plateauFactor(const LoopOptions &o) {
  return std::isnan(o.factor) ? 0.1 : o.factor;
}
int64_t cosineTMax(const LoopOptions &o) {
  return o.tMax > 0 ? o.tMax : o.epochs;
}

/// A scheduler's get_lr at last_epoch 0 (its construction), from the
/// optimizer's learning rate |lr| and the initial one |base|.
double firstLr(const LoopOptions &o, const Expression &lambda, double lr,
               double base) {
  const std::string &s = o.schedule;
  if (s == "linear")
    return lr * o.startFactor;
  if (s == "constant_factor")
    return lr * constantFactor(o);
  if (s == "lambda")
    return base * lambda(0);
  return lr;
}

/// A scheduler's get_lr at last_epoch |e| >= 1.
double nextLr(const LoopOptions &o, const Expression &lambda, double lr,
              int64_t e, double base) {
  const std::string &s = o.schedule;
  double de = double(e);
  if (s == "step")
    return e % o.stepSize != 0 ? lr : lr * o.gamma;
  if (s == "multistep") {
    int64_t count = std::count(o.milestones.begin(), o.milestones.end(), e);
    return count == 0 ? lr : lr * std::pow(o.gamma, double(count));
  }
  if (s == "exponential")
    return lr * o.gamma;
  if (s == "cosine") {
    int64_t t = cosineTMax(o);
    double dt = double(t);
    if (floorMod(e - 1 - t, 2 * t) == 0)
      return lr + (base - o.etaMin) * (1 - std::cos(M_PI / dt)) / 2;
    return (1 + std::cos(M_PI * de / dt)) /
               (1 + std::cos(M_PI * (de - 1) / dt)) * (lr - o.etaMin) +
           o.etaMin;
  }
  if (s == "linear") {
    if (e > o.totalIters)
      return lr;
    double d = o.endFactor - o.startFactor;
    return lr *
           (1. + d / (double(o.totalIters) * o.startFactor + (de - 1) * d));
  }
  if (s == "constant_factor")
    return e != o.totalIters ? lr : lr * (1.0 / constantFactor(o));
  if (s == "polynomial") {
    if (e > o.totalIters)
      return lr;
    double total = double(o.totalIters);
    return lr *
           std::pow((1.0 - de / total) / (1.0 - (de - 1) / total), o.power);
  }
  if (s == "lambda")
    return base * lambda(de);
  if (s == "multiplicative")
    return lr * lambda(de);
  return lr;
}

/// step(0) of a scheduler where a sequential one switches to it: its closed
/// form at epoch 0 where torch has one, else its get_lr at last_epoch 0.
double restartLr(const LoopOptions &o, const Expression &lambda, double lr,
                 double base) {
  const std::string &s = o.schedule;
  if (s == "multistep") {
    int64_t count = std::count_if(o.milestones.begin(), o.milestones.end(),
                                  [](int64_t m) { return m <= 0; });
    return base * std::pow(o.gamma, double(count));
  }
  if (s == "cosine")
    return o.etaMin + (base - o.etaMin) * (1 + std::cos(0.0)) / 2;
  if (s == "linear")
    return base * (o.startFactor +
                   (o.endFactor - o.startFactor) * 0.0 / double(o.totalIters));
  if (s == "constant_factor") {
    double f = constantFactor(o);
    return base * (f + double(0 >= o.totalIters) * (1 - f));
  }
  if (s == "lambda")
    return base * lambda(0);
  if (s == "multiplicative")
    return lr;
  return base; // step, exponential, polynomial: base * 1.
}

/// The pieces of a `schedules` text: "NAME(ARGS)" separated by ';'.
std::string splitParts(const std::string &text, std::vector<std::string> &out) {
  int depth = 0;
  char quote = 0;
  std::string piece;
  for (char c : text) {
    if (quote) {
      quote = c == quote ? 0 : quote;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0)
        return "a ')' without its '('";
    } else if (c == ';' && depth == 0) {
      out.push_back(piece);
      piece.clear();
      continue;
    }
    piece += c;
  }
  if (quote)
    return std::string("a ") + quote + " without its end";
  if (depth)
    return "a '(' without its ')'";
  out.push_back(piece);
  return "";
}

std::string trim(const std::string &s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace((unsigned char)s[a]))
    ++a;
  while (b > a && std::isspace((unsigned char)s[b - 1]))
    --b;
  return s.substr(a, b - a);
}

/// The options a part of a sequential or chained schedule may set.
bool isScheduleOption(const std::string &name) {
  for (const char *n :
       {"gamma", "step-size", "milestones", "t-max", "eta-min", "start-factor",
        "end-factor", "total-iters", "power", "factor", "lr-lambda"})
    if (name == n)
      return true;
  return false;
}

/// "KEY=VALUE KEY=VALUE,VALUE ..." (commas or spaces between arguments; a
/// word without '=' continues the previous value as a list; quotes keep
/// spaces and commas) applied to |o|.
std::string applyArguments(const std::string &args, LoopOptions &o) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t at = 0;
  while (at < args.size()) {
    while (at < args.size() &&
           (std::isspace((unsigned char)args[at]) || args[at] == ','))
      ++at;
    if (at >= args.size())
      break;
    std::string word;
    while (at < args.size() && !std::isspace((unsigned char)args[at]) &&
           args[at] != ',') {
      char c = args[at++];
      if (c == '"' || c == '\'') {
        size_t end = args.find(c, at);
        word += args.substr(at, end - at);
        at = end + 1;
      } else {
        word += c;
      }
    }
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      if (pairs.empty())
        return "'" + word + "' is not OPTION=VALUE";
      pairs.back().second += "," + word;
      continue;
    }
    std::string key = word.substr(0, eq);
    for (char &c : key)
      c = c == '_' ? '-' : char(std::tolower((unsigned char)c));
    pairs.push_back({key, word.substr(eq + 1)});
  }
  for (auto &[key, value] : pairs) {
    if (!isScheduleOption(key))
      return "'" + key +
             "' is not an option of a schedule (gamma, step-size, "
             "milestones, t-max, eta-min, start-factor, end-factor, "
             "total-iters, power, factor, lr-lambda)";
    if (std::string why = setLoopOption(o, key, value); !why.empty())
      return why;
  }
  return "";
}

/// Checks of one per-epoch schedule's own options.
std::string checkPart(const LoopOptions &o) {
  const std::string &s = o.schedule;
  if ((s == "lambda" || s == "multiplicative") && o.lrLambda.empty())
    return "needs the factor as option 'lr-lambda' (e.g. \"0.95^epoch\")";
  if (s == "linear" && o.startFactor == 0)
    return "option 'start-factor' must be above 0 (got '0')";
  if (s == "constant_factor" &&
      !(constantFactor(o) > 0 && constantFactor(o) <= 1))
    return "option 'factor' must be in (0, 1] for constant_factor";
  return "";
}

/// The lr-lambda of |o| (when set) into |out|.
std::string parseLambda(const LoopOptions &o, Expression &out) {
  if (o.lrLambda.empty())
    return "";
  if (std::string why = Expression::parse(o.lrLambda, out); !why.empty())
    return "option 'lr-lambda': " + why + " in \"" + o.lrLambda + "\"";
  return "";
}

} // namespace

std::string Schedule::parseParts(const LoopOptions &o, std::vector<Part> &out) {
  const std::string &s = o.schedule;
  if (s != "sequential" && s != "chained") {
    if (!isEpochSchedule(s))
      return "";
    Part part{o, {}};
    if (std::string why = checkPart(o); !why.empty())
      return "lr-schedule " + s + ": " + why;
    if (std::string why = parseLambda(o, part.lambda); !why.empty())
      return why;
    out.push_back(std::move(part));
    return "";
  }
  if (trim(o.schedules).empty())
    return "lr-schedule " + s +
           " needs its schedules as option 'schedules' (e.g. "
           "\"linear(start-factor=0.1 total-iters=5); cosine(t-max=45)\")";
  std::vector<std::string> pieces;
  if (std::string why = splitParts(o.schedules, pieces); !why.empty())
    return "option 'schedules': " + why;
  for (size_t i = 0; i < pieces.size(); ++i) {
    std::string piece = trim(pieces[i]);
    std::string where = "option 'schedules', schedule " +
                        std::to_string(i + 1) + " '" + piece + "': ";
    size_t open = piece.find('(');
    std::string name = trim(piece.substr(0, open));
    if (!isEpochSchedule(name))
      return where + "'" + name +
             "' is not a per-epoch schedule (step, multistep, exponential, "
             "cosine, linear, constant_factor, polynomial, lambda, "
             "multiplicative)";
    Part part{o, {}};
    part.o.schedule = name;
    part.o.milestones.clear(); // The run's are the sequence's.
    if (open != std::string::npos) {
      size_t close = piece.rfind(')');
      if (close != piece.size() - 1)
        return where + "text after its ')'";
      std::string args = piece.substr(open + 1, close - open - 1);
      if (std::string why = applyArguments(args, part.o); !why.empty())
        return where + why;
    }
    if (std::string why = checkPart(part.o); !why.empty())
      return where + why;
    if (std::string why = parseLambda(part.o, part.lambda); !why.empty())
      return where + why;
    out.push_back(std::move(part));
  }
  if (s == "sequential") {
    if (o.milestones.size() + 1 != out.size())
      return "lr-schedule sequential: " + std::to_string(out.size()) +
             " schedules need " + std::to_string(out.size() - 1) +
             " milestones (option 'milestones'), not " +
             std::to_string(o.milestones.size());
    if (!std::is_sorted(o.milestones.begin(), o.milestones.end()))
      return "lr-schedule sequential: option 'milestones' must be in "
             "increasing order";
  }
  return "";
}

Schedule::Schedule(const LoopOptions &o) : o(o) {
  (void)parseParts(o, parts); // check() has refused what does not parse.
}

std::string Schedule::check(const LoopOptions &o) {
  if (o.schedule == "plateau" && !(plateauFactor(o) < 1.0))
    return "option 'factor' must be below 1 for plateau (got '" +
           std::to_string(plateauFactor(o)) + "')";
  std::vector<Part> parts;
  if (std::string why = parseParts(o, parts); !why.empty())
    return why;
  if (parts.empty())
    return "";
  // Every epoch of the run (of its first million, for a run of more).
  Schedule schedule(o);
  for (int64_t e = 0; e < std::min<int64_t>(o.epochs, 1 << 20); ++e) {
    double lr = schedule.epochLr(e);
    if (!std::isfinite(lr) || lr < 0) {
      std::ostringstream os;
      os << "lr-schedule " << o.schedule << " gives the learning rate ";
      if (std::isnan(lr))
        os << "nan";
      else
        os << lr;
      os << " at epoch " << e << " (0-based)";
      return os.str();
    }
  }
  return "";
}

double Schedule::epochLr(int64_t epoch) const {
  double base = o.lr;
  bool sequential = o.schedule == "sequential";
  while (int64_t(epochLrs.size()) <= epoch) {
    int64_t e = int64_t(epochLrs.size());
    double lr = e == 0 ? base : epochLrs.back();
    if (sequential) {
      const std::vector<int64_t> &m = o.milestones;
      size_t i = std::upper_bound(m.begin(), m.end(), e) - m.begin();
      const Part &p = parts[i];
      if (e == 0)
        lr = firstLr(p.o, p.lambda, base, base);
      else if (i > 0 && m[i - 1] == e)
        lr = restartLr(p.o, p.lambda, lr, base);
      else
        lr = nextLr(p.o, p.lambda, lr, e - (i > 0 ? m[i - 1] : 0), base);
    } else {
      for (const Part &p : parts)
        lr = e == 0 ? firstLr(p.o, p.lambda, lr, base)
                    : nextLr(p.o, p.lambda, lr, e, base);
    }
    epochLrs.push_back(lr);
  }
  return epochLrs[epoch];
}

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
  const std::string &s = o.schedule;
  if (!parts.empty())
    return epochLr(epoch);
  if (s == "cosine_restarts") {
    int64_t ti = o.t0, tcur = epoch;
    while (tcur >= ti) {
      tcur -= ti;
      ti *= o.tMult;
    }
    return o.etaMin +
           (o.lr - o.etaMin) * (1 + std::cos(M_PI * double(tcur) / ti)) / 2;
  }
  if (s == "onecycle") {
    double initial = o.lr / 25.0;
    return oneCycle(initial, o.lr, initial / 1e4, step, totalSteps);
  }
  if (s == "cyclic")
    return cyclic(o.lr, o.maxLr, step);
  if (s == "plateau")
    return plateauLr > 0 ? plateauLr : o.lr;
  return o.lr;
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
    plateauLr *= plateauFactor(o);
    bad = 0;
  }
}

} // namespace lathe::training
