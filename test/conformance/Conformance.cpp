// lathe-conformance: runs the ONNX backend test data through the whole
// compiler (import, compile, link, load, run) and compares with the stored
// outputs. Prints one row per case and the totals per suite.
//
// Usage: lathe-conformance [--jobs N] [--filter SUBSTRING] [--table FILE]
//                          [--min-passed N] DATA_DIR [SUITE...]
// DATA_DIR holds suites (node, pytorch-converted, ...) of case folders with
// model.onnx and test_data_set_*/{input,output}_*.pb. Each case runs in a
// child process, so that a crash is a failed case, not a failed run.
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
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace lathe;

// ONNX's backend tolerances (onnx/backend/test/runner).
constexpr double kRtol = 1e-3, kAtol = 1e-7;

struct Outcome {
  std::string status; ///< pass, fail, unsupported
  std::string detail;
  double maxAbs = 0, maxRel = 0;
};

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

/// Reads a serialized TensorProto.
llvm::Expected<TensorValue> readTensorFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  onnx::TensorProto proto;
  if (!in || !proto.ParseFromIstream(&in))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot read " + path);
  return decodeTensor(proto, llvm::sys::path::parent_path(path).str());
}

/// The tensors of a TensorProto, a SequenceProto of tensors, or an
/// OptionalProto holding either (none when it is empty), as |type| says.
llvm::Expected<std::vector<TensorValue>>
tensorsOf(const onnx::TypeProto &type, const onnx::TensorProto *tensor,
          const onnx::SequenceProto *sequence,
          const onnx::OptionalProto *optional, const std::string &dir) {
  auto fail = [](const std::string &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  std::vector<TensorValue> tensors;
  auto add = [&](const onnx::TensorProto &t) -> llvm::Error {
    auto value = decodeTensor(t, dir);
    if (!value)
      return value.takeError();
    tensors.push_back(std::move(*value));
    return llvm::Error::success();
  };
  if (type.has_optional_type()) {
    if (optional->has_tensor_value())
      return tensorsOf(type.optional_type().elem_type(),
                       &optional->tensor_value(), nullptr, nullptr, dir);
    if (optional->has_sequence_value())
      return tensorsOf(type.optional_type().elem_type(), nullptr,
                       &optional->sequence_value(), nullptr, dir);
    return tensors; // An empty optional.
  }
  if (type.has_sequence_type()) {
    if (!sequence || sequence->elem_type() != onnx::SequenceProto::TENSOR)
      return fail("not a sequence of tensors");
    for (const auto &t : sequence->tensor_values())
      if (auto err = add(t))
        return std::move(err);
    return tensors;
  }
  if (!tensor)
    return fail("not a tensor");
  if (auto err = add(*tensor))
    return std::move(err);
  return tensors;
}

/// Reads a test-data file holding a value of |type|: a serialized
/// TensorProto, SequenceProto or OptionalProto. Returns its tensors in
/// order (a sequence's are consecutive arguments or results).
llvm::Expected<std::vector<TensorValue>>
readDataFile(const std::string &path, const onnx::TypeProto &type) {
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
  auto tensors = tensorsOf(type, &tensor, &sequence, &optional,
                           llvm::sys::path::parent_path(path).str());
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
/// so only the shape, the element type and the support of the distribution
/// ({0, 1} for Bernoulli) can be compared.
bool randomReference(const std::string &caseName) {
  return caseName.find("bernoulli") != std::string::npos;
}

/// |got| as a TensorValue when its shape and type are |want|'s; nullopt
/// (with the reason in |outcome|) otherwise.
std::optional<TensorValue> readOutput(const lathe_tensor_t *got,
                                      const TensorValue &want, Outcome &outcome,
                                      const std::string &name) {
  lathe_tensor_info_t info;
  lathe_tensor_info(got, &info);
  std::vector<int64_t> dims(info.dims, info.dims + info.rank);
  if (dims != want.shape || int(info.dtype) != int(want.dtype)) {
    outcome.detail = "output " + name + " has the wrong shape or type";
    return std::nullopt;
  }
  TensorValue g;
  g.dtype = want.dtype;
  g.shape = dims;
  const char *data = static_cast<const char *>(lathe_tensor_data(got));
  g.bytes.assign(data, data + lathe_tensor_num_bytes(got));
  return g;
}

/// Checks |got| against |want| for a random case: shape, type, and every
/// value 0 or 1.
bool compareSupport(const lathe_tensor_t *got, const TensorValue &want,
                    Outcome &outcome, const std::string &name) {
  std::optional<TensorValue> read = readOutput(got, want, outcome, name);
  if (!read)
    return false;
  const TensorValue &g = *read;
  for (int64_t i = 0; i < g.numElements(); ++i)
    if (g.floatAt(i) != 0.0 && g.floatAt(i) != 1.0) {
      outcome.detail = "output " + name + " holds a value other than 0 or 1";
      return false;
    }
  outcome.detail = "random: compared shape, type and support only";
  return true;
}

/// Compares bf16 |got| with a truncated bf16 |want| (see
/// truncatedBf16Reference): each element equal or one step away from zero.
bool compareTruncatedBf16(const lathe_tensor_t *got, const TensorValue &want,
                          Outcome &outcome, const std::string &name) {
  std::optional<TensorValue> read = readOutput(got, want, outcome, name);
  if (!read)
    return false;
  for (int64_t i = 0; i < want.numElements(); ++i) {
    uint16_t g, w;
    std::memcpy(&g, read->bytes.data() + 2 * i, 2);
    std::memcpy(&w, want.bytes.data() + 2 * i, 2);
    bool nan = std::isnan(want.floatAt(i));
    if (nan ? !std::isnan(read->floatAt(i)) : (g != w && g != w + 1)) {
      outcome.detail = "output " + name +
                       " differs from the reference by "
                       "more than the rounding";
      return false;
    }
    double err = std::fabs(read->floatAt(i) - want.floatAt(i));
    if (!nan && !std::isinf(err)) {
      outcome.maxAbs = std::max(outcome.maxAbs, err);
      if (want.floatAt(i) != 0)
        outcome.maxRel =
            std::max(outcome.maxRel, err / std::fabs(want.floatAt(i)));
    }
  }
  outcome.detail = "reference truncates to bf16, Lathe rounds to nearest";
  return true;
}

/// Compares |got| (a runtime tensor) with |want|; fills max errors.
bool compare(const lathe_tensor_t *got, const TensorValue &want,
             Outcome &outcome, const std::string &name) {
  std::optional<TensorValue> read = readOutput(got, want, outcome, name);
  if (!read)
    return false;
  const TensorValue &g = *read;
  bool isFloat = isFloatDType(want.dtype);
  bool ok = true;
  for (int64_t i = 0; i < want.numElements(); ++i) {
    if (!isFloat) {
      if (g.intAt(i) != want.intAt(i))
        ok = false;
      continue;
    }
    double a = g.floatAt(i), b = want.floatAt(i);
    if (std::isnan(a) && std::isnan(b))
      continue;
    if (std::isinf(a) || std::isinf(b)) {
      ok &= a == b;
      continue;
    }
    double err = std::fabs(a - b);
    outcome.maxAbs = std::max(outcome.maxAbs, err);
    if (b != 0)
      outcome.maxRel = std::max(outcome.maxRel, err / std::fabs(b));
    if (!(err <= kAtol + kRtol * std::fabs(b)))
      ok = false;
  }
  if (!ok)
    outcome.detail = "output " + name + " differs from the reference";
  return ok;
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
      auto data = readDataFile(files[i], inputTypes[i]);
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
      auto data = readDataFile(files[index], inputTypes[index]);
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
  outcome.status = "pass";
  for (const std::string &set : sets) {
    std::vector<TensorValue> inputs, outputs;
    // A sequence's tensors are consecutive arguments (results).
    auto read = [&](const std::vector<std::string> &files,
                    const std::vector<onnx::TypeProto> &types,
                    std::vector<TensorValue> &into) {
      for (size_t i = 0; i < files.size(); ++i) {
        if (&into == &inputs && frozenIndices.count(i))
          continue;
        auto data = readDataFile(
            files[i], i < types.size() ? types[i] : onnx::TypeProto());
        if (!data) {
          outcome.status = "unsupported";
          outcome.detail = "test data: " + llvm::toString(data.takeError());
          return false;
        }
        for (TensorValue &t : *data)
          into.push_back(std::move(t));
      }
      return true;
    };
    if (!read(sortedEntries(set, "input_"), inputTypes, inputs) ||
        !read(sortedEntries(set, "output_"), outputTypes, outputs))
      return outcome;
    // ONNX's backend tests store bfloat16 data as uint16 bit patterns
    // (NumPy has no bfloat16); read those as the bf16 the model declares.
    // A data set that contradicts the model's declared input shapes is the
    // test's defect (test_castlike_*BFLOAT16*: 'like' is [1], declared 3x4).
    lathe_tensor_info_t declared;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (lathe_module_input_info(module, i, &declared) != LATHE_OK)
        continue;
      if (inputs[i].dtype == DType::U16 && declared.dtype == LATHE_BF16)
        inputs[i].dtype = DType::BF16;
      if (std::vector<int64_t>(declared.dims, declared.dims + declared.rank) !=
          inputs[i].shape) {
        outcome.status = "unsupported";
        outcome.detail = "test data: input " + std::to_string(i) +
                         " has another shape than the model declares";
        lathe_module_destroy(module);
        lathe_context_destroy(ctx);
        return outcome;
      }
    }
    for (size_t i = 0; i < outputs.size(); ++i)
      if (outputs[i].dtype == DType::U16 &&
          lathe_module_output_info(module, i, &declared) == LATHE_OK &&
          declared.dtype == LATHE_BF16)
        outputs[i].dtype = DType::BF16;
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
    if (lathe_module_run(ctx, module, "forward", in.data(), in.size(),
                         out.data(), out.size()) != LATHE_OK) {
      outcome.status = "fail";
      outcome.detail = std::string("run: ") + lathe_context_last_error(ctx);
      return outcome;
    }
    // The caller's inputs are never written.
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].bytes != before[i]) {
        outcome.status = "fail";
        outcome.detail = "the run wrote into input " + std::to_string(i);
        return outcome;
      }
    bool random = randomReference(caseName);
    for (size_t i = 0; i < outputs.size(); ++i) {
      std::string name = std::to_string(i);
      bool ok =
          random ? compareSupport(out[i], outputs[i], outcome, name)
          : outputs[i].dtype == DType::BF16 && truncatedBf16Reference(caseName)
              ? compareTruncatedBf16(out[i], outputs[i], outcome, name)
              : compare(out[i], outputs[i], outcome, name);
      if (!ok)
        outcome.status = "fail";
      lathe_tensor_destroy(out[i]);
    }
    for (lathe_tensor_t *t : in)
      lathe_tensor_destroy(t);
  }
  lathe_module_destroy(module);
  lathe_context_destroy(ctx);
  if (!frozen.empty() && outcome.detail.empty())
    outcome.detail = "frozen inputs: " + llvm::join(frozen, ", ");
  return outcome;
}

/// One line: status \t maxAbs \t maxRel \t detail (tabs and newlines in the
/// detail replaced).
std::string encode(const Outcome &o) {
  std::string detail = o.detail;
  std::replace(detail.begin(), detail.end(), '\n', ' ');
  std::replace(detail.begin(), detail.end(), '\t', ' ');
  std::ostringstream os;
  os << o.status << "\t" << o.maxAbs << "\t" << o.maxRel << "\t" << detail;
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
  o.maxAbs = abs.empty() ? 0 : std::stod(abs);
  o.maxRel = rel.empty() ? 0 : std::stod(rel);
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
          << " | " << c.outcome.maxAbs << " | " << c.outcome.maxRel << " | "
          << c.outcome.detail << " |\n";
  }
  int passed = 0, failed = 0, unsupported = 0;
  std::ostringstream summary;
  summary << "\n| suite | passed | failed | unsupported | total |\n"
          << "|---|---|---|---|---|\n";
  for (auto &[suite, counts] : totals) {
    int p = counts["pass"], f = counts["fail"], u = counts["unsupported"];
    summary << "| " << suite << " | " << p << " | " << f << " | " << u << " | "
            << p + f + u << " |\n";
    passed += p;
    failed += f;
    unsupported += u;
  }
  summary << "| all | " << passed << " | " << failed << " | " << unsupported
          << " | " << passed + failed + unsupported << " |\n";
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
  bool ok = failed == 0 && (minPassed < 0 || passed >= minPassed);
  if (minPassed >= 0 && passed < minPassed)
    std::cout << "passed " << passed << " is below the recorded minimum "
              << minPassed << "\n";
  std::cout << passed << " passed, " << failed << " failed, " << unsupported
            << " skipped\n";
  return ok ? 0 : 1;
}
