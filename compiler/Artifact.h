// Code generation: a lathe Model becomes an object file, a shared object, a
// C header and (optionally) a side file of weights, all described by one
// exported descriptor.
#ifndef LATHE_COMPILER_ARTIFACT_H
#define LATHE_COMPILER_ARTIFACT_H

#include "compiler/targets/Target.h"
#include "frontends/Model.h"
#include "runtime/Descriptor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace lathe {

/// One tensor of the artifact's signature.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t offset = 0; ///< Parameters and state: byte offset in their blob.
  double init = 0.0;   ///< State only: the value it starts from.

  int64_t numElements() const;
};

/// Where one argument or result of an entry point's lowered function comes
/// from or goes: the caller's inputs or outputs, the parameter blob, the
/// optimizer-state blob, the hyperparameter array, or (train_step's results)
/// the parameter and state blobs' new contents.
enum class Slot { Input, Param, State, Hyper, Output, NewParam, NewState };

/// One exported entry point.
struct EntrySignature {
  std::string name; ///< forward, eval_step, gradient or train_step.
  /// What it does, as the descriptor states it (runtime/Descriptor.h).
  descriptor::EntryKind kind = descriptor::EntryKind::Infer;
  std::vector<TensorSpec> inputs, outputs;
  std::vector<std::string> hyper; ///< train_step: "lr", "step" (f64 each).
  /// The lowered function's arguments and results, in order: what each is
  /// and its index in the list its slot names.
  std::vector<std::pair<Slot, size_t>> args, results;

  bool updates() const { return kind == descriptor::EntryKind::Update; }
};

/// What an artifact exports, as its descriptor states it.
struct Signature {
  /// @forward's inputs and outputs, and the parameters every entry shares.
  std::vector<TensorSpec> inputs, params, outputs;
  std::vector<TensorSpec> state;       ///< Optimizer buffers (training builds).
  std::vector<EntrySignature> entries; ///< forward first.
  uint64_t weightBytes = 0;
  uint64_t stateBytes = 0;
  uint64_t scratchBytes = 0; ///< The memory plan's arena (plus, for
                             ///< train_step, room for the new blobs).
  uint64_t planBytes = 0;    ///< The memory plan alone.
  /// Training builds: the criterion and the target value it ignores.
  std::string criterion;
  /// Training builds with --optimizer lbfgs: its options (kLbfgsAttr).
  std::string lbfgs;
  int64_t ignoreIndex = -100;

  const EntrySignature *entry(const std::string &name) const;
};

/// Alignment of every parameter in the weights blob.
inline constexpr uint64_t kWeightAlignment = 64;

struct ArtifactOptions {
  std::string name;           ///< Symbol prefix: a C identifier.
  std::string target = "cpu"; ///< The --target (compiler/targets/Target.h).
  std::string triple;         ///< Empty: the host.
  std::string cpu;      ///< Empty: the host CPU (or "generic" when cross).
  std::string features; ///< Empty: the host CPU's features.
  bool externalWeights = false;
  std::string weightsFileName; ///< Stated in the descriptor when external.
  bool printIR = false;
};

/// The target |options| name (--target, --target-triple, --target-cpu and
/// the features).
TargetOptions targetOptionsOf(const ArtifactOptions &options);

/// Everything a compile produces, in memory.
struct Artifact {
  Signature signature;
  std::string descriptor;   ///< The text the exported descriptor symbol holds.
  std::string header;       ///< The generated C header.
  std::vector<char> object; ///< Relocatable object file.
  /// A tiny object linked only into shared objects: it exports
  /// `lathe_descriptor`, a pointer to the prefixed descriptor, which is how
  /// the runtime finds a dlopen'ed model whatever its --name.
  std::vector<char> loaderObject;
  std::vector<char> weights; ///< The weights blob (embedded or side file).
};

/// Reads the signature of a Model: @forward's inputs, parameters (with their
/// blob offsets) and outputs, and every training entry point the module has
/// (@eval_step, @gradient, @train_step with its optimizer state).
llvm::Expected<Signature> readSignature(const Model &model);

/// Lowers and compiles |model| (its module is consumed) into an Artifact.
/// Diagnostics of the pipeline go to the module's context.
llvm::Expected<Artifact> compileModel(Model &model,
                                      const ArtifactOptions &options);

/// Links |artifact|'s object and loader stub into the shared object |soPath|
/// with the system C compiler driver (cc), adding libm. The objects go
/// through a private temporary folder; |soPath| is replaced atomically.
llvm::Error writeSharedObject(const Artifact &artifact,
                              const std::string &soPath);

/// Writes |data| to |path| through a temporary file and a rename, so that a
/// failure never leaves a half-written file in place of an old one.
llvm::Error writeFileAtomically(const std::string &path,
                                llvm::ArrayRef<char> data);

/// FNV-1a 64-bit hash (the weights checksum in descriptors).
uint64_t fnv1a64(llvm::ArrayRef<char> data);

/// Whether |name| is a valid C identifier (for --name).
bool isCIdentifier(llvm::StringRef name);

} // namespace lathe

#endif // LATHE_COMPILER_ARTIFACT_H
