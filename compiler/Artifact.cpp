// Code generation: lowering, LLVM IR entry points, descriptor, object, header.
#include "compiler/Artifact.h"

#include "compiler/Pipeline.h"
#include "compiler/graph/Weights.h"
#include "compiler/targets/Target.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <sstream>

using namespace mlir;

namespace lathe {

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

uint64_t fnv1a64(llvm::ArrayRef<char> data) {
  return descriptor::fnv1a64(data.data(), data.size());
}

bool isCIdentifier(llvm::StringRef name) {
  if (name.empty() || !(isalpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name, [](char c) { return isalnum(c) || c == '_'; });
}

static llvm::Expected<TensorSpec> specOf(Type type, StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return error("'" + name + "' does not have a static tensor type");
  auto dtype = dtypeOf(tensor.getElementType());
  if (!dtype)
    return error("'" + name +
                 "' has an element type the artifact ABI does "
                 "not support");
  TensorSpec spec;
  spec.name = name.str();
  spec.dtype = *dtype;
  spec.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return spec;
}

const EntrySignature *Signature::entry(const std::string &name) const {
  for (const auto &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

/// The entry points a module may define, in descriptor order, and their
/// kinds: the one place that maps the compiler's function names to what
/// the runtime and the descriptor know them as.
static const std::pair<const char *, descriptor::EntryKind> kEntries[] = {
    {"forward", descriptor::EntryKind::Infer},
    {"eval_step", descriptor::EntryKind::Evaluate},
    {"gradient", descriptor::EntryKind::Gradient},
    {"train_step", descriptor::EntryKind::Update}};

/// Reads one entry function's arguments and results into |entry|, adding
/// optimizer state to |sig| as train_step declares it.
static llvm::Error readEntry(func::FuncOp func, Signature &sig,
                             EntrySignature &entry) {
  std::string where = "@" + entry.name;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    Type type = func.getArgument(i).getType();
    if (auto name = func.getArgAttrOfType<StringAttr>(i, kInputAttr)) {
      auto spec = specOf(type, name.getValue());
      if (!spec)
        return spec.takeError();
      entry.args.push_back({Slot::Input, entry.inputs.size()});
      entry.inputs.push_back(std::move(*spec));
    } else if (auto name = func.getArgAttrOfType<StringAttr>(i, kParamAttr)) {
      auto it = llvm::find_if(sig.params, [&](const TensorSpec &p) {
        return p.name == name.getValue();
      });
      if (it == sig.params.end())
        return error(where + " takes parameter '" + name.getValue() +
                     "', which @forward does not");
      entry.args.push_back({Slot::Param, size_t(it - sig.params.begin())});
    } else if (auto name = func.getArgAttrOfType<StringAttr>(i, kStateAttr)) {
      auto spec = specOf(type, name.getValue());
      if (!spec)
        return spec.takeError();
      if (auto init = func.getArgAttrOfType<FloatAttr>(i, kStateInitAttr))
        spec->init = init.getValueAsDouble();
      sig.stateBytes = llvm::alignTo(sig.stateBytes, kWeightAlignment);
      spec->offset = sig.stateBytes;
      sig.stateBytes += spec->numElements() * dtypeSize(spec->dtype);
      entry.args.push_back({Slot::State, sig.state.size()});
      sig.state.push_back(std::move(*spec));
    } else if (auto name = func.getArgAttrOfType<StringAttr>(i, kHyperAttr)) {
      entry.args.push_back({Slot::Hyper, entry.hyper.size()});
      entry.hyper.push_back(name.str());
    } else {
      return error("argument " + llvm::Twine(i) + " of " + where +
                   " is neither an input nor a parameter");
    }
  }
  size_t newState = 0;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    Type type = func.getResultTypes()[i];
    auto named = [&](const char *attr) {
      return func.getResultAttrOfType<StringAttr>(i, attr);
    };
    if (auto name = named(kParamAttr)) {
      auto it = llvm::find_if(sig.params, [&](const TensorSpec &p) {
        return p.name == name.getValue();
      });
      if (it == sig.params.end())
        return error(where + " updates an unknown parameter");
      entry.results.push_back(
          {Slot::NewParam, size_t(it - sig.params.begin())});
      continue;
    }
    if (named(kStateAttr)) {
      entry.results.push_back({Slot::NewState, newState++});
      continue;
    }
    std::string name = "output";
    if (auto n = named(kOutputAttr))
      name = n.str();
    else if (auto n = named(kGradAttr))
      name = "grad:" + n.str();
    else if (auto n = named(kInputGradAttr))
      name = "grad:" + n.str();
    auto spec = specOf(type, name);
    if (!spec)
      return spec.takeError();
    entry.results.push_back({Slot::Output, entry.outputs.size()});
    entry.outputs.push_back(std::move(*spec));
  }
  return llvm::Error::success();
}

llvm::Expected<Signature> readSignature(const Model &model) {
  ModuleOp module = model.module.get();
  auto func = module.lookupSymbol<func::FuncOp>("forward");
  if (!func)
    return error("the module has no @forward function");
  Signature sig;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    Type type = func.getArgument(i).getType();
    if (func.getArgAttrOfType<StringAttr>(i, kInputAttr)) {
      if (!sig.params.empty())
        return error("inputs must precede parameters in @forward");
    } else if (auto name = func.getArgAttrOfType<StringAttr>(i, kParamAttr)) {
      auto spec = specOf(type, name.getValue());
      if (!spec)
        return spec.takeError();
      sig.weightBytes = llvm::alignTo(sig.weightBytes, kWeightAlignment);
      spec->offset = sig.weightBytes;
      sig.weightBytes += spec->numElements() * dtypeSize(spec->dtype);
      sig.params.push_back(std::move(*spec));
    } else {
      return error("argument " + llvm::Twine(i) +
                   " of @forward is neither an input nor a parameter");
    }
  }
  for (auto [name, kind] : kEntries) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f)
      continue;
    EntrySignature entry;
    entry.name = name;
    entry.kind = kind;
    if (auto err = readEntry(f, sig, entry))
      return err;
    sig.entries.push_back(std::move(entry));
  }
  sig.inputs = sig.entries.front().inputs;
  sig.outputs = sig.entries.front().outputs;
  if (auto criterion = module->getAttrOfType<StringAttr>(kCriterionAttr))
    sig.criterion = criterion.getValue().str();
  if (auto ignore = module->getAttrOfType<IntegerAttr>(kIgnoreIndexAttr))
    sig.ignoreIndex = ignore.getInt();
  if (auto lbfgs = module->getAttrOfType<StringAttr>(kLbfgsAttr))
    sig.lbfgs = lbfgs.getValue().str();
  return sig;
}

/// |text| inside a C comment of the generated header: escaped as in the
/// descriptor, and every '/' next to a '*' as %2F, so that a name neither
/// ends the comment nor opens one within it.
static std::string commentText(const std::string &text) {
  std::string escaped = descriptor::escapeField(text), out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    bool nearStar = (i > 0 && escaped[i - 1] == '*') ||
                    (i + 1 < escaped.size() && escaped[i + 1] == '*');
    if (escaped[i] == '/' && nearStar)
      out += "%2F";
    else
      out += escaped[i];
  }
  return out;
}

static std::string shapeText(const TensorSpec &t) {
  std::string s;
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(t.shape[i]);
  return s.empty() ? "scalar" : s;
}

/// The descriptor text: one record a line, space-separated fields; names are
/// the last field of their line so they may hold spaces.
static std::string descriptorText(const Signature &sig,
                                  const ArtifactOptions &options,
                                  const Target &target, uint64_t weightsHash) {
  std::ostringstream os;
  os << descriptor::kMagic << " " << descriptor::kVersion << "\n";
  os << "name " << options.name << "\n";
  os << "target " << target.description() << "\n";
  if (std::vector<std::string> features = target.cpuFeatures();
      !features.empty()) {
    os << "cpu-features";
    for (const std::string &f : features)
      os << " " << f;
    os << "\n";
  }
  if (options.externalWeights)
    os << "weights external " << sig.weightBytes << " " << std::hex
       << weightsHash << std::dec << " "
       << descriptor::escapeField(options.weightsFileName) << "\n";
  else
    os << "weights embedded " << sig.weightBytes << " " << std::hex
       << weightsHash << std::dec << "\n";
  if (!sig.state.empty() || sig.entry("train_step"))
    os << "state " << sig.stateBytes << "\n";
  os << "scratch " << sig.scratchBytes << "\n";
  if (!sig.criterion.empty())
    os << "criterion " << sig.ignoreIndex << " "
       << descriptor::escapeField(sig.criterion) << "\n";
  if (!sig.lbfgs.empty())
    os << "lbfgs " << sig.lbfgs << "\n";
  for (const auto &t : sig.params)
    os << "param " << dtypeName(t.dtype) << " " << shapeText(t) << " "
       << t.offset << " " << descriptor::escapeField(t.name) << "\n";
  for (const auto &t : sig.state)
    os << "state-tensor " << dtypeName(t.dtype) << " " << shapeText(t) << " "
       << t.offset << " " << t.init << " " << descriptor::escapeField(t.name)
       << "\n";
  for (const auto &e : sig.entries) {
    os << "entry " << e.name << " " << descriptor::entryKindName(e.kind)
       << "\n";
    for (const auto &h : e.hyper)
      os << "hyper " << h << "\n";
    for (const auto &t : e.inputs)
      os << "input " << dtypeName(t.dtype) << " " << shapeText(t) << " "
         << descriptor::escapeField(t.name) << "\n";
    for (const auto &t : e.outputs)
      os << "output " << dtypeName(t.dtype) << " " << shapeText(t) << " "
         << descriptor::escapeField(t.name) << "\n";
  }
  return os.str();
}

/// The ABI declarations (lathe/abi.h), carried by every generated header.
#include "compiler/AbiHeader.inc"

/// The one parameter list of every entry point (lathe_entry_fn).
static const char kEntryParameters[] =
    "(void *params, void *state,\n"
    "    const double *hyper, void *const *inputs, void *const *outputs,\n"
    "    void *scratch, const lathe_env_t *env);\n\n";

static const char *cTypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "float";
  case DType::F64:
    return "double";
  case DType::I32:
    return "int32_t";
  case DType::I64:
    return "int64_t";
  case DType::I8:
    return "int8_t";
  case DType::I16:
    return "int16_t";
  case DType::U8:
  case DType::Bool:
    return "uint8_t";
  // 16-bit floats as their bit patterns: C has no portable half type.
  case DType::U16:
  case DType::F16:
  case DType::BF16:
    return "uint16_t";
  case DType::U32:
    return "uint32_t";
  case DType::U64:
    return "uint64_t";
  }
  return "void";
}

static std::string headerText(const Signature &sig,
                              const ArtifactOptions &options,
                              const std::string &target) {
  std::string upper = llvm::StringRef(options.name).upper();
  std::ostringstream os;
  os << "/* " << options.name << ".h: generated by lathe; do not edit.\n"
     << " * Target: " << target << " */\n"
     << "#ifndef " << upper << "_LATHE_H\n#define " << upper
     << "_LATHE_H\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern "
        "\"C\" {\n#endif\n\n"
     << kAbiHeaderText << "\n";
  auto list = [&](const char *what, const std::vector<TensorSpec> &ts) {
    os << "/* " << what << ", in order (row-major, C types):\n";
    for (size_t i = 0; i < ts.size(); ++i)
      os << " *   [" << i << "] " << commentText(ts[i].name) << ": "
         << cTypeName(ts[i].dtype) << "[" << ts[i].numElements() << "], shape "
         << shapeText(ts[i]) << "\n";
    os << " */\n";
  };
  list("Inputs", sig.inputs);
  list("Outputs", sig.outputs);
  os << "enum {\n  " << upper << "_NUM_INPUTS = " << sig.inputs.size()
     << ",\n  " << upper << "_NUM_OUTPUTS = " << sig.outputs.size() << "\n};\n";
  for (size_t i = 0; i < sig.inputs.size(); ++i)
    os << "#define " << upper << "_INPUT" << i << "_ELEMENTS "
       << sig.inputs[i].numElements() << "\n";
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    os << "#define " << upper << "_OUTPUT" << i << "_ELEMENTS "
       << sig.outputs[i].numElements() << "\n";
  os << "#define " << upper << "_WEIGHT_BYTES " << sig.weightBytes << "u\n";
  os << "#define " << upper << "_SCRATCH_BYTES " << sig.scratchBytes << "u\n\n";
  os << "/* Every entry point below has the ABI's one signature (see\n"
        " * lathe_entry_fn above) and returns one of its LATHE_ENTRY_ codes.\n";
  if (options.externalWeights)
    os << " * |params|: the contents of "
       << commentText(options.weightsFileName) << " (" << sig.weightBytes
       << " bytes) at a 64-byte aligned address; it must not be NULL. */\n";
  else
    os << " * |params|: NULL for the weights embedded in the object. */\n";
  os << "/* |env|: NULL runs on the calling thread; otherwise the call runs\n"
        " * its parallel loops through env->parallel_for, and takes its\n"
        " * arena from env->alloc when |scratch| is NULL. */\n";
  os << "/* |scratch|: " << upper
     << "_SCRATCH_BYTES bytes, 64-byte aligned,\n"
        " * for every intermediate buffer (the static memory plan); reuse it\n"
        " * across calls, one per concurrent call. NULL: the call mallocs it. "
        "*/\n"
     << "/* forward (kind infer): runs the model; inputs[i] and outputs[i]\n"
        " * point to caller-owned buffers of the sizes above; |state| and\n"
        " * |hyper| are unused (NULL). No global state: concurrent calls\n"
        " * with distinct scratch buffers are safe. */\n"
     << "int32_t " << options.name << "_forward" << kEntryParameters;
  for (const auto &e : sig.entries) {
    if (e.name == "forward")
      continue;
    std::string upperEntry = llvm::StringRef(e.name).upper();
    os << "/* " << e.name << ": inputs, in order:\n";
    for (size_t i = 0; i < e.inputs.size(); ++i)
      os << " *   [" << i << "] " << commentText(e.inputs[i].name) << ": "
         << cTypeName(e.inputs[i].dtype) << "[" << e.inputs[i].numElements()
         << "], shape " << shapeText(e.inputs[i]) << "\n";
    os << " * outputs, in order:\n";
    for (size_t i = 0; i < e.outputs.size(); ++i)
      os << " *   [" << i << "] " << commentText(e.outputs[i].name) << ": "
         << cTypeName(e.outputs[i].dtype) << "[" << e.outputs[i].numElements()
         << "], shape " << shapeText(e.outputs[i]) << "\n";
    os << " */\n#define " << upper << "_" << upperEntry << "_NUM_INPUTS "
       << e.inputs.size() << "\n#define " << upper << "_" << upperEntry
       << "_NUM_OUTPUTS " << e.outputs.size() << "\n";
    const char *kind = descriptor::entryKindName(e.kind);
    if (e.updates()) {
      os << "#define " << upper << "_STATE_BYTES " << sig.stateBytes << "u\n"
         << "/* " << e.name << " (kind " << kind
         << "): one training step (forward, loss,\n"
            " * backward, optimizer update): |params| (the weights blob's\n"
            " * layout, "
         << upper << "_WEIGHT_BYTES, 64-byte aligned) and |state| (" << upper
         << "_STATE_BYTES,\n"
            " * the optimizer's buffers, laid out and initialized as the\n"
            " * descriptor's state-tensor lines say) are updated in place;\n"
            " * hyper[] holds the descriptor's hyper values in order (lr, the\n"
            " * 1-based step, ...). */\n";
    } else {
      os << "/* " << e.name << " (kind " << kind
         << "): like forward, with the inputs and outputs\n"
            " * above; |params| may be trained parameters in the blob's\n"
            " * layout"
         << (e.hyper.empty() ? ""
                             : "; hyper[0] is the 1-based step number whose "
                               "dropout masks it draws")
         << ". */\n";
    }
    os << "int32_t " << options.name << "_" << e.name << kEntryParameters;
  }
  os << "/* The artifact's descriptor (format: lathe docs/artifact.md). */\n"
     << "extern const char " << options.name << "_descriptor[];\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return os.str();
}

/// Describes each lowered entry function (LLVM dialect) for
/// lathe-define-entry-points: where each of its pointers comes from, the
/// arena, and for train_step where the new blobs land; with |embedded|,
/// declares the weights global that stands in for a NULL params pointer
/// (its bytes are set after translation).
static llvm::Error describeEntries(ModuleOp module, const Signature &sig,
                                   const ArtifactOptions &options,
                                   bool embedded) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  std::string weightsName = options.name + "_weights";
  if (embedded) {
    b.setInsertionPointToStart(module.getBody());
    auto type = LLVM::LLVMArrayType::get(b.getI8Type(), sig.weightBytes);
    LLVM::GlobalOp::create(b, module.getLoc(), type, /*isConstant=*/true,
                           LLVM::Linkage::External, weightsName, Attribute(),
                           kWeightAlignment);
  }
  // train_step's new parameters and state follow the memory plan.
  uint64_t newParams = sig.planBytes;
  uint64_t newState =
      newParams + llvm::alignTo(sig.weightBytes, kWeightAlignment);
  for (const EntrySignature &entry : sig.entries) {
    auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(entry.name);
    if (!f)
      return error("the lowered module has no " + entry.name + " function");
    auto source = [&](const char *kind, uint64_t value) -> Attribute {
      return b.getStringAttr(std::string(kind) + " " + std::to_string(value));
    };
    SmallVector<Attribute> args, results;
    for (auto [slot, i] : entry.args)
      switch (slot) {
      case Slot::Input:
        args.push_back(source("input", i));
        break;
      case Slot::Param:
        args.push_back(source("param", sig.params[i].offset));
        break;
      case Slot::State:
        args.push_back(source("state", sig.state[i].offset));
        break;
      case Slot::Hyper:
        args.push_back(source("hyper", i));
        break;
      default:
        return error("internal error: a result slot among arguments");
      }
    for (auto [slot, i] : entry.results)
      switch (slot) {
      case Slot::Output:
        results.push_back(source("output", i));
        break;
      case Slot::NewParam:
        results.push_back(source("arena", newParams + sig.params[i].offset));
        break;
      case Slot::NewState:
        results.push_back(source("arena", newState + sig.state[i].offset));
        break;
      default:
        return error("internal error: an argument slot among results");
      }
    NamedAttrList d;
    d.append("symbol", b.getStringAttr(options.name + "_" + entry.name));
    d.append("args", b.getArrayAttr(args));
    d.append("results", b.getArrayAttr(results));
    d.append("arena_bytes", b.getI64IntegerAttr(int64_t(sig.scratchBytes)));
    d.append("arena_alignment", b.getI64IntegerAttr(kWeightAlignment));
    // Embedded weights stand in for NULL ones, except where the step
    // writes them.
    if (embedded && !entry.updates())
      d.append("weights", FlatSymbolRefAttr::get(ctx, weightsName));
    if (entry.updates())
      d.append(
          "update",
          b.getDictionaryAttr(
              {b.getNamedAttr("weights_at",
                              b.getI64IntegerAttr(int64_t(newParams))),
               b.getNamedAttr("weight_bytes",
                              b.getI64IntegerAttr(int64_t(sig.weightBytes))),
               b.getNamedAttr("state_at",
                              b.getI64IntegerAttr(int64_t(newState))),
               b.getNamedAttr("state_bytes",
                              b.getI64IntegerAttr(int64_t(sig.stateBytes)))}));
    f->setAttr(kEntryAttr, d.getDictionary(ctx));
  }
  return llvm::Error::success();
}

TargetOptions targetOptionsOf(const ArtifactOptions &options) {
  TargetOptions target;
  target.name = options.target;
  target.triple = options.triple;
  target.cpu = options.cpu;
  target.features = options.features;
  return target;
}

llvm::Expected<Artifact> compileModel(Model &model,
                                      const ArtifactOptions &options) {
  if (!isCIdentifier(options.name))
    return error("--name '" + options.name + "' is not a C identifier");
  // The graph level sees the weights (on @forward's parameter arguments)
  // and may rewrite them; the signature and the blob come after it.
  if (failed(attachWeights(*model.module, model.params)) ||
      failed(runGraphLevel(*model.module, options.printIR)))
    return error("the graph level failed (see the diagnostics above)");
  auto values = detachWeights(*model.module);
  if (failed(values))
    return error("the weights could not be read back (see the diagnostics "
                 "above)");
  auto sig = readSignature(model);
  if (!sig)
    return sig.takeError();
  Artifact artifact;
  artifact.signature = *sig;

  // The weights blob, each parameter 64-byte aligned.
  if (values->size() != sig->params.size())
    return error("the model lists " + llvm::Twine(values->size()) +
                 " parameter values for " + llvm::Twine(sig->params.size()) +
                 " parameters");
  artifact.weights.assign(sig->weightBytes, 0);
  for (size_t i = 0; i < sig->params.size(); ++i) {
    const TensorSpec &spec = sig->params[i];
    const Parameter &value = (*values)[i];
    if (value.bytes.size() != spec.numElements() * dtypeSize(spec.dtype))
      return error("parameter '" + spec.name + "' holds " +
                   llvm::Twine(value.bytes.size()) + " bytes, expected " +
                   llvm::Twine(spec.numElements() * dtypeSize(spec.dtype)));
    std::copy(value.bytes.begin(), value.bytes.end(),
              artifact.weights.begin() + spec.offset);
  }
  values->clear(); // Their bytes now live in the blob.

  auto made = makeTarget(targetOptionsOf(options));
  if (!made)
    return made.takeError();
  const Target &target = **made;

  // The signature is read: the naming attributes have no meaning in LLVM IR.
  for (const auto &entry : sig->entries) {
    ModuleOp module = model.module.get();
    auto func = module.lookupSymbol<func::FuncOp>(entry.name);
    auto empty = DictionaryAttr::get(module.getContext());
    func.setAllArgAttrs(
        SmallVector<DictionaryAttr>(func.getNumArguments(), empty));
    func.setAllResultAttrs(
        SmallVector<DictionaryAttr>(func.getNumResults(), empty));
  }

  if (failed(lowerBelowGraph(*model.module, target, options.printIR)))
    return error("lowering failed (see the diagnostics above)");
  {
    ModuleOp module = model.module.get();
    auto scratch = module->getAttrOfType<IntegerAttr>(kScratchBytesAttr);
    if (!scratch)
      return error("internal error: the pipeline made no memory plan");
    // At least one cache line, so that a C array of this size is valid;
    // train_step's new blobs follow the plan.
    sig->planBytes = llvm::alignTo(scratch.getInt(), kWeightAlignment);
    sig->scratchBytes = std::max<uint64_t>(sig->planBytes, 64);
    if (sig->entry("train_step"))
      sig->scratchBytes = sig->planBytes +
                          llvm::alignTo(sig->weightBytes, kWeightAlignment) +
                          llvm::alignTo(sig->stateBytes, kWeightAlignment);
    artifact.signature.planBytes = sig->planBytes;
    artifact.signature.scratchBytes = sig->scratchBytes;
    module->removeAttr(kScratchBytesAttr);
  }

  bool embedded = !options.externalWeights && !artifact.weights.empty();
  if (auto err = describeEntries(*model.module, *sig, options, embedded))
    return err;
  if (failed(defineEntryPoints(*model.module, options.printIR)))
    return error("internal error: the entry points could not be defined "
                 "(see the diagnostics above)");

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> module =
      translateModuleToLLVMIR(*model.module, llvmContext, options.name);
  if (!module)
    return error("translation to LLVM IR failed");
  target.prepare(*module);

  llvm::Type *i8 = llvm::Type::getInt8Ty(llvmContext);
  if (embedded) {
    llvm::GlobalVariable *weights =
        module->getGlobalVariable(options.name + "_weights");
    if (!weights)
      return error("internal error: the weights global is missing");
    weights->setInitializer(llvm::ConstantDataArray::getRaw(
        llvm::StringRef(artifact.weights.data(), artifact.weights.size()),
        artifact.weights.size(), i8));
  }

  artifact.descriptor =
      descriptorText(*sig, options, target, fnv1a64(artifact.weights));
  auto *text = llvm::ConstantDataArray::getString(llvmContext,
                                                  artifact.descriptor, true);
  new llvm::GlobalVariable(*module, text->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           options.name + "_descriptor");

  std::string verifyErrors;
  llvm::raw_string_ostream verifyStream(verifyErrors);
  if (llvm::verifyModule(*module, &verifyStream))
    return error("internal error: invalid LLVM IR: " + verifyErrors);
  auto object = target.emitObject(*module, /*optimize=*/true);
  if (!object)
    return object.takeError();
  artifact.object = std::move(*object);
  artifact.header = headerText(*sig, options, target.description());

  llvm::Module loader("lathe_loader", llvmContext);
  target.prepare(loader);
  auto *ptr = llvm::PointerType::getUnqual(llvmContext);
  auto *prefixed = new llvm::GlobalVariable(
      loader, llvm::ArrayType::get(i8, artifact.descriptor.size() + 1), true,
      llvm::GlobalValue::ExternalLinkage, nullptr,
      options.name + "_descriptor");
  new llvm::GlobalVariable(loader, ptr, true,
                           llvm::GlobalValue::ExternalLinkage, prefixed,
                           "lathe_descriptor");
  auto loaderObject = target.emitObject(loader, /*optimize=*/false);
  if (!loaderObject)
    return loaderObject.takeError();
  artifact.loaderObject = std::move(*loaderObject);
  if (options.externalWeights == false)
    artifact.weights.clear(); // Embedded: no side file.
  return artifact;
}

llvm::Error writeFileAtomically(const std::string &path,
                                llvm::ArrayRef<char> data) {
  llvm::SmallString<256> temp;
  int fd = -1;
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  if (auto ec = llvm::sys::fs::createUniqueFile(model, fd, temp))
    return error("cannot create a temporary file next to " + path + ": " +
                 ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(data.data(), data.size());
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return error("cannot write " + path + ": " + message);
    }
  }
  if (auto ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return error("cannot write " + path + ": " + ec.message());
  }
  return llvm::Error::success();
}

/// Links |objects| into |soPath| with cc, through a temporary file.
static llvm::Error linkObjects(llvm::ArrayRef<std::string> objects,
                               const std::string &soPath) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return error("linking a shared object needs a C compiler driver ('cc') "
                 "on PATH; install gcc or clang, or use --emit obj");
  llvm::SmallString<256> temp(soPath);
  temp += ".tmp-link";
  std::vector<llvm::StringRef> args = {*cc, "-shared", "-o", temp};
  for (const std::string &o : objects)
    args.push_back(o);
  args.push_back("-Wl,-z,noexecstack");
  args.push_back("-lm");
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    llvm::sys::fs::remove(temp);
    return error("linking " + soPath + " failed" +
                 (message.empty() ? "" : ": " + message));
  }
  if (auto ec = llvm::sys::fs::rename(temp, soPath))
    return error("cannot write " + soPath + ": " + ec.message());
  return llvm::Error::success();
}

llvm::Error writeSharedObject(const Artifact &artifact,
                              const std::string &soPath) {
  llvm::SmallString<128> dir;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("lathe-link", dir))
    return error("cannot create a temporary folder: " + ec.message());
  std::string obj = (dir + "/model.o").str();
  std::string loader = (dir + "/loader.o").str();
  llvm::Error err = writeFileAtomically(obj, artifact.object);
  if (!err)
    err = writeFileAtomically(loader, artifact.loaderObject);
  if (!err)
    err = linkObjects({obj, loader}, soPath);
  llvm::sys::fs::remove_directories(dir);
  return err;
}

} // namespace lathe
