// lathe: compile neural networks to native code, run and inspect them.
#include "tools/lathe/Commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

using namespace lathe::cli;

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
  c->add_option("--freeze-input", compile.frozenInputs,
                "Fix an input to the value in a .npy file at compile time, "
                "e.g. shape=shape.npy (repeatable): it may then set shapes, "
                "axes or slice bounds, and leaves the artifact's inputs");
  c->add_option("--weights", compile.weights,
                "embedded: weights inside the artifact (default); external: "
                "in a side file <output>.weights")
      ->check(CLI::IsMember({"embedded", "external"}));
  c->add_option("--target-triple", compile.triple,
                "LLVM target triple (default: this machine)");
  c->add_option("--target-cpu", compile.cpu,
                "Target CPU, e.g. x86-64-v3, skylake-avx512 (default: this "
                "machine's CPU, or generic when cross-compiling)");
  c->add_flag("--print-ir", compile.printIR,
              "Print the IR after every pass to stderr");

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

  InspectOptions inspect;
  auto *i = app.add_subcommand(
      "inspect", "Describe an ONNX model or a compiled artifact: inputs, "
                 "outputs, op counts, parameters, FLOPs, unsupported ops.\n"
                 "  lathe inspect resnet18.onnx\n  lathe inspect lenet.so");
  i->add_option("path", inspect.path, "An .onnx model or a .so artifact")
      ->required();
  i->add_option("--input-shape", inspect.inputShapes,
                "Static shape of an input, as for compile");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  if (c->parsed())
    return runCompile(compile);
  if (r->parsed())
    return runRun(run);
  return runInspect(inspect);
}
