// lathe: compile neural networks to native code, run and inspect them.
#include "tools/lathe/Commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

using namespace lathe::cli;

/// The loss and optimizer options `compile --train` and `train` share; the
/// defaults are torch.nn's and torch.optim's.
static void addTrainingOptions(CLI::App *app, lathe::TrainingOptions &t) {
  app->add_option("--loss", t.loss,
                  "cross_entropy (default), nll, mse, l1, smooth_l1, huber, "
                  "soft_margin, kl_div, poisson_nll, hinge_embedding, bce, "
                  "bce_with_logits, multilabel_soft_margin, multi_margin, "
                  "multilabel_margin, margin_ranking and cosine_embedding "
                  "(on the first two outputs), triplet_margin (first three), "
                  "ctc, or output:NAME for a model whose output NAME is its "
                  "own scalar loss");
  app->add_option("--reduction", t.reduction,
                  "mean (default) or sum (batchmean too for kl_div)")
      ->check(CLI::IsMember({"mean", "sum", "batchmean"}));
  app->add_option("--label-smoothing", t.labelSmoothing,
                  "cross_entropy's label_smoothing (0)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--ignore-index", t.ignoreIndex,
                  "target class that counts for nothing (-100)");
  app->add_option("--beta", t.beta, "smooth_l1's beta (1)");
  app->add_option("--delta", t.delta, "huber's delta (1)");
  app->add_option("--pos-weight", t.posWeight,
                  "bce_with_logits' pos_weight, for every class (1)");
  app->add_flag("--log-target", t.logTarget, "kl_div's log_target");
  app->add_option("--margin", t.margin,
                  "margin of hinge_embedding (1), margin_ranking (0), "
                  "cosine_embedding (0), multi_margin (1), triplet_margin (1)");
  app->add_option("--p", t.normP,
                  "multi_margin's p (1 or 2; 1), triplet_margin's norm "
                  "degree (2)");
  app->add_option("--loss-eps", t.lossEps,
                  "poisson_nll's eps (1e-8), triplet_margin's (1e-6)");
  app->add_flag("--swap", t.swap, "triplet_margin's distance swap");
  app->add_flag("--no-log-input", t.noLogInput,
                "poisson_nll: the prediction is the rate, not its log");
  app->add_flag("--full", t.full, "poisson_nll's Stirling term");
  app->add_option("--blank", t.blank, "ctc's blank class (0)");
  app->add_flag("--zero-infinity", t.zeroInfinity,
                "ctc: impossible alignments cost 0 instead of inf");
  app->add_option("--target-length", t.targetLength,
                  "ctc: padded target length S of the N x S targets "
                  "(default: the number of steps T)")
      ->check(CLI::PositiveNumber);
  app->add_option("--class-weight", t.classWeight,
                  "per-class weights, comma-separated (cross_entropy, nll, "
                  "multi_margin, multilabel_soft_margin, bce, bce_with_logits)")
      ->delimiter(',');
  app->add_option("--optimizer", t.optimizer,
                  "sgd (default), adam, adamw, rmsprop, adagrad, adadelta, "
                  "adamax")
      ->check(CLI::IsMember({"sgd", "adam", "adamw", "rmsprop", "adagrad",
                             "adadelta", "adamax"}));
  app->add_option("--momentum", t.momentum, "sgd / rmsprop momentum (0)");
  app->add_option("--dampening", t.dampening, "sgd dampening (0)");
  app->add_flag("--nesterov", t.nesterov, "sgd Nesterov momentum");
  app->add_option("--weight-decay", t.weightDecay,
                  "L2 penalty (0; adamw: decoupled, 0.01)");
  app->add_option("--beta1", t.beta1, "Adam-family beta1 (0.9)");
  app->add_option("--beta2", t.beta2, "Adam-family beta2 (0.999)");
  app->add_option("--eps", t.eps,
                  "the optimizer's eps (1e-8; adagrad 1e-10; adadelta 1e-6)");
  app->add_flag("--amsgrad", t.amsgrad, "Adam/AdamW amsgrad");
  app->add_option("--alpha", t.alpha, "rmsprop's alpha (0.99)");
  app->add_flag("--centered", t.centered, "centered rmsprop");
  app->add_option("--rho", t.rho, "adadelta's rho (0.9)");
  app->add_option("--lr-decay", t.lrDecay, "adagrad's lr_decay (0)");
  app->add_option("--initial-accumulator", t.initialAccumulator,
                  "adagrad's initial_accumulator_value (0)");
  app->add_flag("--maximize", t.maximize, "maximize the objective");
  app->add_option("--clip-grad-norm", t.clipNorm,
                  "clip_grad_norm_ max_norm before each step (off)");
  app->add_option("--clip-norm-type", t.clipNormType,
                  "clip_grad_norm_ norm_type (2; inf for the max norm)");
  app->add_option("--clip-grad-value", t.clipValue,
                  "clip_grad_value_ before each step (off)");
}

int main(int argc, char **argv) {
  CLI::App app{
      "lathe: an ahead-of-time compiler for static neural networks.\n"
      "Compile an ONNX model to a native shared object or an object\n"
      "file with a C header, run it, and inspect models and artifacts.",
      "lathe"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lathe 0.1.0");

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
  c->add_flag("--gradient", compile.training.keepGradient,
              "With --train: also export gradient (loss, outputs and every "
              "parameter's gradient)");
  c->add_flag("--gradient-inputs", compile.training.wrtInputs,
              "With --gradient: also the float inputs' gradients");
  c->add_option("--seed", compile.training.seed,
                "With --train: seed of dropout's random draws (0)");
  c->add_flag("--momentum-hyper", compile.training.momentumHyper,
              "With --train: train_step takes the momentum (sgd, rmsprop) or "
              "beta1 (adam, adamw, adamax) as hyperparameter 'momentum' "
              "(lathe_trainer_set_hyper), for schedules that cycle it");
  addTrainingOptions(c, compile.training);

  RunOptions run;
  auto *r = app.add_subcommand(
      "run", "Run a compiled shared object on .npy inputs.\n"
             "  lathe run lenet.so --input x=batch.npy --output out.npy");
  r->add_option("artifact", run.artifact, "The .so produced by lathe compile")
      ->required();
  r->add_option("-i,--input", run.inputs,
                "An input as name=file.npy, or file.npy in input order "
                "(repeatable)");
  r->add_option("-o,--output", run.outputs,
                "Where to write an output: name=file.npy, or file.npy in "
                "output order (repeatable). Without it, outputs are "
                "summarized on stdout");
  r->add_option("-t,--threads", run.threads,
                "Threads to run on (default 0: one per CPU)")
      ->check(CLI::NonNegativeNumber);
  r->add_flag("--classes", run.classes,
              "Also print, for every float output, the index of the largest "
              "value along its last dimension for each row (a classifier's "
              "predicted classes)");

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
                "Training data: a numpy.savez .npz with one array per model "
                "input (by input name) and the target ('target', 'y' or "
                "'labels'), or comma-separated .npy / MNIST IDX files as "
                "NAME=FILE or in order (inputs, then the target); dimension "
                "0 indexes samples")
      ->required();
  t->add_option("--val", train.val, "Validation data, like --data");
  t->add_option("--val-split", train.valSplit,
                "Without --val: the fraction of --data held out (seeded)")
      ->check(CLI::Range(0.0, 0.9));
  t->add_option("--epochs", train.epochs, "Epochs (10)")
      ->check(CLI::PositiveNumber);
  t->add_option("--batch-size", train.batchSize,
                "Samples per step (64); an epoch's last partial batch is "
                "dropped unless --keep-last")
      ->check(CLI::PositiveNumber);
  t->add_option("--lr", train.lr,
                "Learning rate (1e-3; onecycle: max_lr; "
                "cyclic: base_lr)");
  t->add_option("--lr-schedule", train.schedule,
                "constant, step, multistep, exponential, cosine, "
                "cosine_restarts, onecycle, cyclic, plateau")
      ->check(CLI::IsMember({"constant", "step", "multistep", "exponential",
                             "cosine", "cosine_restarts", "onecycle", "cyclic",
                             "plateau"}));
  t->add_option("--gamma", train.gamma, "step/multistep/exponential (0.1)");
  t->add_option("--step-size", train.stepSize, "step: epochs per decay (10)");
  t->add_option("--milestones", train.milestones, "multistep: epochs")
      ->delimiter(',');
  t->add_option("--t-max", train.tMax, "cosine: T_max (--epochs)");
  t->add_option("--eta-min", train.etaMin, "cosine*: eta_min (0)");
  t->add_option("--t0", train.t0, "cosine_restarts: T_0 (10)");
  t->add_option("--t-mult", train.tMult, "cosine_restarts: T_mult (1)");
  t->add_option("--pct-start", train.pctStart, "onecycle: pct_start (0.3)");
  t->add_option("--max-lr", train.maxLr, "cyclic: max_lr");
  t->add_option("--step-size-up", train.stepSizeUp,
                "cyclic: step_size_up (2000)");
  t->add_flag("!--no-cycle-momentum", train.cycleMomentum,
              "onecycle/cyclic: keep the momentum or beta1 fixed "
              "(cycle_momentum=False)");
  t->add_option("--base-momentum", train.baseMomentum,
                "onecycle/cyclic: base_momentum (0.85; cyclic 0.8)");
  t->add_option("--max-momentum", train.maxMomentum,
                "onecycle/cyclic: max_momentum (0.95; cyclic 0.9)");
  t->add_option("--patience", train.patience, "plateau: patience (10)");
  t->add_option("--factor", train.factor, "plateau: factor (0.1)");
  t->add_option("--seed", train.seed,
                "Seed of the shuffling, the validation split and dropout (0)");
  t->add_flag("!--no-shuffle", train.shuffle, "Keep the data's order");
  t->add_flag("--keep-last", train.keepLast,
              "Also train on each epoch's last partial batch (drop_last=False; "
              "compiles a second step for its size)");
  t->add_option("--checkpoint", train.checkpoint,
                "Folder for model.so and checkpoint.safetensors (written "
                "atomically after every epoch and on Ctrl-C)");
  t->add_option("--resume", train.resume,
                "Continue exactly from the checkpoint in this folder");
  t->add_option("--logdir", train.logdir,
                "Folder for metrics.csv (per epoch), steps.csv (per step) "
                "and TensorBoard event files (tensorboard --logdir DIR)");
  t->add_option("--max-steps", train.maxSteps,
                "Stop after this many steps in this run, saving a "
                "checkpoint (0: no limit)");
  t->add_option("-t,--threads", train.threads, "Threads (0: one per CPU)");
  addTrainingOptions(t, train.training);

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (c->parsed())
    return runCompile(compile);
  if (r->parsed())
    return runRun(run);
  if (t->parsed())
    return runTrain(train);
  if (x->parsed())
    return runExport(exportOptions);
  return runInspect(inspect);
}
