// lathe: compile neural networks to native code, run and inspect them.
#include "tools/lathe/Commands.h"

#include "training/OptionCheck.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <limits>

using namespace lathe::cli;
using lathe::runner::kMaxThreads;

/// Registers --NAME for a row of the option table (training/Options.def),
/// with its check; a switch that is on by default as --no-NAME.
template <typename T>
static void addTableOption(CLI::App *app, const char *name, T &field,
                           const char *check, const char *help) {
  auto *option = app->add_option(std::string("--") + name, field, help);
  if (*check)
    option->check(CLI::Validator(
        [c = std::string(check)](std::string &text) {
          return lathe::training::checkOptionText(c, text);
        },
        check, ""));
}
static void addTableOption(CLI::App *app, const char *name, bool &field,
                           const char *, const char *help) {
  if (field)
    app->add_flag(std::string("!--no-") + name, field,
                  std::string("turn off: ") + help);
  else
    app->add_flag(std::string("--") + name, field, help);
}
template <typename Elem>
static void addTableOption(CLI::App *app, const char *name,
                           std::vector<Elem> &field, const char *,
                           const char *help) {
  app->add_option(std::string("--") + name, field, help)->delimiter(',');
}

#define LATHE_CLI_OPTION(field, name, Type, value, check, help)                \
  addTableOption(app, name, t.field, check, help);
#define LATHE_CLI_LIST(field, name, Elem, check, help)                         \
  addTableOption(app, name, t.field, check, help);

/// The criterion's and the optimizer's options, which `compile --train` and
/// `train` share; the defaults are torch.nn's and torch.optim's.
static void addLossAndOptimizerOptions(CLI::App *app,
                                       lathe::TrainingOptions &t) {
#define LATHE_LOSS_OPTION LATHE_CLI_OPTION
#define LATHE_LOSS_LIST LATHE_CLI_LIST
#define LATHE_OPTIMIZER_OPTION LATHE_CLI_OPTION
#include "training/Options.def"
}

/// What `compile --train` also exports (gradient, momentum hyperparameter,
/// input gradients), the dropout seed and data-parallel averaging.
static void addBuildOptions(CLI::App *app, lathe::TrainingOptions &t) {
#define LATHE_EXPORT_OPTION LATHE_CLI_OPTION
#define LATHE_AUTODIFF_OPTION LATHE_CLI_OPTION
#define LATHE_TRAINING_MODE_OPTION LATHE_CLI_OPTION
#define LATHE_PARALLEL_OPTION LATHE_CLI_OPTION
#include "training/Options.def"
}

/// The training loop's options (`train`).
static void addLoopOptions(CLI::App *app, lathe::training::LoopOptions &t) {
#define LATHE_LOOP_OPTION LATHE_CLI_OPTION
#define LATHE_LOOP_LIST LATHE_CLI_LIST
#include "training/Options.def"
}

int main(int argc, char **argv) {
  CLI::App app{
      "lathe: an ahead-of-time compiler for static neural networks.\n"
      "Compile an ONNX model to a native shared object or an object\n"
      "file with a C header, run it, and inspect models and artifacts.",
      "lathe"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lathe " LATHE_VERSION);

  CompileOptions compile;
  auto *c = app.add_subcommand(
      "compile", "Compile an ONNX model into a native artifact.\n"
                 "  lathe compile lenet.onnx -o lenet.so\n"
                 "  lathe compile resnet18.onnx -o r18 --emit obj,header\n"
                 "  lathe compile model.onnx --emit mlir");
  c->add_option("model", compile.model, "The .onnx file")->required();
  c->add_option(
      "-o,--output", compile.output,
      "Output path; its extension (.so/.o/.h/.mlir) is replaced per "
      "emitted kind. Default: the model's name in the current folder");
  c->add_option("--emit", compile.emit,
                "What to write, comma-separated: so (default), obj, header, "
                "mlir (the lathe-dialect module), llvm-dialect")
      ->delimiter(',')
      ->check(CLI::IsMember({"so", "obj", "header", "mlir", "llvm-dialect"}));
  c->add_option("--name", compile.name,
                "Symbol prefix of the exported functions (a C identifier; "
                "default: from the output file name)");
  c->add_option("--input-shape", compile.inputShapes,
                "Static shape of an input, e.g. x=1x3x224x224 (repeatable); "
                "required for inputs with symbolic dimensions");
  c->add_option("--sequence-input", compile.sequenceInputs,
                "The shapes of a sequence input's tensors, e.g. "
                "xs=2x3,2x3,4x3 (repeatable; 'scalar' for rank 0, xs= for an "
                "empty sequence): it becomes inputs xs[0], xs[1], ...");
  c->add_option("--absent-input", compile.absentInputs,
                "Compile an optional input without a value (repeatable): it "
                "is an empty optional and leaves the artifact's inputs");
  c->add_option("--max-constant-bytes", compile.maxConstantBytes,
                "The most bytes one value computed at compile time (Range, "
                "ConstantOfShape, ... on constants) may hold (default 1 GiB)")
      ->check(CLI::Range(int64_t(1), std::numeric_limits<int64_t>::max()));
  c->add_option("--max-unroll", compile.maxUnroll,
                "The most loop-body copies the import may make in the whole "
                "model (Loop, Scan, SequenceMap are unrolled; nested loops "
                "multiply; default 16384)")
      ->check(CLI::Range(int64_t(1), std::numeric_limits<int64_t>::max()));
  c->add_option("--freeze-input", compile.frozenInputs,
                "Fix an input to the value in a .npy file at compile time, "
                "e.g. shape=shape.npy (repeatable): it may then set shapes, "
                "axes or slice bounds, and leaves the artifact's inputs");
  c->add_option("--weights", compile.weights,
                "embedded: weights inside the artifact (default); external: "
                "in a side file <output>.weights")
      ->check(CLI::IsMember({"embedded", "external"}));
  c->add_option("--target", compile.target,
                "Code generation target (default cpu; known: cpu)");
  c->add_option("--target-triple", compile.triple,
                "LLVM target triple (default: this machine)");
  c->add_option("--target-cpu", compile.cpu,
                "Target CPU, e.g. x86-64-v3, skylake-avx512 (default: this "
                "machine's CPU, or generic when cross-compiling)");
  c->add_flag("--print-ir", compile.printIR,
              "Print the IR after every pass to stderr");
  c->add_flag("--train", compile.train,
              "Also export eval_step and train_step (forward, loss, "
              "backward and optimizer update in one function)");
  addBuildOptions(c, compile.training);
  addLossAndOptimizerOptions(c, compile.training);

  lathe::runner::RunOptions run;
  auto *r = app.add_subcommand(
      "run", "Run a compiled shared object on .npy inputs (as lathe-run, "
             "which needs only the runtime library).\n"
             "  lathe run lenet.so --input x=batch.npy --output out.npy\n"
             "  lathe run lenet.so --input x=batch.npy --repeat 100");
  lathe::runner::addRunOptions(*r, run);

  InspectOptions inspect;
  auto *i = app.add_subcommand(
      "inspect", "Describe an ONNX model or a compiled artifact: inputs, "
                 "outputs, op counts, parameters, FLOPs, unsupported ops.\n"
                 "  lathe inspect resnet18.onnx\n  lathe inspect lenet.so");
  i->add_option("path", inspect.path, "An .onnx model or a .so artifact")
      ->required();
  i->add_option("--input-shape", inspect.inputShapes,
                "Static shape of an input, as for compile");
  i->add_option("--sequence-input", inspect.sequenceInputs,
                "The shapes of a sequence input's tensors, as for compile");
  i->add_option("--absent-input", inspect.absentInputs,
                "An optional input without a value, as for compile");

  TrainOptions train;
  auto *t = app.add_subcommand(
      "train",
      "Compile a model's training step and train it on .npz data.\n"
      "  lathe train lenet.onnx --data train.npz --val val.npz \\\n"
      "      --loss cross_entropy --optimizer adam --lr 1e-3 --epochs 20 \\\n"
      "      --batch-size 64 --lr-schedule cosine --checkpoint runs/lenet\n"
      "  lathe train ... --resume runs/lenet");
  t->add_option("model", train.model, "The .onnx file")->required();
  t->add_option("--data", train.data,
                "Training data: a numpy.savez(_compressed) .npz with one array "
                "per model "
                "input (by input name) and the target ('target', 'y' or "
                "'labels'), or comma-separated .npy / MNIST IDX files as "
                "NAME=FILE or in order (inputs, then the target); dimension "
                "0 indexes samples")
      ->required();
  t->add_option("--val", train.val, "Validation data, like --data");
  t->add_option("--resume", train.resume,
                "Continue exactly from the checkpoint in this folder");
  t->add_option("--logdir", train.logdir,
                "Folder for metrics.csv (per epoch), steps.csv (per step) "
                "and TensorBoard event files (tensorboard --logdir DIR)");
  t->add_option("-t,--threads", train.threads, "Threads (0: one per CPU)")
      ->check(CLI::Range(0, kMaxThreads));
  addLoopOptions(t, train.loop);
  addLossAndOptimizerOptions(t, train.training);
  t->add_option("--collective-timeout", train.collectiveTimeout,
                "Under mpirun: seconds a gradient all-reduce may wait for the "
                "other replicas before every replica stops (600; 0: no "
                "limit)")
      ->check(CLI::NonNegativeNumber);
  t->add_flag("--sync-batch-norm", train.training.syncBatchNorm,
              "Under mpirun: batch norm's statistics over every replica's "
              "batch together (torch's SyncBatchNorm), not each replica's");

  ExportOptions exportOptions;
  auto *x = app.add_subcommand(
      "export", "Write a checkpoint's trained parameters into its ONNX "
                "model.\n  lathe export runs/lenet -o lenet-trained.onnx");
  x->add_option("checkpoint", exportOptions.checkpoint,
                "The --checkpoint folder of lathe train")
      ->required();
  x->add_option("-o,--output", exportOptions.output, "The .onnx to write")
      ->required();
  x->add_option("--model", exportOptions.model,
                "The ONNX model trained (default: the one the checkpoint "
                "names)");
  x->add_flag("--averaged", exportOptions.averaged,
              "Write ASGD's averaged parameters (its 'ax' state) instead of "
              "the last ones");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (c->parsed())
    return runCompile(compile);
  if (r->parsed())
    return lathe::runner::runArtifact(run);
  if (t->parsed())
    return runTrain(train);
  if (x->parsed())
    return runExport(exportOptions);
  return runInspect(inspect);
}
