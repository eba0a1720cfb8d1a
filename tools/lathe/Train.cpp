// lathe train: compile a model's training step and run it over a data set,
// with schedules, validation, metrics, checkpoints and exact resumption.
#include "tools/lathe/Commands.h"
#include "tools/lathe/Diagnostics.h"
#include "tools/lathe/EventFile.h"
#include "tools/lathe/RunFolder.h"
#include "training/Replicas.h"

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

using training::Owned;

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

/// A folder of this run's own (the compiled steps when there is no
/// checkpoint folder), removed when the run ends however it ends.
struct TemporaryFolder {
  std::string path;
  ~TemporaryFolder() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
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
  TrainingOptions build = o.training;
  build.seed = o.loop.seed; // Dropout draws from the run's seed too.
  build.momentumHyper = training::cyclesMomentum(o.loop);
  if (mlir::failed(addTrainingEntryPoints(*model->module, build)))
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

namespace {
int runReplica(const TrainOptions &o, training::Replicas *replicas);
} // namespace

int runTrain(const TrainOptions &options) {
  // Data-parallel training: one replica per process a launcher (mpirun)
  // started, each with its shard of the data; gradients averaged by MPI.
  std::string why;
  auto replicas = training::Replicas::fromLauncher(why);
  if (!why.empty())
    return reportError(why);
  if (!replicas)
    return runReplica(options, nullptr);
  TrainOptions o = options;
  if (o.training.optimizer == "lbfgs")
    return reportError("--optimizer lbfgs runs its line search on one "
                       "replica's loss; data-parallel training (mpirun) "
                       "takes the other optimizers");
  o.training.dataParallel = true;
  o.training.replicas = replicas->world();
  if (replicas->rank() != 0) {
    // Rank 0 writes the checkpoints and logs; every rank resumes.
    o.loop.checkpoint.clear();
    o.logdir.clear();
  }
  replicas->setTimeout(o.collectiveTimeout);
  int rc = runReplica(o, replicas.get());
  if (rc != 0) {
    if (!replicas->failure().empty())
      std::cerr << "lathe: " << replicas->failure() << "\n";
    std::cerr << "lathe: rank " << replicas->rank() << " of "
              << replicas->world() << " stopped (exit " << rc << ")\n";
  }
  return rc;
}

namespace {

int runReplica(const TrainOptions &o, training::Replicas *replicas) {
  bool speaks = !replicas || replicas->rank() == 0;
  if (training::cyclesMomentum(o.loop) &&
      !hasCyclableMomentum(o.training.optimizer))
    return reportError("--lr-schedule " + o.loop.schedule +
                       " cycles the momentum (torch's cycle_momentum=True), "
                       "and " +
                       o.training.optimizer +
                       " has neither momentum nor beta1: add "
                       "--no-cycle-momentum");
  training::LoopOptions loop = o.loop;
  if (loop.checkpoint.empty() && speaks)
    loop.checkpoint = o.resume;
  // Options refused before anything is written.
  if (std::string why = training::checkLoopOptions(loop); !why.empty())
    return reportError(why);
  std::string work = loop.checkpoint;
  TemporaryFolder temporary;
  bool created = !work.empty() && !llvm::sys::fs::exists(work);
  if (work.empty()) {
    llvm::SmallString<128> tmp;
    if (llvm::sys::fs::createUniqueDirectory("lathe-train", tmp))
      return reportError("cannot create a temporary folder");
    work = temporary.path = tmp.str().str();
  } else if (auto ec = llvm::sys::fs::create_directories(work)) {
    return reportError(work + ": cannot create: " + ec.message());
  }
  // A folder this command created holds only what it wrote: a model,
  // optimizer or data set refused before training leaves none behind.
  TemporaryFolder createdFolder;
  if (created)
    createdFolder.path = work;
  auto start = std::chrono::steady_clock::now();
  std::string so = work + "/model.so";
  if (int rc = compileStep(o, loop.batchSize, so))
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
  auto failed = [&]() {
    return reportError(lathe_context_last_error(ctx.get()));
  };
  if (replicas)
    lathe_context_set_allreduce(ctx.get(), training::Replicas::allreduceMean,
                                replicas);
  lathe_module_t *rawModule = nullptr;
  if (lathe_module_load(ctx.get(), so.c_str(), &rawModule) != LATHE_OK)
    return failed();
  Owned<lathe_module_t> module(rawModule);
  lathe_trainer_t *rawTrainer = nullptr;
  if (lathe_trainer_create(ctx.get(), module.get(), &rawTrainer) != LATHE_OK)
    return failed();
  Owned<lathe_trainer_t> trainer(rawTrainer);

  // The data files, one array per train_step input (the model's inputs,
  // then the criterion's), found by those inputs' names.
  std::vector<std::string> names;
  size_t numInputs = lathe_module_entry_num_inputs(module.get(), "train_step");
  for (size_t i = 0; i < numInputs; ++i) {
    lathe_tensor_info_t info;
    lathe_module_entry_input_info(module.get(), "train_step", i, &info);
    names.push_back(info.name);
  }
  DataSet train, val;
  if (auto e = loadArrays(ctx.get(), o.data, names, train); !e.empty())
    return reportError(e);
  if (!o.val.empty())
    if (auto e = loadArrays(ctx.get(), o.val, names, val); !e.empty())
      return reportError(e);
  auto borrowed = [](const DataSet &set) {
    std::vector<const lathe_tensor_t *> arrays;
    for (const auto &a : set.arrays)
      arrays.push_back(a.get());
    return arrays;
  };
  std::unique_ptr<training::Loop> run;
  if (training::Loop::create(ctx.get(), trainer.get(), loop, borrowed(train),
                             borrowed(val), run) != LATHE_OK)
    return failed();
  if (replicas &&
      run->setReplica(replicas->rank(), replicas->world()) != LATHE_OK)
    return failed();
  // --keep-last: the epoch's last partial batch runs the train_step of a
  // second build for its size, on the same parameters and state.
  Owned<lathe_module_t> tailModule;
  if (int64_t tail = run->tailSamples()) {
    std::string tailSo = work + "/model-tail.so";
    if (int rc = compileStep(o, tail, tailSo))
      return rc;
    lathe_module_t *raw = nullptr;
    if (lathe_module_load(ctx.get(), tailSo.c_str(), &raw) != LATHE_OK)
      return failed();
    tailModule.reset(raw);
    if (run->setTailModule(raw) != LATHE_OK)
      return failed();
  }

  // The model's path (relative to the run folder and absolute) and
  // content: export finds it after the folder moves, and a checkpoint of
  // another model (at the same path or not) is refused on resume.
  ModelRecord model = recordModel(o.model, work);
  if (!o.resume.empty()) {
    int64_t epoch0 = 0, batch0 = 0;
    if (run->resume(o.resume, &epoch0, &batch0) != LATHE_OK)
      return failed();
    std::string from = o.resume + "/checkpoint.safetensors";
    // Checkpoints written before these were recorded have neither.
    std::string optimizer =
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kOptimizer);
    if (!optimizer.empty() && optimizer != o.training.optimizer)
      return reportError(from + ": was trained with --optimizer " + optimizer +
                         ", not " + o.training.optimizer +
                         "; resume with the same optimizer");
    std::string hash =
        lathe_trainer_metadata(trainer.get(), checkpoint_key::kOnnxHash);
    if (!hash.empty() && hash != model.hash)
      return reportError(from + ": was trained from another model than " +
                         o.model + " (its content differs from the one " +
                         "the checkpoint recorded)");
    if (speaks)
      std::cerr << "resumed from " << from << " at epoch " << epoch0 + 1
                << ", batch " << batch0 << " (step "
                << lathe_trainer_steps(trainer.get()) << ")\n";
  }
  // Every replica must train the same build on the same data the same way:
  // a mismatch is refused at start-up, before any collective of a step.
  if (replicas) {
    // Hashes of the compiled step and the model, then the data and the
    // loop's options: a short text, whatever the model's size.
    std::string setup =
        modelHash(so) + "\n" + model.hash + "\n" + o.data + "\n" + o.resume;
    for (double v : {double(o.loop.epochs), double(o.loop.seed),
                     double(o.loop.shuffle), o.loop.lr, o.loop.valSplit,
                     double(o.loop.maxSteps), double(run->trainSamples())})
      setup += "\n" + precise(v);
    if (std::string e = replicas->agree(setup); !e.empty())
      return reportError("rank " + std::to_string(replicas->rank()) + ": " + e);
  }
  for (const auto &[key, value] : model.metadata())
    run->setMetadata(key, value);
  run->setMetadata(checkpoint_key::kOptimizer, o.training.optimizer);

  // Logging: metrics.csv per epoch, steps.csv per step, TensorBoard events.
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
  bool tty = speaks && isatty(2);
  if (speaks)
    std::cerr << "compiled " << o.model << " for training in "
              << fixed(compileSeconds, 1) << " s; " << run->trainSamples()
              << " training samples"
              << (replicas
                      ? " per replica (" + std::to_string(replicas->world()) +
                            " replicas)"
                      : std::string())
              << ", " << run->valSamples() << " validation\n";

  training::Callbacks callbacks;
  callbacks.onStep = [&](const training::StepReport &r) {
    if (steps.is_open())
      steps << r.step << "," << precise(r.lr) << "," << fixed(r.loss, 9)
            << "\n";
    if (events.isOpen()) {
      events.scalar("step/loss", r.step, r.loss);
      events.scalar("step/lr", r.step, r.lr);
    }
    if (tty) {
      int width = 20, filled = int(width * (r.batch + 1) / r.batches);
      std::cerr << "\r  epoch " << r.epoch + 1 << "/" << r.epochs << "  ["
                << std::string(filled, '=') << (filled < width ? ">" : "")
                << std::string(std::max(0, width - filled - 1), ' ') << "] "
                << r.batch + 1 << "/" << r.batches << " batches  loss "
                << fixed(r.meanLoss, 3);
      if (!std::isnan(r.accuracy))
        std::cerr << "  acc " << fixed(r.accuracy, 1) << "%";
      std::cerr << "  " << fixed(r.msPerStep, 1) << " ms/step" << std::flush;
    }
    return !interrupted;
  };
  callbacks.onEpoch = [&](const training::EpochReport &r) {
    if (!speaks)
      return true;
    if (tty)
      std::cerr << "\n";
    std::cerr << "epoch " << r.epoch + 1 << "/" << r.epochs << "  loss "
              << fixed(r.trainLoss, 4);
    if (!std::isnan(r.trainAccuracy))
      std::cerr << "  acc " << fixed(r.trainAccuracy, 2) << "%";
    if (!std::isnan(r.valLoss))
      std::cerr << "  val_loss " << fixed(r.valLoss, 4);
    if (!std::isnan(r.valAccuracy))
      std::cerr << "  val_acc " << fixed(r.valAccuracy, 2) << "%";
    std::cerr << "  lr " << r.lr << "  " << fixed(r.msPerStep, 2)
              << " ms/step\n";
    auto optional = [](double v, int digits) {
      return std::isnan(v) ? std::string() : fixed(v, digits);
    };
    if (csv.is_open())
      csv << r.epoch + 1 << "," << r.lr << "," << fixed(r.trainLoss, 6) << ","
          << optional(r.trainAccuracy, 4) << "," << optional(r.valLoss, 6)
          << "," << optional(r.valAccuracy, 4) << "," << fixed(r.msPerStep, 4)
          << "\n"
          << std::flush;
    if (events.isOpen()) {
      int64_t e = r.epoch + 1;
      events.scalar("epoch/lr", e, r.lr);
      events.scalar("epoch/train_loss", e, r.trainLoss);
      if (!std::isnan(r.trainAccuracy))
        events.scalar("epoch/train_acc", e, r.trainAccuracy);
      if (!std::isnan(r.valLoss))
        events.scalar("epoch/val_loss", e, r.valLoss);
      if (!std::isnan(r.valAccuracy))
        events.scalar("epoch/val_acc", e, r.valAccuracy);
      events.scalar("epoch/ms_per_step", e, r.msPerStep);
      events.flush();
    }
    return true;
  };
  training::End end = training::End::Finished;
  createdFolder.path.clear(); // Training starts: the folder is the run's.
  if (run->run(callbacks, end) != LATHE_OK)
    return failed();
  const std::string &ckpt = run->checkpointPath();
  if (!speaks)
    return end == training::End::Stopped ? 130 : 0;
  if (end != training::End::Finished) {
    if (tty)
      std::cerr << "\n";
    std::cerr << (end == training::End::Stopped ? "interrupted" : "stopped")
              << " after step " << lathe_trainer_steps(trainer.get())
              << (ckpt.empty() ? "" : "; checkpoint saved to " + ckpt) << "\n";
    return end == training::End::Stopped ? 130 : 0;
  }
  if (!ckpt.empty())
    std::cerr << "checkpoint: " << ckpt << "\n";
  return 0;
}

} // namespace

} // namespace lathe::cli
