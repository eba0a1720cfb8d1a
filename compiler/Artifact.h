// Code generation: a lathe Model becomes an object file, a shared object, a
// C header and (optionally) a side file of weights, all described by one
// exported descriptor.
#ifndef LATHE_COMPILER_ARTIFACT_H
#define LATHE_COMPILER_ARTIFACT_H

#include "frontends/Model.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace lathe {

/// One tensor of the artifact's signature.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t offset = 0; ///< Parameters only: byte offset in the weights blob.

  int64_t numElements() const;
};

/// What an artifact exports, as its descriptor states it.
struct Signature {
  std::vector<TensorSpec> inputs, params, outputs;
  uint64_t weightBytes = 0;
  uint64_t scratchBytes = 0; ///< The memory plan's arena.
};

/// Current version of the descriptor format (see docs/artifact.md).
inline constexpr int kDescriptorVersion = 1;

/// Alignment of every parameter in the weights blob.
inline constexpr uint64_t kWeightAlignment = 64;

struct ArtifactOptions {
  std::string name;     ///< Symbol prefix: a C identifier.
  std::string triple;   ///< Empty: the host.
  std::string cpu;      ///< Empty: the host CPU (or "generic" when cross).
  std::string features; ///< Empty: the host CPU's features.
  bool externalWeights = false;
  std::string weightsFileName; ///< Stated in the descriptor when external.
  bool printIR = false;
};

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

/// Reads the signature (inputs, parameters with their blob offsets, outputs)
/// of a Model's @forward function.
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
