// The runtime's internal types, shared by its translation units.
#ifndef LATHE_RUNTIME_INTERNAL_H
#define LATHE_RUNTIME_INTERNAL_H

#include "lathe/runtime.h"
#include "runtime/Descriptor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lathe::runtime {
class ThreadPool;
}

struct lathe_context {
  std::string lastError;
  int numThreads = 1;
  /// Created on first use when numThreads > 1.
  std::unique_ptr<lathe::runtime::ThreadPool> pool;
  /// The arena for models' intermediate buffers, reused across calls and
  /// grown to the largest module run on this context.
  void *scratch = nullptr;
  size_t scratchBytes = 0;
  /// What entry points get as their lathe_env_t (set up by
  /// lathe_context_env).
  lathe_env_t env{};
  /// The gradient all-reduce of data-parallel training (NULL: one replica).
  int32_t (*allreduce)(void *, void *, int64_t, lathe_dtype_t) = nullptr;
  void *comm = nullptr;

  ~lathe_context();
};

struct lathe_tensor {
  lathe_dtype_t dtype = LATHE_F32;
  std::vector<int64_t> dims;
  void *data = nullptr;
  bool owned = false;
};

namespace lathe::runtime {

struct TensorDesc {
  std::string name;
  lathe_dtype_t dtype = LATHE_F32;
  std::vector<int64_t> dims;
  uint64_t offset = 0; ///< Parameters and state: offset in their blob.
  double init = 0.0;   ///< State: initial value.
};

/// One entry point of an artifact, as its descriptor describes it.
struct ModuleEntry {
  std::string name;
  std::vector<TensorDesc> inputs, outputs;
  std::vector<std::string> hyper;
  lathe::descriptor::EntryKind kind = lathe::descriptor::EntryKind::Infer;
  lathe_entry_fn fn = nullptr;
  /// Writes the parameters and the optimizer state (train_step).
  bool updates() const { return kind == lathe::descriptor::EntryKind::Update; }
};

/// torch.optim.LBFGS's options, for a build trained by it.
struct LbfgsOptions {
  bool enabled = false;
  int64_t maxIter = 20, maxEval = 25, historySize = 100;
  double toleranceGrad = 1e-7, toleranceChange = 1e-9;
  bool strongWolfe = false;
};

} // namespace lathe::runtime

struct lathe_module {
  void *handle = nullptr;
  std::string descriptor, name, target, weightsFile;
  /// The instruction-set extensions the code uses (names of
  /// descriptor::kX86CpuFeatures or kAArch64CpuFeatures), checked against
  /// the running CPU before the code is loaded.
  std::vector<std::string> cpuFeatures;
  /// A training build's criterion ("" otherwise) and ignored target value.
  std::string criterion;
  int64_t ignoreIndex = -100;
  /// Trained by LBFGS on the host (runtime/Lbfgs.cpp).
  lathe::runtime::LbfgsOptions lbfgs;
  bool externalWeights = false;
  uint64_t weightBytes = 0, weightsHash = 0, scratchBytes = 0, stateBytes = 0;
  /// forward's inputs and outputs (the module-level API describes them).
  std::vector<lathe::runtime::TensorDesc> inputs, outputs, params, state;
  std::vector<lathe::runtime::ModuleEntry> entries;
  void *weights = nullptr; ///< Side-file weights, or NULL for embedded.
  const void *embeddedWeights = nullptr; ///< The artifact's own blob.

  ~lathe_module();
};

namespace lathe::runtime {

using descriptor::fnv1a64;

const ModuleEntry *findEntry(const lathe_module &m, const std::string &name);

/// "" when |m|'s code is loaded (lathe_module_load), else why it cannot
/// run (lathe_module_inspect opened it).
std::string notRunnable(const lathe_module &m);

/// Those of |features| (the descriptor's `cpu-features`) this CPU lacks or
/// this runtime cannot check, comma-separated; "" when it has them all
/// (runtime/CpuFeatures.cpp).
std::string missingCpuFeatures(const std::vector<std::string> &features);

/// The values of an entry's hyperparameters: |lr|, |step| (the 1-based
/// step number, which also picks the dropout masks) and any others by name
/// (|named|, may be NULL), as its descriptor names them.
struct HyperValues {
  double lr = 0.0;
  int64_t step = 1;
  const std::map<std::string, double> *named = nullptr;
};

/// Runs entry |entry| of |module| on |params| (the weights blob's layout;
/// NULL: the module's own) and, for train_step, |state|.
lathe_status_t runEntry(lathe_context_t *context, const lathe_module &module,
                        const std::string &entry, void *params, void *state,
                        const HyperValues &hyper, lathe_tensor_t *const *inputs,
                        size_t num_inputs, lathe_tensor_t **out_outputs,
                        size_t num_outputs);

/// Records |message| as |context|'s last error and returns |status|.
lathe_status_t fail(lathe_context_t *context, lathe_status_t status,
                    const std::string &message);

/// Product of |dims|; false on a negative dimension or overflow.
bool elementCount(const int64_t *dims, size_t rank, size_t &out);

/// Number of lathe_dtype_t values (they run from 0).
constexpr int kDTypeCount = LATHE_BF16 + 1;

/// "1x3x224x224" for |dims| ("scalar" for rank 0).
std::string shapeText(const std::vector<int64_t> &dims);

/// The context's scratch arena of at least |bytes| (64-byte aligned), or
/// NULL when it cannot be allocated.
void *contextScratch(lathe_context_t *context, size_t bytes);

/// Allocates a tensor owning 64-byte aligned, zeroed storage.
lathe_status_t createTensor(lathe_context_t *context, lathe_dtype_t dtype,
                            const std::vector<int64_t> &dims,
                            lathe_tensor_t **out_tensor);

} // namespace lathe::runtime

#endif // LATHE_RUNTIME_INTERNAL_H
