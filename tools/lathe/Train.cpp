// lathe train: compile a model's training step and run it over a data set,
// with schedules, validation, metrics, checkpoints and exact resumption.
#include "tools/lathe/Commands.h"
#include "tools/lathe/Diagnostics.h"
#include "tools/lathe/EventFile.h"

#include "compiler/Artifact.h"
#include "frontends/onnx/OnnxImporter.h"
#include "lathe/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <unistd.h>

namespace lathe::cli {
namespace {

volatile std::sig_atomic_t interrupted = 0;
void onInterrupt(int) { interrupted = 1; }

struct Deleters {
  void operator()(lathe_context_t *c) const { lathe_context_destroy(c); }
  void operator()(lathe_module_t *m) const { lathe_module_destroy(m); }
  void operator()(lathe_tensor_t *t) const { lathe_tensor_destroy(t); }
  void operator()(lathe_trainer_t *t) const { lathe_trainer_destroy(t); }
};
template <typename T> using Owned = std::unique_ptr<T, Deleters>;

/// A data set: one array per model input, then the target; dimension 0
/// indexes samples.
struct DataSet {
  std::vector<Owned<lathe_tensor_t>> arrays;
  int64_t samples = 0;
};

/// Reads a .npy or an IDX file, by its first bytes.
lathe_status_t loadFile(lathe_context_t *ctx, const std::string &path,
                        lathe_tensor_t **out) {
  char magic[6] = {};
  std::ifstream(path, std::ios::binary).read(magic, 6);
  if (std::memcmp(magic, "\x93NUMPY", 6) == 0)
    return lathe_tensor_load_npy(ctx, path.c_str(), out);
  return lathe_tensor_load_idx(ctx, path.c_str(), out);
}

/// Loads a data set from |spec|: one .npz (an array per model input and
/// criterion input, by name, the target also as 'y' or 'labels'), or
/// comma-separated .npy / IDX files, each NAME=PATH or, unnamed, in the
/// order of |names| (the model's inputs, then the criterion's: the target,
/// and for ctc input_lengths and target_lengths).
std::string loadArrays(lathe_context_t *ctx, const std::string &spec,
                       const std::vector<std::string> &names, DataSet &out) {
  static const char *const kTargetNames[] = {"target", "y", "labels"};
  auto exact = [&](const std::string &name) -> size_t {
    return size_t(std::find(names.begin(), names.end(), name) - names.begin());
  };
  auto slotOf = [&](const std::string &name) -> size_t {
    size_t slot = exact(name);
    for (const char *t : kTargetNames)
      if (slot == names.size() && name == t)
        slot = exact("target");
    return slot;
  };
  out.arrays.resize(names.size());
  std::vector<std::string> from(names.size(), spec);
  bool npz = spec.find_first_of(",=") == std::string::npos &&
             llvm::StringRef(spec).ends_with(".npz");
  if (npz) {
    for (size_t i = 0; i < names.size(); ++i) {
      std::vector<std::string> candidates = {names[i]};
      if (names[i] == "target")
        candidates.assign(std::begin(kTargetNames), std::end(kTargetNames));
      lathe_tensor_t *t = nullptr;
      for (const std::string &c : candidates) {
        if (lathe_tensor_load_npz(ctx, spec.c_str(), c.c_str(), &t) == LATHE_OK)
          break;
        std::string err = lathe_context_last_error(ctx);
        if (err.find("no array named") == std::string::npos)
          return err;
      }
      if (!t) {
        std::string list;
        for (const auto &c : candidates)
          list += (list.empty() ? "'" : ", '") + c + "'";
        return spec + ": has no array " + list;
      }
      out.arrays[i].reset(t);
    }
  } else {
    size_t next = 0;
    llvm::SmallVector<llvm::StringRef> items;
    llvm::StringRef(spec).split(items, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef item : items) {
      auto [name, path] = item.split('=');
      if (path.empty())
        std::swap(name, path);
      size_t slot = name.empty() ? next++ : slotOf(name.str());
      if (slot >= names.size()) {
        std::string list;
        for (const auto &n : names)
          list += (list.empty() ? "" : ", ") + n;
        return name.empty()
                   ? spec +
                         ": more files than the model's inputs and "
                         "target (" +
                         list + ")"
                   : spec + ": '" + name.str() +
                         "' is not a model input or the target (" + list + ")";
      }
      if (out.arrays[slot])
        return spec + ": two files for '" + names[slot] + "'";
      lathe_tensor_t *t = nullptr;
      if (loadFile(ctx, path.str(), &t) != LATHE_OK)
        return lathe_context_last_error(ctx);
      out.arrays[slot].reset(t);
      from[slot] = path.str();
    }
    for (size_t i = 0; i < names.size(); ++i)
      if (!out.arrays[i])
        return spec + ": no file for '" + names[i] + "'";
  }
  for (size_t i = 0; i < names.size(); ++i) {
    lathe_tensor_info_t info;
    lathe_tensor_info(out.arrays[i].get(), &info);
    if (info.rank == 0)
      return from[i] + ": the array for '" + names[i] +
             "' has no sample dimension";
    if (i == 0)
      out.samples = info.dims[0];
    else if (info.dims[0] != out.samples)
      return spec + ": arrays hold different numbers of samples (" +
             std::to_string(out.samples) + " and " +
             std::to_string(info.dims[0]) + ")";
  }
  return "";
}

/// Element |i| of a float tensor (f32 or f64) as a double.
double element(const lathe_tensor_t *t, int64_t i) {
  lathe_tensor_info_t info;
  lathe_tensor_info(t, &info);
  const void *data = lathe_tensor_data(t);
  return info.dtype == LATHE_F64 ? static_cast<const double *>(data)[i]
                                 : static_cast<const float *>(data)[i];
}

/// Copies samples |rows| of |src| into batch tensor |dst| (whose element
/// type it converts to when they differ between integer kinds).
std::string gather(const lathe_tensor_t *src, const std::vector<int64_t> &rows,
                   lathe_tensor_t *dst, const std::string &what) {
  lathe_tensor_info_t si, di;
  lathe_tensor_info(src, &si);
  lathe_tensor_info(dst, &di);
  // A sample may differ in shape from the model's if not in size
  // (28 x 28 IDX images for a 1 x 28 x 28 input).
  size_t rowElems = 1, srcElems = 1;
  for (size_t i = 1; i < di.rank; ++i)
    rowElems *= di.dims[i];
  for (size_t i = 1; i < si.rank; ++i)
    srcElems *= si.dims[i];
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
  auto cannotConvert = [&] {
    return what + ": cannot convert " + lathe_dtype_name(si.dtype) +
           " data to the model's " + lathe_dtype_name(di.dtype);
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    const char *from = s + size_t(rows[r]) * rowElems * ss;
    char *to = d + r * rowElems * ds;
    if (si.dtype == di.dtype) {
      std::memcpy(to, from, rowElems * ss);
      continue;
    }
    for (size_t k = 0; k < rowElems; ++k) {
      double v;
      switch (si.dtype) {
      case LATHE_F32:
        v = reinterpret_cast<const float *>(from)[k];
        break;
      case LATHE_F64:
        v = reinterpret_cast<const double *>(from)[k];
        break;
      case LATHE_I32:
        v = reinterpret_cast<const int32_t *>(from)[k];
        break;
      case LATHE_I64:
        v = double(reinterpret_cast<const int64_t *>(from)[k]);
        break;
      case LATHE_I16:
        v = reinterpret_cast<const int16_t *>(from)[k];
        break;
      case LATHE_I8:
        v = reinterpret_cast<const int8_t *>(from)[k];
        break;
      case LATHE_U8:
      case LATHE_BOOL:
        v = reinterpret_cast<const uint8_t *>(from)[k];
        break;
      case LATHE_U16:
        v = reinterpret_cast<const uint16_t *>(from)[k];
        break;
      case LATHE_U32:
        v = reinterpret_cast<const uint32_t *>(from)[k];
        break;
      case LATHE_U64:
        v = double(reinterpret_cast<const uint64_t *>(from)[k]);
        break;
      default:
        return cannotConvert();
      }
      switch (di.dtype) {
      case LATHE_F32:
        reinterpret_cast<float *>(to)[k] = float(v);
        break;
      case LATHE_F64:
        reinterpret_cast<double *>(to)[k] = v;
        break;
      case LATHE_I32:
        reinterpret_cast<int32_t *>(to)[k] = int32_t(v);
        break;
      case LATHE_I64:
        reinterpret_cast<int64_t *>(to)[k] = int64_t(v);
        break;
      default:
        return cannotConvert();
      }
    }
  }
  return "";
}

/// A folder of this run's own (the compiled steps when there is no
/// checkpoint folder), removed when the run ends however it ends.
struct TemporaryFolder {
  std::string path;
  ~TemporaryFolder() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

/// Removes the temporary files of checkpoint writes that a killed process
/// left in |dir| (checkpoint.safetensors.tmp.<pid> of no running process).
/// The checkpoint itself is never touched.
void removeAbandonedCheckpoints(const std::string &dir) {
  std::error_code ec;
  const std::string prefix = "checkpoint.safetensors.tmp.";
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    int pid = 0;
    if (!name.consume_front(prefix) || name.getAsInteger(10, pid) || pid <= 0)
      continue;
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      llvm::sys::fs::remove(it->path());
  }
}

/// Whether the run's schedule cycles the momentum (or beta1) every step.
bool cyclesMomentum(const TrainOptions &o) {
  return o.cycleMomentum &&
         (o.schedule == "onecycle" || o.schedule == "cyclic");
}

/// The learning rate of torch.optim.lr_scheduler's schedules, in closed
/// form from the epoch (or, for onecycle/cyclic, the step), and the
/// momentum onecycle and cyclic cycle.
struct Schedule {
  const TrainOptions &o;
  double plateauLr = 0, best = INFINITY;
  int64_t bad = 0;

  /// OneCycleLR's two phases of cos annealing: |first| to |peak| until
  /// step pct_start * total - 1, then |peak| to |last|.
  double oneCycle(double first, double peak, double last, int64_t step,
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
  double cyclic(double low, double high, int64_t step) const {
    double up = double(o.stepSizeUp);
    double cycle = std::floor(1 + double(step) / (2 * up));
    double x = std::abs(double(step) / up - 2 * cycle + 1);
    return low + (high - low) * std::max(0.0, 1 - x);
  }

  /// The momentum (or beta1) of step |step| (0-based) while it cycles:
  /// falling as the learning rate rises.
  double momentum(int64_t step, int64_t totalSteps) const {
    bool one = o.schedule == "onecycle";
    double base = o.baseMomentum >= 0 ? o.baseMomentum : one ? 0.85 : 0.8;
    double max = o.maxMomentum >= 0 ? o.maxMomentum : one ? 0.95 : 0.9;
    return one ? oneCycle(max, base, max, step, totalSteps)
               : cyclic(max, base, step);
  }

  double at(int64_t epoch, int64_t step, int64_t totalSteps) const {
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

  /// ReduceLROnPlateau(mode=min, threshold=1e-4 relative) after an epoch.
  void observe(double metric) {
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
};

/// |v| with every significant digit (it reads back as the same double).
std::string precise(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

} // namespace

/// Compiles |o|'s model, its inputs' batch dimension set to |batch|, with
/// its training step into the shared object |so|. Returns 0, or the exit
/// code after reporting why not.
int compileStep(const TrainOptions &o, int64_t batch, const std::string &so) {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  DiagnosticPrinter diagnostics(context, o.model);
  ImportOptions importOptions;
  auto summary = summarizeOnnx(o.model);
  if (!summary)
    return reportError(llvm::toString(summary.takeError()));
  for (const auto &input : summary->inputs) {
    llvm::SmallVector<llvm::StringRef> dims;
    llvm::StringRef(input.shape).split(dims, 'x');
    std::vector<int64_t> shape;
    for (size_t i = 0; i < dims.size(); ++i) {
      int64_t d = 0;
      if (i == 0)
        shape.push_back(batch);
      else if (dims[i].getAsInteger(10, d))
        return reportError("input '" + input.name +
                           "' has symbolic dimension " + dims[i].str() +
                           " besides the batch; lathe train needs the "
                           "others static");
      else
        shape.push_back(d);
    }
    if (input.shape == "scalar" || shape.empty())
      return reportError("input '" + input.name +
                         "' has no batch dimension to train over");
    importOptions.inputShapes[input.name] = shape;
  }
  importOptions.trainingGraph = true;
  auto model = importOnnx(context, o.model, importOptions);
  if (mlir::failed(model))
    return diagnostics.fail("cannot import " + o.model);
  TrainingOptions training = o.training;
  training.seed = o.seed; // Dropout draws from the run's seed too.
  training.momentumHyper = cyclesMomentum(o);
  if (mlir::failed(addTrainingEntryPoints(*model->module, training)))
    return diagnostics.fail("cannot build the training step of " + o.model);
  ArtifactOptions artifactOptions;
  artifactOptions.name = "model";
  auto artifact = compileModel(*model, artifactOptions);
  if (!artifact)
    return diagnostics.fail(llvm::toString(artifact.takeError()));
  if (auto err = writeSharedObject(*artifact, so))
    return reportError(llvm::toString(std::move(err)));
  return 0;
}

int runTrain(const TrainOptions &o) {
  if (o.batchSize <= 0)
    return reportError("--batch-size must be positive");
  if (cyclesMomentum(o) && !hasCyclableMomentum(o.training.optimizer))
    return reportError("--lr-schedule " + o.schedule +
                       " cycles the momentum (torch's cycle_momentum=True), "
                       "and " +
                       o.training.optimizer +
                       " has neither momentum nor beta1: add "
                       "--no-cycle-momentum");
  std::string dir = o.checkpoint.empty() ? o.resume : o.checkpoint;
  std::string work = dir;
  TemporaryFolder temporary;
  if (work.empty()) {
    llvm::SmallString<128> tmp;
    if (llvm::sys::fs::createUniqueDirectory("lathe-train", tmp))
      return reportError("cannot create a temporary folder");
    work = temporary.path = tmp.str().str();
  } else if (auto ec = llvm::sys::fs::create_directories(work)) {
    return reportError(work + ": cannot create: " + ec.message());
  } else {
    removeAbandonedCheckpoints(work);
  }
  auto start = std::chrono::steady_clock::now();
  std::string so = work + "/model.so";
  if (int rc = compileStep(o, o.batchSize, so))
    return rc;
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  lathe_context_options_t copts;
  lathe_context_options_init(&copts);
  copts.num_threads = o.threads;
  lathe_context_t *rawCtx = nullptr;
  if (lathe_context_create(&copts, &rawCtx) != LATHE_OK)
    return reportError("cannot create a runtime context");
  Owned<lathe_context_t> ctx(rawCtx);
  auto check = [&](lathe_status_t s) {
    return s == LATHE_OK ? std::string() : lathe_context_last_error(ctx.get());
  };
  lathe_module_t *rawModule = nullptr;
  if (auto e = check(lathe_module_load(ctx.get(), so.c_str(), &rawModule));
      !e.empty())
    return reportError(e);
  Owned<lathe_module_t> module(rawModule);
  lathe_trainer_t *rawTrainer = nullptr;
  if (auto e =
          check(lathe_trainer_create(ctx.get(), module.get(), &rawTrainer));
      !e.empty())
    return reportError(e);
  Owned<lathe_trainer_t> trainer(rawTrainer);

  // train_step's inputs: the model's, then the target.
  size_t numInputs = lathe_module_entry_num_inputs(module.get(), "train_step");
  size_t numOutputs =
      lathe_module_entry_num_outputs(module.get(), "train_step");
  std::vector<std::string> names;
  std::vector<Owned<lathe_tensor_t>> batch;
  // Batch tensors shaped as |m|'s train_step inputs.
  auto makeBatch = [&](lathe_module_t *m,
                       std::vector<Owned<lathe_tensor_t>> &into) {
    for (size_t i = 0; i < numInputs; ++i) {
      lathe_tensor_info_t info;
      lathe_module_entry_input_info(m, "train_step", i, &info);
      lathe_tensor_t *t = nullptr;
      if (auto e = check(lathe_tensor_create(ctx.get(), info.dtype, info.rank,
                                             info.dims, &t));
          !e.empty())
        return e;
      into.emplace_back(t);
    }
    return std::string();
  };
  for (size_t i = 0; i < numInputs; ++i) {
    lathe_tensor_info_t info;
    lathe_module_entry_input_info(module.get(), "train_step", i, &info);
    names.push_back(info.name);
  }
  if (auto e = makeBatch(module.get(), batch); !e.empty())
    return reportError(e);
  bool classes = o.training.loss == "cross_entropy" || o.training.loss == "nll";

  DataSet train, val;
  if (auto e = loadArrays(ctx.get(), o.data, names, train); !e.empty())
    return reportError(e);
  if (!o.val.empty()) {
    if (auto e = loadArrays(ctx.get(), o.val, names, val); !e.empty())
      return reportError(e);
  }
  std::vector<int64_t> trainRows(train.samples), valRows;
  std::iota(trainRows.begin(), trainRows.end(), 0);
  if (o.val.empty() && o.valSplit > 0) {
    // The last fraction of a seeded permutation validates.
    std::mt19937_64 rng(o.seed);
    std::shuffle(trainRows.begin(), trainRows.end(), rng);
    size_t n = size_t(std::llround(o.valSplit * double(train.samples)));
    valRows.assign(trainRows.end() - n, trainRows.end());
    trainRows.resize(trainRows.size() - n);
    std::sort(trainRows.begin(), trainRows.end());
  } else if (!o.val.empty()) {
    valRows.resize(val.samples);
    std::iota(valRows.begin(), valRows.end(), 0);
  }
  const DataSet &valSet = o.val.empty() ? train : val;
  int64_t batchesPerEpoch = int64_t(trainRows.size()) / o.batchSize;
  // --keep-last: the epoch's last partial batch runs the train_step of a
  // second build for its size, on the same parameters and state.
  int64_t tail = o.keepLast ? int64_t(trainRows.size()) % o.batchSize : 0;
  int64_t stepsPerEpoch = batchesPerEpoch + (tail > 0);
  if (stepsPerEpoch == 0)
    return reportError(
        "the training set has " + std::to_string(trainRows.size()) +
        " samples, fewer than one batch of " + std::to_string(o.batchSize) +
        " (--keep-last trains on a partial batch)");
  Owned<lathe_module_t> tailModule;
  std::vector<Owned<lathe_tensor_t>> tailBatch;
  if (tail) {
    std::string tailSo = work + "/model-tail.so";
    if (int rc = compileStep(o, tail, tailSo))
      return rc;
    lathe_module_t *raw = nullptr;
    if (auto e = check(lathe_module_load(ctx.get(), tailSo.c_str(), &raw));
        !e.empty())
      return reportError(e);
    tailModule.reset(raw);
    if (auto e = makeBatch(raw, tailBatch); !e.empty())
      return reportError(e);
  }

  Schedule schedule{o};
  int64_t epoch0 = 0, batch0 = 0;
  // The model's content, so that a checkpoint of another model (at the same
  // path or not) is refused on resume.
  std::string modelHash;
  {
    std::ifstream in(o.model, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    std::ostringstream hex;
    hex << std::hex << fnv1a64(bytes);
    modelHash = hex.str();
  }
  std::string ckpt = dir.empty() ? "" : dir + "/checkpoint.safetensors";
  if (!o.resume.empty()) {
    std::string from = o.resume + "/checkpoint.safetensors";
    if (auto e =
            check(lathe_trainer_load(ctx.get(), trainer.get(), from.c_str()));
        !e.empty())
      return reportError(e);
    std::string seed =
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kSeed);
    if (seed != std::to_string(o.seed))
      return reportError(from + ": was trained with --seed " + seed + ", not " +
                         std::to_string(o.seed) +
                         "; resume with the same seed");
    // Checkpoints written before these were recorded have neither.
    std::string optimizer =
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kOptimizer);
    if (!optimizer.empty() && optimizer != o.training.optimizer)
      return reportError(from + ": was trained with --optimizer " + optimizer +
                         ", not " + o.training.optimizer +
                         "; resume with the same optimizer");
    std::string hash =
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kOnnxHash);
    if (!hash.empty() && hash != modelHash)
      return reportError(from + ": was trained from another model than " +
                         o.model + " (its content differs from the one " +
                         "the checkpoint recorded)");
    epoch0 = std::atoll(
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kEpoch));
    batch0 = std::atoll(
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kBatch));
    schedule.plateauLr = std::atof(
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kPlateauLr));
    std::string best =
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kPlateauBest);
    schedule.best = best.empty() ? INFINITY : std::atof(best.c_str());
    schedule.bad = std::atoll(
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kPlateauBad));
    std::cerr << "resumed from " << from << " at epoch " << epoch0 + 1
              << ", batch " << batch0 << " (step "
              << lathe_trainer_steps(trainer.get()) << ")\n";
  }
  auto save = [&](int64_t epoch, int64_t nextBatch) -> std::string {
    if (ckpt.empty())
      return "";
    std::string values[] = {
        std::to_string(epoch),
        std::to_string(nextBatch),
        std::to_string(o.seed),
        fixed(schedule.plateauLr, 17),
        std::isinf(schedule.best) ? "" : fixed(schedule.best, 17),
        std::to_string(schedule.bad),
        o.model,
        o.training.optimizer,
        modelHash};
    const char *keys[] = {
        checkpoint_key::kEpoch,       checkpoint_key::kBatch,
        checkpoint_key::kSeed,        checkpoint_key::kPlateauLr,
        checkpoint_key::kPlateauBest, checkpoint_key::kPlateauBad,
        checkpoint_key::kOnnx,        checkpoint_key::kOptimizer,
        checkpoint_key::kOnnxHash};
    constexpr size_t n = std::size(keys);
    static_assert(n == std::size(values), "one value per key");
    const char *vals[n];
    for (size_t i = 0; i < n; ++i)
      vals[i] = values[i].c_str();
    return check(lathe_trainer_save(ctx.get(), trainer.get(), ckpt.c_str(),
                                    keys, vals, n));
  };

  std::ofstream csv, steps;
  EventFile events;
  if (!o.logdir.empty()) {
    if (auto ec = llvm::sys::fs::create_directories(o.logdir))
      return reportError(o.logdir + ": cannot create: " + ec.message());
    bool fresh = o.resume.empty();
    csv.open(o.logdir + "/metrics.csv",
             fresh ? std::ios::trunc : std::ios::app);
    steps.open(o.logdir + "/steps.csv",
               fresh ? std::ios::trunc : std::ios::app);
    if (fresh) {
      csv << "epoch,lr,train_loss,train_acc,val_loss,val_acc,ms_per_step\n";
      steps << "step,lr,loss\n";
    }
    // A resumed run adds a file; TensorBoard merges them by step.
    if (auto e = events.open(o.logdir); !e.empty())
      return reportError(e);
  }
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  bool tty = isatty(2);
  std::cerr << "compiled " << o.model << " for training in "
            << fixed(compileSeconds, 1) << " s; " << trainRows.size()
            << " training samples, " << valRows.size() << " validation\n";

  std::vector<lathe_tensor_t *> ins;
  for (auto &t : batch)
    ins.push_back(t.get());
  std::vector<lathe_tensor_t *> outs(numOutputs);
  // Accuracy: argmax over the class dimension of the first output.
  auto correct = [&](const lathe_tensor_t *pred, const lathe_tensor_t *target,
                     int64_t rows) {
    lathe_tensor_info_t pi, ti;
    lathe_tensor_info(pred, &pi);
    lathe_tensor_info(target, &ti);
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
    return std::pair<int64_t, int64_t>(hits, rows * rest);
  };
  auto release = [&]() {
    for (auto *&t : outs) {
      lathe_tensor_destroy(t);
      t = nullptr;
    }
  };

  // The samples |rows| of |set| into the batch tensors |into|.
  auto fillInto = [&](std::vector<Owned<lathe_tensor_t>> &into,
                      const DataSet &set, const std::vector<int64_t> &rows,
                      const std::string &what) -> std::string {
    for (size_t i = 0; i < into.size(); ++i)
      if (auto e = gather(set.arrays[i].get(), rows, into[i].get(),
                          what + "'" + names[i] + "'");
          !e.empty())
        return e;
    return "";
  };
  auto fillBatch = [&](const DataSet &set, const std::vector<int64_t> &rows,
                       const std::string &what) {
    return fillInto(batch, set, rows, what);
  };
  std::vector<lathe_tensor_t *> tailIns;
  for (auto &t : tailBatch)
    tailIns.push_back(t.get());
  int64_t totalSteps = stepsPerEpoch * o.epochs;
  int64_t stepsThisRun = 0;
  for (int64_t epoch = epoch0; epoch < o.epochs; ++epoch) {
    std::vector<int64_t> order = trainRows;
    if (o.shuffle) {
      std::mt19937_64 rng(o.seed * 1000003ull + uint64_t(epoch));
      std::shuffle(order.begin(), order.end(), rng);
    }
    double lossSum = 0;
    int64_t hits = 0, counted = 0, done = 0;
    double stepMs = 0;
    for (int64_t b = epoch == epoch0 ? batch0 : 0; b < stepsPerEpoch; ++b) {
      bool last = b == batchesPerEpoch; // The partial batch.
      std::vector<int64_t> rows(
          order.begin() + b * o.batchSize,
          order.begin() +
              std::min<int64_t>((b + 1) * o.batchSize, int64_t(order.size())));
      if (auto e =
              fillInto(last ? tailBatch : batch, train, rows, o.data + ": ");
          !e.empty())
        return reportError(e);
      int64_t step = lathe_trainer_steps(trainer.get());
      double lr = schedule.at(epoch, step, totalSteps);
      if (cyclesMomentum(o))
        if (auto e = check(
                lathe_trainer_set_hyper(ctx.get(), trainer.get(), "momentum",
                                        schedule.momentum(step, totalSteps)));
            !e.empty())
          return reportError(e);
      auto t0 = std::chrono::steady_clock::now();
      if (auto e = check(last ? lathe_trainer_step_module(
                                    ctx.get(), trainer.get(), tailModule.get(),
                                    lr, tailIns.data(), tailIns.size(),
                                    outs.data(), outs.size())
                              : lathe_trainer_step(ctx.get(), trainer.get(), lr,
                                                   ins.data(), ins.size(),
                                                   outs.data(), outs.size()));
          !e.empty())
        return reportError(e);
      stepMs += std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
      double loss = element(outs[0], 0);
      if (steps.is_open())
        steps << step + 1 << "," << precise(lr) << "," << fixed(loss, 9)
              << "\n";
      if (events.isOpen()) {
        events.scalar("step/loss", step + 1, loss);
        events.scalar("step/lr", step + 1, lr);
      }
      lossSum += loss;
      ++done;
      if (classes && outs.size() > 1) {
        auto [h, n] = correct(outs[1], (last ? tailBatch : batch).back().get(),
                              int64_t(rows.size()));
        hits += h;
        counted += n;
      }
      release();
      ++stepsThisRun;
      if (tty) {
        int width = 20, filled = int(width * (b + 1) / stepsPerEpoch);
        std::cerr << "\r  epoch " << epoch + 1 << "/" << o.epochs << "  ["
                  << std::string(filled, '=') << (filled < width ? ">" : "")
                  << std::string(std::max(0, width - filled - 1), ' ') << "] "
                  << b + 1 << "/" << stepsPerEpoch << " batches  loss "
                  << fixed(lossSum / done, 3);
        if (counted)
          std::cerr << "  acc " << fixed(100.0 * hits / counted, 1) << "%";
        std::cerr << "  " << fixed(stepMs / done, 1) << " ms/step"
                  << std::flush;
      }
      bool stop = interrupted || (o.maxSteps > 0 && stepsThisRun >= o.maxSteps);
      if (stop) {
        if (tty)
          std::cerr << "\n";
        if (auto e = save(epoch, b + 1); !e.empty())
          return reportError(e);
        std::cerr << (interrupted ? "interrupted" : "stopped") << " after step "
                  << lathe_trainer_steps(trainer.get())
                  << (ckpt.empty() ? "" : "; checkpoint saved to " + ckpt)
                  << "\n";
        return interrupted ? 130 : 0;
      }
    }
    if (tty)
      std::cerr << "\n";

    // Validation on eval_step: whole batches, then the remainder padded
    // (padded targets ignored for class losses, left out otherwise).
    double valLoss = NAN, valAcc = NAN;
    if (!valRows.empty()) {
      double sum = 0;
      int64_t vh = 0, vn = 0, weight = 0;
      for (size_t at = 0; at < valRows.size(); at += o.batchSize) {
        size_t real = std::min<size_t>(o.batchSize, valRows.size() - at);
        if (real < size_t(o.batchSize) && !classes)
          break;
        std::vector<int64_t> rows(valRows.begin() + at,
                                  valRows.begin() + at + real);
        rows.resize(o.batchSize, rows.front());
        if (auto e = fillBatch(valSet, rows, "validation "); !e.empty())
          return reportError(e);
        if (classes && real < size_t(o.batchSize)) {
          auto *t =
              static_cast<int64_t *>(lathe_tensor_data(batch.back().get()));
          lathe_tensor_info_t ti;
          lathe_tensor_info(batch.back().get(), &ti);
          int64_t rest = 1;
          for (size_t i = 1; i < ti.rank; ++i)
            rest *= ti.dims[i];
          for (int64_t k = int64_t(real) * rest; k < o.batchSize * rest; ++k)
            t[k] = o.training.ignoreIndex;
        }
        size_t n = lathe_module_entry_num_outputs(module.get(), "eval_step");
        std::vector<lathe_tensor_t *> eo(n);
        if (auto e =
                check(lathe_trainer_run(ctx.get(), trainer.get(), "eval_step",
                                        ins.data(), ins.size(), eo.data(), n));
            !e.empty())
          return reportError(e);
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
    }
    double trainLoss = done ? lossSum / done : NAN;
    double lrNow =
        schedule.at(epoch, lathe_trainer_steps(trainer.get()) - 1, totalSteps);
    schedule.observe(std::isnan(valLoss) ? trainLoss : valLoss);
    std::cerr << "epoch " << epoch + 1 << "/" << o.epochs << "  loss "
              << fixed(trainLoss, 4);
    if (counted)
      std::cerr << "  acc " << fixed(100.0 * hits / counted, 2) << "%";
    if (!std::isnan(valLoss))
      std::cerr << "  val_loss " << fixed(valLoss, 4);
    if (!std::isnan(valAcc))
      std::cerr << "  val_acc " << fixed(valAcc, 2) << "%";
    std::cerr << "  lr " << lrNow << "  " << fixed(done ? stepMs / done : 0, 2)
              << " ms/step\n";
    if (csv.is_open())
      csv << epoch + 1 << "," << lrNow << "," << fixed(trainLoss, 6) << ","
          << (counted ? fixed(100.0 * hits / counted, 4) : "") << ","
          << (std::isnan(valLoss) ? "" : fixed(valLoss, 6)) << ","
          << (std::isnan(valAcc) ? "" : fixed(valAcc, 4)) << ","
          << fixed(done ? stepMs / done : 0, 4) << "\n"
          << std::flush;
    if (events.isOpen()) {
      int64_t e = epoch + 1;
      events.scalar("epoch/lr", e, lrNow);
      events.scalar("epoch/train_loss", e, trainLoss);
      if (counted)
        events.scalar("epoch/train_acc", e, 100.0 * hits / counted);
      if (!std::isnan(valLoss))
        events.scalar("epoch/val_loss", e, valLoss);
      if (!std::isnan(valAcc))
        events.scalar("epoch/val_acc", e, valAcc);
      events.scalar("epoch/ms_per_step", e, done ? stepMs / done : 0);
      events.flush();
    }
    if (auto e = save(epoch + 1, 0); !e.empty())
      return reportError(e);
  }
  if (!ckpt.empty())
    std::cerr << "checkpoint: " << ckpt << "\n";
  return 0;
}

} // namespace lathe::cli
