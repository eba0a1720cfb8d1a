// lathe-conformance: runs the ONNX backend test data through the whole
// compiler (import, compile, link, load, run) and compares with the stored
// outputs. Prints one row per case and the totals per suite.
//
// Usage: lathe-conformance [--jobs N] [--filter SUBSTRING] [--table FILE]
//                          [--min-passed N] DATA_DIR [SUITE...]
// DATA_DIR holds suites (node, pytorch-converted, ...) of case folders with
// model.onnx and test_data_set_*/{input,output}_*.pb. Each case runs in a
// child process, so that a crash is a failed case, not a failed run.
//
// A case fails the moment any of its data sets fails. The expected outputs
// are decoded by Reference.cpp, not by the importer under test. A case
// whose every input had to be frozen into the model passes as "folded":
// nothing of it ran at run time, and it is counted apart.
#include "Reference.h"

#include "compiler/Artifact.h"
#include "compiler/Pipeline.h"
#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/OnnxModel.h"
#include "lathe/runtime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx-data_pb.h"
#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <type_traits>
#include <unistd.h>

namespace {

using namespace lathe;

// ONNX's backend tolerances (onnx/backend/test/runner).
constexpr double kRtol = 1e-3, kAtol = 1e-7;

struct Outcome {
  std::string status; ///< pass, folded, fail, unsupported
  std::string detail;
  conformance::Errors errors;
};

/// The statuses in table order, with their column titles.
const std::pair<const char *, const char *> kStatuses[] = {
    {"pass", "passed"},
    {"folded", "folded at compile time"},
    {"fail", "failed"},
    {"unsupported", "unsupported"}};

std::vector<std::string> sortedEntries(const std::string &dir,
                                       llvm::StringRef prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.starts_with(prefix))
      out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The tensors of a TensorProto, a SequenceProto of tensors, or an
/// OptionalProto holding either (none when it is empty), as |type| says,
/// each decoded by |decode| (the importer's decoder for inputs, the
/// harness's own for reference outputs).
template <typename T, typename Decode>
llvm::Expected<std::vector<T>>
tensorsOf(const onnx::TypeProto &type, const onnx::TensorProto *tensor,
          const onnx::SequenceProto *sequence,
          const onnx::OptionalProto *optional, const Decode &decode) {
  auto fail = [](const std::string &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  std::vector<T> tensors;
  auto add = [&](const onnx::TensorProto &t) -> llvm::Error {
    llvm::Expected<T> value = decode(t);
    if (!value)
      return value.takeError();
    tensors.push_back(std::move(*value));
    return llvm::Error::success();
  };
  if (type.has_optional_type()) {
    if (optional->has_tensor_value())
      return tensorsOf<T>(type.optional_type().elem_type(),
                          &optional->tensor_value(), nullptr, nullptr, decode);
    if (optional->has_sequence_value())
      return tensorsOf<T>(type.optional_type().elem_type(), nullptr,
                          &optional->sequence_value(), nullptr, decode);
    return tensors; // An empty optional.
  }
  if (type.has_sequence_type()) {
    if (!sequence || sequence->elem_type() != onnx::SequenceProto::TENSOR)
      return fail("not a sequence of tensors");
    for (const auto &t : sequence->tensor_values())
      if (auto err = add(t))
        return err;
    return tensors;
  }
  if (!tensor)
    return fail("not a tensor");
  if (auto err = add(*tensor))
    return err;
  return tensors;
}

/// Reads a test-data file holding a value of |type|: a serialized
/// TensorProto, SequenceProto or OptionalProto. Returns its tensors in
/// order (a sequence's are consecutive arguments or results): inputs as the
/// importer decodes them (TensorValue), expected outputs as the harness
/// does (conformance::Reference).
template <typename T>
llvm::Expected<std::vector<T>> readDataFile(const std::string &path,
                                            const onnx::TypeProto &type) {
  std::ifstream in(path, std::ios::binary);
  onnx::TensorProto tensor;
  onnx::SequenceProto sequence;
  onnx::OptionalProto optional;
  google::protobuf::Message &proto =
      type.has_optional_type()
          ? static_cast<google::protobuf::Message &>(optional)
      : type.has_sequence_type()
          ? static_cast<google::protobuf::Message &>(sequence)
          : tensor;
  if (!in || !proto.ParseFromIstream(&in))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot read " + path);
  std::string dir = llvm::sys::path::parent_path(path).str();
  auto decode = [&](const onnx::TensorProto &t) -> llvm::Expected<T> {
    if constexpr (std::is_same_v<T, TensorValue>)
      return decodeTensor(t, dir);
    else
      return conformance::decodeReference(t);
  };
  auto tensors = tensorsOf<T>(type, &tensor, &sequence, &optional, decode);
  if (!tensors)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " +
                                       llvm::toString(tensors.takeError()));
  return tensors;
}

/// Cases whose bfloat16 reference truncates the f32 value (ONNX 1.12's
/// generator drops the low 16 bits); Lathe rounds to nearest even, as
/// PyTorch and the later ONNX test data do. Their bf16 outputs are compared
/// bit by bit: the reference, or the next bf16 value away from zero where
/// rounding went up.
bool truncatedBf16Reference(const std::string &caseName) {
  return caseName.find("FLOAT_to_BFLOAT16") != std::string::npos;
}

/// Why a case's stored outputs contradict its own model; null for a sound
/// case. Such a case compiles and loads but is reported unsupported, with
/// the reason, instead of run and compared (its operator is checked against
/// ONNX's reference functions in test/e2e/check_onnx_ops.py).
const char *defectiveReference(const std::string &caseName) {
  if (caseName == "test_adam_multiple")
    return "test data: the reference was computed with epsilon 1e-2, which "
           "the node leaves at its default, 1e-6";
  return nullptr;
}

/// Cases whose reference values come from NumPy's random generator: Lathe
/// draws from its own seeded counter-based generator (docs/onnx-support.md),
/// so the values cannot be compared; checkRandomCase checks their
/// distribution instead.
bool randomReference(const std::string &caseName) {
  return caseName.find("bernoulli") != std::string::npos;
}

/// Compares output |index| of a run with its reference; "" when they agree,
/// else why not, naming the output.
std::string compareOutput(const lathe_tensor_t *got,
                          const conformance::Reference &want, size_t index,
                          bool truncatedBf16, Outcome &outcome) {
  std::string name = "output " + std::to_string(index);
  auto read = conformance::readRuntimeTensor(got);
  if (!read)
    return name + ": " + llvm::toString(read.takeError());
  std::string why =
      truncatedBf16
          ? conformance::compareTruncatedBfloat16(*read, want, outcome.errors)
          : conformance::compareReference(*read, want, kRtol, kAtol,
                                          outcome.errors);
  return why.empty() ? "" : name + " " + why;
}

/// Samples per probability in checkRandomCase: the mean of 4000 draws is
/// within 0.04 (5 standard deviations at p = 0.5) of p.
constexpr int64_t kRandomSamples = 4000;

/// Whether |graph| draws 1 where a uniform draw U exceeds the probability
/// p, so with probability 1 - p: ONNX 1.12's function body of Bernoulli,
/// which the *_expanded cases hold, is Greater(RandomUniformLike(p), p).
/// Lathe computes the graph as written; its reference values came from
/// NumPy's binomial with p, which contradicts it.
bool drawsComplement(const onnx::GraphProto &graph) {
  std::set<std::string> uniform;
  for (const auto &node : graph.node())
    if (node.op_type() == "RandomUniformLike")
      uniform.insert(node.output(0));
  for (const auto &node : graph.node())
    if ((node.op_type() == "Greater" && uniform.count(node.input(0))) ||
        (node.op_type() == "Less" && uniform.count(node.input(1))))
      return true;
  return false;
}

/// A Bernoulli case: its model with the (1-D) input made kRandomSamples
/// times longer, compiled and run on the case's probabilities repeated;
/// every output is 0 or 1 and the mean of each probability's draws is within
/// 5 standard deviations of the probability the graph defines (an all-zero
/// or all-one output fails). Sets |note| to what was compared.
std::string checkRandomCase(const std::string &caseDir,
                            const std::string &workDir,
                            const TensorValue &probabilities,
                            lathe_context_t *ctx, std::string &note) {
  auto proto = readOnnxFile(caseDir + "/model.onnx");
  if (!proto)
    return llvm::toString(proto.takeError());
  onnx::GraphProto *graph = (*proto)->mutable_graph();
  bool complement = drawsComplement(*graph);
  note = "random: " + std::to_string(kRandomSamples) +
         " draws per probability p, every mean within 5 standard deviations "
         "of " +
         (complement ? std::string("1 - p (the graph draws 1 where U > p, as "
                                   "ONNX 1.12's Bernoulli function does)")
                     : std::string("p"));
  if (probabilities.shape.size() != 1 || graph->input_size() != 1 ||
      graph->output_size() != 1)
    return "a random case the harness cannot widen (not one 1-D input)";
  int64_t n = probabilities.shape[0], wide = n * kRandomSamples;
  for (onnx::ValueInfoProto *v :
       {graph->mutable_input(0), graph->mutable_output(0)}) {
    auto *shape = v->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    shape->add_dim()->set_dim_value(wide);
  }
  std::string widened = workDir + "/wide.onnx";
  {
    std::ofstream out(widened, std::ios::binary);
    if (!(*proto)->SerializeToOstream(&out))
      return "cannot write " + widened;
  }
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + " ";
    return mlir::success();
  });
  auto imported = importOnnx(context, widened, ImportOptions());
  if (mlir::failed(imported))
    return "widened model: " + diagnostics;
  ArtifactOptions options;
  options.name = "wide";
  auto artifact = compileModel(*imported, options);
  if (!artifact)
    return "widened model: " + llvm::toString(artifact.takeError());
  std::string so = workDir + "/wide.so";
  if (auto err = writeSharedObject(*artifact, so))
    return llvm::toString(std::move(err));
  lathe_module_t *module = nullptr;
  if (lathe_module_load(ctx, so.c_str(), &module) != LATHE_OK)
    return lathe_context_last_error(ctx);
  std::vector<char> bytes;
  for (int64_t k = 0; k < kRandomSamples; ++k)
    bytes.insert(bytes.end(), probabilities.bytes.begin(),
                 probabilities.bytes.end());
  lathe_tensor_t *in = nullptr, *out = nullptr;
  lathe_tensor_wrap(ctx, lathe_dtype_t(probabilities.dtype), 1, &wide,
                    bytes.data(), &in);
  std::string why;
  if (lathe_module_run(ctx, module, "forward", &in, 1, &out, 1) != LATHE_OK) {
    why = std::string("run: ") + lathe_context_last_error(ctx);
  } else if (auto draws = conformance::readRuntimeTensor(out); !draws) {
    why = llvm::toString(draws.takeError());
  } else if (!draws->isFloat() || draws->size() != size_t(wide)) {
    why = "the widened output is not " + std::to_string(wide) + " floats";
  } else {
    for (int64_t i = 0; i < n && why.empty(); ++i) {
      double given = probabilities.floatAt(i), sum = 0;
      double p = complement ? 1 - given : given;
      for (int64_t k = 0; k < kRandomSamples; ++k) {
        double v = draws->floats[size_t(k * n + i)];
        if (v != 0.0 && v != 1.0) {
          why = "a draw is " + std::to_string(v) + ", not 0 or 1";
          break;
        }
        sum += v;
      }
      double mean = sum / double(kRandomSamples);
      double bound =
          5 * std::sqrt(p * (1 - p) / double(kRandomSamples)) + 1e-12;
      if (why.empty() && !(std::fabs(mean - p) <= bound))
        why = "the draws of p = " + std::to_string(given) + " average " +
              std::to_string(mean) + " over " + std::to_string(kRandomSamples) +
              " samples";
    }
  }
  if (out)
    lathe_tensor_destroy(out);
  lathe_tensor_destroy(in);
  lathe_module_destroy(module);
  return why;
}

/// The static shape an ONNX graph input declares, or nullopt when it is not
/// a tensor with every dimension known.
std::optional<std::vector<int64_t>> declaredShape(const onnx::TypeProto &type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto &d : type.tensor_type().shape().dim()) {
    if (!d.has_dim_value())
      return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

/// The whole run of one case, in the child process.
Outcome runCase(const std::string &caseDir, const std::string &workDir) {
  Outcome outcome;
  std::set<size_t> frozenIndices;
  std::string model = caseDir + "/model.onnx";
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    if (diagnostics.empty())
      diagnostics = d.str();
    return mlir::success();
  });
  // What a user supplies on the command line, the harness takes from the
  // first data set, one input at a time as the importer asks for it: the
  // shape of an input with symbolic dimensions (`--input-shape`), the
  // shapes of a sequence input's tensors (`--sequence-input`), and the
  // value of an input that must be known at compile time (shapes, axes,
  // slice bounds: `--freeze-input`), which then leaves the case's inputs.
  std::vector<std::string> frozen;
  std::vector<std::string> sets = sortedEntries(caseDir, "test_data_set_");
  // The types of the graph inputs (initializers aside) and outputs: a
  // sequence's data file holds a SequenceProto, one model argument per
  // tensor; an optional's an OptionalProto, an empty one compiled with
  // `--absent-input`.
  std::vector<std::string> names;
  std::vector<onnx::TypeProto> inputTypes, outputTypes;
  ImportOptions importOptions;
  if (auto proto = readOnnxFile(model)) {
    std::set<std::string> inits;
    for (const auto &init : (*proto)->graph().initializer())
      inits.insert(init.name());
    for (const auto &in : (*proto)->graph().input())
      if (!inits.count(in.name())) {
        names.push_back(in.name());
        inputTypes.push_back(in.type());
      }
    for (const auto &out : (*proto)->graph().output())
      outputTypes.push_back(out.type());
  } else {
    llvm::consumeError(proto.takeError());
  }
  if (!sets.empty()) {
    std::vector<std::string> files = sortedEntries(sets[0], "input_");
    for (size_t i = 0; i < names.size() && i < files.size(); ++i) {
      if (!inputTypes[i].has_optional_type())
        continue;
      auto data = readDataFile<TensorValue>(files[i], inputTypes[i]);
      if (data && data->empty())
        importOptions.absentInputs.insert(names[i]);
      else if (!data)
        llvm::consumeError(data.takeError());
    }
  }
  auto imported = importOnnx(context, model, importOptions);
  if (mlir::failed(imported) && !sets.empty()) {
    std::vector<std::string> files = sortedEntries(sets[0], "input_");
    while (mlir::failed(imported)) {
      // "... must be known at compile time ...: fix that with
      // --freeze-input NAME=FILE.npy", "input 'NAME' has symbolic
      // dimension ...; pass --input-shape NAME=<d0>x<d1>...", "input 'NAME'
      // is a sequence ...; pass --sequence-input NAME=<shape>,..."
      std::string hint;
      size_t at = std::string::npos;
      for (const char *h :
           {"--freeze-input ", "--input-shape ", "--sequence-input "}) {
        at = diagnostics.find(h);
        if (at != std::string::npos) {
          hint = h;
          break;
        }
      }
      bool freeze = hint == "--freeze-input " &&
                    diagnostics.find("must be known at compile time") !=
                        std::string::npos;
      size_t end = at == std::string::npos
                       ? std::string::npos
                       : diagnostics.find('=', at + hint.size());
      if (end == std::string::npos || (hint == "--freeze-input " && !freeze))
        break;
      std::string name =
          diagnostics.substr(at + hint.size(), end - at - hint.size());
      auto it = std::find(names.begin(), names.end(), name);
      size_t index = size_t(it - names.begin());
      if (it == names.end() || index >= files.size() ||
          importOptions.frozenInputs.count(name) ||
          importOptions.inputShapes.count(name) ||
          importOptions.sequenceInputs.count(name))
        break;
      auto data = readDataFile<TensorValue>(files[index], inputTypes[index]);
      if (!data || (hint != "--sequence-input " && data->size() != 1)) {
        if (!data)
          llvm::consumeError(data.takeError());
        break;
      }
      if (hint == "--sequence-input ") {
        auto &shapes = importOptions.sequenceInputs[name]; // Maybe none.
        for (const TensorValue &t : *data)
          shapes.push_back(t.shape);
      } else if (freeze) {
        const TensorValue &t = data->front();
        importOptions.frozenInputs[name] = {t.dtype, t.shape, t.bytes};
        frozen.push_back(name);
        frozenIndices.insert(index);
      } else {
        importOptions.inputShapes[name] = data->front().shape;
      }
      diagnostics.clear();
      imported = importOnnx(context, model, importOptions);
    }
  }
  if (mlir::failed(imported)) {
    outcome.status = "unsupported";
    outcome.detail = diagnostics;
    return outcome;
  }
  ArtifactOptions options;
  options.name = "model";
  auto artifact = compileModel(*imported, options);
  if (!artifact) {
    outcome.status = "fail";
    outcome.detail = "compile: " + llvm::toString(artifact.takeError()) +
                     (diagnostics.empty() ? "" : ": " + diagnostics);
    return outcome;
  }
  std::string so = workDir + "/model.so";
  if (auto err = writeSharedObject(*artifact, so)) {
    outcome.status = "fail";
    outcome.detail = llvm::toString(std::move(err));
    return outcome;
  }
  lathe_context_options_t contextOptions;
  lathe_context_options_init(&contextOptions);
  contextOptions.num_threads = 1; // The cases run in parallel already.
  lathe_context_t *ctx = nullptr;
  lathe_module_t *module = nullptr;
  lathe_context_create(&contextOptions, &ctx);
  if (lathe_module_load(ctx, so.c_str(), &module) != LATHE_OK) {
    outcome.status = "fail";
    outcome.detail = lathe_context_last_error(ctx);
    return outcome;
  }
  std::string caseName = llvm::sys::path::filename(caseDir).str();
  if (const char *defect = defectiveReference(caseName)) {
    outcome.status = "unsupported";
    outcome.detail = defect;
    lathe_module_destroy(module);
    lathe_context_destroy(ctx);
    return outcome;
  }
  auto finish = [&](const std::string &status, const std::string &detail) {
    outcome.status = status;
    outcome.detail = detail;
    lathe_module_destroy(module);
    lathe_context_destroy(ctx);
    return outcome;
  };
  bool random = randomReference(caseName);
  for (const std::string &set : sets) {
    // A sequence's tensors are consecutive arguments (results); each
    // input tensor remembers which graph input it came from.
    std::vector<TensorValue> inputs;
    std::vector<size_t> origin;
    std::vector<conformance::Reference> outputs;
    std::vector<std::string> inputFiles = sortedEntries(set, "input_");
    for (size_t i = 0; i < inputFiles.size(); ++i) {
      if (frozenIndices.count(i))
        continue;
      auto data = readDataFile<TensorValue>(
          inputFiles[i],
          i < inputTypes.size() ? inputTypes[i] : onnx::TypeProto());
      if (!data)
        return finish("unsupported",
                      "test data: " + llvm::toString(data.takeError()));
      for (TensorValue &t : *data) {
        inputs.push_back(std::move(t));
        origin.push_back(i);
      }
    }
    std::vector<std::string> outputFiles = sortedEntries(set, "output_");
    for (size_t i = 0; i < outputFiles.size(); ++i) {
      auto data = readDataFile<conformance::Reference>(
          outputFiles[i],
          i < outputTypes.size() ? outputTypes[i] : onnx::TypeProto());
      if (!data)
        return finish("unsupported",
                      "test data: " + llvm::toString(data.takeError()));
      for (conformance::Reference &t : *data)
        outputs.push_back(std::move(t));
    }
    // ONNX's backend tests store bfloat16 data as uint16 bit patterns
    // (NumPy has no bfloat16); read those as the bf16 the model declares.
    lathe_tensor_info_t declared;
    if (inputs.size() != lathe_module_num_inputs(module))
      return finish("fail",
                    "the compiled model has " +
                        std::to_string(lathe_module_num_inputs(module)) +
                        " inputs, the test data " +
                        std::to_string(inputs.size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (lathe_module_input_info(module, i, &declared) != LATHE_OK)
        return finish("fail", "no description of input " + std::to_string(i));
      if (inputs[i].dtype == DType::U16 && declared.dtype == LATHE_BF16)
        inputs[i].dtype = DType::BF16;
      std::vector<int64_t> dims(declared.dims, declared.dims + declared.rank);
      if (dims == inputs[i].shape)
        continue;
      // Data that contradicts the model file itself is the test's defect
      // (test_castlike_*BFLOAT16*: 'like' is [1], declared 3x4); a compiled
      // input that contradicts both is the importer's.
      size_t from = origin[i];
      auto file = from < inputTypes.size() ? declaredShape(inputTypes[from])
                                           : std::nullopt;
      if (file && *file != inputs[i].shape)
        return finish("unsupported",
                      "test data: input " + std::to_string(i) + " is " +
                          conformance::shapeText(inputs[i].shape) +
                          ", the model declares " +
                          conformance::shapeText(*file));
      return finish("fail", "the compiled model's input " + std::to_string(i) +
                                " is " + conformance::shapeText(dims) +
                                ", the data " +
                                conformance::shapeText(inputs[i].shape));
    }
    if (random) {
      if (inputs.size() != 1)
        return finish("unsupported", "a random case of " +
                                         std::to_string(inputs.size()) +
                                         " inputs");
      std::string note;
      std::string why = checkRandomCase(caseDir, workDir, inputs[0], ctx, note);
      if (!why.empty())
        return finish("fail", why + " (" + note + ")");
      outcome.detail = note;
      continue;
    }
    if (outputs.size() != lathe_module_num_outputs(module))
      return finish("fail",
                    "the compiled model has " +
                        std::to_string(lathe_module_num_outputs(module)) +
                        " outputs, the reference " +
                        std::to_string(outputs.size()));
    for (size_t i = 0; i < outputs.size(); ++i)
      if (lathe_module_output_info(module, i, &declared) == LATHE_OK &&
          declared.dtype == LATHE_BF16)
        conformance::reinterpretAsBfloat16(outputs[i]);
    std::vector<lathe_tensor_t *> in(inputs.size()), out(outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i)
      lathe_tensor_wrap(ctx, lathe_dtype_t(inputs[i].dtype),
                        inputs[i].shape.size(), inputs[i].shape.data(),
                        inputs[i].bytes.empty() ? (void *)""
                                                : inputs[i].bytes.data(),
                        &in[i]);
    std::vector<std::vector<char>> before;
    for (const TensorValue &t : inputs)
      before.push_back(t.bytes);
    auto release = [&] {
      for (lathe_tensor_t *t : in)
        lathe_tensor_destroy(t);
      for (lathe_tensor_t *t : out)
        if (t)
          lathe_tensor_destroy(t);
    };
    if (lathe_module_run(ctx, module, "forward", in.data(), in.size(),
                         out.data(), out.size()) != LATHE_OK) {
      std::string why = std::string("run: ") + lathe_context_last_error(ctx);
      std::fill(out.begin(), out.end(), nullptr);
      release();
      return finish("fail", why);
    }
    // The caller's inputs are never written.
    std::string why;
    for (size_t i = 0; i < inputs.size() && why.empty(); ++i)
      if (inputs[i].bytes != before[i])
        why = "the run wrote into input " + std::to_string(i);
    bool truncated = truncatedBf16Reference(caseName);
    for (size_t i = 0; i < outputs.size() && why.empty(); ++i)
      why = compareOutput(out[i], outputs[i], i, truncated, outcome);
    release();
    if (!why.empty())
      return finish("fail", why);
    if (truncated && outcome.detail.empty())
      outcome.detail = "reference truncates to bf16, Lathe rounds to nearest";
  }
  if (!frozen.empty() && frozen.size() == names.size())
    return finish("folded", "every input frozen: " + llvm::join(frozen, ", "));
  return finish("pass", outcome.detail.empty() && !frozen.empty()
                            ? "frozen inputs: " + llvm::join(frozen, ", ")
                            : outcome.detail);
}

/// One line: status \t maxAbs \t maxRel \t detail (tabs and newlines in the
/// detail replaced).
std::string encode(const Outcome &o) {
  std::string detail = o.detail;
  std::replace(detail.begin(), detail.end(), '\n', ' ');
  std::replace(detail.begin(), detail.end(), '\t', ' ');
  std::ostringstream os;
  os << o.status << "\t" << o.errors.maxAbs << "\t" << o.errors.maxRel << "\t"
     << detail;
  return os.str();
}

Outcome decode(const std::string &line) {
  Outcome o;
  std::istringstream in(line);
  std::string abs, rel;
  std::getline(in, o.status, '\t');
  std::getline(in, abs, '\t');
  std::getline(in, rel, '\t');
  std::getline(in, o.detail);
  o.errors.maxAbs = abs.empty() ? 0 : std::stod(abs);
  o.errors.maxRel = rel.empty() ? 0 : std::stod(rel);
  return o;
}

struct Running {
  pid_t pid;
  int fd;
  size_t index;
  std::string work;
};

} // namespace

int main(int argc, char **argv) {
  int jobs = int(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::string filter, tablePath, dataDir;
  long minPassed = -1;
  std::vector<std::string> suites;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--jobs" && i + 1 < argc)
      jobs = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (arg == "--table" && i + 1 < argc)
      tablePath = argv[++i];
    else if (arg == "--min-passed" && i + 1 < argc)
      minPassed = std::atol(argv[++i]);
    else if (dataDir.empty())
      dataDir = arg;
    else
      suites.push_back(arg);
  }
  if (dataDir.empty()) {
    std::cerr << "usage: lathe-conformance [--jobs N] [--filter S] [--table F] "
                 "[--min-passed N] DATA_DIR [SUITE...]\n";
    return 2;
  }
  if (suites.empty())
    suites = {"node", "pytorch-converted", "pytorch-operator", "simple"};

  struct Case {
    std::string suite, name, dir;
    Outcome outcome;
  };
  std::vector<Case> cases;
  for (const std::string &suite : suites)
    for (const std::string &dir : sortedEntries(dataDir + "/" + suite, "")) {
      std::string name = llvm::sys::path::filename(dir).str();
      if (!llvm::sys::fs::exists(dir + "/model.onnx"))
        continue;
      if (!filter.empty() && name.find(filter) == std::string::npos)
        continue;
      cases.push_back({suite, name, dir, {}});
    }

  llvm::SmallString<128> workRoot;
  if (llvm::sys::fs::createUniqueDirectory("lathe-conformance", workRoot)) {
    std::cerr << "lathe-conformance: cannot create a work folder\n";
    return 2;
  }

  std::vector<Running> running;
  size_t next = 0;
  auto reap = [&](bool block) {
    for (size_t r = 0; r < running.size();) {
      int status = 0;
      pid_t done = waitpid(running[r].pid, &status, block ? 0 : WNOHANG);
      if (done == 0) {
        ++r;
        continue;
      }
      std::string line;
      char buf[4096];
      ssize_t n;
      while ((n = read(running[r].fd, buf, sizeof(buf))) > 0)
        line.append(buf, size_t(n));
      close(running[r].fd);
      Outcome &o = cases[running[r].index].outcome;
      if (WIFSIGNALED(status)) {
        o.status = "fail";
        o.detail = std::string("crashed: ") + strsignal(WTERMSIG(status));
      } else if (line.empty()) {
        o.status = "fail";
        o.detail = "exited without a result";
      } else {
        o = decode(line);
      }
      llvm::sys::fs::remove_directories(running[r].work);
      running.erase(running.begin() + long(r));
      block = false;
    }
  };
  while (next < cases.size() || !running.empty()) {
    while (next < cases.size() && int(running.size()) < jobs) {
      std::string work = (workRoot + "/" + std::to_string(next)).str();
      llvm::sys::fs::create_directories(work);
      int fds[2];
      if (pipe(fds) != 0) {
        std::cerr << "lathe-conformance: pipe failed\n";
        return 2;
      }
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        Outcome o = runCase(cases[next].dir, work);
        std::string line = encode(o);
        ssize_t unused = write(fds[1], line.data(), line.size());
        (void)unused;
        _exit(0);
      }
      close(fds[1]);
      running.push_back({pid, fds[0], next, work});
      ++next;
    }
    // Drain pipes while waiting so that a long detail cannot block a child.
    reap(running.size() >= size_t(jobs) || next >= cases.size());
  }
  llvm::sys::fs::remove_directories(workRoot);

  std::ostringstream table;
  std::map<std::string, std::map<std::string, int>> totals;
  table << "| suite | test | status | max abs err | max rel err | detail |\n"
        << "|---|---|---|---|---|---|\n";
  for (const Case &c : cases) {
    ++totals[c.suite][c.outcome.status];
    table << "| " << c.suite << " | " << c.name << " | " << c.outcome.status
          << " | " << c.outcome.errors.maxAbs << " | "
          << c.outcome.errors.maxRel << " | " << c.outcome.detail << " |\n";
  }
  // Unknown statuses cannot occur (every path of runCase and reap sets one
  // of kStatuses), but would be counted as failures rather than lost.
  std::map<std::string, int> all;
  std::ostringstream summary;
  summary << "\n| suite";
  for (auto [status, title] : kStatuses)
    summary << " | " << title;
  summary << " | total |\n|---|---|---|---|---|---|\n";
  for (auto &[suite, counts] : totals) {
    int total = 0;
    for (auto &[status, n] : counts) {
      total += n;
      all[status] += n;
      bool known = false;
      for (auto [s, title] : kStatuses)
        known |= status == s;
      if (!known)
        all["fail"] += n;
    }
    summary << "| " << suite;
    for (auto [status, title] : kStatuses)
      summary << " | " << counts[status];
    summary << " | " << total << " |\n";
  }
  int total = 0;
  summary << "| all";
  for (auto [status, title] : kStatuses) {
    summary << " | " << all[status];
    total += all[status];
  }
  summary << " | " << total << " |\n";
  if (!tablePath.empty()) {
    std::ofstream(tablePath) << table.str() << summary.str();
  } else {
    std::cout << table.str();
  }
  std::cout << summary.str();
  for (const Case &c : cases)
    if (c.outcome.status == "fail")
      std::cout << "FAIL " << c.suite << "/" << c.name << ": "
                << c.outcome.detail << "\n";
  int passed = all["pass"], failed = all["fail"];
  bool ok = failed == 0 && (minPassed < 0 || passed >= minPassed);
  if (minPassed >= 0 && passed < minPassed)
    std::cout << "passed " << passed << " is below the recorded minimum "
              << minPassed << "\n";
  std::cout << passed << " passed, " << all["folded"]
            << " passed folded at compile time, " << failed << " failed, "
            << all["unsupported"] << " unsupported\n";
  return ok ? 0 : 1;
}
