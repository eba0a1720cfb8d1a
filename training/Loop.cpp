// The training loop: batches, shuffling, the validation split, schedules,
// validation, checkpoints and resumption over a runtime trainer.
#include "training/Loop.h"
#include "training/OptionCheck.h"
#include "training/Schedule.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <dirent.h>
#include <numeric>
#include <random>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace lathe::training {

std::string setLoopOption(LoopOptions &o, const std::string &name,
                          const std::string &text) {
#define LATHE_LOOP_OPTION(field, optionName, Type, value, check, help)         \
  if (name == optionName)                                                      \
    return setOptionText(o.field, name, text, check);
#define LATHE_LOOP_LIST(field, optionName, Elem, check, help)                  \
  if (name == optionName)                                                      \
    return setOptionText(o.field, name, text, "");
#include "training/Options.def"
  return "no training loop option '" + name + "'";
}

namespace {

/// |v| as an option's text, so that the check reads it as the CLI would.
std::string optionText(const std::string &v) { return v; }
std::string optionText(bool v) { return v ? "true" : "false"; }
template <typename T> std::string optionText(const T &v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

} // namespace

std::string checkLoopOptions(const LoopOptions &o) {
#define LATHE_LOOP_OPTION(field, optionName, Type, value, check, help)         \
  if (auto why = checkOptionText(check, optionText(o.field)); !why.empty())    \
    return std::string("option '") + optionName + "' " + why + " (got '" +     \
           optionText(o.field) + "')";
#include "training/Options.def"
  return Schedule::check(o);
}

bool cyclesMomentum(const LoopOptions &o) {
  return o.cycleMomentum &&
         (o.schedule == "onecycle" || o.schedule == "cyclic");
}

namespace {

struct TensorDeleter {
  void operator()(lathe_tensor_t *t) const { lathe_tensor_destroy(t); }
};
using OwnedTensor = std::unique_ptr<lathe_tensor_t, TensorDeleter>;

/// Element |i| of a float tensor (f32 or f64) as a double.
double element(const lathe_tensor_t *t, int64_t i) {
  lathe_tensor_info_t info;
  lathe_tensor_info(t, &info);
  const void *data = lathe_tensor_data(t);
  return info.dtype == LATHE_F64 ? static_cast<const double *>(data)[i]
                                 : static_cast<const float *>(data)[i];
}

/// |v| converted to the element |k| of |to| (of |dtype|); false when the
/// batch's type is not one the loop converts to.
bool store(double v, lathe_dtype_t dtype, char *to, size_t k) {
  switch (dtype) {
  case LATHE_F32:
    reinterpret_cast<float *>(to)[k] = float(v);
    return true;
  case LATHE_F64:
    reinterpret_cast<double *>(to)[k] = v;
    return true;
  case LATHE_I32:
    reinterpret_cast<int32_t *>(to)[k] = int32_t(v);
    return true;
  case LATHE_I64:
    reinterpret_cast<int64_t *>(to)[k] = int64_t(v);
    return true;
  default:
    return false;
  }
}

/// Element |k| of |from| (of |dtype|) as a double; false for a type the
/// loop does not convert from.
bool load(const char *from, lathe_dtype_t dtype, size_t k, double &v) {
  switch (dtype) {
  case LATHE_F32:
    v = reinterpret_cast<const float *>(from)[k];
    return true;
  case LATHE_F64:
    v = reinterpret_cast<const double *>(from)[k];
    return true;
  case LATHE_I32:
    v = reinterpret_cast<const int32_t *>(from)[k];
    return true;
  case LATHE_I64:
    v = double(reinterpret_cast<const int64_t *>(from)[k]);
    return true;
  case LATHE_I16:
    v = reinterpret_cast<const int16_t *>(from)[k];
    return true;
  case LATHE_I8:
    v = reinterpret_cast<const int8_t *>(from)[k];
    return true;
  case LATHE_U8:
  case LATHE_BOOL:
    v = reinterpret_cast<const uint8_t *>(from)[k];
    return true;
  case LATHE_U16:
    v = reinterpret_cast<const uint16_t *>(from)[k];
    return true;
  case LATHE_U32:
    v = reinterpret_cast<const uint32_t *>(from)[k];
    return true;
  case LATHE_U64:
    v = double(reinterpret_cast<const uint64_t *>(from)[k]);
    return true;
  default:
    return false;
  }
}

/// Copies samples |rows| of |src| into batch tensor |dst| (converting
/// between numeric types when they differ). "" or why not.
std::string gather(const lathe_tensor_t *src, const std::vector<int64_t> &rows,
                   lathe_tensor_t *dst, const std::string &what) {
  lathe_tensor_info_t si, di;
  lathe_tensor_info(src, &si);
  lathe_tensor_info(dst, &di);
  // A sample may differ in shape from the model's if not in size
  // (28 x 28 IDX images for a 1 x 28 x 28 input).
  size_t rowElems = 1, srcElems = 1;
  for (size_t i = 1; i < di.rank; ++i)
    rowElems *= size_t(di.dims[i]);
  for (size_t i = 1; i < si.rank; ++i)
    srcElems *= size_t(si.dims[i]);
  if (srcElems != rowElems) {
    auto dims = [](const lathe_tensor_info_t &t) {
      std::string text;
      for (size_t i = 1; i < t.rank; ++i)
        text += (i > 1 ? "x" : "") + std::to_string(t.dims[i]);
      return text.empty() ? std::string("scalar") : text;
    };
    return what + ": samples of shape " + dims(si) +
           " do not fit the model's " + dims(di) +
           " (each sample is the model's input without its batch dimension)";
  }
  const char *s = static_cast<const char *>(lathe_tensor_data(src));
  char *d = static_cast<char *>(lathe_tensor_data(dst));
  size_t ss = lathe_dtype_size(si.dtype), ds = lathe_dtype_size(di.dtype);
  for (size_t r = 0; r < rows.size(); ++r) {
    const char *from = s + size_t(rows[r]) * rowElems * ss;
    char *to = d + r * rowElems * ds;
    if (si.dtype == di.dtype) {
      std::memcpy(to, from, rowElems * ss);
      continue;
    }
    for (size_t k = 0; k < rowElems; ++k) {
      double v = 0;
      if (!load(from, si.dtype, k, v) || !store(v, di.dtype, to, k))
        return what + ": cannot convert " + lathe_dtype_name(si.dtype) +
               " data to the model's " + lathe_dtype_name(di.dtype);
    }
  }
  return "";
}

/// Why integer class targets |t| are not all classes in [0, |classes|) or
/// |ignore|; "" when they are (or are not integers: probabilities).
std::string checkClasses(const lathe_tensor_t *t, int64_t classes,
                         int64_t ignore) {
  lathe_tensor_info_t ti;
  lathe_tensor_info(t, &ti);
  if (ti.dtype == LATHE_F32 || ti.dtype == LATHE_F64 || ti.dtype == LATHE_F16 ||
      ti.dtype == LATHE_BF16)
    return "";
  const char *data = static_cast<const char *>(lathe_tensor_data(t));
  int64_t n = 1, rest = 1;
  for (size_t i = 0; i < ti.rank; ++i)
    n *= ti.dims[i];
  for (size_t i = 1; i < ti.rank; ++i)
    rest *= ti.dims[i];
  for (int64_t k = 0; k < n; ++k) {
    double v = 0;
    if (!load(data, ti.dtype, size_t(k), v) ||
        (v >= 0 && v < double(classes)) || v == double(ignore))
      continue;
    std::ostringstream os;
    os << "holds class " << int64_t(v) << " at sample " << k / rest
       << "; the model has " << classes << " classes (0 to " << classes - 1
       << ", or ignore-index " << ignore << ")";
    return os.str();
  }
  return "";
}

/// Argmax accuracy of |pred| (N x C x d...) against class targets |target|
/// over its first |rows| samples: (hits, counted).
std::pair<int64_t, int64_t> correct(const lathe_tensor_t *pred,
                                    const lathe_tensor_t *target,
                                    int64_t rows) {
  lathe_tensor_info_t pi;
  lathe_tensor_info(pred, &pi);
  int64_t c = pi.dims[1], rest = 1;
  for (size_t i = 2; i < pi.rank; ++i)
    rest *= pi.dims[i];
  const int64_t *t = static_cast<const int64_t *>(lathe_tensor_data(target));
  int64_t hits = 0;
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t r = 0; r < rest; ++r) {
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k)
        if (element(pred, (n * c + k) * rest + r) >
            element(pred, (n * c + best) * rest + r))
          best = k;
      hits += best == t[n * rest + r];
    }
  return {hits, rows * rest};
}

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

/// Removes the temporary files of checkpoint writes that a killed process
/// left in |dir| (checkpoint.safetensors.tmp.<pid> of no running process).
/// The checkpoint itself is never touched.
void removeAbandonedCheckpoints(const std::string &dir) {
  const std::string prefix = "checkpoint.safetensors.tmp.";
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return;
  while (dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0)
      continue;
    char *end = nullptr;
    long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (*end || pid <= 0 || end == name.c_str() + prefix.size())
      continue;
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      ::unlink((dir + "/" + name).c_str());
  }
  ::closedir(d);
}

/// Creates folder |path| and its parents; "" or why not.
std::string makeFolders(const std::string &path) {
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at < path.size() && path[at] != '/')
      continue;
    std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return path + ": cannot create: " + std::strerror(errno);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return path + ": cannot create: not a folder";
  return "";
}

} // namespace

struct Loop::State {
  lathe_context_t *ctx;
  lathe_trainer_t *trainer;
  const lathe_module_t *module;
  const lathe_module_t *tailModule = nullptr;
  LoopOptions o;
  Schedule schedule{o};
  std::vector<const lathe_tensor_t *> train, val;
  std::vector<std::string> names; ///< train_step's inputs.
  bool classes = false;           ///< The criterion classifies.
  int64_t ignoreIndex = -100;
  std::vector<int64_t> trainRows, valRows;
  int64_t batchesPerEpoch = 0, tail = 0, stepsPerEpoch = 0;
  int rank = 0, world = 1; ///< Data-parallel: this replica of |world|.
  /// The samples of one replica's shard of an epoch.
  int64_t shardSamples() const {
    int64_t n = int64_t(trainRows.size());
    return (n + world - 1) / world;
  }
  /// Batches, the partial batch and steps per epoch for the shard.
  std::string plan() {
    int64_t n = shardSamples();
    batchesPerEpoch = n / o.batchSize;
    tail = o.keepLast ? n % o.batchSize : 0;
    stepsPerEpoch = batchesPerEpoch + (tail > 0);
    if (stepsPerEpoch > 0)
      return "";
    return "the training set has " + std::to_string(n) + " samples" +
           (world > 1 ? " per replica" : "") + ", fewer than one batch of " +
           std::to_string(o.batchSize) +
           " (keep-last trains on a partial batch)";
  }
  std::vector<OwnedTensor> batch, tailBatch;
  int64_t epoch0 = 0, batch0 = 0;
  /// The running epoch's training loss and accuracy so far.
  struct Tally {
    double lossSum = 0;
    int64_t steps = 0, hits = 0, counted = 0;
    double meanLoss() const { return steps ? lossSum / double(steps) : NAN; }
    /// Percent of counted samples classified right (NaN when none).
    double accuracy() const {
      return counted ? 100.0 * double(hits) / double(counted) : NAN;
    }
  };
  Tally resumed; ///< The tally of epoch0 up to batch0, from the checkpoint.
  std::string checkpoint;
  std::vector<std::pair<std::string, std::string>> metadata;

  explicit State(const LoopOptions &options) : o(options) {}

  lathe_status_t fail(lathe_status_t status, const std::string &message) {
    return lathe_context_set_error(ctx, status, message.c_str());
  }
  /// Batch tensors shaped as |m|'s train_step inputs.
  lathe_status_t makeBatch(const lathe_module_t *m,
                           std::vector<OwnedTensor> &into) {
    into.clear();
    size_t n = lathe_module_entry_num_inputs(m, "train_step");
    for (size_t i = 0; i < n; ++i) {
      lathe_tensor_info_t info;
      lathe_module_entry_input_info(m, "train_step", i, &info);
      lathe_tensor_t *t = nullptr;
      if (lathe_status_t s =
              lathe_tensor_create(ctx, info.dtype, info.rank, info.dims, &t))
        return s;
      into.emplace_back(t);
    }
    return LATHE_OK;
  }
  /// The samples |rows| of |set| into the batch tensors |into|.
  std::string fill(std::vector<OwnedTensor> &into,
                   const std::vector<const lathe_tensor_t *> &set,
                   const std::vector<int64_t> &rows, const std::string &what) {
    for (size_t i = 0; i < into.size(); ++i)
      if (auto e =
              gather(set[i], rows, into[i].get(), what + " '" + names[i] + "'");
          !e.empty())
        return e;
    return "";
  }
  /// Saves the checkpoint of a run to continue at |nextBatch| of |epoch|,
  /// with |tally| the epoch's so far.
  lathe_status_t save(int64_t epoch, int64_t nextBatch, const Tally &tally) {
    if (checkpoint.empty())
      return LATHE_OK;
    std::vector<std::string> keys = {
        checkpoint_key::kEpoch,        checkpoint_key::kBatch,
        checkpoint_key::kSeed,         checkpoint_key::kPlateauLr,
        checkpoint_key::kPlateauBest,  checkpoint_key::kPlateauBad,
        checkpoint_key::kEpochLossSum, checkpoint_key::kEpochSteps,
        checkpoint_key::kEpochHits,    checkpoint_key::kEpochCounted};
    std::ostringstream lossSum; // Hexadecimal: read back bit for bit.
    lossSum << std::hexfloat << tally.lossSum;
    std::vector<std::string> values = {
        std::to_string(epoch),
        std::to_string(nextBatch),
        std::to_string(o.seed),
        fixed(schedule.plateauLr, 17),
        std::isinf(schedule.best) ? "" : fixed(schedule.best, 17),
        std::to_string(schedule.bad),
        lossSum.str(),
        std::to_string(tally.steps),
        std::to_string(tally.hits),
        std::to_string(tally.counted)};
    for (const auto &[k, v] : metadata) {
      keys.push_back(k);
      values.push_back(v);
    }
    std::vector<const char *> k, v;
    for (size_t i = 0; i < keys.size(); ++i) {
      k.push_back(keys[i].c_str());
      v.push_back(values[i].c_str());
    }
    return lathe_trainer_save(ctx, trainer, checkpoint.c_str(), k.data(),
                              v.data(), k.size());
  }
  lathe_status_t validate(double &valLoss, double &valAcc);
};

Loop::Loop(std::unique_ptr<State> state) : state_(std::move(state)) {}
Loop::~Loop() = default;

lathe_status_t Loop::create(lathe_context_t *ctx, lathe_trainer_t *trainer,
                            const LoopOptions &options,
                            std::vector<const lathe_tensor_t *> train,
                            std::vector<const lathe_tensor_t *> val,
                            std::unique_ptr<Loop> &out) {
  auto fail = [&](lathe_status_t s, const std::string &m) {
    return lathe_context_set_error(ctx, s, m.c_str());
  };
  const lathe_module_t *module = lathe_trainer_module(trainer);
  if (!ctx || !trainer)
    return fail(LATHE_INVALID_ARGUMENT, "training loop: NULL context or "
                                        "trainer");
  if (auto why = checkLoopOptions(options); !why.empty())
    return fail(LATHE_INVALID_ARGUMENT, why);
  auto st = std::make_unique<State>(options);
  State &s = *st;
  s.ctx = ctx;
  s.trainer = trainer;
  s.module = module;
  s.train = std::move(train);
  s.val = std::move(val);
  size_t numInputs = lathe_module_entry_num_inputs(module, "train_step");
  if (numInputs == 0)
    return fail(LATHE_INVALID_ARGUMENT,
                std::string("module '") + lathe_module_name(module) +
                    "' has no train_step: compile it with --train");
  for (size_t i = 0; i < numInputs; ++i) {
    lathe_tensor_info_t info;
    lathe_module_entry_input_info(module, "train_step", i, &info);
    s.names.push_back(info.name);
  }
  std::string criterion = lathe_module_criterion(module, &s.ignoreIndex);
  s.classes = criterion == "cross_entropy" || criterion == "nll";

  // Each data set: one array per train_step input, as many samples each.
  auto checkSet = [&](const std::vector<const lathe_tensor_t *> &set,
                      const char *what, int64_t &samples) -> lathe_status_t {
    if (set.size() != numInputs) {
      std::string list;
      for (const auto &n : s.names)
        list += (list.empty() ? "" : ", ") + n;
      return fail(LATHE_INVALID_ARGUMENT,
                  std::string(what) + " has " + std::to_string(set.size()) +
                      " arrays; train_step takes " + std::to_string(numInputs) +
                      " (" + list + ")");
    }
    for (size_t i = 0; i < set.size(); ++i) {
      if (!set[i])
        return fail(LATHE_INVALID_ARGUMENT, std::string(what) +
                                                ": NULL array for '" +
                                                s.names[i] + "'");
      lathe_tensor_info_t info;
      lathe_tensor_info(set[i], &info);
      if (info.rank == 0)
        return fail(LATHE_INVALID_ARGUMENT,
                    std::string(what) + ": the array for '" + s.names[i] +
                        "' has no sample dimension");
      if (i == 0)
        samples = info.dims[0];
      else if (info.dims[0] != samples)
        return fail(LATHE_INVALID_ARGUMENT,
                    std::string(what) +
                        ": arrays hold different numbers of "
                        "samples (" +
                        std::to_string(samples) + " and " +
                        std::to_string(info.dims[0]) + ")");
    }
    return LATHE_OK;
  };
  int64_t trainSamples = 0, valSamples = 0;
  if (lathe_status_t r = checkSet(s.train, "the training data", trainSamples))
    return r;
  if (!s.val.empty())
    if (lathe_status_t r = checkSet(s.val, "the validation data", valSamples))
      return r;

  // Class targets name classes of the model's output (or are ignored),
  // as torch's criteria require.
  lathe_tensor_info_t predictions{};
  if (s.classes &&
      lathe_module_entry_output_info(module, "eval_step", 1, &predictions) ==
          LATHE_OK &&
      predictions.rank >= 2)
    for (auto [set, what] : {std::pair{&s.train, "the training data"},
                             std::pair{&s.val, "the validation data"}}) {
      if (set->empty())
        continue;
      std::string why =
          checkClasses(set->back(), predictions.dims[1], s.ignoreIndex);
      if (!why.empty())
        return fail(LATHE_INVALID_ARGUMENT,
                    std::string(what) + ": '" + s.names.back() + "' " + why);
    }

  if (cyclesMomentum(s.o) &&
      lathe_trainer_set_hyper(ctx, trainer, "momentum",
                              s.schedule.momentum(0, 1)) != LATHE_OK)
    return fail(LATHE_INVALID_ARGUMENT,
                "lr-schedule " + s.o.schedule +
                    " cycles the momentum (cycle-momentum), and this "
                    "build's train_step takes no 'momentum' hyperparameter: "
                    "compile it with --momentum-hyper (an optimizer with a "
                    "momentum or beta1), or turn cycle-momentum off");

  s.trainRows.resize(size_t(trainSamples));
  std::iota(s.trainRows.begin(), s.trainRows.end(), 0);
  if (s.val.empty() && s.o.valSplit > 0) {
    // The last fraction of a seeded permutation validates.
    std::mt19937_64 rng(s.o.seed);
    std::shuffle(s.trainRows.begin(), s.trainRows.end(), rng);
    size_t n = size_t(std::llround(s.o.valSplit * double(trainSamples)));
    s.valRows.assign(s.trainRows.end() - n, s.trainRows.end());
    s.trainRows.resize(s.trainRows.size() - n);
    std::sort(s.trainRows.begin(), s.trainRows.end());
  } else if (!s.val.empty()) {
    s.valRows.resize(size_t(valSamples));
    std::iota(s.valRows.begin(), s.valRows.end(), 0);
  }
  if (auto e = s.plan(); !e.empty())
    return fail(LATHE_INVALID_ARGUMENT, e);
  lathe_tensor_info_t first;
  lathe_module_entry_input_info(module, "train_step", 0, &first);
  if (first.rank == 0 || first.dims[0] != s.o.batchSize)
    return fail(LATHE_INVALID_ARGUMENT,
                "batch-size is " + std::to_string(s.o.batchSize) +
                    " but the module's train_step takes batches of " +
                    (first.rank ? std::to_string(first.dims[0])
                                : std::string("no batch dimension")));
  if (lathe_status_t r = s.makeBatch(module, s.batch))
    return r;

  if (!s.o.checkpoint.empty()) {
    if (auto e = makeFolders(s.o.checkpoint); !e.empty())
      return fail(LATHE_IO_ERROR, e);
    removeAbandonedCheckpoints(s.o.checkpoint);
    s.checkpoint = s.o.checkpoint + "/checkpoint.safetensors";
  }
  out.reset(new Loop(std::move(st)));
  return LATHE_OK;
}

lathe_status_t Loop::setReplica(int rank, int world) {
  State &s = *state_;
  if (world < 1 || rank < 0 || rank >= world)
    return s.fail(LATHE_INVALID_ARGUMENT, "replica " + std::to_string(rank) +
                                              " of " + std::to_string(world) +
                                              " does not exist");
  s.rank = rank;
  s.world = world;
  if (auto e = s.plan(); !e.empty())
    return s.fail(LATHE_INVALID_ARGUMENT, e);
  return LATHE_OK;
}

int64_t Loop::trainSamples() const { return state_->shardSamples(); }
int64_t Loop::valSamples() const { return int64_t(state_->valRows.size()); }
int64_t Loop::tailSamples() const { return state_->tail; }
const std::string &Loop::checkpointPath() const { return state_->checkpoint; }

void Loop::setMetadata(const std::string &key, const std::string &value) {
  for (auto &kv : state_->metadata)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  state_->metadata.emplace_back(key, value);
}

lathe_status_t Loop::setTailModule(const lathe_module_t *tail) {
  State &s = *state_;
  lathe_tensor_info_t first;
  if (!tail ||
      lathe_module_entry_input_info(tail, "train_step", 0, &first) !=
          LATHE_OK ||
      first.rank == 0 || first.dims[0] != s.tail)
    return s.fail(LATHE_INVALID_ARGUMENT,
                  "the tail module must be a training build for batches of " +
                      std::to_string(s.tail) +
                      " samples (the epoch's last partial batch)");
  s.tailModule = tail;
  return s.makeBatch(tail, s.tailBatch);
}

lathe_status_t Loop::resume(const std::string &folder, int64_t *outEpoch,
                            int64_t *outBatch) {
  State &s = *state_;
  std::string from = folder + "/checkpoint.safetensors";
  if (lathe_status_t r = lathe_trainer_load(s.ctx, s.trainer, from.c_str()))
    return r;
  std::string seed = lathe_trainer_metadata(s.trainer, checkpoint_key::kSeed);
  if (seed != std::to_string(s.o.seed))
    return s.fail(LATHE_INCOMPATIBLE,
                  from + ": was trained with --seed " + seed + ", not " +
                      std::to_string(s.o.seed) + "; resume with the same seed");
  auto number = [&](const char *key) {
    return std::atoll(lathe_trainer_metadata(s.trainer, key));
  };
  s.epoch0 = number(checkpoint_key::kEpoch);
  s.batch0 = number(checkpoint_key::kBatch);
  s.schedule.plateauLr =
      std::atof(lathe_trainer_metadata(s.trainer, checkpoint_key::kPlateauLr));
  std::string best =
      lathe_trainer_metadata(s.trainer, checkpoint_key::kPlateauBest);
  s.schedule.best = best.empty() ? INFINITY : std::atof(best.c_str());
  s.schedule.bad = number(checkpoint_key::kPlateauBad);
  // Checkpoints written before the epoch's tally was recorded have none.
  s.resumed.lossSum = std::strtod(
      lathe_trainer_metadata(s.trainer, checkpoint_key::kEpochLossSum),
      nullptr);
  s.resumed.steps = number(checkpoint_key::kEpochSteps);
  s.resumed.hits = number(checkpoint_key::kEpochHits);
  s.resumed.counted = number(checkpoint_key::kEpochCounted);
  if (outEpoch)
    *outEpoch = s.epoch0;
  if (outBatch)
    *outBatch = s.batch0;
  return LATHE_OK;
}

/// Validation on eval_step: whole batches, then the remainder padded
/// (padded targets ignored for class criteria, left out otherwise).
lathe_status_t Loop::State::validate(double &valLoss, double &valAcc) {
  valLoss = valAcc = NAN;
  if (valRows.empty())
    return LATHE_OK;
  const std::vector<const lathe_tensor_t *> &set = val.empty() ? train : val;
  std::vector<lathe_tensor_t *> ins;
  for (auto &t : batch)
    ins.push_back(t.get());
  double sum = 0;
  int64_t vh = 0, vn = 0, weight = 0;
  for (size_t at = 0; at < valRows.size(); at += size_t(o.batchSize)) {
    size_t real = std::min<size_t>(size_t(o.batchSize), valRows.size() - at);
    if (real < size_t(o.batchSize) && !classes)
      break;
    std::vector<int64_t> rows(valRows.begin() + at,
                              valRows.begin() + at + real);
    rows.resize(size_t(o.batchSize), rows.front());
    if (auto e = fill(batch, set, rows, "validation"); !e.empty())
      return fail(LATHE_INVALID_ARGUMENT, e);
    if (classes && real < size_t(o.batchSize)) {
      auto *t = static_cast<int64_t *>(lathe_tensor_data(batch.back().get()));
      lathe_tensor_info_t ti;
      lathe_tensor_info(batch.back().get(), &ti);
      int64_t rest = 1;
      for (size_t i = 1; i < ti.rank; ++i)
        rest *= ti.dims[i];
      for (int64_t k = int64_t(real) * rest; k < o.batchSize * rest; ++k)
        t[k] = ignoreIndex;
    }
    size_t n = lathe_module_entry_num_outputs(module, "eval_step");
    std::vector<lathe_tensor_t *> eo(n);
    if (lathe_status_t r = lathe_trainer_run(
            ctx, trainer, "eval_step", ins.data(), ins.size(), eo.data(), n))
      return r;
    double l = element(eo[0], 0);
    sum += l * double(real);
    weight += int64_t(real);
    if (classes && n > 1) {
      auto [h, c] = correct(eo[1], batch.back().get(), int64_t(real));
      vh += h;
      vn += c;
    }
    for (auto *t : eo)
      lathe_tensor_destroy(t);
  }
  if (weight)
    valLoss = sum / double(weight);
  if (vn)
    valAcc = 100.0 * double(vh) / double(vn);
  return LATHE_OK;
}

lathe_status_t Loop::run(const Callbacks &callbacks, End &end) {
  State &s = *state_;
  const LoopOptions &o = s.o;
  end = End::Finished;
  if (s.tail > 0 && !s.tailModule)
    return s.fail(LATHE_INVALID_ARGUMENT,
                  "keep-last: each epoch ends with a partial batch of " +
                      std::to_string(s.tail) +
                      " samples, and no tail module was set for it");
  size_t numOutputs = lathe_module_entry_num_outputs(s.module, "train_step");
  std::vector<lathe_tensor_t *> ins, tailIns, outs(numOutputs);
  for (auto &t : s.batch)
    ins.push_back(t.get());
  for (auto &t : s.tailBatch)
    tailIns.push_back(t.get());
  auto release = [&]() {
    for (auto *&t : outs) {
      lathe_tensor_destroy(t);
      t = nullptr;
    }
  };
  int64_t totalSteps = s.stepsPerEpoch * o.epochs;
  int64_t stepsThisRun = 0;
  for (int64_t epoch = s.epoch0; epoch < o.epochs; ++epoch) {
    std::vector<int64_t> order = s.trainRows;
    if (o.shuffle) {
      std::mt19937_64 rng(o.seed * 1000003ull + uint64_t(epoch));
      std::shuffle(order.begin(), order.end(), rng);
    }
    if (s.world > 1) {
      // This replica's shard (DistributedSampler's): padded with the
      // permutation's first samples to a multiple of the world size.
      size_t padded = size_t(s.shardSamples()) * size_t(s.world);
      for (size_t i = 0; order.size() < padded; ++i) {
        int64_t again = order[i];
        order.push_back(again);
      }
      std::vector<int64_t> shard;
      for (size_t i = size_t(s.rank); i < padded; i += size_t(s.world))
        shard.push_back(order[i]);
      order = std::move(shard);
    }
    // A resumed epoch goes on from its tally at the checkpoint.
    State::Tally tally =
        epoch == s.epoch0 && s.batch0 > 0 ? s.resumed : State::Tally();
    int64_t timed = 0; // Steps of this process, for the time per step.
    double stepMs = 0;
    for (int64_t b = epoch == s.epoch0 ? s.batch0 : 0; b < s.stepsPerEpoch;
         ++b) {
      bool last = b == s.batchesPerEpoch; // The partial batch.
      std::vector<int64_t> rows(
          order.begin() + b * o.batchSize,
          order.begin() +
              std::min<int64_t>((b + 1) * o.batchSize, int64_t(order.size())));
      auto &into = last ? s.tailBatch : s.batch;
      if (auto e = s.fill(into, s.train, rows, "training data"); !e.empty())
        return s.fail(LATHE_INVALID_ARGUMENT, e);
      int64_t step = lathe_trainer_steps(s.trainer);
      double lr = s.schedule.at(epoch, step, totalSteps);
      if (cyclesMomentum(o))
        if (lathe_status_t r =
                lathe_trainer_set_hyper(s.ctx, s.trainer, "momentum",
                                        s.schedule.momentum(step, totalSteps)))
          return r;
      auto t0 = std::chrono::steady_clock::now();
      lathe_status_t r =
          last ? lathe_trainer_step_module(s.ctx, s.trainer, s.tailModule, lr,
                                           tailIns.data(), tailIns.size(),
                                           outs.data(), outs.size())
               : lathe_trainer_step(s.ctx, s.trainer, lr, ins.data(),
                                    ins.size(), outs.data(), outs.size());
      if (r != LATHE_OK)
        return r;
      stepMs += std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
      double loss = element(outs[0], 0);
      tally.lossSum += loss;
      ++tally.steps;
      ++timed;
      if (s.classes && outs.size() > 1) {
        auto [h, n] = correct(outs[1], into.back().get(), int64_t(rows.size()));
        tally.hits += h;
        tally.counted += n;
      }
      release();
      ++stepsThisRun;
      StepReport report;
      report.step = step + 1;
      report.epoch = epoch;
      report.epochs = o.epochs;
      report.batch = b;
      report.batches = s.stepsPerEpoch;
      report.lr = lr;
      report.loss = loss;
      report.meanLoss = tally.meanLoss();
      report.accuracy = tally.accuracy();
      report.msPerStep = stepMs / double(timed);
      bool stop = callbacks.onStep && !callbacks.onStep(report);
      bool limit = o.maxSteps > 0 && stepsThisRun >= o.maxSteps;
      if (stop || limit) {
        if (lathe_status_t r = s.save(epoch, b + 1, tally))
          return r;
        end = stop ? End::Stopped : End::MaxSteps;
        return LATHE_OK;
      }
    }

    EpochReport report;
    if (lathe_status_t r = s.validate(report.valLoss, report.valAccuracy))
      return r;
    report.epoch = epoch;
    report.epochs = o.epochs;
    report.trainLoss = tally.meanLoss();
    report.trainAccuracy = tally.accuracy();
    report.lr =
        s.schedule.at(epoch, lathe_trainer_steps(s.trainer) - 1, totalSteps);
    report.msPerStep = timed ? stepMs / double(timed) : 0;
    s.schedule.observe(std::isnan(report.valLoss) ? report.trainLoss
                                                  : report.valLoss);
    bool stop = callbacks.onEpoch && !callbacks.onEpoch(report);
    if (lathe_status_t r = s.save(epoch + 1, 0, State::Tally()))
      return r;
    if (stop && epoch + 1 < o.epochs) {
      end = End::Stopped;
      return LATHE_OK;
    }
  }
  return LATHE_OK;
}

} // namespace lathe::training
